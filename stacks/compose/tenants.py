"""Tenants: placement by residency, dedicated namespaces, enterprise stores, budgets.

Onboarding is one catalog entry (`agentic-platform:tenants`) and `pulumi up`: every resource
below is derived from `stacks.placement`, named after the tenant and its region, and tagged with
the tenant's cost-allocation tags, so adding a tenant adds exactly its resources and changes no
other URN. Offboarding (docs/tenancy.md) removes the entry; protected stores stay behind.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
import pulumi_random as random

from app.external_secrets import ESO_API, STORE_NAME, secret_store
from app.mesh import IstioAmbientMesh
from app.names import PLATFORM_CORE, SHARED_SERVICES
from app.tenant_namespace import NamespaceQuota, TenantNamespace, TenantNamespaceArgs, tenant_storage_policy
from app.tenant_quotas import TenantAppQuota, tenant_quotas_config_map
from components.aurora import AuroraCluster, AuroraClusterArgs
from components.backup import BackupCopy, BackupPlan, BackupPlanArgs, BackupVault, BackupVaultArgs, lock_mode_for
from components.budgets import BudgetSpec, CostControls, CostControlsArgs
from components.kms import RegionKeys, RegionKeysArgs
from components.redis import Redis, RedisArgs
from components.region_switch import GlobalDatabase
from components.secrets import SecretReplica, SecretSet, SecretSetArgs, replica_arn
from stacks.cells import domain_cell_namespace, region_cells
from stacks.compose.data import DataDomains
from stacks.compose.observability import tenant_store_alarms
from stacks.compose.secret_stores import store_role
from stacks.compose.types import RegionBase, RegionContext, RegionData, RegionWorkload
from stacks.config import PlatformConfig
from stacks.config.models_tenants import TenantConfig
from stacks.config.regions import short_region
from stacks.placement import TenantPlacement, place_tenants, tenant_prefix, tenants_in_region
from stacks.tags import tenant_tags

TENANT_API_KEY_SECRET = "tenant-api-key"
"""The tenant's API key in its own namespace (key `api-key`), mounted as a file by its workloads."""
COST_ALLOCATION_TAGS = ("environment", "project", "managed-by", "cost-center", "tenant", "data-residency")


def app_quota(t: TenantConfig) -> TenantAppQuota:
    q = t.quotas
    return TenantAppQuota(tenant_id=t.id, tier=t.tier, data_residency=t.data_residency,
                          api_calls_per_day=q.api_calls_per_day, tokens_per_month=q.tokens_per_month,
                          agent_execution_minutes_per_day=q.agent_execution_minutes_per_day, storage=q.storage)


def tenant_resource_name(cfg: PlatformConfig, region: str, tenant_id: str) -> str:
    """`prod-eu-west-1-tenant-eurobank`: environment, region and tenant in every name."""
    return f"{cfg.environment}-{region}-tenant-{tenant_id}"


def enterprise_cluster_identifier(cfg: PlatformConfig, region: str, tenant_id: str) -> str:
    """<= 48 characters (ids are <= 32): the Aurora component caps identifiers at 50."""
    return f"{cfg.environment}-{short_region(region)}-t-{tenant_id}"


def secret_prefix(cfg: PlatformConfig, tenant_id: str) -> str:
    return f"{cfg.project}/{cfg.environment}/tenants/{tenant_id}"


# --- what the data layer exposes per domain (`DataDomains` docstring: by_region/exports) ---

def _bucket_in(domains: DataDomains, domain: str, region: str) -> tuple[Any, Any]:
    """(name, arn) of the domain's bucket copy in `region` (the source bucket in the primary)."""
    view = ((domains.by_region.get(region) or {}).get("domains") or {}).get(domain) or {}
    bucket = view.get("bucket")
    if bucket is None:
        return None, None
    return getattr(bucket, "name", None), getattr(bucket, "arn", None)


