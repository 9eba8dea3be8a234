"""`tenant-purge`: GDPR erasure of one tenant's objects in every bucket of its data domain.

Each bucket of the domain is purged directly, every version and delete marker under the tenant's
prefix: a permanent (version-id) delete is not replicated by S3, so relying on replication would
leave the replicas' copies behind. Only keys under `tenants/<id>/` are touched; the prefix is
refused when it is empty, lacks the trailing `/`, or overlaps another tenant's prefix. What cannot
be erased here is reported with the date it ends: AWS Backup recovery points (kept until their
lifecycle deletes them; vault lock forbids an earlier delete) and Aurora's automated backups (the
point-in-time window). The tenant's rows in the shared database are deleted by the application;
an enterprise tenant's own cluster is retired through Pulumi (offboarding, docs/tenancy.md).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ops.context import Deps
from ops.errors import BadInput, OperationFailed
from ops.outputs import StackOutputs, Tenant
from ops.report import Plan, table

BATCH = 1000
"""DeleteObjects takes at most 1,000 keys per request."""


@dataclass(frozen=True)
class Version:
    key: str
    version_id: str
    size: int
    delete_marker: bool


@dataclass(frozen=True)
class Target:
    region: str
    bucket: str


def tenant_prefix(outputs: StackOutputs, tenant: Tenant) -> str:
    """The tenant's key prefix, checked so a purge can never reach another tenant's objects."""
    prefix = tenant.stores.bucket.prefix if tenant.stores.bucket else ""
    prefix = prefix or f"tenants/{tenant.id}/"
    if not prefix.endswith("/") or tenant.id not in prefix.strip("/").split("/"):
        raise BadInput(f"refusing to purge tenant {tenant.id}: its prefix {prefix!r} (stack outputs"
                       f" `tenants.{tenant.id}.stores.bucket.prefix`) must end with '/' and name the tenant")
    for other in outputs.tenants.values():
        if other.id == tenant.id:
            continue
        theirs = (other.stores.bucket.prefix if other.stores.bucket else "") or f"tenants/{other.id}/"
        if theirs.startswith(prefix) or prefix.startswith(theirs):
            raise BadInput(f"refusing to purge tenant {tenant.id}: its prefix {prefix!r} overlaps tenant"
                           f" {other.id}'s {theirs!r}")
    return prefix


def targets(outputs: StackOutputs, tenant: Tenant) -> list[Target]:
    """Every bucket of the tenant's domain (primary and replicas), plus its own if named apart."""
    domain = outputs.domain(tenant.domain)
    found = {(r, b) for r, b in domain.buckets.items()}
    if tenant.stores.bucket is not None:
        found.add((tenant.stores.bucket.region, tenant.stores.bucket.name))
    outside = sorted(r for r, _ in found if r not in domain.regions)
    if outside:
        raise BadInput(f"refusing to purge tenant {tenant.id}: bucket region(s) {', '.join(outside)} are outside"
                       f" {domain.describe()}")
    return [Target(r, b) for r, b in sorted(found)]


def versions(deps: Deps, target: Target, prefix: str) -> Iterator[Version]:
    s3 = deps.clients("s3", target.region)
    for page in s3.pages("list_object_versions", Bucket=target.bucket, Prefix=prefix):
        for v in page.get("Versions", []):
            yield Version(str(v["Key"]), str(v["VersionId"]), int(v.get("Size", 0)), False)
        for m in page.get("DeleteMarkers", []):
            yield Version(str(m["Key"]), str(m["VersionId"]), 0, True)


def delete(deps: Deps, target: Target, prefix: str, found: list[Version]) -> list[str]:
    """Delete every listed version; returns the errors S3 reported per key."""
    s3 = deps.clients("s3", target.region)
    errors: list[str] = []
    for i in range(0, len(found), BATCH):
        batch = found[i:i + BATCH]
        if any(not v.key.startswith(prefix) for v in batch):  # the listing is prefix-filtered; never trust it blindly
            raise OperationFailed(f"s3://{target.bucket}: a listed key lies outside {prefix}; nothing more deleted")
        result = s3.delete_objects(Bucket=target.bucket, Delete={
            "Objects": [{"Key": v.key, "VersionId": v.version_id} for v in batch], "Quiet": True})
        errors += [f"s3://{target.bucket}/{e.get('Key')} ({e.get('Code')}: {e.get('Message')})"
                   for e in result.get("Errors", [])]
    return errors


