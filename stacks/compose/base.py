"""Layer 1 of a region: network, EKS cluster, cluster add-ons (issue: regional base)."""

from __future__ import annotations

import pulumi

from stacks.compose.types import RegionBase, RegionContext


def build_base(ctx: RegionContext) -> RegionBase:
    """Placeholder until the regional base lands: no resources, unresolved ids."""
    pending = pulumi.Output.from_input(f"pending-{ctx.name}")
    return RegionBase(vpc_id=pending, vpc_cidr=ctx.region.cidr, private_subnet_ids=[])
