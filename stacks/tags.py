"""Cost-allocation tags: one place decides them, provider default tags apply them everywhere."""

from __future__ import annotations

from stacks.config import PlatformConfig

MANAGED_BY = "pulumi"


def base_tags(cfg: PlatformConfig) -> dict[str, str]:
    """Tags every AWS resource carries (provider default tags)."""
    return {
        "environment": cfg.environment,
        "project": cfg.project,
        "managed-by": MANAGED_BY,
        "cost-center": cfg.cost_center,
        "owner": cfg.owner,
    }


def tenant_tags(tenant_id: str, residency: str, cost_center: str) -> dict[str, str]:
    """Per-resource tags of a tenant's resources; they override the environment's cost center."""
    return {"tenant": tenant_id, "data-residency": residency, "cost-center": cost_center}


def residency_tags(residency: str) -> dict[str, str]:
    """Tag of data held under a residency; the policy pack keeps such resources in its regions."""
    return {"data-residency": residency}
