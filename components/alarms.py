"""A region's alert topic and the CloudWatch alarms that page through it.

Alarm *definitions* are plain data built by pure functions (`aurora_alarms`, `redis_alarms`,
...), so thresholds, dimensions and comparison operators are unit-tested without an engine;
`AlarmSet` only turns specs into `aws.cloudwatch.MetricAlarm`s wired to one topic. Nothing
here knows the stack config: callers hand in plain numbers and identifiers (Inputs).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

GREATER = "GreaterThanThreshold"
LESS = "LessThanThreshold"
MIB = 1024 * 1024


@dataclass(frozen=True)
class AlarmSpec:
    """One CloudWatch alarm, independent of Pulumi resources (pure, testable)."""

    key: str
    """Short unique suffix within its set (`cpu`, `node-001-memory`)."""
    description: str
    namespace: str
    metric_name: str
    dimensions: Mapping[str, pulumi.Input[str]]
    statistic: str
    comparison: str
    threshold: float
    period: int = 60
    evaluation_periods: int = 5
    datapoints_to_alarm: int = 3
    """M of N: a single noisy minute does not page; three bad minutes in five do."""
    treat_missing_data: str = "missing"
    severity: str = "P1"


# --- pure builders ---------------------------------------------------------------------------

def aurora_alarms(cluster_id: pulumi.Input[str], *, cpu_percent: float, freeable_memory_mb: float,
                  connections: float, replication_lag_ms: float | None = None) -> list[AlarmSpec]:
    """Cluster-level alarms; `replication_lag_ms` only for an Aurora Global *secondary*, where
    AWS publishes AuroraGlobalDBReplicationLag (milliseconds) for that cluster."""
    dims = {"DBClusterIdentifier": cluster_id}
    specs = [
        AlarmSpec("cpu", f"Aurora CPU above {cpu_percent:g}%", "AWS/RDS", "CPUUtilization", dims,
                  "Average", GREATER, cpu_percent),
        AlarmSpec("freeable-memory", f"Aurora freeable memory below {freeable_memory_mb:g} MiB", "AWS/RDS",
                  "FreeableMemory", dims, "Minimum", LESS, freeable_memory_mb * MIB),
        AlarmSpec("connections", f"Aurora connections above {connections:g}", "AWS/RDS",
                  "DatabaseConnections", dims, "Maximum", GREATER, connections),
    ]
    if replication_lag_ms is not None:
        specs.append(AlarmSpec(
            "global-replication-lag",
            f"Aurora Global replication lag above {replication_lag_ms:g} ms (RPO budget 15 min)",
            "AWS/RDS", "AuroraGlobalDBReplicationLag", dims, "Maximum", GREATER, replication_lag_ms,
            severity="P0"))
    return specs


def redis_member_suffixes(shards: int, replicas_per_shard: int) -> list[str]:
    """Suffixes ElastiCache gives the member clusters (one node each) of a replication group.

    Cluster mode disabled (one shard): `<group>-001`, `<group>-002`, ...; cluster mode enabled:
    `<group>-0001-001`, ... Node metrics are published per member cluster (CacheClusterId).
    """
    nodes = replicas_per_shard + 1
    if shards <= 1:
        return [f"{n:03d}" for n in range(1, nodes + 1)]
    return [f"{s:04d}-{n:03d}" for s in range(1, shards + 1) for n in range(1, nodes + 1)]


def redis_alarms(member_cluster_id: pulumi.Input[str], suffix: str, *, memory_percent: float,
                 evictions: float, replication_lag_seconds: float | None) -> list[AlarmSpec]:
    """Per-node alarms. Evictions is a Sum per minute: 0 for a queue (any eviction loses jobs).
    ReplicationLag exists only on replica nodes; missing data on the primary is not breaching."""
    dims = {"CacheClusterId": member_cluster_id}
    specs = [
        AlarmSpec(f"{suffix}-memory", f"Redis memory above {memory_percent:g}%", "AWS/ElastiCache",
                  "DatabaseMemoryUsagePercentage", dims, "Maximum", GREATER, memory_percent),
        AlarmSpec(f"{suffix}-evictions", f"Redis evictions above {evictions:g} per minute", "AWS/ElastiCache",
                  "Evictions", dims, "Sum", GREATER, evictions, evaluation_periods=1, datapoints_to_alarm=1,
                  treat_missing_data="notBreaching", severity="P0" if evictions == 0 else "P2"),
    ]
    if replication_lag_seconds is not None:
        specs.append(AlarmSpec(
            f"{suffix}-replication-lag", f"Redis replication lag above {replication_lag_seconds:g} s",
            "AWS/ElastiCache", "ReplicationLag", dims, "Maximum", GREATER, replication_lag_seconds,
            treat_missing_data="notBreaching"))
    return specs


def alb_alarms(load_balancer: pulumi.Input[str], *, elb_5xx: float, target_5xx: float,
               target_response_seconds: float) -> list[AlarmSpec]:
    """`load_balancer` is the LoadBalancer dimension (`app/<name>/<id>`, the ARN suffix)."""
    dims = {"LoadBalancer": load_balancer}
    return [
        AlarmSpec("elb-5xx", f"ALB-generated 5xx above {elb_5xx:g} per minute", "AWS/ApplicationELB",
                  "HTTPCode_ELB_5XX_Count", dims, "Sum", GREATER, elb_5xx, treat_missing_data="notBreaching",
                  severity="P0"),
        AlarmSpec("target-5xx", f"Target 5xx above {target_5xx:g} per minute", "AWS/ApplicationELB",
                  "HTTPCode_Target_5XX_Count", dims, "Sum", GREATER, target_5xx,
                  treat_missing_data="notBreaching"),
        AlarmSpec("target-response-time", f"Target response time above {target_response_seconds:g} s",
                  "AWS/ApplicationELB", "TargetResponseTime", dims, "Average", GREATER,
                  target_response_seconds, treat_missing_data="notBreaching"),
    ]


def nat_alarms(nat_gateway_id: pulumi.Input[str], suffix: str, *, error_port_allocation: float,
               packets_drop: float) -> list[AlarmSpec]:
    """Port exhaustion and drops on one NAT gateway: pods lose egress (LLM providers) first."""
    dims = {"NatGatewayId": nat_gateway_id}
    return [
        AlarmSpec(f"{suffix}-error-port-allocation", f"NAT port allocation errors above {error_port_allocation:g}",
                  "AWS/NATGateway", "ErrorPortAllocation", dims, "Sum", GREATER, error_port_allocation,
                  treat_missing_data="notBreaching"),
        AlarmSpec(f"{suffix}-packets-drop", f"NAT dropped packets above {packets_drop:g} per minute",
                  "AWS/NATGateway", "PacketsDropCount", dims, "Sum", GREATER, packets_drop,
                  treat_missing_data="notBreaching", severity="P2"),
    ]


def topic_key_policy(account_id: str, partition: str = "aws") -> str:
    """Key policy of the alert topic's key: CloudWatch alarms and EventBridge (GuardDuty findings)
    must be able to encrypt into an SSE-KMS topic, otherwise alarms fire and nothing arrives."""
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "AccountAdmin", "Effect": "Allow",
             "Principal": {"AWS": f"arn:{partition}:iam::{account_id}:root"},
             "Action": "kms:*", "Resource": "*"},
            {"Sid": "AlarmAndEventPublishers", "Effect": "Allow",
             "Principal": {"Service": ["cloudwatch.amazonaws.com", "events.amazonaws.com"]},
             "Action": ["kms:Decrypt", "kms:GenerateDataKey*"], "Resource": "*",
             "Condition": {"StringEquals": {"aws:SourceAccount": account_id}}},
        ],
    })


def topic_policy(topic_arn: str, account_id: str) -> str:
    """Publishers by service principal from this account only; TLS only."""
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "AlarmAndEventPublish", "Effect": "Allow",
             "Principal": {"Service": ["cloudwatch.amazonaws.com", "events.amazonaws.com"]},
             "Action": "sns:Publish", "Resource": topic_arn,
             "Condition": {"StringEquals": {"aws:SourceAccount": account_id}}},
            {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*",
             "Action": "sns:Publish", "Resource": topic_arn,
             "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
        ],
    })


# --- components ------------------------------------------------------------------------------

@dataclass
class AlertTopicArgs:
    region: str
    email: str | None = None
    """Subscribed when set (the subscriber confirms the e-mail once)."""
    protect: bool = False
    tags: Mapping[str, str] = field(default_factory=dict)


class AlertTopic(pulumi.ComponentResource):
    """The region's SNS alert topic, encrypted with its own small KMS key.

    A dedicated key (about $1/month) rather than a shared one, because its key policy must let
    CloudWatch and EventBridge use it; widening a data key's policy for that would be worse.
    """

    topic_arn: pulumi.Output[str]
    key_arn: pulumi.Output[str]

    def __init__(self, name: str, args: AlertTopicArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("agentic:alarms:AlertTopic", name, {"region": args.region}, opts)
        child = pulumi.ResourceOptions(parent=self)
        ident = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self))
        key = aws.kms.Key(
            f"{name}-key", region=args.region, description=f"{name}: alert topic encryption",
            enable_key_rotation=True, deletion_window_in_days=30,
            policy=ident.account_id.apply(topic_key_policy), tags=dict(args.tags),
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect))
        aws.kms.Alias(f"{name}-key-alias", region=args.region, name=f"alias/{name}", target_key_id=key.key_id,
                      opts=child)
        topic = aws.sns.Topic(f"{name}-topic", region=args.region, name=name, kms_master_key_id=key.arn,
                              tags=dict(args.tags), opts=child)
        aws.sns.TopicPolicy(
            f"{name}-policy", region=args.region, arn=topic.arn,
            policy=pulumi.Output.all(topic.arn, ident.account_id).apply(lambda a: topic_policy(a[0], a[1])),
            opts=child)
        if args.email:
            aws.sns.TopicSubscription(f"{name}-email", region=args.region, topic=topic.arn, protocol="email",
                                      endpoint=args.email, opts=child)
        self.topic_arn = topic.arn
        self.key_arn = key.arn
        self.register_outputs({"topic_arn": self.topic_arn, "key_arn": self.key_arn})


@dataclass
class AlarmSetArgs:
    region: str
    topic_arn: pulumi.Input[str]
    specs: Sequence[AlarmSpec]
    tags: Mapping[str, str] = field(default_factory=dict)


class AlarmSet(pulumi.ComponentResource):
    """Alarms of one monitored thing (a DB cluster, a Redis group, an ALB, the NATs), all
    notifying the region's topic on ALARM and on recovery (OK)."""

    alarm_names: list[pulumi.Output[str]]

    def __init__(self, name: str, args: AlarmSetArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("agentic:alarms:AlarmSet", name, {"region": args.region}, opts)
        keys = [s.key for s in args.specs]
        dupes = sorted({k for k in keys if keys.count(k) > 1})
        if dupes:
            raise ValueError(f"alarm keys must be unique within {name}: {', '.join(dupes)}")
        self.alarm_names = []
        for spec in args.specs:
            alarm = aws.cloudwatch.MetricAlarm(
                f"{name}-{spec.key}", region=args.region, name=f"{name}-{spec.key}",
                alarm_description=f"[{spec.severity}] {spec.description}",
                namespace=spec.namespace, metric_name=spec.metric_name, dimensions=dict(spec.dimensions),
                statistic=spec.statistic, comparison_operator=spec.comparison, threshold=spec.threshold,
                period=spec.period, evaluation_periods=spec.evaluation_periods,
                datapoints_to_alarm=min(spec.datapoints_to_alarm, spec.evaluation_periods),
                treat_missing_data=spec.treat_missing_data,
                alarm_actions=[args.topic_arn], ok_actions=[args.topic_arn],
                tags={**args.tags, "severity": spec.severity}, opts=pulumi.ResourceOptions(parent=self))
            self.alarm_names.append(alarm.name)
        self.register_outputs({"alarm_names": self.alarm_names})
