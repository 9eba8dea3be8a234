"""What the mesh enforces per namespace: STRICT mTLS, who may call whom, and the api's L7 policy.

Policies are written per namespace by `namespace_policies` from the list of namespaces it is
given, so a new namespace (a data-domain cell, a dedicated tenant) gets the same treatment by
being in the list. Identity-based (L4) rules are enforced by ztunnel; the api's timeouts,
retries, outlier detection and fault injection are L7 and go through the waypoint of its
namespace. Every custom resource waits for the release that installs its CRD.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from app.mesh import AMBIENT_LABEL, ISTIO_NS, IstioAmbientMesh
from app.names import PLATFORM_CORE

SECURITY_API = "security.istio.io/v1"
NETWORKING_API = "networking.istio.io/v1"
GATEWAY_API = "gateway.networking.k8s.io/v1"
MONITORING_API = "monitoring.coreos.com/v1"
WAYPOINT = "waypoint"
HBONE_PORT = 15008
RETRY_ON = "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes"
IDEMPOTENT_METHODS = ("GET", "HEAD")


@dataclass(frozen=True)
class FaultInjection:
    """Chaos experiments set these (0 = off): delay or abort a share of the api's requests."""

    delay_percent: float = 0
    delay_seconds: float = 0
    abort_percent: float = 0
    abort_http_status: int = 503


def peer_authentication_spec() -> dict[str, Any]:
    """Mesh-wide (root namespace) STRICT: a meshed pod accepts only mTLS from mesh identities."""
    return {"mtls": {"mode": "STRICT"}}


def plaintext_ports_spec(app: str, ports: Sequence[int]) -> dict[str, Any]:
    """STRICT for the app's pods except `ports`, which callers outside the mesh reach in plain
    HTTP: the ALB (api traffic port) and Prometheus (metrics ports)."""
    return {"selector": {"matchLabels": {"app": app}}, "mtls": {"mode": "STRICT"},
            "portLevelMtls": {str(p): {"mode": "PERMISSIVE"} for p in sorted(set(ports))}}


def authorization_spec(namespace: str, allowed_namespaces: Sequence[str],
                       plaintext: tuple[str, Sequence[int]] | None = None) -> dict[str, Any]:
    """ALLOW only callers whose mesh identity is in `namespace` or `allowed_namespaces`, plus the
    VPC CIDR to the plaintext ports when given; with an ALLOW policy present, all else is denied.
    Tenant namespaces list only themselves and the platform: tenants cannot call each other."""
    rules: list[dict[str, Any]] = [
        {"from": [{"source": {"namespaces": sorted({namespace, *allowed_namespaces})}}]}]
    if plaintext is not None and plaintext[1]:
        cidr, ports = plaintext
        rules.append({"from": [{"source": {"ipBlocks": [cidr]}}],
                      "to": [{"operation": {"ports": [str(p) for p in sorted(set(ports))]}}]})
    return {"action": "ALLOW", "rules": rules}


def destination_rule_spec(host: str, consecutive_5xx: int, ejection_seconds: int,
                          max_pending_requests: int = 1024) -> dict[str, Any]:
    """Circuit breaking: eject an endpoint after N consecutive 5xx, cap queued requests."""
    return {"host": host, "trafficPolicy": {
        "connectionPool": {"http": {"http1MaxPendingRequests": max_pending_requests,
                                    "http2MaxRequests": max_pending_requests}},
        "outlierDetection": {"consecutive5xxErrors": consecutive_5xx, "interval": "10s",
                             "baseEjectionTime": f"{ejection_seconds}s", "maxEjectionPercent": 50},
    }}


def virtual_service_spec(host: str, timeout_seconds: int, retries: int,
                         fault: FaultInjection | None = None) -> dict[str, Any]:
    """Every route has a timeout; idempotent reads retry, writes never; a `fault` block is added
    to both routes when a chaos experiment sets one (Istio applies it before retries)."""
    timeout = f"{timeout_seconds}s"
    per_try = f"{max(1, timeout_seconds // (retries + 1))}s"
    destination = [{"destination": {"host": host}}]
    reads: dict[str, Any] = {
        "name": "reads", "match": [{"method": {"exact": m}} for m in IDEMPOTENT_METHODS],
        "route": destination, "timeout": timeout,
        "retries": {"attempts": retries, "perTryTimeout": per_try, "retryOn": RETRY_ON} if retries else
        {"attempts": 0}}
    writes: dict[str, Any] = {"name": "writes", "route": destination, "timeout": timeout, "retries": {"attempts": 0}}
    if fault is not None and (fault.delay_percent or fault.abort_percent):
        block: dict[str, Any] = {}
        if fault.delay_percent:
            block["delay"] = {"percentage": {"value": fault.delay_percent}, "fixedDelay": f"{fault.delay_seconds}s"}
        if fault.abort_percent:
            block["abort"] = {"percentage": {"value": fault.abort_percent}, "httpStatus": fault.abort_http_status}
        reads["fault"] = block
        writes["fault"] = block
    return {"hosts": [host], "http": [reads, writes]}


