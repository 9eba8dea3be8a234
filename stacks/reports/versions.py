"""Preview section: every pinned version, its support status on the day of the run, days left.

Computed from the stack's config and stacks/versions/calendar.yaml on `today()` (the run's UTC
date, or AGENTIC_TODAY=YYYY-MM-DD for a reproducible or "what expires next quarter" run), so the
section changes when a date passes, not when someone edits it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from stacks.config import ConfigError
from stacks.config.errors import key_path
from stacks.config.models_infra import ADDON_DEFAULT
from stacks.dr.report import platform_config
from stacks.harness.plan import Plan
from stacks.reports import Report
from stacks.versions.calendar import today
from stacks.versions.pins import Pin, pinned_versions

STATUS_TEXT = {"standard": "standard support", "extended": "EXTENDED support (paid)",
               "end-of-life": "END OF LIFE", "unknown": "NOT IN CALENDAR"}


def pin_row(pin: Pin, day: dt.date) -> dict[str, Any]:
    status = pin.status(day)
    w = pin.window
    row: dict[str, Any] = {"key": key_path(pin.key), "label": pin.label, "version": pin.version,
                           "status": status or "pinned"}
    if w is not None:
        row.update({"days_left": w.days_left(day), "end_of_standard_support": w.end_of_standard_support,
                    "end_of_extended_support": w.end_of_extended_support, "estimated": w.estimated,
                    "source": w.source})
    return row


def _line(row: dict[str, Any]) -> str:
    head = f"{row['label']} {row['version']}: "
    if row["status"] == "pinned" and row["version"] == ADDON_DEFAULT:
        return head + "EKS's default build for the cluster's Kubernetes version (resolved by `pulumi preview`)"
    if row["status"] == "pinned":
        return head + "pinned (no vendor support window; chart compatibility in docs/versions.md)"
    text = STATUS_TEXT[row["status"]]
    if row["status"] == "unknown":
        return head + text
    left = row.get("days_left")
    if row["status"] == "standard":
        end = row.get("end_of_standard_support")
        text += f", {left} days left (until {end})" if end else ", no end announced"
    elif row["status"] == "extended":
        text += f", {left} days left (until {row.get('end_of_extended_support')})"
    return head + text + (" [estimated date]" if row.get("estimated") else "")


def report(plan: Plan, day: dt.date | None = None) -> Report:
    day = day or today()
    try:
        cfg = platform_config(plan)
    except ConfigError as exc:
        return Report(name="versions", lines=[f"ERROR: cannot read the stack config: {exc}"], data={"error": str(exc)})
    rows = [pin_row(pin, day) for pin in pinned_versions(cfg)]
    if not rows:
        return Report(name="versions", lines=["local stack: no cloud versions pinned"],
                      data={"date": day.isoformat(), "pins": []}, summary="n/a (local)")
    lines = [f"support status on {day.isoformat()} (stacks/versions/calendar.yaml)"]
    width = max(len(r["key"]) for r in rows)
    lines += [f"{r['key']:<{width}}  {_line(r)}" for r in rows]
    behind = [r for r in rows if r["status"] in ("extended", "end-of-life", "unknown")]
    lines.append(f"outside standard support: {len(behind)}" + (" (none)" if not behind else ""))
    data = {"date": day.isoformat(),
            "pins": [{k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in r.items()} for r in rows]}
    return Report(name="versions", lines=lines, data=data,
                  summary=f"{len(behind)} outside standard support" if behind else "all in standard support")
