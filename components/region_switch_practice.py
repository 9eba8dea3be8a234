"""A scheduled round trip through one ARC Region switch plan: the regional failover, practised.

Staging has one region, so the regional failover can only be practised through prod's own
mechanism, the Region switch plan of each data domain (components/region_switch.py). Region switch
has no practice or dry-run mode: StartPlanExecution takes `mode` `graceful` or `ungraceful` only
(https://docs.aws.amazon.com/arc-region-switch/latest/api/API_StartPlanExecution.html; older SDK
text still speaks of a PRACTICE mode that the API does not accept). A practice run is therefore a
real execution, and this component makes it a complete, announced one:

- go: EventBridge Scheduler calls StartPlanExecution (action `activate`, mode `graceful`, latest
  plan version) on the standby region's data plane in the window. A plan runs from the region it
  activates (https://docs.aws.amazon.com/r53recovery/latest/dg/plan-execution-rs.html), and
  StartPlanExecution is a regional, data-plane operation (no control-plane endpoint in the SDK's
  endpoint rules), so each schedule lives in the region its execution activates;
- back: a second schedule `return_after_hours` later activates the primary again through the same
  workflow (it names no target region, so it activates either region), in the primary region. It
  runs even when the first leg failed: the stack then goes back to the state its program describes.
  Unverified: how the plan's EKSResourceScaling step, which names only the standby's cluster,
  behaves when the primary is activated; a failure there alerts like any other;
- the schedules' role may call only `arc-region-switch:StartPlanExecution` on this plan's ARN
  (https://docs.aws.amazon.com/service-authorization/latest/reference/list_arc-region-switch.html),
  and only EventBridge Scheduler of this account may assume it;
- an EventBridge rule in each of the two regions sends this plan's failed, canceled or error-paused
  executions (source `aws.arc-region-switch`, detail-type "ARC Region Switch Plan Execution":
  https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-arc-region-switch.html) to that
  region's alert topic. The documented example events spell `eventType` in PascalCase while the
  API's ExecutionEventType enum is camelCase
  (https://docs.aws.amazon.com/r53recovery/latest/dg/eventbridge-region-switch.html), so the rule
  matches both with `equals-ignore-case`. Which region an execution's events are delivered in is
  not documented; a rule in both regions covers either. Nothing in the event tells a practice
  execution from a real one, so a failed real execution alerts here too. A failed *invocation*
  (target or permission error) starts no execution, emits no such event and is not alerted here:
  it shows only in EventBridge Scheduler's own metrics.

Unverified: the Scheduler universal target's service name. The Scheduler guide says it is the AWS
SDK service identifier, not the endpoint prefix (https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-targets-universal.html);
for ARC Region switch the SDKs name the service `arcregionswitch` (Java, Go, Kotlin packages), but no
published page lists it as a universal target. If the first run reports an invalid target,
correct START_PLAN_EXECUTION. Executions are not billed beyond the plan's monthly fee (stacks/cost/prices.yaml).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.dr_drill import scheduler_trust_policy

START_PLAN_EXECUTION = "arn:aws:scheduler:::aws-sdk:arcregionswitch:startPlanExecution"
EXECUTION_EVENT = "ARC Region Switch Plan Execution"
FAILED_EVENT_TYPES = ("executionFailed", "executionCanceled", "stepFailed", "stepPausedByError")
"""ExecutionEventType values that mean the practice did not complete (botocore arc-region-switch model)."""


def start_policy(plan_arn: str) -> str:
    """Start executions of this one plan; nothing else (pure)."""
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "StartThisPlanOnly", "Effect": "Allow", "Action": "arc-region-switch:StartPlanExecution",
        "Resource": plan_arn}]})


def execution_input(plan_arn: str, target_region: str, comment: str) -> str:
    """StartPlanExecution's body: activate `target_region` gracefully with the latest plan version;
    the Scheduler execution id makes a retried invocation idempotent (clientToken)."""
    return json.dumps({"planArn": plan_arn, "targetRegion": target_region, "action": "activate",
                       "mode": "graceful", "latestVersion": "true", "comment": comment,
                       "clientToken": "<aws.scheduler.execution-id>"})


def failed_execution_pattern(plan_arn: str) -> str:
    """This plan's executions that failed, were canceled or paused on a failed step."""
    return json.dumps({"source": ["aws.arc-region-switch"],
                       "detail-type": [{"equals-ignore-case": EXECUTION_EVENT}],
                       "resources": [{"prefix": plan_arn}],
                       "detail": {"eventType": [{"equals-ignore-case": t} for t in FAILED_EVENT_TYPES]}})


