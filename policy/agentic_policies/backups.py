"""Backups, availability and deletion protection of the stateful resources.

Mandatory in staging and prod, advisory in dev (its stack file says so): a sandbox may run a
single instance without snapshots, production may not.
"""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import PolicyResource, ResourceValidationArgs

from .config import Settings
from .props import UNKNOWN, get, is_set, items, mapping, number, truthy
from .residency import BUCKETS
from .spec import Meta, resource_policy, stack_policy
from .stack import StackView

BACKUPS = "backups"
DELETION = "deletion-protection"
CLUSTER = "aws:rds/cluster:Cluster"


def _cluster_deletion(args: ResourceValidationArgs, s: Settings) -> Iterator[str]:
    if not truthy(get(args.props, "deletionProtection")):
        yield "deletionProtection must be true"
    if truthy(get(args.props, "skipFinalSnapshot")):
        yield "skipFinalSnapshot must not be true (a final snapshot is the last line of defence)"
    elif not is_set(get(args.props, "finalSnapshotIdentifier")) and is_set(get(args.props, "masterUsername")):
        yield "set finalSnapshotIdentifier (without it a delete fails or loses the final snapshot)"


rds_deletion = resource_policy(
    Meta("rds-cluster-deletion-protection", DELETION,
         "Aurora clusters have deletion protection and keep a final snapshot.", ("CKV_AWS_139",), ("RDS.7",)),
    [CLUSTER, "aws:rds/instance:Instance"], _cluster_deletion)


def _global_deletion(args: ResourceValidationArgs, s: Settings) -> Iterator[str]:
    if not truthy(get(args.props, "deletionProtection")):
        yield "deletionProtection must be true on the global cluster"


global_deletion = resource_policy(
    Meta("rds-global-cluster-deletion-protection", DELETION, "Aurora Global Databases have deletion protection.",
         (), ("RDS.7",)),
    ["aws:rds/globalCluster:GlobalCluster"], _global_deletion)


def _retention(args: ResourceValidationArgs, s: Settings) -> Iterator[str]:
    days = number(get(args.props, "backupRetentionPeriod"))
    if get(args.props, "backupRetentionPeriod") is UNKNOWN:
        return
    if days is None or days < s.min_backup_retention_days:
        yield (f"backupRetentionPeriod is {int(days) if days is not None else 'absent (1 day)'}; this stack "
               f"requires at least {s.min_backup_retention_days}")


rds_retention = resource_policy(
    Meta("rds-backup-retention", BACKUPS,
         "Aurora/RDS automated backups are kept at least minBackupRetentionDays.", ("CKV_AWS_133",), ("RDS.11",)),
    [CLUSTER, "aws:rds/instance:Instance"], _retention)


def _is_secondary(cluster: object) -> bool:
    return is_set(get(cluster, "globalClusterIdentifier")) and not is_set(get(cluster, "masterUsername"))


def _headless_secondary_ok(view: StackView, cluster: PolicyResource, instances: list[PolicyResource]) -> bool:
    """A cluster may run without instances only as a *secondary member of a global cluster*: it has
    no credentials, replicates from another region (`sourceRegion`), joins a global cluster of this
    stack, and that global cluster has a primary with at least `minDbInstances` instances. Storage
    replication then keeps its copy current (RPO ~1 s) and an instance is added at failover."""
    if not _is_secondary(cluster.props) or not is_set(get(cluster.props, "sourceRegion")):
        return False
    globals_ = view.refs(cluster, "globalClusterIdentifier", ["aws:rds/globalCluster:GlobalCluster"])
    if not globals_:
        return False
    clusters = view.of_type(CLUSTER)
    for gc in globals_:
        primaries = [c for c in view.refs(gc, "sourceDbClusterIdentifier", [CLUSTER])]
        primaries += [c for c in clusters if not _is_secondary(c.props)
                      and any(t.urn == gc.urn for t in view.refs(c, "globalClusterIdentifier"))]
        for primary in primaries:
            mine = [i for i in instances if any(t.urn == primary.urn for t in view.refs(i, "clusterIdentifier"))]
            if len(mine) >= view.settings.min_db_instances:
                return True
    return False