def hbone_network_policy(resource_name: str, namespace: str, labels: Mapping[str, str],
                         opts: pulumi.ResourceOptions) -> k8s.networking.v1.NetworkPolicy:
    """Meshed pods talk HBONE (mTLS tunnel, TCP 15008) to each other: the namespace's default-deny
    NetworkPolicies must let it through both ways, or every meshed call is dropped."""
    everything = k8s.meta.v1.LabelSelectorArgs()
    peers = [k8s.networking.v1.NetworkPolicyPeerArgs(namespace_selector=everything)]
    port = [k8s.networking.v1.NetworkPolicyPortArgs(protocol="TCP", port=HBONE_PORT)]
    return k8s.networking.v1.NetworkPolicy(
        resource_name,
        metadata=k8s.meta.v1.ObjectMetaArgs(name="allow-mesh-hbone", namespace=namespace, labels=dict(labels)),
        spec=k8s.networking.v1.NetworkPolicySpecArgs(
            pod_selector=everything, policy_types=["Ingress", "Egress"],
            ingress=[k8s.networking.v1.NetworkPolicyIngressRuleArgs(from_=peers, ports=port)],
            egress=[k8s.networking.v1.NetworkPolicyEgressRuleArgs(to=peers, ports=port)]),
        opts=opts)


def waypoint_spec() -> dict[str, Any]:
    """A namespace waypoint for Services (Istio's `istio-waypoint` class, HBONE on 15008)."""
    return {"gatewayClassName": "istio-waypoint",
            "listeners": [{"name": "mesh", "port": 15008, "protocol": "HBONE"}]}


@dataclass
class MeshNamespace:
    name: str
    allowed_from: Sequence[str] = ()
    """Namespaces (besides itself) whose workloads may call into this one."""
    label: bool = True
    """Patch the ambient label onto it (False: the namespace's owner labels it itself)."""
    waypoint: bool = False
    """Deploy a waypoint (L7 policy) and route the namespace's Services through it."""
    depends_on: Sequence[pulumi.Resource] = ()
    """The Namespace resource (policies are namespaced)."""
    plaintext_ports: Mapping[str, Sequence[int]] = field(default_factory=dict)
    """App label -> ports reached from outside the mesh (ALB, Prometheus), from `vpc_cidr` only."""
    vpc_cidr: str = ""


@dataclass
class ApiTrafficPolicy:
    namespace: str
    service: str
    timeout_seconds: int
    retries: int
    consecutive_5xx: int = 5
    ejection_seconds: int = 30
    fault: FaultInjection | None = None


@dataclass
class MeshPoliciesArgs:
    mesh: IstioAmbientMesh
    namespaces: Sequence[MeshNamespace]
    apis: Sequence[ApiTrafficPolicy] = ()
    """One per cell namespace serving the api (the policy lands in that namespace)."""
    environment: str = ""
    extra_labels: Mapping[str, str] = field(default_factory=dict)


