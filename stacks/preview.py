"""The offline preview: run a stack's real program under mocks and summarise the plan.

Works with no cloud credentials and no Pulumi CLI. Prints resources by region, component and
type, the stack outputs, then each report (config, policies, cost, DR, request paths, versions,
images), the stack's architecture diagram (Mermaid, drawn from the plan) and one status line.
Exit status: 0 clean, 1 when the config is refused, the program fails or a report fails (a
mandatory policy violation, an incomplete cost estimate), 2 on bad usage. The same config
always gives byte-identical text and JSON (the plan's order is fixed in the harness; values
known only after deployment are written as "[unknown]").
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from stacks.config import ConfigError
from stacks.harness import Plan, run_stack
from stacks.harness.stack_file import StackFileError
from stacks.reports import Report, config, cost, diagram, dr, images, paths, policy, versions

REPORTS: tuple[Callable[[Plan], Report], ...] = (config.report, policy.report, cost.report, dr.report, paths.report,
                                                 versions.report, images.report, diagram.report)
TYPES_SHOWN = 15
"""Resource types listed without --verbose (the biggest counts); --verbose lists every type."""


@dataclass
class StackResult:
    """One stack's preview: what the status line and the `--all` table show, and the JSON."""

    stack: str
    code: int
    verdict: str
    resources: int | None = None
    cells: dict[str, str] = field(default_factory=dict)
    """Report name -> its one-line summary."""
    data: dict[str, Any] | None = None
    """The full plan with reports (what --json writes); None when the program did not run."""

    def status_line(self) -> str:
        parts = [f"stack {self.stack}: {self.verdict}"]
        if self.resources is not None:
            parts.append(f"{self.resources:,} resources")
        parts += [f"{name}: {cell}" for name, cell in self.cells.items()]
        return " | ".join(parts)


def _table(title: str, counts: dict[str, int], limit: int = 60, hint: str = "") -> list[str]:
    lines = [f"  {title}:"]
    for key, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]:
        lines.append(f"    {n:5d}  {key}")
    if len(counts) > limit:
        lines.append(f"    ... {len(counts) - limit} more{hint}")
    return lines


def _short(value: Any, width: int = 100) -> str:
    text = json.dumps(value, sort_keys=True)
    return text if len(text) <= width else text[: width - 3] + "..."


def summary(plan: Plan, verbose: bool = False) -> list[str]:
    custom = plan.custom_resources
    lines = [f"stack {plan.stack}: {len(custom)} resources "
             f"({len(plan.resources) - len(custom)} components)"]
    lines += _table("by region", dict(plan.count_by_region()))
    lines += _table("by component", dict(plan.count_by_component()), limit=40)
    by_type = dict(plan.count_by_type())
    lines += _table("by type", by_type, limit=len(by_type) if verbose else TYPES_SHOWN,
                    hint=" types (--verbose lists every type)")
    lines.append("  outputs:")
    data = plan.to_dict()["outputs"]
    for key in sorted(data):
        lines.append(f"    {key}: {_short(data[key])}")
    return lines


def run_preview(stack: str, echo: Callable[[str], None] = print, verbose: bool = False) -> StackResult:
    """Preview one stack, printing as it goes; the result carries the status and the JSON data."""
    try:
        plan = run_stack(stack)
    except ConfigError as exc:
        echo(f"stack {stack}: configuration error\n{exc}")
        return StackResult(stack, 1, f"CONFIG REFUSED ({len(exc.issues)} problem(s))")
    except StackFileError as exc:
        echo(f"stack {stack}: the stack file is unreadable: {exc}")
        return StackResult(stack, 1, "STACK FILE UNREADABLE")
    except Exception as exc:  # noqa: BLE001 - the program's own failure, shown plainly
        echo(f"stack {stack}: the program failed: {type(exc).__name__}: {exc}")
        return StackResult(stack, 1, "PROGRAM FAILED")
    for line in summary(plan, verbose):
        echo(line)
    reports = [fn(plan) for fn in REPORTS]
    for rep in reports:
        echo(f"  {rep.name}:")
        for line in rep.lines:
            echo(f"    {line}")
    data = plan.to_dict()
    data["reports"] = {rep.name: rep.data for rep in reports}
    failed = [rep.name for rep in reports if rep.failed]
    cells = {rep.name: rep.summary or ("FAILED" if rep.failed else "ok") for rep in reports if rep.in_status}
    verdict = f"FAILED ({', '.join(failed)})" if failed else "OK"
    return StackResult(stack, 1 if failed else 0, verdict, len(plan.custom_resources), cells, data)


def preview(stack: str, json_path: Any = None, echo: Callable[[str], None] = print, verbose: bool = False) -> int:
    """Preview one stack, print its status line, write its JSON to `json_path` (a file) if given."""
    result = run_preview(stack, echo, verbose)
    if json_path is not None and result.data is not None:
        json_path.write_text(dump(result.data))
        echo(f"  plan written to {json_path}")
    echo(result.status_line())
    return result.code


def dump(data: Any) -> str:
    """The one JSON form of a plan: sorted keys, two-space indent, a final newline."""
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


def all_table(results: list[StackResult]) -> list[str]:
    """One row per stack: verdict, resources and each report's summary."""
    names: list[str] = []
    for r in results:
        names += [n for n in r.cells if n not in names]
    header = ["stack", "result", "resources", *names]
    rows = [[r.stack, r.verdict, f"{r.resources:,}" if r.resources is not None else "-",
             *[r.cells.get(n, "-") for n in names]] for r in results]
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    fmt = lambda row: "  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()  # noqa: E731
    return [fmt(header), fmt(["-" * w for w in widths]), *[fmt(row) for row in rows]]
