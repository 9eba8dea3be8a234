"""`verify`: check the live account against the stack outputs after every deploy.

The policy pack proves the plan is safe; this proves the account is. It re-checks on the real
resources what the design promises: encryption with a customer key from the resource's own region,
versioned buckets whose replicas stay inside their data domain, every tenant's stores inside its
domain, deletion protection and backup retention, and the health endpoints behind the hostname.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ops.context import Deps
from ops.errors import AwsFailure, BadInput
from ops.outputs import DataDomain, StackOutputs, arn_region
from ops.report import table

PASS, FAIL, WARN, SKIP = "PASS", "FAIL", "WARN", "SKIP"
DEFAULT_BACKUP_RETENTION_DAYS = 30  # the config model's default and the guide's "retain for 30 days"
HEALTH_PATHS = ("/health", "/health/live", "/health/ready")
NOT_FOUND = frozenset({
    "DBClusterNotFoundFault", "GlobalClusterNotFoundFault", "NoSuchBucket", "NotFoundException",
    "ResourceNotFoundException", "ReplicationGroupNotFoundFault", "404",
})


@dataclass(frozen=True)
class Row:
    check: str
    resource: str
    region: str
    result: str
    detail: str


def bucket_region(location: dict[str, Any]) -> str:
    """GetBucketLocation returns None for us-east-1 and the legacy `EU` for eu-west-1."""
    constraint = location.get("LocationConstraint")
    if not constraint:
        return "us-east-1"
    return "eu-west-1" if constraint == "EU" else str(constraint)


@dataclass
class Verifier:
    outputs: StackOutputs
    deps: Deps
    min_backup_retention_days: int
    url: str | None = None
    retention_source: str = "--min-backup-retention-days"
    rows: list[Row] = field(default_factory=list)
    _key_regions: dict[tuple[str, str], str | None] = field(default_factory=dict)
    _bucket_regions: dict[str, str] = field(default_factory=dict)

    def add(self, check: str, resource: str, region: str, ok: bool | None, detail: str, *, warn: bool = False) -> None:
        result = SKIP if ok is None else PASS if ok else (WARN if warn else FAIL)
        self.rows.append(Row(check, resource, region, result, detail))

    @property
    def failed(self) -> list[Row]:
        return [r for r in self.rows if r.result == FAIL]

    def run(self) -> list[Row]:
        self.check_kms_keys()
        self.check_clusters()
        self.check_global_clusters()
        self.check_caches()
        self.check_buckets()
        self.check_tenant_residency()
        self.check_backup_vaults()
        self.check_hostnames()
        if self.url:
            self.check_health(self.url)
        return self.rows

    # -- keys -------------------------------------------------------------------------------------

    def key_region(self, key_id: str, resource_region: str) -> str | None:
        """Region a key lives in: from its ARN, else by asking KMS in the resource's region."""
        region = arn_region(key_id)
        if region:
            return region
        cache_key = (key_id, resource_region)
        if cache_key not in self._key_regions:
            try:
                meta = self.deps.clients("kms", resource_region).describe_key(KeyId=key_id)["KeyMetadata"]
                self._key_regions[cache_key] = arn_region(meta.get("Arn")) or resource_region
            except AwsFailure as exc:
                if exc.code not in NOT_FOUND:
                    raise
                self._key_regions[cache_key] = None
        return self._key_regions[cache_key]

    def key_detail(self, key_id: str | None, region: str) -> tuple[bool, str]:
        if not key_id:
            return False, "no customer-managed KMS key (AWS-owned or default key)"
        where = self.key_region(key_id, region)
        if where is None:
            return False, f"key {key_id} not found in {region}"
        if where != region:
            return False, f"key {key_id} is in {where}, not in the resource's region {region}"
        return True, f"key {key_id}"

    def check_kms_keys(self) -> None:
        declared: dict[str, tuple[str, str, str]] = {}
        for region, reg in self.outputs.regional.items():
            for purpose, arn in reg.kms_keys.items():
                declared.setdefault(arn, (region, purpose, f"regional.{region}"))
        for name, domain in self.outputs.data_domains.items():
            for region, keys in domain.kms_keys.items():
                for purpose, arn in keys.items():
                    declared.setdefault(arn, (region, purpose, f"domain {name}"))
        for arn, (region, purpose, owner) in declared.items():
            label = f"{owner} {purpose}"
            where = arn_region(arn)
            if where and where != region:
                self.add("kms.region", label, region, False, f"{arn} is in {where}, declared for {region}")
                continue
            kms = self.deps.clients("kms", region)
            try:
                meta = kms.describe_key(KeyId=arn)["KeyMetadata"]
            except AwsFailure as exc:
                if exc.code not in NOT_FOUND:
                    raise
                self.add("kms.key", label, region, False, f"{arn} not found in {region}")
                continue
            enabled = meta.get("KeyState") == "Enabled" and meta.get("KeyManager", "CUSTOMER") == "CUSTOMER"
            self.add("kms.key", label, region, enabled,
                     f"{meta.get('KeyManager', 'CUSTOMER').lower()} key, {meta.get('KeyState')}")
            try:
                rotation = bool(kms.get_key_rotation_status(KeyId=arn).get("KeyRotationEnabled"))
                self.add("kms.rotation", label, region, rotation, "rotation on" if rotation else "rotation off")
            except AwsFailure as exc:
                if exc.code != "UnsupportedOperationException":
                    raise
                self.add("kms.rotation", label, region, False, "rotation not supported for this key", warn=True)

    # -- Aurora -----------------------------------------------------------------------------------

    def _cluster_targets(self) -> dict[tuple[str, str], str]:
        targets: dict[tuple[str, str], str] = {}
        for region, reg in self.outputs.regional.items():
            if reg.db_cluster_identifier:
                targets.setdefault((region, reg.db_cluster_identifier), f"regional.{region}")
        for name, domain in self.outputs.data_domains.items():
            for region, cid in domain.clusters.items():
                targets.setdefault((region, cid), f"domain {name}")
        for tid, tenant in self.outputs.tenants.items():
            db = tenant.stores.database
            if db:
                targets.setdefault((db.region, db.cluster_identifier), f"tenant {tid}")
        return targets

    def check_clusters(self) -> None:
        for (region, cid), _owner in self._cluster_targets().items():
            try:
                found = self.deps.clients("rds", region).describe_db_clusters(DBClusterIdentifier=cid)["DBClusters"]
            except AwsFailure as exc:
                if exc.code not in NOT_FOUND:
                    raise
                found = []
            if not found:
                self.add("rds.exists", cid, region, False, f"cluster not found in {region}")
                continue
            c = found[0]
            if not c.get("StorageEncrypted"):
                self.add("rds.encryption", cid, region, False, "storage not encrypted")
            else:
                self.add("rds.encryption", cid, region, *self.key_detail(c.get("KmsKeyId"), region))
            protection = bool(c.get("DeletionProtection"))
            if self.outputs.protected:
                self.add("rds.deletion_protection", cid, region, protection, "on" if protection else "off")
            else:
                self.add("rds.deletion_protection", cid, region, None,
                         f"{'on' if protection else 'off'} (not required in {self.outputs.environment})")
            retention = int(c.get("BackupRetentionPeriod") or 0)
            self.add("rds.backup_retention", cid, region, retention >= self.min_backup_retention_days,
                     f"{retention} days (required >= {self.min_backup_retention_days},"
                     f" {self.retention_source})")

    def check_global_clusters(self) -> None:
        for name, domain in self.outputs.data_domains.items():
            gid = domain.global_cluster_identifier
            if not gid:
                continue
            try:
                found = self.deps.clients("rds", domain.primary).describe_global_clusters(
                    GlobalClusterIdentifier=gid)["GlobalClusters"]
                found = [g for g in found if g.get("GlobalClusterIdentifier") == gid]
            except AwsFailure as exc:
                if exc.code not in NOT_FOUND:
                    raise
                found = []
            if not found:
                self.add("rds.global", gid, domain.primary, False, f"global cluster of domain {name} not found")
                continue
            g = found[0]
            self.add("rds.global_encryption", gid, domain.primary, bool(g.get("StorageEncrypted")),
                     "encrypted" if g.get("StorageEncrypted") else "not encrypted")
            if self.outputs.protected:
                self.add("rds.global_deletion_protection", gid, domain.primary, bool(g.get("DeletionProtection")),
                         "on" if g.get("DeletionProtection") else "off")
            members = {arn_region(m.get("DBClusterArn")): m for m in g.get("GlobalClusterMembers", [])}
            outside = sorted(str(r) for r in members if r not in domain.regions)
            self.add("residency.global_members", gid, domain.primary, not outside,
                     f"members outside {domain.describe()}: {', '.join(outside)}" if outside
                     else f"members in {', '.join(sorted(str(r) for r in members))}")
            missing = sorted(set(domain.clusters) - set(members))
            if missing:
                self.add("rds.global_members", gid, domain.primary, False,
                         f"no member cluster in {', '.join(missing)}")

    # -- ElastiCache ------------------------------------------------------------------------------

    def check_caches(self) -> None:
        for region, reg in self.outputs.regional.items():
            pairs = (("cache", reg.cache_endpoint), ("queue", reg.queue_endpoint))
            endpoints = [(role, ep) for role, ep in pairs if ep]
            if not endpoints:
                continue
            groups = [g for page in self.deps.clients("elasticache", region).pages("describe_replication_groups")
                      for g in page.get("ReplicationGroups", [])]
            for role, endpoint in endpoints:
                host = endpoint.split(":")[0]
                group = next((g for g in groups if host in _group_hosts(g)), None)
                if group is None:
                    self.add(f"redis.{role}", host, region, False, "no replication group with this endpoint")
                    continue
                gid = str(group.get("ReplicationGroupId"))
                self.add(f"redis.{role}.transit_encryption", gid, region, bool(group.get("TransitEncryptionEnabled")),
                         "TLS on" if group.get("TransitEncryptionEnabled") else "TLS off")
                if not group.get("AtRestEncryptionEnabled"):
                    self.add(f"redis.{role}.encryption", gid, region, False, "at-rest encryption off")
                else:
                    self.add(f"redis.{role}.encryption", gid, region, *self.key_detail(group.get("KmsKeyId"), region))

    # -- S3 ---------------------------------------------------------------------------------------

    def _bucket_targets(self) -> dict[str, tuple[str, DataDomain | None]]:
        targets: dict[str, tuple[str, DataDomain | None]] = {}
        for domain in self.outputs.data_domains.values():
            for region, name in domain.buckets.items():
                targets[name] = (region, domain)
        for tenant in self.outputs.tenants.values():
            b = tenant.stores.bucket
            if b and b.name not in targets:
                targets[b.name] = (b.region, self.outputs.data_domains.get(tenant.domain))
        for region, reg in self.outputs.regional.items():
            if reg.uploads_bucket and reg.uploads_bucket not in targets:
                targets[reg.uploads_bucket] = (region, None)
        self._bucket_regions.update({name: region for name, (region, _) in targets.items()})
        return targets

    def _located(self, name: str, fallback_region: str) -> str | None:
        if name not in self._bucket_regions:
            try:
                loc = self.deps.clients("s3", fallback_region).get_bucket_location(Bucket=name)
                self._bucket_regions[name] = bucket_region(loc)
            except AwsFailure as exc:
                if exc.code not in NOT_FOUND:
                    raise
                return None
        return self._bucket_regions[name]

    def check_buckets(self) -> None:
        for name, (region, domain) in self._bucket_targets().items():
            s3 = self.deps.clients("s3", region)
            try:
                actual = bucket_region(s3.get_bucket_location(Bucket=name))
            except AwsFailure as exc:
                if exc.code not in NOT_FOUND:
                    raise
                self.add("s3.exists", name, region, False, "bucket not found")
                continue
            self.add("s3.region", name, region, actual == region, f"located in {actual}")
            if domain is not None:
                self.add("residency.bucket", name, actual, actual in domain.regions,
                         f"{actual} {'inside' if actual in domain.regions else 'outside'} {domain.describe()}")
            self._check_bucket_encryption(s3, name, region)
            versioning = s3.get_bucket_versioning(Bucket=name).get("Status", "Disabled")
            self.add("s3.versioning", name, region, versioning == "Enabled", versioning)
            self._check_replication(s3, name, region, domain)

    def _check_bucket_encryption(self, s3: Any, name: str, region: str) -> None:
        try:
            rules = s3.get_bucket_encryption(Bucket=name)["ServerSideEncryptionConfiguration"]["Rules"]
        except AwsFailure as exc:
            if exc.code != "ServerSideEncryptionConfigurationNotFoundError":
                raise
            rules = []
        default = next((r.get("ApplyServerSideEncryptionByDefault") for r in rules
                        if r.get("ApplyServerSideEncryptionByDefault")), None)
        if not default or not str(default.get("SSEAlgorithm", "")).startswith("aws:kms"):
            algorithm = default.get("SSEAlgorithm") if default else "none"
            self.add("s3.encryption", name, region, False, f"default encryption is {algorithm}, not aws:kms")
            return
        self.add("s3.encryption", name, region, *self.key_detail(default.get("KMSMasterKeyID"), region))

    def _check_replication(self, s3: Any, name: str, region: str, domain: DataDomain | None) -> None:
        try:
            rules = s3.get_bucket_replication(Bucket=name)["ReplicationConfiguration"].get("Rules", [])
        except AwsFailure as exc:
            if exc.code != "ReplicationConfigurationNotFoundError":
                raise
            rules = []
        destinations: set[str] = set()
        for rule in rules:
            dest = rule.get("Destination", {})
            dest_name = str(dest.get("Bucket", "")).removeprefix("arn:aws:s3:::")
            enabled = rule.get("Status") == "Enabled"
            if enabled:
                destinations.add(dest_name)
            dest_region = self._located(dest_name, region)
            label = f"{name} -> {dest_name}"
            problems: list[str] = []
            if dest_region is None:
                problems.append("destination bucket not found")
            elif domain is not None and dest_region not in domain.regions:
                problems.append(f"destination in {dest_region}, outside {domain.describe()}")
            replica_key = dest.get("EncryptionConfiguration", {}).get("ReplicaKmsKeyID")
            if replica_key and dest_region and arn_region(replica_key) != dest_region:
                problems.append(f"replica key {replica_key} is not a full key ARN in {dest_region}")
            sse = rule.get("SourceSelectionCriteria", {}).get("SseKmsEncryptedObjects", {}).get("Status")
            if sse != "Enabled" or not replica_key:
                problems.append("SSE-KMS objects are not replicated (SseKmsEncryptedObjects/ReplicaKmsKeyID unset)")
            detail = "; ".join(problems) or f"{'enabled' if enabled else 'disabled'} rule to {dest_region}"
            self.add("residency.replication", label, region, not problems, detail)
        if domain is not None and region == domain.primary:
            expected = {b for r, b in domain.buckets.items() if r != domain.primary}
            missing = sorted(expected - destinations)
            self.add("s3.replication_coverage", name, region, not missing,
                     f"no enabled rule to {', '.join(missing)}" if missing
                     else f"replicates to {len(expected)} domain bucket(s)" if expected else "single-region domain")

    # -- residency of tenants ---------------------------------------------------------------------

    def check_tenant_residency(self) -> None:
        for tid, tenant in self.outputs.tenants.items():
            domain = self.outputs.data_domains.get(tenant.domain)
            if domain is None:
                self.add("residency.tenant", tid, "-", False, f"domain {tenant.domain} not in the stack outputs")
                continue
            if tenant.data_residency != domain.residency:
                self.add("residency.tenant", tid, "-", False,
                         f"tenant residency {tenant.data_residency} != residency {domain.residency}"
                         f" of domain {domain.name}")
            stores: list[tuple[str, str]] = []
            s = tenant.stores
            if s.database:
                stores.append(("database", s.database.region))
            if s.bucket:
                stores.append(("bucket", s.bucket.region))
            if s.secrets_region:
                stores.append(("secrets", s.secrets_region))
            for store, region in stores:
                inside = region in domain.regions
                self.add("residency.tenant", f"{tid} {store}", region, inside,
                         f"{'inside' if inside else 'outside'} {domain.describe()}")
            if domain.residency != "none":
                outside = [r for r in tenant.workload_regions if r not in domain.regions]
                self.add("residency.tenant", f"{tid} workloads", ",".join(tenant.workload_regions) or "-",
                         not outside, f"outside {domain.describe()}: {', '.join(outside)}" if outside
                         else f"inside {domain.describe()}")

    # -- backups ----------------------------------------------------------------------------------

    def check_backup_vaults(self) -> None:
        for name, domain in self.outputs.data_domains.items():
            for region, vault in domain.backup_vaults.items():
                if region not in domain.regions:
                    self.add("residency.backup_vault", vault, region, False, f"outside {domain.describe()}")
                    continue
                try:
                    desc = self.deps.clients("backup", region).describe_backup_vault(BackupVaultName=vault)
                except AwsFailure as exc:
                    if exc.code not in NOT_FOUND:
                        raise
                    self.add("backup.vault", vault, region, False, f"vault of domain {name} not found")
                    continue
                self.add("backup.vault", vault, region, *self.key_detail(desc.get("EncryptionKeyArn"), region))

    # -- global traffic -------------------------------------------------------------------------

    def check_hostnames(self) -> None:
        """A resident hostname's pools must all be inside its domain (docs/multi-region.md: global traffic)."""
        for name, host in self.outputs.hostnames.items():
            domain = next((d for d in self.outputs.data_domains.values() if d.residency == host.residency), None)
            if domain is None:
                self.add("residency.hostname", name, "-", False, f"no data domain with residency {host.residency}")
                continue
            regions = [p.region for p in host.pools]
            outside = [r for r in regions if r not in domain.regions] if host.residency != "none" else []
            self.add("residency.hostname", name, ",".join(regions), not outside,
                     f"pools outside {domain.describe()}: {', '.join(outside)}" if outside
                     else f"pools fit residency {host.residency}")

    # -- health -----------------------------------------------------------------------------------

    def check_health(self, url: str) -> None:
        base = url.rstrip("/")
        for path in HEALTH_PATHS:
            status, body = self.deps.http_get(base + path, 10.0)
            detail = f"HTTP {status}" if status else f"unreachable: {body}"
            self.add("health", base + path, "-", status == 200, detail)


