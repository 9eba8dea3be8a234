"""A dedicated tenant's namespace on one regional cluster: the guide's Phase 3 isolation unit.

Everything a tenant may consume or reach is bounded here, in one place: a ResourceQuota (and no
LoadBalancer/NodePort Services, so a tenant cannot open its own path from the internet), a
LimitRange so pods without requests still count against the quota, default-deny NetworkPolicies
with narrow allowances, RBAC for the tenant's operators (a Kubernetes group bound by a Role, mapped
from their IAM roles by EKS access entries whose access policy is scoped to this namespace only),
and the service account whose Pod Identity role is granted by the caller.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from app.mesh import mesh_labels
from app.mesh_policies import SECURITY_API, authorization_spec, hbone_network_policy
from app.names import PLATFORM_CORE
from app.security import psa_labels

TENANT_SERVICE_ACCOUNT = "tenant-workload"
POD_IDENTITY_AGENT = "169.254.170.23/32"
"""EKS Pod Identity agent (link-local, port 80): pods fetch their credentials there."""
INSTANCE_METADATA = "169.254.169.254/32"
VIEW_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"

OPERATOR_RULES: tuple[tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]], ...] = (
    # (api groups, resources, verbs): run and debug workloads; no secrets, no exec, no RBAC.
    (("",), ("pods", "pods/log", "services", "configmaps", "persistentvolumeclaims", "events"),
     ("get", "list", "watch")),
    (("",), ("pods", "services", "configmaps", "persistentvolumeclaims"),
     ("create", "update", "patch", "delete")),
    (("apps",), ("deployments", "statefulsets", "replicasets"),
     ("get", "list", "watch", "create", "update", "patch", "delete")),
    (("apps",), ("deployments/scale", "statefulsets/scale"), ("get", "update", "patch")),
    (("batch",), ("jobs", "cronjobs"), ("get", "list", "watch", "create", "update", "patch", "delete")),
    (("autoscaling",), ("horizontalpodautoscalers",), ("get", "list", "watch", "create", "update", "patch",
                                                        "delete")),
)


@dataclass(frozen=True)
class NamespaceQuota:
    cpu: str
    memory: str
    pods: int
    storage: str


def quota_hard(q: NamespaceQuota) -> dict[str, str]:
    """ResourceQuota `hard`: requests and limits both capped, no LB/NodePort services."""
    return {
        "requests.cpu": q.cpu, "limits.cpu": q.cpu,
        "requests.memory": q.memory, "limits.memory": q.memory,
        "pods": str(q.pods),
        "requests.storage": q.storage,
        "persistentvolumeclaims": str(max(1, q.pods)),
        "services.loadbalancers": "0",
        "services.nodeports": "0",
    }


def operator_group(tenant_id: str) -> str:
    return f"tenant-{tenant_id}-operators"


@dataclass
class TenantNamespaceArgs:
    tenant_id: str
    namespace: str
    region: str
    environment: str
    quota: NamespaceQuota
    app_quotas: Mapping[str, int]
    """Application-level quotas (API calls/day, tokens/month, agent minutes/day) for the app."""
    cluster_name: pulumi.Input[str]
    operator_role_arns: Sequence[str] = ()
    labels: Mapping[str, str] = field(default_factory=dict)
    """Tenant labels on every object (tenant, data-residency)."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """AWS tags of the access entries (tenant cost allocation)."""
    mesh: bool = False
    """Put the namespace in the ambient mesh: mTLS with the platform, callers limited to itself and
    the platform (tenants cannot reach each other)."""
    mesh_crds: pulumi.Resource | None = None
    """The release that installs Istio's CRDs (its AuthorizationPolicy waits for it)."""
    platform_namespace: str = PLATFORM_CORE
    """The namespace of the domain cell serving this tenant on this cluster (stacks/cells.py): the
    only platform namespace the tenant's pods talk to and accept calls from. On a cluster hosting
    two cells, a tenant of one domain is thus unreachable from the other domain's api."""


