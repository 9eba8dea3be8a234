"""Assess a plan against the guide's DR targets, per data domain and per hostname.

What is deployed comes from the plan (Aurora clusters and their instances, bucket replication
rules, Cloudflare load balancers, pools and monitors, EKS clusters per region); intent comes from
the typed config (data domains, backup copies, the monitor). Every estimate is a sum of named
steps with figures from `figures.py`, and every step that pushes an estimate past a target is
reported as a miss with the reason, so the fix is visible in the preview before anything runs.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from components.region_switch_practice import START_PLAN_EXECUTION
from stacks.config import PlatformConfig, parse
from stacks.config.load import SECRET_KEYS, STRING_KEYS
from stacks.config.models_infra import DataDomainConfig
from stacks.dr.figures import FIGURES, TARGET_LABELS, TARGETS, DrFigures
from stacks.harness.plan import Plan, PlannedResource

NS = "agentic-platform:"
RDS_CLUSTER = "aws:rds/cluster:Cluster"
RDS_INSTANCE = "aws:rds/clusterInstance:ClusterInstance"
CF_LB = "cloudflare:index/loadBalancer:LoadBalancer"
CF_POOL = "cloudflare:index/loadBalancerPool:LoadBalancerPool"
CF_MONITOR = "cloudflare:index/loadBalancerMonitor:LoadBalancerMonitor"
RS_PLAN = "aws:arcregionswitch/plan:Plan"
LAMBDA_FUNCTION = "aws:lambda/function:Function"
SCHEDULE = "aws:scheduler/schedule:Schedule"


def platform_config(plan: Plan) -> PlatformConfig:
    """The typed config behind a plan, re-derived from the engine config strings it recorded."""
    namespace: dict[str, Any] = {}
    for key, raw in plan.config.items():
        if not key.startswith(NS):
            continue
        short = key[len(NS):]
        if short in STRING_KEYS or short in SECRET_KEYS or not isinstance(raw, str):
            namespace[short] = raw
            continue
        try:
            namespace[short] = json.loads(raw)
        except json.JSONDecodeError:
            namespace[short] = raw
    return parse(namespace, stack=plan.stack, aws_region=plan.config.get("aws:region"))


@dataclass
class Check:
    metric: str
    seconds: float | None
    """None: the thing cannot be recovered at all along this path (always a miss)."""
    basis: str
    expected_miss: str = ""
    """Why a miss is accepted by design (a single-region stack); still listed as a miss."""

    @property
    def target(self) -> float:
        return TARGETS[self.metric.split(" ")[0]]

    @property
    def status(self) -> str:
        if self.seconds is None or self.seconds > self.target:
            return "MISS"
        return "met (at the limit)" if self.seconds == self.target else "met"

    @property
    def missed(self) -> bool:
        return self.status == "MISS"

    def to_dict(self) -> dict[str, Any]:
        return {"metric": self.metric, "seconds": self.seconds, "target_seconds": self.target,
                "status": self.status, "basis": self.basis, "expected_miss": self.expected_miss}


@dataclass
class Store:
    name: str
    kind: str
    regions: list[str]
    rpo: Check


@dataclass
class DomainDr:
    name: str
    residency: str
    primary: str
    replicas: list[str]
    stores: list[Store]
    failover_path: list[str]
    checks: list[Check]
    notes: list[str] = field(default_factory=list)


@dataclass
class HostnameDr:
    hostname: str
    domain: str | None
    pools: list[str]
    proxied: bool | None
    detection: str
    failover_path: list[str]
    checks: list[Check]


@dataclass
class DrReport:
    stack: str
    domains: list[DomainDr] = field(default_factory=list)
    hostnames: list[HostnameDr] = field(default_factory=list)

    def all_checks(self) -> list[tuple[str, Check]]:
        out: list[tuple[str, Check]] = []
        for d in self.domains:
            out += [(f"domain {d.name} / {s.name}", s.rpo) for s in d.stores]
            out += [(f"domain {d.name}", c) for c in d.checks]
        for h in self.hostnames:
            out += [(f"hostname {h.hostname}", c) for c in h.checks]
        return out

    def misses(self) -> list[str]:
        return [f"{where}: {TARGET_LABELS[c.metric.split(' ')[0]]}{_suffix(c.metric)} "
                f"{fmt(c.seconds)} > {fmt(c.target)} ({c.basis})"
                + (f" [expected: {c.expected_miss}]" if c.expected_miss else "")
                for where, c in self.all_checks() if c.missed]

    def to_dict(self) -> dict[str, Any]:
        def conv(obj: Any) -> Any:
            if isinstance(obj, Check):
                return obj.to_dict()
            if isinstance(obj, list):
                return [conv(x) for x in obj]
            if isinstance(obj, dict):
                return {k: conv(v) for k, v in obj.items()}
            return obj

        domains = []
        for d in self.domains:
            raw = {k: v for k, v in asdict(d).items() if k not in ("stores", "checks")}
            raw["stores"] = [{"name": s.name, "kind": s.kind, "regions": s.regions, "rpo": s.rpo.to_dict()}
                             for s in d.stores]
            raw["checks"] = conv(d.checks)
            domains.append(raw)
        hostnames = []
        for h in self.hostnames:
            raw = {k: v for k, v in asdict(h).items() if k != "checks"}
            raw["checks"] = conv(h.checks)
            hostnames.append(raw)
        return {"stack": self.stack, "targets_seconds": dict(TARGETS), "domains": domains,
                "hostnames": hostnames, "misses": self.misses()}


def _suffix(metric: str) -> str:
    return metric[metric.index(" "):] if " " in metric else ""


def fmt(seconds: float | None) -> str:
    if seconds is None:
        return "unbounded"
    if seconds < 120:
        return f"{seconds:g} s"
    if seconds < 2 * 3600:
        return f"{seconds / 60:.1f} min".replace(".0 min", " min")
    return f"{seconds / 3600:.1f} h".replace(".0 h", " h")


# --- reading the plan ---------------------------------------------------------------------

def _instances(plan: Plan, cluster: PlannedResource) -> list[PlannedResource]:
    ident = cluster.inputs.get("clusterIdentifier") or cluster.id
    return [i for i in plan.of_type(RDS_INSTANCE) if i.inputs.get("clusterIdentifier") == ident]


def _is_writer(cluster: PlannedResource) -> bool:
    return bool(cluster.inputs.get("masterUsername") or cluster.inputs.get("manageMasterUserPassword")
                or cluster.inputs.get("snapshotIdentifier"))


def _domain_clusters(plan: Plan, domain: DataDomainConfig) -> tuple[PlannedResource | None, list[PlannedResource]]:
    """(writer, secondaries) of the domain's shared database: the untenanted writer in the primary."""
    writers = [c for c in plan.of_type(RDS_CLUSTER)
               if c.region == domain.primary and _is_writer(c) and not c.tags.get("tenant")]
    if not writers:
        return None, []
    gid = writers[0].inputs.get("globalClusterIdentifier")
    secondaries = [c for c in plan.of_type(RDS_CLUSTER)
                   if gid and c.inputs.get("globalClusterIdentifier") == gid and c is not writers[0]]
    return writers[0], secondaries


