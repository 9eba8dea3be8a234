"""`tenant-migrate`: move one tenant's data to another region of its data domain.

Follows the guide's data-migration steps (snapshot, restore in the target region, verify, then
switch the tenant's routing through config). A tenant's own cluster (enterprise tier) travels as a
snapshot copied with the target region's KMS key (a key never leaves its region); its bucket prefix
is copied object by object. Shared rows already live in every region of the domain through
Aurora Global, so they need no copy. Nothing at the source is deleted: the operator retires it
through Pulumi once the tenant runs in the new region.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ops.context import Deps
from ops.errors import BadInput, MissingOutput, OperationFailed
from ops.outputs import BucketStore, DataDomain, StackOutputs, Tenant
from ops.report import Plan, Timings
from ops.restore_drill import wait_available


def short_region(region: str) -> str:
    """`eu-west-1` -> `euw1` (same rule as stacks.config.regions.short_region)."""
    parts = region.split("-")
    return parts[0] + "".join(p[0] for p in parts[1:-1]) + parts[-1]


def target_identifier(source: str, source_region: str, to: str) -> str:
    """The source name with its region swapped, so the new cluster reads like the program's own names."""
    for old, new in ((source_region, to), (short_region(source_region), short_region(to))):
        if old in source:
            return source.replace(old, new)
    return f"{source}-{short_region(to)}"[:63].rstrip("-")


def current_region(tenant: Tenant) -> str:
    s = tenant.stores
    if s.database:
        return s.database.region
    if s.bucket:
        return s.bucket.region
    if tenant.workload_regions:
        return tenant.workload_regions[0]
    raise MissingOutput(f"stack outputs: `tenants.{tenant.id}.stores` names no store with a region")


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size: int


def list_prefix(deps: Deps, region: str, bucket: str, prefix: str) -> Iterator[ObjectInfo]:
    s3 = deps.clients("s3", region)
    for page in s3.pages("list_objects_v2", Bucket=bucket, Prefix=prefix):
        for obj in page.get("Contents", []):
            yield ObjectInfo(str(obj["Key"]), int(obj.get("Size", 0)))


def run(outputs: StackOutputs, deps: Deps, *, tenant_id: str, to: str, target_cluster: str | None,
        apply: bool) -> int:
    tenant = outputs.tenant(tenant_id)
    domain = outputs.domain(tenant.domain)
    if to not in domain.regions:
        raise BadInput(f"refusing to move tenant {tenant.id} to {to}: outside its residency {tenant.data_residency}"
                       f" ({domain.describe()})")
    source_region = current_region(tenant)
    if to == source_region:
        raise BadInput(f"tenant {tenant.id} already lives in {to}")
    stamp = deps.now().strftime("%Y%m%d%H%M")
    plan = Plan(f"migrate tenant {tenant.id} ({tenant.tier}, residency {tenant.data_residency}):"
                f" {source_region} -> {to} inside {domain.describe()}")
    db_move = _plan_database(outputs, deps, tenant, domain, to=to, target_cluster=target_cluster,
                             stamp=stamp, plan=plan)
    bucket_move = _plan_bucket(deps, tenant, domain, to, plan)
    plan.add("verify the copies (cluster encrypted with the target key and available; every object present)")
    plan.note(f"nothing in {source_region} is deleted; retire it through Pulumi after the cutover")
    plan.print(deps.out, apply)
    deps.say(config_change(outputs, tenant, source_region, to))
    if not apply:
        return 0
    timings = Timings(clock=deps.clock)
    problems: list[str] = []
    if db_move:
        problems += _move_database(deps, timings, **db_move)
    if bucket_move:
        problems += _move_bucket(deps, timings, **bucket_move)
    deps.say(timings.render())
    if problems:
        raise OperationFailed(f"tenant {tenant.id} copy verification failed: {'; '.join(problems)}")
    deps.say(f"tenant {tenant.id}: data copied to {to} and verified in {timings.total:.0f} s;"
             " apply the config change above and run `pulumi up`")
    return 0


def config_change(outputs: StackOutputs, tenant: Tenant, source: str, to: str) -> str:
    return (f"config change: Pulumi.{outputs.environment}.yaml agentic-platform:tenants (id: {tenant.id})\n"
            f"  primary_region: {source} -> {to}")


