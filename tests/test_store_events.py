"""Data-store service events reach the region's alert topic: Aurora failovers and failures of this
stack's clusters, ElastiCache failures; nothing routine, nothing of another region."""

from __future__ import annotations

import fnmatch
import json
from typing import Any

import pytest

from components.store_events import (
    ELASTICACHE_DETAIL_TYPES,
    elasticache_event_pattern,
    rds_event_pattern,
)
from stacks.harness import run_stack
from stacks.harness.plan import Plan, PlannedResource

RULE = "aws:cloudwatch/eventRule:EventRule"
TARGET = "aws:cloudwatch/eventTarget:EventTarget"


def matches(pattern: dict[str, Any], event: dict[str, Any]) -> bool:
    """The subset of EventBridge matching the rules use: value lists, prefix matchers, nesting."""
    for key, want in pattern.items():
        got = event.get(key)
        if isinstance(want, dict):
            if not isinstance(got, dict) or not matches(want, got):
                return False
            continue
        values = got if isinstance(got, list) else [got]
        ok = any((isinstance(w, dict) and isinstance(v, str) and v.startswith(w["prefix"])) or w == v
                 for w in want for v in values)
        if not ok:
            return False
    return True


def rds_event(identifier: str, category: str = "failover", kind: str = "RDS DB Cluster Event") -> dict[str, Any]:
    return {"source": "aws.rds", "detail-type": kind,
            "detail": {"EventCategories": [category], "SourceType": "CLUSTER", "SourceIdentifier": identifier,
                       "EventID": "RDS-EVENT-0071", "Message": "Completed failover to DB instance"}}


def test_rds_pattern_takes_failovers_and_failures_of_this_stacks_databases_only() -> None:
    pattern = json.loads(rds_event_pattern(["agentic-platform-prod-", "prod-"]))
    assert matches(pattern, rds_event("agentic-platform-prod-global-use1"))
    assert matches(pattern, rds_event("prod-use1-t-initech-1", "failure", "RDS DB Instance Event"))
    assert not matches(pattern, rds_event("agentic-platform-staging-global-use1"))
    assert not matches(pattern, rds_event("agentic-platform-prod-global-use1", "maintenance"))
    assert not matches(pattern, rds_event("agentic-platform-prod-global-use1", "backup"))
    assert not matches(pattern, {**rds_event("prod-x"), "detail-type": "RDS DB Snapshot Event"})


@pytest.mark.parametrize("prefixes", [[], [""], ["prod-", ""]])
def test_rds_pattern_refuses_a_prefix_that_would_match_every_database(prefixes: list[str]) -> None:
    with pytest.raises(ValueError, match="non-empty identifier prefixes"):
        rds_event_pattern(prefixes)


def test_elasticache_pattern_takes_failures_not_routine_events() -> None:
    pattern = json.loads(elasticache_event_pattern())
    for kind in ELASTICACHE_DETAIL_TYPES:
        assert matches(pattern, {"source": "aws.elasticache", "detail-type": kind})
    for routine in ("Cache Created", "Cache Updated", "Cache Deleted", "Snapshot Created"):
        assert not matches(pattern, {"source": "aws.elasticache", "detail-type": routine})
    assert not matches(pattern, {"source": "aws.rds", "detail-type": "Cache Update Failed"})


def _rules(plan: Plan, source: str) -> dict[str, PlannedResource]:
    return {r.region or "": r for r in plan.of_type(RULE)  # schedule rules (the DR prober) have no pattern
            if "eventPattern" in r.inputs and json.loads(r.inputs["eventPattern"])["source"] == [source]}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_region_routes_both_services_to_its_own_topic(stack: str, dev: Plan, prod: Plan) -> None:
    plan = dev if stack == "dev" else prod
    topics = {t.region: t.outputs["arn"] for t in plan.of_type("aws:sns/topic:Topic")
              if t.name.endswith("-alerts-topic")}
    for source in ("aws.rds", "aws.elasticache"):
        rules = _rules(plan, source)
        assert set(rules) == set(plan.outputs["regions"]), source
        for region, rule in rules.items():
            target = next(t for t in plan.of_type(TARGET) if t.parent == rule.parent
                          and t.inputs["rule"] == rule.inputs["name"])
            assert target.region == region and target.inputs["arn"] == topics[region]
            assert rule.tags.get("environment") == stack


def test_every_aurora_identifier_of_prod_is_covered_by_the_rule(prod: Plan) -> None:
    """The prefixes come from the naming code: a renamed cluster must still page."""
    identifiers = [r.inputs["clusterIdentifier"] for r in prod.of_type("aws:rds/cluster:Cluster")]
    identifiers += [r.inputs["identifier"] for r in prod.of_type("aws:rds/clusterInstance:ClusterInstance")]
    assert any(i.startswith("prod-") and "-t-" in i for i in identifiers), "enterprise tenant clusters present"
    for region, rule in _rules(prod, "aws.rds").items():
        pattern = json.loads(rule.inputs["eventPattern"])
        for identifier in identifiers:
            assert matches(pattern, rds_event(identifier)), (region, identifier)
        assert not matches(pattern, rds_event("agentic-platform-staging-global-use1"))


def test_local_stack_has_no_event_rules() -> None:
    assert not run_stack("local").of_type(RULE)


def test_rule_names_are_exported_per_region(prod: Plan) -> None:
    names = {r.inputs["name"] for r in prod.of_type(RULE)}
    for region in prod.outputs["regions"]:
        expected = sorted(f"prod-{region}-store-events-{s}" for s in ("aurora", "elasticache"))
        assert sorted(fnmatch.filter(names, f"prod-{region}-store-events-*")) == expected
        assert sorted(prod.outputs["regional"][region]["event_rules"]) == expected
