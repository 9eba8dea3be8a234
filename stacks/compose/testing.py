"""Testing in production and on-call, per region and across regions.

Per region (after its observability layer, whose alert topic and alarms everything here uses):
FIS experiments and the scheduled DR drill, Chaos Mesh, the k6 operator with the load tests,
GuardDuty Runtime Monitoring / Malware Protection, PagerDuty paging. Across regions: AWS Backup
restore testing in each data domain's primary region and the account's cost and usage export.
What is switched on per stack: `testing.*`, `oncall`, `cost_exports`, `threat_detection`
(stacks/config/models_testing.py; the risky ones default to staging only).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi_aws as aws

from app.chaos import ChaosArgs, ChaosExperiments
from app.load_testing import LoadTesting, LoadTestingArgs
from components.cost_exports import EXPORT_REGION, CostExport, CostExportArgs
from components.dr_drill import DrDrill, DrDrillArgs
from components.fis import AURORA_FAILOVER, FaultExperiments, FaultExperimentsArgs
from components.oncall import PagingArgs, RegionalPaging
from components.restore_testing import RestoreTesting, RestoreTestingArgs
from components.threat_runtime import RuntimeProtection
from stacks.compose.data import DataDomains, domain_tags, region_tags
from stacks.compose.observability import db_targets
from stacks.compose.registry import base_mirror
from stacks.compose.types import RegionBase, RegionContext, RegionData, RegionWorkload
from stacks.config import PlatformConfig
from stacks.config.models_testing import resolve

STOP_ALARM_SUFFIXES = ("-alb-elb-5xx", "-alb-target-5xx")
"""User-facing alarms (components/alarms.py `alb_alarms`) that stop every FIS experiment."""
IN_CLUSTER_API = "http://api.platform-core.svc.cluster.local"


def restore_testing_on(cfg: PlatformConfig) -> bool:
    """None: wherever backups are kept for real (staging, prod)."""
    enabled = cfg.testing.restore.enabled
    return cfg.environment in ("staging", "prod") if enabled is None else enabled


def cost_exports_on(cfg: PlatformConfig) -> bool:
    enabled = cfg.cost_exports.enabled
    return cfg.environment in ("staging", "prod") if enabled is None else enabled


def _account_id(ctx: RegionContext) -> str:
    invoke = pulumi.InvokeOptions(provider=ctx.aws_provider) if ctx.aws_provider is not None else None
    return aws.get_caller_identity(opts=invoke).account_id


def stop_alarm_arns(ctx: RegionContext, account_id: str,
                    alarm_names: list[pulumi.Output[str]]) -> list[pulumi.Output[str]]:
    """ARNs of the region's ALB 5xx alarms, taken from the alarm outputs (so FIS waits for them)."""
    names = pulumi.Output.all(*alarm_names)

    def arn(suffix: str) -> pulumi.Output[str]:
        return names.apply(lambda ns: next(
            f"arn:aws:cloudwatch:{ctx.name}:{account_id}:alarm:{n}" for n in ns if n.endswith(suffix)))

    return [arn(s) for s in STOP_ALARM_SUFFIXES]


def domain_peers(cfg: PlatformConfig, region: str) -> list[str]:
    """Regions sharing a data domain with `region`: what a region failure cuts it off from."""
    return sorted({r for d in cfg.data_domains if region in d.regions for r in d.regions} - {region})