def configured_retention(environment: str, stack_file: str | None, search: Path | None = None) -> tuple[int, str]:
    """`database.backup_retention_days` from the stack file (explicit, else `Pulumi.<env>.yaml` here).

    The outputs do not carry config, and the threshold differs per stack (dev 7, staging 14, prod 30),
    so verify reads it from the same file `pulumi up` used rather than assuming one number.
    """
    path = Path(stack_file) if stack_file else (search or Path.cwd()) / f"Pulumi.{environment}.yaml"
    if not path.is_file():
        if stack_file:
            raise BadInput(f"--stack-config file not found: {stack_file}")
        return DEFAULT_BACKUP_RETENTION_DAYS, "default"
    import yaml

    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise BadInput(f"{path} is not valid YAML: {' '.join(str(exc).split())}") from None
    database = (doc.get("config") or {}).get("agentic-platform:database") or {}
    days = database.get("backup_retention_days") if isinstance(database, dict) else None
    if days is None:
        return DEFAULT_BACKUP_RETENTION_DAYS, f"default; not set in {path.name}"
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        raise BadInput(f"{path.name}: agentic-platform:database.backup_retention_days must be a positive"
                       f" integer, got {days!r}")
    return days, path.name


def _group_hosts(group: dict[str, Any]) -> set[str]:
    hosts: set[str] = set()
    for key in ("ConfigurationEndpoint",):
        if group.get(key, {}).get("Address"):
            hosts.add(group[key]["Address"])
    for ng in group.get("NodeGroups", []):
        for key in ("PrimaryEndpoint", "ReaderEndpoint"):
            if ng.get(key, {}).get("Address"):
                hosts.add(ng[key]["Address"])
        for member in ng.get("NodeGroupMembers", []):
            if member.get("ReadEndpoint", {}).get("Address"):
                hosts.add(member["ReadEndpoint"]["Address"])
    return hosts


def render(rows: Iterable[Row]) -> str:
    return table(("check", "resource", "region", "result", "detail"),
                 [(r.check, r.resource, r.region, r.result, r.detail) for r in rows])


def run(outputs: StackOutputs, deps: Deps, *, url: str | None, min_backup_retention_days: int | None,
        stack_config: str | None = None, only_problems: bool = False) -> int:
    if min_backup_retention_days is not None:
        if min_backup_retention_days < 1:
            raise BadInput("--min-backup-retention-days must be at least 1")
        days, source = min_backup_retention_days, "--min-backup-retention-days"
    else:
        days, source = configured_retention(outputs.environment, stack_config)
    verifier = Verifier(outputs, deps, days, url, source)
    rows = verifier.run()
    shown = [r for r in rows if r.result != PASS] if only_problems else rows
    if shown:
        deps.say(render(shown))
    failed = verifier.failed
    if failed:
        deps.say(f"verify: {len(failed)} of {len(rows)} checks FAILED")
        return 1
    deps.say(f"verify: all {len(rows)} checks passed ({outputs.environment})")
    return 0
