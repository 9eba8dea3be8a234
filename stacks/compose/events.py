"""The opt-in event backbone (`events.enabled`): one `EventBackbone` per data domain over the
domain's regions that run a workload. Off by default: nothing is created and nothing exported.

Built before the workload: each domain cell (stacks/cells.py) is told its own domain's bus and
queue in its own region and its Pod Identity roles are granted exactly those
(`EventsBuild.for_cell`, stacks/compose/workload.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from components.event_backbone import BackboneRegion, EventBackbone, EventBackboneArgs
from stacks.compose.types import RegionContext
from stacks.config import PlatformConfig


@dataclass
class EventsBuild:
    exports: dict[str, Any] = field(default_factory=dict)
    """The `events` output: per domain its regions, bus and queue names."""
    endpoints: dict[tuple[str, str], BackboneRegion] = field(default_factory=dict)
    """(domain, region) -> that domain's bus, queue and key in that region."""

    def for_cell(self, domain: str, region: str) -> BackboneRegion | None:
        """The backbone a cell of `domain` in `region` may use: its own domain's, in its own region."""
        return self.endpoints.get((domain, region))


def build_events(cfg: PlatformConfig, contexts: dict[str, RegionContext]) -> EventsBuild | None:
    """Per domain: its regions, the bus and cache-invalidation queue names (the `events` export;
    the same names in every region of the domain), and per (domain, region) the endpoints."""
    if not cfg.events.enabled or not contexts:
        return None
    out = EventsBuild()
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
        out.exports[dom.name] = {"residency": dom.residency, "regions": list(regions),
                                 "bus_name": backbone.bus_name, "cache_invalidation_queue": backbone.queue_name}
        for region, endpoints in backbone.regions.items():
            out.endpoints[(dom.name, region)] = endpoints
    return out