class MeshPolicies(pulumi.ComponentResource):
    """Ambient labels, STRICT mTLS, per-namespace authorization, the api's waypoint and routes."""

    def __init__(self, name: str, args: MeshPoliciesArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("agentic:app:MeshPolicies", name, {}, opts)
        self._name = name
        self._mesh = args.mesh
        self._labels = {"app.kubernetes.io/part-of": "agentic-platform", "app.kubernetes.io/managed-by": "pulumi",
                        "agentic.io/environment": args.environment, **args.extra_labels}
        self._cr("peer-authentication", SECURITY_API, "PeerAuthentication", obj_name="default",
                 namespace=ISTIO_NS, spec=peer_authentication_spec(), depends_on=[args.mesh.base])
        by_namespace = {api.namespace: api for api in args.apis}
        for ns in args.namespaces:
            self.add_namespace(ns, by_namespace.get(ns.name))
        self.register_outputs({})

    def _cr(self, part: str, api_version: str, kind: str, *, obj_name: str, namespace: str,
            spec: Mapping[str, Any], depends_on: Sequence[pulumi.Resource],
            labels: Mapping[str, str] | None = None) -> pulumi.Resource:
        return k8s.apiextensions.CustomResource(
            f"{self._name}-{part}", api_version=api_version, kind=kind,
            metadata=k8s.meta.v1.ObjectMetaArgs(name=obj_name, namespace=namespace,
                                                labels={**self._labels, **(labels or {})}),
            spec=dict(spec), opts=pulumi.ResourceOptions(parent=self, depends_on=list(depends_on)))

    def add_namespace(self, ns: MeshNamespace, api: ApiTrafficPolicy | None = None) -> None:
        """One namespace's share of the mesh: label, HBONE network policy, authorization, and
        (with a waypoint) the api's L7 policy. Called once per namespace of the list it is given."""
        mesh = self._mesh
        after_ns = [*ns.depends_on]
        labels = dict(AMBIENT_LABEL)
        if ns.waypoint:
            labels["istio.io/use-waypoint"] = WAYPOINT
        if ns.label or ns.waypoint:
            patch = k8s.core.v1.NamespacePatch(
                f"{self._name}-label-{ns.name}",
                metadata=k8s.meta.v1.ObjectMetaPatchArgs(name=ns.name, labels=labels),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[*after_ns, mesh.ztunnel]))
            after_ns.append(patch)
        hbone_network_policy(f"{self._name}-hbone-{ns.name}", ns.name, self._labels,
                             pulumi.ResourceOptions(parent=self, depends_on=list(after_ns)))
        after_base = [mesh.base, *after_ns]
        all_ports = sorted({p for ports in ns.plaintext_ports.values() for p in ports})
        self._cr(f"authz-{ns.name}", SECURITY_API, "AuthorizationPolicy", obj_name="allow-known-callers",
                 namespace=ns.name, depends_on=after_base,
                 spec=authorization_spec(ns.name, ns.allowed_from, (ns.vpc_cidr, all_ports) if ns.vpc_cidr else None))
        for app, ports in sorted(ns.plaintext_ports.items()):
            self._cr(f"peer-authentication-{ns.name}-{app}", SECURITY_API, "PeerAuthentication",
                     obj_name=f"{app}-plaintext-ports", namespace=ns.name, spec=plaintext_ports_spec(app, ports),
                     depends_on=after_base)
        if ns.waypoint:
            self._cr(f"waypoint-{ns.name}", GATEWAY_API, "Gateway", obj_name=WAYPOINT, namespace=ns.name,
                     spec=waypoint_spec(), depends_on=[mesh.gateway_api, mesh.control_plane, *after_ns],
                     labels={"istio.io/waypoint-for": "service"})
        if api is None:
            return
        host = f"{api.service}.{api.namespace}.svc.cluster.local"
        # The first cell keeps its historical names; other cells' names carry their namespace.
        key = api.service if api.namespace == PLATFORM_CORE else f"{api.namespace}-{api.service}"
        self._cr(f"destination-rule-{key}", NETWORKING_API, "DestinationRule", obj_name=api.service,
                 namespace=ns.name, spec=destination_rule_spec(host, api.consecutive_5xx, api.ejection_seconds),
                 depends_on=after_base)
        self._cr(f"virtual-service-{key}", NETWORKING_API, "VirtualService", obj_name=api.service,
                 namespace=ns.name, spec=virtual_service_spec(host, api.timeout_seconds, api.retries, api.fault),
                 depends_on=after_base)

    def attach_monitors(self, prometheus_operator: pulumi.Resource) -> None:
        """Mesh metrics: istiod and every ztunnel scraped by Prometheus (after the operator's CRDs)."""
        for part, app, port, path in (("istiod", "istiod", "http-monitoring", "/metrics"),
                                      ("ztunnel", "ztunnel", "ztunnel-stats", "/stats/prometheus")):
            self._cr(f"podmonitor-{part}", MONITORING_API, "PodMonitor", obj_name=f"mesh-{part}",
                     namespace=ISTIO_NS, spec={"selector": {"matchLabels": {"app": app}},
                                               "podMetricsEndpoints": [{"port": port, "path": path,
                                                                        "interval": "30s"}]},
                     depends_on=[prometheus_operator, self._mesh.ztunnel])


