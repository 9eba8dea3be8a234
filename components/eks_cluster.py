"""The EKS control plane of one region, with every secure default of the bar set explicitly.

pulumi-eks defaults below the bar (public endpoint, no logs, no KMS, EXTENDED upgrade policy,
aws-auth ConfigMap), so this uses `aws.eks.Cluster` directly:
private endpoint (public only for listed CIDRs), API authentication with access entries
(no aws-auth ConfigMap, C32), control-plane logs into a pre-created, KMS-encrypted log group,
secrets envelope encryption with a per-cluster CMK, STANDARD upgrade policy (C31), zonal shift.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import pulumi
import pulumi_aws as aws

from components.kms_policies import account_only_policy, ebs_key_policy

BASE_LOG_TYPES: tuple[str, ...] = ("api", "audit", "authenticator")
PROD_LOG_TYPES: tuple[str, ...] = (*BASE_LOG_TYPES, "controllerManager", "scheduler")
CLUSTER_ADMIN_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
SERVICE_CIDR = "172.20.0.0/16"
"""Kubernetes service range: explicit and outside every region's 10.x VPC range."""


@dataclass
class EksClusterArgs:
    region: str
    cluster_name: str
    """Physical name; carries environment and region."""
    version: str
    vpc_id: pulumi.Input[str]
    vpc_cidr: str
    subnet_ids: Sequence[pulumi.Input[str]]
    """Private subnets (control-plane ENIs)."""
    account_id: str
    logs_key_arn: pulumi.Input[str]
    """KMS key for the control-plane log group (the network's per-region logs key)."""
    public_access_cidrs: Sequence[str] = ()
    """Empty: private endpoint only. Never 0.0.0.0/0 (refused by config validation)."""
    log_types: Sequence[str] = BASE_LOG_TYPES
    log_retention_days: int = 90
    deletion_protection: bool = False
    """Also Pulumi `protect` on the cluster (prod)."""
    protect_keys: bool = False
    """Pulumi `protect` on the secrets and EBS keys (staging, prod): losing them loses data."""
    admin_role_arns: Sequence[str] = field(default_factory=tuple)
    """Principals given cluster-admin through access entries (break-glass; CI outside prod)."""
    deployer_role_arns: Sequence[str] = field(default_factory=tuple)
    """Principals put in `deployer_group` instead (the CI deploy role on prod): RBAC-scoped, not admin."""
    deployer_group: str = "agentic-platform-deployers"
    support_type: Literal["STANDARD", "EXTENDED"] = "STANDARD"
    """STANDARD: EKS auto-upgrades the control plane at the end of standard support instead of
    billing extended support (6x); EXTENDED only when config explicitly accepts extended support."""


