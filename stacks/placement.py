"""Where each tenant's workload and data live, decided from its residency's data domain.

Pure functions over the parsed config, so the rule "nothing of a tenant leaves its domain" is a
property of one small module that tests can check exhaustively (and with hypothesis), instead
of something spread over the resources that happen to get created. The composition creates
resources exactly where `place_tenant` says; the `tenants` stack export is this placement plus
the identifiers of the stores once they exist.
"""

from __future__ import annotations

from dataclasses import dataclass

from stacks.config import PlatformConfig
from stacks.config.models_infra import DataDomainConfig
from stacks.config.models_tenants import TenantConfig

LOCAL = "local"
"""Placement of every tenant of the local stack: the current kube context, in-cluster stores."""

ISOLATED_TIERS = frozenset({"dedicated", "enterprise"})
"""Tiers with their own namespace `tenant-<id>` (enterprise adds its own database)."""


@dataclass(frozen=True)
class TenantPlacement:
    """Regions of one tenant's workload and of each of its data stores."""

    tenant_id: str
    tier: str
    residency: str
    domain: str
    workload_regions: tuple[str, ...]
    """Primary region first; the domain's standby region follows for isolated tenants in prod."""
    namespace: str
    """`tenant-<id>` for dedicated/enterprise tenants, `shared-services` for shared ones."""
    database_region: str
    """Writer region: the domain's primary (shared database), or the tenant's own cluster's region."""
    database_replica_regions: tuple[str, ...]
    """Where read replicas of the tenant's rows live (the domain's Aurora Global secondaries)."""
    bucket_region: str
    bucket_replica_regions: tuple[str, ...]
    secrets_region: str
    secret_replica_regions: tuple[str, ...]
    backup_regions: tuple[str, ...]
    """Backup vault of the database region, plus the cross-region copy inside the domain."""
    own_database: bool

    @property
    def all_regions(self) -> frozenset[str]:
        """Every region holding anything of this tenant (the residency check runs on this)."""
        return frozenset({*self.workload_regions, self.database_region, *self.database_replica_regions,
                          self.bucket_region, *self.bucket_replica_regions, self.secrets_region,
                          *self.secret_replica_regions, *self.backup_regions})


def namespace_of(tenant: TenantConfig) -> str:
    return f"tenant-{tenant.id}" if tenant.tier in ISOLATED_TIERS else "shared-services"


def domain_of(cfg: PlatformConfig, tenant: TenantConfig) -> DataDomainConfig:
    """The tenant's data domain; config validation guarantees exactly one exists."""
    return cfg.domain_for_residency(tenant.data_residency)


def allowed_regions(cfg: PlatformConfig, tenant: TenantConfig) -> tuple[str, ...]:
    """The tenant's allowed regions in domain order (all of the domain when none are listed)."""
    dom = domain_of(cfg, tenant)
    if not tenant.allowed_regions:
        return dom.regions
    return tuple(r for r in dom.regions if r in tenant.allowed_regions)


def standby_region(cfg: PlatformConfig, tenant: TenantConfig) -> str | None:
    """Where an isolated tenant's namespace is kept warm: a `standby: true` region of its domain,
    else the domain's first replica, else the domain primary; never outside its allowed regions."""
    dom = domain_of(cfg, tenant)
    allowed = allowed_regions(cfg, tenant)
    candidates = [r for r in (*dom.replicas, dom.primary) if r != tenant.primary_region and r in allowed]
    flagged = [r for r in candidates if r in cfg.region_names and cfg.region(r).standby]
    ordered = flagged + [r for r in candidates if r not in flagged]
    return ordered[0] if ordered else None


def workload_regions(cfg: PlatformConfig, tenant: TenantConfig) -> tuple[str, ...]:
    if tenant.tier in ISOLATED_TIERS and cfg.environment == "prod":
        standby = standby_region(cfg, tenant)
        if standby is not None:
            return (tenant.primary_region, standby)
    return (tenant.primary_region,)


def backup_regions(cfg: PlatformConfig, dom: DataDomainConfig, source: str) -> tuple[str, ...]:
    """The vault of `source`, plus the copy target: the next region of the same domain."""
    if not cfg.backup.cross_region_copy:
        return (source,)
    others = [r for r in dom.regions if r != source]
    return (source, others[0]) if others else (source,)


def place_tenant(cfg: PlatformConfig, tenant: TenantConfig) -> TenantPlacement:
    if cfg.is_local:
        return TenantPlacement(
            tenant_id=tenant.id, tier=tenant.tier, residency=tenant.data_residency, domain=LOCAL,
            workload_regions=(LOCAL,), namespace=namespace_of(tenant), database_region=LOCAL,
            database_replica_regions=(), bucket_region=LOCAL, bucket_replica_regions=(),
            secrets_region=LOCAL, secret_replica_regions=(), backup_regions=(), own_database=False)
    dom = domain_of(cfg, tenant)
    own_db = tenant.tier == "enterprise"
    db_region = tenant.primary_region if own_db else dom.primary
    return TenantPlacement(
        tenant_id=tenant.id,
        tier=tenant.tier,
        residency=tenant.data_residency,
        domain=dom.name,
        workload_regions=workload_regions(cfg, tenant),
        namespace=namespace_of(tenant),
        database_region=db_region,
        # An enterprise cluster is regional; its DR copy is the backup copy inside the domain.
        database_replica_regions=() if own_db else dom.replicas,
        bucket_region=dom.primary,
        bucket_replica_regions=dom.replicas,
        secrets_region=tenant.primary_region,
        # Replicated where the tenant may run, never beyond: allowed regions lie inside the domain.
        secret_replica_regions=tuple(r for r in allowed_regions(cfg, tenant) if r != tenant.primary_region),
        backup_regions=backup_regions(cfg, dom, db_region),
        own_database=own_db,
    )


def place_tenants(cfg: PlatformConfig) -> dict[str, TenantPlacement]:
    """Placement of every tenant, keyed by id, in catalog order."""
    return {t.id: place_tenant(cfg, t) for t in cfg.tenants}


def tenants_in_region(cfg: PlatformConfig, region: str) -> list[tuple[TenantConfig, TenantPlacement]]:
    """Tenants with a workload in `region` (what one cluster must host)."""
    placements = place_tenants(cfg)
    return [(t, placements[t.id]) for t in cfg.tenants if region in placements[t.id].workload_regions]


def tenant_prefix(tenant_id: str) -> str:
    """The tenant's key prefix in its domain bucket; its Pod Identity role reaches only this."""
    return f"tenants/{tenant_id}/"
