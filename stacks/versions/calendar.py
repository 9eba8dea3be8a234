"""The support calendar (`calendar.yaml`) and a version's support status on a given day.

Versions age out while the code stands still: a pin that was current a year ago now costs six
times as much (EKS extended support) or gets force-upgraded. So the dates are data with their
sources, and every check that depends on "today" takes the day as a parameter: the run's date
by default, `AGENTIC_TODAY=YYYY-MM-DD` to pin it (tests, byte-identical reruns, "what breaks next
quarter" previews).
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

from stacks.yaml_load import safe_load

CALENDAR_FILE = Path(__file__).with_name("calendar.yaml")
TODAY_ENV = "AGENTIC_TODAY"
Status = Literal["standard", "extended", "end-of-life", "unknown"]
PRODUCTS = ("eks", "aurora-postgresql", "elasticache-redis", "elasticache-valkey", "istio")


class CalendarError(ValueError):
    """The calendar file itself is malformed (a missing source, dates out of order)."""


@dataclass(frozen=True)
class SupportWindow:
    product: str
    version: str
    released: dt.date | None
    end_of_standard_support: dt.date | None
    """None: no end announced (the version is in standard support until one is)."""
    end_of_extended_support: dt.date | None
    """None: no extended support (the version is unsupported once standard support ends) or none announced."""
    source: str
    estimated: bool = False
    note: str = ""

    def status(self, day: dt.date) -> Status:
        """Billing for EKS extended support starts at the start of the end-of-standard-support day (UTC)."""
        if self.end_of_standard_support is None or day < self.end_of_standard_support:
            return "standard"
        if self.end_of_extended_support is not None and day < self.end_of_extended_support:
            return "extended"
        return "end-of-life"

    def days_left(self, day: dt.date) -> int | None:
        """Days until the current support phase ends (None: no end announced)."""
        status = self.status(day)
        end = self.end_of_standard_support if status == "standard" else self.end_of_extended_support
        if status == "end-of-life" or end is None:
            return None if status != "end-of-life" else 0
        return (end - day).days


def today(environ: dict[str, str] | None = None) -> dt.date:
    """The day support is judged on: `AGENTIC_TODAY` when set, else the UTC date of the run."""
    raw = (environ if environ is not None else dict(os.environ)).get(TODAY_ENV, "").strip()
    if not raw:
        return dt.datetime.now(dt.UTC).date()
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise CalendarError(f"{TODAY_ENV}={raw!r} is not a date; use YYYY-MM-DD or unset it") from None


def _date(product: str, version: str, key: str, value: Any) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise CalendarError(f"{CALENDAR_FILE.name}: {product} {version}: {key} {value!r} is not a date") from None


def parse_calendar(data: dict[str, Any]) -> dict[tuple[str, str], SupportWindow]:
    windows: dict[tuple[str, str], SupportWindow] = {}
    for product, versions in data.items():
        if product not in PRODUCTS:
            raise CalendarError(f"{CALENDAR_FILE.name}: unknown product '{product}' (known: {', '.join(PRODUCTS)})")
        for raw_version, entry in (versions or {}).items():
            version = str(raw_version)
            if not entry.get("source"):
                raise CalendarError(f"{CALENDAR_FILE.name}: {product} {version} has no source; every date needs one")
            w = SupportWindow(
                product=product, version=version,
                released=_date(product, version, "released", entry.get("released")),
                end_of_standard_support=_date(product, version, "end_of_standard_support",
                                              entry.get("end_of_standard_support")),
                end_of_extended_support=_date(product, version, "end_of_extended_support",
                                              entry.get("end_of_extended_support")),
                source=str(entry["source"]), estimated=bool(entry.get("estimated", False)),
                note=str(entry.get("note", "")))
            ends = [d for d in (w.released, w.end_of_standard_support, w.end_of_extended_support) if d]
            if ends != sorted(ends):
                raise CalendarError(f"{CALENDAR_FILE.name}: {product} {version}: dates out of order "
                                    "(released <= end of standard <= end of extended)")
            windows[(product, version)] = w
    return windows


@cache
def load_calendar(path: Path = CALENDAR_FILE) -> dict[tuple[str, str], SupportWindow]:
    with path.open(encoding="utf-8") as fh:
        return parse_calendar(safe_load(fh) or {})


def window(product: str, version: str) -> SupportWindow | None:
    return load_calendar().get((product, version))