def _domain_cluster(domains: DataDomains, domain: str, region: str) -> Any:
    """Identifier of the domain's Aurora cluster in `region` (the writer in the domain primary)."""
    return ((domains.exports.get(domain) or {}).get("clusters") or {}).get(region)


# --- the layer ---

def build_tenants(contexts: dict[str, RegionContext], bases: dict[str, RegionBase],
                  data: dict[str, RegionData], domains: DataDomains,
                  workloads: dict[str, RegionWorkload] | None = None) -> dict[str, Any]:
    """Builds every tenant's resources; returns the `tenants` export (placement and stores)."""
    if not contexts:
        return {}
    cfg = next(iter(contexts.values())).cfg
    placements = place_tenants(cfg)
    default_ctx = contexts.get(cfg.default_region) or next(iter(contexts.values()))
    account_id = aws.get_caller_identity_output(
        opts=pulumi.InvokeOutputOptions(provider=default_ctx.aws_provider)).account_id
    for region, ctx in contexts.items():
        _shared_quotas(cfg, ctx, bases[region], (workloads or {}).get(region))
    exports: dict[str, Any] = {}
    for tenant in cfg.tenants:
        exports[tenant.id] = _build_tenant(cfg, tenant, placements[tenant.id], contexts=contexts, bases=bases,
                                           data=data, domains=domains, account_id=account_id)
    _cost_controls(cfg, default_ctx, account_id)
    return exports


def tenant_cell_namespace(cfg: PlatformConfig, region: str, domain: str) -> str:
    """The namespace of `domain`'s cell in `region` (platform-core for the region's home domain)."""
    return domain_cell_namespace(cfg, region, domain) or PLATFORM_CORE


def _shared_quotas(cfg: PlatformConfig, ctx: RegionContext, base: RegionBase,
                   workload: RegionWorkload | None) -> None:
    """Application quotas of the tenants this cluster serves: all of them in shared-services, and
    each cell's own tenants in the cell's namespace (the api enforcing them runs there and can only
    mount its own namespace's maps; a cell never sees another domain's tenants)."""
    region_tenants = tenants_in_region(cfg, ctx.name)
    served = [app_quota(t) for t, _ in region_tenants]
    if not served or base.k8s_provider is None:
        return
    targets = [(SHARED_SERVICES, "", served)]
    for cell in region_cells(cfg, ctx.name):
        own = [app_quota(t) for t, p in region_tenants if p.domain == cell.domain]
        if own:
            targets.append((cell.namespace, "-core" if cell.home else f"-{cell.domain}", own))
    for ns_name, suffix, quotas in targets:
        # The workload's namespace name Output carries the dependency on the Namespace object.
        namespace = (workload.namespaces.get(ns_name) if workload else None) or ns_name
        tenant_quotas_config_map(
            f"{cfg.environment}-{ctx.name}-tenant-quotas{suffix}", quotas, cfg.environment, namespace=namespace,
            opts=pulumi.ResourceOptions(parent=ctx.parent, provider=base.k8s_provider))


def _build_tenant(cfg: PlatformConfig, tenant: TenantConfig, p: TenantPlacement, *,
                  contexts: dict[str, RegionContext], bases: dict[str, RegionBase], data: dict[str, RegionData],
                  domains: DataDomains, account_id: pulumi.Output[str]) -> dict[str, Any]:
    tags = tenant_tags(tenant.id, tenant.data_residency, tenant.cost_center)
    dom = cfg.domain(p.domain)
    bucket_name, _ = _bucket_in(domains, dom.name, p.bucket_region)
    cluster_id: Any = _domain_cluster(domains, dom.name, p.database_region)
    api_key_arns: dict[str, Any] = {}
    if p.tier != "shared":
        api_key_arns = _api_key(cfg, tenant, p, contexts=contexts, data=data, tags=tags)
    global_db: dict[str, Any] | None = None
    if p.own_database:
        cluster_id, global_db = _enterprise_stores(
            cfg, tenant, p, ctx=contexts[p.database_region], base=bases[p.database_region],
            data=data[p.database_region], account_id=account_id, tags=tags, contexts=contexts, all_data=data,
            all_bases=bases)
    if p.tier != "shared":
        for region in p.workload_regions:
            _namespace(cfg, tenant, p, region=region, ctx=contexts[region], base=bases[region], data=data,
                       domains=domains, api_key_arn=api_key_arns.get(region), tags=tags)
    return {
        "tier": tenant.tier,
        "data_residency": tenant.data_residency,
        "domain": p.domain,
        "workload_regions": list(p.workload_regions),
        "stores": {
            "database": {"region": p.database_region, "cluster_identifier": cluster_id,
                         **({"global": global_db} if global_db else {})},
            "bucket": {"region": p.bucket_region, "name": bucket_name, "prefix": tenant_prefix(tenant.id)},
            "secrets_region": p.secrets_region,
            "namespace": p.namespace,
        },
    }


