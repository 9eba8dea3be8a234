"""Layer 3: the platform workload (app/) on a region's cluster, and the local stack."""

from __future__ import annotations

from typing import Any

from stacks.compose.types import RegionBase, RegionContext, RegionData, RegionWorkload
from stacks.config import PlatformConfig


def build_workload(ctx: RegionContext, base: RegionBase, data: RegionData) -> RegionWorkload:
    """Placeholder until app/ lands."""
    return RegionWorkload()


def build_local(cfg: PlatformConfig) -> dict[str, Any]:
    """Placeholder: the local stack (app/ on the current kube context). Returns stack outputs."""
    return {}