def build_region_testing(ctx: RegionContext, base: RegionBase, data: RegionData, workload: RegionWorkload,
                         exports: Mapping[str, Any]) -> dict[str, Any]:
    cfg, t, env = ctx.cfg, ctx.cfg.testing, ctx.cfg.environment
    prefix = f"{env}-{ctx.name}"
    tags = {**ctx.tags, **region_tags(cfg, ctx.name)}
    out: dict[str, Any] = {}
    account = _account_id(ctx)
    chaos_on, drill_on = resolve(t.chaos.enabled, env), resolve(t.dr_drill.enabled, env)
    writers = {k: ref.identifier for k, ref in sorted(db_targets(data).items()) if not ref.global_secondary}
    if (chaos_on or (drill_on and writers)) and workload.ingress_hostname is not None:
        fis = FaultExperiments(f"{prefix}-fis", FaultExperimentsArgs(
            region=ctx.name, name_prefix=prefix, account_id=account, db_clusters=writers,
            stop_alarm_arns=stop_alarm_arns(ctx, account, list(exports["alarms"])),
            alert_topic_arn=exports["alert_topic_arn"],
            peer_regions=domain_peers(cfg, ctx.name) if chaos_on else [], subnet_ids=base.private_subnet_ids,
            duration_minutes=t.chaos.duration_minutes, tags=tags), opts=ctx.opts())
        out["fis_templates"] = fis.template_ids
        if drill_on and writers:
            first = next(iter(writers))
            drill = DrDrill(f"{prefix}-dr-drill", DrDrillArgs(
                region=ctx.name, name_prefix=prefix, account_id=account,
                template_id=fis.template_ids[f"{AURORA_FAILOVER}-{first}"], schedule=t.dr_drill.schedule,
                tags=tags), opts=ctx.opts())
            out["dr_drill_schedule"] = drill.schedule_name
    if base.k8s_provider is not None and cfg.cluster is not None:
        after = [r for r in (base.lb_controller,) if r is not None]
        if chaos_on:
            chaos = ChaosExperiments(f"{prefix}-chaos", ChaosArgs(
                k8s_provider=base.k8s_provider, chart_version=t.chaos.chaos_mesh_chart, schedule=t.chaos.schedule,
                latency_ms=t.chaos.latency_ms, duration_minutes=t.chaos.duration_minutes, vpc_cidr=base.vpc_cidr,
                database_hosts=[data.db_proxy_endpoint] if data.db_proxy_endpoint is not None else [],
                depends_on=after, mirror=base_mirror(cfg, ctx.name, base)),
                opts=pulumi.ResourceOptions(parent=ctx.parent))
            out["chaos_schedules"] = chaos.schedules
        if resolve(t.load.enabled, env) and "monitoring_namespace" in exports:
            load = LoadTesting(f"{prefix}-load", LoadTestingArgs(
                k8s_provider=base.k8s_provider, chart_version=t.load.k6_operator_chart,
                base_url=t.load.target_url or IN_CLUSTER_API, app_tag=cfg.app.tag, parallelism=t.load.parallelism,
                monitoring_namespace=exports["monitoring_namespace"], depends_on=after,
                mirror=base_mirror(cfg, ctx.name, base)),
                opts=pulumi.ResourceOptions(parent=ctx.parent))
            out["load_testing"] = {"namespace": load.namespace, "baseline_run": load.baseline_run}
    td = cfg.threat_detection
    if exports.get("guardduty_detector_id") is not None and (td.runtime_monitoring or td.malware_protection):
        rp = RuntimeProtection(f"{prefix}-guardduty-plans", ctx.name, exports["guardduty_detector_id"],
                               runtime=td.runtime_monitoring, malware=td.malware_protection, opts=ctx.opts())
        out["guardduty_features"] = rp.features
    key = cfg.secrets.pagerduty_routing_key
    if cfg.oncall.provider == "pagerduty" and key is not None:
        paging = RegionalPaging(f"{prefix}-paging", PagingArgs(
            region=ctx.name, environment=env, name_prefix=prefix,
            routing_key=pulumi.Output.secret(key.get_secret_value()), default_region=cfg.default_region,
            account_id=account, page_severities=cfg.oncall.page_severities, tags=tags), opts=ctx.opts())
        out["paging_rules"] = paging.rule_names
    return out


def build_global_testing(cfg: PlatformConfig, contexts: Mapping[str, RegionContext], domains: DataDomains,
                         region_data: Mapping[str, RegionData],
                         regional: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if cfg.is_local or not contexts:
        return out
    if restore_testing_on(cfg):
        plans: dict[str, pulumi.Output[str]] = {}
        for dom in cfg.data_domains:
            exported = domains.exports.get(dom.name, {})
            vault = exported.get("backup_vaults", {}).get(dom.primary)
            cluster = exported.get("clusters", {}).get(dom.primary)
            if vault is None or cluster is None:
                continue
            ctx = contexts[dom.primary]
            rt = RestoreTesting(f"{cfg.environment}-{dom.name}-restore-testing", RestoreTestingArgs(
                region=dom.primary, plan_name=f"{cfg.environment}_{dom.name}_restore_test".replace("-", "_"),
                account_id=_account_id(ctx), vault_name=vault, clusters={dom.name: cluster},
                alert_topic_arn=regional[dom.primary]["alert_topic_arn"], schedule=cfg.testing.restore.schedule,
                validation_window_hours=cfg.testing.restore.validation_window_hours,
                tags={**ctx.tags, **domain_tags(dom)}), opts=ctx.opts())
            plans[dom.name] = rt.plan_name
        out["restore_testing_plans"] = plans
    if cost_exports_on(cfg):
        home = contexts.get(EXPORT_REGION) or contexts[cfg.default_region]
        logs = region_data[EXPORT_REGION].log_bucket if EXPORT_REGION in region_data else None
        export = CostExport(f"{cfg.environment}-{EXPORT_REGION}-cost-export", CostExportArgs(
            name=f"{cfg.project}-{cfg.environment}-cur2", account_id=_account_id(home), access_log_bucket=logs,
            retention_days=cfg.cost_exports.retention_days, protect=cfg.protected, tags=home.tags), opts=home.opts())
        out["cost_export_bucket"] = export.bucket
    return out
