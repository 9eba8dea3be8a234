"""Default-deny ingress for the testing namespaces, with the few allows their tools need.

Chaos Mesh, the k6 operator and the k6 runners talk within their own namespace (the starter calls
the runners' REST API, the controller the daemons); only admission webhooks are called from
outside, by the EKS control plane's ENIs inside the VPC.
"""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_kubernetes as k8s

NP = k8s.networking.v1


def guard_namespace(name: str, namespace: str, opts: pulumi.ResourceOptions, *,
                    webhook_ports: Sequence[int] = (), vpc_cidr: str | None = None) -> list[NP.NetworkPolicy]:
    everything = k8s.meta.v1.LabelSelectorArgs()
    same_ns = NP.NetworkPolicyPeerArgs(namespace_selector=k8s.meta.v1.LabelSelectorArgs(
        match_labels={"kubernetes.io/metadata.name": namespace}))
    out = [
        NP.NetworkPolicy(f"{name}-default-deny", metadata=k8s.meta.v1.ObjectMetaArgs(
            name="default-deny-ingress", namespace=namespace),
            spec=NP.NetworkPolicySpecArgs(pod_selector=everything, policy_types=["Ingress"]), opts=opts),
        NP.NetworkPolicy(f"{name}-same-namespace", metadata=k8s.meta.v1.ObjectMetaArgs(
            name="allow-same-namespace", namespace=namespace),
            spec=NP.NetworkPolicySpecArgs(pod_selector=everything, policy_types=["Ingress"],
                                          ingress=[NP.NetworkPolicyIngressRuleArgs(from_=[same_ns])]), opts=opts),
    ]
    if webhook_ports:
        source = (NP.NetworkPolicyPeerArgs(ip_block=NP.IPBlockArgs(cidr=vpc_cidr)) if vpc_cidr
                  else NP.NetworkPolicyPeerArgs(namespace_selector=everything))
        out.append(NP.NetworkPolicy(f"{name}-webhooks", metadata=k8s.meta.v1.ObjectMetaArgs(
            name="allow-webhooks", namespace=namespace),
            spec=NP.NetworkPolicySpecArgs(pod_selector=everything, policy_types=["Ingress"], ingress=[
                NP.NetworkPolicyIngressRuleArgs(from_=[source], ports=[
                    NP.NetworkPolicyPortArgs(port=p, protocol="TCP") for p in webhook_ports])]), opts=opts))
    return out
