"""Customer-managed KMS keys, one per region and purpose.

KMS keys are regional (C4): every store is encrypted with a key of its own region, so a region's
data stays readable there when another region is lost, and a residency's data never needs a key
held elsewhere. One key per purpose keeps blast radius and key-policy grants small: the database
key is useless to a stolen cache role.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

PURPOSES: tuple[str, ...] = ("database", "cache", "storage", "logs", "secrets")

_USE = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"]


def key_policy(account_id: str, region: str, purpose: str,
               replication_role_pattern: str | None = None) -> dict[str, Any]:
    """The key policy of one key: account admin plus the AWS services that encrypt with it.

    Service access is scoped by `kms:ViaService`/encryption context so the key cannot be used
    through another service or from another region. The S3 replication role is matched by ARN
    pattern in a condition (a principal that does not exist yet would make the policy invalid).
    """
    root = f"arn:aws:iam::{account_id}:root"
    statements: list[dict[str, Any]] = [
        {"Sid": "AccountAdministration", "Effect": "Allow", "Principal": {"AWS": root},
         "Action": "kms:*", "Resource": "*"},
    ]
    via = {
        "database": [f"rds.{region}.amazonaws.com", f"backup.{region}.amazonaws.com"],
        "cache": [f"elasticache.{region}.amazonaws.com"],
        "storage": [f"s3.{region}.amazonaws.com"],
        "logs": [f"logs.{region}.amazonaws.com"],
        "secrets": [f"secretsmanager.{region}.amazonaws.com"],
    }[purpose]
    statements.append({
        "Sid": "AccountPrincipalsThroughService", "Effect": "Allow", "Principal": {"AWS": "*"},
        "Action": [*_USE, "kms:CreateGrant", "kms:ListGrants"], "Resource": "*",
        "Condition": {"StringEquals": {"kms:CallerAccount": account_id, "kms:ViaService": via}},
    })
    if purpose == "database":
        statements.append({
            "Sid": "RdsServices", "Effect": "Allow",
            "Principal": {"Service": ["rds.amazonaws.com", "monitoring.rds.amazonaws.com"]},
            "Action": [*_USE, "kms:CreateGrant"], "Resource": "*",
            "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
        })
    if purpose == "logs":
        statements.append({
            "Sid": "CloudWatchLogs", "Effect": "Allow",
            "Principal": {"Service": f"logs.{region}.amazonaws.com"},
            "Action": _USE, "Resource": "*",
            "Condition": {"ArnLike": {
                "kms:EncryptionContext:aws:logs:arn": f"arn:aws:logs:{region}:{account_id}:log-group:*"}},
        })
        statements.append({
            "Sid": "LogDelivery", "Effect": "Allow", "Principal": {"Service": "delivery.logs.amazonaws.com"},
            "Action": _USE, "Resource": "*",
            "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
        })
    if purpose == "storage" and replication_role_pattern:
        statements.append({
            "Sid": "S3ReplicationRole", "Effect": "Allow", "Principal": {"AWS": root},
            "Action": ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*", "kms:DescribeKey"],
            "Resource": "*",
            "Condition": {"ArnLike": {"aws:PrincipalArn": replication_role_pattern},
                          "StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"}},
        })
    return {"Version": "2012-10-17", "Statement": statements}


@dataclass
class KmsKeyArgs:
    region: str
    purpose: str
    """One of PURPOSES: decides which services the key policy admits."""
    alias: str
    """Without `alias/`; unique per region (e.g. `agentic-platform/prod/database`)."""
    account_id: pulumi.Input[str]
    replication_role_pattern: str | None = None
    """IAM role ARN pattern (wildcards allowed) of S3 replication roles using a storage key."""
    protect: bool = False
    deletion_window_in_days: int | None = None
    """None: 30 days when protected, else the 7-day minimum."""
    tags: Mapping[str, str] = field(default_factory=dict)


class KmsKey(pulumi.ComponentResource):
    """A rotating symmetric key with its alias; retained and protected when the stack asks."""

    arn: pulumi.Output[str]
    key_id: pulumi.Output[str]

    def __init__(self, name: str, args: KmsKeyArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("agentic:kms:KmsKey", name, {"region": args.region}, opts)
        if args.purpose not in PURPOSES:
            raise ValueError(f"KmsKeyArgs.purpose '{args.purpose}' is unknown; use one of {', '.join(PURPOSES)}")
        policy = pulumi.Output.from_input(args.account_id).apply(
            lambda acct: json.dumps(key_policy(acct, args.region, args.purpose, args.replication_role_pattern)))
        stateful = pulumi.ResourceOptions(parent=self, protect=args.protect, retain_on_delete=args.protect)
        key = aws.kms.Key(
            f"{name}-key",
            region=args.region,
            description=f"{args.alias} ({args.purpose}, {args.region})",
            enable_key_rotation=True,
            rotation_period_in_days=365,
            deletion_window_in_days=args.deletion_window_in_days or (30 if args.protect else 7),
            key_usage="ENCRYPT_DECRYPT",
            customer_master_key_spec="SYMMETRIC_DEFAULT",
            multi_region=False,  # S3/RDS treat MRKs as single-region anyway (C20)
            policy=policy,
            tags=dict(args.tags),
            opts=stateful,
        )
        aws.kms.Alias(f"{name}-alias", region=args.region, name=f"alias/{args.alias}",
                      target_key_id=key.key_id, opts=pulumi.ResourceOptions(parent=self))
        self.arn = key.arn
        self.key_id = key.key_id
        self.register_outputs({"arn": self.arn})


@dataclass
class RegionKeysArgs:
    region: str
    alias_prefix: str
    """e.g. `agentic-platform/prod`; each key's alias is `<prefix>/<purpose>`."""
    account_id: pulumi.Input[str]
    purposes: Sequence[str] = PURPOSES
    replication_role_pattern: str | None = None
    protect: bool = False
    tags: Mapping[str, str] = field(default_factory=dict)


class RegionKeys(pulumi.ComponentResource):
    """All purpose keys of one region; `arns[purpose]` is what stores of that region use."""

    arns: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: RegionKeysArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("agentic:kms:RegionKeys", name, {"region": args.region}, opts)
        self.arns = {}
        for purpose in args.purposes:
            key = KmsKey(f"{name}-{purpose}", KmsKeyArgs(
                region=args.region, purpose=purpose, alias=f"{args.alias_prefix}/{purpose}",
                account_id=args.account_id,
                replication_role_pattern=args.replication_role_pattern if purpose == "storage" else None,
                protect=args.protect, tags=args.tags,
            ), opts=pulumi.ResourceOptions(parent=self))
            self.arns[purpose] = key.arn
        self.register_outputs({"arns": self.arns})
