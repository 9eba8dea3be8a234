"""`failover`: move a data domain's Aurora Global writer to another region, then its traffic.

Where the stack outputs name the domain's ARC Region switch plan (`failover.region_switch.<domain>`),
the command starts that plan (`StartPlanExecution`, action `activate`, mode `graceful`, or
`ungraceful` with `--unplanned`) through the target region's Region switch data plane and follows
its steps; the plan runs the same promotion the stack's automatic trigger would. Its Aurora step
fails over with AllowDataLoss in either mode (behavior `failover`: the pinned pulumi-aws cannot set
the `ungraceful` block that would let graceful runs switch over instead,
https://docs.aws.amazon.com/arc-region-switch/latest/api/API_GlobalAuroraConfiguration.html), so a
plan run needs `--accept-data-loss`. `--manual` (or a stack without plans) keeps the step-by-step
runbook below, whose planned path is the RPO-0 switchover.

Planned switchover (`SwitchoverGlobalCluster`, RPO 0) needs a healthy global cluster; the
unplanned `FailoverGlobalCluster` with `AllowDataLoss` loses up to the replication lag and so
runs only with an explicit `--accept-data-loss`. Aurora never promotes across regions by itself
and Cloudflare health checks only steer around dead origins, so the runbook does both and times
each step against the guide's targets (detect < 30 s, fail over < 2 min, recover < 15 min).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ops.cloudflare import Cloudflare, reorder
from ops.context import Deps
from ops.errors import BadInput, MissingOutput, OperationFailed
from ops.outputs import DataDomain, Hostname, RegionSwitchPlan, StackOutputs, arn_region
from ops.report import Plan, Timings

FAILOVER_TARGET_SECONDS = 120
DONE = ("completed", "completedWithExceptions", "completedMonitoringApplicationHealth")
"""Plan execution states after which the target region is active
(https://docs.aws.amazon.com/arc-region-switch/latest/api/API_GetPlanExecution.html)."""
STOPPED = ("failed", "canceled", "planExecutionTimedOut", "pausedByFailedStep", "pausedByOperator")


@dataclass(frozen=True)
class Topology:
    status: str
    writer_arn: str | None
    target_arn: str
    failover_state: dict[str, Any] | None

    @property
    def writer_region(self) -> str | None:
        return arn_region(self.writer_arn)


def describe(deps: Deps, domain: DataDomain, gid: str, target_region: str) -> Topology:
    """Read through the target region's endpoint: in an unplanned failover the old primary may be down."""
    found = deps.clients("rds", target_region).describe_global_clusters(GlobalClusterIdentifier=gid)["GlobalClusters"]
    found = [g for g in found if g.get("GlobalClusterIdentifier") == gid]
    if not found:
        raise OperationFailed(f"global cluster {gid} of data domain {domain.name} not found through {target_region}"
                              " (is the stack deployed in this account?)")
    g = found[0]
    members = g.get("GlobalClusterMembers", [])
    writer = next((m.get("DBClusterArn") for m in members if m.get("IsWriter")), None)
    target = next((m.get("DBClusterArn") for m in members if arn_region(m.get("DBClusterArn")) == target_region), None)
    if target is None:
        raise BadInput(f"global cluster {gid} has no member cluster in {target_region}; members: "
                       + ", ".join(str(m.get("DBClusterArn")) for m in members))
    return Topology(str(g.get("Status", "unknown")), writer, str(target), g.get("FailoverState"))


def affected_hostnames(outputs: StackOutputs, domain: DataDomain) -> list[Hostname]:
    return [h for h in outputs.hostnames.values() if h.residency == domain.residency]


def _pool(hostname: Hostname, region: str | None) -> str | None:
    return next((p.pool_id for p in hostname.pools if p.region == region), None)


def run(outputs: StackOutputs, deps: Deps, *, domain_name: str, to: str, unplanned: bool,
        accept_data_loss: bool, apply: bool, manual: bool = False) -> int:
    domain = outputs.domain(domain_name)
    if to not in domain.regions:
        raise BadInput(f"refusing to fail over to {to}: it is outside {domain.describe()}"
                       f" (residency {domain.residency})")
    rs = outputs.region_switch.get(domain.name)
    via_plan = rs is not None and not manual
    if accept_data_loss and not unplanned and not via_plan:
        raise BadInput("--accept-data-loss only applies to --unplanned failover or a Region switch plan run")
    if unplanned and not accept_data_loss:
        raise BadInput("an unplanned failover can lose the writes not yet replicated;"
                       " re-run with --unplanned --accept-data-loss to confirm")
    if rs is not None and via_plan:
        if not accept_data_loss:
            # The plan's Aurora step has behavior `failover`: FailoverGlobalCluster with AllowDataLoss
            # "including during graceful execution" (API_GlobalAuroraConfiguration). Only the runbook's
            # SwitchoverGlobalCluster is RPO 0.
            raise BadInput(f"plan {rs.plan_name} fails the databases over with AllowDataLoss even in a graceful"
                           " run; use --manual for a planned switchover with no data loss (RPO 0), or add"
                           " --accept-data-loss to run the plan")
        return run_plan(outputs, deps, domain, rs, to=to, unplanned=unplanned, apply=apply)
    gid = domain.global_cluster_identifier
    if not gid:
        raise MissingOutput(f"stack outputs: `data_domains.{domain.name}.global_cluster_identifier` is null;"
                            " a single-region domain has no replica to fail over to")
    topo = describe(deps, domain, gid, to)
    if topo.failover_state:
        raise BadInput(f"global cluster {gid} already has a {topo.failover_state.get('Status')} switchover or"
                       " failover in progress; wait for it to finish")
    already = topo.writer_arn == topo.target_arn
    if not already and not unplanned and topo.status != "available":
        raise BadInput(f"global cluster {gid} is {topo.status}; a planned switchover needs a healthy cluster"
                       " (use --unplanned --accept-data-loss if the primary region is down)")
    hostnames = affected_hostnames(outputs, domain)
    token = deps.env.get("CLOUDFLARE_API_TOKEN", "")
    if apply and hostnames and not token:
        raise BadInput("CLOUDFLARE_API_TOKEN is not set; it is needed to re-order the pools of "
                       + ", ".join(h.name for h in hostnames))

    kind = "unplanned failover (AllowDataLoss)" if unplanned else "planned switchover (RPO 0)"
    plan = Plan(f"failover of {domain.describe()}: {kind} to {to}")
    if already:
        plan.note(f"{to} already holds the writer of {gid}; only traffic is re-ordered")
    else:
        api = "FailoverGlobalCluster AllowDataLoss=True" if unplanned else "SwitchoverGlobalCluster"
        plan.add(f"{api}: {gid} writer {topo.writer_region or 'none'} -> {to} ({topo.target_arn})")
        plan.add(f"wait until {to} is the writer and {gid} is available")
    for h in hostnames:
        target_pool = _pool(h, to)
        if target_pool is None:
            plan.note(f"{h.name} has no pool in {to}; its pools are left as they are")
        else:
            plan.add(f"Cloudflare {h.name} (load balancer {h.load_balancer_id}): pool {target_pool} ({to}) first")
    if not hostnames:
        plan.note(f"no hostname with residency {domain.residency}; no traffic change")
    target_region = outputs.regional.get(to)
    if target_region is not None and target_region.standby:
        plan.note(standby_note(to))
    if outputs.detection_seconds:
        plan.note(f"Cloudflare marks a dead origin down after about {outputs.detection_seconds} s"
                  " (guide target: detection < 30 s)")
    plan.print(deps.out, apply)
    if not apply:
        if token:
            _show_pool_changes(deps, token, hostnames, to, topo.writer_region)
        return 0

    timings = Timings(clock=deps.clock)
    if not already:
        rds = deps.clients("rds", to)
        with timings.step("promote " + to):
            if unplanned:
                rds.failover_global_cluster(GlobalClusterIdentifier=gid, TargetDbClusterIdentifier=topo.target_arn,
                                            AllowDataLoss=True)
            else:
                rds.switchover_global_cluster(GlobalClusterIdentifier=gid, TargetDbClusterIdentifier=topo.target_arn)
        with timings.step("wait for new writer"):
            deps.wait_for(f"{to} to become the writer of {gid}",
                          lambda: _is_writer(describe(deps, domain, gid, to)))
        deps.say(f"{gid}: writer is now {to}")
    cloudflare = Cloudflare(token, deps.cloudflare_transport) if hostnames else None
    for h in hostnames:
        target_pool = _pool(h, to)
        if target_pool is None or cloudflare is None:
            continue
        with timings.step(f"re-order pools {h.name}"):
            lb = cloudflare.get_load_balancer(h.zone_id, h.load_balancer_id)
            changes = reorder(lb, target_pool, _pool(h, topo.writer_region))
            if changes:
                cloudflare.patch_load_balancer(h.zone_id, h.load_balancer_id, changes)
        deps.say(f"{h.name}: {_describe_changes(changes)}")
    deps.say(timings.render())
    within = "within" if timings.total <= FAILOVER_TARGET_SECONDS else "OVER"
    deps.say(f"failover of {domain.name} to {to} done in {timings.total:.0f} s"
             f" ({within} the {FAILOVER_TARGET_SECONDS} s target)")
    return 0


def standby_note(region: str) -> str:
    """A warm standby runs one node per group and the api/worker at their standby floors
    (`cluster.standby`); it scales up under load, but the floors should follow the traffic."""
    return (f"{region} is a warm standby (small node groups, api and worker at the `cluster.standby` floors):"
            " raise the api floor now with kubectl -n platform-core patch scaledobject api --type merge --patch"
            " '{\"spec\":{\"minReplicaCount\":3}}' (KEDA owns the api's HPA), then set `standby: false` for " + region +
            " in `agentic-platform:regions` and run `pulumi up` to restore the active node groups and floors")


def _is_writer(topo: Topology) -> bool:
    if topo.status == "failed":
        raise OperationFailed(f"global cluster is in state failed while promoting {topo.target_arn}")
    return topo.writer_arn == topo.target_arn and topo.status == "available" and not topo.failover_state


def _describe_changes(changes: dict[str, Any]) -> str:
    if not changes:
        return "pools already in the right order"
    parts = [f"default_pools={changes['default_pools']}"] if "default_pools" in changes else []
    if "fallback_pool" in changes:
        parts.append(f"fallback_pool={changes['fallback_pool']}")
    parts += [f"{k} updated" for k in changes if k.endswith("_pools") and k != "default_pools"]
    return ", ".join(parts)


def _show_pool_changes(deps: Deps, token: str, hostnames: list[Hostname], to: str, old: str | None) -> None:
    """In a dry run with a token, read each load balancer and show the exact PATCH it would get."""
    cloudflare = Cloudflare(token, deps.cloudflare_transport)
    for h in hostnames:
        target_pool = _pool(h, to)
        if target_pool is None:
            continue
        lb = cloudflare.get_load_balancer(h.zone_id, h.load_balancer_id)
        deps.say(f"would PATCH {h.name}: {_describe_changes(reorder(lb, target_pool, _pool(h, old)))}")


def run_plan(outputs: StackOutputs, deps: Deps, domain: DataDomain, rs: RegionSwitchPlan, *, to: str,
             unplanned: bool, apply: bool) -> int:
    """Start the domain's Region switch plan towards `to` and follow it to the end.

    The execution APIs live on each region's data plane; the call goes to the target region, the
    one that must be up (https://docs.aws.amazon.com/r53recovery/latest/dg/data-and-control-planes-rs.html)."""
    if to not in rs.regions:
        raise BadInput(f"plan {rs.plan_name} switches between {', '.join(rs.regions)}, not {to};"
                       " use --manual to promote another member")
    mode = "ungraceful" if unplanned else "graceful"
    plan = Plan(f"failover of {domain.describe()}: Region switch plan {rs.plan_name}, activate {to} ({mode})")
    plan.add(f"StartPlanExecution {rs.plan_arn} targetRegion={to} action=activate mode={mode}")
    plan.add("follow GetPlanExecution until the execution completes (its steps promote the global databases"
             " and scale the standby)")
    if rs.approval_required:
        plan.note("the plan has a ManualApproval step: an approver must approve it in the console or API")
    if rs.automatic:
        plan.note("the plan's trigger alarm starts it on its own when the primary is unreachable; check the"
                  " alert topic for an execution already under way")
    target_region = outputs.regional.get(to)
    if target_region is not None and target_region.standby:
        plan.note(standby_note(to))
    plan.print(deps.out, apply)
    if not apply:
        return 0
    arc = deps.clients("arc-region-switch", to)
    timings = Timings(clock=deps.clock)
    with timings.step(f"plan {rs.plan_name}"):
        started = arc.start_plan_execution(planArn=rs.plan_arn, targetRegion=to, action="activate", mode=mode,
                                           comment=f"python -m ops failover --domain {domain.name} --to {to}")
        execution = str(started["executionId"])
        deps.say(f"started execution {execution} of {rs.plan_name}")
        state = follow(deps, arc, rs.plan_arn, execution)
    deps.say(timings.render())
    within = "within" if timings.total <= FAILOVER_TARGET_SECONDS else "OVER"
    deps.say(f"plan {rs.plan_name} {state}: {to} active for {domain.name} in {timings.total:.0f} s"
             f" ({within} the {FAILOVER_TARGET_SECONDS} s target)")
    return 0


def execution_page(arc: Any, plan_arn: str, execution: str) -> tuple[str, list[dict[str, Any]]]:
    """(executionState, every step state), following nextToken."""
    kwargs: dict[str, Any] = {"planArn": plan_arn, "executionId": execution}
    steps: list[dict[str, Any]] = []
    while True:
        page = arc.get_plan_execution(**kwargs)
        steps.extend(page.get("stepStates") or [])
        if not page.get("nextToken"):
            return str(page.get("executionState", "unknown")), steps
        kwargs["nextToken"] = page["nextToken"]


def follow(deps: Deps, arc: Any, plan_arn: str, execution: str) -> str:
    """Poll the execution, print each step when its status changes; end on a final state."""
    seen: dict[str, str] = {}
    waiting_approval = False

    def probe() -> str | None:
        nonlocal waiting_approval
        state, steps = execution_page(arc, plan_arn, execution)
        for st in steps:
            name, status = str(st.get("name")), str(st.get("status"))
            if seen.get(name) != status:
                seen[name] = status
                deps.say(f"  step {name}: {status}")
        if state == "pendingManualApproval" and not waiting_approval:
            waiting_approval = True
            deps.say("  waiting for the plan's ManualApproval step to be approved")
        if state in STOPPED:
            raise OperationFailed(f"Region switch execution {execution} is {state}; failed steps: "
                                  + (", ".join(n for n, s in seen.items() if s == "failed") or "none")
                                  + " (see the execution in the ARC console)")
        return state if state in DONE else None

    return str(deps.wait_for(f"Region switch execution {execution}", probe))
