"""Layer 2: keys per region, data domains (Aurora Global, replicated buckets, backups),
and per-region stores (Redis cache and queue, secrets) (issue: data tier).

A data domain (docs/tenancy.md, residency) owns its database, buckets, credentials and backup copies,
and nothing of it is created, replicated or copied outside its regions: every cross-region
target below is taken from `domain.regions` only. Dev and staging have one domain with no
replicas (a regional Aurora cluster); prod has one Aurora Global database per domain, global even
with no replicas left (`global_database: true`) so that its primary never depends on the replica
count. A region may belong to two domains (prod eu-west-1: replica of `global`, primary of `eu`)
and then holds one cluster and one uploads bucket per domain.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from components.aurora import AuroraCluster, AuroraClusterArgs
from components.aurora_global import AuroraGlobalArgs, AuroraGlobalDatabase, GlobalMember
from components.backup import BackupCopy, BackupPlan, BackupPlanArgs, BackupVault, BackupVaultArgs, lock_mode_for
from components.bucket_replication import ReplicaTarget
from components.kms import RegionKeys, RegionKeysArgs
from components.redis import Redis, RedisArgs
from components.secrets import SecretSet, SecretSetArgs
from components.secure_bucket import LogLifecycle, ReplicationSpec, SecureBucket, SecureBucketArgs
from stacks.compose.types import DbClusterRef, DbConnectTarget, DomainStores, RegionBase, RegionContext, RegionData
from stacks.config import PlatformConfig
from stacks.config.models_infra import DataDomainConfig
from stacks.config.regions import short_region
from stacks.tags import residency_tags

ALB_LOG_PREFIX = "alb"
"""Where the region's log bucket accepts ALB access logs (`access_logs.s3.prefix=alb`)."""

APP_SECRETS = ("secret-key", "jwt-secret")
"""Generated once per stack and written into every region: a token signed in one region must
verify in another after a failover."""


@dataclass
class DataDomains:
    """Per data domain: what the domain built, by region; exported for ops and placement.

    `by_region[region]` = {"log_bucket": SecureBucket, "domains": {domain: {"role": "primary" |
    "replica", "residency", "cluster": AuroraCluster, "bucket": SecureBucket, "username",
    "password" (secret Output), "database"}}}; `app_secrets` = {name: secret Output}.
    """

    exports: dict[str, dict[str, Any]] = field(default_factory=dict)
    by_region: dict[str, dict[str, Any]] = field(default_factory=dict)
    app_secrets: dict[str, pulumi.Output[str]] = field(default_factory=dict)


# --- pure naming and placement helpers (unit-tested) ---

def prefix(cfg: PlatformConfig) -> str:
    return f"{cfg.project}-{cfg.environment}"


def cluster_identifier(cfg: PlatformConfig, domain: str, region: str) -> str:
    """Unique across regions (C9): `agentic-platform-prod-eu-euw1`."""
    return f"{prefix(cfg)}-{domain}-{short_region(region)}"


def replication_role_name(cfg: PlatformConfig, domain: str, region: str) -> str:
    return f"{prefix(cfg)}-{domain}-{short_region(region)}-s3-repl"


def replication_role_pattern(cfg: PlatformConfig) -> str:
    """Matches every replication role of this stack (key policies name roles by pattern)."""
    return f"arn:aws:iam::*:role/{prefix(cfg)}-*-s3-repl"


def region_residency(cfg: PlatformConfig, region: str) -> str | None:
    """The residency a region's shared stores (keys, caches, logs) hold data under, if any."""
    for dom in cfg.data_domains:
        if dom.residency != "none" and region in dom.regions:
            return dom.residency
    return None


def region_tags(cfg: PlatformConfig, region: str) -> dict[str, str]:
    res = region_residency(cfg, region)
    return residency_tags(res) if res else {}


def domain_tags(dom: DataDomainConfig) -> dict[str, str]:
    return residency_tags(dom.residency) if dom.residency != "none" else {}


def home_domain(cfg: PlatformConfig, region: str) -> DataDomainConfig | None:
    """The domain a region is primary of, else the first it belongs to."""
    return cfg.domain_of_region(region)


def domains_of_region(cfg: PlatformConfig, region: str) -> list[DataDomainConfig]:
    return [d for d in cfg.data_domains if region in d.regions]