def _replication_rules(plan: Plan, region: str) -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = []
    for r in plan.of_type("aws:s3/bucketReplicationConfig:BucketReplicationConfig"):
        if r.region == region:
            rules += [rule for rule in (r.inputs.get("rules") or [])
                      if isinstance(rule, dict) and rule.get("status", "Enabled") == "Enabled"]
    return rules


def _has_backup_copy(plan: Plan) -> bool:
    for p in plan.of_type("aws:backup/plan:Plan"):
        if any(rule.get("copyActions") for rule in (p.inputs.get("rules") or []) if isinstance(rule, dict)):
            return True
    return False


def _cluster_regions(plan: Plan) -> set[str]:
    return {c.region for c in plan.of_type("aws:eks/cluster:Cluster") if c.region}


# --- data domains -------------------------------------------------------------------------

def _database_store(plan: Plan, domain: DataDomainConfig, fig: DrFigures, single: str) -> Store:
    writer, secondaries = _domain_clusters(plan, domain)
    if writer is None:
        return Store("database", "aurora (not in plan)", [], Check("rpo", None, "no database cluster in the plan"))
    if secondaries:
        regions = [f"{c.region} ({len(_instances(plan, c))} instance(s))" for c in secondaries]
        return Store("database", "aurora global", [domain.primary, *regions],
                     Check("rpo", fig.aurora_global_lag_s, "Aurora Global replication lag, typically < 1 s"))
    return _backup_only_store("database", "aurora (single region)", domain.primary, plan=plan, fig=fig,
                              single=single)


