"""Default deny in every platform namespace, then the few flows the platform needs.

NetworkPolicies cannot match DNS names, so "HTTPS to the LLM providers" is HTTPS to public
addresses (private ranges excepted: nothing inside the VPC is reachable on 443 that way);
the managed stores are reached by port within the VPC CIDR only.
"""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_kubernetes as k8s

from app.args import NetworkSpec
from app.names import HTTP_PORT, PART_OF, PLATFORM_CORE, PLATFORM_NAMESPACES, labels

PRIVATE_RANGES = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "100.64.0.0/10")
POD_IDENTITY_AGENT = "169.254.170.23/32"
POSTGRES_PORT = 5432
REDIS_PORT = 6379

NP = k8s.networking.v1


def _ports(*ports: int, protocol: str = "TCP") -> list[k8s.networking.v1.NetworkPolicyPortArgs]:
    return [NP.NetworkPolicyPortArgs(port=p, protocol=protocol) for p in ports]


def _ns(name: str) -> k8s.meta.v1.LabelSelectorArgs:
    return k8s.meta.v1.LabelSelectorArgs(match_labels={"kubernetes.io/metadata.name": name})


def _policy(prefix: str, name: str, namespace: str, environment: str, *, pod_selector: dict[str, str],
            opts: pulumi.ResourceOptions, ingress: Sequence[k8s.networking.v1.NetworkPolicyIngressRuleArgs] = (),
            egress: Sequence[k8s.networking.v1.NetworkPolicyEgressRuleArgs] = (),
            types: Sequence[str] = ("Ingress", "Egress")) -> k8s.networking.v1.NetworkPolicy:
    return NP.NetworkPolicy(
        f"{prefix}-netpol-{namespace}-{name}",
        metadata=k8s.meta.v1.ObjectMetaArgs(name=name, namespace=namespace,
                                            labels=labels("network-policy", environment)),
        spec=NP.NetworkPolicySpecArgs(
            pod_selector=k8s.meta.v1.LabelSelectorArgs(match_labels=pod_selector or None),
            policy_types=list(types),
            ingress=list(ingress) or None,
            egress=list(egress) or None,
        ),
        opts=opts,
    )


def default_deny(prefix: str, environment: str, namespaces: Sequence[str],
                 opts: pulumi.ResourceOptions) -> list[k8s.networking.v1.NetworkPolicy]:
    """Select every pod, allow nothing, both directions: the baseline every allow adds to."""
    return [_policy(prefix, "default-deny-all", ns, environment, pod_selector={}, opts=opts) for ns in namespaces]


def platform_allows(prefix: str, environment: str, net: NetworkSpec, worker_metrics_port: int,
                    opts: pulumi.ResourceOptions, *,
                    namespace: str = PLATFORM_CORE) -> list[k8s.networking.v1.NetworkPolicy]:
    platform_pods = {"app.kubernetes.io/part-of": PART_OF}
    out: list[k8s.networking.v1.NetworkPolicy] = []
    # Ingress: the ALB (targets pod IPs from inside the VPC) or, on a laptop, any in-cluster client.
    if net.vpc_cidr:
        api_from = [NP.NetworkPolicyPeerArgs(ip_block=NP.IPBlockArgs(cidr=net.vpc_cidr))]
    else:
        api_from = [NP.NetworkPolicyPeerArgs(namespace_selector=k8s.meta.v1.LabelSelectorArgs())]
    out.append(_policy(prefix, "allow-ingress-to-api", namespace, environment, pod_selector={"app": "api"},
                       opts=opts, ingress=[NP.NetworkPolicyIngressRuleArgs(from_=api_from, ports=_ports(HTTP_PORT))],
                       types=("Ingress",)))
    out.append(_policy(prefix, "allow-monitoring-scrape", namespace, environment, pod_selector=platform_pods,
                       opts=opts, ingress=[NP.NetworkPolicyIngressRuleArgs(
                           from_=[NP.NetworkPolicyPeerArgs(namespace_selector=_ns(net.monitoring_namespace))],
                           ports=_ports(HTTP_PORT, worker_metrics_port))],
                       types=("Ingress",)))
    dns = NP.NetworkPolicyEgressRuleArgs(
        to=[NP.NetworkPolicyPeerArgs(namespace_selector=_ns("kube-system"),
                                     pod_selector=k8s.meta.v1.LabelSelectorArgs(match_labels={"k8s-app": "kube-dns"}))],
        ports=_ports(53, protocol="UDP") + _ports(53),
    )
    telemetry = NP.NetworkPolicyEgressRuleArgs(
        to=[NP.NetworkPolicyPeerArgs(namespace_selector=_ns(net.monitoring_namespace))],
        ports=_ports(*net.telemetry_ports))
    egress = [dns, telemetry]
    if net.vpc_cidr:
        # Aurora (through RDS Proxy), ElastiCache, and VPC interface endpoints (Secrets Manager, STS).
        egress.append(NP.NetworkPolicyEgressRuleArgs(
            to=[NP.NetworkPolicyPeerArgs(ip_block=NP.IPBlockArgs(cidr=net.vpc_cidr))],
            ports=_ports(POSTGRES_PORT, REDIS_PORT, 443)))
    if net.store_namespace:
        egress.append(NP.NetworkPolicyEgressRuleArgs(
            to=[NP.NetworkPolicyPeerArgs(namespace_selector=_ns(net.store_namespace),
                                         pod_selector=k8s.meta.v1.LabelSelectorArgs(match_expressions=[
                                             k8s.meta.v1.LabelSelectorRequirementArgs(
                                                 key="app", operator="In", values=["postgres", "redis"])]))],
            ports=_ports(POSTGRES_PORT, REDIS_PORT)))
    if net.pod_identity_agent:
        egress.append(NP.NetworkPolicyEgressRuleArgs(
            to=[NP.NetworkPolicyPeerArgs(ip_block=NP.IPBlockArgs(cidr=POD_IDENTITY_AGENT))], ports=_ports(80)))
    egress.append(NP.NetworkPolicyEgressRuleArgs(
        to=[NP.NetworkPolicyPeerArgs(ip_block=NP.IPBlockArgs(cidr="0.0.0.0/0", except_=list(PRIVATE_RANGES)))],
        ports=_ports(443)))
    out.append(_policy(prefix, "allow-platform-egress", namespace, environment, pod_selector=platform_pods,
                       opts=opts, egress=egress, types=("Egress",)))
    if net.store_namespace:
        out.append(_policy(prefix, "allow-stores-from-platform", net.store_namespace, environment, pod_selector={},
                       opts=opts,     ingress=[NP.NetworkPolicyIngressRuleArgs(
                               from_=[NP.NetworkPolicyPeerArgs(namespace_selector=_ns(namespace))],
                               ports=_ports(POSTGRES_PORT, REDIS_PORT))],
                           types=("Ingress",)))
    return out


__all__ = ["PLATFORM_NAMESPACES", "default_deny", "platform_allows"]
