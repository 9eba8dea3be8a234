"""Encryption at rest: customer-managed KMS keys everywhere data lands, in the resource's region.

Absent flags mean the AWS default, which is unencrypted for Aurora/RDS and ElastiCache, so the
checks require the explicit secure value. S3 encryption lives in a separate resource in
pulumi-aws 7 and is therefore checked at stack level.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from pulumi_policy import PolicyResource, ResourceValidationArgs, Severity

from .config import Settings
from .props import UNKNOWN, arn_region, get, is_set, items, mapping, truthy, walk
from .regions import is_regional_aws
from .residency import BUCKETS, KEYS
from .spec import Meta, resource_policy, stack_policy
from .stack import StackView

CAT = "encryption-at-rest"
SSE_TYPES = ("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
             "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2")
KMS_ALGOS = ("aws:kms", "aws:kms:dsse")


def _rds_cluster(args: ResourceValidationArgs, s: Settings) -> Iterator[str]:
    if not truthy(get(args.props, "storageEncrypted")):
        yield "storageEncrypted must be true (absent means unencrypted for provisioned Aurora)"


rds_cluster_encrypted = resource_policy(
    Meta("rds-cluster-storage-encrypted", CAT, "Aurora/RDS clusters encrypt their storage.",
         ("CKV_AWS_96",), ("RDS.27",), severity=Severity.CRITICAL),
    ["aws:rds/cluster:Cluster"], _rds_cluster)


def _cmk(prop: str, what: str):
    def check(args: ResourceValidationArgs, s: Settings) -> Iterator[str]:
        if not is_set(get(args.props, prop)):
            yield f"{what}: set `{prop}` to a customer-managed KMS key of the resource's region"
    return check


rds_cluster_cmk = resource_policy(
    Meta("rds-cluster-customer-key", CAT, "Aurora clusters use a customer-managed KMS key (kmsKeyId).",
         ("CKV_AWS_327",)),
    ["aws:rds/cluster:Cluster"], _cmk("kmsKeyId", "the cluster uses the AWS-managed key"))


def _global_cluster(args: ResourceValidationArgs, s: Settings) -> Iterator[str]:
    if is_set(get(args.props, "sourceDbClusterIdentifier")):
        return  # encryption is inherited from the source cluster, checked there
    if not truthy(get(args.props, "storageEncrypted")):
        yield "storageEncrypted must be true on the global cluster"


rds_global_encrypted = resource_policy(
    Meta("rds-global-cluster-encrypted", CAT, "Aurora Global Databases are encrypted.", ("CKV_AWS_140",),
         ("RDS.27",)),
    ["aws:rds/globalCluster:GlobalCluster"], _global_cluster)


def _rds_instance(args: ResourceValidationArgs, s: Settings) -> Iterator[str]:
    if is_set(get(args.props, "replicateSourceDb")):
        return
    if not truthy(get(args.props, "storageEncrypted")):
        yield "storageEncrypted must be true"
    elif not is_set(get(args.props, "kmsKeyId")):
        yield "set kmsKeyId to a customer-managed key"


rds_instance_encrypted = resource_policy(
    Meta("rds-instance-encrypted", CAT, "Stand-alone RDS instances encrypt storage with a customer-managed key.",
         ("CKV_AWS_16",), ("RDS.3",)),
    ["aws:rds/instance:Instance"], _rds_instance)


def _performance_insights(args: ResourceValidationArgs, s: Settings) -> Iterator[str]:
    if truthy(get(args.props, "performanceInsightsEnabled")) and not is_set(
            get(args.props, "performanceInsightsKmsKeyId")):
        yield "Performance Insights is on without performanceInsightsKmsKeyId (a customer-managed key)"


performance_insights = resource_policy(
    Meta("rds-performance-insights-encrypted", CAT,
         "Performance Insights data is encrypted with a customer-managed key.", ("CKV_AWS_354",)),
    ["aws:rds/cluster:Cluster", "aws:rds/clusterInstance:ClusterInstance", "aws:rds/instance:Instance"],
    _performance_insights)


def _elasticache_rest(args: ResourceValidationArgs, s: Settings) -> Iterator[str]:
    if is_set(get(args.props, "globalReplicationGroupId")):
        return  # Global Datastore secondaries inherit encryption from the primary
    if not truthy(get(args.props, "atRestEncryptionEnabled")):
        yield "atRestEncryptionEnabled must be true (absent means off)"
    if not is_set(get(args.props, "kmsKeyId")):
        yield "set kmsKeyId to a customer-managed key"


elasticache_at_rest = resource_policy(
    Meta("elasticache-encrypted-at-rest", CAT,
         "ElastiCache replication groups encrypt at rest with a customer-managed key.",
         ("CKV_AWS_29", "CKV_AWS_191"), ("ElastiCache.4",)),
    ["aws:elasticache/replicationGroup:ReplicationGroup"], _elasticache_rest)


def _sse_rules(props: object, log_target: bool = False) -> Iterator[str]:
    rules = items(props, "rules") or items(props, "rule")
    if not rules:
        yield "no encryption rule"
        return
    for rule in rules:
        default = get(rule, "applyServerSideEncryptionByDefault")
        algo = get(default, "sseAlgorithm")
        if algo is UNKNOWN:
            continue
        if algo == "AES256" and log_target:
            continue  # S3 server access logs and ALB logs can only be delivered to SSE-S3 buckets
        if algo not in KMS_ALGOS:
            yield f"sseAlgorithm is {algo!r}; require aws:kms with a customer-managed key"
        elif not is_set(get(default, "kmsMasterKeyId")):
            yield "sseAlgorithm aws:kms without kmsMasterKeyId uses the AWS-managed key; set a customer key"
        elif algo == "aws:kms" and not truthy(get(rule, "bucketKeyEnabled")):
            yield "bucketKeyEnabled should be true with SSE-KMS (cost and KMS request rate)"


def _sse_config(args: ResourceValidationArgs, s: Settings) -> Iterator[str]:
    yield from _sse_rules(args.props, log_target=True)


s3_sse_config = resource_policy(
    Meta("s3-encryption-config-kms", CAT,
         "An S3 bucket encryption configuration is SSE-KMS with a customer-managed key and bucket keys (SSE-S3 "
         "only for log-delivery buckets, judged by s3-bucket-sse-kms-customer-key).",
         ("CKV_AWS_145",), ("S3.17",)),
    SSE_TYPES, _sse_config)

LOGGING = ("aws:s3/bucketLogging:BucketLogging", "aws:s3/bucketLoggingV2:BucketLoggingV2")
INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"
_ALB_LOG_BUCKET = re.compile(r"access_logs\.s3\.bucket=([^,\s]+)")


def log_targets(view: StackView) -> set[str]:
    """Buckets that receive S3 server access logs or ALB access logs (these cannot use SSE-KMS)."""
    urns = {t.urn for c in view.of_type(*LOGGING) for t in view.refs(c, "targetBucket", BUCKETS)}
    names: set[str] = set()
    for ing in view.of_type(INGRESS):
        attrs = str(mapping(ing.props, "metadata.annotations").get(
            "alb.ingress.kubernetes.io/load-balancer-attributes", ""))
        names |= set(_ALB_LOG_BUCKET.findall(attrs))
    for b in view.of_type(*BUCKETS):
        if get(b.props, "bucket") in names or get(b.props, "id") in names:
            urns.add(b.urn)
    return urns


def _s3_buckets(view: StackView) -> Iterator[tuple[str, str | None]]:
    configs = view.of_type(*SSE_TYPES)
    targets = log_targets(view)
    for bucket in view.of_type(*BUCKETS):
        inline = get(bucket.props, "serverSideEncryptionConfiguration")
        mine = [c for c in configs if any(t.urn == bucket.urn for t in view.refs(c, "bucket", BUCKETS))]
        if not mine and not is_set(inline):
            yield (f"bucket {bucket.name} has no server-side encryption configuration (SSE-S3 default is not "
                   "enough: require SSE-KMS with a customer key)"), bucket.urn
            continue
        for source in ([c.props for c in mine] or [inline]):
            for problem in _sse_rules(source, log_target=bucket.urn in targets):
                yield f"bucket {bucket.name}: {problem}", bucket.urn


s3_bucket_kms = stack_policy(
    Meta("s3-bucket-sse-kms-customer-key", CAT,
         "Every S3 bucket has a server-side encryption configuration with SSE-KMS and a customer-managed key "
         "(log-delivery targets, which AWS only supports with SSE-S3, excepted).",
         ("CKV_AWS_19", "CKV_AWS_145"), ("S3.17",)),
    _s3_buckets)


def _ebs_mappings(mappings: list[object], where: str) -> Iterator[str]:
    for i, bdm in enumerate(mappings):
        ebs = get(bdm, "ebs")
        if not is_set(ebs):
            continue
        if not truthy(get(ebs, "encrypted")):
            yield f"{where}[{i}].ebs.encrypted must be true"
        elif not is_set(get(ebs, "kmsKeyId")):
            yield f"{where}[{i}].ebs has no kmsKeyId (customer-managed key)"


def _launch_template(args: ResourceValidationArgs, s: Settings) -> Iterator[str]:
    mappings = items(args.props, "blockDeviceMappings")
    if not mappings:
        yield "declare the root volume in blockDeviceMappings with encrypted=true and a kmsKeyId"
    yield from _ebs_mappings(mappings, "blockDeviceMappings")


launch_template_volumes = resource_policy(
    Meta("ec2-launch-template-volumes-encrypted", CAT,
         "Launch templates (EKS node volumes) declare encrypted EBS volumes with a customer-managed key.",
         ("CKV_AWS_8", "CKV_AWS_3"), ("EC2.3",)),
    ["aws:ec2/launchTemplate:LaunchTemplate"], _launch_template)

EC2_NODE_CLASS = "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass"


def _node_class(args: ResourceValidationArgs, s: Settings) -> Iterator[str]:
    mappings = items(args.props, "spec.blockDeviceMappings")
    if not mappings:
        yield "declare spec.blockDeviceMappings with ebs.encrypted=true and a kmsKeyID"
    for i, bdm in enumerate(mappings):
        if not truthy(get(bdm, "ebs.encrypted")):
            yield f"spec.blockDeviceMappings[{i}].ebs.encrypted must be true"


karpenter_volumes = resource_policy(
    Meta("karpenter-node-volumes-encrypted", CAT, "Karpenter EC2NodeClasses launch nodes with encrypted volumes.",
         ("CKV_AWS_8",), ("EC2.3",)),
    [EC2_NODE_CLASS], _node_class)


def _node_groups(view: StackView) -> Iterator[tuple[str, str | None]]:
    by_default = {view.region(e) for e in view.of_type("aws:ebs/encryptionByDefault:EncryptionByDefault")
                  if truthy(get(e.props, "enabled")) or get(e.props, "enabled") is None}
    templates = ("aws:ec2/launchTemplate:LaunchTemplate",)
    for ng in view.of_type("aws:eks/nodeGroup:NodeGroup"):
        lts = view.refs(ng, "launchTemplate", templates)
        if lts:
            continue  # the template itself is checked by ec2-launch-template-volumes-encrypted
        if view.region(ng) in by_default:
            continue
        yield (f"node group {ng.name} uses neither a launch template with encrypted volumes nor a region with "
               "EBS encryption by default"), ng.urn


node_group_volumes = stack_policy(
    Meta("eks-node-volumes-encrypted", CAT,
         "EKS managed node groups get encrypted volumes: through a checked launch template or EBS encryption by "
         "default in their region.", ("CKV_AWS_8",), ("EC2.3", "EC2.7")),
    _node_groups)


def _eks_secrets(args: ResourceValidationArgs, s: Settings) -> Iterator[str]:
    enc = get(args.props, "encryptionConfig")
    resources = items(enc, "resources") if is_set(enc) else []
    if "secrets" not in resources:
        yield "encryptionConfig.resources must contain 'secrets' (envelope encryption of Kubernetes secrets)"
    if not is_set(get(enc, "provider.keyArn")):
        yield "encryptionConfig.provider.keyArn must name a customer-managed key"


eks_secrets = resource_policy(
    Meta("eks-secrets-encrypted", CAT, "EKS envelope-encrypts Kubernetes secrets with a customer-managed key.",
         ("CKV_AWS_58",), ("EKS.3",)),
    ["aws:eks/cluster:Cluster"], _eks_secrets)

log_group_kms = resource_policy(
    Meta("cloudwatch-log-group-kms", CAT, "CloudWatch log groups are encrypted with a customer-managed key.",
         ("CKV_AWS_158",)),
    ["aws:cloudwatch/logGroup:LogGroup"], _cmk("kmsKeyId", "the log group is encrypted with the service key only"))


def _sqs(args: ResourceValidationArgs, s: Settings) -> Iterator[str]:
    if not is_set(get(args.props, "kmsMasterKeyId")) and not truthy(get(args.props, "sqsManagedSseEnabled")):
        yield "set kmsMasterKeyId (customer key) or sqsManagedSseEnabled=true"


sqs_encrypted = resource_policy(
    Meta("sqs-queue-encrypted", CAT, "SQS queues encrypt messages at rest.", ("CKV_AWS_27",), ("SQS.1",)),
    ["aws:sqs/queue:Queue"], _sqs)


def _secret(args: ResourceValidationArgs, s: Settings) -> Iterator[str]:
    if not is_set(get(args.props, "kmsKeyId")):
        yield "set kmsKeyId to a customer-managed key (the default aws/secretsmanager key cannot be shared or audited)"
    for rep in items(args.props, "replicas"):
        if not is_set(get(rep, "kmsKeyId")):
            yield f"replica in {get(rep, 'region')} has no kmsKeyId of its own region"


secret_cmk = resource_policy(
    Meta("secretsmanager-secret-customer-key", CAT,
         "Secrets Manager secrets and each replica use a customer-managed key.", ("CKV_AWS_149",)),
    ["aws:secretsmanager/secret:Secret"], _secret)

backup_vault_cmk = resource_policy(
    Meta("backup-vault-customer-key", CAT, "AWS Backup vaults encrypt recovery points with a customer-managed key.",
         ("CKV_AWS_166",)),
    ["aws:backup/vault:Vault"], _cmk("kmsKeyArn", "the vault uses the AWS-managed backup key"))


def _rotation(args: ResourceValidationArgs, s: Settings) -> Iterator[str]:
    spec = get(args.props, "customerMasterKeySpec")
    if isinstance(spec, str) and spec != "SYMMETRIC_DEFAULT":
        return
    if not truthy(get(args.props, "enableKeyRotation")):
        yield "enableKeyRotation must be true for symmetric keys"


kms_rotation = resource_policy(
    Meta("kms-key-rotation", CAT, "Symmetric customer-managed KMS keys rotate yearly.", ("CKV_AWS_7",), ("KMS.4",)),
    ["aws:kms/key:Key"], _rotation)

sns_encrypted = resource_policy(
    Meta("sns-topic-encrypted", CAT, "SNS topics encrypt messages at rest.", ("CKV_AWS_26",), ("SNS.1",),
         advisory_only=True),
    ["aws:sns/topic:Topic"], _cmk("kmsMasterKeyId", "the topic is unencrypted"))

_KEY_PROP = re.compile(r"(^|\.)(kmsKeyId|kmsKeyArn|kmsMasterKeyId|performanceInsightsKmsKeyId|keyArn|"
                       r"masterUserSecretKmsKeyId|kmsKeyID)$")
_SKIP = ("replicas", "destination", "replicaKmsKeyId", "copyActions")


def _key_region(view: StackView, res: PolicyResource, path: str, value: object) -> object:
    region = arn_region(value)
    if region:
        return region
    candidates = view.refs(res, path.split(".", maxsplit=1)[0], KEYS, value=value if isinstance(value, str) else None)
    if len(candidates) == 1:
        return view.region(candidates[0])
    return None


def _same_region(view: StackView) -> Iterator[tuple[str, str | None]]:
    for res in view.resources:
        if not is_regional_aws(res.resource_type) or res.resource_type in KEYS:
            continue
        region = None
        for path, value in walk(res.props):
            if not _KEY_PROP.search(path) or any(part in _SKIP for part in path.split(".")):
                continue
            if not isinstance(value, str) or not value:
                continue
            if region is None:
                region = view.region(res)
            key_region = _key_region(view, res, path, value)
            if key_region and region and key_region != region:
                yield (f"{res.name} in {region} is encrypted with a KMS key in {key_region} ({path}); use the "
                       "resource's own region's key (replicas need regional keys)"), res.urn


kms_same_region = stack_policy(
    Meta("kms-key-same-region", CAT,
         "Every KMS key a resource uses (kmsKeyId, kmsKeyArn, keyArn, ...) lies in the resource's own region."),
    _same_region)


def _ebs_volume(args: ResourceValidationArgs, s: Settings) -> Iterator[str]:
    if not truthy(get(args.props, "encrypted")):
        yield "encrypted must be true"


ebs_volume = resource_policy(
    Meta("ebs-volume-encrypted", CAT, "Stand-alone EBS volumes are encrypted.", ("CKV_AWS_3",), ("EC2.3",)),
    ["aws:ebs/volume:Volume"], _ebs_volume)


POLICIES = [rds_cluster_encrypted, rds_cluster_cmk, rds_global_encrypted, rds_instance_encrypted,
            performance_insights, elasticache_at_rest, s3_sse_config, s3_bucket_kms, launch_template_volumes,
            karpenter_volumes, node_group_volumes, eks_secrets, log_group_kms, sqs_encrypted, secret_cmk,
            backup_vault_cmk, kms_rotation, sns_encrypted, kms_same_region, ebs_volume]