def _api_key(cfg: PlatformConfig, tenant: TenantConfig, p: TenantPlacement, *, contexts: dict[str, RegionContext],
             data: dict[str, RegionData], tags: dict[str, str]) -> dict[str, Any]:
    """The tenant's API key: generated, stored in its secrets region, replicated only inside its
    allowed regions (which lie inside its domain). Returns region -> secret ARN."""
    region = p.secrets_region
    key_arn = data[region].kms_keys.get("secrets")
    replica_keys = {r: data[r].kms_keys.get("secrets") for r in p.secret_replica_regions if r in data}
    if key_arn is None or any(v is None for v in replica_keys.values()):
        pulumi.log.warn(f"tenant '{tenant.id}': no secrets KMS key in {region} yet; API key not created")
        return {}
    ctx = contexts[region]
    name = tenant_resource_name(cfg, region, tenant.id)
    password = random.RandomPassword(f"{name}-api-key", length=48, special=False,
                                     opts=pulumi.ResourceOptions(parent=ctx.parent))
    secrets = SecretSet(f"{name}-secrets", SecretSetArgs(
        region=region,
        path_prefix=secret_prefix(cfg, tenant.id),
        kms_key_arn=key_arn,
        values={"api-key": password.result},
        replicas=[SecretReplica(region=r, kms_key_arn=k) for r, k in replica_keys.items() if k is not None],
        protect=cfg.protected,
        recovery_window_in_days=30 if cfg.protected else 7,
        tags=tags,
        descriptions={"api-key": f"API key of tenant {tenant.id} ({tenant.data_residency})"},
    ), opts=ctx.opts())
    primary = secrets.arns["api-key"]
    return {region: primary, **{r: replica_arn(primary, region, r) for r in replica_keys}}