def _plan_database(outputs: StackOutputs, deps: Deps, tenant: Tenant, domain: DataDomain, *, to: str,
                   target_cluster: str | None, stamp: str, plan: Plan) -> dict[str, Any] | None:
    db = tenant.stores.database
    if tenant.tier != "enterprise":
        plan.note(f"database: {tenant.tier} tier rows live in the domain's Aurora Global cluster, already"
                  f" replicated to {to}; no copy")
        return None
    if db is None:
        raise MissingOutput(f"stack outputs: missing key `tenants.{tenant.id}.stores.database` (enterprise tier)")
    if db.region == to:
        plan.note(f"database: {db.cluster_identifier} is already in {to}")
        return None
    key = outputs.kms_key(domain, to, "rds")
    neighbour = domain.clusters.get(to)
    if not neighbour:
        raise MissingOutput(f"stack outputs: missing key `data_domains.{domain.name}.clusters.{to}`"
                            " (its subnet group and security groups place the restored cluster)")
    src = deps.clients("rds", db.region).describe_db_clusters(DBClusterIdentifier=db.cluster_identifier)["DBClusters"]
    if not src:
        raise OperationFailed(f"cluster {db.cluster_identifier} not found in {db.region}")
    near = deps.clients("rds", to).describe_db_clusters(DBClusterIdentifier=neighbour)["DBClusters"]
    network: dict[str, Any] = {}
    if near and near[0].get("DBSubnetGroup"):
        network["DBSubnetGroupName"] = near[0]["DBSubnetGroup"]
    sgs = [g["VpcSecurityGroupId"] for g in (near[0].get("VpcSecurityGroups", []) if near else [])]
    if sgs:
        network["VpcSecurityGroupIds"] = sgs
    snapshot = f"migrate-{tenant.id}-{stamp}"
    new_id = target_cluster or target_identifier(db.cluster_identifier, db.region, to)
    instance_class = _writer_class(deps, db.region, src[0])
    plan.add(f"snapshot {db.cluster_identifier} in {db.region} as {snapshot}")
    plan.add(f"copy snapshot {snapshot} to {to}, re-encrypted with {key}")
    plan.add(f"restore cluster {new_id} in {to} (network of {neighbour}), deletion protection on")
    plan.add(f"create writer instance {new_id}-1 ({instance_class})")
    return {"source": src[0], "source_region": db.region, "to": to, "snapshot": snapshot, "key": key,
            "new_id": new_id, "network": network, "instance_class": instance_class, "tenant": tenant.id}


def _writer_class(deps: Deps, region: str, cluster: dict[str, Any]) -> str:
    for member in cluster.get("DBClusterMembers", []):
        if member.get("IsClusterWriter"):
            found = deps.clients("rds", region).describe_db_instances(
                DBInstanceIdentifier=member["DBInstanceIdentifier"])["DBInstances"]
            if found:
                return str(found[0]["DBInstanceClass"])
    return "db.r7g.large"


def _plan_bucket(deps: Deps, tenant: Tenant, domain: DataDomain, to: str, plan: Plan) -> dict[str, Any] | None:
    src = tenant.stores.bucket
    if src is None:
        plan.note("objects: the tenant has no bucket store")
        return None
    if src.region == to:
        plan.note(f"objects: {src.name}/{src.prefix} is already in {to}")
        return None
    dest = domain.buckets.get(to)
    if not dest:
        raise MissingOutput(f"stack outputs: missing key `data_domains.{domain.name}.buckets.{to}`")
    objects = list(list_prefix(deps, src.region, src.name, src.prefix))
    size = sum(o.size for o in objects)
    plan.add(f"copy {len(objects)} objects ({size / 1e6:.1f} MB) s3://{src.name}/{src.prefix} ({src.region})"
             f" -> s3://{dest}/{src.prefix} ({to}), SSE-KMS with the {to} key; objects already there are skipped")
    return {"src": src, "dest": dest, "to": to, "objects": objects,
            "key": _s3_key(domain, to)}


def _s3_key(domain: DataDomain, to: str) -> str | None:
    keys = domain.kms_keys.get(to, {})
    for purpose in ("s3", "storage", "bucket", "buckets", "data"):
        if purpose in keys:
            return keys[purpose]
    return None


