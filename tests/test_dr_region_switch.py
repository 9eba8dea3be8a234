"""components/region_switch.py under the mocks: one plan per domain, inside the domain, a role that
can act only on the listed clusters, and a trigger only when the kill switch allows it."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from components.region_switch import GlobalDatabase, RegionSwitchArgs, execution_policy, validate_args
from stacks.harness import Plan, run_stack
from stacks.harness.run import stack_config
from tests.variants import prod_opt_ins

RS_PLAN = "aws:arcregionswitch/plan:Plan"
COMPONENTS = ("agentic:dr:RegionSwitchPlan", "agentic:dr:PrimaryProber")


def _children(plan: Plan) -> list:
    return [r for r in plan.resources if any(c in r.urn for c in COMPONENTS)]


def test_urns_are_unique(prod: Plan) -> None:
    dup = [u for u, n in Counter(r.urn for r in prod.resources).items() if n > 1]
    assert _children(prod) and dup == []


def test_each_plan_spans_its_domains_primary_and_first_replica(prod: Plan) -> None:
    raw = stack_config("prod")["agentic-platform:data_domains"]
    domains = {d["name"]: d for d in (json.loads(raw) if isinstance(raw, str) else raw)}
    plans = prod.of_type(RS_PLAN)
    assert {p.tags["data-domain"] for p in plans} == {"global", "eu"}
    for p in plans:
        dom = domains[p.tags["data-domain"]]
        assert p.inputs["regions"] == [dom["primary"], dom["replicas"][0]]
        assert p.inputs["primaryRegion"] == dom["primary"] and p.region == "us-east-1"


def test_execution_role_acts_only_on_the_plans_clusters(prod: Plan) -> None:
    policies = {r.name: json.loads(r.inputs["policy"]) for r in prod.of_type("aws:iam/rolePolicy:RolePolicy")
                if r.name.endswith("-failover-execution-policy")}
    assert set(policies) == {"prod-global-failover-execution-policy", "prod-eu-failover-execution-policy"}
    for p in prod.of_type(RS_PLAN):
        domain = p.tags["data-domain"]
        doc = policies[f"prod-{domain}-failover-execution-policy"]
        members = {arn for w in p.inputs["workflows"] for st in w["steps"]
                   for pc in st.get("parallelConfigs") or [] for sub in pc["steps"]
                   for g in sub.get("globalAuroraConfigs") or [] for arn in g["databaseClusterArns"]}
        gids = {g["globalClusterIdentifier"] for w in p.inputs["workflows"] for st in w["steps"]
                for pc in st.get("parallelConfigs") or [] for sub in pc["steps"]
                for g in sub.get("globalAuroraConfigs") or []}
        fail = next(s for s in doc["Statement"] if "rds:FailoverGlobalCluster" in s["Action"])
        assert set(fail["Resource"]) == members | {f"arn:aws:rds::111122223333:global-cluster:{g}" for g in gids}
        assert {a.split(":")[3] for a in members} == set(p.inputs["regions"])
        assert all(s["Resource"] != "*" for s in doc["Statement"])


def test_policy_is_built_from_the_listed_arns_only() -> None:
    doc = json.loads(execution_policy(global_cluster_arns=["arn:aws:rds::1:global-cluster:g"],
                                      cluster_arns=["arn:aws:rds:eu-west-1:1:cluster:a"], eks_cluster_arns=[],
                                      alarm_arns=["arn:aws:cloudwatch:eu-central-1:1:alarm:x"]))
    assert [s["Sid"] for s in doc["Statement"]] == ["FailoverTheDomainsGlobalDatabases", "ReadTheirState",
                                                    "ReadTheTriggerAlarms"]


@pytest.mark.parametrize(("primary", "standby", "message"), [
    ("eu-west-1", "us-east-1", "outside the domain"), ("eu-west-1", "eu-west-1", "two different regions")])
def test_a_plan_cannot_leave_its_domain(primary: str, standby: str, message: str) -> None:
    args = RegionSwitchArgs(name="p", domain="eu", domain_regions=["eu-west-1", "eu-central-1"],
                            primary_region=primary, standby_region=standby,
                            databases=[GlobalDatabase("shared", "g", [])], account_id="1")
    with pytest.raises(ValueError, match=message):
        validate_args(args)


def test_trigger_only_when_automatic(prod: Plan) -> None:
    assert all(p.inputs.get("triggers") for p in prod.of_type(RS_PLAN))
    off = run_stack("prod", prod_opt_ins())  # automatic: false among every option (tests/variants.py)
    plans = off.of_type(RS_PLAN)
    assert len(plans) == 2 and not any(p.inputs.get("triggers") for p in plans)
    # the prober still feeds the alarm (it pages the on-call engineer), but nothing starts the plan
    assert len([f for f in off.of_type("aws:lambda/function:Function") if f.name.endswith("-prober-fn")]) == 2
