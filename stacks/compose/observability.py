"""Layer 4 of a region: alert topic, CloudWatch alarms, audit, and the monitoring stack.

Every data store, load balancer and NAT gateway of the region gets its alarms wired to the
region's own SNS topic (never another region's: an outage there must not silence this one).
The account's multi-region CloudTrail trail is created once, in the stack's default region.
"""

from __future__ import annotations

import re
from typing import Any, Literal

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from app.mesh_policies import MeshPolicies
from app.monitoring_stack import MonitoringStack
from app.observability import (
    ALERTMANAGER_SA,
    GRAFANA_SA,
    LOKI_SA,
    NAMESPACE,
    TRACES_SA,
    MonitoringArgs,
    MonitoringCharts,
    alertmanager_policy,
    grafana_policy,
    loki_policy,
    traces_policy,
)
from components.alarms import (
    AlarmSet,
    AlarmSetArgs,
    AlarmSpec,
    AlertTopic,
    AlertTopicArgs,
    alb_alarms,
    aurora_alarms,
    nat_alarms,
    redis_alarms,
    redis_member_suffixes,
)
from components.audit import AuditTrail, AuditTrailArgs, LogBucket, LogBucketArgs, ThreatDetection, ThreatDetectionArgs
from components.backup import lock_mode_for
from components.secrets import SecretSet, SecretSetArgs
from components.store_events import StoreEvents, StoreEventsArgs
from stacks.compose.data import prefix as resource_prefix
from stacks.compose.data import region_tags
from stacks.compose.registry import base_mirror
from stacks.compose.secret_stores import store_role
from stacks.compose.types import DbClusterRef, RegionBase, RegionContext, RegionData, RegionWorkload
from stacks.config import PlatformConfig
from stacks.config.models_app import AlarmThresholds
from stacks.config.models_infra import RedisGroupConfig
from stacks.placement import place_tenants

QUEUE_EVICTIONS = 0
"""Any eviction on the queue loses a job: not configurable."""
AUDIT_LOCK: dict[str, Literal["GOVERNANCE", "COMPLIANCE"]] = {"compliance": "COMPLIANCE", "governance": "GOVERNANCE"}
"""Object Lock mode of the audit-trail bucket per environment, as the backup vaults' lock."""


def lb_name_from_hostname(hostname: str) -> str:
    """ALB DNS names are `[internal-]<name>-<digits>.<region>.elb.amazonaws.com`; the LB name is
    what `aws.lb.get_load_balancer` takes (the LoadBalancer dimension needs the ARN suffix)."""
    label = hostname.split(".", 1)[0].removeprefix("internal-")
    match = re.fullmatch(r"(.+)-(\d+)", label)
    return match.group(1) if match else label


def db_targets(data: RegionData) -> dict[str, DbClusterRef]:
    """Every Aurora cluster of the region; falls back to the single `db_cluster_identifier`."""
    if data.db_clusters:
        return dict(data.db_clusters)
    if data.db_cluster_identifier is not None:
        return {"main": DbClusterRef(data.db_cluster_identifier, global_secondary=not data.db_is_writer)}
    return {}


def aurora_specs(ref: DbClusterRef, th: AlarmThresholds) -> list[AlarmSpec]:
    return aurora_alarms(ref.identifier, cpu_percent=th.aurora_cpu_percent,
                         freeable_memory_mb=th.aurora_freeable_memory_mb, connections=th.aurora_connections,
                         replication_lag_ms=th.aurora_replication_lag_ms if ref.global_secondary else None)


def redis_specs(group_id: pulumi.Input[str], shape: RedisGroupConfig, role: str,
                th: AlarmThresholds) -> list[AlarmSpec]:
    """Alarms for every node of a replication group. The queue never shards (cluster mode off)."""
    shards = 1 if role == "queue" else shape.shards
    evictions = QUEUE_EVICTIONS if role == "queue" else th.redis_cache_evictions
    lag = th.redis_replication_lag_seconds if shape.replicas_per_shard > 0 else None
    specs: list[AlarmSpec] = []
    for suffix in redis_member_suffixes(shards, shape.replicas_per_shard):
        member = pulumi.Output.from_input(group_id).apply(lambda g, s=suffix: f"{g}-{s}")
        specs += redis_alarms(member, suffix, memory_percent=th.redis_memory_percent, evictions=evictions,
                              replication_lag_seconds=lag)
    return specs


