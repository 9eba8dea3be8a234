"""Give one Kubernetes service account an IAM role through EKS Pod Identity.

Pod Identity instead of IRSA: no OIDC trust per cluster to maintain, session tags
(`kubernetes-namespace`, `kubernetes-service-account`) for ABAC, and it keeps working with
IMDS hop limit 1 on nodes (C27). Trust needs both sts:AssumeRole and sts:TagSession (C35);
the confused-deputy conditions pin the role to this account and this cluster.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

IAM_ROLE_NAME_MAX = 64


def pod_identity_trust_policy(account_id: str, cluster_arn: str, namespace: str,
                              service_account: str) -> dict[str, Any]:
    """Only the Pod Identity agent, for this cluster, and only for one namespace/service account.

    The association alone does not bind a role: any association in the account naming the role
    could use it. The agent sets `kubernetes-namespace` and `kubernetes-service-account` session
    tags on every AssumeRole, so the trust policy can require them
    (https://docs.aws.amazon.com/eks/latest/userguide/pod-id-role.html).
    """
    return {
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "EksPodIdentity",
            "Effect": "Allow",
            "Principal": {"Service": "pods.eks.amazonaws.com"},
            "Action": ["sts:AssumeRole", "sts:TagSession"],
            "Condition": {
                "StringEquals": {"aws:SourceAccount": account_id,
                                 "aws:RequestTag/kubernetes-namespace": namespace,
                                 "aws:RequestTag/kubernetes-service-account": service_account},
                "ArnEquals": {"aws:SourceArn": cluster_arn},
            },
        }],
    }


def role_name(prefix: str, purpose: str) -> str:
    """`<prefix>-<purpose>` within IAM's 64 characters; long names keep a stable hash suffix."""
    full = f"{prefix}-{purpose}"
    if len(full) <= IAM_ROLE_NAME_MAX:
        return full
    digest = hashlib.sha1(full.encode()).hexdigest()[:8]
    return f"{full[: IAM_ROLE_NAME_MAX - 9]}-{digest}"


@dataclass
class PodIdentityRoleArgs:
    cluster_name: pulumi.Input[str]
    cluster_arn: pulumi.Input[str]
    account_id: str
    region: str
    role_name: str
    """Physical IAM name; IAM is global, so it must carry the region (see `role_name`)."""
    namespace: str
    service_account: str
    policy_json: pulumi.Input[str] | None = None
    """Inline policy document (JSON); least privilege for this one workload."""
    managed_policy_arns: Sequence[str] = field(default_factory=tuple)
    associate: bool = True
    """False when an EKS add-on creates the association itself (`pod_identity_associations`)."""
    after: Sequence[pulumi.Resource] = ()
    """The association waits for these (the eks-pod-identity-agent add-on)."""
    tags: Mapping[str, str] | None = None
    """Extra tags on the role and the association (a tenant's id, residency and cost center), on
    top of the provider's default tags, so a tenant's IAM shows in its cost and access reviews."""


class PodIdentityRole(pulumi.ComponentResource):
    role_arn: pulumi.Output[str]
    role_name: pulumi.Output[str]
    association_id: pulumi.Output[str] | None

    def __init__(self, name: str, args: PodIdentityRoleArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("agentic:eks:PodIdentityRole", name, {}, opts)
        child = pulumi.ResourceOptions(parent=self)
        trust = pulumi.Output.from_input(args.cluster_arn).apply(
            lambda arn: json.dumps(pod_identity_trust_policy(args.account_id, arn, args.namespace,
                                                             args.service_account)))
        role = aws.iam.Role(
            f"{name}-role",
            name=args.role_name,
            description=f"Pod Identity: {args.namespace}/{args.service_account}",
            assume_role_policy=trust,
            tags=dict(args.tags) if args.tags else None,
            opts=child,
        )
        grants: list[pulumi.Resource] = []
        if args.policy_json is not None:
            grants.append(aws.iam.RolePolicy(f"{name}-policy", role=role.id, policy=args.policy_json, opts=child))
        for i, arn in enumerate(args.managed_policy_arns):
            grants.append(aws.iam.RolePolicyAttachment(f"{name}-managed-{i}", role=role.name, policy_arn=arn,
                                                       opts=child))
        self.association_id = None
        if args.associate:
            assoc = aws.eks.PodIdentityAssociation(
                f"{name}-association",
                region=args.region,
                cluster_name=args.cluster_name,
                namespace=args.namespace,
                service_account=args.service_account,
                role_arn=role.arn,
                tags=dict(args.tags) if args.tags else None,
                opts=pulumi.ResourceOptions(parent=self, depends_on=[*grants, *args.after]),
            )
            self.association_id = assoc.association_id
        self.role_arn = role.arn
        self.role_name = role.name
        self.register_outputs({"role_arn": role.arn})


@dataclass
class PodIdentityFactory:
    """The helper other layers call: `factory(name, namespace, service_account, policy_json)`.

    Returns the role ARN. Roles land under `parent` (the region's grouping) unless the caller
    passes its own `opts`; names carry the cluster (and so the region).
    """

    cluster_name: pulumi.Input[str]
    cluster_arn: pulumi.Input[str]
    account_id: str
    region: str
    resource_prefix: str
    """Prefix of Pulumi resource names (carries environment and region)."""
    name_prefix: str
    """Prefix of IAM role names, e.g. the cluster's physical name (carries the region)."""
    parent: pulumi.Resource | None = None
    aws_provider: pulumi.ProviderResource | None = None
    """The stack's AWS provider (default tags); the grouping parent carries no provider."""
    depends_on: Sequence[pulumi.Resource] = field(default_factory=tuple)
    """Usually the eks-pod-identity-agent add-on."""

    def role(self, name: str, namespace: str, service_account: str, policy_json: pulumi.Input[str] | None, *,
             managed_policy_arns: Sequence[str] = (), associate: bool = True,
             tags: Mapping[str, str] | None = None, opts: pulumi.ResourceOptions | None = None) -> PodIdentityRole:
        base = pulumi.ResourceOptions(
            parent=self.parent, providers={"aws": self.aws_provider} if self.aws_provider is not None else None)
        return PodIdentityRole(
            f"{self.resource_prefix}-{name}",
            PodIdentityRoleArgs(
                cluster_name=self.cluster_name, cluster_arn=self.cluster_arn, account_id=self.account_id,
                region=self.region, role_name=role_name(self.name_prefix, name), namespace=namespace,
                service_account=service_account, policy_json=policy_json,
                managed_policy_arns=managed_policy_arns, associate=associate, after=list(self.depends_on),
                tags=tags),
            opts=pulumi.ResourceOptions.merge(base, opts) if opts is not None else base,
        )

    def __call__(self, name: str, namespace: str, service_account: str, policy_json: pulumi.Input[str],
                 opts: pulumi.ResourceOptions | None = None, *,
                 tags: Mapping[str, str] | None = None) -> pulumi.Output[str]:
        return self.role(name, namespace, service_account, policy_json, tags=tags, opts=opts).role_arn
