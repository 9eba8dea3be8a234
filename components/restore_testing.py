"""AWS Backup restore testing: prove every month that the databases' recovery points restore.

A restore testing plan picks the latest recovery point of the domain's vault on a schedule,
restores the Aurora cluster into a throw-away cluster, keeps it for the validation window and
deletes it. A restore job that fails or is aborted reaches the region's alert topic, so a backup
that no longer restores pages someone before the day it is needed.

https://docs.aws.amazon.com/aws-backup/latest/devguide/restore-testing.html
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws


def restore_role_policy() -> str:
    """AWS Backup's managed restore policy covers Aurora; the role only needs to be assumable."""
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "backup.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


def restore_failure_pattern(plan_name: str, account_id: str, region: str) -> str:
    """Restore jobs started by this plan that ended FAILED or ABORTED."""
    plan_arn = f"arn:aws:backup:{region}:{account_id}:restore-testing-plan:{plan_name}"
    return json.dumps({"source": ["aws.backup"], "detail-type": ["Restore Job State Change"],
                       "detail": {"status": ["FAILED", "ABORTED"],
                                  "createdBy": {"restoreTestingPlanArn": [{"prefix": plan_arn}]}}})


@dataclass
class RestoreTestingArgs:
    region: str
    plan_name: str
    """Letters, digits and underscores only (AWS Backup's rule for restore testing plan names)."""
    account_id: str
    vault_name: pulumi.Input[str]
    clusters: Mapping[str, pulumi.Input[str]]
    """Logical name -> Aurora cluster identifier restored from that vault."""
    alert_topic_arn: pulumi.Input[str]
    schedule: str = "cron(0 5 1 * ? *)"
    validation_window_hours: int = 4
    selection_window_days: int = 7
    tags: Mapping[str, str] = field(default_factory=dict)


class RestoreTesting(pulumi.ComponentResource):
    def __init__(self, name: str, args: RestoreTestingArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("agentic:backup:RestoreTesting", name, {"region": args.region}, opts)
        child = pulumi.ResourceOptions(parent=self)
        r, acct = args.region, args.account_id
        role = aws.iam.Role(f"{name}-role", name=f"{args.plan_name[:50]}-restore".replace("_", "-"),
                            assume_role_policy=restore_role_policy(), tags=dict(args.tags), opts=child)
        aws.iam.RolePolicyAttachment(
            f"{name}-restores", role=role.name,
            policy_arn="arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores", opts=child)
        vault_arn = pulumi.Output.from_input(args.vault_name).apply(
            lambda v: f"arn:aws:backup:{r}:{acct}:backup-vault:{v}")
        plan = aws.backup.RestoreTestingPlan(
            f"{name}-plan", region=r, name=args.plan_name, schedule_expression=args.schedule,
            schedule_expression_timezone="Etc/UTC", start_window_hours=8,
            recovery_point_selection=aws.backup.RestoreTestingPlanRecoveryPointSelectionArgs(
                algorithm="LATEST_WITHIN_WINDOW", include_vaults=[vault_arn], recovery_point_types=["SNAPSHOT"],
                selection_window_days=args.selection_window_days),
            tags=dict(args.tags), opts=child)
        for logical, ident in sorted(args.clusters.items()):
            cluster_arn = pulumi.Output.from_input(ident).apply(lambda i: f"arn:aws:rds:{r}:{acct}:cluster:{i}")
            aws.backup.RestoreTestingSelection(
                f"{name}-{logical}", region=r, name=f"{logical.replace('-', '_')}_aurora",
                restore_testing_plan_name=plan.name, protected_resource_type="Aurora",
                protected_resource_arns=[cluster_arn], iam_role_arn=role.arn,
                validation_window_hours=args.validation_window_hours, opts=child)
        rule = aws.cloudwatch.EventRule(
            f"{name}-failed", region=r, name=f"{args.plan_name[:50]}-failed".replace("_", "-"),
            description="Restore tests of this stack's databases that failed",
            event_pattern=restore_failure_pattern(args.plan_name, acct, r), tags=dict(args.tags), opts=child)
        aws.cloudwatch.EventTarget(f"{name}-failed-to-alerts", region=r, rule=rule.name,
                                   arn=args.alert_topic_arn, opts=child)
        self.plan_name = plan.name
        self.register_outputs({"plan_name": self.plan_name})