def store_alarms(ctx: RegionContext, topic_arn: pulumi.Input[str], name: str, *,
                 db: DbClusterRef | None = None, redis_group_id: pulumi.Input[str] | None = None,
                 redis_shape: RedisGroupConfig | None = None, redis_role: str = "cache") -> list[pulumi.Output[str]]:
    """Alarms for one store, wired to `topic_arn`; also for stores built by later layers
    (an enterprise tenant's database: `store_alarms(ctx, data.alert_topic_arn, "tenant-x", db=...)`)."""
    th = ctx.cfg.observability.alarms
    prefix = f"{ctx.cfg.environment}-{ctx.name}"
    names: list[pulumi.Output[str]] = []
    if db is not None:
        names += _alarm_set(ctx, f"{prefix}-aurora-{name}", topic_arn, aurora_specs(db, th))
    if redis_group_id is not None:
        shape = redis_shape or RedisGroupConfig()
        names += _alarm_set(ctx, f"{prefix}-redis-{name}", topic_arn,
                            redis_specs(redis_group_id, shape, redis_role, th))
    return names


def tenant_store_alarms(ctx: RegionContext, data: RegionData, tenant_id: str, *,
                        db_cluster_identifier: pulumi.Input[str],
                        redis_group_id: pulumi.Input[str] | None = None) -> list[pulumi.Output[str]]:
    """An enterprise tenant's own Aurora (and Redis: one shard, one replica) alarmed to the region's
    topic; a no-op when the observability layer has not run for this region."""
    if data.alert_topic_arn is None:
        return []
    return store_alarms(ctx, data.alert_topic_arn, f"tenant-{tenant_id}",
                        db=DbClusterRef(pulumi.Output.from_input(db_cluster_identifier)),
                        redis_group_id=redis_group_id, redis_shape=RedisGroupConfig(shards=1, replicas_per_shard=1))


def _alarm_set(ctx: RegionContext, name: str, topic_arn: pulumi.Input[str],
               specs: list[AlarmSpec]) -> list[pulumi.Output[str]]:
    alarm_set = AlarmSet(name, AlarmSetArgs(region=ctx.name, topic_arn=topic_arn, specs=specs, tags=ctx.tags),
                         opts=ctx.opts())
    return alarm_set.alarm_names


def load_balancer_dimension(ctx: RegionContext, hostname: pulumi.Input[str]) -> pulumi.Output[str]:
    """The LoadBalancer dimension (`app/<name>/<id>`) of the ALB the LB controller made for the
    Ingress. Unknown at the first preview (no hostname yet); resolved on every later run."""
    name = pulumi.Output.from_input(hostname).apply(lb_name_from_hostname)
    lb = aws.lb.get_load_balancer_output(
        name=name, region=ctx.name,
        opts=pulumi.InvokeOutputOptions(parent=ctx.parent, provider=ctx.aws_provider))
    return lb.arn_suffix


def _nat_ids(base: RegionBase) -> list[pulumi.Output[str]]:
    return list(base.nat_gateway_ids or base.extras.get("nat_gateway_ids", []))


def cell_load_balancers(workload: RegionWorkload) -> list[tuple[str, pulumi.Output[str]]]:
    """(name suffix, ALB hostname) of every cell's ALB: each cell has its own Ingress, hence its
    own ALB (stacks/cells.py), and a second cell's 5xx or latency must page like the home one's.
    The home cell keeps the historical alarm names (suffix ""); other cells add their domain."""
    out: list[tuple[str, pulumi.Output[str]]] = []
    for cell in workload.cells.values():  # CellWorkload (stacks/compose/workload.py)
        if cell.ingress_hostname is not None:
            out.append(("" if cell.cell.home else f"-{cell.cell.domain}", cell.ingress_hostname))
    if not out and workload.ingress_hostname is not None:
        out.append(("", workload.ingress_hostname))
    return out


