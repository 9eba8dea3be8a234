"""Sections of the offline preview beyond the resource summary: policies, cost, DR.

Each module exposes `report(plan) -> Report`; the preview prints `lines`, writes `data` into
its JSON, shows `summary` (one short phrase) in the stack's status line and the `--all` table,
and exits non-zero when any report `failed` (a mandatory policy violation).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Report:
    name: str
    lines: list[str] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    failed: bool = False
    summary: str = ""
    """A few words for the status line, e.g. "0 mandatory, 12 advisory"; empty: ok/FAILED."""
    in_status: bool = True
    """False for a section that judges nothing (the diagram): no cell in the status line or table."""
