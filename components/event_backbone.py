"""The platform's asynchronous events: one EventBridge bus per data domain and region, replicated
to the domain's other regions only, with a cache-invalidation queue per bus.

Why EventBridge buses with cross-region rules rather than MSK Serverless + MSK Replicator: the
platform's async events (tenant changes, cache invalidations, job notifications) are small and
low-volume; EventBridge bills per event with no hourly floor (MSK Serverless bills per cluster
hour and partition hour in every region, https://aws.amazon.com/msk/pricing/), needs no VPC
subnets or brokers, is encrypted at rest with a customer key
(https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-encryption-at-rest-key-management.html)
and reaches another Region's bus with a rule target
(https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-cross-region.html). What it lacks
is Kafka's replay and ordering; consumers here are idempotent evictions.

Residency: a bus belongs to one data domain (its name and `data-domain` tag; `data-residency` too
for a resident domain), and its rules
forward only events that originated on it (`detail.origin_region`) and only to buses of the same
domain, so an EU event never leaves the EU domain and nothing loops. Cache invalidation across
regions rides on it: the app publishes `cache.invalidate` on its region's bus; every region's
queue receives it (its own and the forwarded copies) and that region's worker evicts the keys
in its own Redis. Private: no bus has a resource policy (only this account's IAM principals may
call it) and each queue admits only EventBridge for its own rule; the app reaches both through NAT,
or through `events`/`sqs` interface endpoints when `network.interface_endpoints` lists them.

What the application may do on the backbone (`publish_statement`, `consume_statements`; wired to
the cells' Pod Identity roles by stacks/compose/workload.py): a cell of domain D in region R
publishes only to D's bus in R, with a `source` under EVENT_SOURCE_PREFIX, and its worker consumes
only D's cache-invalidation queue in R, decrypting through SQS in R only.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

EVENT_SOURCE_PREFIX = "agentic."
CACHE_INVALIDATE = "cache.invalidate"


def replication_pairs(regions: Sequence[str]) -> list[tuple[str, str]]:
    """(source, destination) for every ordered pair of a domain's regions (full mesh)."""
    return [(a, b) for a in regions for b in regions if a != b]


def forward_pattern(origin_region: str) -> str:
    """Only events published in `origin_region` (never a forwarded copy: no loops)."""
    return json.dumps({"source": [{"prefix": EVENT_SOURCE_PREFIX}], "detail": {"origin_region": [origin_region]}},
                      sort_keys=True)


def invalidation_pattern() -> str:
    return json.dumps({"source": [{"prefix": EVENT_SOURCE_PREFIX}], "detail-type": [CACHE_INVALIDATE]},
                      sort_keys=True)


def bus_name(prefix: str, domain: str) -> str:
    return f"{prefix}-{domain}-events"


def key_policy(account_id: str) -> str:
    """The account administers the key (IAM policies grant its use: the worker's Decrypt); EventBridge
    (for this account) encrypts the bus and delivers into the encrypted queue with it. EventBridge
    needs DescribeKey, GenerateDataKey and Decrypt on a customer managed key
    (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-encryption-key-policy.html)."""
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "Account", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
         "Action": "kms:*", "Resource": "*"},
        {"Sid": "EventBridge", "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
         "Action": ["kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey"], "Resource": "*",
         "Condition": {"StringEquals": {"aws:SourceAccount": account_id}}},
    ]}, sort_keys=True)


PUBLISH_ACTIONS = ("events:PutEvents",)
CONSUME_ACTIONS = ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes")
"""What the eviction consumer calls on its queue: long-poll, delete what it evicted, read the depth
(KEDA/metrics). No SendMessage (only EventBridge fills the queue, through the queue policy), no
ChangeMessageVisibility (a failed eviction is simply redelivered after the visibility timeout), no
GetQueueUrl (the URL comes in CACHE_INVALIDATION_QUEUE_URL)."""


