"""The opt-in event backbone: off by default; on, one bus per data domain and region, forwarding
only inside the domain, encrypted, priced, and a residency policy that catches a stray target."""

from __future__ import annotations

import json

import pytest

from components.event_backbone import forward_pattern, invalidation_pattern, replication_pairs
from stacks.harness import Plan, PlannedResource, run_stack
from stacks.reports import cost
from stacks.reports.policy import run_plan

ON = {"agentic-platform:events": {"enabled": True}}
BUS = "aws:cloudwatch/eventBus:EventBus"
EU = {"eu-west-1", "eu-central-1"}


@pytest.fixture(scope="module")
def prod() -> Plan:
    return run_stack("prod", overrides=ON)


def test_off_by_default_nothing_created() -> None:
    plan = run_stack("prod")
    assert not plan.of_type(BUS) and "events" not in plan.outputs


def test_one_encrypted_bus_per_domain_and_region(prod: Plan) -> None:
    buses = {(r.get("name"), r.region) for r in prod.of_type(BUS)}
    assert buses == {
        ("agentic-platform-prod-global-events", "us-east-1"), ("agentic-platform-prod-global-events", "eu-west-1"),
        ("agentic-platform-prod-global-events", "ap-southeast-1"),
        ("agentic-platform-prod-eu-events", "eu-west-1"), ("agentic-platform-prod-eu-events", "eu-central-1")}
    keys = {r.urn: r for r in prod.of_type("aws:kms/key:Key") if "-events-" in r.name}
    for bus in prod.of_type(BUS):
        assert f":kms:{bus.region}:" in bus.get("kmsKeyIdentifier")  # a key of the bus's own region
    assert all(k.get("enableKeyRotation") is True and k.options.get("protect") for k in keys.values())
    eu = [b for b in prod.of_type(BUS) if b.get("name") == "agentic-platform-prod-eu-events"]
    assert all(b.get("tags")["data-residency"] == "eu" for b in eu)


def _forwarding(plan: Plan) -> list[PlannedResource]:
    targets = plan.of_type("aws:cloudwatch/eventTarget:EventTarget")
    return [t for t in targets if str(t.get("targetId")).startswith("bus-")]


def test_forwarding_stays_inside_each_domain(prod: Plan) -> None:
    targets = _forwarding(prod)
    assert len(targets) == 6 + 2  # global: 3 regions -> 6 ordered pairs; eu: 2
    for t in targets:
        src, dst = t.region, t.get("targetId").removeprefix("bus-")
        if "-events-eu-" in t.name:
            assert {src, dst} <= EU
        assert t.get("roleArn")


def test_patterns_forward_only_local_events_and_route_invalidations() -> None:
    assert json.loads(forward_pattern("eu-west-1"))["detail"] == {"origin_region": ["eu-west-1"]}
    assert json.loads(invalidation_pattern())["detail-type"] == ["cache.invalidate"]
    assert replication_pairs(["a", "b", "c"]) == [("a", "b"), ("a", "c"), ("b", "a"), ("b", "c"), ("c", "a"),
                                                  ("c", "b")]
    assert replication_pairs(["a"]) == []


def test_every_region_has_a_cache_invalidation_queue(prod: Plan) -> None:
    queues = [q for q in prod.of_type("aws:sqs/queue:Queue") if str(q.get("name")).endswith("-cache-invalidation")]
    assert sorted(str(q.region) for q in queues) == sorted(["us-east-1", "eu-west-1", "ap-southeast-1", "eu-west-1",
                                                       "eu-central-1"])
    assert all(":kms:" in q.get("kmsMasterKeyId") for q in queues)
    exported = prod.outputs["events"]
    assert set(exported) == {"global", "eu"} and set(exported["eu"]["regions"]) == EU
    assert exported["eu"]["bus_name"] == "agentic-platform-prod-eu-events"
    assert exported["eu"]["cache_invalidation_queue"] == "agentic-platform-prod-eu-events-cache-invalidation"


def test_the_backbone_is_priced(prod: Plan) -> None:
    rep = cost.report(prod)
    assert not any("no pricing rule" in line for line in rep.lines), rep.lines[:5]
    assert "eventbridge.custom_events" in json.dumps(rep.data)


def test_policies_pass_and_catch_a_bus_outside_the_domain(prod: Plan) -> None:
    assert not [v for v in run_plan(prod, memo={}).mandatory], "the backbone passes the pack"
    target = next(t for t in _forwarding(prod) if "-events-eu-" in t.name)
    us_bus = next(b for b in prod.of_type(BUS) if b.region == "us-east-1")
    target.inputs = {**target.inputs, "arn": us_bus.outputs["arn"]}
    target.outputs = {**target.outputs, "arn": us_bus.outputs["arn"]}
    hits = [v for v in run_plan(prod, memo={}).of("residency-event-forwarding") if v.urn == target.urn]
    assert hits and "us-east-1" in hits[0].message
