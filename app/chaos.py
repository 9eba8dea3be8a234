"""Chaos Mesh on one cluster and the guide's in-cluster experiments as scheduled workflows.

Each experiment runs as a Chaos Mesh Workflow next to a continuous status check of the API's
readiness endpoint with `abortWithStatusCheck`: when the platform stops answering (three failed
checks in a row) the fault is withdrawn at once, the in-cluster counterpart of the FIS stop
conditions on the ALB alarms (components/fis.py). Experiments run on a weekly schedule in office
hours and never concurrently (`concurrencyPolicy: Forbid`).

Chart: https://chaos-mesh.org/docs/production-installation-using-helm/
Workflows and status checks: https://chaos-mesh.org/docs/status-check-in-workflow/
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from app.namespace_guard import guard_namespace
from components.chart_images import Mirror, no_mirror, with_images

CHAOS_API = "chaos-mesh.org/v1alpha1"
CHAOS_NAMESPACE = "chaos-mesh"
REPO = "https://charts.chaos-mesh.org"
WEBHOOK_PORT = 9443
"""chaos-controller-manager's admission webhook (the chart's `controllerManager.env.WEBHOOK_PORT`)."""
TARGET_NAMESPACE = "platform-core"
HEALTH_URL = "http://api.platform-core.svc.cluster.local/health/ready"


def chaos_mesh_values() -> dict[str, Any]:
    """EKS nodes run containerd; no dashboard (it would be an unauthenticated control panel)."""
    return {
        "chaosDaemon": {"runtime": "containerd", "socketPath": "/run/containerd/containerd.sock"},
        "dashboard": {"create": False},
        "controllerManager": {"replicaCount": 1},
    }


def _selector(*apps: str) -> dict[str, Any]:
    return {"namespaces": [TARGET_NAMESPACE], "expressionSelectors": [
        {"key": "app", "operator": "In", "values": list(apps)}]}


Experiment = tuple[str, dict[str, Any]]
"""(Chaos Mesh kind, spec)."""


def experiments(latency_ms: int, duration_minutes: int,
                database_hosts: Sequence[pulumi.Input[str]]) -> dict[str, Experiment]:
    """name -> (Chaos Mesh kind, spec): pod failure, latency, CPU stress, memory pressure and, when
    the database endpoint is known, the database cut off from the app (a network partition)."""
    d = f"{duration_minutes}m"
    out: dict[str, Experiment] = {
        "pod-failure": ("PodChaos", {"action": "pod-kill", "mode": "one", "selector": _selector("api", "worker")}),
        "network-latency": ("NetworkChaos", {
            "action": "delay", "mode": "all", "selector": _selector("api"), "direction": "to", "duration": d,
            "delay": {"latency": f"{latency_ms}ms", "jitter": f"{max(1, latency_ms // 10)}ms", "correlation": "25"}}),
        "cpu-stress": ("StressChaos", {
            "mode": "one", "selector": _selector("api"), "duration": d,
            "stressors": {"cpu": {"workers": 2, "load": 80}}}),
        "memory-pressure": ("StressChaos", {
            "mode": "one", "selector": _selector("worker"), "duration": d,
            "stressors": {"memory": {"workers": 1, "size": "256MB"}}}),
    }
    if database_hosts:
        out["database-unavailable"] = ("NetworkChaos", {
            "action": "partition", "mode": "all", "selector": _selector("api", "worker"), "direction": "to",
            "externalTargets": list(database_hosts), "duration": "2m"})
    return out


def workflow(name: str, kind: str, spec: Mapping[str, Any], duration_minutes: int) -> dict[str, Any]:
    """The fault and a readiness check in parallel; a failing check aborts the workflow."""
    deadline = f"{duration_minutes + 1}m"
    field_name = kind[0].lower() + kind[1:]
    return {"entry": "run", "templates": [
        {"name": "run", "templateType": "Parallel", "deadline": deadline, "children": [name, "api-ready"]},
        {"name": name, "templateType": kind, "deadline": f"{duration_minutes}m", field_name: dict(spec)},
        {"name": "api-ready", "templateType": "StatusCheck", "deadline": deadline, "abortWithStatusCheck": True,
         "statusCheck": {"mode": "Continuous", "type": "HTTP", "intervalSeconds": 10, "timeoutSeconds": 3,
                         "failureThreshold": 3, "successThreshold": 1,
                         "http": {"url": HEALTH_URL, "method": "GET", "criteria": {"statusCode": "200"}}}},
    ]}


def schedule_spec(cron: str, wf: Mapping[str, Any]) -> dict[str, Any]:
    return {"schedule": cron, "concurrencyPolicy": "Forbid", "historyLimit": 5, "startingDeadlineSeconds": 300,
            "type": "Workflow", "workflow": dict(wf)}


@dataclass
class ChaosArgs:
    k8s_provider: pulumi.ProviderResource
    chart_version: str
    schedule: str
    latency_ms: int = 200
    duration_minutes: int = 5
    vpc_cidr: str | None = None
    """Source of admission-webhook calls (the EKS control plane's ENIs)."""
    database_hosts: Sequence[pulumi.Input[str]] = ()
    """Hostnames of the database proxy (NetworkChaos partitions resolve them to IPs)."""
    depends_on: Sequence[pulumi.Resource] = field(default_factory=list)
    mirror: Mirror = no_mirror
    """The chart's images through the region's pull-through cache (components/chart_images.py)."""


class ChaosExperiments(pulumi.ComponentResource):
    def __init__(self, name: str, args: ChaosArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("agentic:app:ChaosExperiments", name, {}, opts)
        k8s_opts = pulumi.ResourceOptions(parent=self, provider=args.k8s_provider)
        # chaos-daemon is privileged by design (it enters pods' network and PID namespaces).
        ns = k8s.core.v1.Namespace(f"{name}-ns", metadata=k8s.meta.v1.ObjectMetaArgs(
            name=CHAOS_NAMESPACE, labels={"pod-security.kubernetes.io/enforce": "privileged",
                                          "app.kubernetes.io/part-of": "agentic-platform"}), opts=k8s_opts)
        guard = guard_namespace(name, CHAOS_NAMESPACE, pulumi.ResourceOptions(parent=self, provider=args.k8s_provider,
                                depends_on=[ns]), webhook_ports=[WEBHOOK_PORT], vpc_cidr=args.vpc_cidr)
        release = k8s.helm.v3.Release(
            f"{name}-chart", name="chaos-mesh", chart="chaos-mesh", version=args.chart_version,
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=REPO), namespace=ns.metadata.name,
            values=with_images("chaos-mesh", chaos_mesh_values(), args.mirror), atomic=True, cleanup_on_fail=True,
            timeout=900, max_history=5,
            opts=pulumi.ResourceOptions(parent=self, provider=args.k8s_provider,
                                        depends_on=[*guard, *args.depends_on]))
        self.schedules: list[str] = []
        after = pulumi.ResourceOptions(parent=self, provider=args.k8s_provider, depends_on=[release])
        for exp, (kind, spec) in sorted(experiments(args.latency_ms, args.duration_minutes,
                                                    args.database_hosts).items()):
            k8s.apiextensions.CustomResource(
                f"{name}-{exp}", api_version=CHAOS_API, kind="Schedule",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=exp, namespace=CHAOS_NAMESPACE),
                spec=schedule_spec(args.schedule, workflow(exp, kind, spec, args.duration_minutes)), opts=after)
            self.schedules.append(exp)
        self.register_outputs({"schedules": self.schedules})
