"""The opt-in event backbone (`events.enabled`): one `EventBackbone` per data domain over the
domain's regions that run a workload. Off by default: nothing is created and nothing exported."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws

from components.event_backbone import EventBackbone, EventBackboneArgs
from stacks.compose.types import RegionContext
from stacks.config import PlatformConfig


def build_events(cfg: PlatformConfig, contexts: dict[str, RegionContext]) -> dict[str, Any] | None:
    """Per domain: its regions, the bus and cache-invalidation queue names (the `events` export;
    the same names in every region of the domain)."""
    if not cfg.events.enabled or not contexts:
        return None
    out: dict[str, Any] = {}
    for dom in cfg.data_domains:
        regions = [r for r in dom.regions if r in contexts]
        if not regions:
            continue
        home = contexts[regions[0]]  # the domain's primary: the backbone's place in the tree
        account = aws.get_caller_identity_output(
            opts=pulumi.InvokeOutputOptions(parent=home.parent, provider=home.aws_provider)).account_id
        backbone = EventBackbone(f"{cfg.environment}-events-{dom.name}", EventBackboneArgs(
            domain=dom.name, residency=dom.residency, regions=regions, account_id=account,
            name_prefix=f"{cfg.project}-{cfg.environment}", tags=dict(home.tags),
            message_retention_seconds=cfg.events.queue_retention_days * 24 * 3600, protect=cfg.protected,
        ), opts=home.opts())
        out[dom.name] = {"residency": dom.residency, "regions": list(regions), "bus_name": backbone.bus_name,
                         "cache_invalidation_queue": backbone.queue_name}
    return out