def backup_copy_region(cfg: PlatformConfig, dom: DataDomainConfig) -> str | None:
    """Where a domain's recovery points are copied: another region of the same domain, or nowhere."""
    if not cfg.backup.cross_region_copy or not dom.replicas:
        return None
    return dom.replicas[0]


def replica_readers(cfg: PlatformConfig, region: str) -> int:
    """Readers of a secondary: the standby size for a warm-standby region."""
    if cfg.region(region).standby and cfg.cluster is not None:
        return max(cfg.cluster.standby.db_readers, 1)
    return cfg.database.replica_readers


def allowed_sources(base: RegionBase) -> list[pulumi.Output[str]]:
    """The security groups of the region's EKS cluster: the only sources for 5432 and 6379."""
    return [sg for sg in (base.node_security_group_id, base.cluster_security_group_id) if sg is not None]


def _account_id(ctx: RegionContext) -> pulumi.Output[str]:
    return aws.get_caller_identity_output(
        opts=pulumi.InvokeOutputOptions(parent=ctx.parent, provider=ctx.aws_provider)).account_id


def connect_target(cluster: AuroraCluster, region: str) -> DbConnectTarget:
    """The cluster's IAM-authenticated entry point in `region`: its RDS Proxy when it has one,
    else the cluster itself (a stack built without a proxy still hands pods no password)."""
    account = cluster.arn.apply(lambda arn: arn.split(":")[4])
    if cluster.proxy_arn is not None and cluster.proxy_endpoint is not None:
        return DbConnectTarget(
            kind="proxy", endpoint=cluster.proxy_endpoint,
            reader_endpoint=cluster.proxy_reader_endpoint, region=region, writer=cluster.is_writer,
            resource_id=cluster.proxy_arn.apply(lambda arn: arn.rsplit(":", maxsplit=1)[-1]), account_id=account)
    return DbConnectTarget(kind="cluster", endpoint=cluster.endpoint, reader_endpoint=cluster.reader_endpoint,
                           resource_id=cluster.cluster_resource_id, account_id=account, region=region,
                           writer=cluster.is_writer)


# --- layer functions called by stacks/platform.py ---

def build_region_keys(ctx: RegionContext) -> dict[str, Any]:
    """purpose (database, cache, storage, logs, secrets) -> KMS key ARN of this region."""
    cfg = ctx.cfg
    keys = RegionKeys(f"{cfg.environment}-{ctx.name}-keys", RegionKeysArgs(
        region=ctx.name, alias_prefix=f"{cfg.project}/{cfg.environment}", account_id=_account_id(ctx),
        replication_role_pattern=replication_role_pattern(cfg), protect=cfg.protected,
        tags=region_tags(cfg, ctx.name),
    ), opts=ctx.opts())
    return dict(keys.arns)


def build_domains(contexts: dict[str, RegionContext], bases: dict[str, RegionBase],
                  keys: dict[str, dict[str, Any]]) -> DataDomains:
    """Aurora (Global), replicated uploads buckets and backups per data domain."""
    if not contexts:
        return DataDomains()
    first = next(iter(contexts.values()))
    cfg = first.cfg
    account = _account_id(first)
    out = DataDomains()
    for name, ctx in contexts.items():
        out.by_region[name] = {"domains": {}, "log_bucket": _log_bucket(cfg, ctx, account)}
    for dom in cfg.data_domains:
        out.exports[dom.name] = _build_domain(cfg, dom, contexts=contexts, bases=bases, keys=keys,
                                              account=account, out=out)
    for secret in APP_SECRETS:
        out.app_secrets[secret] = random.RandomPassword(
            f"{cfg.environment}-{secret}", length=64, special=False,
            opts=pulumi.ResourceOptions(parent=first.parent, additional_secret_outputs=["result"])).result
    return out


def _log_bucket(cfg: PlatformConfig, ctx: RegionContext, account: pulumi.Output[str]) -> SecureBucket:
    st = cfg.storage
    return SecureBucket(f"{cfg.environment}-{ctx.name}-logs", SecureBucketArgs(
        bucket_name=pulumi.Output.concat(prefix(cfg), "-logs-", short_region(ctx.name), "-", account),
        region=ctx.name, kms_key_arn=None, account_id=account, alb_log_prefix=ALB_LOG_PREFIX,
        noncurrent_version_expiration_days=st.noncurrent_version_expiration_days,
        log_lifecycles=[LogLifecycle("", st.log_transition_days, st.log_expiration_days)],
        protected=cfg.protected, tags=region_tags(cfg, ctx.name),
    ), opts=ctx.opts())


