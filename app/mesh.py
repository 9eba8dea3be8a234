"""Linkerd on one regional cluster: mTLS between platform services, timeouts and retries.

Linkerd rather than Istio: one small proxy per pod, mTLS on by default, no Envoy tuning; the
guide asks for mTLS, retries/timeouts and circuit breaking between services, which it covers.

Identity: `identity.externalCA=true`. The trust anchor is a long-lived root kept offline by the
operator; only its public certificate is config (`mesh.trust_anchor_pem`). The issuer
certificate and key (signed by the anchor) live in Secrets Manager and reach the cluster through
External Secrets as `linkerd/linkerd-identity-issuer` (type kubernetes.io/tls), so no private key
ever enters Pulumi state. No pulumi-tls, no cert-manager, no paid Private CA.

Pod Security: the CNI plugin (linkerd2-cni) replaces the NET_ADMIN init container, so meshed
pods still pass PSA `restricted`. Retries and timeouts use a ServiceProfile, the 2.14 mechanism
that has both (HTTPRoute retries only arrive in 2.16).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from app.external_secrets import ESO_API, STORE_NAME, secret_store
from app.names import PLATFORM_CORE, PLATFORM_NAMESPACES

LINKERD_REPO = "https://helm.linkerd.io/stable"
LINKERD_NS = "linkerd"
CNI_NS = "linkerd-cni"
ISSUER_SECRET = "linkerd-identity-issuer"
INJECT = {"linkerd.io/inject": "enabled"}
CONTROL_PLANE_PORTS = (8080, 8086, 8090, 4191)
"""identity, destination, policy, proxy admin: what meshed pods reach in the linkerd namespace."""
CONTROL_PLANE_INGRESS_PORTS = (*CONTROL_PLANE_PORTS, 8443, 9443, 4143)
"""Plus the injector/validator webhooks (8443, 9443) and the control plane's own meshed inbound."""


def mesh_annotations(enabled: bool) -> dict[str, str]:
    """Namespace annotations that mesh a namespace's pods (for the workload layer's namespaces)."""
    return dict(INJECT) if enabled else {}


def trust_anchor_secret_name(project: str, environment: str) -> str:
    """Secrets Manager secret with JSON keys `ca.crt`, `tls.crt`, `tls.key` (operator-provided)."""
    return f"{project}/{environment}/linkerd/trust-anchor"


def service_profile_spec(request_timeout_seconds: int, retries: int) -> dict[str, Any]:
    """Idempotent reads retry within a budget, writes never retry; every route has a timeout.

    Linkerd 2.14 budgets retries instead of counting them: `retryRatio` is the extra load
    retries may add (retries / 10: 2 -> 20%, Linkerd's default), with a floor of 10 retries/s.
    """
    timeout = f"{request_timeout_seconds}s"
    return {
        "routes": [
            {"name": "reads", "condition": {"any": [{"method": "GET"}, {"method": "HEAD"}]},
             "isRetryable": retries > 0, "timeout": timeout},
            {"name": "writes", "condition": {"not": {"any": [{"method": "GET"}, {"method": "HEAD"}]}},
             "isRetryable": False, "timeout": timeout},
        ],
        "retryBudget": {"retryRatio": round(retries / 10, 2), "minRetriesPerSecond": 10, "ttl": "10s"},
    }


def control_plane_values(trust_anchor_pem: str, ha: bool) -> dict[str, Any]:
    values: dict[str, Any] = {
        "identityTrustAnchorsPEM": trust_anchor_pem,
        "identity": {"externalCA": True, "issuer": {"scheme": "kubernetes.io/tls"}},
        "cniEnabled": True,
        "proxy": {"logFormat": "json"},
    }
    if ha:
        values.update({
            "controllerReplicas": 3,
            "enablePodAntiAffinity": True,
            "enablePodDisruptionBudget": True,
            "webhookFailurePolicy": "Fail",
            "deploymentStrategy": {"rollingUpdate": {"maxUnavailable": 1, "maxSurge": "25%"}},
        })
    return values