def publish_statement(bus_arn: Any) -> dict[str, Any]:
    """`events:PutEvents` on one bus, and only for events whose every `source` starts with
    EVENT_SOURCE_PREFIX (the prefix the forwarding and invalidation rules match).

    `events:source` is a PutEvents condition key; a PutEvents call carries several entries, so
    AWS's own example tests it with `ForAllValues`
    (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-bus-example-policy-cross-account-custom-bus-source.html);
    `Null: false` keeps an empty set from matching vacuously. No KMS permission: EventBridge
    encrypts the bus with the key as its own service principal, through the key policy
    (`key_policy`), never with the publisher's credentials
    (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-encryption-key-policy.html).
    `bus_arn` may be an Output (the caller serialises with `Output.json_dumps`)."""
    return {"Sid": "PublishOwnDomainEvents", "Effect": "Allow", "Action": list(PUBLISH_ACTIONS),
            "Resource": bus_arn,
            "Condition": {"ForAllValues:StringLike": {"events:source": f"{EVENT_SOURCE_PREFIX}*"},
                          "Null": {"events:source": "false"}}}


def consume_statements(region: str, queue_arn: Any, key_arn: Any) -> list[dict[str, Any]]:
    """Receive/delete/get-attributes on one cache-invalidation queue, and `kms:Decrypt` on the key
    that encrypts it only when SQS in `region` asks on the consumer's behalf (`kms:ViaService`
    `sqs.<region>.amazonaws.com`, supported by SQS:
    https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#viaService_table).
    A consumer of an SSE-KMS queue needs kms:Decrypt only; GenerateDataKey is a producer's
    (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html),
    and the producer here is EventBridge under the key policy."""
    return [
        {"Sid": "ConsumeOwnCacheInvalidations", "Effect": "Allow", "Action": list(CONSUME_ACTIONS),
         "Resource": queue_arn},
        {"Sid": "DecryptOwnInvalidationsThroughSqs", "Effect": "Allow", "Action": "kms:Decrypt",
         "Resource": key_arn, "Condition": {"StringEquals": {"kms:ViaService": f"sqs.{region}.amazonaws.com"}}},
    ]


@dataclass(frozen=True)
class BackboneRegion:
    """One domain's backbone in one region: what that region's cells are told and granted."""

    region: str
    bus_name: str
    bus_arn: pulumi.Output[str]
    queue_url: pulumi.Output[str]
    queue_arn: pulumi.Output[str]
    key_arn: pulumi.Output[str]


@dataclass
class EventBackboneArgs:
    domain: str
    residency: str
    regions: Sequence[str]
    """The domain's regions with a workload, primary first."""
    account_id: pulumi.Input[str]
    name_prefix: str
    """`<project>-<env>`: bus, queue and role names."""
    tags: Mapping[str, str] = field(default_factory=dict)
    message_retention_seconds: int = 4 * 24 * 3600
    protect: bool = False
    """Protect the keys (staging/prod): deleting one makes the bus and queues unreadable."""


