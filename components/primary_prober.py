"""The prober that feeds a Region switch plan's trigger alarm: is the primary's writer reachable?

A trigger alarm with nothing publishing its metric never turns red, so an "automatic" plan would
wait for a person after all. This component runs `components/prober_code.py` as a Lambda in the
*standby* region (it must survive the primary), in the standby VPC's private subnets, once a
minute (EventBridge rule `rate(1 minute)`, the finest schedule rate:
https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html); each
invocation probes every `period_seconds` for the rest of the minute and publishes a
high-resolution `AgenticPlatform/DR PrimaryReachable` datapoint (`StorageResolution=1`:
https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_MetricDatum.html) per probe.

What it probes and why: the primary's Aurora writer endpoint on 5432, across the existing VPC
peering (see prober_code's docstring). Security groups cannot reference a group in another region
over inter-region peering, so the primary's database group admits the standby VPC's *private tier*
CIDR (where the prober's ENIs live) on 5432 only; IAM database authentication and TLS are still
required for any real session, and the prober never logs in.

Least privilege: the role may put metrics into `AgenticPlatform/DR` only (condition
`cloudwatch:namespace`), write its own log group, and manage its VPC ENIs; its security group
egresses 5432 to the primary VPC and 443 (CloudWatch API through the NAT) only. Reserved
concurrency 1: a late invocation never doubles the probes; async retries are off (a retried
minute would overlap the next one).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pulumi
import pulumi_aws as aws

from components import prober_code
from components.trail_alarms import log_retention

RUNTIME = "python3.13"
"""Supported until 2029-06-30 (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html)."""
MEMORY_MB = 128
TIMEOUT_SECONDS = 60
SCHEDULE = "rate(1 minute)"
CODE_PATH = Path(prober_code.__file__)


def source() -> str:
    """The Lambda's index.py, verbatim from components/prober_code.py (tests compile it)."""
    return CODE_PATH.read_text()


@dataclass
class PrimaryProberArgs:
    name: str
    """Function name base (<= 50 characters): `<name>-prober`."""
    domain: str
    primary_region: str
    standby_region: str
    target_host: pulumi.Input[str]
    """The primary's Aurora writer (cluster) endpoint."""
    target_port: int
    vpc_id: pulumi.Input[str]
    """The standby VPC."""
    subnet_ids: Sequence[pulumi.Input[str]]
    """The standby's private subnets (routes to the peering and to the NAT)."""
    source_cidr: str
    """The standby VPC's private tier: what the primary's database group admits."""
    target_cidr: str
    """The primary VPC's CIDR: the only place the prober's group egresses to on the port."""
    target_security_group_id: pulumi.Input[str] | None
    """The primary writer's security group (None: the rule is managed elsewhere)."""
    logs_kms_key_arn: pulumi.Input[str] | None
    log_retention_days: int = 90
    period_seconds: int = 10
    timeout_seconds: float = 2.0
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags of what lives in the standby region (the domain's residency tag included)."""


def role_policy(*, log_group_arn: str) -> str:
    """Put metrics into the DR namespace only, write its own log group, manage its VPC ENIs (pure).

    PutMetricData has no resource type, so the namespace condition is the only scope
    (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/iam-cw-condition-keys-namespace.html);
    the ENI actions are those of AWSLambdaVPCAccessExecutionRole, whose Describe calls take no resource."""
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "PublishTheProbeMetricOnly", "Effect": "Allow", "Action": "cloudwatch:PutMetricData",
         "Resource": "*", "Condition": {"StringEquals": {"cloudwatch:namespace": prober_code.NAMESPACE}}},
        {"Sid": "OwnLogGroup", "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
         "Resource": f"{log_group_arn}:log-stream:*"},
        {"Sid": "VpcEnis", "Effect": "Allow",
         "Action": ["ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets",
                    "ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses",
                    "ec2:UnassignPrivateIpAddresses"],
         "Resource": "*"},
    ]})


def environment(args: PrimaryProberArgs) -> dict[str, pulumi.Input[str]]:
    """What the handler reads (prober_code.handler)."""
    return {"PROBE_HOST": args.target_host, "PROBE_PORT": str(args.target_port),
            "PROBE_DOMAIN": args.domain, "PROBE_PRIMARY_REGION": args.primary_region,
            "PROBE_PERIOD_SECONDS": str(args.period_seconds), "PROBE_TIMEOUT_SECONDS": f"{args.timeout_seconds:g}",
            "PROBE_NAMESPACE": prober_code.NAMESPACE}


