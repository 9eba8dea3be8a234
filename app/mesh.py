"""Istio in ambient mode on one regional cluster: mTLS, identity-based authorization, L7 policy.

Why Istio ambient: Linkerd's last open-source stable line (2.14, 2023) is unsupported on
current Kubernetes. Ambient mode has no sidecar and no init container in application pods:
the CNI agent redirects traffic to a per-node ztunnel (mTLS, L4 authorization), so application
namespaces keep Pod Security `restricted`; only `istio-system` (CNI agent, ztunnel) is
privileged. L7 features (timeouts, retries, outlier detection, fault injection) need a waypoint
proxy, deployed only in namespaces that use them.

Trust: Istio's plug-in CA. The root and an intermediate (cert + key, chain) live in Secrets
Manager and reach istiod as the `istio-system/cacerts` Secret through External Secrets, so no
private key enters Pulumi state; the public root is also config (`mesh.trust_anchor_pem`) so
config validation can refuse the example root shipped in this repository in prod, and every
region of a stack trusts the same root.

Install order (Istio's Helm instructions for ambient): Gateway API CRDs (waypoints are Gateway
API `Gateway`s), `base` (Istio CRDs), `istiod` (after the `cacerts` Secret exists), `cni`,
`ztunnel`. Custom resources wait for the release that installs their CRD.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from app.external_secrets import ESO_API, STORE_NAME, secret_store
from components.chart_images import Mirror, no_mirror, with_images

ISTIO_REPO = "https://istio-release.storage.googleapis.com/charts"
ISTIO_NS = "istio-system"
CACERTS = "cacerts"
CA_KEYS = ("ca-cert.pem", "ca-key.pem", "root-cert.pem", "cert-chain.pem")
"""The plug-in CA Secret's keys istiod reads (intermediate cert and key, root, chain to the root)."""
GATEWAY_API_VERSION = "v1.6.0"
"""The Gateway API release Istio 1.31 is built against (its go.mod)."""
GATEWAY_API_CRDS = (f"https://github.com/kubernetes-sigs/gateway-api/releases/download/"
                    f"{GATEWAY_API_VERSION}/standard-install.yaml")
AMBIENT_LABEL = {"istio.io/dataplane-mode": "ambient"}
ISTIOD_PORTS = (15010, 15012, 15014, 15017, 443)
"""xDS (plain, mTLS), monitoring, webhook, webhook Service port: what the mesh reaches in istio-system."""
ZTUNNEL_PORTS = (15008, 15020, 15021)
"""HBONE tunnel, metrics, readiness of the ztunnel DaemonSet (host network on each node)."""


def mesh_labels(enabled: bool) -> dict[str, str]:
    """Namespace labels that put a namespace's pods in the ambient mesh."""
    return dict(AMBIENT_LABEL) if enabled else {}


def trust_material_secret_name(project: str, environment: str) -> str:
    """Secrets Manager secret with JSON keys `ca-cert.pem`, `ca-key.pem`, `root-cert.pem`,
    `cert-chain.pem` (operator-provided; docs/multi-region.md, "Service mesh")."""
    return f"{project}/{environment}/istio/cacerts"


def istiod_values(ha: bool, trust_domain: str = "cluster.local") -> dict[str, Any]:
    """The istiod chart reads its settings at the top level (`.Values.tolerations`,
    `.Values.replicaCount`, `.Values.autoscaleMin` in istio-discovery's templates at 1.31); the
    `pilot.` prefix of the old istio-operator values is never read there, so Helm would ignore it."""
    values: dict[str, Any] = {
        "profile": "ambient",
        "meshConfig": {"trustDomain": trust_domain, "accessLogFile": "/dev/stdout",
                       "accessLogEncoding": "JSON", "enablePrometheusMerge": True},
        "tolerations": [{"key": "CriticalAddonsOnly", "operator": "Exists"}],
    }
    if ha:
        values.update({"autoscaleMin": 2, "replicaCount": 2})
    return values


@dataclass
class MeshArgs:
    region: str
    environment: str
    trust_material_secret: str
    """Secrets Manager name of the plug-in CA material in this region (or a replica of it)."""
    vpc_cidr: str
    """The cluster VPC: the EKS API server reaches istiod's webhook from there."""
    chart_version: str
    """One pinned version for the `base`, `istiod`, `cni` and `ztunnel` charts (never latest)."""
    store_role_arn: pulumi.Input[str] | None = None
    """istio-system's SecretStore role: reads the CA material secret only."""
    ha: bool = True
    depends_on: Sequence[pulumi.Resource] = field(default_factory=tuple)
    """The External Secrets release (its CRDs) and anything else the charts need first."""
    mirror: Mirror = no_mirror
    """The charts' images (istiod, proxyv2 of waypoints, CNI agent, ztunnel) through the region's cache."""