def _enterprise_stores(cfg: PlatformConfig, tenant: TenantConfig, p: TenantPlacement, *, ctx: RegionContext,
                       base: RegionBase, data: RegionData, account_id: pulumi.Output[str],
                       tags: dict[str, str], contexts: dict[str, RegionContext],
                       all_data: dict[str, RegionData], all_bases: dict[str, RegionBase]
                       ) -> tuple[Any, dict[str, Any] | None]:
    """Database per tenant: its own KMS keys, Aurora cluster (and Redis), protected in staging/prod."""
    region = p.database_region
    logs_key, secrets_key = data.kms_keys.get("logs"), data.kms_keys.get("secrets")
    if logs_key is None or secrets_key is None or base.database_subnet_group is None:
        pulumi.log.warn(f"tenant '{tenant.id}': the data/base layers of {region} expose no keys or "
                        "database subnet group yet; its own database is not created")
        return None, None
    name = tenant_resource_name(cfg, region, tenant.id)
    ent = tenant.enterprise
    keys = RegionKeys(f"{name}-keys", RegionKeysArgs(
        region=region, alias_prefix=secret_prefix(cfg, tenant.id), account_id=account_id,
        purposes=("database", "cache") if ent.redis else ("database",),
        protect=cfg.protected, tags=tags,
    ), opts=ctx.opts())
    sources = [sg for sg in (base.node_security_group_id, base.cluster_security_group_id) if sg is not None]
    db = AuroraCluster(f"{name}-db", AuroraClusterArgs(
        identifier=enterprise_cluster_identifier(cfg, region, tenant.id),
        region=region,
        engine_version=cfg.database.engine_version,
        instance_class=ent.instance_class,
        kms_key_arn=keys.arns["database"],
        logs_kms_key_arn=logs_key,
        secrets_kms_key_arn=secrets_key,
        vpc_id=base.vpc_id,
        subnet_ids=list(base.private_subnet_ids),  # the proxy and its read-only endpoint
        db_subnet_group_name=base.database_subnet_group,
        allowed_security_group_ids=sources,
        readers=ent.readers,
        secret_path_prefix=f"{secret_prefix(cfg, tenant.id)}/database",
        managed_master_password=True,  # regional: RDS owns and rotates it
        backup_retention_days=cfg.database.backup_retention_days,
        performance_insights_retention_days=cfg.database.performance_insights_retention_days,
        protected=cfg.protected,
        joins_global=global_secondary_region(cfg, p) is not None,
        tags=tags,
    ), opts=ctx.opts())
    global_db = _enterprise_secondary(cfg, tenant, p, db=db, contexts=contexts, bases=all_bases,
                                      data=all_data, account_id=account_id, tags=tags)
    redis = None
    if ent.redis:
        redis = Redis(f"{name}-cache", RedisArgs(
            identifier=f"{cfg.environment}-{short_region(region)}-t-{tenant.id}"[:40].rstrip("-"),
            region=region, role="cache", node_type=ent.redis_node_type, engine=cfg.redis.engine,
            engine_version=cfg.redis.engine_version,
            kms_key_arn=keys.arns["cache"], logs_kms_key_arn=logs_key, vpc_id=base.vpc_id,
            subnet_group_name=base.cache_subnet_group, subnet_ids=list(base.private_subnet_ids),
            allowed_security_group_ids=sources, replicas_per_shard=1, multi_az=True,
            snapshot_retention_days=cfg.redis.cache.snapshot_retention_days,
            protected=cfg.protected, tags=tags,
        ), opts=ctx.opts())
    _enterprise_backups(cfg, tenant, p, db_arn=db.arn, key_arn=keys.arns["database"], contexts=contexts,
                        data=all_data, tags=tags)
    tenant_store_alarms(ctx, data, tenant.id, db_cluster_identifier=db.cluster_identifier,
                        redis_group_id=redis.replication_group.replication_group_id if redis else None)
    return db.cluster_identifier, global_db


def global_secondary_region(cfg: PlatformConfig, p: TenantPlacement) -> str | None:
    """Where an enterprise tenant's database keeps its headless Aurora Global secondary: the first
    region of its data domain other than the database's own, when `failover.enterprise_secondaries`
    is on (pure). Never outside the domain."""
    if not cfg.failover.enterprise_secondaries or not p.own_database:
        return None
    dom = cfg.domain(p.domain)
    return next((r for r in dom.regions if r != p.database_region), None)