@dataclass
class RegionSwitchPracticeArgs:
    plan_name: str
    plan_arn: pulumi.Input[str]
    primary_region: str
    standby_region: str
    go_schedule: str
    """Scheduler cron (UTC) that activates the standby."""
    back_schedule: str
    """Scheduler cron (UTC), later the same day, that activates the primary again."""
    alert_topic_arns: Mapping[str, pulumi.Input[str]]
    """Region -> alert topic, for both regions of the plan."""
    account_id: pulumi.Input[str]
    tags: Mapping[str, str] = field(default_factory=dict)
    regional_tags: Mapping[str, str] = field(default_factory=dict)
    """Extra tags of what lives in the plan's regions (the domain's residency tag)."""


class RegionSwitchPractice(pulumi.ComponentResource):
    """Go and back schedules of one plan, their role, and the failure alerts in both regions."""

    schedule_names: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: RegionSwitchPracticeArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("agentic:dr:RegionSwitchPractice", name, {"plan": args.plan_name}, opts)
        missing = {args.primary_region, args.standby_region} - set(args.alert_topic_arns)
        if missing or args.primary_region == args.standby_region:
            raise ValueError(f"{name}: needs two regions, each with its alert topic (missing: {sorted(missing)})")
        child = pulumi.ResourceOptions(parent=self)
        tags, regional = dict(args.tags), {**args.tags, **args.regional_tags}
        plan_arn = pulumi.Output.from_input(args.plan_arn)
        role = aws.iam.Role(
            f"{name}-role", name=f"{args.plan_name}-rs-practice",
            description=f"EventBridge Scheduler: start practice executions of Region switch plan {args.plan_name}",
            assume_role_policy=pulumi.Output.from_input(args.account_id).apply(scheduler_trust_policy),
            tags=tags, opts=child)
        policy = aws.iam.RolePolicy(f"{name}-start", role=role.id, policy=plan_arn.apply(start_policy), opts=child)
        legs = {"go": (args.standby_region, args.go_schedule, f"activate standby {args.standby_region}"),
                "back": (args.primary_region, args.back_schedule, f"return to primary {args.primary_region}")}
        self.schedule_names = {}
        for leg, (region, cron, what) in legs.items():
            comment = f"scheduled practice (testing.dr_drill.region_switch_practice): {what}"
            schedule = aws.scheduler.Schedule(
                f"{name}-{leg}", region=region, name=f"{args.plan_name}-practice-{leg}",
                schedule_expression=cron, schedule_expression_timezone="Etc/UTC",
                description=f"Region switch plan {args.plan_name}: {what} (a real, graceful execution)",
                flexible_time_window=aws.scheduler.ScheduleFlexibleTimeWindowArgs(mode="OFF"),
                target=aws.scheduler.ScheduleTargetArgs(
                    arn=START_PLAN_EXECUTION, role_arn=role.arn,
                    input=plan_arn.apply(lambda a, r=region, c=comment: execution_input(a, r, c)),
                    retry_policy=aws.scheduler.ScheduleTargetRetryPolicyArgs(maximum_retry_attempts=0)),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[policy]))
            self.schedule_names[leg] = schedule.name
        for region in (args.standby_region, args.primary_region):
            rule = aws.cloudwatch.EventRule(
                f"{name}-failed-{region}", region=region, name=f"{args.plan_name}-practice-failed",
                description=f"Region switch plan {args.plan_name}: failed or canceled executions -> alert topic",
                event_pattern=plan_arn.apply(failed_execution_pattern), tags=regional, opts=child)
            aws.cloudwatch.EventTarget(f"{name}-failed-{region}-alert", region=region, rule=rule.name,
                                       arn=args.alert_topic_arns[region], opts=child)
        self.register_outputs({"schedule_names": self.schedule_names})
