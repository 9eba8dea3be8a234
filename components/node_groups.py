"""Managed node groups on AL2023 with launch templates that hold the node hardening.

AL2 AMIs are out of support and absent for 1.33+ (C25), so the AMI type is AL2023 (arm64 on
Graviton). IMDSv2 with hop limit 1 keeps pods off the node role (they use Pod Identity; the LB
controller gets vpcId/region explicitly, C27). Desired size is ignored after creation: the
autoscaler owns it, and re-applying it would fight scaling (C34 applies when raising min_size).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import pulumi
import pulumi_aws as aws

NODE_POLICIES: tuple[str, ...] = (
    "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
    "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPullOnly",
    "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
    "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
)
"""Node role: join the cluster, pull images, run the VPC CNI (host network), SSM instead of SSH."""


def ami_type(arch: Literal["arm64", "x86_64"]) -> str:
    return "AL2023_ARM_64_STANDARD" if arch == "arm64" else "AL2023_x86_64_STANDARD"


@dataclass(frozen=True)
class NodeGroupSpec:
    name: str
    """Short role name: `system`, `api`, `workers`."""
    instance_types: tuple[str, ...]
    min_size: int
    desired_size: int
    max_size: int
    capacity_type: Literal["ON_DEMAND", "SPOT"] = "ON_DEMAND"
    disk_size_gib: int = 50
    taints: tuple[tuple[str, str, str], ...] = ()
    """(key, value, effect) with effect NO_SCHEDULE / NO_EXECUTE / PREFER_NO_SCHEDULE."""
    labels: Mapping[str, str] = field(default_factory=dict)


def node_role_trust() -> str:
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                       "Action": "sts:AssumeRole"}],
    })


@dataclass
class NodeGroupsArgs:
    region: str
    cluster_name: pulumi.Input[str]
    cluster_physical_name: str
    """Used for IAM/launch-template names (IAM is global: the name carries the region)."""
    version: str
    subnet_ids: Sequence[pulumi.Input[str]]
    node_security_group_id: pulumi.Input[str]
    volume_kms_key_arn: pulumi.Input[str]
    groups: Sequence[NodeGroupSpec]
    arch: Literal["arm64", "x86_64"] = "arm64"
    after: Sequence[pulumi.Resource] = ()
    """What must exist before any node joins: vpc-cni and eks-pod-identity-agent add-ons (C24),
    access entries. Applied to each node group (children do not inherit `depends_on`)."""


class NodeGroups(pulumi.ComponentResource):
    node_role_arn: pulumi.Output[str]
    node_groups: dict[str, aws.eks.NodeGroup]

    def __init__(self, name: str, args: NodeGroupsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("agentic:eks:NodeGroups", name, {}, opts)
        child = pulumi.ResourceOptions(parent=self)
        region = args.region
        cname = args.cluster_physical_name
        role = aws.iam.Role(f"{name}-node-role", name=f"{cname}-node", assume_role_policy=node_role_trust(),
                            opts=child)
        attachments = [
            aws.iam.RolePolicyAttachment(f"{name}-node-{arn.rsplit('/', 1)[-1]}", role=role.name, policy_arn=arn,
                                         opts=child)
            for arn in NODE_POLICIES
        ]
        groups: dict[str, aws.eks.NodeGroup] = {}
        for spec in args.groups:
            lt = aws.ec2.LaunchTemplate(
                f"{name}-{spec.name}-lt",
                region=region,
                name=f"{cname}-{spec.name}",
                description=f"{cname} {spec.name} nodes: IMDSv2 hop 1, encrypted gp3 root",
                update_default_version=True,
                metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(
                    http_endpoint="enabled", http_tokens="required", http_put_response_hop_limit=1,
                    instance_metadata_tags="disabled"),
                block_device_mappings=[aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
                    device_name="/dev/xvda",
                    ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
                        volume_size=spec.disk_size_gib, volume_type="gp3", encrypted="true",
                        kms_key_id=args.volume_kms_key_arn, delete_on_termination="true"))],
                vpc_security_group_ids=[args.node_security_group_id],
                tag_specifications=[
                    aws.ec2.LaunchTemplateTagSpecificationArgs(
                        resource_type=kind, tags={"Name": f"{cname}-{spec.name}", "node-group": spec.name})
                    for kind in ("instance", "volume", "network-interface")
                ],
                opts=child,
            )
            # Small groups roll one node at a time; larger ones a third (tf-eks default).
            small = spec.max_size <= 3
            update = aws.eks.NodeGroupUpdateConfigArgs(max_unavailable=1 if small else None,
                                                       max_unavailable_percentage=None if small else 33)
            groups[spec.name] = aws.eks.NodeGroup(
                f"{name}-{spec.name}",
                region=region,
                cluster_name=args.cluster_name,
                node_group_name_prefix=f"{spec.name}-",
                node_role_arn=role.arn,
                subnet_ids=list(args.subnet_ids),
                version=args.version,
                ami_type=ami_type(args.arch),
                capacity_type=spec.capacity_type,
                instance_types=list(spec.instance_types),
                scaling_config=aws.eks.NodeGroupScalingConfigArgs(
                    min_size=spec.min_size, desired_size=spec.desired_size, max_size=spec.max_size),
                update_config=update,
                launch_template=aws.eks.NodeGroupLaunchTemplateArgs(id=lt.id, version=lt.latest_version.apply(str)),
                labels={"node-group": spec.name, **spec.labels},
                taints=[aws.eks.NodeGroupTaintArgs(key=k, value=v, effect=e) for k, v, e in spec.taints],
                tags={"Name": f"{cname}-{spec.name}"},
                opts=pulumi.ResourceOptions(parent=self, depends_on=[*attachments, *args.after],
                                            ignore_changes=["scalingConfig.desiredSize"]),
            )
        self.node_role_arn = role.arn
        self.node_groups = groups
        self.register_outputs({"node_role_arn": role.arn,
                               "node_groups": {k: g.node_group_name for k, g in groups.items()}})