def build_alarms(ctx: RegionContext, base: RegionBase, data: RegionData, workload: RegionWorkload,
                 topic_arn: pulumi.Input[str]) -> list[pulumi.Output[str]]:
    cfg, th = ctx.cfg, ctx.cfg.observability.alarms
    prefix = f"{cfg.environment}-{ctx.name}"
    names: list[pulumi.Output[str]] = []
    for logical, ref in sorted(db_targets(data).items()):
        names += store_alarms(ctx, topic_arn, logical, db=ref)
    if data.cache_group_id is not None:
        names += store_alarms(ctx, topic_arn, "cache", redis_group_id=data.cache_group_id,
                              redis_shape=cfg.redis.cache, redis_role="cache")
    if data.queue_group_id is not None:
        names += store_alarms(ctx, topic_arn, "queue", redis_group_id=data.queue_group_id,
                              redis_shape=cfg.redis.queue, redis_role="queue")
    for suffix, hostname in cell_load_balancers(workload):
        dim = load_balancer_dimension(ctx, hostname)
        names += _alarm_set(ctx, f"{prefix}{suffix}-alb", topic_arn, alb_alarms(
            dim, elb_5xx=th.alb_5xx_count, target_5xx=th.alb_target_5xx_count,
            target_response_seconds=th.alb_target_response_seconds))
    nat_specs: list[AlarmSpec] = []
    for i, nat_id in enumerate(_nat_ids(base)):
        nat_specs += nat_alarms(nat_id, f"nat{i + 1}", error_port_allocation=th.nat_error_port_allocation,
                                packets_drop=th.nat_packets_drop_count)
    if nat_specs:
        names += _alarm_set(ctx, f"{prefix}-nat", topic_arn, nat_specs)
    return names


def aurora_identifier_prefixes(cfg: PlatformConfig) -> tuple[str, str]:
    """How this stack's Aurora identifiers begin: data domains `<project>-<env>-`, enterprise
    tenants `<env>-` (stacks/compose/tenants.py keeps theirs short for the 63-character limit)."""
    return f"{resource_prefix(cfg)}-", f"{cfg.environment}-"


def build_store_events(ctx: RegionContext, data: RegionData, topic_arn: pulumi.Input[str]) -> list[pulumi.Output[str]]:
    """Aurora failovers/failures and ElastiCache failures of the region to its alert topic, for
    each service that has a store here (the platform's, or an enterprise tenant's own)."""
    placements = place_tenants(ctx.cfg)
    own_here = [t for t in ctx.cfg.tenants
                if placements[t.id].own_database and placements[t.id].database_region == ctx.name]
    aurora = bool(db_targets(data)) or bool(own_here)
    elasticache = (data.cache_group_id is not None or data.queue_group_id is not None
                   or any(t.enterprise is not None and t.enterprise.redis for t in own_here))
    if not (aurora or elasticache):
        return []
    events = StoreEvents(f"{ctx.cfg.environment}-{ctx.name}-store-events", StoreEventsArgs(
        region=ctx.name, topic_arn=topic_arn, identifier_prefixes=aurora_identifier_prefixes(ctx.cfg),
        aurora=aurora, elasticache=elasticache, tags=ctx.tags), opts=ctx.opts())
    return events.rule_names


def token_quotas(ctx: RegionContext) -> dict[str, int]:
    """Tenants this region may serve (their allowed regions, else their data domain's regions:
    failover moves them there) and their monthly token quotas."""
    cfg = ctx.cfg
    out: dict[str, int] = {}
    for t in cfg.tenants:
        domains = [d for d in cfg.data_domains if d.residency == t.data_residency]
        regions = set(t.allowed_regions) or {r for d in domains for r in d.regions}
        if ctx.name == t.primary_region or ctx.name in regions:
            out[t.id] = t.quotas.tokens_per_month
    return out