def _move_database(deps: Deps, timings: Timings, *, source: dict[str, Any], source_region: str, to: str,
                   snapshot: str, key: str, new_id: str, network: dict[str, Any], instance_class: str,
                   tenant: str) -> list[str]:
    src_rds, dst_rds = deps.clients("rds", source_region), deps.clients("rds", to)
    tags = [{"Key": "ops:purpose", "Value": "tenant-migrate"}, {"Key": "tenant", "Value": tenant}]
    with timings.step("snapshot source"):
        created = src_rds.create_db_cluster_snapshot(DBClusterSnapshotIdentifier=snapshot,
                                                     DBClusterIdentifier=source["DBClusterIdentifier"], Tags=tags)
        arn = created["DBClusterSnapshot"].get("DBClusterSnapshotArn") or snapshot
        deps.wait_for(f"snapshot {snapshot} in {source_region}",
                      lambda: _snapshot_status(deps, source_region, snapshot) == "available")
    with timings.step(f"copy snapshot to {to}"):
        dst_rds.copy_db_cluster_snapshot(SourceDBClusterSnapshotIdentifier=arn,
                                         TargetDBClusterSnapshotIdentifier=snapshot, KmsKeyId=key,
                                         SourceRegion=source_region, CopyTags=True)
        deps.wait_for(f"snapshot copy {snapshot} in {to}",
                      lambda: _snapshot_status(deps, to, snapshot) == "available")
    with timings.step(f"restore in {to}"):
        dst_rds.restore_db_cluster_from_snapshot(
            DBClusterIdentifier=new_id, SnapshotIdentifier=snapshot, Engine=source["Engine"],
            EngineVersion=source.get("EngineVersion"), KmsKeyId=key, DeletionProtection=True, Tags=tags, **network)
        wait_available(deps, to, "cluster", new_id)
        dst_rds.create_db_instance(DBInstanceIdentifier=f"{new_id}-1", DBClusterIdentifier=new_id,
                                   Engine=source["Engine"], DBInstanceClass=instance_class, Tags=tags)
        wait_available(deps, to, "instance", f"{new_id}-1")
    restored = dst_rds.describe_db_clusters(DBClusterIdentifier=new_id)["DBClusters"][0]
    problems = []
    if not restored.get("StorageEncrypted"):
        problems.append(f"{new_id} is not encrypted")
    if not same_key(restored.get("KmsKeyId"), key):
        problems.append(f"{new_id} uses key {restored.get('KmsKeyId')}, expected {key}")
    deps.say(f"database: {new_id} restored in {to} at {restored.get('Endpoint')}")
    return problems


def same_key(actual: str | None, expected: str) -> bool:
    """RDS may report a key by ARN or by id; both end with the key id."""
    return bool(actual) and str(actual).rsplit("/", 1)[-1] == expected.rsplit("/", 1)[-1]


def _snapshot_status(deps: Deps, region: str, snapshot: str) -> str:
    found = deps.clients("rds", region).describe_db_cluster_snapshots(
        DBClusterSnapshotIdentifier=snapshot)["DBClusterSnapshots"]
    return str(found[0].get("Status")) if found else "missing"


def _move_bucket(deps: Deps, timings: Timings, *, src: BucketStore, dest: str, to: str,
                 objects: list[ObjectInfo], key: str | None) -> list[str]:
    dst_s3 = deps.clients("s3", to)
    source_client = deps.clients("s3", src.region).client
    extra: dict[str, Any] = {"ServerSideEncryption": "aws:kms"}
    if key:
        extra["SSEKMSKeyId"] = key
    with timings.step(f"copy objects to {to}"):
        present = {o.key: o.size for o in list_prefix(deps, to, dest, src.prefix)}
        copied = 0
        for obj in objects:
            if present.get(obj.key) == obj.size:
                continue
            dst_s3.copy(CopySource={"Bucket": src.name, "Key": obj.key}, Bucket=dest, Key=obj.key,
                        ExtraArgs=extra, SourceClient=source_client)
            copied += 1
    after = {o.key: o.size for o in list_prefix(deps, to, dest, src.prefix)}
    missing = [o.key for o in objects if after.get(o.key) != o.size]
    deps.say(f"objects: copied {copied}, skipped {len(objects) - copied} already present,"
             f" {len(objects) - len(missing)}/{len(objects)} verified in s3://{dest}/{src.prefix}")
    return [f"{len(missing)} objects missing or different in {dest} (first: {missing[0]})"] if missing else []
