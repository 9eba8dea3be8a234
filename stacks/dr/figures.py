"""The numbers a DR estimate rests on, loaded from `durations.yaml` with where each comes from.

The report only adds these up: a duration lives in the table beside its public source (AWS or
Cloudflare documentation) or the stated assumption behind it, so changing a figure is a reviewed
one-line data change and the preview shows its effect on every verdict at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from stacks.yaml_load import safe_load

TABLE = Path(__file__).with_name("durations.yaml")
TARGET_LABELS = {"rpo": "RPO", "rto": "RTO", "detection": "detection", "failover": "failover",
                 "full_recovery": "full recovery"}


class DurationsError(ValueError):
    """The durations table is malformed: named entry, what is wrong, how to fix it."""


@dataclass(frozen=True)
class DrFigures:
    aurora_global_lag_s: float
    aurora_global_failover_s: float
    aurora_in_region_failover_s: float
    aurora_reader_create_s: float
    s3_rtc_rpo_s: float
    backup_interval_s: float
    operator_trigger_s: float
    region_switch_start_s: float
    app_reconnect_s: float
    capacity_scale_up_s: float
    eks_cold_create_s: float
    region_rebuild_s: float
    snapshot_restore_s: float
    cloudflare_edge_s: float
    sources: dict[str, str] = field(default_factory=dict)
    """entry -> its URL, or "assumption: ..." when no document states the figure."""


def _seconds(entry: Any, where: str) -> float:
    if not isinstance(entry, dict) or not isinstance(entry.get("seconds"), int | float) or entry["seconds"] < 0:
        raise DurationsError(f"{where}: needs `seconds:` as a number >= 0")
    if not (entry.get("source") or entry.get("assumption")):
        raise DurationsError(f"{where}: needs a `source:` URL or an `assumption:` saying why the figure holds")
    return float(entry["seconds"])


def load_table(path: Path = TABLE, overrides: dict[str, float] | None = None
               ) -> tuple[dict[str, float], DrFigures]:
    """(targets, figures) from the table; `overrides` replaces durations by name (tests, what-ifs)."""
    doc = safe_load(path.read_text()) or {}
    targets_doc, durations_doc = doc.get("targets") or {}, doc.get("durations") or {}
    targets = {k: _seconds(targets_doc.get(k), f"{path.name} targets.{k}") for k in TARGET_LABELS}
    names = [f.name for f in fields(DrFigures) if f.name != "sources"]
    unknown = sorted(set(durations_doc) - set(names)) + sorted(set(overrides or {}) - set(names))
    if unknown:
        raise DurationsError(f"{path.name}: unknown duration(s) {unknown}; known: {', '.join(names)}")
    values: dict[str, float] = {}
    sources: dict[str, str] = {}
    for name in names:
        entry = durations_doc.get(name)
        if entry is None:
            raise DurationsError(f"{path.name} durations.{name}: missing; add it with its source or assumption")
        values[name] = _seconds(entry, f"{path.name} durations.{name}")
        sources[name] = str(entry.get("source") or f"assumption: {entry['assumption']}")
    values.update({k: float(v) for k, v in (overrides or {}).items()})
    return targets, DrFigures(**values, sources=sources)


TARGETS, FIGURES = load_table()
