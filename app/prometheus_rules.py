"""The guide's alerts as PrometheusRule groups (pure data), and the CR that installs them.

Every alert carries a `severity` of P0-P3 (the guide's incident levels, which Alertmanager
routes on) and a `runbook_url` into docs/observability.md. The expressions read the metric
contract the API and workers expose (docs/observability.md, "Metric contract").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

SEVERITIES = ("P0", "P1", "P2", "P3")
RUNBOOK_BASE = "https://github.com/example/agentic-platform/blob/main/docs/observability.md"


@dataclass(frozen=True)
class RuleThresholds:
    error_ratio: float = 0.05
    """5xx share of API requests over 5 minutes."""
    latency_p95_seconds: float = 1.0
    latency_p99_seconds: float = 2.5
    db_pool_ratio: float = 0.8
    redis_memory_ratio: float = 0.8
    queue_depth: int = 1000
    job_p95_seconds: float = 300
    token_usage_ratio: float = 0.8
    """Projected monthly tokens (last day x 30) above this share of the tenant's quota."""
    services: tuple[str, ...] = ("api", "worker")


def _alert(name: str, expr: str, severity: str, summary: str, *, for_: str = "5m",
           labels: Mapping[str, str] | None = None) -> dict[str, Any]:
    if severity not in SEVERITIES:
        raise ValueError(f"{name}: severity {severity!r} is not one of {', '.join(SEVERITIES)}")
    return {
        "alert": name,
        "expr": expr,
        "for": for_,
        "labels": {"severity": severity, **(labels or {})},
        "annotations": {"summary": summary, "runbook_url": f"{RUNBOOK_BASE}#{name.lower()}"},
    }


def api_rules(t: RuleThresholds) -> list[dict[str, Any]]:
    reqs = "agentic_http_requests_total"
    dur = "agentic_http_request_duration_seconds_bucket"
    return [
        _alert("ApiHighErrorRate",
               f'sum by (namespace) (rate({reqs}{{status_code=~"5.."}}[5m])) / '
               f"sum by (namespace) (rate({reqs}[5m])) > {t.error_ratio}",
               "P1", f"More than {t.error_ratio:.0%} of API requests fail in {{{{ $labels.namespace }}}}"),
        _alert("ApiLatencyP95High",
               f"histogram_quantile(0.95, sum by (le, namespace) (rate({dur}[5m]))) > {t.latency_p95_seconds}",
               "P2", f"API p95 latency above {t.latency_p95_seconds}s in {{{{ $labels.namespace }}}}", for_="10m"),
        _alert("ApiLatencyP99High",
               f"histogram_quantile(0.99, sum by (le, namespace) (rate({dur}[5m]))) > {t.latency_p99_seconds}",
               "P1", f"API p99 latency above {t.latency_p99_seconds}s in {{{{ $labels.namespace }}}}", for_="10m"),
    ]


def store_rules(t: RuleThresholds) -> list[dict[str, Any]]:
    return [
        _alert("DatabaseConnectionPoolHigh",
               "max by (namespace, pod) (agentic_db_pool_connections_in_use / agentic_db_pool_connections_max) "
               f"> {t.db_pool_ratio}",
               "P1", f"Database connection pool above {t.db_pool_ratio:.0%} in {{{{ $labels.pod }}}}"),
        _alert("RedisMemoryHigh",
               f"max by (instance) (redis_memory_used_bytes / (redis_memory_max_bytes > 0)) > {t.redis_memory_ratio}",
               "P1", f"Redis {{{{ $labels.instance }}}} memory above {t.redis_memory_ratio:.0%} of maxmemory"),
    ]


def queue_rules(t: RuleThresholds) -> list[dict[str, Any]]:
    return [
        _alert("QueueDepthHigh", f"max by (namespace, queue) (agentic_queue_depth) > {t.queue_depth}",
               "P2", f"Queue {{{{ $labels.queue }}}} holds more than {t.queue_depth} jobs", for_="10m"),
        _alert("QueueProcessingSlow",
               "histogram_quantile(0.95, sum by (le, namespace, queue) "
               f"(rate(agentic_job_duration_seconds_bucket[10m]))) > {t.job_p95_seconds}",
               "P2", f"p95 job processing time above {t.job_p95_seconds:g}s on {{{{ $labels.queue }}}}", for_="15m"),
    ]


def tenant_rules(t: RuleThresholds, token_quotas: Mapping[str, int]) -> list[dict[str, Any]]:
    """Quota rejections, plus one token-usage alert per tenant with that tenant's own quota."""
    rules = [
        _alert("TenantQuotaExceeded",
               "sum by (tenant, quota) (increase(agentic_quota_exceeded_total[15m])) > 0",
               "P3", "Tenant {{ $labels.tenant }} hit its {{ $labels.quota }} quota", for_="0m"),
    ]
    for tenant, quota in sorted(token_quotas.items()):
        if quota <= 0:
            continue
        limit = int(quota * t.token_usage_ratio)
        rules.append(_alert(
            "TenantTokenUsageHigh",
            f'sum(increase(agentic_llm_tokens_total{{tenant="{tenant}"}}[1d])) * 30 > {limit}',
            "P2", f"Tenant {tenant} is on course to use more than {t.token_usage_ratio:.0%} of its "
                  f"{quota} tokens/month", for_="1h", labels={"tenant": tenant}))
    return rules


def availability_rules(t: RuleThresholds) -> list[dict[str, Any]]:
    jobs = "|".join(t.services)
    rules = [
        _alert("ServiceDown", f'sum by (namespace, job) (up{{job=~"{jobs}"}}) == 0', "P0",
               "No {{ $labels.job }} target is up in {{ $labels.namespace }}", for_="2m"),
    ]
    rules += [_alert("ServiceDown", f'absent(up{{job="{svc}"}})', "P0",
                     f"No {svc} target is scraped at all", for_="5m", labels={"job": svc}) for svc in t.services]
    return rules


def platform_rule_groups(t: RuleThresholds, token_quotas: Mapping[str, int]) -> list[dict[str, Any]]:
    return [
        {"name": "agentic-api", "rules": api_rules(t)},
        {"name": "agentic-stores", "rules": store_rules(t)},
        {"name": "agentic-queue", "rules": queue_rules(t)},
        {"name": "agentic-tenants", "rules": tenant_rules(t, token_quotas)},
        {"name": "agentic-availability", "rules": availability_rules(t)},
    ]


def prometheus_rule(name: str, namespace: pulumi.Input[str], groups: list[dict[str, Any]],
                    labels: Mapping[str, str], opts: pulumi.ResourceOptions) -> k8s.apiextensions.CustomResource:
    """The PrometheusRule CR (its CRD comes with kube-prometheus-stack: depend on that release)."""
    return k8s.apiextensions.CustomResource(
        name, api_version="monitoring.coreos.com/v1", kind="PrometheusRule",
        metadata=k8s.meta.v1.ObjectMetaArgs(name="agentic-platform", namespace=namespace, labels=dict(labels)),
        spec={"groups": groups}, opts=opts)
