"""CloudTrail into CloudWatch Logs, with the CIS AWS Foundations metric filters and alarms.

The trail's S3 copy is the evidence; the log group is the alarm path: each CIS monitoring
recommendation (Security Hub controls CloudWatch.1-14,
https://docs.aws.amazon.com/securityhub/latest/userguide/cloudwatch-controls.html) is a metric
filter on the trail's events and an alarm on its count, sent to the region's alert topic. The
patterns are the ones those controls check for, verbatim, so Security Hub recognises them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

NAMESPACE = "CISBenchmark"


def _any_event(*names: str) -> str:
    return "{ " + " || ".join(f"($.eventName = {n})" for n in names) + " }"


CIS_FILTERS: dict[str, tuple[str, str]] = {
    # metric name: (control, filter pattern)
    "RootAccountUsage": ("CloudWatch.1", '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS '
                                         '&& $.eventType != "AwsServiceEvent" }'),
    "UnauthorizedAPICalls": ("CloudWatch.2", '{ ($.errorCode = "*UnauthorizedOperation") || '
                                             '($.errorCode = "AccessDenied*") }'),
    "ConsoleSignInWithoutMFA": ("CloudWatch.3", '{ ($.eventName = "ConsoleLogin") && '
                                                '($.additionalEventData.MFAUsed != "Yes") && '
                                                '($.userIdentity.type = "IAMUser") && '
                                                '($.responseElements.ConsoleLogin = "Success") }'),
    "IAMPolicyChanges": ("CloudWatch.4", _any_event(
        "DeleteGroupPolicy", "DeleteRolePolicy", "DeleteUserPolicy", "PutGroupPolicy", "PutRolePolicy",
        "PutUserPolicy", "CreatePolicy", "DeletePolicy", "CreatePolicyVersion", "DeletePolicyVersion",
        "AttachRolePolicy", "DetachRolePolicy", "AttachUserPolicy", "DetachUserPolicy", "AttachGroupPolicy",
        "DetachGroupPolicy")),
    "CloudTrailChanges": ("CloudWatch.5", _any_event(
        "CreateTrail", "UpdateTrail", "DeleteTrail", "StartLogging", "StopLogging")),
    "ConsoleAuthenticationFailures": ("CloudWatch.6", '{ ($.eventName = ConsoleLogin) && '
                                                      '($.errorMessage = "Failed authentication") }'),
    "KMSKeyDisableOrDeletion": ("CloudWatch.7", '{ ($.eventSource = kms.amazonaws.com) && '
                                                '(($.eventName = DisableKey) || '
                                                '($.eventName = ScheduleKeyDeletion)) }'),
    "S3BucketPolicyChanges": ("CloudWatch.8", "{ ($.eventSource = s3.amazonaws.com) && ("
                              + " || ".join(f"($.eventName = {n})" for n in (
                                  "PutBucketAcl", "PutBucketPolicy", "PutBucketCors", "PutBucketLifecycle",
                                  "PutBucketReplication", "DeleteBucketPolicy", "DeleteBucketCors",
                                  "DeleteBucketLifecycle", "DeleteBucketReplication")) + ") }"),
    "SecurityGroupChanges": ("CloudWatch.10", _any_event(
        "AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupEgress", "RevokeSecurityGroupIngress",
        "RevokeSecurityGroupEgress", "CreateSecurityGroup", "DeleteSecurityGroup")),
    "NACLChanges": ("CloudWatch.11", _any_event(
        "CreateNetworkAcl", "CreateNetworkAclEntry", "DeleteNetworkAcl", "DeleteNetworkAclEntry",
        "ReplaceNetworkAclEntry", "ReplaceNetworkAclAssociation")),
    "NetworkGatewayChanges": ("CloudWatch.12", _any_event(
        "CreateCustomerGateway", "DeleteCustomerGateway", "AttachInternetGateway", "CreateInternetGateway",
        "DeleteInternetGateway", "DetachInternetGateway")),
    "RouteTableChanges": ("CloudWatch.13", _any_event(
        "CreateRoute", "CreateRouteTable", "ReplaceRoute", "ReplaceRouteTableAssociation", "DeleteRouteTable",
        "DeleteRoute", "DisassociateRouteTable")),
    "VPCChanges": ("CloudWatch.14", _any_event(
        "CreateVpc", "DeleteVpc", "ModifyVpcAttribute", "AcceptVpcPeeringConnection", "CreateVpcPeeringConnection",
        "DeleteVpcPeeringConnection", "RejectVpcPeeringConnection", "AttachClassicLinkVpc", "DetachClassicLinkVpc",
        "DisableVpcClassicLink", "EnableVpcClassicLink")),
}


LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
                      3288, 3653)
"""The only values CloudWatch Logs accepts for retentionInDays (PutRetentionPolicy API reference)."""


def log_retention(days: int) -> int:
    """The smallest accepted retention keeping events at least `days` (never shorter than asked)."""
    return next((d for d in LOG_RETENTION_DAYS if d >= days), LOG_RETENTION_DAYS[-1])


def delivery_policy(log_group_arn: str) -> str:
    """CloudTrail's role may only create streams in and write to this one log group."""
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "CloudTrailToLogGroup", "Effect": "Allow",
        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"], "Resource": f"{log_group_arn}:log-stream:*"}]})