def _pod_role(ctx: RegionContext, base: RegionBase, purpose: str, service_account: str,
              policy: pulumi.Input[str]) -> tuple[pulumi.Output[str], pulumi.Resource | None] | None:
    """Role ARN (and the role component, so charts can wait for the association) or None."""
    factory = base.pod_identity
    if factory is None:
        return None
    name = f"obs-{purpose}"
    make_role = getattr(factory, "role", None)
    if callable(make_role):
        # The stack's AWS provider carries the default tags the policy pack requires.
        role: Any = make_role(name, NAMESPACE, service_account, policy, opts=ctx.opts())
        if isinstance(role, pulumi.Resource):
            return role.role_arn, role  # pyright: ignore[reportAttributeAccessIssue]
    return factory(name, NAMESPACE, service_account, policy), None


def build_monitoring(ctx: RegionContext, base: RegionBase, data: RegionData, topic: AlertTopic) -> MonitoringStack:
    cfg, obs = ctx.cfg, ctx.cfg.observability
    assert base.k8s_provider is not None and cfg.cluster is not None
    prefix = f"{cfg.environment}-{ctx.name}"
    logs_key = data.kms_keys.get("logs") or topic.key_arn
    loki_bucket = LogBucket(f"{prefix}-loki", LogBucketArgs(
        region=ctx.name, kms_key_arn=logs_key, transition_days=obs.log_hot_days, expiration_days=obs.log_cold_days,
        transition_storage_class="STANDARD_IA", access_log_bucket=data.log_bucket, protect=cfg.protected,
        tags=ctx.tags), opts=ctx.opts())
    policies: dict[str, tuple[str, pulumi.Input[str]]] = {
        "loki": (LOKI_SA, pulumi.Output.all(loki_bucket.arn, logs_key).apply(lambda a: loki_policy(a[0], a[1]))),
        "alertmanager": (ALERTMANAGER_SA, pulumi.Output.all(topic.topic_arn, topic.key_arn).apply(
            lambda a: alertmanager_policy(a[0], a[1]))),
        "grafana": (GRAFANA_SA, grafana_policy()),
        "otel-traces": (TRACES_SA, traces_policy()),
    }
    role_arns: dict[str, pulumi.Output[str]] = {}
    deps: list[pulumi.Resource] = [r for r in (base.lb_controller,) if r is not None]
    for purpose, (sa, policy) in policies.items():
        made = _pod_role(ctx, base, purpose, sa, policy)
        if made is not None:
            role_arns[sa] = made[0]
            deps += [made[1]] if made[1] is not None else []
    charts = cfg.cluster.charts
    admin_secret, admin_deps, admin_arn = _grafana_admin_secret(ctx, base, data)
    return MonitoringStack(f"{prefix}-monitoring", MonitoringArgs(
        environment=cfg.environment, region=ctx.name, cluster_name=base.cluster_name or "",
        charts=MonitoringCharts.pinned(charts.kube_prometheus_stack, charts.loki, charts.opentelemetry_collector,
                                       charts.prometheus_operator_crds),
        alert_topic_arn=topic.topic_arn, loki_bucket=loki_bucket.bucket,
        log_retention_days=obs.log_cold_days, cloudwatch_regions=list(cfg.region_names),
        k8s_provider=base.k8s_provider, highly_available=cfg.environment == "prod" and not ctx.region.standby,
        token_quotas=token_quotas(ctx), role_arns=role_arns, vpc_cidr=base.vpc_cidr,
        storage_class=base.extras.get("storage_class"), depends_on=deps,
        admin_password_secret=admin_secret, admin_secret_depends_on=admin_deps,
        admin_secret_store_role_arn=store_role(ctx, base, "monitoring", NAMESPACE, [admin_arn])
        if admin_arn is not None else None,
        mirror=base_mirror(cfg, ctx.name, base),
    ), opts=pulumi.ResourceOptions(parent=ctx.parent))


