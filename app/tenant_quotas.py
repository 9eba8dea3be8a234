"""Application-level quotas of the tenants one regional cluster serves, as app configuration.

Shared tenants have no namespace of their own, so Kubernetes cannot bound them: the API enforces
their quotas (API calls per day, tokens per month, agent execution time, storage) from this
ConfigMap in `shared-services`. Only tenants placed in the region are listed, so an EU-resident
tenant's entry never appears on a cluster outside the EU. Quotas are not secrets.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from app.names import SHARED_SERVICES

CONFIG_MAP = "tenant-quotas"


@dataclass(frozen=True)
class TenantAppQuota:
    tenant_id: str
    tier: str
    data_residency: str
    api_calls_per_day: int
    tokens_per_month: int
    agent_execution_minutes_per_day: int
    storage: str


def render_quotas(quotas: Sequence[TenantAppQuota]) -> dict[str, str]:
    """ConfigMap data: one JSON document keyed by tenant id (stable order, diff-friendly)."""
    doc = {q.tenant_id: {"tier": q.tier, "data_residency": q.data_residency,
                         "api_calls_per_day": q.api_calls_per_day, "tokens_per_month": q.tokens_per_month,
                         "agent_execution_minutes_per_day": q.agent_execution_minutes_per_day,
                         "storage": q.storage}
           for q in sorted(quotas, key=lambda q: q.tenant_id)}
    return {"quotas.json": json.dumps(doc, sort_keys=True, indent=1)}


def tenant_quotas_config_map(name: str, quotas: Sequence[TenantAppQuota], environment: str, *,
                             namespace: pulumi.Input[str] = SHARED_SERVICES,
                             labels: Mapping[str, str] | None = None,
                             opts: pulumi.ResourceOptions | None = None) -> k8s.core.v1.ConfigMap:
    """The ConfigMap `tenant-quotas` in shared-services (on the provider in `opts`)."""
    return k8s.core.v1.ConfigMap(
        name,
        metadata=k8s.meta.v1.ObjectMetaArgs(
            name=CONFIG_MAP, namespace=namespace,
            labels={"app.kubernetes.io/part-of": "agentic-platform", "app.kubernetes.io/managed-by": "pulumi",
                    "agentic.io/environment": environment, **(labels or {})},
        ),
        data=render_quotas(quotas),
        opts=opts,
    )