def _enterprise_secondary(cfg: PlatformConfig, tenant: TenantConfig, p: TenantPlacement, *, db: AuroraCluster,
                          contexts: dict[str, RegionContext], bases: dict[str, RegionBase],
                          data: dict[str, RegionData], account_id: pulumi.Output[str],
                          tags: dict[str, str]) -> dict[str, Any] | None:
    """The tenant's database becomes the primary of a global cluster created from it (no
    replacement), with a headless secondary in the domain's replica region: storage replication
    only, no instance and no proxy until a failover, so the RPO is the replication lag (~1 s) for
    storage and replicated-write I/O instead of a reader (docs/cost-and-dr.md)."""
    region = global_secondary_region(cfg, p)
    if region is None or region not in contexts:
        return None
    base, rdata = bases[region], data[region]
    logs_key, secrets_key = rdata.kms_keys.get("logs"), rdata.kms_keys.get("secrets")
    if logs_key is None or secrets_key is None or base.database_subnet_group is None:
        pulumi.log.warn(f"tenant '{tenant.id}': {region} exposes no keys or database subnet group yet; "
                        "no global secondary")
        return None
    home = contexts[p.database_region]
    ident = enterprise_cluster_identifier(cfg, p.database_region, tenant.id)
    gc = aws.rds.GlobalCluster(
        f"{tenant_resource_name(cfg, p.database_region, tenant.id)}-global", region=p.database_region,
        global_cluster_identifier=f"{ident}-global", source_db_cluster_identifier=db.arn,
        force_destroy=True, deletion_protection=cfg.protected, tags=tags,
        opts=home.opts(protect=cfg.protected, retain_on_delete=cfg.protected, depends_on=[db.cluster, *db.instances]))
    name = tenant_resource_name(cfg, region, tenant.id)
    keys = RegionKeys(f"{name}-keys", RegionKeysArgs(
        region=region, alias_prefix=secret_prefix(cfg, tenant.id), account_id=account_id, purposes=("database",),
        protect=cfg.protected, tags=tags), opts=contexts[region].opts())
    sources = [sg for sg in (base.node_security_group_id, base.cluster_security_group_id) if sg is not None]
    secondary = AuroraCluster(f"{name}-db", AuroraClusterArgs(
        identifier=enterprise_cluster_identifier(cfg, region, tenant.id), region=region,
        engine_version=cfg.database.engine_version, instance_class=tenant.enterprise.instance_class,
        kms_key_arn=keys.arns["database"], logs_kms_key_arn=logs_key, secrets_kms_key_arn=secrets_key,
        vpc_id=base.vpc_id, subnet_ids=list(base.private_subnet_ids), db_subnet_group_name=base.database_subnet_group,
        allowed_security_group_ids=sources, readers=0, proxy=False, global_role="secondary",
        global_cluster_identifier=gc.id, source_region=p.database_region, write_forwarding=False,
        depends_on=[gc, *db.instances], backup_retention_days=cfg.database.backup_retention_days,
        performance_insights_retention_days=cfg.database.performance_insights_retention_days,
        protected=cfg.protected, tags=tags,
    ), opts=contexts[region].opts())
    return {"domain": p.domain, "global_cluster_identifier": gc.global_cluster_identifier,
            "clusters": {p.database_region: db.arn, region: secondary.arn},
            "secondary_region": region, "headless": True}


def tenant_global_databases(exports: dict[str, Any]) -> dict[str, list[GlobalDatabase]]:
    """Per data domain, the enterprise tenants' global databases (for the domain's Region switch plan)."""
    out: dict[str, list[GlobalDatabase]] = {}
    for tenant_id, export in exports.items():
        g = ((export.get("stores") or {}).get("database") or {}).get("global")
        if g:
            out.setdefault(g["domain"], []).append(GlobalDatabase(
                f"tenant-{tenant_id}", g["global_cluster_identifier"], list(g["clusters"].values())))
    return out