def _member(cfg: PlatformConfig, dom: DataDomainConfig, region: str, *, base: RegionBase,
            region_keys: dict[str, Any], readers: int) -> GlobalMember:
    return GlobalMember(
        region=region, identifier=cluster_identifier(cfg, dom.name, region), vpc_id=base.vpc_id,
        kms_key_arn=region_keys["database"], logs_kms_key_arn=region_keys["logs"],
        secrets_kms_key_arn=region_keys["secrets"], subnet_ids=base.private_subnet_ids,
        db_subnet_group_name=base.database_subnet_group, allowed_security_group_ids=allowed_sources(base),
        readers=readers)


def _build_domain(cfg: PlatformConfig, dom: DataDomainConfig, *, contexts: dict[str, RegionContext],
                  bases: dict[str, RegionBase], keys: dict[str, dict[str, Any]], account: pulumi.Output[str],
                  out: DataDomains) -> dict[str, Any]:
    env, db = cfg.environment, cfg.database
    tags = domain_tags(dom)
    pctx = contexts[dom.primary]
    secret_prefix = f"{cfg.project}/{env}/{dom.name}/db"
    primary = _member(cfg, dom, dom.primary, base=bases[dom.primary], region_keys=keys[dom.primary],
                      readers=db.readers)

    # --- database ---
    global_id: pulumi.Output[str] | None = None
    if dom.is_global:
        gdb = AuroraGlobalDatabase(f"{env}-{dom.name}-db", AuroraGlobalArgs(
            global_identifier=f"{prefix(cfg)}-{dom.name}", primary=primary,
            secondaries=[_member(cfg, dom, r, base=bases[r], region_keys=keys[r], readers=replica_readers(cfg, r))
                         for r in dom.replicas],
            engine_version=db.engine_version, instance_class=db.instance_class, secret_path_prefix=secret_prefix,
            write_forwarding=db.write_forwarding, credentials_version=db.credentials_version,
            serverless_min_acu=db.serverless_min_acu,
            serverless_max_acu=db.serverless_max_acu, backup_retention_days=db.backup_retention_days,
            performance_insights_retention_days=db.performance_insights_retention_days,
            reader_autoscaling_max=db.reader_autoscaling_max, protected=cfg.protected, tags=tags,
        ), opts=pctx.opts())
        clusters = gdb.members
        username, password = gdb.master_username, gdb.master_password
        global_id = gdb.global_cluster_identifier
    else:
        single = AuroraCluster(f"{env}-{dom.name}-{dom.primary}-db", AuroraClusterArgs(
            identifier=primary.identifier, region=dom.primary, engine_version=db.engine_version,
            instance_class=db.instance_class, kms_key_arn=primary.kms_key_arn,
            logs_kms_key_arn=primary.logs_kms_key_arn, secrets_kms_key_arn=primary.secrets_kms_key_arn,
            vpc_id=primary.vpc_id, subnet_ids=primary.subnet_ids, db_subnet_group_name=primary.db_subnet_group_name,
            allowed_security_group_ids=primary.allowed_security_group_ids, readers=db.readers,
            secret_path_prefix=secret_prefix, credentials_version=db.credentials_version,
            # Regional: RDS owns and rotates the master password (global members cannot: see AuroraClusterArgs).
            managed_master_password=True,
            serverless_min_acu=db.serverless_min_acu, serverless_auto_pause_seconds=db.serverless_auto_pause_seconds,
            proxy=db.proxy,
            serverless_max_acu=db.serverless_max_acu, backup_retention_days=db.backup_retention_days,
            performance_insights_retention_days=db.performance_insights_retention_days,
            reader_autoscaling_max=db.reader_autoscaling_max, protected=cfg.protected, tags=tags,
        ), opts=pctx.opts())
        clusters = {dom.primary: single}
        username, password = single.master_username, single.master_password
    # `password` is None on a regional cluster: RDS manages it (its secret: cluster.credentials_secret_arn).

    # --- uploads buckets: replicas first (versioning on both sides before replication, C18) ---
    st = cfg.storage

    def bucket_args(region: str, replication: ReplicationSpec | None = None) -> SecureBucketArgs:
        return SecureBucketArgs(
            bucket_name=pulumi.Output.concat(prefix(cfg), "-", dom.name, "-", short_region(region), "-", account),
            region=region, kms_key_arn=keys[region]["storage"],
            log_bucket=out.by_region[region]["log_bucket"].name, log_prefix=f"s3/{dom.name}-uploads/",
            noncurrent_version_expiration_days=st.noncurrent_version_expiration_days,
            replication=replication, protected=cfg.protected, tags=tags)

    buckets: dict[str, SecureBucket] = {}
    for r in dom.replicas:
        buckets[r] = SecureBucket(f"{env}-{dom.name}-uploads-{r}", bucket_args(r), opts=contexts[r].opts())
    replication = ReplicationSpec(
        role_name=replication_role_name(cfg, dom.name, dom.primary),
        targets=[ReplicaTarget(r, buckets[r].arn, keys[r]["storage"], buckets[r].versioning) for r in dom.replicas],
        replicate_delete_markers=st.replicate_delete_markers) if dom.replicas else None
    buckets[dom.primary] = SecureBucket(f"{env}-{dom.name}-uploads-{dom.primary}",
                                        bucket_args(dom.primary, replication), opts=pctx.opts())

    # --- backups: vault + daily plan in the primary, copies inside the domain only ---
    sr = short_region(dom.primary)
    vaults = {dom.primary: BackupVault(f"{env}-{dom.name}-vault-{dom.primary}", BackupVaultArgs(
        name=f"{prefix(cfg)}-{dom.name}-{sr}", region=dom.primary, kms_key_arn=keys[dom.primary]["database"],
        protected=cfg.protected, lock=lock_mode_for(cfg.environment), min_retention_days=cfg.backup.retention_days,
        tags=tags), opts=pctx.opts())}
    copy_region = backup_copy_region(cfg, dom)
    if copy_region is not None:
        vaults[copy_region] = BackupVault(f"{env}-{dom.name}-vault-{copy_region}", BackupVaultArgs(
            name=f"{prefix(cfg)}-{dom.name}-{short_region(copy_region)}", region=copy_region,
            kms_key_arn=keys[copy_region]["database"], protected=cfg.protected, lock=lock_mode_for(cfg.environment),
            min_retention_days=cfg.backup.retention_days, tags=tags),
            opts=contexts[copy_region].opts())
    BackupPlan(f"{env}-{dom.name}-backup", BackupPlanArgs(
        name=f"{prefix(cfg)}-{dom.name}-{sr}", region=dom.primary, vault_name=vaults[dom.primary].name,
        resources=[clusters[dom.primary].arn], retention_days=cfg.backup.retention_days,
        schedule=cfg.backup.schedule,
        copies=[BackupCopy(r, v.arn) for r, v in vaults.items() if r != dom.primary], tags=tags,
    ), opts=pctx.opts())

    for region in dom.regions:
        out.by_region[region]["domains"][dom.name] = {
            "role": "primary" if region == dom.primary else "replica", "residency": dom.residency,
            "cluster": clusters[region], "bucket": buckets[region], "username": username,
            "password": password, "database": "agentic", "global": dom.is_global,
        }
    return {
        "residency": dom.residency,
        "primary": dom.primary,
        "replicas": list(dom.replicas),
        "global_cluster_identifier": global_id,
        "clusters": {r: c.cluster_identifier for r, c in clusters.items()},
        "buckets": {r: b.name for r, b in buckets.items()},
        "backup_vaults": {r: v.name for r, v in vaults.items()},
        "kms_keys": {r: dict(keys[r]) for r in dom.regions},
    }