def _multi_az(view: StackView) -> Iterator[tuple[str, str | None]]:
    instances = view.of_type("aws:rds/clusterInstance:ClusterInstance")
    for cluster in view.of_type(CLUSTER):
        mine = [i for i in instances if any(t.urn == cluster.urn for t in view.refs(i, "clusterIdentifier"))]
        if not mine and _headless_secondary_ok(view, cluster, instances):
            continue
        need = 1 if _is_secondary(cluster.props) else view.settings.min_db_instances
        if len(mine) < need:
            yield (f"cluster {cluster.name} has {len(mine)} instance(s); this stack requires {need} "
                   "(a writer and a reader in another AZ; only a secondary of a global cluster whose primary "
                   "has them may be headless)"), cluster.urn


rds_multi_az = stack_policy(
    Meta("rds-cluster-multi-az", BACKUPS,
         "Aurora primary clusters have at least minDbInstances instances (writer + reader across AZs); global "
         "secondaries at least one, or none (headless) when their global cluster's primary has minDbInstances.",
         ("CKV_AWS_157",), ("RDS.15",)),
    _multi_az)


def _cache_resilience(args: ResourceValidationArgs, s: Settings) -> Iterator[str]:
    if is_set(get(args.props, "globalReplicationGroupId")):
        return
    days = number(get(args.props, "snapshotRetentionLimit"))
    if days is None or days < 1:
        yield "snapshotRetentionLimit must be at least 1 (daily snapshots)"
    if not truthy(get(args.props, "automaticFailoverEnabled")):
        yield "automaticFailoverEnabled must be true"
    if not truthy(get(args.props, "multiAzEnabled")):
        yield "multiAzEnabled must be true"


cache_resilience = resource_policy(
    Meta("elasticache-snapshots-and-failover", BACKUPS,
         "ElastiCache keeps daily snapshots and fails over automatically across AZs.",
         ("CKV_AWS_134",), ("ElastiCache.1", "ElastiCache.3")),
    ["aws:elasticache/replicationGroup:ReplicationGroup"], _cache_resilience)


VERSIONING = ("aws:s3/bucketVersioning:BucketVersioning", "aws:s3/bucketVersioningV2:BucketVersioningV2")


def _versioning(view: StackView) -> Iterator[tuple[str, str | None]]:
    configs = view.of_type(*VERSIONING)
    for bucket in view.of_type(*BUCKETS):
        mine = [c for c in configs if any(t.urn == bucket.urn for t in view.refs(c, "bucket", BUCKETS))]
        inline = get(bucket.props, "versioning.enabled")
        ok = any(get(c.props, "versioningConfiguration.status") == "Enabled" for c in mine) or truthy(inline)
        if not ok:
            yield f"bucket {bucket.name} does not enable versioning (needed for recovery and replication)", bucket.urn


s3_versioning = stack_policy(
    Meta("s3-versioning-enabled", BACKUPS, "Every S3 bucket has versioning enabled.", ("CKV_AWS_21",), ("S3.14",)),
    _versioning)


def _kms_deletion(args: ResourceValidationArgs, s: Settings) -> Iterator[str]:
    if get(args.props, "isEnabled") is False:
        yield "the key is disabled"
    days = number(get(args.props, "deletionWindowInDays"))
    if days is not None and days < s.min_kms_deletion_window_days:
        yield f"deletionWindowInDays {int(days)} < {s.min_kms_deletion_window_days}"


kms_deletion = resource_policy(
    Meta("kms-key-deletion-window", DELETION,
         "KMS keys stay enabled and have a deletion window of at least minKmsDeletionWindowDays.",
         ("CKV_AWS_227",), ("KMS.3",)),
    ["aws:kms/key:Key", "aws:kms/replicaKey:ReplicaKey"], _kms_deletion)

