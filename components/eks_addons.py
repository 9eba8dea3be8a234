"""EKS managed add-ons in the order AWS needs them (C24).

`BootstrapAddons` (vpc-cni with network policy, eks-pod-identity-agent) go before any node:
nodes need the CNI to become Ready and pods need the agent for credentials. `NodeAddons`
(coredns, kube-proxy, aws-ebs-csi-driver) run pods, so they go after the node groups, or they
sit DEGRADED for 20 minutes and fail. Versions come from config: an exact build, or `default`
for the build EKS marks default for the cluster's minor (`addon_version`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.pod_identity import PodIdentityFactory

DEFAULT = "default"


def addon_version(addon: str, configured: str, kubernetes_version: str, region: str,
                  opts: pulumi.InvokeOutputOptions | None = None) -> pulumi.Input[str]:
    """`configured` itself, or for `default` EKS's default build of `addon` for `kubernetes_version`
    (https://docs.aws.amazon.com/eks/latest/APIReference/API_DescribeAddonVersions.html: each
    compatibility lists `defaultVersion`; the data source returns it when `most_recent` is false)."""
    if configured != DEFAULT:
        return configured
    return aws.eks.get_addon_version_output(addon_name=addon, kubernetes_version=kubernetes_version,
                                            most_recent=False, region=region, opts=opts).version


VPC_CNI_CONFIG = {"enableNetworkPolicy": "true", "env": {"ENABLE_PREFIX_DELEGATION": "true"}}
"""Network policy enforcement (default-deny per namespace) and prefix delegation (pod density)."""


def ebs_csi_kms_policy(key_arn: str) -> str:
    """The managed EBS CSI policy does not cover customer keys: allow ours (grants for EC2 only)."""
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Resource": key_arn,
             "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"]},
            {"Effect": "Allow", "Resource": key_arn, "Action": ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
             "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}}},
        ],
    })


@dataclass
class BootstrapAddonsArgs:
    region: str
    cluster_name: pulumi.Input[str]
    vpc_cni_version: pulumi.Input[str]
    pod_identity_agent_version: pulumi.Input[str]


class BootstrapAddons(pulumi.ComponentResource):
    """Add-ons that must exist before the first node joins."""

    addons: list[aws.eks.Addon]

    def __init__(self, name: str, args: BootstrapAddonsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("agentic:eks:BootstrapAddons", name, {}, opts)
        child = pulumi.ResourceOptions(parent=self)
        cni = aws.eks.Addon(
            f"{name}-vpc-cni", region=args.region, cluster_name=args.cluster_name, addon_name="vpc-cni",
            addon_version=args.vpc_cni_version, configuration_values=json.dumps(VPC_CNI_CONFIG),
            resolve_conflicts_on_create="OVERWRITE", resolve_conflicts_on_update="OVERWRITE", opts=child)
        agent = aws.eks.Addon(
            f"{name}-pod-identity-agent", region=args.region, cluster_name=args.cluster_name,
            addon_name="eks-pod-identity-agent", addon_version=args.pod_identity_agent_version,
            resolve_conflicts_on_create="OVERWRITE", resolve_conflicts_on_update="OVERWRITE", opts=child)
        self.addons = [cni, agent]
        self.pod_identity_agent = agent
        self.register_outputs({})


@dataclass
class NodeAddonsArgs:
    region: str
    cluster_name: pulumi.Input[str]
    coredns_version: pulumi.Input[str]
    kube_proxy_version: pulumi.Input[str]
    ebs_csi_version: pulumi.Input[str]
    ebs_kms_key_arn: pulumi.Input[str]
    pod_identity: PodIdentityFactory
    nodes: Sequence[pulumi.Resource]
    """The node groups: every add-on here depends on them."""


class NodeAddons(pulumi.ComponentResource):
    """Add-ons whose pods need nodes."""

    addons: list[aws.eks.Addon]
    ebs_csi_role_arn: pulumi.Output[str]

    def __init__(self, name: str, args: NodeAddonsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("agentic:eks:NodeAddons", name, {}, opts)
        after_nodes = pulumi.ResourceOptions(parent=self, depends_on=list(args.nodes))
        common = {"region": args.region, "cluster_name": args.cluster_name,
                  "resolve_conflicts_on_create": "OVERWRITE", "resolve_conflicts_on_update": "OVERWRITE"}
        coredns = aws.eks.Addon(f"{name}-coredns", addon_name="coredns", addon_version=args.coredns_version,
                                opts=after_nodes, **common)
        kube_proxy = aws.eks.Addon(f"{name}-kube-proxy", addon_name="kube-proxy",
                                   addon_version=args.kube_proxy_version, opts=after_nodes, **common)
        # The add-on creates the association itself; the role only needs the trust and policies.
        ebs_role = args.pod_identity.role(
            "ebs-csi", "kube-system", "ebs-csi-controller-sa",
            policy_json=pulumi.Output.from_input(args.ebs_kms_key_arn).apply(ebs_csi_kms_policy),
            managed_policy_arns=["arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy"],
            associate=False, opts=pulumi.ResourceOptions(parent=self))
        ebs = aws.eks.Addon(
            f"{name}-ebs-csi", addon_name="aws-ebs-csi-driver", addon_version=args.ebs_csi_version,
            pod_identity_associations=[aws.eks.AddonPodIdentityAssociationArgs(
                role_arn=ebs_role.role_arn, service_account="ebs-csi-controller-sa")],
            opts=after_nodes, **common)
        self.addons = [coredns, kube_proxy, ebs]
        self.ebs_csi_role_arn = ebs_role.role_arn
        self.register_outputs({"ebs_csi_role_arn": ebs_role.role_arn})