def build_region_data(ctx: RegionContext, base: RegionBase, keys: dict[str, Any],
                      domains: DataDomains) -> RegionData:
    """Redis cache and queue, the app's secrets, and this region's view of its domains' stores."""
    cfg = ctx.cfg
    region = ctx.name
    env, sr = cfg.environment, short_region(region)
    tags = region_tags(cfg, region)
    sources = allowed_sources(base)

    stores: dict[str, Redis] = {}
    for role, group in (("cache", cfg.redis.cache), ("queue", cfg.redis.queue)):
        replicas = group.replicas_per_shard
        standby = cfg.cluster.standby if cfg.cluster is not None else None
        if role == "cache" and ctx.region.standby and standby is not None and standby.cache_replicas is not None:
            replicas = standby.cache_replicas
        stores[role] = Redis(f"{env}-{region}-{role}", RedisArgs(
            identifier=f"{prefix(cfg)}-{sr}-{role}", region=region, role=role,  # type: ignore[arg-type]
            node_type=group.node_type, engine=cfg.redis.engine, engine_version=cfg.redis.engine_version,
            kms_key_arn=keys["cache"], logs_kms_key_arn=keys["logs"], vpc_id=base.vpc_id,
            subnet_ids=base.private_subnet_ids, subnet_group_name=base.cache_subnet_group,
            allowed_security_group_ids=sources, shards=group.shards, replicas_per_shard=replicas,
            snapshot_retention_days=group.snapshot_retention_days,
            multi_az=replicas >= 1,  # ElastiCache refuses Multi-AZ (and automatic failover) without a replica
            auth_token_version=cfg.redis.auth_token_version,
            protected=cfg.protected, tags=tags,
        ), opts=ctx.opts())

    info = domains.by_region.get(region, {"domains": {}})
    doms: dict[str, dict[str, Any]] = info["domains"]
    home = home_domain(cfg, region)
    home_info = doms.get(home.name) if home is not None else None

    secrets: dict[str, pulumi.Input[str]] = {}
    databases: dict[str, dict[str, Any]] = {}
    domain_stores: dict[str, DomainStores] = {}
    db_clusters: dict[str, DbClusterRef] = {}
    for dname, d in doms.items():
        cluster: AuroraCluster = d["cluster"]
        # No database URL secret: pods connect with IAM tokens (DomainStores.db), never a password.
        databases[dname] = {
            "role": d["role"], "residency": d["residency"], "writer": cluster.is_writer,
            "cluster_identifier": cluster.cluster_identifier, "endpoint": cluster.endpoint,
            "reader_endpoint": cluster.reader_endpoint, "proxy_endpoint": cluster.proxy_endpoint,
            "proxy_reader_endpoint": cluster.proxy_reader_endpoint,
            "uploads_bucket": d["bucket"].name,
        }
        db_clusters[dname] = DbClusterRef(identifier=cluster.cluster_identifier,
                                          global_secondary=d["global"] and not cluster.is_writer)
        domain_stores[dname] = DomainStores(domain=dname, residency=d["residency"],
                                            db=connect_target(cluster, region),
                                            uploads_bucket=d["bucket"].name, uploads_bucket_arn=d["bucket"].arn,
                                            writer_endpoint=cluster.endpoint if cluster.is_writer else None,
                                            master_secret_arn=cluster.credentials_secret_arn
                                            if cluster.is_writer else None)
    secrets["redis-url"] = stores["cache"].url
    secrets["queue-url"] = stores["queue"].url
    for name, value in domains.app_secrets.items():
        secrets[name] = value
    for name, sec in (("anthropic-api-key", cfg.secrets.anthropic_api_key),
                      ("openai-api-key", cfg.secrets.openai_api_key)):
        if sec is not None:
            secrets[name] = pulumi.Output.secret(sec.get_secret_value())
    app_secrets = SecretSet(f"{env}-{region}-app-secrets", SecretSetArgs(
        region=region, path_prefix=f"{cfg.project}/{env}/app", kms_key_arn=keys["secrets"], values=secrets,
        protect=cfg.protected, tags=tags,
    ), opts=ctx.opts())

    data = RegionData(
        kms_keys=dict(keys),
        cache_endpoint=stores["cache"].endpoint,
        queue_endpoint=stores["queue"].endpoint,
        cache_group_id=stores["cache"].replication_group.replication_group_id,
        queue_group_id=stores["queue"].replication_group.replication_group_id,
        log_bucket=info["log_bucket"].name if "log_bucket" in info else None,
        secret_arns=dict(app_secrets.arns),
        db_clusters=db_clusters,
        domains=domain_stores,
        extras={"databases": databases},
    )
    if home_info is not None:
        cluster = home_info["cluster"]
        data.db_endpoint = cluster.endpoint
        data.db_reader_endpoint = cluster.reader_endpoint
        data.db_proxy_endpoint = cluster.proxy_endpoint
        data.db_cluster_identifier = cluster.cluster_identifier
        data.db_is_writer = cluster.is_writer
        data.uploads_bucket = home_info["bucket"].name
        data.uploads_bucket_arn = home_info["bucket"].arn
    return data