def _backup_only_store(name: str, kind: str, region: str, *, plan: Plan, fig: DrFigures, single: str) -> Store:
    if _has_backup_copy(plan):
        return Store(name, kind, [region], Check("rpo", fig.backup_interval_s,
                                                  "no cross-region replica; daily backup copied to another region",
                                                  single))
    return Store(name, kind, [region], Check("rpo", None, "no copy outside the region (backup.cross_region_copy "
                                                          "is off)", single))


def _objects_store(plan: Plan, domain: DataDomainConfig, fig: DrFigures, single: str) -> Store:
    rules = _replication_rules(plan, domain.primary)
    if not rules:
        return Store("objects", "s3", [domain.primary], Check("rpo", None, "no bucket replication out of "
                                                                          f"{domain.primary}", single))
    rtc = all(((r.get("destination") or {}).get("replicationTime") or {}).get("status") == "Enabled" for r in rules)
    if rtc:
        return Store("objects", "s3 crr + rtc", [domain.primary, *domain.replicas],
                     Check("rpo", fig.s3_rtc_rpo_s, "S3 Replication Time Control: 99.99% within 15 min (SLA)"))
    return Store("objects", "s3 crr", [domain.primary, *domain.replicas],
                 Check("rpo", None, "cross-region replication without RTC has no time SLA; enable RTC"))


def _tenant_stores(plan: Plan, domain: DataDomainConfig, fig: DrFigures, single: str) -> list[Store]:
    out: list[Store] = []
    for c in plan.of_type(RDS_CLUSTER):
        tenant = c.tags.get("tenant")
        residency = c.tags.get("data-residency") or "none"
        if tenant and c.region in domain.regions and residency == domain.residency and _is_writer(c):
            secondaries = _tenant_secondaries(plan, c)
            if secondaries:
                regions = [f"{o.region} ({len(_instances(plan, o))} instance(s))" for o in secondaries]
                out.append(Store(f"tenant {tenant} database", "aurora global", [c.region or "", *regions],
                                 Check("rpo", fig.aurora_global_lag_s, "Aurora Global replication lag")))
            else:
                out.append(_backup_only_store(f"tenant {tenant} database", "aurora (single region)",
                                              c.region or domain.primary, plan=plan, fig=fig, single=single))
    return out


def _tenant_secondaries(plan: Plan, writer: PlannedResource) -> list[PlannedResource]:
    """Global secondaries of an enterprise tenant's database: the same tenant's clusters without
    credentials that replicate from the writer's region (joined through a global cluster created
    from the writer, or sharing its `globalClusterIdentifier`)."""
    tenant, gid = writer.tags.get("tenant"), writer.inputs.get("globalClusterIdentifier")
    return [o for o in plan.of_type(RDS_CLUSTER) if o is not writer and not _is_writer(o)
            and o.inputs.get("globalClusterIdentifier")
            and ((gid and o.inputs.get("globalClusterIdentifier") == gid)
                 or (o.tags.get("tenant") == tenant and o.inputs.get("sourceRegion") == writer.region))]


def region_switch_plan(plan: Plan, domain: DataDomainConfig) -> PlannedResource | None:
    """The domain's ARC Region switch plan: tagged with the domain, its regions inside the domain."""
    for p in plan.of_type(RS_PLAN):
        regions = [str(r) for r in (p.inputs.get("regions") or [])]
        if p.tags.get("data-domain") == domain.name and regions and set(regions) <= set(domain.regions):
            return p
    return None


def alarm_prober(plan: Plan, alarm: PlannedResource) -> PlannedResource | None:
    """The Lambda in the alarm's region that publishes exactly the alarm's metric (namespace,
    domain and region dimensions) at least once per alarm period: without it the alarm never
    turns red, because missing data never fails over (components/primary_prober.py)."""
    dims = alarm.inputs.get("dimensions") or {}
    period = float(alarm.inputs.get("period") or 60)
    for fn in plan.of_type(LAMBDA_FUNCTION):
        env = ((fn.inputs.get("environment") or {}).get("variables") or {})
        if (fn.region == alarm.region and env.get("PROBE_NAMESPACE") == alarm.inputs.get("namespace")
                and alarm.inputs.get("metricName") == "PrimaryReachable"
                and env.get("PROBE_DOMAIN") == dims.get("Domain")
                and env.get("PROBE_PRIMARY_REGION") == dims.get("Region")
                and float(env.get("PROBE_PERIOD_SECONDS") or 1e9) <= period):
            return fn
    return None