@dataclass
class TrailLogsArgs:
    region: str
    trail_name: str
    kms_key_arn: pulumi.Input[str]
    """The region's logs key (its policy admits CloudWatch Logs of this region)."""
    retention_days: int
    alert_topic_arn: pulumi.Input[str] | None = None
    """None: filters only (no alarms) - the stack has no alert topic in this region."""
    protect: bool = False
    tags: Mapping[str, str] = field(default_factory=dict)


class TrailLogs(pulumi.ComponentResource):
    """Encrypted log group + CloudTrail delivery role + CIS metric filters and alarms."""

    log_group_arn: pulumi.Output[str]
    role_arn: pulumi.Output[str]
    alarm_names: list[str]

    def __init__(self, name: str, args: TrailLogsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("agentic:trail_alarms:TrailLogs", name, {"region": args.region}, opts)
        child = pulumi.ResourceOptions(parent=self)
        r = args.region
        group = aws.cloudwatch.LogGroup(
            f"{name}-log", region=r, name=f"/aws/cloudtrail/{args.trail_name}",
            retention_in_days=log_retention(args.retention_days), kms_key_id=args.kms_key_arn, tags=dict(args.tags),
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect))
        role = aws.iam.Role(
            f"{name}-role", name=f"{args.trail_name}-to-logs"[:64],
            assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "sts:AssumeRole"}]}),
            tags=dict(args.tags), opts=child)
        self.delivery = aws.iam.RolePolicy(f"{name}-role-policy", role=role.id,
                                           policy=group.arn.apply(delivery_policy), opts=child)
        self.alarm_names = []
        for metric, (control, pattern) in CIS_FILTERS.items():
            aws.cloudwatch.LogMetricFilter(
                f"{name}-{metric}", region=r, name=f"{args.trail_name}-{metric}", log_group_name=group.name,
                pattern=pattern, metric_transformation=aws.cloudwatch.LogMetricFilterMetricTransformationArgs(
                    name=metric, namespace=NAMESPACE, value="1"), opts=child)
            if args.alert_topic_arn is None:
                continue
            alarm = f"{args.trail_name}-{metric}"
            aws.cloudwatch.MetricAlarm(
                f"{name}-{metric}-alarm", region=r, name=alarm,
                alarm_description=f"CIS {control}: {metric} seen in CloudTrail ({args.trail_name})",
                namespace=NAMESPACE, metric_name=metric, statistic="Sum", period=300, evaluation_periods=1,
                threshold=1, comparison_operator="GreaterThanOrEqualToThreshold", treat_missing_data="notBreaching",
                alarm_actions=[args.alert_topic_arn], tags=dict(args.tags), opts=child)
            self.alarm_names.append(alarm)
        self.log_group_arn = group.arn
        self.role_arn = role.arn
        self.register_outputs({"log_group_arn": self.log_group_arn, "alarms": self.alarm_names})