class EventBackbone(pulumi.ComponentResource):
    """Buses, keys, cache-invalidation queues and in-domain forwarding rules of one data domain."""

    bus_name: str
    queue_name: str
    """The same names in every region of the domain (plain strings: known at preview)."""
    buses: dict[str, pulumi.Output[str]]
    queue_urls: dict[str, pulumi.Output[str]]
    regions: dict[str, BackboneRegion]
    """Per region: bus, queue and key, for the workload's settings and grants."""

    def __init__(self, name: str, args: EventBackboneArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("agentic:events:EventBackbone", name, {"domain": args.domain}, opts)
        if not args.regions:
            raise ValueError(f"EventBackboneArgs.regions is empty for domain {args.domain}: no bus to create")
        child = pulumi.ResourceOptions(parent=self)
        # `data-domain` on everything: the residency-event-forwarding policy joins only buses of one domain.
        tags = {**args.tags, "data-domain": args.domain,
                **({"data-residency": args.residency} if args.residency != "none" else {})}
        bname = bus_name(args.name_prefix, args.domain)
        self.bus_name, self.queue_name = bname, f"{bname}-cache-invalidation"
        account = pulumi.Output.from_input(args.account_id)
        self.buses = {}
        self.queue_urls = {}
        self.regions = {}
        buses: dict[str, aws.cloudwatch.EventBus] = {}
        for region in args.regions:
            key = aws.kms.Key(f"{name}-{region}-key", region=region, description=f"{bname} in {region}",
                              enable_key_rotation=True, deletion_window_in_days=30,
                              policy=account.apply(key_policy), tags=tags,
                              opts=pulumi.ResourceOptions(parent=self, protect=args.protect))
            bus = aws.cloudwatch.EventBus(f"{name}-{region}-bus", region=region, name=bname,
                                          description=f"platform events of data domain {args.domain}",
                                          kms_key_identifier=key.arn, tags=tags, opts=child)
            buses[region] = bus
            self.buses[region] = bus.arn
            queue = aws.sqs.Queue(f"{name}-{region}-invalidation", region=region,
                                  name=self.queue_name, kms_master_key_id=key.arn,
                                  kms_data_key_reuse_period_seconds=300,
                                  message_retention_seconds=args.message_retention_seconds, tags=tags, opts=child)
            rule = aws.cloudwatch.EventRule(f"{name}-{region}-invalidate", region=region, event_bus_name=bus.name,
                                            name=f"{bname}-cache-invalidate", event_pattern=invalidation_pattern(),
                                            description="cache.invalidate -> this region's eviction queue",
                                            tags=tags, opts=child)
            aws.sqs.QueuePolicy(f"{name}-{region}-invalidation-policy", region=region, queue_url=queue.url,
                                policy=pulumi.Output.all(queue.arn, rule.arn).apply(
                                    lambda a: json.dumps({"Version": "2012-10-17", "Statement": [{
                                        "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
                                        "Action": "sqs:SendMessage", "Resource": a[0],
                                        "Condition": {"ArnEquals": {"aws:SourceArn": a[1]}}}]}, sort_keys=True)),
                                opts=child)
            aws.cloudwatch.EventTarget(f"{name}-{region}-invalidation-target", region=region, rule=rule.name,
                                       event_bus_name=bus.name, arn=queue.arn, target_id="cache-invalidation",
                                       opts=child)
            self.queue_urls[region] = queue.url
            self.regions[region] = BackboneRegion(region=region, bus_name=bname, bus_arn=bus.arn,
                                                  queue_url=queue.url, queue_arn=queue.arn, key_arn=key.arn)
        pairs = replication_pairs(list(args.regions))
        if pairs:
            role = aws.iam.Role(f"{name}-forward-role", name=f"{bname}-forward"[:64],
                                assume_role_policy=account.apply(lambda acct: json.dumps({
                                    "Version": "2012-10-17", "Statement": [{
                                        "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
                                        "Action": "sts:AssumeRole",
                                        "Condition": {"StringEquals": {"aws:SourceAccount": acct}}}]},
                                    sort_keys=True)),
                                tags=tags, opts=child)
            aws.iam.RolePolicy(f"{name}-forward-policy", role=role.id, policy=pulumi.Output.all(
                *self.buses.values()).apply(lambda arns: json.dumps({
                    "Version": "2012-10-17", "Statement": [{
                        "Effect": "Allow", "Action": "events:PutEvents", "Resource": sorted(arns)}]},
                    sort_keys=True)), opts=child)
            for src, dst in pairs:
                rule = aws.cloudwatch.EventRule(f"{name}-{src}-to-{dst}", region=src, event_bus_name=buses[src].name,
                                                name=f"{bname}-to-{dst}", event_pattern=forward_pattern(src),
                                                description=f"events published in {src} -> {dst} (same data domain)",
                                                tags=tags, opts=child)
                aws.cloudwatch.EventTarget(f"{name}-{src}-to-{dst}-target", region=src, rule=rule.name,
                                           event_bus_name=buses[src].name, arn=buses[dst].arn, role_arn=role.arn,
                                           target_id=f"bus-{dst}", opts=child)
        self.register_outputs({"buses": self.buses, "queue_urls": self.queue_urls})
