"""Logging: enough evidence to investigate an incident, kept long enough to be useful."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import ResourceValidationArgs

from .config import Settings
from .props import UNKNOWN, get, is_set, items, mapping, number, truthy
from .residency import BUCKETS
from .spec import Meta, resource_policy, stack_policy
from .stack import StackView

CAT = "logging"
EKS_LOG_TYPES = ("api", "audit", "authenticator")
"""The security-relevant control-plane logs (Checkov also wants controllerManager and scheduler,
which are operational; a stack may add them, the policy does not demand them)."""


def _flow_logs(view: StackView) -> Iterator[tuple[str, str | None]]:
    logs = view.of_type("aws:ec2/flowLog:FlowLog")
    for vpc in view.of_type("aws:ec2/vpc:Vpc"):
        mine = [f for f in logs if any(t.urn == vpc.urn for t in view.refs(f, "vpcId"))]
        if not mine:
            yield f"VPC {vpc.name} has no flow log", vpc.urn
        elif not any(get(f.props, "trafficType") == "ALL" for f in mine):
            yield f"VPC {vpc.name}: flow logs do not capture trafficType ALL", vpc.urn


vpc_flow_logs = stack_policy(
    Meta("vpc-flow-logs", CAT, "Every VPC has a flow log capturing ALL traffic.", ("CKV2_AWS_11",), ("EC2.6",)),
    _flow_logs)


def _eks_logs(args: ResourceValidationArgs, s: Settings) -> Iterator[str]:
    enabled = items(args.props, "enabledClusterLogTypes")
    if UNKNOWN in enabled:
        return
    missing = [t for t in EKS_LOG_TYPES if t not in enabled]
    if missing:
        yield f"enabledClusterLogTypes lacks {', '.join(missing)}"


eks_logs = resource_policy(
    Meta("eks-control-plane-logging", CAT, "EKS control-plane api, audit and authenticator logs are on.",
         ("CKV_AWS_37",), ("EKS.8",)),
    ["aws:eks/cluster:Cluster"], _eks_logs)


def _aurora_logs(args: ResourceValidationArgs, s: Settings) -> Iterator[str]:
    engine = get(args.props, "engine")
    if not isinstance(engine, str) or "postgres" not in engine:
        return
    if "postgresql" not in items(args.props, "enabledCloudwatchLogsExports"):
        yield "enabledCloudwatchLogsExports must contain 'postgresql'"


aurora_logs = resource_policy(
    Meta("aurora-postgres-log-export", CAT, "Aurora PostgreSQL exports its logs to CloudWatch.", ("CKV_AWS_324",),
         ("RDS.37",)),
    ["aws:rds/cluster:Cluster"], _aurora_logs)

LOGGING = ("aws:s3/bucketLogging:BucketLogging", "aws:s3/bucketLoggingV2:BucketLoggingV2")


def _s3_access_logs(view: StackView) -> Iterator[tuple[str, str | None]]:
    configs = view.of_type(*LOGGING)
    targets = {t.urn for c in configs for t in view.refs(c, "targetBucket", BUCKETS)}
    for bucket in view.of_type(*BUCKETS):
        if bucket.urn in targets:
            continue  # the access-log bucket itself (logging it into itself would loop)
        mine = [c for c in configs if any(t.urn == bucket.urn for t in view.refs(c, "bucket", BUCKETS))]
        if not mine and not is_set(get(bucket.props, "logging")):
            yield f"bucket {bucket.name} has no server access logging", bucket.urn


s3_access_logs = stack_policy(
    Meta("s3-access-logging", CAT, "Every S3 bucket (except the access-log bucket) logs server access.",
         ("CKV_AWS_18",), ("S3.9",)),
    _s3_access_logs)


def _retention(args: ResourceValidationArgs, s: Settings) -> Iterator[str]:
    raw = get(args.props, "retentionInDays")
    if raw is UNKNOWN:
        return
    days = number(raw)
    if days is None or days == 0:
        yield "retentionInDays is not set (logs kept forever: cost and data-minimisation)"
    elif days < s.min_log_retention_days:
        yield f"retentionInDays {int(days)} < {s.min_log_retention_days}"


log_retention = resource_policy(
    Meta("cloudwatch-log-retention", CAT, "CloudWatch log groups set a retention of at least minLogRetentionDays.",
         ("CKV_AWS_66", "CKV_AWS_338")),
    ["aws:cloudwatch/logGroup:LogGroup"], _retention)


def _alb_logs(args: ResourceValidationArgs, s: Settings) -> Iterator[str]:
    ann = mapping(args.props, "metadata.annotations")
    if ann.get("alb.ingress.kubernetes.io/scheme") is None and get(args.props, "spec.ingressClassName") != "alb":
        return
    attrs = str(ann.get("alb.ingress.kubernetes.io/load-balancer-attributes", "")).replace(" ", "")
    if "access_logs.s3.enabled=true" not in attrs or "access_logs.s3.bucket=" not in attrs:
        yield "the ALB does not write access logs (access_logs.s3.enabled=true and access_logs.s3.bucket=...)"


alb_logs = resource_policy(
    Meta("ingress-alb-access-logs", CAT, "ALBs created from Ingresses write access logs to S3.", ("CKV_AWS_91",),
         ("ELB.5",)),
    ["kubernetes:networking.k8s.io/v1:Ingress"], _alb_logs)


def _lb_logs(args: ResourceValidationArgs, s: Settings) -> Iterator[str]:
    if not truthy(get(args.props, "accessLogs.enabled")) or not is_set(get(args.props, "accessLogs.bucket")):
        yield "accessLogs.enabled must be true with a bucket"


lb_logs = resource_policy(
    Meta("lb-access-logs", CAT, "Load balancers write access logs.", ("CKV_AWS_91",), ("ELB.5",)),
    ["aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer"], _lb_logs)


def _trail(args: ResourceValidationArgs, s: Settings) -> Iterator[str]:
    if not truthy(get(args.props, "enableLogFileValidation")):
        yield "enableLogFileValidation must be true"
    if not is_set(get(args.props, "kmsKeyId")):
        yield "kmsKeyId must be set (trail logs encrypted with a customer key)"
    if get(args.props, "isMultiRegionTrail") is not True and not truthy(get(args.props, "isMultiRegionTrail")):
        yield "isMultiRegionTrail should be true"


cloudtrail = resource_policy(
    Meta("cloudtrail-hardened", CAT, "CloudTrail trails are multi-region, validated and KMS-encrypted.",
         ("CKV_AWS_36", "CKV_AWS_35", "CKV_AWS_67"), ("CloudTrail.1", "CloudTrail.2", "CloudTrail.4")),
    ["aws:cloudtrail/trail:Trail"], _trail)


def _cache_logs(args: ResourceValidationArgs, s: Settings) -> Iterator[str]:
    if not items(args.props, "logDeliveryConfigurations"):
        yield "no logDeliveryConfigurations (slow-log / engine-log delivery)"


cache_logs = resource_policy(
    Meta("elasticache-log-delivery", CAT, "ElastiCache delivers slow and engine logs.", advisory_only=True),
    ["aws:elasticache/replicationGroup:ReplicationGroup"], _cache_logs)

POLICIES = [vpc_flow_logs, eks_logs, aurora_logs, s3_access_logs, log_retention, alb_logs, lb_logs, cloudtrail,
            cache_logs]
