"""The k6 operator on one cluster and the guide's load-test scenarios as TestRuns.

The scripts in `loadtests/` (baseline, peak at 2x, stress to the breaking point, spike, soak) are
mounted from one ConfigMap. Every deploy of a new app tag runs the baseline once (a TestRun named
after the tag), so a release that slows the API fails its thresholds in staging before prod; the
other scenarios are rendered as TestRun manifests in the `k6-testruns` ConfigMap and started by
hand (docs/operations.md). Runners remote-write their metrics (p50/p95/p99 trend stats) into the
region's Prometheus, which the "Load tests (k6)" Grafana dashboard reads.

Chart: https://github.com/grafana/helm-charts/tree/main/charts/k6-operator
TestRun: https://grafana.com/docs/k6/latest/testing-guides/running-distributed-tests/
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import yaml

from app.namespace_guard import guard_namespace
from components.chart_images import Mirror, no_mirror, with_images

K6_API = "k6.io/v1alpha1"
OPERATOR_NAMESPACE = "k6-operator-system"
NAMESPACE = "load-testing"
REPO = "https://grafana.github.io/helm-charts"
SCRIPTS_DIR = Path(__file__).resolve().parents[1] / "loadtests"
SCENARIOS = ("baseline", "peak", "stress", "spike", "soak")
API_KEY_SECRET = "k6-load-test-api-key"
"""Kubernetes Secret (key `api-key`) with the load-test tenant's API key; optional: without it
the scripts run unauthenticated and the API answers 401, which fails the checks threshold."""
PROMETHEUS_WRITE_URL = "http://kube-prometheus-stack-prometheus.monitoring.svc:9090/api/v1/write"
PROMETHEUS_PORT = 9090


def load_scripts(directory: Path = SCRIPTS_DIR) -> dict[str, str]:
    """Every k6 script (`*.js`), by file name; sorted so the ConfigMap is byte-identical."""
    scripts = {p.name: p.read_text() for p in sorted(directory.glob("*.js"))}
    missing = [s for s in SCENARIOS if f"{s}.js" not in scripts]
    if missing:
        raise FileNotFoundError(f"loadtests/ lacks the scenario script(s): {', '.join(missing)}")
    return scripts


def testrun_spec(scenario: str, base_url: str, parallelism: int, testid: str) -> dict[str, Any]:
    hardened = {"runAsNonRoot": True, "runAsUser": 12345, "seccompProfile": {"type": "RuntimeDefault"}}
    container = {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                 "capabilities": {"drop": ["ALL"]}}
    pod = {"securityContext": hardened, "containerSecurityContext": container}
    return {
        "parallelism": parallelism,
        "cleanup": "post",
        "script": {"configMap": {"name": "k6-scripts", "file": f"{scenario}.js"}},
        "arguments": f"--out experimental-prometheus-rw --tag testid={testid}",
        "initializer": dict(pod),
        "starter": dict(pod),
        "runner": {**pod,
                   "resources": {"requests": {"cpu": "500m", "memory": "512Mi"}, "limits": {"memory": "1Gi"}},
                   "env": [
                       {"name": "BASE_URL", "value": base_url},
                       {"name": "API_KEY", "valueFrom": {"secretKeyRef": {
                           "name": API_KEY_SECRET, "key": "api-key", "optional": True}}},
                       {"name": "K6_PROMETHEUS_RW_SERVER_URL", "value": PROMETHEUS_WRITE_URL},
                       {"name": "K6_PROMETHEUS_RW_TREND_STATS", "value": "p(50),p(95),p(99),avg,max"},
                   ]},
    }


def testrun_manifest(scenario: str, base_url: str, parallelism: int) -> str:
    """A TestRun to `kubectl create -f -` (a run is a one-off object: create, never apply)."""
    return yaml.safe_dump({"apiVersion": K6_API, "kind": "TestRun", "metadata": {
        "generateName": f"{scenario}-", "namespace": NAMESPACE},
        "spec": testrun_spec(scenario, base_url, parallelism, scenario)}, sort_keys=True)


def release_testid(app_tag: str) -> str:
    """`baseline-<hash of the tag>`: one baseline run per released tag, a valid object name."""
    return f"baseline-{hashlib.sha256(app_tag.encode()).hexdigest()[:10]}"


@dataclass
class LoadTestingArgs:
    k8s_provider: pulumi.ProviderResource
    chart_version: str
    base_url: str
    app_tag: str
    parallelism: int = 2
    monitoring_namespace: pulumi.Input[str] = "monitoring"
    """Where Prometheus runs (the Output of the monitoring stack's namespace orders this after it)."""
    depends_on: Sequence[pulumi.Resource] = field(default_factory=list)
    """The app's Deployments and the monitoring stack (the baseline needs both)."""
    mirror: Mirror = no_mirror
    """The operator chart's image through the region's pull-through cache (components/chart_images.py)."""


class LoadTesting(pulumi.ComponentResource):
    def __init__(self, name: str, args: LoadTestingArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("agentic:app:LoadTesting", name, {}, opts)
        k8s_opts = pulumi.ResourceOptions(parent=self, provider=args.k8s_provider)
        op_ns = k8s.core.v1.Namespace(f"{name}-operator-ns", metadata=k8s.meta.v1.ObjectMetaArgs(
            name=OPERATOR_NAMESPACE, labels={"pod-security.kubernetes.io/enforce": "restricted"}), opts=k8s_opts)
        ns = k8s.core.v1.Namespace(f"{name}-ns", metadata=k8s.meta.v1.ObjectMetaArgs(
            name=NAMESPACE, labels={"pod-security.kubernetes.io/enforce": "restricted",
                                    "app.kubernetes.io/part-of": "agentic-platform"}), opts=k8s_opts)
        after_ns = pulumi.ResourceOptions(parent=self, provider=args.k8s_provider, depends_on=[op_ns, ns])
        guard_namespace(f"{name}-operator", OPERATOR_NAMESPACE, after_ns)
        guard_namespace(f"{name}-runs", NAMESPACE, after_ns)
        release = k8s.helm.v3.Release(
            f"{name}-operator", name="k6-operator", chart="k6-operator", version=args.chart_version,
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=REPO), namespace=op_ns.metadata.name,
            values=with_images("k6-operator", {"namespace": {"create": False}}, args.mirror), atomic=True,
            cleanup_on_fail=True, timeout=600,
            max_history=5, opts=k8s_opts)
        scripts = k8s.core.v1.ConfigMap(f"{name}-scripts", metadata=k8s.meta.v1.ObjectMetaArgs(
            name="k6-scripts", namespace=ns.metadata.name), data=load_scripts(), opts=k8s_opts)
        k8s.core.v1.ConfigMap(f"{name}-testruns", metadata=k8s.meta.v1.ObjectMetaArgs(
            name="k6-testruns", namespace=ns.metadata.name),
            data={f"{s}.yaml": testrun_manifest(s, args.base_url, args.parallelism) for s in SCENARIOS},
            opts=k8s_opts)
        # Runners push metrics to Prometheus; the monitoring namespace admits only what it lists.
        NP = k8s.networking.v1
        netpol = NP.NetworkPolicy(f"{name}-to-prometheus", metadata=k8s.meta.v1.ObjectMetaArgs(
            name="allow-k6-remote-write", namespace=args.monitoring_namespace), spec=NP.NetworkPolicySpecArgs(
            pod_selector=k8s.meta.v1.LabelSelectorArgs(match_labels={"app.kubernetes.io/name": "prometheus"}),
            policy_types=["Ingress"], ingress=[NP.NetworkPolicyIngressRuleArgs(
                from_=[NP.NetworkPolicyPeerArgs(namespace_selector=k8s.meta.v1.LabelSelectorArgs(
                    match_labels={"kubernetes.io/metadata.name": NAMESPACE}))],
                ports=[NP.NetworkPolicyPortArgs(port=PROMETHEUS_PORT, protocol="TCP")])]),
            opts=pulumi.ResourceOptions(parent=self, provider=args.k8s_provider, depends_on=list(args.depends_on)))
        self.baseline_run = release_testid(args.app_tag)
        to_prometheus = netpol
        k8s.apiextensions.CustomResource(
            f"{name}-{self.baseline_run}", api_version=K6_API, kind="TestRun",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=self.baseline_run, namespace=ns.metadata.name),
            spec=testrun_spec("baseline", args.base_url, args.parallelism, self.baseline_run),
            opts=pulumi.ResourceOptions(parent=self, provider=args.k8s_provider,
                                        depends_on=[release, scripts, to_prometheus, *args.depends_on]))
        self.namespace = ns.metadata.name
        self.register_outputs({"namespace": self.namespace, "baseline_run": self.baseline_run})
