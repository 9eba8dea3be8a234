"""Preview section: the stack's monthly cost beside the deployment guide's budget.

Reads the same plan as the preview, prices it with `stacks.cost`, and shows where the money goes
(region, category, component, tenant, biggest SKUs) and how much of the total rests on
unverified prices. An incomplete estimate (unpriced SKU, unclassified type, missing usage value)
is shown as an error with every gap listed, never as a lower total.
"""

from __future__ import annotations

import json
from typing import Any

from stacks.cost import Estimate, EstimateError, budget_verdict, estimate, load_prices
from stacks.cost.budget_gate import budget_gate
from stacks.cost.commitment import commitment_savings
from stacks.cost.commitment import summary as commitment_summary
from stacks.cost.estimate import GUIDE_BUDGET_LABELS, guide_breakdown
from stacks.cost.prices import PriceTable
from stacks.harness.plan import Plan
from stacks.reports import Report


def usd(value: float) -> str:
    return f"${value:,.2f}"


def configured_budget(plan: Plan) -> float | None:
    """`agentic-platform:budget.environment_monthly_usd`, the stack's own budget alert."""
    raw = plan.config.get("agentic-platform:budget")
    try:
        value = json.loads(raw).get("environment_monthly_usd") if isinstance(raw, str) else None
    except (json.JSONDecodeError, AttributeError):
        return None
    return float(value) if isinstance(value, int | float) else None


def trust_shares(est: Estimate, prices: PriceTable) -> dict[str, float]:
    """Share of the total resting on primary (P), secondary (S) and unverified (U) prices."""
    out = {"P": 0.0, "S": 0.0, "U": 0.0}
    for line in est.lines:
        trust = prices.sku(line.sku).trust
        if line.sku.startswith("ec2.spot."):
            trust = "U"  # the spot factor itself is unverified
        out[trust] += line.monthly
    total = est.total or 1.0
    return {k: round(v / total, 3) for k, v in out.items()}


def _top(values: dict[str, float], limit: int) -> str:
    shown = [f"{k} {usd(v)}" for k, v in list(values.items())[:limit]]
    more = len(values) - limit
    return ", ".join(shown) + (f", ... {more} more" if more > 0 else "")


def report(plan: Plan) -> Report:
    prices = load_prices()
    try:
        est = estimate(plan, prices)
    except EstimateError as exc:
        return Report(name="cost", lines=["ERROR: the estimate is incomplete (an unpriced SKU is never a zero):",
                                          *[f"  {p}" for p in exc.problems]],
                      data={"error": "incomplete", "problems": exc.problems}, failed=True,
                      summary=f"INCOMPLETE ({len(exc.problems)} gap(s))")
    total = est.total
    verdict, band = budget_verdict(plan.stack, total)
    own_budget = configured_budget(plan)
    data: dict[str, Any] = est.to_dict()
    data["guide_budget"] = {"label": GUIDE_BUDGET_LABELS.get(plan.stack), "low": band[0] if band else None,
                            "high": band[1] if band else None, "verdict": verdict}
    data["configured_budget"] = own_budget
    data["guide_breakdown"] = guide_breakdown(est)
    data["price_trust_share"] = trust_shares(est, prices) if est.lines else {}
    if not est.lines:
        note = ("no cloud resources: this stack runs on your own cluster" if plan.stack == "local"
                else "no billable resources in the plan")
        return Report(name="cost", lines=[f"monthly total: {usd(0)} ({note})"], data=data, summary=f"{usd(0)}/month")
    head = f"monthly total: {usd(total)} {est.currency}"
    if band:
        head += f"  | guide budget ({GUIDE_BUDGET_LABELS[plan.stack]}): {usd(band[0])}-{usd(band[1])}: {verdict}"
    if own_budget is not None:
        head += f"  | budget alert at {usd(own_budget)}" + (" (EXCEEDED)" if total > own_budget else "")
    gate = budget_gate(est, own_budget)
    data["commitment_savings"] = [{"name": c.name, "baseline": c.baseline, "discount": c.discount,
                                   "monthly_saving": c.saving, "url": c.url} for c in commitment_savings(est)]
    data["budget_gate"] = {"budget": gate.budget, "exceeded": gate.exceeded,
                           "top_lines": [{"line": k, "monthly": v} for k, v in gate.top]}
    shares = data["price_trust_share"]
    versus = [f"{row['guide_line']} {usd(row['estimate'])} (guide {usd(row['guide_low'])}-{usd(row['guide_high'])})"
              if row["guide_line"] else f"{row['categories'][0]} {usd(row['estimate'])} (not in the guide)"
              for row in data["guide_breakdown"]]
    lines = [
        head,
        f"by region:    {_top(est.by('region'), 8)}",
        *([f"vs guide:     {', '.join(versus)}"] if band else []),
        f"by category:  {_top(est.by('category'), 12)}",
        f"by component: {_top(est.by('component'), 10)}",
        f"by tenant:    {_top(est.by('tenant'), 10)}",
        f"top SKUs:     {_top(est.by('sku'), 8)}",
        f"price trust:  how far to trust the total: {shares['P']:.0%} rests on primary sources (AWS or Cloudflare "
        f"docs, the AWS price API), {shares['S']:.0%} on secondary ones (third-party tables), {shares['U']:.0%} on "
        "unverified figures to confirm with `aws pricing get-products` (each price's source: stacks/cost/prices.yaml)",
        *[f"not modelled: {v['count']} x {t}: {v['reason']}" for t, v in sorted(est.unmodelled.items())],
        f"usage:        {len(est.usage)} assumptions from stacks/cost/usage/defaults.yaml + {plan.stack}.yaml "
        "(JSON: reports.cost.usage_assumptions)",
        commitment_summary(est),
        *([gate.message(plan.stack)] if own_budget is not None else []),
    ]
    data["lines"] = sorted(data["lines"], key=lambda x: (x["region"], x["component"], x["resource"], x["sku"]))
    brief = f"${total:,.0f}/month"
    if band:
        brief += f" (guide ${band[0]:,.0f}-{band[1]:,.0f}: {verdict})"
    if own_budget is not None and total > own_budget:
        brief += f", budget alert ${own_budget:,.0f} exceeded"
    return Report(name="cost", lines=lines, data=data, summary=brief, failed=gate.exceeded)