class PrimaryProber(pulumi.ComponentResource):
    """Lambda + schedule + log group + role + security groups of one plan's prober."""

    function: aws.lambda_.Function
    function_name: str
    dimensions: dict[str, str]

    def __init__(self, name: str, args: PrimaryProberArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("agentic:dr:PrimaryProber", name,
                         {"domain": args.domain, "primary": args.primary_region}, opts)
        if args.primary_region == args.standby_region:
            raise ValueError(f"PrimaryProber {name}: probe the primary from another region")
        if not 0 < args.timeout_seconds < args.period_seconds <= TIMEOUT_SECONDS:
            raise ValueError(f"PrimaryProber {name}: probe timeout {args.timeout_seconds:g} s must be shorter than "
                             f"the period {args.period_seconds} s, itself at most {TIMEOUT_SECONDS} s")
        child = pulumi.ResourceOptions(parent=self)
        region, tags = args.standby_region, dict(args.tags)
        fn_name = f"{args.name}-prober"[:64]
        self.function_name = fn_name
        self.dimensions = prober_code.dimensions(args.domain, args.primary_region)

        group = aws.cloudwatch.LogGroup(
            f"{name}-log", region=region, name=f"/aws/lambda/{fn_name}",
            retention_in_days=log_retention(args.log_retention_days), kms_key_id=args.logs_kms_key_arn,
            tags=tags, opts=child)
        role = aws.iam.Role(
            f"{name}-role", name=f"{fn_name}-{region}"[:64],
            description=f"prober of {args.primary_region} for data domain {args.domain} ({region})",
            assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}),
            tags=tags, opts=child)
        policy = aws.iam.RolePolicy(f"{name}-role-policy", role=role.id,
                                    policy=group.arn.apply(lambda arn: role_policy(log_group_arn=arn)), opts=child)

        sg = aws.ec2.SecurityGroup(
            f"{name}-sg", region=region, vpc_id=args.vpc_id, name=f"{fn_name}",
            description=f"prober: {args.target_port} to {args.primary_region}'s VPC, 443 to the CloudWatch API",
            revoke_rules_on_delete=True, tags={**tags, "Name": fn_name}, opts=child)
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-sg-out-db", region=region, security_group_id=sg.id, ip_protocol="tcp",
            from_port=args.target_port, to_port=args.target_port, cidr_ipv4=args.target_cidr,
            description=f"PostgreSQL SSLRequest to the {args.primary_region} writer over the peering",
            tags=tags, opts=child)
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-sg-out-api", region=region, security_group_id=sg.id, ip_protocol="tcp",
            from_port=443, to_port=443, cidr_ipv4="0.0.0.0/0",
            description="CloudWatch PutMetricData through the NAT gateway", tags=tags, opts=child)
        if args.target_security_group_id is not None:
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-db-in", region=args.primary_region, security_group_id=args.target_security_group_id,
                ip_protocol="tcp", from_port=args.target_port, to_port=args.target_port, cidr_ipv4=args.source_cidr,
                description=f"DR prober in {region} (private tier) over the peering: SSLRequest only",
                tags=tags, opts=child)

        self.function = aws.lambda_.Function(
            f"{name}-fn", region=region, name=fn_name, role=role.arn, runtime=RUNTIME,
            handler="index.handler", architectures=["arm64"], memory_size=MEMORY_MB, timeout=TIMEOUT_SECONDS,
            reserved_concurrent_executions=1,
            code=pulumi.AssetArchive({"index.py": pulumi.StringAsset(source())}),
            description=f"publishes {prober_code.NAMESPACE} {prober_code.METRIC} for {args.primary_region} "
                        f"({args.domain}) every {args.period_seconds} s",
            environment=aws.lambda_.FunctionEnvironmentArgs(variables=environment(args)),
            vpc_config=aws.lambda_.FunctionVpcConfigArgs(subnet_ids=list(args.subnet_ids),
                                                         security_group_ids=[sg.id]),
            logging_config=aws.lambda_.FunctionLoggingConfigArgs(log_format="Text", log_group=group.name),
            tags=tags, opts=pulumi.ResourceOptions(parent=self, depends_on=[policy, group]))
        aws.lambda_.FunctionEventInvokeConfig(
            f"{name}-async", region=region, function_name=self.function.name,
            maximum_retry_attempts=0, maximum_event_age_in_seconds=60, opts=child)
        rule = aws.cloudwatch.EventRule(
            f"{name}-schedule", region=region, name=f"{fn_name}-every-minute", schedule_expression=SCHEDULE,
            description=f"start the {args.domain} prober every minute", tags=tags, opts=child)
        permission = aws.lambda_.Permission(
            f"{name}-invoke", region=region, action="lambda:InvokeFunction", function=self.function.name,
            principal="events.amazonaws.com", source_arn=rule.arn, opts=child)
        aws.cloudwatch.EventTarget(f"{name}-target", region=region, rule=rule.name, arn=self.function.arn,
                                   opts=pulumi.ResourceOptions(parent=self, depends_on=[permission]))
        self.register_outputs({"function_name": fn_name})
