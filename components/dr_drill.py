"""A scheduled DR drill: EventBridge Scheduler starts the FIS Aurora failover experiment.

Failing the writer over on a calendar keeps the failover path (DNS of the cluster endpoint, RDS
Proxy reconnects, the app's retry budget) exercised between real incidents. A drill that fails or
is stopped by its stop-condition alarm reaches the region's alert topic through the FIS rule
(components/fis.py).

Universal target: https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-targets-universal.html
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

START_EXPERIMENT = "arn:aws:scheduler:::aws-sdk:fis:startExperiment"


def scheduler_trust_policy(account_id: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "scheduler.amazonaws.com"}, "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"aws:SourceAccount": account_id}}}]})


def start_policy(template_arn: str, region: str, account_id: str) -> str:
    """Start this one template; the experiment it creates is a new resource of the account."""
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "fis:StartExperiment",
        "Resource": [template_arn, f"arn:aws:fis:{region}:{account_id}:experiment/*"]}]})


def start_input(template_id: str, drill: str) -> str:
    """StartExperiment's body; the execution id makes a retried invocation idempotent."""
    return json.dumps({"ExperimentTemplateId": template_id, "ClientToken": "<aws.scheduler.execution-id>",
                       "Tags": {"drill": drill}})


@dataclass
class DrDrillArgs:
    region: str
    name_prefix: str
    account_id: str
    template_id: pulumi.Input[str]
    schedule: str = "cron(0 10 ? * WED#1 *)"
    tags: Mapping[str, str] = field(default_factory=dict)


class DrDrill(pulumi.ComponentResource):
    def __init__(self, name: str, args: DrDrillArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("agentic:dr:DrDrill", name, {"region": args.region}, opts)
        child = pulumi.ResourceOptions(parent=self)
        r, acct = args.region, args.account_id
        template_arn = pulumi.Output.from_input(args.template_id).apply(
            lambda t: f"arn:aws:fis:{r}:{acct}:experiment-template/{t}")
        role = aws.iam.Role(f"{name}-role", name=f"{args.name_prefix}-dr-drill",
                            assume_role_policy=scheduler_trust_policy(acct), tags=dict(args.tags), opts=child)
        policy = aws.iam.RolePolicy(f"{name}-start", role=role.id,
                                    policy=template_arn.apply(lambda a: start_policy(a, r, acct)), opts=child)
        schedule = aws.scheduler.Schedule(
            f"{name}-schedule", region=r, name=f"{args.name_prefix}-dr-drill", schedule_expression=args.schedule,
            schedule_expression_timezone="Etc/UTC", description="Monthly practice of the Aurora writer failover",
            flexible_time_window=aws.scheduler.ScheduleFlexibleTimeWindowArgs(mode="OFF"),
            target=aws.scheduler.ScheduleTargetArgs(
                arn=START_EXPERIMENT, role_arn=role.arn,
                input=pulumi.Output.from_input(args.template_id).apply(lambda t: start_input(t, args.name_prefix)),
                retry_policy=aws.scheduler.ScheduleTargetRetryPolicyArgs(maximum_retry_attempts=0)),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy]))
        self.schedule_name = schedule.name
        self.register_outputs({"schedule_name": self.schedule_name})