def backups_left(deps: Deps, outputs: StackOutputs, tenant: Tenant) -> list[tuple[str, str, str, str]]:
    """(where, what, count, until) for copies this command cannot erase."""
    domain = outputs.domain(tenant.domain)
    rows: list[tuple[str, str, str, str]] = []
    for region, vault in sorted(domain.backup_vaults.items()):
        points: list[dict[str, Any]] = []
        for page in deps.clients("backup", region).pages("list_recovery_points_by_backup_vault",
                                                         BackupVaultName=vault):
            points += page.get("RecoveryPoints", [])
        ends = [p["CalculatedLifecycle"]["DeleteAt"] for p in points
                if isinstance(p.get("CalculatedLifecycle", {}).get("DeleteAt"), datetime)]
        rows.append((f"{region} backup vault {vault}", "recovery points of the domain's database",
                     str(len(points)), max(ends).date().isoformat() if ends else "no recovery points"))
    clusters = {domain.clusters[domain.primary]} if domain.primary in domain.clusters else set()
    if tenant.stores.database is not None:
        clusters.add(tenant.stores.database.cluster_identifier)
    for cid in sorted(clusters):
        region = (tenant.stores.database.region if tenant.stores.database
                  and tenant.stores.database.cluster_identifier == cid else domain.primary)
        found = deps.clients("rds", region).describe_db_clusters(DBClusterIdentifier=cid)["DBClusters"]
        days = int(found[0].get("BackupRetentionPeriod", 1)) if found else 0
        until = (deps.now() + timedelta(days=days)).date().isoformat()
        rows.append((f"{region} Aurora {cid}", "automated backups (point-in-time window)", f"{days} days", until))
    return rows


def run(outputs: StackOutputs, deps: Deps, *, tenant_id: str, apply: bool) -> int:
    tenant = outputs.tenant(tenant_id)
    prefix = tenant_prefix(outputs, tenant)
    domain = outputs.domain(tenant.domain)
    plan = Plan(f"purge tenant {tenant.id} (residency {tenant.data_residency}): every version under {prefix}"
                f" in each bucket of {domain.describe()}")
    found: dict[Target, list[Version]] = {}
    rows = []
    for target in targets(outputs, tenant):
        found[target] = list(versions(deps, target, prefix))
        objects = [v for v in found[target] if not v.delete_marker]
        rows.append((target.region, target.bucket, len(objects), len(found[target]) - len(objects),
                     sum(v.size for v in objects)))
        plan.add(f"s3://{target.bucket}/{prefix} ({target.region}): delete {len(found[target])} version(s)"
                 " and delete marker(s) by version id")
    plan.note("other tenants' prefixes are never listed or touched; stop the tenant's workload first so"
              " nothing new is written during the purge")
    plan.note("the tenant's rows in the shared database are deleted by the application; an enterprise"
              " tenant's own cluster is retired through Pulumi (docs/tenancy.md, offboarding)")
    plan.print(deps.out, apply)
    deps.say(table(("region", "bucket", "objects", "delete markers", "bytes"), rows))
    deps.say("what remains after the purge, and until when:")
    deps.say(table(("where", "what", "count", "until"), backups_left(deps, outputs, tenant)))
    if not apply:
        return 0
    errors: list[str] = []
    for target, listed in found.items():
        errors += delete(deps, target, prefix, listed)
        left = sum(1 for _ in versions(deps, target, prefix))
        if left:
            errors.append(f"s3://{target.bucket}/{prefix}: {left} version(s) still present after the purge")
    if errors:
        raise OperationFailed(f"tenant {tenant.id} purge incomplete: {'; '.join(errors[:5])}")
    total = sum(len(v) for v in found.values())
    deps.say(f"tenant {tenant.id}: {total} object version(s) and delete marker(s) permanently deleted under"
             f" {prefix} in {len(found)} bucket(s); backups expire as listed above")
    return 0
