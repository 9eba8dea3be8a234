"""The offline preview: run a stack's real program under mocks and summarise the plan.

Works with no cloud credentials and no Pulumi CLI. Prints resources by region, component and
type, the stack outputs, then each report (policies, cost, DR). Exit status: 0 clean, 1 when
the program fails or a report fails (a mandatory policy violation), 2 on bad usage.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from stacks.config import ConfigError
from stacks.harness import Plan, run_stack
from stacks.reports import Report, cost, dr, paths, policy

REPORTS: tuple[Callable[[Plan], Report], ...] = (policy.report, cost.report, dr.report, paths.report)


def _table(title: str, counts: dict[str, int], limit: int = 60) -> list[str]:
    lines = [f"  {title}:"]
    for key, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]:
        lines.append(f"    {n:5d}  {key}")
    if len(counts) > limit:
        lines.append(f"    ... {len(counts) - limit} more")
    return lines


def _short(value: Any, width: int = 100) -> str:
    text = json.dumps(value, default=str, sort_keys=True)
    return text if len(text) <= width else text[: width - 3] + "..."


def summary(plan: Plan) -> list[str]:
    custom = plan.custom_resources
    lines = [f"stack {plan.stack}: {len(custom)} resources "
             f"({len(plan.resources) - len(custom)} components)"]
    lines += _table("by region", dict(plan.count_by_region()))
    lines += _table("by component", dict(plan.count_by_component()), limit=40)
    lines += _table("by type", dict(plan.count_by_type()))
    lines.append("  outputs:")
    for key in sorted(plan.outputs):
        lines.append(f"    {key}: {_short(plan.outputs[key])}")
    return lines


def preview(stack: str, json_path: Path | None = None, echo: Callable[[str], None] = print) -> int:
    try:
        plan = run_stack(stack)
    except ConfigError as exc:
        echo(f"stack {stack}: configuration error\n{exc}")
        return 1
    except Exception as exc:  # noqa: BLE001 - the program's own failure, shown plainly
        echo(f"stack {stack}: the program failed: {type(exc).__name__}: {exc}")
        return 1
    for line in summary(plan):
        echo(line)
    reports = [fn(plan) for fn in REPORTS]
    for rep in reports:
        echo(f"  {rep.name}:")
        for line in rep.lines:
            echo(f"    {line}")
    if json_path is not None:
        data = plan.to_dict()
        data["reports"] = {rep.name: rep.data for rep in reports}
        json_path.write_text(json.dumps(data, indent=2, sort_keys=True, default=str))
        echo(f"  plan written to {json_path}")
    failed = [rep.name for rep in reports if rep.failed]
    if failed:
        echo(f"stack {stack}: FAILED ({', '.join(failed)})")
        return 1
    return 0
