"""Hardening along the deployment path: filled subnet lists, who is cluster-admin, locked backups.

Each of these passed every per-resource policy before and still failed for real: an empty subnet
list is valid input that AWS refuses at `pulumi up`; a CI role with cluster-admin on prod makes a
leaked workflow token a full cluster compromise; a vault without a lock lets a compromised admin
delete the recovery points that were meant to survive them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pulumi_policy import ResourceValidationArgs

from .config import Settings
from .props import UNKNOWN, get, is_set, items, parse_json
from .spec import Meta, resource_policy, stack_policy
from .stack import StackView

# (type, property holding the subnet list, at least this many subnets). Aurora and ElastiCache
# subnet groups and RDS Proxies need two AZs (RDS Proxy network prerequisites:
# https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-proxy-network-prereqs.html).
SUBNET_LISTS: dict[str, tuple[str, int]] = {
    "aws:rds/subnetGroup:SubnetGroup": ("subnetIds", 2),
    "aws:elasticache/subnetGroup:SubnetGroup": ("subnetIds", 2),
    "aws:rds/proxy:Proxy": ("vpcSubnetIds", 2),
    "aws:rds/proxyEndpoint:ProxyEndpoint": ("vpcSubnetIds", 2),
    "aws:eks/cluster:Cluster": ("vpcConfig.subnetIds", 2),
    "aws:eks/nodeGroup:NodeGroup": ("subnetIds", 1),
}


def _subnets(args: ResourceValidationArgs, s: Settings) -> Iterator[str]:
    path, need = SUBNET_LISTS[args.resource_type]
    value = get(args.props, path)
    if value is UNKNOWN:
        return
    subnets = items(args.props, path)  # elements may be unknown in preview; their count is known
    if len(subnets) < need:
        yield (f"{path} lists {len(subnets)} subnet(s); it needs at least {need}"
               + (" in different Availability Zones" if need > 1 else "")
               + " (AWS refuses it at deployment)")


subnet_lists = resource_policy(
    Meta("subnet-lists-filled", "network",
         "Subnet lists are never empty; Aurora/ElastiCache subnet groups, RDS Proxies and their endpoints and "
         "EKS clusters list at least two subnets (two AZs)."),
    list(SUBNET_LISTS), _subnets)

CLUSTER_ADMIN = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"


def _cluster_admin(args: ResourceValidationArgs, s: Settings) -> Iterator[str]:
    if s.cluster_admin_principals is None or get(args.props, "policyArn") != CLUSTER_ADMIN:
        return
    principal = get(args.props, "principalArn")
    if principal is UNKNOWN:
        yield "principalArn is unknown; cluster-admin must name a principal of clusterAdminPrincipals"
    elif principal not in s.cluster_admin_principals:
        allowed = ", ".join(s.cluster_admin_principals) or "none"
        yield (f"{principal} gets AmazonEKSClusterAdminPolicy; on this stack only the break-glass "
               f"principal(s) may ({allowed}); give deploy identities a scoped Kubernetes group instead")


cluster_admin_entries = resource_policy(
    Meta("eks-cluster-admin-break-glass-only", "iam",
         "EKS access entries grant AmazonEKSClusterAdminPolicy only to the stack's clusterAdminPrincipals "
         "(the break-glass role); CI deploys with a scoped RBAC group."),
    ["aws:eks/accessPolicyAssociation:AccessPolicyAssociation"], _cluster_admin)

VAULT = "aws:backup/vault:Vault"
LOCK = "aws:backup/vaultLockConfiguration:VaultLockConfiguration"
VAULT_POLICY = "aws:backup/vaultPolicy:VaultPolicy"


def _for_vault(view: StackView, typ: str, vault: Any) -> list[Any]:
    name = get(vault.props, "name")
    return [r for r in view.of_type(typ)
            if any(t.urn == vault.urn for t in view.refs(r, "backupVaultName", [VAULT]))
            or (isinstance(name, str) and get(r.props, "backupVaultName") == name)]


def _denies_deletion(policy: Any) -> bool:
    doc = parse_json(get(policy.props, "policy"))
    if not isinstance(doc, dict):
        return False
    for st in items(doc, "Statement"):
        actions = [str(a) for a in items(st, "Action")]
        if get(st, "Effect") == "Deny" and any(a in ("backup:DeleteRecoveryPoint", "backup:*") for a in actions):
            return True
    return False


def _vault_lock(view: StackView) -> Iterator[tuple[str, str | None]]:
    mode = view.settings.backup_vault_lock
    if mode == "none":
        return
    for vault in view.of_type(VAULT):
        locks = _for_vault(view, LOCK, vault)
        if not locks:
            yield f"backup vault {vault.name} has no Vault Lock; this stack requires {mode} mode", vault.urn
        elif mode == "compliance" and not any(is_set(get(lk.props, "changeableForDays")) for lk in locks):
            yield (f"backup vault {vault.name} is locked in governance mode (no changeableForDays); this stack "
                   "requires compliance mode"), vault.urn
        if not any(_denies_deletion(p) for p in _for_vault(view, VAULT_POLICY, vault)):
            yield (f"backup vault {vault.name} has no access policy denying backup:DeleteRecoveryPoint"), vault.urn


vault_lock = stack_policy(
    Meta("backup-vault-locked", "backups",
         "Every AWS Backup vault carries Vault Lock in the stack's backupVaultLock mode (compliance in prod, "
         "governance in staging) and an access policy denying recovery-point deletion.",
         ),
    _vault_lock)

POD_IDENTITY = "pods.eks.amazonaws.com"
SCOPE_TAGS = ("aws:RequestTag/kubernetes-namespace", "aws:RequestTag/kubernetes-service-account")


def _pod_identity_trust(args: ResourceValidationArgs, s: Settings) -> Iterator[str]:
    doc = parse_json(get(args.props, "assumeRolePolicy"))
    if not isinstance(doc, dict):
        return
    for i, st in enumerate(items(doc, "Statement")):
        services = [str(x) for x in items(st, "Principal.Service")]
        if get(st, "Effect") != "Allow" or POD_IDENTITY not in services:
            continue
        equals = get(st, "Condition.StringEquals")
        missing = [k for k in SCOPE_TAGS if not isinstance(equals, dict) or not is_set(equals.get(k))]
        if missing:
            yield (f"assumeRolePolicy Statement[{i}] lets EKS Pod Identity assume the role for any namespace or "
                   f"service account; require {', '.join(missing)} (StringEquals)")


pod_identity_trust = resource_policy(
    Meta("pod-identity-trust-scoped", "iam",
         "Roles trusted by EKS Pod Identity require the kubernetes-namespace and kubernetes-service-account "
         "session tags of the one workload they serve."),
    ["aws:iam/role:Role"], _pod_identity_trust)

POLICIES = [subnet_lists, cluster_admin_entries, vault_lock, pod_identity_trust]
