"""Preview section: cost (filled in by its issue)."""

from __future__ import annotations

from stacks.harness.plan import Plan
from stacks.reports import Report


def report(plan: Plan) -> Report:
    """Placeholder: nothing to report yet."""
    return Report(name="cost", lines=["(not implemented yet)"])
