"""Cross-region replication from one source bucket to replica buckets of the same data domain.

The failure modes this avoids (C18-C23 in docs/aws-constraints.md): the configuration is created only after
versioning is on for the source and every replica (C18); SSE-KMS objects are opted in and
re-encrypted under the replica region's key, named by full ARN (C19-C21), with the role holding
kms:Decrypt on the source key and kms:Encrypt on each replica key; V2 rules carry filter,
priority, status and an explicit delete-marker choice (C23); Replication Time Control (15 min)
and its metrics make lag visible. Existing objects are not replicated (C22: S3 Batch Replication).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

RTC_MINUTES = 15


@dataclass(frozen=True)
class ReplicaTarget:
    region: str
    bucket_arn: pulumi.Input[str]
    kms_key_arn: pulumi.Input[str]
    """The replica region's storage key, full ARN (C21)."""
    versioning: pulumi.Resource | None = None
    """The replica's BucketVersioning: replication waits for it (C18)."""


@dataclass
class BucketReplicationArgs:
    role_name: str
    """IAM is global: the name carries environment, domain and source region."""
    source_bucket: pulumi.Input[str]
    source_bucket_arn: pulumi.Input[str]
    source_region: str
    source_kms_key_arn: pulumi.Input[str]
    targets: Sequence[ReplicaTarget]
    replicate_delete_markers: bool = False
    depends_on: Sequence[pulumi.Resource] = ()
    """The source's BucketVersioning (C18)."""
    tags: Mapping[str, str] = field(default_factory=dict)


def replication_policy(source_arn: str, source_region: str, source_key: str,
                       targets: Sequence[tuple[str, str, str]]) -> dict[str, Any]:
    """targets: (region, bucket ARN, key ARN). Least privilege (C19)."""
    return {"Version": "2012-10-17", "Statement": [
        {"Sid": "SourceBucket", "Effect": "Allow",
         "Action": ["s3:GetReplicationConfiguration", "s3:ListBucket"], "Resource": source_arn},
        {"Sid": "SourceObjects", "Effect": "Allow",
         "Action": ["s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl",
                    "s3:GetObjectVersionTagging", "s3:GetObjectRetention", "s3:GetObjectLegalHold"],
         "Resource": f"{source_arn}/*"},
        {"Sid": "ReplicaObjects", "Effect": "Allow",
         "Action": ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags",
                    "s3:ObjectOwnerOverrideToBucketOwner"],
         "Resource": [f"{arn}/*" for _, arn, _ in targets]},
        {"Sid": "DecryptSource", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": source_key,
         "Condition": {"StringLike": {"kms:ViaService": f"s3.{source_region}.amazonaws.com",
                                      "kms:EncryptionContext:aws:s3:arn": f"{source_arn}/*"}}},
        *({"Sid": f"EncryptReplica{i}", "Effect": "Allow", "Action": ["kms:Encrypt", "kms:GenerateDataKey"],
           "Resource": key,
           "Condition": {"StringLike": {"kms:ViaService": f"s3.{region}.amazonaws.com",
                                        "kms:EncryptionContext:aws:s3:arn": f"{arn}/*"}}}
          for i, (region, arn, key) in enumerate(targets)),
    ]}


class BucketReplication(pulumi.ComponentResource):
    """The replication role and one V2 rule per replica bucket."""

    role_arn: pulumi.Output[str]
    config: aws.s3.BucketReplicationConfig

    def __init__(self, name: str, args: BucketReplicationArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("agentic:storage:BucketReplication", name, {"region": args.source_region}, opts)
        if not args.targets:
            raise ValueError("BucketReplicationArgs.targets: at least one replica bucket is needed")
        for t in args.targets:
            if t.region == args.source_region:
                raise ValueError(f"BucketReplicationArgs.targets: '{t.region}' is the source region; "
                                 "cross-region replication needs another region of the domain")
        child = pulumi.ResourceOptions(parent=self)
        role = aws.iam.Role(
            f"{name}-role", name=args.role_name,
            assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"}, "Action": "sts:AssumeRole"}]}),
            tags=dict(args.tags), opts=child)
        target_parts = [pulumi.Output.all(t.region, t.bucket_arn, t.kms_key_arn) for t in args.targets]
        policy = pulumi.Output.all(args.source_bucket_arn, args.source_kms_key_arn, *target_parts).apply(
            lambda v: json.dumps(replication_policy(
                v[0], args.source_region, v[1], [(p[0], p[1], p[2]) for p in v[2:]])))
        role_policy = aws.iam.RolePolicy(f"{name}-policy", role=role.id, policy=policy, opts=child)
        self.role_arn = role.arn
        status = "Enabled" if args.replicate_delete_markers else "Disabled"
        waits: list[pulumi.Resource] = [role_policy, *args.depends_on]
        waits += [t.versioning for t in args.targets if t.versioning is not None]
        self.config = aws.s3.BucketReplicationConfig(
            f"{name}-config", region=args.source_region, bucket=args.source_bucket, role=role.arn,
            rules=[aws.s3.BucketReplicationConfigRuleArgs(
                id=f"to-{t.region}", priority=i, status="Enabled",
                filter=aws.s3.BucketReplicationConfigRuleFilterArgs(prefix=""),
                delete_marker_replication=aws.s3.BucketReplicationConfigRuleDeleteMarkerReplicationArgs(status=status),
                source_selection_criteria=aws.s3.BucketReplicationConfigRuleSourceSelectionCriteriaArgs(
                    sse_kms_encrypted_objects=(
                        aws.s3.BucketReplicationConfigRuleSourceSelectionCriteriaSseKmsEncryptedObjectsArgs(
                            status="Enabled"))),
                destination=aws.s3.BucketReplicationConfigRuleDestinationArgs(
                    bucket=t.bucket_arn, storage_class="STANDARD",
                    encryption_configuration=aws.s3.BucketReplicationConfigRuleDestinationEncryptionConfigurationArgs(
                        replica_kms_key_id=t.kms_key_arn),
                    replication_time=aws.s3.BucketReplicationConfigRuleDestinationReplicationTimeArgs(
                        status="Enabled",
                        time=aws.s3.BucketReplicationConfigRuleDestinationReplicationTimeTimeArgs(minutes=RTC_MINUTES)),
                    metrics=aws.s3.BucketReplicationConfigRuleDestinationMetricsArgs(
                        status="Enabled",
                        event_threshold=aws.s3.BucketReplicationConfigRuleDestinationMetricsEventThresholdArgs(
                            minutes=RTC_MINUTES))),
            ) for i, t in enumerate(args.targets)],
            opts=pulumi.ResourceOptions(parent=self, depends_on=waits))
        self.register_outputs({"role_arn": self.role_arn})
