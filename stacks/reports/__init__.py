"""Sections of the offline preview beyond the resource summary: policies, cost, DR.

Each module exposes `report(plan) -> Report`; the preview prints `lines`, writes `data` into
its JSON, and exits non-zero when any report `failed` (a mandatory policy violation).
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