def _plan_detection(plan: Plan, rs: PlannedResource) -> tuple[float | None, str]:
    """Trigger alarm period x evaluation periods (the alarm the plan names as its trigger), when a
    prober feeds it; None when there is no trigger alarm or nothing publishes its metric."""
    names = {str(a.get("mapBlockKey")) for a in (rs.inputs.get("associatedAlarms") or []) if isinstance(a, dict)}
    for a in plan.of_type("aws:cloudwatch/metricAlarm:MetricAlarm"):
        if str(a.inputs.get("name") or a.name) in names:
            fn = alarm_prober(plan, a)
            if fn is None:
                return None, f"trigger alarm {a.inputs.get('name')} has no prober publishing its metric"
            period, n = float(a.inputs.get("period") or 60), float(a.inputs.get("evaluationPeriods") or 1)
            return period * n, (f"trigger alarm {a.inputs.get('name')}: {period:g} s x {n:g}, "
                                f"fed by {fn.inputs.get('name') or fn.name} in {fn.region}")
    return None, "no trigger alarm"


def _plan_mode(rs: PlannedResource) -> tuple[bool, bool]:
    """(automatic, approval): a trigger on the plan, a ManualApproval step in its workflows."""
    automatic = bool(rs.inputs.get("triggers"))
    steps = [st for w in (rs.inputs.get("workflows") or []) if isinstance(w, dict)
             for st in (w.get("steps") or []) if isinstance(st, dict)]
    approval = any(st.get("executionBlockType") == "ManualApproval" for st in steps)
    return automatic, approval


def practice_notes(plan: Plan, domain: DataDomainConfig) -> list[str]:
    """When the domain's Region switch plan is practised: the schedules that start it (pure)."""
    rs = region_switch_plan(plan, domain)
    if rs is None:
        return []
    name, arn = str(rs.inputs.get("name") or rs.name), rs.outputs.get("arn")
    legs: list[tuple[str, str]] = []
    for s in plan.of_type(SCHEDULE):
        target = s.inputs.get("target") or {}
        if target.get("arn") != START_PLAN_EXECUTION:
            continue
        body = json.loads(str(target.get("input") or "{}"))
        if arn is not None and body.get("planArn") == arn:
            legs.append((str(s.inputs.get("scheduleExpression")), str(body.get("targetRegion"))))
    if not legs:
        return [f"region switch practice: none scheduled for plan {name} "
                "(testing.dr_drill.region_switch_practice is off)"]
    legs.sort(key=lambda leg: leg[1] == domain.primary)  # the standby first, then the way back
    return [f"region switch practice of plan {name} (real graceful executions, no practice mode): "
            + "; ".join(f"{cron} activates {region}" for cron, region in legs)]


def failover_command(domain: str, region: str) -> str:
    """The runbook command for losing a domain's primary, exactly as it runs (a test parses it with
    the ops CLI): an unplanned failover must say so and accept the unreplicated writes, and the
    runbook reads the stack outputs (`pulumi stack output --json > outputs.json`)."""
    return (f"python -m ops failover --outputs outputs.json --domain {domain} --to {region} "
            "--unplanned --accept-data-loss --apply")


