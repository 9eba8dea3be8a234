"""CI-only path from the deploy runner's VPC to another region's private EKS API endpoint.

One `pulumi up` of a multi-region stack drives every region's Kubernetes provider from the one
runner of the deploy region (the first region, `deploy.yml`). Domain peering (components/peering.py)
joins only regions of one data domain, so e.g. us-east-1 (global domain) has no path to
eu-central-1 (EU domain) and the apply fails on that cluster. This component adds exactly the
path the deploy needs and nothing else. The runner sits in its region's own `ci` subnet tier
(components/cidr_plan.py `CI`, own route tables), so every source below is the runner's subnets,
never the node (private) tier that shares the region:

* a VPC peering, tagged `purpose=ci-deploy`, only where the region pair has no domain peering.
  A pair already peered inside a domain reuses that connection (one connection per VPC pair; its
  routes in the peer's private tables already cover the runner's VPC range on the way back).
  Peering is free per hour; only the few MB of manifests per deploy cross regions
  (https://docs.aws.amazon.com/whitepapers/latest/building-scalable-secure-multi-vpc-network-infrastructure/vpc-peering.html);
* routes from the runner's `ci` route tables to the peer's cluster (private) subnets only, over
  the CI or the reused domain connection; on a CI connection, routes back from the peer's private
  route tables to the runner's `ci` subnets only. The peer's database and cache subnets get no
  route (isolated tiers with their own route table, components/network.py);
* the peer cluster security group admits TCP 443 from the runner's `ci` subnet CIDRs, nothing
  else: a security group cannot reference a group of a peer VPC in another region, so the rule
  names CIDRs (C46), and those CIDRs hold nothing but the runner.
  DNS needs no option: with public access off EKS advertises the endpoint's private IPs through
  its public DNS name, so a peered VPC resolves it
  (https://repost.aws/knowledge-center/eks-private-cluster-endpoint-vpc).

Residency: the connection carries Kubernetes API calls (manifests and the CI role's requests),
never tenant data: no route reaches a data subnet and the only port open is the API's.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

CI_PURPOSE = "ci-deploy"
"""`purpose` tag of CI-only peerings; the residency policy accepts a cross-domain peering only with it."""
HTTPS = 443


@dataclass(frozen=True)
class CiPeer:
    """A region the deploy runner must reach, and whether a domain peering already joins them."""

    region: str
    reuse_domain_peering: bool


def ci_peer_plan(runner_region: str, vpc_cidrs: Mapping[str, str],
                 domain_pairs: Sequence[tuple[str, str]]) -> list[CiPeer]:
    """Every other region of the stack, in config order, marked reuse when a domain peering joins
    it to the runner region. Refuses overlapping VPC ranges (a peering cannot join them)."""
    if runner_region not in vpc_cidrs:
        raise ValueError(f"deploy runner region {runner_region} is not a region of the stack")
    nets = {r: ipaddress.ip_network(c) for r, c in vpc_cidrs.items()}
    peered = {frozenset(p) for p in domain_pairs}
    out: list[CiPeer] = []
    for region in vpc_cidrs:
        if region == runner_region:
            continue
        if nets[region].overlaps(nets[runner_region]):
            raise ValueError(f"VPC ranges of {runner_region} ({vpc_cidrs[runner_region]}) and {region} "
                             f"({vpc_cidrs[region]}) overlap: the deploy runner cannot be peered to {region}")
        out.append(CiPeer(region, frozenset((runner_region, region)) in peered))
    return out


@dataclass
class CiPeeringArgs:
    runner_region: str
    runner_vpc_id: pulumi.Input[str]
    runner_subnet_cidrs: Sequence[str]
    """The runner's `ci` subnets (the CodeBuild project's only subnets): the only sources the peer admits."""
    runner_route_table_ids: Sequence[pulumi.Input[str]]
    """The `ci` subnets' route tables: the only runner-side tables that learn a route to the peer."""
    peer_region: str
    peer_vpc_id: pulumi.Input[str]
    peer_cluster_subnet_cidrs: Sequence[str]
    """Subnets of the peer's EKS cluster (its endpoint ENIs): the only destinations routed."""
    peer_route_table_ids: Sequence[pulumi.Input[str]]
    peer_cluster_security_group_id: pulumi.Input[str]
    domain_connection_id: pulumi.Input[str] | None = None
    """Set when a domain peering joins the two VPCs (components/peering.py; its accepter's id): no
    second connection, the runner's `ci` tables route the peer's cluster subnets over this one, and
    the domain's routes (whole VPC ranges) in the peer's private tables carry the replies."""
    tags: Mapping[str, str] = field(default_factory=dict)


class CiPeering(pulumi.ComponentResource):
    """Deploy runner -> one peer region's private EKS endpoint (see the module docstring)."""

    connection_id: pulumi.Output[str] | None
    """The CI-only connection (None when a domain peering is reused)."""
    route_count: int

    def __init__(self, name: str, args: CiPeeringArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("agentic:network:CiPeering", name,
                         {"runner": args.runner_region, "peer": args.peer_region}, opts)
        if args.runner_region == args.peer_region:
            raise ValueError(f"CiPeering {name}: the runner already is in {args.peer_region}")
        child = pulumi.ResourceOptions(parent=self)
        if not args.runner_subnet_cidrs or not args.runner_route_table_ids:
            raise ValueError(f"CiPeering {name}: the runner has no ci subnets or route tables in {args.runner_region}")
        self.route_count = 0
        self.connection_id = None
        via: pulumi.Input[str]
        sides: list[tuple[str, Sequence[pulumi.Input[str]], Sequence[str]]] = [
            (args.runner_region, args.runner_route_table_ids, args.peer_cluster_subnet_cidrs)]
        if args.domain_connection_id is not None:
            via = args.domain_connection_id
        else:
            tags = {**args.tags, "Name": name, "purpose": CI_PURPOSE}
            conn = aws.ec2.VpcPeeringConnection(
                f"{name}-{args.runner_region}-request", region=args.runner_region, vpc_id=args.runner_vpc_id,
                peer_vpc_id=args.peer_vpc_id, peer_region=args.peer_region, auto_accept=False, tags=tags,
                opts=child)
            accepter = aws.ec2.VpcPeeringConnectionAccepter(
                f"{name}-{args.peer_region}-accept", region=args.peer_region, vpc_peering_connection_id=conn.id,
                auto_accept=True, tags=tags, opts=child)
            via = accepter.id
            sides.append((args.peer_region, args.peer_route_table_ids, args.runner_subnet_cidrs))
            self.connection_id = conn.id
        for region, tables, destinations in sides:
            for i, rt in enumerate(tables):
                for j, cidr in enumerate(destinations):
                    aws.ec2.Route(f"{name}-{region}-route-{i}-{j}", region=region, route_table_id=rt,
                                  destination_cidr_block=cidr, vpc_peering_connection_id=via, opts=child)
                    self.route_count += 1
        for j, cidr in enumerate(args.runner_subnet_cidrs):
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-{args.peer_region}-api-{j}", region=args.peer_region,
                security_group_id=args.peer_cluster_security_group_id, ip_protocol="tcp", from_port=HTTPS,
                to_port=HTTPS, cidr_ipv4=cidr,
                description=f"CI deploy runner ({args.runner_region} ci subnet) -> private EKS API endpoint",
                opts=child)
        self.register_outputs({"connection_id": self.connection_id, "routes": self.route_count})
