"""Tenants: placement by residency, dedicated namespaces, enterprise stores, budgets."""

from __future__ import annotations

from typing import Any

from stacks.compose.data import DataDomains
from stacks.compose.types import RegionBase, RegionContext, RegionData


def build_tenants(contexts: dict[str, RegionContext], bases: dict[str, RegionBase],
                  data: dict[str, RegionData], domains: DataDomains) -> dict[str, Any]:
    """Placeholder. Returns the per-tenant export (placement and stores)."""
    return {}