class TenantNamespace(pulumi.ComponentResource):
    """Namespace, quota, limits, network policies, RBAC, access entries, service account.

    Kubernetes objects use the caller's `kubernetes` provider (through `opts.providers`), AWS
    objects (access entries) set `region=` explicitly.
    """

    namespace: pulumi.Output[str]
    service_account: str

    def __init__(self, name: str, args: TenantNamespaceArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("agentic:app:TenantNamespace", name,
                         {"tenant": args.tenant_id, "region": args.region}, opts)
        labels = {**args.labels, "app.kubernetes.io/managed-by": "pulumi",
                  "agentic.io/tenant": args.tenant_id, "agentic.io/environment": args.environment}
        ns = k8s.core.v1.Namespace(
            f"{name}-ns",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=args.namespace,
                labels={**labels, **psa_labels(), **mesh_labels(args.mesh)},
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        in_ns = pulumi.ResourceOptions(parent=self, depends_on=[ns])

        def meta(obj_name: str) -> k8s.meta.v1.ObjectMetaArgs:
            return k8s.meta.v1.ObjectMetaArgs(name=obj_name, namespace=args.namespace, labels=labels)

        k8s.core.v1.ResourceQuota(
            f"{name}-quota", metadata=meta("tenant-quota"),
            spec=k8s.core.v1.ResourceQuotaSpecArgs(hard=quota_hard(args.quota)), opts=in_ns)
        k8s.core.v1.LimitRange(
            f"{name}-limits", metadata=meta("tenant-limits"),
            spec=k8s.core.v1.LimitRangeSpecArgs(limits=[k8s.core.v1.LimitRangeItemArgs(
                type="Container",
                default={"cpu": "1", "memory": "1Gi"},
                default_request={"cpu": "250m", "memory": "256Mi"},
                max={"cpu": args.quota.cpu, "memory": args.quota.memory},
            )]), opts=in_ns)
        self._network_policies(name, meta, in_ns, args.platform_namespace)
        if args.mesh:
            hbone_network_policy(f"{name}-mesh-hbone", args.namespace, labels, in_ns)
            k8s.apiextensions.CustomResource(
                f"{name}-mesh-authz", api_version=SECURITY_API, kind="AuthorizationPolicy",
                metadata=meta("allow-known-callers"),
                spec=authorization_spec(args.namespace, [args.platform_namespace]),
                opts=pulumi.ResourceOptions(parent=self,
                                            depends_on=[ns, *([args.mesh_crds] if args.mesh_crds else [])]))
        k8s.core.v1.ConfigMap(
            f"{name}-app-quotas", metadata=meta("tenant-quotas"),
            data={"quotas.json": json.dumps({args.tenant_id: dict(args.app_quotas)}, sort_keys=True)},
            opts=in_ns)
        sa = k8s.core.v1.ServiceAccount(
            f"{name}-sa", metadata=meta(TENANT_SERVICE_ACCOUNT),
            automount_service_account_token=False, opts=in_ns)
        group = operator_group(args.tenant_id)
        role = k8s.rbac.v1.Role(
            f"{name}-operator-role", metadata=meta("tenant-operator"),
            rules=[k8s.rbac.v1.PolicyRuleArgs(api_groups=list(g), resources=list(r), verbs=list(v))
                   for g, r, v in OPERATOR_RULES],
            opts=in_ns)
        k8s.rbac.v1.RoleBinding(
            f"{name}-operator-binding", metadata=meta("tenant-operators"),
            role_ref=k8s.rbac.v1.RoleRefArgs(api_group="rbac.authorization.k8s.io", kind="Role",
                                             name="tenant-operator"),
            subjects=[k8s.rbac.v1.SubjectArgs(kind="Group", name=group, api_group="rbac.authorization.k8s.io")],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[ns, role]))
        for i, principal in enumerate(args.operator_role_arns):
            entry = aws.eks.AccessEntry(
                f"{name}-operator-{i}",
                region=args.region,
                cluster_name=args.cluster_name,
                principal_arn=principal,
                type="STANDARD",
                kubernetes_groups=[group],
                tags=dict(args.tags),
                opts=pulumi.ResourceOptions(parent=self),
            )
            aws.eks.AccessPolicyAssociation(
                f"{name}-operator-{i}-view",
                region=args.region,
                cluster_name=args.cluster_name,
                principal_arn=principal,
                policy_arn=VIEW_POLICY,
                access_scope={"type": "namespace", "namespaces": [args.namespace]},
                opts=pulumi.ResourceOptions(parent=self, depends_on=[entry]),
            )
        self.namespace = ns.metadata.apply(lambda m: m.name or args.namespace)
        self.service_account = TENANT_SERVICE_ACCOUNT
        self.service_account_resource = sa
        self.register_outputs({"namespace": self.namespace})

    def _network_policies(self, name: str, make: Callable[[str], k8s.meta.v1.ObjectMetaArgs],
                          opts: pulumi.ResourceOptions, cell: str) -> None:
        """Default deny both ways, then: same namespace, DNS, the tenant's cell namespace, HTTPS
        out, and the Pod Identity agent; never the instance metadata service."""
        everything = k8s.meta.v1.LabelSelectorArgs()
        policies: dict[str, k8s.networking.v1.NetworkPolicySpecArgs] = {
            "default-deny": k8s.networking.v1.NetworkPolicySpecArgs(
                pod_selector=everything, policy_types=["Ingress", "Egress"]),
            "allow-same-namespace": k8s.networking.v1.NetworkPolicySpecArgs(
                pod_selector=everything, policy_types=["Ingress", "Egress"],
                ingress=[k8s.networking.v1.NetworkPolicyIngressRuleArgs(
                    from_=[k8s.networking.v1.NetworkPolicyPeerArgs(pod_selector=everything)])],
                egress=[k8s.networking.v1.NetworkPolicyEgressRuleArgs(
                    to=[k8s.networking.v1.NetworkPolicyPeerArgs(pod_selector=everything)])]),
            "allow-dns": k8s.networking.v1.NetworkPolicySpecArgs(
                pod_selector=everything, policy_types=["Egress"],
                egress=[k8s.networking.v1.NetworkPolicyEgressRuleArgs(
                    to=[k8s.networking.v1.NetworkPolicyPeerArgs(
                        namespace_selector=k8s.meta.v1.LabelSelectorArgs(
                            match_labels={"kubernetes.io/metadata.name": "kube-system"}),
                        pod_selector=k8s.meta.v1.LabelSelectorArgs(match_labels={"k8s-app": "kube-dns"}))],
                    ports=[k8s.networking.v1.NetworkPolicyPortArgs(protocol=p, port=53) for p in ("UDP", "TCP")])]),
            f"allow-{cell}": k8s.networking.v1.NetworkPolicySpecArgs(
                pod_selector=everything, policy_types=["Ingress", "Egress"],
                ingress=[k8s.networking.v1.NetworkPolicyIngressRuleArgs(from_=[self._ns_peer(cell)])],
                egress=[k8s.networking.v1.NetworkPolicyEgressRuleArgs(to=[self._ns_peer(cell)])]),
            "allow-https-egress": k8s.networking.v1.NetworkPolicySpecArgs(
                pod_selector=everything, policy_types=["Egress"],
                egress=[k8s.networking.v1.NetworkPolicyEgressRuleArgs(
                    to=[k8s.networking.v1.NetworkPolicyPeerArgs(ip_block=k8s.networking.v1.IPBlockArgs(
                        cidr="0.0.0.0/0", except_=[INSTANCE_METADATA]))],
                    ports=[k8s.networking.v1.NetworkPolicyPortArgs(protocol="TCP", port=443)])]),
            "allow-pod-identity-agent": k8s.networking.v1.NetworkPolicySpecArgs(
                pod_selector=everything, policy_types=["Egress"],
                egress=[k8s.networking.v1.NetworkPolicyEgressRuleArgs(
                    to=[k8s.networking.v1.NetworkPolicyPeerArgs(
                        ip_block=k8s.networking.v1.IPBlockArgs(cidr=POD_IDENTITY_AGENT))],
                    ports=[k8s.networking.v1.NetworkPolicyPortArgs(protocol="TCP", port=80)])]),
        }
        for policy_name, spec in policies.items():
            k8s.networking.v1.NetworkPolicy(f"{name}-netpol-{policy_name}", metadata=make(policy_name),
                                            spec=spec, opts=opts)

    @staticmethod
    def _ns_peer(namespace: str) -> k8s.networking.v1.NetworkPolicyPeerArgs:
        return k8s.networking.v1.NetworkPolicyPeerArgs(namespace_selector=k8s.meta.v1.LabelSelectorArgs(
            match_labels={"kubernetes.io/metadata.name": namespace}))


def tenant_storage_policy(*, bucket_arns: Sequence[str], tenant_id: str, namespace: str, cluster_name: str,
                          kms_key_arns: Sequence[str] = (), secret_arns: Sequence[str] = ()) -> str:
    """The tenant workload role's policy: only `tenants/<id>/*` of its domain buckets.

    ABAC on the session tags EKS Pod Identity sets (`kubernetes-namespace`, `eks-cluster-name`):
    even if this role were associated with another namespace or cluster by mistake, S3 refuses.
    """
    prefix = f"tenants/{tenant_id}/"
    same_session = {"StringEquals": {"aws:PrincipalTag/kubernetes-namespace": namespace,
                                     "aws:PrincipalTag/eks-cluster-name": cluster_name}}
    statements: list[dict[str, object]] = [
        {"Sid": "TenantObjects", "Effect": "Allow",
         "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:GetObjectVersion",
                    "s3:AbortMultipartUpload"],
         "Resource": [f"{arn}/{prefix}*" for arn in bucket_arns],
         "Condition": same_session},
        {"Sid": "TenantListing", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": list(bucket_arns),
         "Condition": {**same_session, "StringLike": {"s3:prefix": [prefix, f"{prefix}*"]}}},
    ]
    if kms_key_arns:
        statements.append({
            "Sid": "BucketKeyThroughS3", "Effect": "Allow",
            "Action": ["kms:Decrypt", "kms:GenerateDataKey"], "Resource": list(kms_key_arns),
            "Condition": {"StringLike": {"kms:ViaService": "s3.*.amazonaws.com"}}})
    if secret_arns:
        statements.append({"Sid": "OwnApiKey", "Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
                           "Resource": list(secret_arns), "Condition": same_session})
    return json.dumps({"Version": "2012-10-17", "Statement": statements}, sort_keys=True)
