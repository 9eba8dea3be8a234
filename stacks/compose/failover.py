"""Automated regional failover: one ARC Region switch plan per data domain with a replica.

The plan of a domain switches between its primary and its first replica only (a Region switch
plan spans exactly two regions, both taken from the domain, so residency holds by construction
and `components.region_switch.validate_args` refuses anything else). It fails over the domain's
shared Aurora Global database and every enterprise tenant's global database of the domain in one
parallel step, then scales the standby cell's api to the primary's recent size. Config:
`agentic-platform:failover` (README, configuration).
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws

from components.cidr_plan import plan_subnets
from components.primary_prober import PrimaryProber, PrimaryProberArgs
from components.region_switch import GlobalDatabase, RegionSwitchArgs, RegionSwitchPlan, StandbyScaling
from components.region_switch_practice import RegionSwitchPractice, RegionSwitchPracticeArgs
from stacks.cells import domain_cell_namespace
from stacks.compose.data import DataDomains, domain_tags
from stacks.compose.types import RegionBase, RegionContext, RegionData
from stacks.config import PlatformConfig
from stacks.config.models_infra import DataDomainConfig
from stacks.config.models_testing import practice_crons


def plan_name(cfg: PlatformConfig, domain: str) -> str:
    """`prod-global-failover`: <= 32 characters (Region switch's limit), unique per account."""
    return f"{cfg.environment}-{domain}-failover"[:32].rstrip("-")


def plan_regions(dom: DataDomainConfig) -> tuple[str, str] | None:
    """(primary, standby) of a domain's plan, or None without a replica (pure)."""
    return (dom.primary, dom.replicas[0]) if dom.replicas else None


def build_failover(contexts: dict[str, RegionContext], bases: dict[str, RegionBase],
                   data: dict[str, RegionData], domains: DataDomains,
                   tenant_databases: dict[str, list[GlobalDatabase]] | None = None) -> dict[str, Any]:
    """Per domain: the plan (ARN, regions, trigger alarm, automatic or not) for the stack outputs."""
    if not contexts:
        return {}
    cfg = next(iter(contexts.values())).cfg
    fo = cfg.failover
    if not fo.region_switch:
        return {}
    first = next(iter(contexts.values()))
    account = aws.get_caller_identity_output(
        opts=pulumi.InvokeOutputOptions(parent=first.parent, provider=first.aws_provider)).account_id
    out: dict[str, Any] = {}
    for dom in cfg.data_domains:
        pair = plan_regions(dom)
        export = domains.exports.get(dom.name) or {}
        gid = export.get("global_cluster_identifier")
        if pair is None or gid is None:
            continue
        primary, standby = pair
        views = {r: ((domains.by_region.get(r) or {}).get("domains") or {}).get(dom.name) or {} for r in pair}
        arns = [views[r]["cluster"].arn for r in pair if views[r].get("cluster") is not None]
        dbs = [GlobalDatabase("shared", gid, arns), *(tenant_databases or {}).get(dom.name, [])]
        base = bases[standby]
        namespace = domain_cell_namespace(cfg, standby, dom.name)
        scaling = None
        if base.cluster_name is not None and namespace is not None:
            cluster_arn = pulumi.Output.all(account, base.cluster_name).apply(
                lambda v, r=standby: f"arn:aws:eks:{r}:{v[0]}:cluster/{v[1]}")
            scaling = StandbyScaling(cluster_arn=cluster_arn, namespace=namespace, deployments=("api",))
        name = plan_name(cfg, dom.name)
        plan = RegionSwitchPlan(f"{cfg.environment}-{dom.name}-failover", RegionSwitchArgs(
            name=name, domain=dom.name, domain_regions=dom.regions, primary_region=primary,
            standby_region=standby, databases=dbs, account_id=account, scaling=scaling,
            automatic=fo.automatic, min_delay_minutes_between_executions=fo.min_delay_minutes_between_executions,
            approval_role_arn=fo.approval_role_arn if fo.approval_required else None,
            approval_timeout_minutes=fo.approval_timeout_minutes, probe_period_seconds=fo.probe_period_seconds,
            probe_failures=fo.probe_failures, alert_topic_arn=data[standby].alert_topic_arn,
            # The plan itself is metadata in the global control plane (us-east-1): it carries the
            # domain's name, not its residency tag; its regions are checked against the domain.
            tags={"data-domain": dom.name}, alarm_tags=domain_tags(dom), control_region="us-east-1",
        ), opts=contexts[standby].opts())
        prober = _prober(cfg, dom, name, bases, data, writer=views[primary].get("cluster"),
                         ctx=contexts[standby])
        out[dom.name] = {"plan_arn": plan.plan_arn, "plan_name": name, "regions": [primary, standby],
                         "trigger_alarm": f"{name}-primary-down", "automatic": fo.automatic,
                         "approval_required": fo.approval_required,
                         "prober": prober.function_name if prober is not None else None,
                         "practice": _practice(cfg, dom, plan, name=name, account=account, data=data,
                                               ctx=contexts[standby])}
    return out


def _practice(cfg: PlatformConfig, dom: DataDomainConfig, plan: RegionSwitchPlan, *, name: str, account: Any,
              data: dict[str, RegionData], ctx: RegionContext) -> dict[str, Any] | None:
    """The plan's scheduled round trip (`testing.dr_drill.region_switch_practice`), or None when off."""
    rsp = cfg.testing.dr_drill.region_switch_practice
    crons = practice_crons(rsp.schedule, rsp.return_after_hours)
    pair = plan_regions(dom)
    topics = {r: t for r in pair or () if (t := data[r].alert_topic_arn) is not None}
    if not rsp.enabled or crons is None or pair is None or len(topics) != 2:  # validation refuses a bad cron
        return None
    primary, standby = pair
    practice = RegionSwitchPractice(f"{cfg.environment}-{dom.name}-practice", RegionSwitchPracticeArgs(
        plan_name=name, plan_arn=plan.plan_arn, primary_region=primary, standby_region=standby,
        go_schedule=crons[0], back_schedule=crons[1],
        alert_topic_arns=topics, account_id=account,
        tags={"data-domain": dom.name}, regional_tags=domain_tags(dom)), opts=ctx.opts())
    return {"go": {"schedule": crons[0], "activates": standby, "name": practice.schedule_names["go"]},
            "back": {"schedule": crons[1], "activates": primary, "name": practice.schedule_names["back"]}}


def _prober(cfg: PlatformConfig, dom: DataDomainConfig, name: str, bases: dict[str, RegionBase],
            data: dict[str, RegionData], *, writer: Any, ctx: RegionContext) -> PrimaryProber | None:
    """The trigger alarm's only data source: probes the primary's writer from the standby region.

    Without the primary's writer cluster in this program there is nothing to probe (and the DR
    report then counts the plan as operator-started)."""
    pair = plan_regions(dom)
    if writer is None or pair is None:
        return None
    primary, standby = pair
    base, pbase = bases[standby], bases[primary]
    return PrimaryProber(f"{cfg.environment}-{dom.name}-prober", PrimaryProberArgs(
        name=name, domain=dom.name, primary_region=primary, standby_region=standby,
        target_host=writer.endpoint, target_port=5432, vpc_id=base.vpc_id,
        subnet_ids=list(base.private_subnet_ids),
        # The private tier's reserved block: its subnets hold the prober's ENIs (components.cidr_plan).
        source_cidr=plan_subnets(base.vpc_cidr, 1).blocks["private"], target_cidr=pbase.vpc_cidr,
        target_security_group_id=writer.security_group_id,
        logs_kms_key_arn=data[standby].kms_keys.get("logs"),
        log_retention_days=cfg.cluster.log_retention_days if cfg.cluster else 90,
        period_seconds=cfg.failover.probe_period_seconds,
        tags={"data-domain": dom.name, **domain_tags(dom)},
    ), opts=ctx.opts())
