"""ServiceMonitors so the cluster's Prometheus (kube-prometheus-stack) scrapes api and worker."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from app.names import PLATFORM_CORE, labels

MONITORING_API = "monitoring.coreos.com/v1"


def service_monitor_spec(component: str, port: str, *, namespace: str = PLATFORM_CORE) -> dict[str, Any]:
    return {
        "selector": {"matchLabels": {"app": component}},
        "namespaceSelector": {"matchNames": [namespace]},
        "endpoints": [{"port": port, "path": "/metrics", "interval": "30s", "scrapeTimeout": "10s"}],
    }


def service_monitors(prefix: str, environment: str, extra_labels: Mapping[str, str],
                     opts: pulumi.ResourceOptions, *,
                     namespace: str = PLATFORM_CORE) -> list[k8s.apiextensions.CustomResource]:
    out: list[k8s.apiextensions.CustomResource] = []
    for component, port in (("api", "http"), ("worker", "metrics")):
        out.append(k8s.apiextensions.CustomResource(
            f"{prefix}-servicemonitor-{component}",
            api_version=MONITORING_API,
            kind="ServiceMonitor",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=component, namespace=namespace,
                                                labels={**labels(component, environment), **extra_labels}),
            spec=service_monitor_spec(component, port, namespace=namespace),
            opts=opts,
        ))
    return out
