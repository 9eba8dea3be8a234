"""The subnet planner: exact layout, growth without moves, and invariants over random inputs."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from components.cidr_plan import (
    CI,
    DEFAULT_TIERS,
    MAX_AZS,
    RUNNER_TIERS,
    CidrPlanError,
    Tier,
    plan_subnets,
)


def test_default_layout_is_pinned() -> None:
    """A change here replaces subnets in every live VPC: it must be deliberate."""
    plan = plan_subnets("10.40.0.0/16", 3)
    assert plan.tier("private") == ["10.40.0.0/19", "10.40.32.0/19", "10.40.64.0/19"]
    assert plan.tier("public") == ["10.40.128.0/22", "10.40.132.0/22", "10.40.136.0/22"]
    assert plan.tier("database") == ["10.40.144.0/24", "10.40.145.0/24", "10.40.146.0/24"]
    assert plan.tier("cache") == ["10.40.148.0/24", "10.40.149.0/24", "10.40.150.0/24"]


def test_ci_tier_is_appended_small_and_pinned() -> None:
    """The runner's tier: a /26 per AZ in the first free /24 after the default tiers; the default
    tiers keep their subnets, so a live VPC only gains subnets (no replacement)."""
    assert RUNNER_TIERS[:-1] == DEFAULT_TIERS and RUNNER_TIERS[-1] == CI and CI.prefix == 26
    plan = plan_subnets("10.40.0.0/16", 3, RUNNER_TIERS)
    assert plan.blocks["ci"] == "10.40.152.0/24"
    assert plan.tier("ci") == ["10.40.152.0/26", "10.40.152.64/26", "10.40.152.128/26"]
    default = plan_subnets("10.40.0.0/16", 3)
    for tier in DEFAULT_TIERS:
        assert plan.tier(tier.name) == default.tier(tier.name)
    ci = [ipaddress.ip_network(c) for c in plan.tier("ci")]
    others = [ipaddress.ip_network(s.cidr) for s in default.subnets]
    assert not any(a.overlaps(b) for a in ci for b in others)
    assert plan_subnets("10.40.0.0/16", MAX_AZS, RUNNER_TIERS).tier("ci")[3] == "10.40.152.192/26"


def test_same_input_same_plan() -> None:
    assert plan_subnets("10.20.0.0/16", 3) == plan_subnets("10.20.0.0/16", 3)


def test_adding_a_tier_moves_nothing() -> None:
    before = plan_subnets("10.20.0.0/16", 3)
    after = plan_subnets("10.20.0.0/16", 3, (*DEFAULT_TIERS, Tier("intra", 24), Tier("pods", 21)))
    for tier in DEFAULT_TIERS:
        assert after.tier(tier.name) == before.tier(tier.name)
    new = {*after.tier("intra"), *after.tier("pods")}
    assert not new & {s.cidr for s in before.subnets}


def test_adding_an_az_moves_nothing() -> None:
    two = plan_subnets("10.20.0.0/16", 2)
    three = plan_subnets("10.20.0.0/16", 3)
    for tier in DEFAULT_TIERS:
        assert three.tier(tier.name)[:2] == two.tier(tier.name)


@pytest.mark.parametrize(("cidr", "azs", "tiers", "message"), [
    ("10.0.0.0/15", 3, DEFAULT_TIERS, None),
    ("10.0.0.1/16", 3, DEFAULT_TIERS, "not a network address"),
    ("10.0.0.0/16", 5, DEFAULT_TIERS, "az_count 5 must be between 1 and 4"),
    ("10.0.0.0/16", 3, (Tier("a", 24), Tier("a", 24)), "tier names must be unique"),
    ("10.0.0.0/20", 3, DEFAULT_TIERS, "tier 'private': 4 subnets of /19 need a /17, larger than the VPC"),
    ("10.0.0.0/16", 3, (Tier("a", 18), Tier("c", 24)), "tier 'c': no free /22 left in 10.0.0.0/16 after a"),
    ("10.0.0.0/16", 3, (Tier("tiny", 29),), "prefix /29 must be between /16 and /28"),
    ("fd00::/48", 3, DEFAULT_TIERS, "IPv6"),
])
def test_bad_requests_name_the_problem(cidr: str, azs: int, tiers: tuple[Tier, ...], message: str | None) -> None:
    if message is None:  # a /15 is fine for the planner (config restricts VPCs to /16)
        assert len(plan_subnets(cidr, azs, tiers).subnets) == azs * len(tiers)
        return
    with pytest.raises(CidrPlanError, match=message):
        plan_subnets(cidr, azs, tiers)


def test_unknown_tier_lookup_lists_tiers() -> None:
    with pytest.raises(KeyError, match="tiers: private, public, database, cache"):
        plan_subnets("10.0.0.0/16", 2).tier("intra")


tier_lists = st.lists(
    st.builds(Tier, name=st.sampled_from(["a", "b", "c", "d", "e", "f", "g"]), prefix=st.integers(19, 28)),
    min_size=1, max_size=7, unique_by=lambda t: t.name,
)
vpcs = st.integers(0, 255).map(lambda b: f"10.{b}.0.0/16")


@settings(max_examples=150, deadline=None)
@given(vpc=vpcs, azs=st.integers(1, MAX_AZS), tiers=tier_lists)
def test_invariants(vpc: str, azs: int, tiers: list[Tier]) -> None:
    """Inside the VPC, no overlaps, one subnet per tier per AZ, each of the tier's size."""
    try:
        plan = plan_subnets(vpc, azs, tuple(tiers))
    except CidrPlanError:
        return  # too many large tiers for a /16 is a valid refusal
    net = ipaddress.ip_network(vpc)
    nets = [ipaddress.ip_network(s.cidr) for s in plan.subnets]
    assert all(n.subnet_of(net) for n in nets)  # type: ignore[arg-type]
    assert not any(a.overlaps(b) for i, a in enumerate(nets) for b in nets[i + 1:])
    assert len(nets) == azs * len(tiers)
    for t in tiers:
        assert [ipaddress.ip_network(c).prefixlen for c in plan.tier(t.name)] == [t.prefix] * azs


@settings(max_examples=150, deadline=None)
@given(vpc=vpcs, azs=st.integers(1, MAX_AZS), tiers=tier_lists, cut=st.integers(0, 7))
def test_prefix_of_tiers_is_stable(vpc: str, azs: int, tiers: list[Tier], cut: int) -> None:
    """Planning the first k tiers gives exactly those tiers' subnets of the full plan (append-only)."""
    try:
        full = plan_subnets(vpc, azs, tuple(tiers))
    except CidrPlanError:
        return
    head = plan_subnets(vpc, azs, tuple(tiers[:cut])) if cut else None
    for t in tiers[:cut]:
        assert head is not None and head.tier(t.name) == full.tier(t.name)


@settings(max_examples=100, deadline=None)
@given(vpc=vpcs, tiers=tier_lists, azs=st.integers(1, MAX_AZS - 1))
def test_more_azs_only_add(vpc: str, tiers: list[Tier], azs: int) -> None:
    try:
        small = plan_subnets(vpc, azs, tuple(tiers))
        big = plan_subnets(vpc, azs + 1, tuple(tiers))
    except CidrPlanError:
        return
    for t in tiers:
        assert big.tier(t.name)[:azs] == small.tier(t.name)
