"""The estimate on the real stacks: every SKU priced, budgets shown, config changes move it."""

from __future__ import annotations

import copy

import pytest

from stacks.cost import estimate, load_prices
from stacks.cost.skus import PRICERS, free_reason, unmodelled_reason
from stacks.harness import Plan, run_stack
from stacks.harness.run import stack_config
from stacks.reports import cost as cost_report

STACKS = ("local", "dev", "staging", "prod")
PRICES = load_prices()


@pytest.fixture(scope="module")
def plans() -> dict[str, Plan]:
    return {name: run_stack(name) for name in STACKS}


@pytest.mark.parametrize("stack", STACKS)
def test_every_sku_used_by_every_stack_has_a_price(plans: dict[str, Plan], stack: str) -> None:
    plan = plans[stack]
    est = estimate(plan)  # raises EstimateError on any unpriced SKU, unclassified type or missing usage
    for line in est.lines:
        assert line.unit_price > 0, line
        assert line.region in PRICES.sku(line.sku).prices, line
    for r in plan.custom_resources:
        assert r.type in PRICERS or free_reason(r.type) or unmodelled_reason(r.type), f"{r.type} is unclassified"


def test_local_costs_nothing_and_cloud_stacks_cost_something(plans: dict[str, Plan]) -> None:
    assert estimate(plans["local"]).total == 0
    totals = {s: estimate(plans[s]).total for s in ("dev", "staging", "prod")}
    assert 0 < totals["dev"] < totals["staging"] < totals["prod"]


def test_prod_is_priced_in_all_four_regions_plus_cloudflare(plans: dict[str, Plan]) -> None:
    regions = set(estimate(plans["prod"]).by("region"))
    assert regions == {"us-east-1", "eu-west-1", "ap-southeast-1", "eu-central-1", "global"}


def test_prod_tenant_costs_follow_the_tenant_tag(plans: dict[str, Plan]) -> None:
    by_tenant = estimate(plans["prod"]).by("tenant")
    # enterprise tenants have their own databases: at least their writer instance is theirs
    floor = PRICES.price("aurora.instance.db.r7g.large", "us-east-1") * 730
    assert by_tenant["initech"] >= floor
    assert by_tenant["shared"] > by_tenant["initech"]


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_report_shows_total_beside_the_guide_budget(plans: dict[str, Plan], stack: str) -> None:
    rep = cost_report.report(plans[stack])
    band = {"dev": "$200.00-$350.00", "staging": "$500.00-$850.00", "prod": "$3,800.00-$6,350.00"}[stack]
    assert rep.lines[0].startswith("monthly total: $") and band in rep.lines[0]
    assert rep.data["guide_budget"]["verdict"] in {"below", "within", "above"}
    assert rep.data["monthly_total"] == pytest.approx(sum(rep.data["by_region"].values()), abs=0.05)
    assert rep.data["monthly_total"] == pytest.approx(sum(rep.data["by_tenant"].values()), abs=0.05)


def test_changing_the_instance_class_moves_the_estimate_by_the_price_difference(plans: dict[str, Plan]) -> None:
    base = plans["staging"]
    db = copy.deepcopy(stack_config("staging")["agentic-platform:database"])
    assert db["instance_class"] == "db.t4g.medium"
    db["instance_class"] = "db.r6g.large"
    changed = run_stack("staging", overrides={"agentic-platform:database": db})
    instances = [r for r in base.of_type("aws:rds/clusterInstance:ClusterInstance")
                 if r.inputs.get("instanceClass") == "db.t4g.medium"]
    assert len(instances) == 1 + db["readers"]  # writer + readers, from config
    diff = PRICES.price("aurora.instance.db.r6g.large", "us-east-1") - PRICES.price(
        "aurora.instance.db.t4g.medium", "us-east-1")
    # the proxy bills per vCPU behind it: both classes have 2, so only the instances move
    delta = estimate(changed).total - estimate(base).total
    assert delta == pytest.approx(diff * len(instances) * 730)


def test_changing_a_node_type_moves_the_estimate(plans: dict[str, Plan]) -> None:
    cluster = copy.deepcopy(stack_config("dev")["agentic-platform:cluster"])
    system = cluster["node_groups"]["system"]  # on demand
    assert system["instance_types"] == ["t4g.medium"]
    system["instance_types"] = ["t4g.large"]
    changed = run_stack("dev", overrides={"agentic-platform:cluster": cluster})
    diff = PRICES.price("ec2.t4g.large", "us-east-1") - PRICES.price("ec2.t4g.medium", "us-east-1")
    delta = estimate(changed).total - estimate(plans["dev"]).total
    assert delta == pytest.approx(diff * system["desired_size"] * 730)


def test_rds_managed_master_password_secret_is_billed() -> None:
    """A regional cluster's master password lives in a secret RDS creates (not in the plan as a
    Secret resource): the estimate bills it on the cluster."""
    from stacks.reports import cost as cost_report
    rep = cost_report.report(run_stack("dev"))
    managed = [line for line in rep.data["lines"]
               if line["sku"] == "secretsmanager.secret" and "aws:rds/cluster:Cluster" in str(line)]
    assert managed, [line for line in rep.data["lines"] if line["sku"] == "secretsmanager.secret"]
