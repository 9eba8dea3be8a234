"""An S3 bucket with every secure default set explicitly (public access block, SSE-KMS with
bucket keys, TLS-only policy, versioning, ownership enforced).

ACLs off, public access blocked four ways, versioning (replication needs it on both sides, C18),
SSE-KMS with the region's storage key and a bucket key, a policy refusing plain HTTP, old TLS,
SSE-C and uploads under another key, lifecycle rules, access logging, never force-destroyed.

A bucket that receives S3 server access logs cannot use SSE-KMS (S3 log delivery only supports
SSE-S3 on the target bucket), so `kms_key_arn=None` selects SSE-S3 and admits the log delivery
service instead of enforcing a key on uploads.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from components.bucket_replication import BucketReplication, BucketReplicationArgs, ReplicaTarget


@dataclass(frozen=True)
class ReplicationSpec:
    """Replicate this bucket to `targets` (replica buckets of the same data domain)."""

    role_name: str
    targets: Sequence[ReplicaTarget]
    replicate_delete_markers: bool = False


@dataclass(frozen=True)
class LogLifecycle:
    """Objects under `prefix`: `transition_days` hot, then Glacier, deleted at `expiration_days`."""

    prefix: str
    transition_days: int
    expiration_days: int


@dataclass
class SecureBucketArgs:
    bucket_name: pulumi.Input[str]
    region: str
    kms_key_arn: pulumi.Input[str] | None
    """The region's storage key; None only for a server-access-log target (SSE-S3, see module doc)."""
    log_bucket: pulumi.Input[str] | None = None
    """Where this bucket's access logs go (None: this bucket is itself the log target)."""
    log_prefix: str = ""
    noncurrent_version_expiration_days: int = 90
    abort_incomplete_upload_days: int = 7
    log_lifecycles: Sequence[LogLifecycle] = ()
    account_id: pulumi.Input[str] | None = None
    """Needed for a log target: only this account's buckets may deliver logs into it."""
    alb_log_prefix: str | None = None
    """Log target only: also accept ALB access logs under this prefix (ALB logs need SSE-S3 too)."""
    replication: ReplicationSpec | None = None
    protected: bool = False
    tags: Mapping[str, str] = field(default_factory=dict)


ELB_ACCOUNTS: dict[str, str] = {
    "us-east-1": "127311923021", "us-east-2": "033677994240", "us-west-1": "027434742980",
    "us-west-2": "797873946194", "af-south-1": "098369216593", "ap-east-1": "754344448648",
    "ap-south-1": "718504428378", "ap-northeast-1": "582318560864", "ap-northeast-2": "600734575887",
    "ap-northeast-3": "383597477331", "ap-southeast-1": "114774131450", "ap-southeast-2": "783225319266",
    "ap-southeast-3": "589379963580", "ca-central-1": "985666609251", "eu-central-1": "054676820928",
    "eu-west-1": "156460612806", "eu-west-2": "652711504416", "eu-west-3": "009996457667",
    "eu-south-1": "635631232127", "eu-north-1": "897822967062", "me-south-1": "076674570225",
    "sa-east-1": "507241528517",
}
"""Elastic Load Balancing's log-writing account in regions opened before August 2022; newer regions
use the `logdelivery.elasticloadbalancing.amazonaws.com` service principal instead."""


def elb_log_principal(region: str) -> dict[str, str]:
    account = ELB_ACCOUNTS.get(region)
    if account is not None:
        return {"AWS": f"arn:aws:iam::{account}:root"}
    return {"Service": "logdelivery.elasticloadbalancing.amazonaws.com"}


