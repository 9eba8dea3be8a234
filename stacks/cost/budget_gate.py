"""The budget gate: a stack whose estimate exceeds `budget.environment_monthly_usd` fails the preview.

An AWS Budget alert only fires after the money is spent; the same figure checked against the
plan stops an over-budget design before `pulumi up`. The message names the biggest lines so the
reader sees where to cut (the detail is `python -m stacks.cost <stack> --lines`).
"""

from __future__ import annotations

from dataclasses import dataclass

from stacks.cost.estimate import Estimate

TOP_LINES = 5


@dataclass(frozen=True)
class BudgetGate:
    budget: float | None
    total: float
    top: tuple[tuple[str, float], ...]
    """(resource and SKU, monthly USD) of the biggest lines, largest first."""

    @property
    def exceeded(self) -> bool:
        return self.budget is not None and self.total > self.budget

    def message(self, stack: str) -> str:
        if self.budget is None:
            return f"stack {stack}: no budget.environment_monthly_usd, the estimate is not gated"
        if not self.exceeded:
            return (f"budget gate: ${self.total:,.2f} is within agentic-platform:budget.environment_monthly_usd "
                    f"${self.budget:,.2f} (${self.budget - self.total:,.2f} headroom)")
        top = "; ".join(f"{name} ${value:,.2f}" for name, value in self.top)
        return (f"BUDGET EXCEEDED: ${self.total:,.2f} > agentic-platform:budget.environment_monthly_usd "
                f"${self.budget:,.2f} (over by ${self.total - self.budget:,.2f}); top lines: {top}; "
                f"resize them or raise the budget (detail: python -m stacks.cost {stack} --lines)")


def budget_gate(est: Estimate, budget: float | None, top: int = TOP_LINES) -> BudgetGate:
    """Gate an estimate on the stack's budget; the top lines sum each resource's SKUs together."""
    per_line: dict[str, float] = {}
    for line in est.lines:
        key = f"{line.resource} [{line.sku}]"
        per_line[key] = per_line.get(key, 0.0) + line.monthly
    ranked = sorted(per_line.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
    return BudgetGate(budget=budget, total=round(est.total, 2),
                      top=tuple((k, round(v, 2)) for k, v in ranked))