def _write_path(domain: DataDomainConfig, plan: Plan, fig: DrFigures, detection: float | None,
                single: str) -> tuple[list[str], list[Check]]:
    """Region loss of the domain's primary: how writes come back, and how long that takes."""
    _, secondaries = _domain_clusters(plan, domain)
    if secondaries:
        order = {r: i for i, r in enumerate(domain.replicas)}
        target = min(secondaries, key=lambda c: order.get(c.region or "", 99))
        headless = not _instances(plan, target)
        detect = detection if detection is not None else fig.operator_trigger_s
        detect_text = f"detect the failure ({'Cloudflare monitor' if detection is not None else 'alarm + operator'})"
        command = failover_command(domain.name, target.region or domain.replicas[0])
        rs = region_switch_plan(plan, domain)
        start: list[tuple[str, float]] = [(f"operator runs `{command}`", fig.operator_trigger_s)]
        if rs is not None:
            automatic, approval = _plan_mode(rs)
            name = str(rs.inputs.get("name") or rs.name)
            alarm_detect, alarm_text = _plan_detection(plan, rs) if automatic else (None, "")
            if automatic and alarm_detect is not None:
                detect, detect_text = alarm_detect, f"detect the failure ({alarm_text})"
                start = [(f"Region switch starts plan {name} on the red trigger alarm", fig.region_switch_start_s)]
            elif automatic:
                # A trigger on an alarm that never turns red: a person starts the plan after all.
                start = [(f"operator runs `{command}` (starts plan {name}; {alarm_text})", fig.operator_trigger_s)]
            else:
                start = [(f"operator runs `{command}` (starts plan {name}; automatic is off)",
                          fig.operator_trigger_s)]
            if approval:
                start.append(("a person approves the plan's ManualApproval step", fig.operator_trigger_s))
        after = [*start, ("Aurora FailoverGlobalCluster promotes the secondary", fig.aurora_global_failover_s)]
        if headless:
            after.append((f"add a reader to the headless secondary in {target.region}", fig.aurora_reader_create_s))
        after.append(("pods reconnect through the regional RDS Proxy", fig.app_reconnect_s))
        steps = [(detect_text, detect), *after]
        writes = sum(s for _, s in after)
        rto = detect + writes
        cold = [r for r in [target.region] if r not in _cluster_regions(plan)]
        scale = fig.eks_cold_create_s if cold else fig.capacity_scale_up_s
        full = max(rto, detect + scale)
        path = [f"{text} ({fmt(sec)})" for text, sec in steps]
        path.append(f"standby capacity in {target.region}: {'cold EKS create' if cold else 'scale up'} ({fmt(scale)})")
        checks = [Check("failover (writes)", writes, "after detection: " + " + ".join(fmt(s) for _, s in after)),
                  Check("rto", rto, "detection + write path"),
                  Check("full_recovery", full, "write path and standby capacity")]
        return path, checks
    restore = fig.region_rebuild_s + fig.snapshot_restore_s
    copy = _has_backup_copy(plan)
    path = [f"no standby region: rebuild {domain.primary}'s stack in another region (`pulumi up`, "
            f"{fmt(fig.region_rebuild_s)})",
            f"restore the database from the copied backup ({fmt(fig.snapshot_restore_s)})" if copy
            else "no backup copy outside the region: the data cannot be restored"]
    rto = restore if copy else None
    basis = "rebuild + restore" if copy else "no copy to restore from"
    checks = [Check("failover (writes)", rto, basis, single), Check("rto", rto, basis, single),
              Check("full_recovery", rto, basis, single)]
    return path, checks


def assess_domain(plan: Plan, cfg: PlatformConfig, domain: DataDomainConfig, fig: DrFigures,
                  detection: float | None) -> DomainDr:
    single = "single-region stack (no replica region)" if not domain.replicas else ""
    stores = [_database_store(plan, domain, fig, single), _objects_store(plan, domain, fig, single),
              *_tenant_stores(plan, domain, fig, single)]
    path, checks = _write_path(domain, plan, fig, detection, single)
    return DomainDr(name=domain.name, residency=domain.residency, primary=domain.primary,
                    replicas=list(domain.replicas), stores=stores, failover_path=path, checks=checks,
                    notes=[*_redis_notes(plan, domain), *practice_notes(plan, domain)])


def _redis_notes(plan: Plan, domain: DataDomainConfig) -> list[str]:
    """Redis is outside the RPO: caches refill, but queued jobs in a lost region are gone."""
    groups = [g for g in plan.of_type("aws:elasticache/replicationGroup:ReplicationGroup")
              if g.region == domain.primary]
    if not groups:
        return []
    if plan.of_type("aws:elasticache/globalReplicationGroup:GlobalReplicationGroup"):
        return ["redis: a Global Datastore replicates to another region (RPO < 1 s, manual promotion ~1 min)"]
    return [f"redis: {len(groups)} replication group(s) in {domain.primary} are regional (Multi-AZ at most): "
            "after a regional failover caches start cold and jobs queued there are lost unless producers "
            "re-enqueue them"]


# --- hostnames ----------------------------------------------------------------------------

def _pool_region(pool_ref: str, regions: tuple[str, ...]) -> str:
    return next((r for r in regions if pool_ref.endswith(r)), pool_ref)


def _monitor_for(plan: Plan, hostname: str, cfg: PlatformConfig) -> tuple[float, float, str]:
    for m in plan.of_type(CF_MONITOR):
        if hostname in str(m.inputs.get("description") or "") or len(plan.of_type(CF_MONITOR)) == 1:
            interval = float(m.inputs.get("interval") or 60)
            down = float(m.inputs.get("consecutiveDown") or 1)
            return interval, down, f"monitor '{m.name}'"
    mon = cfg.global_traffic.monitor
    return float(mon.interval_seconds), float(mon.consecutive_failures), "config global_traffic.monitor"


