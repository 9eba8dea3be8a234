"""The api scales on CPU, memory and request rate, the worker on its Redis queue length; disruption
budgets for both, and VPA in recommendation mode for right-sizing (deployment guide:
Auto-Scaling Configuration: "custom metrics: request rate, queue depth"). VPA never evicts here:
it would fight the HPA on CPU/memory.

Request rate is not a resource metric: a plain HPA would need a custom-metrics adapter. Where KEDA
runs (every EKS stack), one KEDA ScaledObject carries all three triggers (cpu, memory, and a
Prometheus query of the api's request counter) and owns the api's HPA, so no second HPA fights
it (https://keda.sh/docs/2.17/scalers/prometheus/, https://keda.sh/docs/2.17/scalers/cpu/). The
local stack, without KEDA, keeps the CPU + memory HPA."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from app.args import QueueSpec, ScalingSpec
from app.names import APP_SECRET, PLATFORM_CORE, labels, pdb_budget, selector

KEDA_API = "keda.sh/v1alpha1"
VPA_API = "autoscaling.k8s.io/v1"


API_REQUESTS_METRIC = "agentic_http_requests_total"


def hpa_behavior() -> dict[str, Any]:
    """Scale up fast (double every 30 s), down slowly (25 % a minute after 5 stable minutes)."""
    return {
        "scaleDown": {"stabilizationWindowSeconds": 300,
                      "policies": [{"type": "Percent", "value": 25, "periodSeconds": 60}]},
        "scaleUp": {"stabilizationWindowSeconds": 0,
                    "policies": [{"type": "Percent", "value": 100, "periodSeconds": 30}]},
    }


def request_rate_query(namespace: str = PLATFORM_CORE) -> str:
    """Requests per second the api serves in its namespace (summed over pods)."""
    return f'sum(rate({API_REQUESTS_METRIC}{{namespace="{namespace}"}}[2m]))'


def api_scaled_object_spec(s: ScalingSpec, prometheus_url: str, namespace: str = PLATFORM_CORE,
                           target: tuple[str, str] = ("apps/v1", "Deployment")) -> dict[str, Any]:
    """KEDA ScaledObject for the api: CPU and memory utilisation plus request rate per pod.

    The Prometheus trigger is `AverageValue`: KEDA divides the query's total by the replica count,
    so `threshold` is requests per second per pod. The HPA KEDA creates takes the largest
    replica count any trigger asks for.
    """
    return {
        "scaleTargetRef": {"apiVersion": target[0], "kind": target[1], "name": "api"},
        "minReplicaCount": s.api_min_replicas,
        "maxReplicaCount": s.api_max_replicas,
        "pollingInterval": 15,
        "cooldownPeriod": 300,
        "advanced": {"horizontalPodAutoscalerConfig": {"name": "api", "behavior": hpa_behavior()}},
        "triggers": [
            {"type": "cpu", "metricType": "Utilization", "metadata": {"value": str(s.api_cpu_percent)}},
            {"type": "memory", "metricType": "Utilization", "metadata": {"value": str(s.api_memory_percent)}},
            {"type": "prometheus", "metricType": "AverageValue", "metadata": {
                "serverAddress": prometheus_url,
                "query": request_rate_query(namespace),
                "threshold": str(s.api_requests_per_second),
                "activationThreshold": "0",
            }},
        ],
    }


def api_scaler(prefix: str, environment: str, s: ScalingSpec, prometheus_url: str,
               opts: pulumi.ResourceOptions, *, target: tuple[str, str] = ("apps/v1", "Deployment"),
               namespace: str = PLATFORM_CORE) -> k8s.apiextensions.CustomResource:
    return k8s.apiextensions.CustomResource(
        f"{prefix}-keda-api",
        api_version=KEDA_API,
        kind="ScaledObject",
        metadata=k8s.meta.v1.ObjectMetaArgs(name="api", namespace=namespace, labels=labels("api", environment)),
        spec=api_scaled_object_spec(s, prometheus_url, namespace, target),
        opts=opts,
    )


def api_hpa(prefix: str, environment: str, s: ScalingSpec, opts: pulumi.ResourceOptions,
            target: tuple[str, str] = ("apps/v1", "Deployment"), *,
            namespace: str = PLATFORM_CORE) -> k8s.autoscaling.v2.HorizontalPodAutoscaler:
    """`target`: (apiVersion, kind) of the `api` workload; an Argo Rollout when one owns the pods."""
    def util(resource: str, percent: int) -> k8s.autoscaling.v2.MetricSpecArgs:
        return k8s.autoscaling.v2.MetricSpecArgs(
            type="Resource",
            resource=k8s.autoscaling.v2.ResourceMetricSourceArgs(
                name=resource,
                target=k8s.autoscaling.v2.MetricTargetArgs(type="Utilization", average_utilization=percent)),
        )
    return k8s.autoscaling.v2.HorizontalPodAutoscaler(
        f"{prefix}-hpa-api",
        metadata=k8s.meta.v1.ObjectMetaArgs(name="api", namespace=namespace, labels=labels("api", environment)),
        spec=k8s.autoscaling.v2.HorizontalPodAutoscalerSpecArgs(
            scale_target_ref=k8s.autoscaling.v2.CrossVersionObjectReferenceArgs(
                api_version=target[0], kind=target[1], name="api"),
            min_replicas=s.api_min_replicas,
            max_replicas=s.api_max_replicas,
            metrics=[util("cpu", s.api_cpu_percent), util("memory", s.api_memory_percent)],
            behavior=k8s.autoscaling.v2.HorizontalPodAutoscalerBehaviorArgs(
                scale_down=k8s.autoscaling.v2.HPAScalingRulesArgs(
                    stabilization_window_seconds=300,
                    policies=[k8s.autoscaling.v2.HPAScalingPolicyArgs(type="Percent", value=25, period_seconds=60)]),
                scale_up=k8s.autoscaling.v2.HPAScalingRulesArgs(
                    stabilization_window_seconds=0,
                    policies=[k8s.autoscaling.v2.HPAScalingPolicyArgs(type="Percent", value=100, period_seconds=30)]),
            ),
        ),
        opts=opts,
    )


def scaled_object_spec(s: ScalingSpec, queue: QueueSpec, address: str) -> dict[str, Any]:
    """KEDA scales the worker on the length of the Redis list the api pushes jobs to."""
    trigger: dict[str, Any] = {
        "type": "redis",
        "metadata": {
            "address": address,
            "listName": s.queue_list_name,
            "listLength": str(s.queue_length_target),
            "activationListLength": "0",
            "enableTLS": "true" if queue.tls else "false",
            "databaseIndex": "0",
        },
    }
    if queue.password_secret_key:
        trigger["authenticationRef"] = {"name": "worker-queue"}
    return {
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "worker"},
        "minReplicaCount": s.worker_replicas,
        "maxReplicaCount": s.worker_max_replicas,
        "pollingInterval": 15,
        "cooldownPeriod": 300,
        "triggers": [trigger],
    }


def worker_scaler(prefix: str, environment: str, s: ScalingSpec, queue: QueueSpec,
                  opts: pulumi.ResourceOptions, *, namespace: str = PLATFORM_CORE) -> list[pulumi.Resource]:
    meta_labels = labels("worker", environment)
    out: list[pulumi.Resource] = []
    if queue.password_secret_key:
        out.append(k8s.apiextensions.CustomResource(
            f"{prefix}-keda-auth-worker",
            api_version=KEDA_API,
            kind="TriggerAuthentication",
            metadata=k8s.meta.v1.ObjectMetaArgs(name="worker-queue", namespace=namespace, labels=meta_labels),
            spec={"secretTargetRef": [{"parameter": "password", "name": APP_SECRET,
                                       "key": queue.password_secret_key}]},
            opts=opts,
        ))
    out.append(k8s.apiextensions.CustomResource(
        f"{prefix}-keda-worker",
        api_version=KEDA_API,
        kind="ScaledObject",
        metadata=k8s.meta.v1.ObjectMetaArgs(name="worker", namespace=namespace, labels=meta_labels),
        spec=pulumi.Output.from_input(queue.address).apply(lambda a: scaled_object_spec(s, queue, a)),
        opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=list(out))),
    ))
    return out


def disruption_budget(prefix: str, component: str, environment: str, replicas: int,
                      opts: pulumi.ResourceOptions, *,
                      namespace: str = PLATFORM_CORE) -> k8s.policy.v1.PodDisruptionBudget:
    budget = pdb_budget(replicas)
    return k8s.policy.v1.PodDisruptionBudget(
        f"{prefix}-pdb-{component}",
        metadata=k8s.meta.v1.ObjectMetaArgs(name=component, namespace=namespace,
                                            labels=labels(component, environment)),
        spec=k8s.policy.v1.PodDisruptionBudgetSpecArgs(
            selector=k8s.meta.v1.LabelSelectorArgs(match_labels=selector(component)),
            min_available=budget.get("min_available"),
            max_unavailable=budget.get("max_unavailable"),
            unhealthy_pod_eviction_policy="AlwaysAllow",
        ),
        opts=opts,
    )


def vpa_spec(component: str) -> dict[str, Any]:
    return {
        "targetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": component},
        "updatePolicy": {"updateMode": "Off"},
        "resourcePolicy": {"containerPolicies": [
            {"containerName": component, "controlledResources": ["cpu", "memory"]}]},
    }


def recommender(prefix: str, component: str, environment: str,
                opts: pulumi.ResourceOptions, *, namespace: str = PLATFORM_CORE) -> k8s.apiextensions.CustomResource:
    return k8s.apiextensions.CustomResource(
        f"{prefix}-vpa-{component}",
        api_version=VPA_API,
        kind="VerticalPodAutoscaler",
        metadata=k8s.meta.v1.ObjectMetaArgs(name=component, namespace=namespace,
                                            labels=labels(component, environment)),
        spec=vpa_spec(component),
        opts=opts,
    )