def _enterprise_backups(cfg: PlatformConfig, tenant: TenantConfig, p: TenantPlacement, *,
                        db_arn: pulumi.Output[str], key_arn: pulumi.Output[str],
                        contexts: dict[str, RegionContext], data: dict[str, RegionData],
                        tags: dict[str, str]) -> None:
    """The tenant's own vault and daily plan; the copy goes only to the placement's other backup
    region (inside the domain), encrypted with that region's database key (keys are regional)."""
    vaults: dict[str, BackupVault] = {}
    for region in p.backup_regions:
        key = key_arn if region == p.database_region else data[region].kms_keys.get("database")
        if key is None:
            continue
        vaults[region] = BackupVault(f"{tenant_resource_name(cfg, region, tenant.id)}-vault", BackupVaultArgs(
            name=backup_name(cfg, region, tenant.id), region=region, kms_key_arn=key, protected=cfg.protected,
            lock=lock_mode_for(cfg.environment), min_retention_days=cfg.backup.retention_days,
            tags=tags), opts=contexts[region].opts())
    if p.database_region not in vaults:
        return
    BackupPlan(f"{tenant_resource_name(cfg, p.database_region, tenant.id)}-backup", BackupPlanArgs(
        name=backup_name(cfg, p.database_region, tenant.id), region=p.database_region,
        vault_name=vaults[p.database_region].name, resources=[db_arn], retention_days=cfg.backup.retention_days,
        schedule=cfg.backup.schedule,
        copies=[BackupCopy(r, v.arn) for r, v in vaults.items() if r != p.database_region], tags=tags,
    ), opts=contexts[p.database_region].opts())


def backup_name(cfg: PlatformConfig, region: str, tenant_id: str) -> str:
    """Vault/plan name; the plan's IAM role appends `-backup` and must fit IAM's 64 characters."""
    return f"{cfg.environment}-t-{tenant_id}-{short_region(region)}"


def _namespace(cfg: PlatformConfig, tenant: TenantConfig, p: TenantPlacement, *, region: str, ctx: RegionContext,
               base: RegionBase, data: dict[str, RegionData], domains: DataDomains, api_key_arn: Any,
               tags: dict[str, str]) -> None:
    """`tenant-<id>` on the region's cluster, and its workload's Pod Identity role."""
    if base.k8s_provider is None or base.cluster_name is None:
        pulumi.log.warn(f"tenant '{tenant.id}': {region} has no cluster yet; namespace not created")
        return
    name = tenant_resource_name(cfg, region, tenant.id)
    q = tenant.quotas
    ns = TenantNamespace(name, TenantNamespaceArgs(
        tenant_id=tenant.id, namespace=p.namespace, region=region, environment=cfg.environment,
        quota=NamespaceQuota(cpu=q.cpu, memory=q.memory, pods=q.pods, storage=q.storage),
        app_quotas={"api_calls_per_day": q.api_calls_per_day, "tokens_per_month": q.tokens_per_month,
                    "agent_execution_minutes_per_day": q.agent_execution_minutes_per_day},
        cluster_name=base.cluster_name, operator_role_arns=tenant.operators,
        labels={"agentic.io/data-residency": tenant.data_residency}, tags=tags, mesh=cfg.mesh.enabled,
        mesh_crds=mesh.base if isinstance(mesh := base.extras.get("mesh"), IstioAmbientMesh) else None,
        platform_namespace=tenant_cell_namespace(cfg, region, p.domain),
    ), opts=pulumi.ResourceOptions(parent=ctx.parent, providers={"aws": ctx.aws_provider,
                                                                 "kubernetes": base.k8s_provider}
                                   if ctx.aws_provider is not None else {"kubernetes": base.k8s_provider}))
    _api_key_secret(cfg, tenant, p, ctx=ctx, base=base, ns=ns, api_key_arn=api_key_arn, tags=tags)
    if base.pod_identity is None:
        return
    dom = cfg.domain(p.domain)
    # The copy in this region (a replica in the standby) and the source bucket in the domain primary.
    bucket_arns = [arn for r in dict.fromkeys((region, dom.primary))
                   for _, arn in [_bucket_in(domains, dom.name, r)] if arn is not None]
    storage_keys = [k for r in {region, dom.primary} if r in data
                    for k in [data[r].kms_keys.get("storage")] if k is not None]
    policy = pulumi.Output.all(pulumi.Output.all(*bucket_arns), pulumi.Output.all(*storage_keys),
                               base.cluster_name, api_key_arn).apply(
        lambda v: tenant_storage_policy(bucket_arns=_strs(v[0]), tenant_id=tenant.id, namespace=p.namespace,
                                        cluster_name=str(v[2]), kms_key_arns=_strs(v[1]),
                                        secret_arns=[str(v[3])] if v[3] else []))
    base.pod_identity(f"tenant-{tenant.id}", p.namespace, ns.service_account, policy,
                      opts=pulumi.ResourceOptions(providers={"aws": ctx.aws_provider}) if ctx.aws_provider else None,
                      tags=tags)


