"""`restore-drill`: the guide's monthly restore test, as a command that cleans up after itself.

Restores the newest snapshot (or a point in time) of a domain's cluster into a throwaway
`drill-*` cluster encrypted with that region's key, runs a check hook against it, reports the
time taken against the 1 h RTO, and then deletes only what it created: the delete path refuses
any identifier that does not start with `drill-`, so a typo can never reach a real cluster.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from ops.context import Deps
from ops.errors import AwsFailure, BadInput, MissingOutput, OperationFailed, OpsError
from ops.outputs import StackOutputs
from ops.report import Plan, Timings

DRILL_PREFIX = "drill-"
RTO_SECONDS = 3600
DEFAULT_INSTANCE_CLASS = "db.r7g.large"
BAD_STATES = frozenset({"failed", "incompatible-restore", "incompatible-parameters",
                        "inaccessible-encryption-credentials"})


def drill_name(source: str, now: datetime) -> str:
    """`drill-<source>-<UTC minute>`, a valid RDS identifier (<= 60 chars, letters/digits/single hyphens)."""
    stamp = now.astimezone(UTC).strftime("%Y%m%d%H%M")
    slug = re.sub(r"[^a-z0-9-]", "-", source.lower())
    slug = re.sub(r"-+", "-", slug).strip("-")[: 60 - len(DRILL_PREFIX) - len(stamp) - 1].rstrip("-")
    return f"{DRILL_PREFIX}{slug}-{stamp}" if slug else f"{DRILL_PREFIX}{stamp}"


def guard(identifier: str) -> str:
    """The only gate in front of every delete this command issues."""
    if not identifier.startswith(DRILL_PREFIX):
        raise OperationFailed(f"refusing to delete {identifier}: restore-drill only deletes {DRILL_PREFIX}* resources")
    return identifier


def parse_point_in_time(value: str) -> datetime:
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise BadInput(f"--point-in-time {value!r} is not an ISO 8601 time (e.g. 2026-11-26T18:30:00Z)") from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def latest_snapshot(deps: Deps, region: str, cluster: str) -> dict[str, Any]:
    rds = deps.clients("rds", region)
    snaps = [s for page in rds.pages("describe_db_cluster_snapshots", DBClusterIdentifier=cluster)
             for s in page.get("DBClusterSnapshots", []) if s.get("Status") == "available"]
    if not snaps:
        raise OperationFailed(f"no available snapshot of cluster {cluster} in {region}")
    return max(snaps, key=lambda s: s["SnapshotCreateTime"])


def _instance_class(deps: Deps, region: str, cluster: dict[str, Any]) -> str:
    rds = deps.clients("rds", region)
    for member in cluster.get("DBClusterMembers", []):
        try:
            found = rds.describe_db_instances(DBInstanceIdentifier=member["DBInstanceIdentifier"])["DBInstances"]
        except AwsFailure:
            continue
        if found and found[0].get("DBInstanceClass"):
            return str(found[0]["DBInstanceClass"])
    return DEFAULT_INSTANCE_CLASS


def _status(deps: Deps, region: str, kind: str, identifier: str) -> str:
    rds = deps.clients("rds", region)
    if kind == "cluster":
        return str(rds.describe_db_clusters(DBClusterIdentifier=identifier)["DBClusters"][0].get("Status"))
    return str(rds.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"][0].get("DBInstanceStatus"))


def wait_available(deps: Deps, region: str, kind: str, identifier: str) -> None:
    def probe() -> bool:
        status = _status(deps, region, kind, identifier)
        if status in BAD_STATES:
            raise OperationFailed(f"{kind} {identifier} in {region} is {status}")
        return status == "available"

    deps.wait_for(f"{kind} {identifier} in {region} to be available", probe)


def run(outputs: StackOutputs, deps: Deps, *, domain_name: str, region: str | None, point_in_time: str | None,
        check_hook: str | None, instance_class: str | None, apply: bool) -> int:
    domain = outputs.domain(domain_name)
    region = region or domain.primary
    if region not in domain.regions:
        raise BadInput(f"refusing to restore into {region}: it is outside {domain.describe()}")
    source = domain.clusters.get(region)
    if not source:
        raise MissingOutput(f"stack outputs: missing key `data_domains.{domain.name}.clusters.{region}`")
    key = outputs.kms_key(domain, region, "rds")
    when = parse_point_in_time(point_in_time) if point_in_time else None
    if when and when > deps.now():
        raise BadInput(f"--point-in-time {when.isoformat()} is in the future")

    rds = deps.clients("rds", region)
    clusters = rds.describe_db_clusters(DBClusterIdentifier=source)["DBClusters"]
    if not clusters:
        raise OperationFailed(f"cluster {source} not found in {region}")
    src = clusters[0]
    snapshot = None if when else latest_snapshot(deps, region, source)
    name = drill_name(source, deps.now())
    instance = f"{name}-1"
    klass = instance_class or _instance_class(deps, region, src)
    network: dict[str, Any] = {}
    if src.get("DBSubnetGroup"):
        network["DBSubnetGroupName"] = src["DBSubnetGroup"]
    sgs = [g["VpcSecurityGroupId"] for g in src.get("VpcSecurityGroups", []) if g.get("VpcSecurityGroupId")]
    if sgs:
        network["VpcSecurityGroupIds"] = sgs

    origin = (f"point in time {when.isoformat()}" if when
              else f"snapshot {snapshot['DBClusterSnapshotIdentifier']} ({snapshot['SnapshotCreateTime']})"
              if snapshot else "")
    plan = Plan(f"restore drill of {source} ({domain.name}, {region}) from {origin}")
    plan.add(f"restore into temporary cluster {name} encrypted with {key} (deletion protection off)")
    plan.add(f"create instance {instance} ({klass}) and wait until it is available")
    plan.add(f"run check hook: {check_hook}" if check_hook else "no --check-hook: check availability only")
    plan.add(f"delete instance {instance} and cluster {name} (skip final snapshot; only {DRILL_PREFIX}*)")
    plan.note(f"source cluster {source} and its snapshots are only read")
    plan.print(deps.out, apply)
    if not apply:
        return 0

    timings = Timings(clock=deps.clock)
    tags = [{"Key": "ops:purpose", "Value": "restore-drill"}, {"Key": "ops:source", "Value": source}]
    created = False
    hook_status: int | None = None
    cleanup_error: str | None = None
    try:
        with timings.step("restore cluster"):
            common: dict[str, Any] = {"DBClusterIdentifier": name, "KmsKeyId": key, "DeletionProtection": False,
                                      "Tags": tags, **network}
            if when:
                rds.restore_db_cluster_to_point_in_time(SourceDBClusterIdentifier=source, RestoreToTime=when, **common)
            else:
                assert snapshot is not None
                rds.restore_db_cluster_from_snapshot(
                    SnapshotIdentifier=snapshot["DBClusterSnapshotIdentifier"],
                    Engine=src["Engine"], EngineVersion=src.get("EngineVersion"), **common)
            created = True
            wait_available(deps, region, "cluster", name)
        with timings.step("create instance"):
            rds.create_db_instance(DBInstanceIdentifier=instance, DBClusterIdentifier=name, Engine=src["Engine"],
                                   DBInstanceClass=klass, Tags=tags)
            wait_available(deps, region, "instance", instance)
        restored = rds.describe_db_clusters(DBClusterIdentifier=name)["DBClusters"][0]
        endpoint, port = str(restored.get("Endpoint", "")), str(restored.get("Port", 5432))
        deps.say(f"{name} is available at {endpoint}:{port}")
        with timings.step("check hook"):
            if check_hook:
                env = {"DRILL_CLUSTER": name, "DRILL_ENDPOINT": endpoint, "DRILL_PORT": port, "DRILL_REGION": region,
                       "PGHOST": endpoint, "PGPORT": port}
                hook_status = deps.run_hook(check_hook, env)
                deps.say(f"check hook exited with {hook_status}")
    finally:
        if created:
            try:
                with timings.step("delete drill resources"):
                    _cleanup(deps, region, name, instance)
            except OpsError as exc:
                cleanup_error = exc.message
    deps.say(timings.render())
    within = "within" if timings.total <= RTO_SECONDS else "OVER"
    deps.say(f"restore drill of {source}: {timings.total / 60:.1f} min ({within} the 60 min RTO)")
    if cleanup_error:
        raise OperationFailed(f"could not delete the drill cluster, delete {name} by hand: {cleanup_error}")
    if hook_status not in (None, 0):
        raise OperationFailed(f"check hook failed with exit code {hook_status} against {name}")
    return 0


def _cleanup(deps: Deps, region: str, cluster: str, instance: str) -> None:
    rds = deps.clients("rds", region)
    try:
        rds.delete_db_instance(DBInstanceIdentifier=guard(instance), SkipFinalSnapshot=True)
    except AwsFailure as exc:
        if exc.code != "DBInstanceNotFound":
            raise
    found = rds.describe_db_clusters(DBClusterIdentifier=guard(cluster))["DBClusters"]
    if found and found[0].get("DeletionProtection"):
        rds.modify_db_cluster(DBClusterIdentifier=guard(cluster), DeletionProtection=False, ApplyImmediately=True)
    rds.delete_db_cluster(DBClusterIdentifier=guard(cluster), SkipFinalSnapshot=True, DeleteAutomatedBackups=True)
    deps.say(f"deleted {instance} and {cluster}")
