"""AWS Budgets with an encrypted alert topic, and the cost-allocation tags they filter on.

A tenant's budget filters on the `tenant` cost-allocation tag, which Cost Explorer only knows
once the tag key is activated (and has appeared on a billed resource: activation fails with
"tag key not found" on a brand-new account until then — run `pulumi up` again a day later).
The topic is KMS-encrypted with its own key because Budgets must be allowed to use that key;
granting a service on a shared key would widen every other store's policy.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws


@dataclass(frozen=True)
class BudgetSpec:
    key: str
    """Resource-name part: `environment` or `tenant-<id>`."""
    name: str
    """Physical budget name (unique in the account)."""
    monthly_usd: float
    tag: tuple[str, str] | None = None
    """(tag key, value) filter; None: the whole account (the environment's budget)."""


def tag_filter(key: str, value: str) -> str:
    """Budgets' TagKeyValue syntax for a user-defined cost-allocation tag."""
    return f"user:{key}${value}"


def alert_key_policy(account_id: str) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": [
        {"Sid": "AccountAdministration", "Effect": "Allow",
         "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"}, "Action": "kms:*", "Resource": "*"},
        {"Sid": "BudgetsPublish", "Effect": "Allow", "Principal": {"Service": "budgets.amazonaws.com"},
         "Action": ["kms:GenerateDataKey*", "kms:Decrypt"], "Resource": "*",
         "Condition": {"StringEquals": {"aws:SourceAccount": account_id}}},
    ]}


def topic_policy(topic_arn: str, account_id: str) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": [
        {"Sid": "BudgetsPublish", "Effect": "Allow", "Principal": {"Service": "budgets.amazonaws.com"},
         "Action": "SNS:Publish", "Resource": topic_arn,
         "Condition": {"StringEquals": {"aws:SourceAccount": account_id},
                       "ArnLike": {"aws:SourceArn": f"arn:aws:budgets::{account_id}:*"}}},
        {"Sid": "TlsOnly", "Effect": "Deny", "Principal": "*", "Action": "SNS:Publish", "Resource": topic_arn,
         "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
    ]}


@dataclass
class CostControlsArgs:
    region: str
    """Region of the alert topic and its key (Budgets itself is global)."""
    name_prefix: str
    account_id: pulumi.Input[str]
    budgets: Sequence[BudgetSpec]
    alert_emails: Sequence[str] = ()
    threshold_percent: float = 80
    cost_allocation_tags: Sequence[str] = ()
    tags: Mapping[str, str] = field(default_factory=dict)
    budget_tags: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    """Per budget key: extra tags (a tenant budget carries the tenant's tags)."""
    protect: bool = False
    """Protect the alert key (a deleted key makes the topic's queued alerts unreadable)."""


class CostControls(pulumi.ComponentResource):
    topic_arn: pulumi.Output[str]
    budget_names: dict[str, str]

    def __init__(self, name: str, args: CostControlsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("agentic:cost:CostControls", name, {"region": args.region}, opts)
        child = pulumi.ResourceOptions(parent=self)
        account = pulumi.Output.from_input(args.account_id)
        key = aws.kms.Key(
            f"{name}-{args.region}-alerts-key",
            region=args.region,
            description=f"{args.name_prefix} budget alert topic",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=account.apply(lambda a: json.dumps(alert_key_policy(a))),
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect, retain_on_delete=args.protect),
        )
        topic = aws.sns.Topic(
            f"{name}-{args.region}-alerts",
            region=args.region,
            name=f"{args.name_prefix}-budget-alerts",
            kms_master_key_id=key.arn,
            tags=dict(args.tags),
            opts=child,
        )
        aws.sns.TopicPolicy(
            f"{name}-{args.region}-alerts-policy",
            region=args.region,
            arn=topic.arn,
            policy=pulumi.Output.all(topic.arn, account).apply(lambda v: json.dumps(topic_policy(v[0], v[1]))),
            opts=child,
        )
        for tag_key in args.cost_allocation_tags:
            aws.costexplorer.CostAllocationTag(f"{name}-tag-{tag_key}", tag_key=tag_key, status="Active", opts=child)
        self.budget_names = {}
        for spec in args.budgets:
            notifications = [
                aws.budgets.BudgetNotificationArgs(
                    comparison_operator="GREATER_THAN", notification_type=kind, threshold=threshold,
                    threshold_type="PERCENTAGE", subscriber_sns_topic_arns=[topic.arn],
                    subscriber_email_addresses=list(args.alert_emails) or None)
                for kind, threshold in (("ACTUAL", args.threshold_percent), ("FORECASTED", 100.0))
            ]
            aws.budgets.Budget(
                f"{name}-budget-{spec.key}",
                name=spec.name,
                budget_type="COST",
                limit_amount=f"{spec.monthly_usd:.2f}",
                limit_unit="USD",
                time_unit="MONTHLY",
                cost_filters=[aws.budgets.BudgetCostFilterArgs(name="TagKeyValue", values=[tag_filter(*spec.tag)])]
                if spec.tag else None,
                notifications=notifications,
                tags={**args.tags, **args.budget_tags.get(spec.key, {})},
                opts=pulumi.ResourceOptions(parent=self, depends_on=[topic]),
            )
            self.budget_names[spec.key] = spec.name
        self.topic_arn = topic.arn
        self.register_outputs({"topic_arn": topic.arn})
