"""One region's VPC: tiered subnets from the pure planner, NAT, isolated data tiers, flow logs.

Written against the secure defaults of the widely used public VPC modules rather than awsx.ec2.Vpc, whose
defaults sit below it (DNS hostnames off, derived subnet layout that drifts on upgrade, C39/C41).
The network owns a small per-region "logs" KMS key: flow logs must be encrypted from the first
`up`, and the data tier's per-purpose keys are created after the base, so they cannot be used
here. The EKS control-plane log group reuses this key.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import pulumi
import pulumi_aws as aws

from components.cidr_plan import CI, DEFAULT_TIERS, RUNNER_TIERS, CidrPlan, plan_subnets
from components.kms_policies import logs_key_policy
from components.vpc_endpoints import INTERFACE_SERVICES, VpcEndpoints, VpcEndpointsArgs


@dataclass
class NetworkArgs:
    region: str
    cidr: str
    """The region's /16 (non-overlapping across regions so domains can peer)."""
    availability_zones: Sequence[str]
    """AZ names, in order; one subnet per tier per AZ."""
    name_prefix: str
    """Physical-name prefix carrying environment and region, e.g. `agentic-platform-prod-use1`."""
    account_id: str
    cluster_name: str
    """EKS cluster that will use the VPC: discovery tags on subnets."""
    nat_gateways: Literal["single", "per_az"] = "per_az"
    """`per_az`: an AZ failure keeps egress in the others; `single` is a dev-only saving."""
    flow_log_retention_days: int = 90
    interface_endpoints: Sequence[str] = field(default_factory=lambda: INTERFACE_SERVICES)
    protect: bool = False
    """Protect the egress IPs and the logs key (staging, prod)."""
    ci_subnets: bool = False
    """Add the `ci` tier (components/cidr_plan.py `CI`): subnets for the CodeBuild runner only, with
    their own route tables (NAT egress, C45), so cross-region rules can admit the runner alone."""


