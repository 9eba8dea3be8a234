"""The Vertical Pod Autoscaler, recommender only (the guide's "VPA: based on historical usage").

Only the recommender runs: with `updateMode: Off` nothing evicts pods, so the VPA never fights
the HPA over CPU/memory; its recommendations feed the requests in config (right-sizing).
"""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from components.chart_images import Mirror, no_mirror, with_images

VPA_REPO = "https://charts.fairwinds.com/stable"
VPA_CHART = "vpa"
VPA_NAMESPACE = "vpa"
VPA_CRDS = {
    "5.0.0": "https://raw.githubusercontent.com/FairwindsOps/charts/21a94b6700f74fe1999b97be390f978eb4087fc8/"
             "stable/vpa/crds/vpa-v1-crd.yaml",
}
"""Chart version -> the CRD manifest in that chart's `crds/` (pinned by commit). Helm installs
`crds/` once and never upgrades them, so the release skips them and Pulumi applies this file,
which changes (and is re-applied) with the chart version."""


def vpa_crds_url(version: str) -> str:
    try:
        return VPA_CRDS[version]
    except KeyError:
        raise ValueError(f"no VPA CRD manifest recorded for chart {version}: add the chart's crds/ file "
                         f"(pinned by commit) to app/vpa.py VPA_CRDS (known: {', '.join(sorted(VPA_CRDS))})") from None


class VpaRecommender(pulumi.ComponentResource):
    release: k8s.helm.v3.Release | None

    def __init__(self, name: str, version: str | None, opts: pulumi.ResourceOptions | None = None,
                 mirror: Mirror = no_mirror):
        super().__init__("agentic:app:VpaRecommender", name, {}, opts)
        self.release = None
        if version:
            crds = k8s.yaml.v2.ConfigFile(f"{name}-crds", file=vpa_crds_url(version),
                                          opts=pulumi.ResourceOptions(parent=self))
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
                skip_crds=True,
                values=with_images(VPA_CHART, {
                    "recommender": {"enabled": True, "replicaCount": 1,
                                    "tolerations": [{"key": "CriticalAddonsOnly", "operator": "Exists"}]},
                    "updater": {"enabled": False},
                    "admissionController": {"enabled": False},
                }, mirror),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[crds]),
            )
        self.register_outputs({})