@dataclass
class MeshArgs:
    region: str
    environment: str
    trust_anchor_pem: str
    issuer_secret_name: str
    """Secrets Manager name holding `ca.crt`/`tls.crt`/`tls.key` in this region (or a replica)."""
    vpc_cidr: str
    """The cluster VPC: the EKS API server reaches the admission webhooks from there."""
    chart_versions: Mapping[str, str]
    """`linkerd_crds`, `linkerd_control_plane`, `linkerd_cni` (pinned, never latest)."""
    request_timeout_seconds: int = 30
    retries: int = 2
    ha: bool = True
    meshed_namespaces: Sequence[str] = PLATFORM_NAMESPACES
    api_service: str = "api"
    api_namespace: str = PLATFORM_CORE
    depends_on: Sequence[pulumi.Resource] = field(default_factory=tuple)
    """External Secrets controller (its CRDs) and anything else the charts need first."""


class LinkerdMesh(pulumi.ComponentResource):
    """CNI, CRDs, issuer secret, control plane, mesh annotations and the API's route policy."""

    control_plane: k8s.helm.v3.Release

    def __init__(self, name: str, args: MeshArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("agentic:app:LinkerdMesh", name, {"region": args.region}, opts)
        for key in ("linkerd_crds", "linkerd_control_plane", "linkerd_cni"):
            if not args.chart_versions.get(key):
                raise ValueError(f"MeshArgs.chart_versions['{key}'] is required (pinned chart version)")
        child = pulumi.ResourceOptions(parent=self)
        labels = {"app.kubernetes.io/part-of": "agentic-platform", "app.kubernetes.io/managed-by": "pulumi",
                  "agentic.io/environment": args.environment}
        ns = k8s.core.v1.Namespace(f"{name}-ns", metadata=k8s.meta.v1.ObjectMetaArgs(
            name=LINKERD_NS,
            labels={**labels, "linkerd.io/is-control-plane": "true", "linkerd.io/control-plane-ns": LINKERD_NS,
                    "config.linkerd.io/admission-webhooks": "disabled",
                    "pod-security.kubernetes.io/enforce": "baseline",
                    "pod-security.kubernetes.io/audit": "restricted",
                    "pod-security.kubernetes.io/warn": "restricted"}), opts=child)
        # The CNI DaemonSet edits each node's CNI chain: privileged by nature, so alone in its namespace.
        cni_ns = k8s.core.v1.Namespace(f"{name}-cni-ns", metadata=k8s.meta.v1.ObjectMetaArgs(
            name=CNI_NS, labels={**labels, "config.linkerd.io/admission-webhooks": "disabled",
                                 "pod-security.kubernetes.io/enforce": "privileged"}), opts=child)
        self._ingress_policies(name, args.vpc_cidr, labels, [ns, cni_ns])
        cni = self._release(name, "linkerd-cni", chart="linkerd2-cni", version=args.chart_versions["linkerd_cni"],
                            namespace=CNI_NS, values={}, depends_on=[cni_ns])
        crds = self._release(name, "linkerd-crds", chart="linkerd-crds", version=args.chart_versions["linkerd_crds"],
                             namespace=LINKERD_NS, values={}, depends_on=[ns])
        after_eso = pulumi.ResourceOptions(parent=self, depends_on=[ns, *args.depends_on])
        store = secret_store(f"{name}-secret-store", LINKERD_NS, args.region, after_eso, labels)
        issuer = k8s.apiextensions.CustomResource(
            f"{name}-issuer", api_version=ESO_API, kind="ExternalSecret",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=ISSUER_SECRET, namespace=LINKERD_NS, labels=labels),
            spec={
                "refreshInterval": "1h",
                "secretStoreRef": {"name": STORE_NAME, "kind": "SecretStore"},
                "target": {"name": ISSUER_SECRET, "creationPolicy": "Owner", "deletionPolicy": "Retain",
                           "template": {"type": "kubernetes.io/tls"}},
                "data": [{"secretKey": k, "remoteRef": {"key": args.issuer_secret_name, "property": k}}
                         for k in ("ca.crt", "tls.crt", "tls.key")],
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=[ns, store, *args.depends_on]))
        self.control_plane = self._release(
            name, "linkerd-control-plane", chart="linkerd-control-plane",
            version=args.chart_versions["linkerd_control_plane"], namespace=LINKERD_NS,
            values=control_plane_values(args.trust_anchor_pem, args.ha), depends_on=[crds, cni, issuer])
        after_cp = pulumi.ResourceOptions(parent=self, depends_on=[self.control_plane])
        for meshed in args.meshed_namespaces:
            # A patch, not the Namespace itself: the workload layer owns the namespaces.
            k8s.core.v1.NamespacePatch(
                f"{name}-inject-{meshed}",
                metadata=k8s.meta.v1.ObjectMetaPatchArgs(name=meshed, annotations=INJECT),
                opts=after_cp)
            k8s.networking.v1.NetworkPolicy(
                f"{name}-netpol-{meshed}",
                metadata=k8s.meta.v1.ObjectMetaArgs(name="allow-linkerd-control-plane", namespace=meshed,
                                                    labels=labels),
                spec=k8s.networking.v1.NetworkPolicySpecArgs(
                    pod_selector=k8s.meta.v1.LabelSelectorArgs(), policy_types=["Egress"],
                    egress=[k8s.networking.v1.NetworkPolicyEgressRuleArgs(
                        to=[k8s.networking.v1.NetworkPolicyPeerArgs(namespace_selector=k8s.meta.v1.LabelSelectorArgs(
                            match_labels={"kubernetes.io/metadata.name": LINKERD_NS}))],
                        ports=[k8s.networking.v1.NetworkPolicyPortArgs(protocol="TCP", port=p)
                               for p in CONTROL_PLANE_PORTS])]),
                opts=after_cp)
        k8s.apiextensions.CustomResource(
            f"{name}-api-profile", api_version="linkerd.io/v1alpha2", kind="ServiceProfile",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=f"{args.api_service}.{args.api_namespace}.svc.cluster.local", namespace=args.api_namespace,
                labels=labels),
            spec=service_profile_spec(args.request_timeout_seconds, args.retries),
            opts=after_cp)
        self.register_outputs({"namespace": LINKERD_NS})

    def _ingress_policies(self, name: str, vpc_cidr: str, labels: Mapping[str, str],
                          namespaces: Sequence[k8s.core.v1.Namespace]) -> None:
        """Default-deny ingress in both namespaces; the control plane admits only its own ports,
        from pods of any namespace and from the VPC (the EKS API server calls the webhooks)."""
        everything = k8s.meta.v1.LabelSelectorArgs()
        opts = pulumi.ResourceOptions(parent=self, depends_on=list(namespaces))
        for ns_name in (LINKERD_NS, CNI_NS):
            k8s.networking.v1.NetworkPolicy(
                f"{name}-{ns_name}-default-deny",
                metadata=k8s.meta.v1.ObjectMetaArgs(name="default-deny-ingress", namespace=ns_name, labels=labels),
                spec=k8s.networking.v1.NetworkPolicySpecArgs(pod_selector=everything, policy_types=["Ingress"]),
                opts=opts)
        k8s.networking.v1.NetworkPolicy(
            f"{name}-{LINKERD_NS}-allow-control-plane",
            metadata=k8s.meta.v1.ObjectMetaArgs(name="allow-control-plane-ports", namespace=LINKERD_NS,
                                                labels=labels),
            spec=k8s.networking.v1.NetworkPolicySpecArgs(
                pod_selector=everything, policy_types=["Ingress"],
                ingress=[k8s.networking.v1.NetworkPolicyIngressRuleArgs(
                    from_=[k8s.networking.v1.NetworkPolicyPeerArgs(namespace_selector=everything),
                           k8s.networking.v1.NetworkPolicyPeerArgs(
                               ip_block=k8s.networking.v1.IPBlockArgs(cidr=vpc_cidr))],
                    ports=[k8s.networking.v1.NetworkPolicyPortArgs(protocol="TCP", port=p)
                           for p in CONTROL_PLANE_INGRESS_PORTS])]),
            opts=opts)

    def _release(self, name: str, release: str, *, chart: str, version: str, namespace: str,
                 values: Mapping[str, Any], depends_on: Sequence[pulumi.Resource]) -> k8s.helm.v3.Release:
        return k8s.helm.v3.Release(
            f"{name}-{release}",
            name=release,
            chart=chart,
            version=version,
            namespace=namespace,
            create_namespace=False,
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=LINKERD_REPO),
            values=dict(values),
            atomic=False,
            cleanup_on_fail=True,
            timeout=600,
            skip_await=False,
            max_history=10,
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(depends_on)),
        )
