"""Layer 4: alarms, audit and the monitoring stack of a region (issue: observability)."""

from __future__ import annotations

from typing import Any

from stacks.compose.types import RegionBase, RegionContext, RegionData, RegionWorkload


def build_observability(ctx: RegionContext, base: RegionBase, data: RegionData,
                        workload: RegionWorkload) -> dict[str, Any]:
    """Placeholder. Returns exports for this region."""
    return {}