def _api_key_secret(cfg: PlatformConfig, tenant: TenantConfig, p: TenantPlacement, *, ctx: RegionContext,
                    base: RegionBase, ns: TenantNamespace, api_key_arn: Any, tags: dict[str, str]) -> None:
    """The tenant's API key as the `tenant-api-key` Secret of its own namespace, through a
    SecretStore whose role reads that one secret (its copy in this region): no other namespace's
    store can read it, and this namespace's store can read nothing else."""
    if api_key_arn is None or base.external_secrets is None:
        return
    role_arn = store_role(ctx, base, f"tenant-{tenant.id}", p.namespace, [api_key_arn], tags=tags)
    if role_arn is None:
        return
    name = tenant_resource_name(cfg, ctx.name, tenant.id)
    meta_labels = {"app.kubernetes.io/part-of": "agentic-platform", "app.kubernetes.io/managed-by": "pulumi",
                   "agentic.io/tenant": tenant.id}
    opts = pulumi.ResourceOptions(parent=ctx.parent, provider=base.k8s_provider,
                                  depends_on=[ns, base.external_secrets])
    store = secret_store(f"{name}-secret-store", ns.namespace, ctx.name, opts, meta_labels, role_arn=role_arn)
    k8s.apiextensions.CustomResource(
        f"{name}-api-key", api_version=ESO_API, kind="ExternalSecret",
        metadata=k8s.meta.v1.ObjectMetaArgs(name=TENANT_API_KEY_SECRET, namespace=ns.namespace, labels=meta_labels),
        spec={"refreshInterval": "1h", "secretStoreRef": {"name": STORE_NAME, "kind": "SecretStore"},
              "target": {"name": TENANT_API_KEY_SECRET, "creationPolicy": "Owner", "deletionPolicy": "Retain"},
              "data": [{"secretKey": "api-key", "remoteRef": {"key": api_key_arn}}]},
        opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[store])))


def _strs(values: Sequence[Any]) -> list[str]:
    return sorted({str(v) for v in values if v})


def _cost_controls(cfg: PlatformConfig, ctx: RegionContext, account_id: pulumi.Output[str]) -> None:
    """One budget per environment and per dedicated/enterprise tenant; allocation tags activated."""
    budgets: list[BudgetSpec] = []
    budget_tags: dict[str, dict[str, str]] = {}
    if cfg.budget is not None:
        budgets.append(BudgetSpec(key="environment", name=f"{cfg.project}-{cfg.environment}",
                                  monthly_usd=cfg.budget.environment_monthly_usd))
    for t in cfg.tenants_of_tier("dedicated", "enterprise"):
        key = f"tenant-{t.id}"
        budgets.append(BudgetSpec(key=key, name=f"{cfg.project}-{cfg.environment}-tenant-{t.id}",
                                  monthly_usd=t.monthly_budget_usd, tag=("tenant", t.id)))
        budget_tags[key] = tenant_tags(t.id, t.data_residency, t.cost_center)
    if not budgets:
        return
    CostControls(f"{cfg.environment}-{ctx.name}-cost", CostControlsArgs(
        region=ctx.name,
        name_prefix=f"{cfg.project}-{cfg.environment}",
        account_id=account_id,
        budgets=budgets,
        alert_emails=cfg.budget.alert_emails if cfg.budget else (),
        threshold_percent=cfg.budget.alert_threshold_percent if cfg.budget else 80,
        cost_allocation_tags=COST_ALLOCATION_TAGS,
        budget_tags=budget_tags,
        protect=cfg.protected,
    ), opts=ctx.opts())