STATEFUL = {
    CLUSTER: "deletionProtection", "aws:rds/globalCluster:GlobalCluster": "deletionProtection",
    "aws:rds/instance:Instance": "deletionProtection",
    "aws:elasticache/replicationGroup:ReplicationGroup": None, "aws:s3/bucket:Bucket": None,
    "aws:s3/bucketV2:BucketV2": None, "aws:kms/key:Key": None, "aws:kms/replicaKey:ReplicaKey": None,
    "aws:backup/vault:Vault": None,
}


def _protected(args: ResourceValidationArgs, s: Settings) -> Iterator[str]:
    if args.opts.protect:
        return
    flag = STATEFUL.get(args.resource_type)
    if flag and truthy(get(args.props, flag)):
        return
    yield ("stateful resource without Pulumi `protect` (retain_on_delete is invisible to policies); a stray "
           "`pulumi destroy` or rename would delete data")


stateful_protected = resource_policy(
    Meta("stateful-resources-protected", DELETION,
         "Databases, global clusters, caches, buckets, KMS keys and backup vaults carry Pulumi `protect` (or the "
         "service's own deletion protection)."),
    list(STATEFUL), _protected)


def _lb_deletion(args: ResourceValidationArgs, s: Settings) -> Iterator[str]:
    if not truthy(get(args.props, "enableDeletionProtection")):
        yield "enableDeletionProtection must be true"


lb_deletion = resource_policy(
    Meta("lb-deletion-protection", DELETION, "Load balancers have deletion protection.", ("CKV_AWS_150",),
         ("ELB.6",)),
    ["aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer"], _lb_deletion)


def _ingress_deletion(args: ResourceValidationArgs, s: Settings) -> Iterator[str]:
    ann = mapping(args.props, "metadata.annotations")
    if ann.get("alb.ingress.kubernetes.io/scheme") is None and get(args.props, "spec.ingressClassName") != "alb":
        return
    attrs = str(ann.get("alb.ingress.kubernetes.io/load-balancer-attributes", ""))
    if "deletion_protection.enabled=true" not in attrs.replace(" ", ""):
        yield "the ALB has no deletion_protection.enabled=true in load-balancer-attributes"


ingress_deletion = resource_policy(
    Meta("ingress-alb-deletion-protection", DELETION,
         "ALBs created from Ingresses have deletion protection (load-balancer-attributes).", ("CKV_AWS_150",),
         ("ELB.6",), advisory_only=True),
    ["kubernetes:networking.k8s.io/v1:Ingress"], _ingress_deletion)


def _backup_plan(args: ResourceValidationArgs, s: Settings) -> Iterator[str]:
    rules = items(args.props, "rules")
    if not rules:
        yield "a backup plan without rules"
    for i, rule in enumerate(rules):
        days = number(get(rule, "lifecycle.deleteAfter"))
        if days is not None and days < s.min_backup_retention_days:
            yield f"rules[{i}] keeps recovery points {int(days)} days < {s.min_backup_retention_days}"
        for j, action in enumerate(items(rule, "copyActions")):
            copy_days = number(get(action, "lifecycle.deleteAfter"))
            if copy_days is not None and copy_days < s.min_backup_retention_days:
                yield f"rules[{i}].copyActions[{j}] keeps copies {int(copy_days)} days"


backup_plan = resource_policy(
    Meta("backup-plan-retention", BACKUPS,
         "AWS Backup plans keep recovery points and copies at least minBackupRetentionDays."),
    ["aws:backup/plan:Plan"], _backup_plan)

POLICIES = [rds_deletion, global_deletion, rds_retention, rds_multi_az, cache_resilience, s3_versioning,
            kms_deletion, stateful_protected, lb_deletion, ingress_deletion, backup_plan]