def _grafana_admin_secret(ctx: RegionContext, base: RegionBase, data: RegionData
                          ) -> tuple[str | None, list[pulumi.Resource], pulumi.Output[str] | None]:
    """Grafana's admin password in Secrets Manager (`<project>/<env>/<region>/grafana/admin-password`,
    under the path External Secrets may read, encrypted with the region's secrets key), where the
    cluster runs External Secrets, with its ARN (the namespace's store role reads only it);
    (None, [], None) otherwise."""
    key = data.kms_keys.get("secrets")
    if base.external_secrets is None or key is None:
        return None, [], None
    cfg = ctx.cfg
    prefix = f"{cfg.environment}-{ctx.name}"
    password = random.RandomPassword(f"{prefix}-grafana-admin", length=32, special=False, opts=ctx.opts())
    secrets = SecretSet(f"{prefix}-grafana", SecretSetArgs(
        region=ctx.name, path_prefix=f"{cfg.project}/{cfg.environment}/{ctx.name}/grafana", kms_key_arn=key,
        values={"admin-password": password.result}, protect=cfg.protected,
        tags={**ctx.tags, **region_tags(cfg, ctx.name)},
        descriptions={"admin-password": "Grafana admin password (read by External Secrets)"}), opts=ctx.opts())
    return secrets.names["admin-password"], [base.external_secrets, secrets], secrets.arns["admin-password"]


def build_audit(ctx: RegionContext, data: RegionData, topic: AlertTopic) -> dict[str, Any]:
    cfg, obs = ctx.cfg, ctx.cfg.observability
    out: dict[str, Any] = {}
    prefix = f"{cfg.environment}-{ctx.name}"
    if obs.guardduty:
        gd = ThreatDetection(f"{prefix}-guardduty", ThreatDetectionArgs(
            region=ctx.name, alert_topic_arn=topic.topic_arn, tags=ctx.tags), opts=ctx.opts())
        out["guardduty_detector_id"] = gd.detector_id
    if obs.cloudtrail and ctx.name == cfg.default_region:
        trail = AuditTrail(f"{prefix}-audit", AuditTrailArgs(
            region=ctx.name, trail_name=f"{cfg.project}-{cfg.environment}-audit",
            retention_days=obs.audit_log_retention_days, access_log_bucket=data.log_bucket,
            object_lock_mode=AUDIT_LOCK.get(lock_mode_for(cfg.environment)),
            logs_kms_key_arn=data.kms_keys.get("logs"), log_group_retention_days=obs.audit_log_retention_days,
            alert_topic_arn=topic.topic_arn, protect=cfg.protected, tags=ctx.tags), opts=ctx.opts())
        out["audit_trail_arn"] = trail.trail_arn
        out["audit_bucket"] = trail.bucket
        out["audit_alarms"] = trail.alarm_names
    return out


def build_observability(ctx: RegionContext, base: RegionBase, data: RegionData,
                        workload: RegionWorkload) -> dict[str, Any]:
    """Exports of this region: `alert_topic_arn`, `alarms` (names) and the audit/monitoring ids."""
    cfg = ctx.cfg
    prefix = f"{cfg.environment}-{ctx.name}"
    topic = AlertTopic(f"{prefix}-alerts", AlertTopicArgs(
        region=ctx.name, email=cfg.observability.alert_email, protect=cfg.protected, tags=ctx.tags),
        opts=ctx.opts())
    data.alert_topic_arn = topic.topic_arn
    exports: dict[str, Any] = {
        "alert_topic_arn": topic.topic_arn,
        "alarms": build_alarms(ctx, base, data, workload, topic.topic_arn),
        "event_rules": build_store_events(ctx, data, topic.topic_arn),
        **build_audit(ctx, data, topic),
    }
    if base.k8s_provider is not None and cfg.cluster is not None:
        monitoring = build_monitoring(ctx, base, data, topic)
        exports["monitoring_namespace"] = monitoring.namespace
        # The app's ServiceMonitors need the operator's CRDs, which come with this release.
        attach = workload.extras.get("attach_service_monitors")
        if callable(attach):
            attach([monitoring.releases["kube-prometheus-stack"]])
        mesh_policies = base.extras.get("mesh_policies")
        if isinstance(mesh_policies, MeshPolicies):  # mesh metrics: PodMonitors after the operator's CRDs
            mesh_policies.attach_monitors(monitoring.releases["kube-prometheus-stack"])
    return exports

