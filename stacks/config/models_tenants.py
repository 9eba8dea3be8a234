"""Typed tenant catalog: one entry per tenant is all onboarding needs."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from stacks.config.models_infra import Frozen

Tier = Literal["shared", "dedicated", "enterprise"]
Compliance = Literal["gdpr", "iso27001", "soc2", "hipaa"]


class TenantQuotas(Frozen):
    """Kubernetes quotas (cpu, memory, pods, storage) and application quotas (the rest)."""

    cpu: str = "4"
    memory: str = "8Gi"
    pods: int = Field(default=20, ge=1)
    storage: str = "50Gi"
    api_calls_per_day: int = Field(default=100_000, ge=0)
    tokens_per_month: int = Field(default=10_000_000, ge=0)
    agent_execution_minutes_per_day: int = Field(default=600, ge=0)


class EnterpriseStores(Frozen):
    """Database-per-tenant sizing for the enterprise tier."""

    instance_class: str = "db.r7g.large"
    readers: int = Field(default=1, ge=0, le=15)
    redis: bool = False
    redis_node_type: str = "cache.r7g.large"


class TenantConfig(Frozen):
    id: str = Field(pattern=r"^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$")
    """DNS-safe (namespace `tenant-<id>`, bucket prefixes, secret names)."""
    display_name: str = Field(min_length=1)
    tier: Tier
    data_residency: str = "none"
    primary_region: str
    allowed_regions: tuple[str, ...] = ()
    """Empty: the tenant's data domain regions."""
    compliance_requirements: tuple[Compliance, ...] = ()
    quotas: TenantQuotas = TenantQuotas()
    cost_center: str = Field(min_length=1)
    operators: tuple[str, ...] = ()
    """IAM role ARNs of the tenant's operators, bound to its namespace through access entries."""
    enterprise: EnterpriseStores = EnterpriseStores()
    monthly_budget_usd: float = Field(default=500, ge=1)
