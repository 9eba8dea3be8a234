"""The budget gate and the commitment information on the real stacks."""

from __future__ import annotations

import copy

import pytest

from stacks.cost import estimate
from stacks.cost.commitment import commitment_savings
from stacks.cost.estimate import GUIDE_BUDGETS
from stacks.harness import Plan, run_stack
from stacks.harness.run import stack_config
from stacks.preview import preview
from stacks.reports import cost as cost_report

GATED = ("dev", "staging", "prod-small", "prod")


@pytest.mark.parametrize("stack", GATED)
def test_every_stack_is_within_its_guide_band_and_its_budget_is_the_band_top(stack: str) -> None:
    plan = run_stack(stack)
    rep = cost_report.report(plan)
    budget = stack_config(stack)["agentic-platform:budget"]["environment_monthly_usd"]
    assert budget == GUIDE_BUDGETS[stack][1]
    assert not rep.failed, rep.lines
    assert rep.data["budget_gate"] == {"budget": budget, "exceeded": False,
                                       "top_lines": rep.data["budget_gate"]["top_lines"]}
    assert GUIDE_BUDGETS[stack][0] <= rep.data["monthly_total"] <= budget


def test_an_estimate_over_the_budget_fails_the_preview_naming_the_top_lines(dev: Plan) -> None:
    budget = copy.deepcopy(stack_config("dev")["agentic-platform:budget"])
    budget["environment_monthly_usd"] = 100
    plan = run_stack("dev", overrides={"agentic-platform:budget": budget})
    rep = cost_report.report(plan)
    assert rep.failed
    msg = rep.lines[-1]
    assert msg.startswith("BUDGET EXCEEDED: $") and "agentic-platform:budget.environment_monthly_usd $100.00" in msg
    top = rep.data["budget_gate"]["top_lines"]
    assert len(top) == 5 and top[0]["monthly"] >= top[-1]["monthly"]
    assert "aws:eks/cluster:Cluster 'dev-us-east-1-cluster' [eks.cluster.standard]" in msg  # the biggest line


def test_the_preview_exits_non_zero_over_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    budget = copy.deepcopy(stack_config("dev")["agentic-platform:budget"])
    budget["environment_monthly_usd"] = 100
    over = run_stack("dev", overrides={"agentic-platform:budget": budget})
    monkeypatch.setattr("stacks.preview.run_stack", lambda stack: over)
    out: list[str] = []
    assert preview("dev", echo=out.append) == 1
    assert any("BUDGET EXCEEDED" in line for line in out) and "FAILED (cost)" in out[-1]


def test_commitment_saving_is_the_discount_of_the_on_demand_baseline_only(prod: Plan) -> None:
    est = estimate(prod)
    savings = {s.name: s for s in commitment_savings(est)}
    compute = savings["Compute Savings Plan (1 yr, no upfront)"]
    on_demand = sum(line.monthly for line in est.lines if line.sku.startswith("ec2.")
                    and not line.sku.startswith("ec2.spot."))
    assert compute.baseline == pytest.approx(on_demand, abs=0.01) and on_demand > 0
    assert compute.saving == pytest.approx(on_demand * compute.discount, abs=0.01)
    line = next(x for x in cost_report.report(prod).lines if x.startswith("1-yr commitment"))
    assert "not in the total" in line
