"""Inter-region VPC peering between two workload regions of one data domain.

The guide's synchronous cross-region calls (and Aurora write forwarding's fallback of calling
the domain primary's API) need private paths between regions; peering is free per hour and
charges only inter-region transfer, where a Transit Gateway would add ~$36/month per attachment
and region. Routes go only to the peer's VPC CIDR, and only into private route tables, so
nothing public ever learns a path into another region.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws


@dataclass
class PeerSide:
    region: str
    vpc_id: pulumi.Input[str]
    cidr: str
    route_table_ids: Sequence[pulumi.Input[str]] = ()
    """Private route tables that get a route to the other side's CIDR (empty: no routes)."""


@dataclass
class VpcPeeringArgs:
    requester: PeerSide
    accepter: PeerSide
    tags: Mapping[str, str] = field(default_factory=dict)


def peer_pairs(regions_by_domain: Mapping[str, Sequence[str]], order: Sequence[str]) -> list[tuple[str, str]]:
    """Every unordered pair of regions sharing a domain, requester first in `order`, no repeats."""
    rank = {r: i for i, r in enumerate(order)}
    pairs: list[tuple[str, str]] = []
    for regions in regions_by_domain.values():
        members = sorted({r for r in regions if r in rank}, key=rank.__getitem__)
        for i, a in enumerate(members):
            for b in members[i + 1:]:
                if (a, b) not in pairs:
                    pairs.append((a, b))
    return pairs


class VpcPeering(pulumi.ComponentResource):
    """Requester in one region, accepter (with `region=`) in the other, routes on both sides."""

    connection_id: pulumi.Output[str]
    accepter_id: pulumi.Output[str]
    """The connection id as the accepter reports it: routes over it wait until the peering is active."""
    routes: dict[str, list[aws.ec2.Route]]
    """region -> the routes this peering adds in that region's private route tables."""
    route_count: int

    def __init__(self, name: str, args: VpcPeeringArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("agentic:network:VpcPeering", name,
                         {"requester": args.requester.region, "accepter": args.accepter.region}, opts)
        req, acc = args.requester, args.accepter
        if req.region == acc.region:
            raise ValueError(f"VpcPeering {name}: both sides are in {req.region}; peer two regions")
        child = pulumi.ResourceOptions(parent=self)
        tags = {**args.tags, "Name": name}
        conn = aws.ec2.VpcPeeringConnection(
            f"{name}-{req.region}-request",
            region=req.region,
            vpc_id=req.vpc_id,
            peer_vpc_id=acc.vpc_id,
            peer_region=acc.region,
            auto_accept=False,  # inter-region peering is accepted on the other side
            tags=tags,
            opts=child,
        )
        accepter = aws.ec2.VpcPeeringConnectionAccepter(
            f"{name}-{acc.region}-accept",
            region=acc.region,
            vpc_peering_connection_id=conn.id,
            auto_accept=True,
            tags=tags,
            opts=child,
        )
        # Private DNS names (RDS/ElastiCache endpoints) resolve to private IPs across the peering.
        aws.ec2.PeeringConnectionOptions(
            f"{name}-{req.region}-options",
            region=req.region,
            vpc_peering_connection_id=accepter.id,
            requester={"allow_remote_vpc_dns_resolution": True},
            opts=child,
        )
        aws.ec2.PeeringConnectionOptions(
            f"{name}-{acc.region}-options",
            region=acc.region,
            vpc_peering_connection_id=accepter.id,
            accepter={"allow_remote_vpc_dns_resolution": True},
            opts=child,
        )
        routes: dict[str, list[aws.ec2.Route]] = {req.region: [], acc.region: []}
        for side, other in ((req, acc), (acc, req)):
            for i, rt in enumerate(side.route_table_ids):
                routes[side.region].append(aws.ec2.Route(
                    f"{name}-{side.region}-route-{i}",
                    region=side.region,
                    route_table_id=rt,
                    destination_cidr_block=other.cidr,
                    vpc_peering_connection_id=accepter.id,
                    opts=child,
                ))
        self.connection_id = conn.id
        self.accepter_id = accepter.id
        self.routes = routes
        self.route_count = sum(len(r) for r in routes.values())
        self.register_outputs({"connection_id": conn.id})