class EksCluster(pulumi.ComponentResource):
    cluster: aws.eks.Cluster
    name: pulumi.Output[str]
    arn: pulumi.Output[str]
    endpoint: pulumi.Output[str]
    certificate_authority: pulumi.Output[str]
    oidc_provider_arn: pulumi.Output[str]
    oidc_issuer: pulumi.Output[str]
    cluster_security_group_id: pulumi.Output[str]
    """EKS-created primary SG of the control plane (not attached to nodes, C37)."""
    node_security_group_id: pulumi.Output[str]
    """The only SG on nodes; carries the cluster-owned and Karpenter discovery tags (C36, C37)."""
    secrets_key_arn: pulumi.Output[str]
    ebs_key_arn: pulumi.Output[str]
    """CMK for node root volumes and PersistentVolumes."""
    access_entries: list[pulumi.Resource]

    def __init__(self, name: str, args: EksClusterArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("agentic:eks:EksCluster", name, {}, opts)
        child = pulumi.ResourceOptions(parent=self)
        keep = pulumi.ResourceOptions(parent=self, protect=args.protect_keys or args.deletion_protection)
        region = args.region
        cname = args.cluster_name

        secrets_key = aws.kms.Key(
            f"{name}-secrets-key", region=region,
            description=f"{cname}: Kubernetes secrets envelope encryption",
            enable_key_rotation=True, deletion_window_in_days=30,
            policy=json.dumps(account_only_policy(args.account_id)), opts=keep)
        aws.kms.Alias(f"{name}-secrets-key-alias", region=region, name=f"alias/{cname}-secrets",
                      target_key_id=secrets_key.key_id, opts=child)
        ebs_key = aws.kms.Key(
            f"{name}-ebs-key", region=region,
            description=f"{cname}: node root volumes and PersistentVolumes",
            enable_key_rotation=True, deletion_window_in_days=30,
            policy=json.dumps(ebs_key_policy(args.account_id, region)), opts=keep)
        aws.kms.Alias(f"{name}-ebs-key-alias", region=region, name=f"alias/{cname}-ebs",
                      target_key_id=ebs_key.key_id, opts=child)

        role = aws.iam.Role(
            f"{name}-cluster-role",
            name=f"{cname}-cluster",
            assume_role_policy=json.dumps({
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Principal": {"Service": "eks.amazonaws.com"},
                               "Action": ["sts:AssumeRole", "sts:TagSession"]}],
            }),
            opts=child)
        attach = aws.iam.RolePolicyAttachment(
            f"{name}-cluster-policy", role=role.name,
            policy_arn="arn:aws:iam::aws:policy/AmazonEKSClusterPolicy", opts=child)
        kms_use = aws.iam.RolePolicy(
            f"{name}-cluster-kms", role=role.id,
            policy=secrets_key.arn.apply(lambda arn: json.dumps({
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Resource": arn,
                               "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey"]}],
            })),
            opts=child)

        # EKS writes to /aws/eks/<name>/cluster; creating it first sets retention and KMS.
        # retain_on_delete: EKS re-creates the group while logs still flush after a delete
        # (C33); keeping ours avoids a half-configured group. Re-creating a cluster of the same
        # name needs `pulumi import` of the group (docs/regional-base.md).
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-control-plane-logs", region=region, name=f"/aws/eks/{cname}/cluster",
            retention_in_days=args.log_retention_days, kms_key_id=args.logs_key_arn,
            opts=pulumi.ResourceOptions(parent=self, retain_on_delete=True))

        public = list(args.public_access_cidrs)
        cluster = aws.eks.Cluster(
            f"{name}-cluster",
            region=region,
            name=cname,
            version=args.version,
            role_arn=role.arn,
            bootstrap_self_managed_addons=False,
            vpc_config=aws.eks.ClusterVpcConfigArgs(
                subnet_ids=list(args.subnet_ids),
                endpoint_private_access=True,
                endpoint_public_access=bool(public),
                public_access_cidrs=public or None,
            ),
            access_config=aws.eks.ClusterAccessConfigArgs(
                authentication_mode="API", bootstrap_cluster_creator_admin_permissions=False),
            enabled_cluster_log_types=list(args.log_types),
            encryption_config=aws.eks.ClusterEncryptionConfigArgs(
                provider=aws.eks.ClusterEncryptionConfigProviderArgs(key_arn=secrets_key.arn),
                resources=["secrets"]),
            kubernetes_network_config=aws.eks.ClusterKubernetesNetworkConfigArgs(
                ip_family="ipv4", service_ipv4_cidr=SERVICE_CIDR),
            upgrade_policy=aws.eks.ClusterUpgradePolicyArgs(support_type=args.support_type),
            zonal_shift_config=aws.eks.ClusterZonalShiftConfigArgs(enabled=True),
            deletion_protection=args.deletion_protection,
            opts=pulumi.ResourceOptions(parent=self, protect=args.deletion_protection,
                                        depends_on=[attach, kms_use, log_group]),
        )
        cluster_sg = cluster.vpc_config.apply(lambda c: c.cluster_security_group_id or "")

        # IRSA stays available for charts without Pod Identity support.
        issuer = cluster.identities.apply(
            lambda ids: (ids[0].oidcs[0].issuer or "") if ids and ids[0].oidcs else "")
        oidc = aws.iam.OpenIdConnectProvider(
            f"{name}-oidc", url=issuer, client_id_lists=["sts.amazonaws.com"],
            tags={"Name": f"{cname}-irsa"}, opts=child)

        node_sg = aws.ec2.SecurityGroup(
            f"{name}-node-sg", region=region, vpc_id=args.vpc_id, name=f"{cname}-node",
            description=f"{cname}: worker nodes",
            revoke_rules_on_delete=True,
            tags={"Name": f"{cname}-node", f"kubernetes.io/cluster/{cname}": "owned",
                  "karpenter.sh/discovery": cname},
            opts=child)
        self._node_rules(name, region, node_sg.id, cluster_sg)

        entries: list[pulumi.Resource] = []
        for i, principal in enumerate(args.admin_role_arns):
            entry = aws.eks.AccessEntry(
                f"{name}-admin-{i}", region=region, cluster_name=cluster.name, principal_arn=principal,
                type="STANDARD", opts=child)
            assoc = aws.eks.AccessPolicyAssociation(
                f"{name}-admin-{i}-policy", region=region, cluster_name=cluster.name, principal_arn=principal,
                policy_arn=CLUSTER_ADMIN_POLICY,
                access_scope=aws.eks.AccessPolicyAssociationAccessScopeArgs(type="cluster"),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[entry]))
            entries.extend([entry, assoc])
        for i, principal in enumerate(args.deployer_role_arns):
            entries.append(aws.eks.AccessEntry(
                f"{name}-deployer-{i}", region=region, cluster_name=cluster.name, principal_arn=principal,
                type="STANDARD", kubernetes_groups=[args.deployer_group], opts=child))

        self.cluster = cluster
        self.name = cluster.name
        self.arn = cluster.arn
        self.endpoint = cluster.endpoint
        self.certificate_authority = cluster.certificate_authority.apply(lambda ca: ca.data or "")
        self.oidc_provider_arn = oidc.arn
        self.oidc_issuer = issuer
        self.cluster_security_group_id = cluster_sg
        self.node_security_group_id = node_sg.id
        self.secrets_key_arn = secrets_key.arn
        self.ebs_key_arn = ebs_key.arn
        self.access_entries = entries
        self.register_outputs({"name": cluster.name, "endpoint": cluster.endpoint,
                               "node_security_group_id": node_sg.id})

    def _node_rules(self, name: str, region: str, node_sg: pulumi.Output[str],
                    cluster_sg: pulumi.Output[str]) -> None:
        """tf-eks recommended rules: control plane <-> nodes, node <-> node, egress via NAT/endpoints."""
        child = pulumi.ResourceOptions(parent=self)
        from_cluster = {"https": (443, 443), "kubelet": (10250, 10250), "webhooks": (4443, 4443),
                        "webhooks-6443": (6443, 6443), "webhooks-8443": (8443, 8443),
                        "webhooks-9443": (9443, 9443), "metrics-server": (10251, 10251)}
        for label, (lo, hi) in from_cluster.items():
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-node-from-cp-{label}", region=region, security_group_id=node_sg,
                referenced_security_group_id=cluster_sg, ip_protocol="tcp", from_port=lo, to_port=hi,
                description=f"control plane to nodes: {label}", opts=child)
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-node-self", region=region, security_group_id=node_sg, referenced_security_group_id=node_sg,
            ip_protocol="-1", description="node to node (pods, CoreDNS, ephemeral ports)", opts=child)
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-cp-from-node", region=region, security_group_id=cluster_sg,
            referenced_security_group_id=node_sg, ip_protocol="tcp", from_port=443, to_port=443,
            description="nodes to the Kubernetes API", opts=child)
        # Documented egress: nodes reach AWS APIs, registries and LLM providers via NAT/endpoints.
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-node-egress", region=region, security_group_id=node_sg, cidr_ipv4="0.0.0.0/0",
            ip_protocol="-1", description="egress through NAT and VPC endpoints", opts=child)
