"""Placement: every tenant of every stack lands inside its residency's data domain."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stacks.config import PlatformConfig, parse
from stacks.harness import stack_names
from stacks.harness.run import stack_namespace as namespace
from stacks.placement import LOCAL, place_tenant, place_tenants, standby_region, tenant_prefix


def load(stack: str, ns: dict[str, Any] | None = None) -> PlatformConfig:
    base, region = namespace(stack)
    return parse(ns if ns is not None else base, stack=stack, aws_region=region)


STACKS = stack_names()


@pytest.mark.parametrize("stack", STACKS)
def test_every_tenant_of_every_stack_is_placed_inside_its_domain(stack: str) -> None:
    cfg = load(stack)
    placements = place_tenants(cfg)
    assert list(placements) == [t.id for t in cfg.tenants]
    for tenant in cfg.tenants:
        p = placements[tenant.id]
        if cfg.is_local:
            assert p.all_regions == {LOCAL}
            continue
        dom = cfg.domain_for_residency(tenant.data_residency)
        assert p.domain == dom.name
        assert p.all_regions <= set(dom.regions), (tenant.id, p)
        assert p.workload_regions[0] == tenant.primary_region
        if tenant.allowed_regions:
            assert set(p.workload_regions) <= set(tenant.allowed_regions)
            assert set(p.secret_replica_regions) <= set(tenant.allowed_regions)
        assert p.all_regions <= set(cfg.region_names)


def test_prod_placement_table() -> None:
    """The prod catalog, spelled out: a reviewer can read where each tenant's data is."""
    cfg = load("prod")
    table = {tid: (p.domain, p.workload_regions, p.database_region, p.bucket_region, p.namespace)
             for tid, p in place_tenants(cfg).items()}
    assert table == {
        "acme": ("global", ("us-east-1",), "us-east-1", "us-east-1", "shared-services"),
        "globex": ("global", ("us-east-1", "eu-west-1"), "us-east-1", "us-east-1", "tenant-globex"),
        "initech": ("global", ("us-east-1", "eu-west-1"), "us-east-1", "us-east-1", "tenant-initech"),
        "muller-eu": ("eu", ("eu-west-1",), "eu-west-1", "eu-west-1", "shared-services"),
        "eurobank": ("eu", ("eu-west-1", "eu-central-1"), "eu-west-1", "eu-west-1", "tenant-eurobank"),
        "hanse-eu": ("eu", ("eu-west-1", "eu-central-1"), "eu-west-1", "eu-west-1", "tenant-hanse-eu"),
    }


def test_eu_tenants_never_touch_a_non_eu_region() -> None:
    cfg = load("prod")
    for tenant in cfg.tenants:
        p = place_tenant(cfg, tenant)
        if tenant.data_residency == "eu":
            assert all(r.startswith("eu-") for r in p.all_regions), p


def test_enterprise_tenant_owns_its_database_in_its_primary_region() -> None:
    cfg = load("prod")
    p = place_tenants(cfg)["hanse-eu"]
    assert p.own_database and p.database_region == "eu-west-1"
    assert p.database_replica_regions == ()
    assert p.backup_regions == ("eu-west-1", "eu-central-1")
    shared = place_tenants(cfg)["muller-eu"]
    assert not shared.own_database and shared.database_replica_regions == ("eu-central-1",)


def test_standby_prefers_a_flagged_standby_region_of_the_domain() -> None:
    ns, _ = namespace("prod")
    ns = copy.deepcopy(ns)
    # eurobank may run anywhere in the EU domain: eu-central-1 is flagged standby.
    ns["tenants"][4]["allowed_regions"] = []
    cfg = load("prod", ns)
    assert standby_region(cfg, cfg.tenants[4]) == "eu-central-1"
    # globex is limited to us-east-1 + eu-west-1: its standby must stay within them.
    assert standby_region(cfg, cfg.tenants[1]) == "eu-west-1"


def test_single_region_stacks_have_one_workload_region() -> None:
    cfg = load("staging")
    p = place_tenants(cfg)["globex"]
    assert p.workload_regions == ("us-east-1",)
    assert p.secret_replica_regions == () and p.backup_regions == ("us-east-1",)


def test_tenant_prefix_is_scoped_by_id() -> None:
    assert tenant_prefix("eurobank") == "tenants/eurobank/"


# --- properties: whatever a valid catalog says, placement never leaves the tenant's domain ---

PROD_NS, PROD_REGION = namespace("prod")
PROD_REGIONS = {"none": ["us-east-1", "eu-west-1", "ap-southeast-1"], "eu": ["eu-west-1", "eu-central-1"]}


@st.composite
def tenants(draw: st.DrawFn) -> list[dict[str, Any]]:
    count = draw(st.integers(min_value=1, max_value=8))
    out = []
    for i in range(count):
        residency = draw(st.sampled_from(["none", "eu"]))
        regions = PROD_REGIONS[residency]
        allowed = draw(st.lists(st.sampled_from(regions), unique=True, max_size=len(regions)))
        primary = draw(st.sampled_from(allowed or regions))
        tier = draw(st.sampled_from(["shared", "dedicated", "enterprise"]))
        out.append({"id": f"t{i}", "display_name": f"T{i}", "tier": tier, "data_residency": residency,
                    "primary_region": primary, "allowed_regions": allowed, "cost_center": f"cc-{i}",
                    "compliance_requirements": ["gdpr"] if residency == "eu" else []})
    return out


@settings(max_examples=60, deadline=None)
@given(catalog=tenants(), cross_copy=st.booleans(), env=st.sampled_from(["prod", "staging"]))
def test_placement_never_leaves_the_domain(catalog: list[dict[str, Any]], cross_copy: bool, env: str) -> None:
    ns = copy.deepcopy(PROD_NS)
    ns["tenants"] = catalog
    ns["backup"] = {"retention_days": 30, "cross_region_copy": cross_copy}
    ns["environment"] = env
    cfg = parse(ns, stack=env, aws_region=PROD_REGION)
    for tenant in cfg.tenants:
        p = place_tenant(cfg, tenant)
        domain = set(PROD_REGIONS[tenant.data_residency])
        assert p.all_regions <= domain
        assert p.workload_regions[0] == tenant.primary_region
        assert len(set(p.workload_regions)) == len(p.workload_regions)
        if tenant.allowed_regions:
            assert set(p.workload_regions) <= set(tenant.allowed_regions)
        if env != "prod" or tenant.tier == "shared":
            assert p.workload_regions == (tenant.primary_region,)
        assert p.namespace == (f"tenant-{tenant.id}" if tenant.tier != "shared" else "shared-services")
