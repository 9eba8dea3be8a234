"""Layer 2: keys per region, data domains (Aurora Global, replicated buckets, backups),
and per-region stores (Redis cache and queue, secrets) (issue: data tier)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from stacks.compose.types import RegionBase, RegionContext, RegionData


@dataclass
class DataDomains:
    """Per data domain: what the domain built, by region; exported for ops and placement."""

    exports: dict[str, dict[str, Any]] = field(default_factory=dict)
    by_region: dict[str, dict[str, Any]] = field(default_factory=dict)


def build_region_keys(ctx: RegionContext) -> dict[str, Any]:
    """Placeholder: purpose -> KMS key ARN for the region."""
    return {}


def build_domains(contexts: dict[str, RegionContext], bases: dict[str, RegionBase],
                  keys: dict[str, dict[str, Any]]) -> DataDomains:
    """Placeholder: Aurora Global and replicated buckets per data domain."""
    return DataDomains()


def build_region_data(ctx: RegionContext, base: RegionBase, keys: dict[str, Any],
                      domains: DataDomains) -> RegionData:
    """Placeholder: Redis, secrets and the region's view of its domains' stores."""
    return RegionData(kms_keys=dict(keys))