def bucket_policy(bucket_arn: str, kms_key_arn: str | None, account_id: str | None,
                  region: str | None = None, alb_log_prefix: str | None = None) -> dict[str, Any]:
    """Deny non-TLS and TLS < 1.2 always; deny SSE-C and wrong-key uploads on KMS buckets.

    A log target (no KMS key) admits S3 server access logs from this account and, with
    `alb_log_prefix`, ALB access logs of this account under `<prefix>/AWSLogs/<account>/`.
    """
    objects = f"{bucket_arn}/*"
    statements: list[dict[str, Any]] = [
        {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
         "Resource": [bucket_arn, objects], "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
        {"Sid": "DenyOutdatedTls", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
         "Resource": [bucket_arn, objects], "Condition": {"NumericLessThan": {"s3:TlsVersion": "1.2"}}},
        {"Sid": "DenySseC", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": objects,
         "Condition": {"Null": {"s3:x-amz-server-side-encryption-customer-algorithm": "false"}}},
    ]
    if kms_key_arn is not None:
        statements += [
            {"Sid": "DenyWrongEncryptionHeader", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
             "Resource": objects,
             "Condition": {"StringNotEqualsIfExists": {"s3:x-amz-server-side-encryption": "aws:kms"}}},
            {"Sid": "DenyWrongKmsKey", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
             "Resource": objects,
             "Condition": {"StringNotEqualsIfExists": {
                 "s3:x-amz-server-side-encryption-aws-kms-key-id": kms_key_arn}}},
        ]
    elif account_id is not None:
        statements.append(
            {"Sid": "AllowServerAccessLogDelivery", "Effect": "Allow",
             "Principal": {"Service": "logging.s3.amazonaws.com"}, "Action": "s3:PutObject", "Resource": objects,
             "Condition": {"StringEquals": {"aws:SourceAccount": account_id}}})
        if alb_log_prefix is not None and region is not None:
            statements.append(
                {"Sid": "AllowAlbAccessLogDelivery", "Effect": "Allow", "Principal": elb_log_principal(region),
                 "Action": "s3:PutObject", "Resource": f"{bucket_arn}/{alb_log_prefix}/AWSLogs/{account_id}/*"})
    return {"Version": "2012-10-17", "Statement": statements}


class SecureBucket(pulumi.ComponentResource):
    """`versioning` is exposed so replication can wait for it on both sides (C18)."""

    bucket: aws.s3.Bucket
    name: pulumi.Output[str]
    arn: pulumi.Output[str]
    versioning: aws.s3.BucketVersioning
    encryption: aws.s3.BucketServerSideEncryptionConfiguration

    replication: BucketReplication | None

    def __init__(self, name: str, args: SecureBucketArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("agentic:storage:SecureBucket", name, {"region": args.region}, opts)
        child = pulumi.ResourceOptions(parent=self)
        region = args.region
        self.bucket = aws.s3.Bucket(
            f"{name}-bucket", region=region, bucket=args.bucket_name, force_destroy=False,
            object_lock_enabled=False, tags=dict(args.tags),
            opts=pulumi.ResourceOptions(parent=self, protect=args.protected, retain_on_delete=args.protected))
        b = self.bucket.id
        self.name = self.bucket.bucket
        self.arn = self.bucket.arn
        ownership = aws.s3.BucketOwnershipControls(
            f"{name}-ownership", region=region, bucket=b,
            rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"), opts=child)
        public = aws.s3.BucketPublicAccessBlock(
            f"{name}-public-access", region=region, bucket=b, block_public_acls=True, block_public_policy=True,
            ignore_public_acls=True, restrict_public_buckets=True, opts=child)
        self.versioning = aws.s3.BucketVersioning(
            f"{name}-versioning", region=region, bucket=b,
            versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(status="Enabled"),
            opts=child)
        default = (aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
            sse_algorithm="aws:kms", kms_master_key_id=args.kms_key_arn) if args.kms_key_arn is not None else
            aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                sse_algorithm="AES256"))
        self.encryption = aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption", region=region, bucket=b,
            rules=[aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                apply_server_side_encryption_by_default=default,
                bucket_key_enabled=args.kms_key_arn is not None,
                blocked_encryption_types=["SSE-C"])],
            opts=child)
        policy = pulumi.Output.all(self.bucket.arn, args.kms_key_arn, args.account_id).apply(
            lambda v: pulumi.Output.json_dumps(bucket_policy(v[0], v[1], v[2], region, args.alb_log_prefix)))
        aws.s3.BucketPolicy(f"{name}-policy", region=region, bucket=b, policy=policy,
                            opts=pulumi.ResourceOptions(parent=self, depends_on=[public, ownership]))
        rules = [
            aws.s3.BucketLifecycleConfigurationRuleArgs(
                id="abort-incomplete-uploads", status="Enabled",
                filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
                abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                    days_after_initiation=args.abort_incomplete_upload_days)),
            aws.s3.BucketLifecycleConfigurationRuleArgs(
                id="expire-noncurrent-versions", status="Enabled",
                filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
                noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                    noncurrent_days=args.noncurrent_version_expiration_days),
                expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(expired_object_delete_marker=True)),
        ]
        for i, lc in enumerate(args.log_lifecycles):
            rules.append(aws.s3.BucketLifecycleConfigurationRuleArgs(
                id=f"logs-{i}-glacier-then-expire", status="Enabled",
                filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=lc.prefix),
                transitions=[aws.s3.BucketLifecycleConfigurationRuleTransitionArgs(
                    days=lc.transition_days, storage_class="GLACIER")],
                expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(days=lc.expiration_days)))
        self.replication = None
        lifecycle_after: list[pulumi.Resource] = [self.versioning]
        if args.replication is not None:
            if args.kms_key_arn is None:
                raise ValueError("SecureBucketArgs.replication: only SSE-KMS buckets are replicated here")
            self.replication = BucketReplication(f"{name}-replication", BucketReplicationArgs(
                role_name=args.replication.role_name, source_bucket=b, source_bucket_arn=self.bucket.arn,
                source_region=region, source_kms_key_arn=args.kms_key_arn, targets=args.replication.targets,
                replicate_delete_markers=args.replication.replicate_delete_markers,
                depends_on=[self.versioning, self.encryption], tags=args.tags,
            ), opts=child)
            lifecycle_after.append(self.replication.config)
        # After versioning and, on a replication source, after the replication config (C18).
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle", region=region, bucket=b, rules=rules,
            opts=pulumi.ResourceOptions(parent=self, depends_on=lifecycle_after))
        if args.log_bucket is not None:
            aws.s3.BucketLogging(
                f"{name}-logging", region=region, bucket=b, target_bucket=args.log_bucket,
                target_prefix=args.log_prefix, opts=child)
        self.register_outputs({"name": self.name, "arn": self.arn})
