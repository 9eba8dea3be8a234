"""Global pieces: Cloudflare load balancing, cross-region peering, budgets."""

from __future__ import annotations

from typing import Any

from stacks.compose.types import RegionBase, RegionContext, RegionWorkload
from stacks.config import PlatformConfig


def build_global_traffic(cfg: PlatformConfig, contexts: dict[str, RegionContext],
                         bases: dict[str, RegionBase], workloads: dict[str, RegionWorkload]) -> dict[str, Any]:
    """Placeholder. Returns the `hostnames` export."""
    return {}