class Network(pulumi.ComponentResource):
    vpc_id: pulumi.Output[str]
    vpc_cidr: str
    plan: CidrPlan
    """The subnet layout (plain values, known at plan time)."""
    public_subnet_ids: list[pulumi.Output[str]]
    private_subnet_ids: list[pulumi.Output[str]]
    database_subnet_ids: list[pulumi.Output[str]]
    cache_subnet_ids: list[pulumi.Output[str]]
    private_route_table_ids: list[pulumi.Output[str]]
    ci_subnet_ids: list[pulumi.Output[str]]
    """The runner's subnets (empty without `ci_subnets`): no node, pod, load balancer or endpoint."""
    ci_route_table_ids: list[pulumi.Output[str]]
    """One per CI subnet: default route to the AZ's NAT; CI peering routes are added here only."""
    database_subnet_group: pulumi.Output[str]
    """Name of the Aurora subnet group (isolated database subnets)."""
    cache_subnet_group: pulumi.Output[str]
    """Name of the ElastiCache subnet group (isolated cache subnets)."""
    nat_public_ips: list[pulumi.Output[str]]
    """Stable egress IPs (for allow-listing by LLM/tool providers)."""
    logs_key_arn: pulumi.Output[str]
    """Per-region KMS key for CloudWatch Logs (flow logs, EKS control-plane logs)."""
    endpoints_security_group_id: pulumi.Output[str]

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("agentic:network:Network", name, {}, opts)
        azs = list(args.availability_zones)
        plan = plan_subnets(args.cidr, len(azs), RUNNER_TIERS if args.ci_subnets else DEFAULT_TIERS)
        self.plan = plan
        self.vpc_cidr = args.cidr
        child = pulumi.ResourceOptions(parent=self)
        region = args.region

        vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            region=region,
            cidr_block=args.cidr,
            enable_dns_hostnames=True,
            enable_dns_support=True,
            tags={"Name": f"{args.name_prefix}-vpc"},
            opts=child,
        )
        # Take over the default SG and route table with no rules/routes: nothing may use them.
        aws.ec2.DefaultSecurityGroup(
            f"{name}-default-sg", region=region, vpc_id=vpc.id, ingress=[], egress=[],
            tags={"Name": f"{args.name_prefix}-default-deny"}, opts=child)
        aws.ec2.DefaultRouteTable(
            f"{name}-default-rt", region=region, default_route_table_id=vpc.default_route_table_id,
            routes=[], tags={"Name": f"{args.name_prefix}-default-unused"}, opts=child)
        igw = aws.ec2.InternetGateway(
            f"{name}-igw", region=region, vpc_id=vpc.id, tags={"Name": f"{args.name_prefix}-igw"}, opts=child)

        def subnets(tier: str, extra_tags: dict[str, str]) -> list[aws.ec2.Subnet]:
            return [
                aws.ec2.Subnet(
                    f"{name}-{tier}-{i}",
                    region=region,
                    vpc_id=vpc.id,
                    cidr_block=cidr,
                    availability_zone=azs[i],
                    map_public_ip_on_launch=False,
                    tags={"Name": f"{args.name_prefix}-{tier}-{azs[i]}", "tier": tier, **extra_tags},
                    opts=child,
                )
                for i, cidr in enumerate(plan.tier(tier))
            ]

        public = subnets("public", {"kubernetes.io/role/elb": "1"})
        private = subnets("private", {"kubernetes.io/role/internal-elb": "1",
                                      "karpenter.sh/discovery": args.cluster_name})
        database = subnets("database", {})
        cache = subnets("cache", {})
        # No discovery tags: Karpenter, the LB controller and EKS never place anything here.
        ci = subnets(CI.name, {}) if args.ci_subnets else []

        public_rt = aws.ec2.RouteTable(
            f"{name}-public-rt", region=region, vpc_id=vpc.id,
            tags={"Name": f"{args.name_prefix}-public"}, opts=child)
        aws.ec2.Route(f"{name}-public-default", region=region, route_table_id=public_rt.id,
                      destination_cidr_block="0.0.0.0/0", gateway_id=igw.id, opts=child)
        for i, s in enumerate(public):
            aws.ec2.RouteTableAssociation(f"{name}-public-{i}", region=region, subnet_id=s.id,
                                          route_table_id=public_rt.id, opts=child)

        # EIPs are their own resources (protected in staging/prod): replacing a NAT gateway
        # re-attaches the same address, so allow-lists at LLM and tool providers keep working.
        nat_count = 1 if args.nat_gateways == "single" else len(azs)
        nat_ids: list[pulumi.Output[str]] = []
        nat_ips: list[pulumi.Output[str]] = []
        for i in range(nat_count):
            eip = aws.ec2.Eip(
                f"{name}-nat-eip-{i}", region=region, domain="vpc",
                tags={"Name": f"{args.name_prefix}-nat-{azs[i]}"},
                opts=pulumi.ResourceOptions(parent=self, protect=args.protect))
            nat = aws.ec2.NatGateway(
                f"{name}-nat-{i}", region=region, allocation_id=eip.allocation_id, subnet_id=public[i].id,
                connectivity_type="public", tags={"Name": f"{args.name_prefix}-nat-{azs[i]}"},
                opts=pulumi.ResourceOptions(parent=self, depends_on=[igw]))
            nat_ids.append(nat.id)
            nat_ips.append(eip.public_ip)

        private_rts: list[aws.ec2.RouteTable] = []
        for i, s in enumerate(private):
            rt = aws.ec2.RouteTable(
                f"{name}-private-rt-{i}", region=region, vpc_id=vpc.id,
                tags={"Name": f"{args.name_prefix}-private-{azs[i]}"}, opts=child)
            aws.ec2.Route(f"{name}-private-default-{i}", region=region, route_table_id=rt.id,
                          destination_cidr_block="0.0.0.0/0", nat_gateway_id=nat_ids[i % nat_count],
                          opts=child)
            aws.ec2.RouteTableAssociation(f"{name}-private-{i}", region=region, subnet_id=s.id,
                                          route_table_id=rt.id, opts=child)
            private_rts.append(rt)

        # The runner's tier: like private (egress through the AZ's NAT: CodeBuild in a VPC needs a
        # private subnet with NAT, C45) but its own tables, which only CI peering routes join.
        ci_rts: list[aws.ec2.RouteTable] = []
        for i, s in enumerate(ci):
            rt = aws.ec2.RouteTable(
                f"{name}-ci-rt-{i}", region=region, vpc_id=vpc.id,
                tags={"Name": f"{args.name_prefix}-ci-{azs[i]}", "tier": CI.name}, opts=child)
            aws.ec2.Route(f"{name}-ci-default-{i}", region=region, route_table_id=rt.id,
                          destination_cidr_block="0.0.0.0/0", nat_gateway_id=nat_ids[i % nat_count],
                          opts=child)
            aws.ec2.RouteTableAssociation(f"{name}-ci-{i}", region=region, subnet_id=s.id,
                                          route_table_id=rt.id, opts=child)
            ci_rts.append(rt)

        # Isolated tiers: a route table with only the implicit local route. No IGW, no NAT.
        for tier, tier_subnets in (("database", database), ("cache", cache)):
            rt = aws.ec2.RouteTable(
                f"{name}-{tier}-rt", region=region, vpc_id=vpc.id, routes=[],
                tags={"Name": f"{args.name_prefix}-{tier}-isolated"}, opts=child)
            for i, s in enumerate(tier_subnets):
                aws.ec2.RouteTableAssociation(f"{name}-{tier}-{i}", region=region, subnet_id=s.id,
                                              route_table_id=rt.id, opts=child)

        db_group = aws.rds.SubnetGroup(
            f"{name}-database", region=region, name=f"{args.name_prefix}-database",
            description="Aurora: isolated database subnets", subnet_ids=[s.id for s in database], opts=child)
        cache_group = aws.elasticache.SubnetGroup(
            f"{name}-cache", region=region, name=f"{args.name_prefix}-cache",
            description="ElastiCache: isolated cache subnets", subnet_ids=[s.id for s in cache], opts=child)

        logs_key = aws.kms.Key(
            f"{name}-logs-key",
            region=region,
            description=f"{args.name_prefix}: CloudWatch Logs (VPC flow logs, EKS control plane)",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=json.dumps(logs_key_policy(args.account_id, region)),
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        aws.kms.Alias(f"{name}-logs-key-alias", region=region, name=f"alias/{args.name_prefix}-logs",
                      target_key_id=logs_key.key_id, opts=child)
        flow_group = aws.cloudwatch.LogGroup(
            f"{name}-flow-logs",
            region=region,
            name=f"/aws/vpc/{args.name_prefix}/flow-logs",
            retention_in_days=args.flow_log_retention_days,
            kms_key_id=logs_key.arn,
            opts=child,
        )
        flow_role = aws.iam.Role(
            f"{name}-flow-logs-role",
            name=f"{args.name_prefix}-flow-logs",
            assume_role_policy=json.dumps({
                "Version": "2012-10-17",
                "Statement": [{
                    "Effect": "Allow",
                    "Principal": {"Service": "vpc-flow-logs.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                    "Condition": {"StringEquals": {"aws:SourceAccount": args.account_id}},
                }],
            }),
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-flow-logs-policy",
            role=flow_role.id,
            policy=flow_group.arn.apply(lambda arn: json.dumps({
                "Version": "2012-10-17",
                "Statement": [{
                    "Effect": "Allow",
                    "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                    "Resource": [arn, f"{arn}:*"],
                }],
            })),
            opts=child,
        )
        aws.ec2.FlowLog(
            f"{name}-flow-log",
            region=region,
            vpc_id=vpc.id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=flow_group.arn,
            iam_role_arn=flow_role.arn,
            max_aggregation_interval=60,
            tags={"Name": f"{args.name_prefix}-flow-log"},
            opts=child,
        )

        endpoints = VpcEndpoints(
            f"{name}-endpoints",
            VpcEndpointsArgs(region=region, vpc_id=vpc.id, vpc_cidr=args.cidr,
                             subnet_ids=[s.id for s in private],
                             gateway_route_table_ids=[rt.id for rt in (*private_rts, *ci_rts)],
                             interface_services=list(args.interface_endpoints)),
            opts=child,
        )

        self.vpc_id = vpc.id
        self.public_subnet_ids = [s.id for s in public]
        self.private_subnet_ids = [s.id for s in private]
        self.database_subnet_ids = [s.id for s in database]
        self.cache_subnet_ids = [s.id for s in cache]
        self.private_route_table_ids = [rt.id for rt in private_rts]
        self.ci_subnet_ids = [s.id for s in ci]
        self.ci_route_table_ids = [rt.id for rt in ci_rts]
        self.database_subnet_group = db_group.name
        self.cache_subnet_group = cache_group.name
        self.nat_public_ips = nat_ips
        self.nat_gateway_ids = nat_ids
        self.logs_key_arn = logs_key.arn
        self.endpoints_security_group_id = endpoints.security_group_id
        self.register_outputs({
            "vpc_id": vpc.id,
            "private_subnet_ids": self.private_subnet_ids,
            "database_subnet_group": db_group.name,
            "cache_subnet_group": cache_group.name,
            "nat_public_ips": nat_ips,
        })
