"""Data-store service events routed to the region's alert topic through EventBridge.

CloudWatch alarms see what metrics show (CPU, memory, lag); they do not see an Aurora failover,
an instance failure, or an ElastiCache update or snapshot that failed. Both services send those
events to EventBridge in their own region, free of charge, so one rule per service sends them to
the same topic the alarms use (its topic and key policies already admit `events.amazonaws.com`
of this account, see components/alarms.py).

What is routed, and why only that:
- Aurora (`aws.rds`): cluster and instance events of the `failover` and `failure` categories,
  limited to this stack's identifiers by prefix, so stacks sharing an account and region do not
  page each other. Maintenance, backup and configuration notices are not pages.
- ElastiCache (`aws.elasticache`): the failure and limit event types only; "Cache Created",
  "Cache Updated" and "Snapshot Created" are routine. ElastiCache events carry no documented
  identifier field to filter on, so this rule covers the account's region.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

RDS_DETAIL_TYPES = ("RDS DB Cluster Event", "RDS DB Instance Event")
RDS_CATEGORIES = ("failover", "failure")
ELASTICACHE_DETAIL_TYPES = (
    "Cache Creation Failed", "Cache Update Failed", "Cache Limit Approaching",
    "Snapshot Creation Failed", "Snapshot Export Failed", "Snapshot Copy Failed",
)


def rds_event_pattern(identifier_prefixes: Sequence[str]) -> str:
    """Failover and failure events of the clusters and instances whose identifier starts with one
    of `identifier_prefixes` (EventBridge ORs the prefix matchers)."""
    if not identifier_prefixes or any(not p for p in identifier_prefixes):
        raise ValueError("rds_event_pattern needs non-empty identifier prefixes: an empty one matches "
                         "every database of the account")
    return json.dumps({
        "source": ["aws.rds"],
        "detail-type": list(RDS_DETAIL_TYPES),
        "detail": {"EventCategories": list(RDS_CATEGORIES),
                   "SourceIdentifier": [{"prefix": p} for p in sorted(set(identifier_prefixes))]},
    })


def elasticache_event_pattern() -> str:
    return json.dumps({"source": ["aws.elasticache"], "detail-type": list(ELASTICACHE_DETAIL_TYPES)})


@dataclass
class StoreEventsArgs:
    region: str
    topic_arn: pulumi.Input[str]
    identifier_prefixes: Sequence[str]
    """Aurora identifiers of this stack start with one of these (e.g. `agentic-platform-prod-`)."""
    aurora: bool = True
    elasticache: bool = True
    tags: Mapping[str, str] = field(default_factory=dict)


class StoreEvents(pulumi.ComponentResource):
    """One EventBridge rule and SNS target per data-store service of the region."""

    rule_names: list[pulumi.Output[str]]

    def __init__(self, name: str, args: StoreEventsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("agentic:alarms:StoreEvents", name, {"region": args.region}, opts)
        child = pulumi.ResourceOptions(parent=self)
        patterns: dict[str, tuple[str, str]] = {}
        if args.aurora:
            patterns["aurora"] = ("Aurora failover and failure events", rds_event_pattern(args.identifier_prefixes))
        if args.elasticache:
            patterns["elasticache"] = ("ElastiCache failure and limit events", elasticache_event_pattern())
        self.rule_names = []
        for service, (description, pattern) in patterns.items():
            rule = aws.cloudwatch.EventRule(f"{name}-{service}", region=args.region, name=f"{name}-{service}",
                                            description=description, event_pattern=pattern,
                                            tags=dict(args.tags), opts=child)
            aws.cloudwatch.EventTarget(f"{name}-{service}-to-alerts", region=args.region, rule=rule.name,
                                       arn=args.topic_arn, opts=child)
            self.rule_names.append(rule.name)
        self.register_outputs({"rule_names": self.rule_names})