class IstioAmbientMesh(pulumi.ComponentResource):
    """Gateway API CRDs, Istio CRDs, plug-in CA, istiod, CNI agent and ztunnel."""

    base: k8s.helm.v3.Release
    """Installs the Istio CRDs: every Istio custom resource depends on it."""
    gateway_api: pulumi.Resource
    """Installs the Gateway API CRDs: every waypoint `Gateway` depends on it."""
    control_plane: k8s.helm.v3.Release
    ztunnel: k8s.helm.v3.Release

    def __init__(self, name: str, args: MeshArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("agentic:app:IstioAmbientMesh", name, {"region": args.region}, opts)
        self._mirror = args.mirror
        if not args.chart_version or args.chart_version.strip().lower() in {"latest", "*"}:
            raise ValueError(f"MeshArgs.chart_version: pin the Istio charts to a version, got {args.chart_version!r}")
        labels = {"app.kubernetes.io/part-of": "agentic-platform", "app.kubernetes.io/managed-by": "pulumi",
                  "agentic.io/environment": args.environment}
        # The CNI agent and ztunnel edit each node's network: privileged by nature, so alone in
        # istio-system (no application pod runs there); audit/warn still report what is not restricted.
        ns = k8s.core.v1.Namespace(f"{name}-ns", metadata=k8s.meta.v1.ObjectMetaArgs(
            name=ISTIO_NS, labels={**labels, "pod-security.kubernetes.io/enforce": "privileged",
                                   "pod-security.kubernetes.io/audit": "restricted",
                                   "pod-security.kubernetes.io/warn": "restricted"}),
            opts=pulumi.ResourceOptions(parent=self))
        self._network_policies(name, args.vpc_cidr, labels, ns)
        self.gateway_api = k8s.yaml.v2.ConfigFile(
            f"{name}-gateway-api-crds", file=GATEWAY_API_CRDS, opts=pulumi.ResourceOptions(parent=self))
        self.base = self._release(name, "istio-base", "base", version=args.chart_version,
                                  values={"defaultRevision": "default"}, depends_on=[ns])
        after_eso = pulumi.ResourceOptions(parent=self, depends_on=[ns, *args.depends_on])
        store = secret_store(f"{name}-secret-store", ISTIO_NS, args.region, after_eso, labels,
                             role_arn=args.store_role_arn)
        cacerts = k8s.apiextensions.CustomResource(
            f"{name}-cacerts", api_version=ESO_API, kind="ExternalSecret",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=CACERTS, namespace=ISTIO_NS, labels=labels,
                # istiod reads `cacerts` only at start: wait until External Secrets has written it.
                annotations={"pulumi.com/waitFor": "condition=Ready"}),
            spec={
                "refreshInterval": "1h",
                "secretStoreRef": {"name": STORE_NAME, "kind": "SecretStore"},
                # Orphan: deleting the ExternalSecret (or this stack) never deletes the CA istiod runs on.
                "target": {"name": CACERTS, "creationPolicy": "Orphan", "deletionPolicy": "Retain"},
                "data": [{"secretKey": k, "remoteRef": {"key": args.trust_material_secret, "property": k}}
                         for k in CA_KEYS],
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=[ns, store, *args.depends_on]))
        self.control_plane = self._release(name, "istiod", "istiod", version=args.chart_version,
                                           values=istiod_values(args.ha), depends_on=[self.base, cacerts])
        cni = self._release(name, "istio-cni", "cni", version=args.chart_version, values={"profile": "ambient"},
                            depends_on=[self.control_plane])
        self.ztunnel = self._release(name, "ztunnel", "ztunnel", version=args.chart_version, values={},
                                     depends_on=[cni])
        self.register_outputs({"namespace": ISTIO_NS})

    def _network_policies(self, name: str, vpc_cidr: str, labels: Mapping[str, str],
                          ns: k8s.core.v1.Namespace) -> None:
        """istio-system admits only istiod's ports (from any namespace and the VPC: webhooks) and
        ztunnel's metrics and readiness ports (Prometheus, kubelet)."""
        everything = k8s.meta.v1.LabelSelectorArgs()
        opts = pulumi.ResourceOptions(parent=self, depends_on=[ns])
        k8s.networking.v1.NetworkPolicy(
            f"{name}-default-deny",
            metadata=k8s.meta.v1.ObjectMetaArgs(name="default-deny-ingress", namespace=ISTIO_NS, labels=labels),
            spec=k8s.networking.v1.NetworkPolicySpecArgs(pod_selector=everything, policy_types=["Ingress"]),
            opts=opts)
        def allow(part: str, policy: str, app: str, peers: list[k8s.networking.v1.NetworkPolicyPeerArgs],
                  ports: Sequence[int]) -> None:
            k8s.networking.v1.NetworkPolicy(
                f"{name}-{part}",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=policy, namespace=ISTIO_NS, labels=labels),
                spec=k8s.networking.v1.NetworkPolicySpecArgs(
                    pod_selector=k8s.meta.v1.LabelSelectorArgs(match_labels={"app": app}),
                    policy_types=["Ingress"],
                    ingress=[k8s.networking.v1.NetworkPolicyIngressRuleArgs(
                        from_=peers,
                        ports=[k8s.networking.v1.NetworkPolicyPortArgs(protocol="TCP", port=p) for p in ports])]),
                opts=opts)

        anywhere = k8s.networking.v1.NetworkPolicyPeerArgs(namespace_selector=everything)
        vpc = k8s.networking.v1.NetworkPolicyPeerArgs(ip_block=k8s.networking.v1.IPBlockArgs(cidr=vpc_cidr))
        allow("allow-istiod", "allow-istiod-ports", "istiod", [anywhere, vpc], ISTIOD_PORTS)
        allow("allow-ztunnel-metrics", "allow-ztunnel-metrics", "ztunnel", [anywhere], ZTUNNEL_PORTS[1:])

    def _release(self, name: str, release: str, chart: str, *, version: str, values: Mapping[str, Any],
                 depends_on: Sequence[pulumi.Resource]) -> k8s.helm.v3.Release:
        return k8s.helm.v3.Release(
            f"{name}-{release}",
            name=release,
            chart=chart,
            version=version,
            namespace=ISTIO_NS,
            create_namespace=False,
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=ISTIO_REPO),
            values=with_images(chart, values, self._mirror),
            atomic=False,
            cleanup_on_fail=True,
            timeout=600,
            skip_await=False,
            max_history=10,
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(depends_on)),
        )