def _domain_of(pools: list[str], fallback: str | None, cfg: PlatformConfig) -> DataDomainConfig | None:
    for d in cfg.data_domains:
        if fallback == d.primary:
            return d
    return next((d for d in cfg.data_domains if pools and set(pools) <= set(d.regions)), None)


def assess_hostname(plan: Plan, cfg: PlatformConfig, lb: PlannedResource, fig: DrFigures,
                    domains: dict[str, DomainDr]) -> HostnameDr:
    hostname = str(lb.inputs.get("name") or lb.name)
    regions = cfg.region_names
    pools = [_pool_region(str(p), regions) for p in (lb.inputs.get("defaultPools") or [])]
    fallback = _pool_region(str(lb.inputs.get("fallbackPool") or ""), regions) or None
    proxied = bool(lb.inputs.get("proxied"))
    interval, down, source = _monitor_for(plan, hostname, cfg)
    detection = interval * down
    propagation = fig.cloudflare_edge_s if proxied else float(lb.inputs.get("ttl") or 30)
    traffic = detection + propagation
    domain = _domain_of(pools, fallback, cfg)
    ddr = domains.get(domain.name) if domain else None
    checks = [Check("detection", detection, f"{interval:g} s x {down:g} consecutive failures ({source})"),
              Check("failover (traffic)", traffic,
                    f"detection + {'edge re-steer (proxied)' if proxied else f'DNS TTL {propagation:g} s'}")]
    cold = [p for p in pools if p not in _cluster_regions(plan)]
    if cold:
        checks.append(Check("full_recovery (cold pool)", traffic + fig.eks_cold_create_s,
                            f"pool region(s) without a cluster: {', '.join(cold)}"))
    path = [f"Cloudflare marks the origin down after {fmt(detection)} ({interval:g} s x {down:g})",
            "the load balancer steers to the next pool in order: " + " > ".join(pools)
            + (" (edge, no DNS TTL)" if proxied else f" after the DNS TTL ({propagation:g} s)")]
    if ddr is not None:
        # Tenant databases are listed per domain; the hostname carries the shared stores' RPO.
        rpo_values = [s.rpo.seconds for s in ddr.stores if not s.name.startswith("tenant ")]
        rpo = None if any(v is None for v in rpo_values) else max(v for v in rpo_values if v is not None)
        expected = "single-region stack (no replica region)" if not ddr.replicas else ""
        checks.append(Check("rpo", rpo, f"worst shared store of data domain {ddr.name}", expected))
        checks += [Check(c.metric, c.seconds, f"data domain {ddr.name}: {c.basis}", c.expected_miss)
                   for c in ddr.checks]
        path.append(f"writes: data domain {ddr.name} failover (see the domain's path)")
    return HostnameDr(hostname=hostname, domain=ddr.name if ddr else None, pools=pools, proxied=proxied,
                      detection=f"{interval:g} s x {down:g} = {fmt(detection)}", failover_path=path, checks=checks)


def _single_hostname(cfg: PlatformConfig, domains: dict[str, DomainDr]) -> HostnameDr:
    """No global traffic: one regional ALB, nothing health-checks the region from outside."""
    why = "single region, no global load balancer (global_traffic.enabled is false)"
    checks = [Check("detection", None, "no external health check", why),
              Check("failover (traffic)", None, "no second region to fail over to", why)]
    for d in domains.values():
        checks += [Check(c.metric, c.seconds, f"data domain {d.name}: {c.basis}", why) for c in d.checks
                   if not c.metric.startswith("failover")]
    return HostnameDr(hostname=cfg.app.hostname, domain=next(iter(domains), None),
                      pools=list(cfg.region_names[:1]), proxied=None, detection="none",
                      failover_path=["rebuild the region and restore (see the data domain)"], checks=checks)


def assess(plan: Plan, cfg: PlatformConfig | None = None, fig: DrFigures = FIGURES) -> DrReport:
    cfg = cfg or platform_config(plan)
    out = DrReport(stack=plan.stack)
    if cfg.is_local:
        return out
    lbs = plan.of_type(CF_LB)
    detection: float | None = None
    if lbs:
        interval, down, _ = _monitor_for(plan, str(lbs[0].inputs.get("name") or ""), cfg)
        detection = interval * down
    domains = {d.name: assess_domain(plan, cfg, d, fig, detection) for d in cfg.data_domains}
    out.domains = list(domains.values())
    out.hostnames = ([assess_hostname(plan, cfg, lb, fig, domains) for lb in lbs] if lbs
                     else [_single_hostname(cfg, domains)])
    return out
