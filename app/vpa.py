"""The Vertical Pod Autoscaler, recommender only (the guide's "VPA: based on historical usage").

Only the recommender runs: with `updateMode: Off` nothing evicts pods, so the VPA never fights
the HPA over CPU/memory; its recommendations feed the requests in config (right-sizing).
"""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

VPA_REPO = "https://charts.fairwinds.com/stable"
VPA_CHART = "vpa"
VPA_NAMESPACE = "vpa"


class VpaRecommender(pulumi.ComponentResource):
    release: k8s.helm.v3.Release | None

    def __init__(self, name: str, version: str | None, opts: pulumi.ResourceOptions | None = None):
        super().__init__("agentic:app:VpaRecommender", name, {}, opts)
        self.release = None
        if version:
            self.release = k8s.helm.v3.Release(
                f"{name}-release",
                name="vpa",
                chart=VPA_CHART,
                version=version,
                repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=VPA_REPO),
                namespace=VPA_NAMESPACE,
                create_namespace=True,
                atomic=True,
                cleanup_on_fail=True,
                timeout=600,
                max_history=5,
                values={
                    "recommender": {"enabled": True, "replicaCount": 1,
                                    "tolerations": [{"key": "CriticalAddonsOnly", "operator": "Exists"}]},
                    "updater": {"enabled": False},
                    "admissionController": {"enabled": False},
                },
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.register_outputs({})
