"""Progressive delivery of the api with Argo Rollouts (canary by default, blue-green per stack).

The Rollout takes its pod template from the api Deployment (`workloadRef`), so the api keeps one
definition: Pulumi (or Argo CD) applies the Deployment at zero replicas as a template holder, and
the Rollouts controller runs the pods and every template change as a canary or blue-green
release (https://argo-rollouts.readthedocs.io/en/stable/migrating/#reference-deployment-from-rollout).
The HPA then targets the Rollout. The worker keeps its rolling update: it serves no traffic.

Traffic split: no traffic router. The ALB (target type ip) and the mesh both send to the
`api` Service, which selects stable and canary pods alike, so a step's weight is reached by
the ratio of canary to stable pods (rounded up to whole pods). An analysis on Prometheus (5xx
ratio, p99 latency of the whole api) runs from the first step; a failed analysis aborts the
rollout and the controller scales the stable ReplicaSet back to full
(https://argo-rollouts.readthedocs.io/en/stable/features/analysis/).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from app.names import HTTP_PORT, PLATFORM_CORE, labels, selector

ROLLOUTS_API = "argoproj.io/v1alpha1"
ANALYSIS_TEMPLATE = "api-health"
PREVIEW_SERVICE = "api-preview"
PROMETHEUS = "http://kube-prometheus-stack-prometheus.monitoring.svc:9090"
"""kube-prometheus-stack's Prometheus Service (release `kube-prometheus-stack`, namespace monitoring)."""
REQUESTS = "agentic_http_requests_total"
DURATION = "agentic_http_request_duration_seconds_bucket"


@dataclass(frozen=True)
class RolloutSpec:
    strategy: str
    """canary | blue-green."""
    canary_steps: tuple[int, ...] = (10, 25, 50, 100)
    step_pause_seconds: int = 120
    max_error_ratio: float = 0.01
    max_p99_seconds: float = 2.0
    interval_seconds: int = 60
    failure_limit: int = 2
    auto_promote_seconds: int | None = None
    prometheus: str = PROMETHEUS
    depends_on: tuple[pulumi.Resource, ...] = field(default_factory=tuple)
    """The Argo Rollouts release (its CRDs) the custom resources wait for."""


def canary_steps(weights: tuple[int, ...], pause_seconds: int) -> list[dict[str, Any]]:
    """setWeight + pause per weight below 100; the rollout completes to 100 % after the last."""
    steps: list[dict[str, Any]] = []
    for w in weights:
        if w >= 100:
            break
        steps.append({"setWeight": w})
        steps.append({"pause": {"duration": f"{pause_seconds}s"} if pause_seconds else {}})
    return steps


def analysis_template_spec(s: RolloutSpec, namespace: str = PLATFORM_CORE) -> dict[str, Any]:
    """Two Prometheus metrics over the api's namespace (its cell); `failureLimit` failures abort
    the rollout."""
    scope = f'namespace="{namespace}", service="api"'
    error = (f'sum(rate({REQUESTS}{{{scope}, status_code=~"5.."}}[2m])) / '
             f"clamp_min(sum(rate({REQUESTS}{{{scope}}}[2m])), 1e-9)")
    p99 = f"histogram_quantile(0.99, sum by (le) (rate({DURATION}{{{scope}}}[2m])))"

    def metric(name: str, query: str, limit: float) -> dict[str, Any]:
        return {"name": name, "interval": f"{s.interval_seconds}s", "failureLimit": s.failure_limit,
                # An empty result (no traffic yet) is NaN: it passes rather than aborting an idle canary.
                "successCondition": f"len(result) == 0 || isNaN(result[0]) || result[0] <= {limit}",
                "provider": {"prometheus": {"address": s.prometheus, "query": query}}}

    return {"metrics": [metric("error-ratio", error, s.max_error_ratio),
                        metric("latency-p99", p99, s.max_p99_seconds)]}


def rollout_spec(s: RolloutSpec, replicas: int) -> dict[str, Any]:
    analysis = {"templates": [{"templateName": ANALYSIS_TEMPLATE}]}
    if s.strategy == "blue-green":
        bg: dict[str, Any] = {"activeService": "api", "previewService": PREVIEW_SERVICE,
                              "prePromotionAnalysis": analysis, "autoPromotionEnabled":
                              s.auto_promote_seconds is not None, "scaleDownDelaySeconds": 300}
        if s.auto_promote_seconds is not None:
            bg["autoPromotionSeconds"] = s.auto_promote_seconds
        strategy: dict[str, Any] = {"blueGreen": bg}
    else:
        strategy = {"canary": {"maxSurge": "25%", "maxUnavailable": 0,
                               "analysis": {**analysis, "startingStep": 1},
                               "steps": canary_steps(s.canary_steps, s.step_pause_seconds)}}
    return {
        "replicas": replicas,
        "revisionHistoryLimit": 10,
        "progressDeadlineSeconds": 600,
        "progressDeadlineAbort": True,
        "selector": {"matchLabels": selector("api")},
        "workloadRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "api", "scaleDown": "never"},
        "strategy": strategy,
    }


def api_rollout(prefix: str, environment: str, s: RolloutSpec, replicas: int,
                opts: pulumi.ResourceOptions, *, namespace: str = PLATFORM_CORE) -> list[pulumi.Resource]:
    """AnalysisTemplate + Rollout (+ the preview Service for blue-green) in the cell's namespace."""
    crd = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=list(s.depends_on)))
    meta = {"namespace": namespace, "labels": labels("api", environment)}
    out: list[pulumi.Resource] = []
    template = k8s.apiextensions.CustomResource(
        f"{prefix}-analysis-api", api_version=ROLLOUTS_API, kind="AnalysisTemplate",
        metadata={"name": ANALYSIS_TEMPLATE, **meta}, spec=analysis_template_spec(s, namespace), opts=crd)
    out.append(template)
    if s.strategy == "blue-green":
        out.append(k8s.core.v1.Service(
            f"{prefix}-svc-api-preview",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=PREVIEW_SERVICE, namespace=namespace,
                                                labels=labels("api", environment)),
            spec=k8s.core.v1.ServiceSpecArgs(type="ClusterIP", selector=selector("api"), ports=[
                k8s.core.v1.ServicePortArgs(name="http", port=80, target_port=HTTP_PORT, protocol="TCP")]),
            opts=opts))
    # Replicas belong to the HPA once the Rollout exists (as for the Deployments).
    owned = pulumi.ResourceOptions(depends_on=[template], ignore_changes=["spec.replicas"])
    out.append(k8s.apiextensions.CustomResource(
        f"{prefix}-rollout-api", api_version=ROLLOUTS_API, kind="Rollout",
        metadata={"name": "api", **meta}, spec=rollout_spec(s, replicas),
        opts=pulumi.ResourceOptions.merge(crd, owned)))
    return out
