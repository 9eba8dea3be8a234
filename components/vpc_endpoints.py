"""Private paths to AWS APIs so nodes pull images, get tokens and read secrets without NAT.

The EKS private endpoint and the interface endpoints' private DNS both need VPC DNS hostnames
and support on (C41); the Network sets both before creating this component.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

INTERFACE_SERVICES: tuple[str, ...] = (
    "ecr.api", "ecr.dkr", "sts", "logs", "kms", "secretsmanager", "elasticloadbalancing", "ec2",
    "autoscaling",
)
"""What a private EKS cluster needs (blueprints `patterns/fully-private-cluster`)."""


@dataclass
class VpcEndpointsArgs:
    region: str
    vpc_id: pulumi.Input[str]
    vpc_cidr: str
    subnet_ids: Sequence[pulumi.Input[str]]
    """One subnet per AZ (private tier): an endpoint ENI per AZ keeps AZ failures local."""
    gateway_route_table_ids: Sequence[pulumi.Input[str]]
    """Route tables that get the S3 gateway endpoint (free; keeps image layers off NAT)."""
    interface_services: Sequence[str] = field(default_factory=lambda: INTERFACE_SERVICES)


class VpcEndpoints(pulumi.ComponentResource):
    security_group_id: pulumi.Output[str]
    """Allows 443 from the VPC range only; no egress rules."""
    s3_endpoint_id: pulumi.Output[str]
    interface_endpoint_ids: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: VpcEndpointsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("agentic:network:VpcEndpoints", name, {}, opts)
        child = pulumi.ResourceOptions(parent=self)
        sg = aws.ec2.SecurityGroup(
            f"{name}-sg",
            region=args.region,
            vpc_id=args.vpc_id,
            description="Interface endpoints: HTTPS from inside the VPC only",
            ingress=[aws.ec2.SecurityGroupIngressArgs(
                protocol="tcp", from_port=443, to_port=443, cidr_blocks=[args.vpc_cidr],
                description="HTTPS from the VPC")],
            egress=[],
            revoke_rules_on_delete=True,
            tags={"Name": f"{name}-sg"},
            opts=child,
        )
        s3 = aws.ec2.VpcEndpoint(
            f"{name}-s3",
            region=args.region,
            vpc_id=args.vpc_id,
            service_name=f"com.amazonaws.{args.region}.s3",
            vpc_endpoint_type="Gateway",
            route_table_ids=list(args.gateway_route_table_ids),
            tags={"Name": f"{name}-s3"},
            opts=child,
        )
        endpoints: dict[str, pulumi.Output[str]] = {}
        for service in args.interface_services:
            ep = aws.ec2.VpcEndpoint(
                f"{name}-{service.replace('.', '-')}",
                region=args.region,
                vpc_id=args.vpc_id,
                service_name=f"com.amazonaws.{args.region}.{service}",
                vpc_endpoint_type="Interface",
                private_dns_enabled=True,
                subnet_ids=list(args.subnet_ids),
                security_group_ids=[sg.id],
                tags={"Name": f"{name}-{service}"},
                opts=child,
            )
            endpoints[service] = ep.id
        self.security_group_id = sg.id
        self.s3_endpoint_id = s3.id
        self.interface_endpoint_ids = endpoints
        self.register_outputs({"security_group_id": sg.id, "s3_endpoint_id": s3.id})
