"""A Kubernetes provider for one region's cluster, built from the cluster's own outputs.

The kubeconfig carries no token: kubectl-style exec runs `aws eks get-token` with the cluster
name and region spelled out, using the deployer's ambient AWS credentials (or an explicit role),
so CI and laptops behave the same (C38). The deployer must hold an access entry (CI role or
break-glass admin) because the cluster creator gets no implicit admin.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_kubernetes as k8s


def kubeconfig(cluster_name: str, endpoint: str, ca_data: str, region: str,
               role_arn: str | None = None) -> dict[str, Any]:
    """A kubeconfig for one EKS cluster whose credentials come from `aws eks get-token`."""
    args = ["eks", "get-token", "--cluster-name", cluster_name, "--region", region, "--output", "json"]
    if role_arn:
        args += ["--role-arn", role_arn]
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": cluster_name, "cluster": {"server": endpoint, "certificate-authority-data": ca_data}}],
        "contexts": [{"name": cluster_name, "context": {"cluster": cluster_name, "user": cluster_name}}],
        "current-context": cluster_name,
        "users": [{"name": cluster_name, "user": {"exec": {
            "apiVersion": "client.authentication.k8s.io/v1beta1",
            "command": "aws",
            "args": args,
            "interactiveMode": "Never",
        }}}],
    }


def cluster_provider(name: str, *, cluster_name: pulumi.Input[str], endpoint: pulumi.Input[str],
                     ca_data: pulumi.Input[str], region: str, depends_on: Sequence[pulumi.Resource],
                     parent: pulumi.Resource | None = None, role_arn: str | None = None) -> k8s.Provider:
    """The provider; `depends_on` holds node groups and core add-ons so nothing K8s runs earlier.

    `name` must carry the region: the offline harness maps Kubernetes objects to a region by it.
    """
    config = pulumi.Output.all(cluster_name, endpoint, ca_data).apply(
        lambda a: json.dumps(kubeconfig(str(a[0]), str(a[1]), str(a[2]), region, role_arn)))
    return k8s.Provider(
        name,
        kubeconfig=pulumi.Output.secret(config),
        enable_server_side_apply=True,
        delete_unreachable=False,
        opts=pulumi.ResourceOptions(parent=parent, depends_on=list(depends_on)),
    )
