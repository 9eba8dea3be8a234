"""Test helpers for ops: a small prod-shaped AWS account in moto, and the stack outputs that describe it.

Two data domains as in prod (global: us-east-1 -> eu-west-1, ap-southeast-1; eu: eu-west-1 ->
eu-central-1), a regional key pair (rds, s3), uploads bucket and Redis pair per region, one
Aurora Global cluster, replicated buckets and a backup vault per domain, and four tenants.
The outputs dict follows the contract `ops/outputs.py` reads (the program's stack exports).
"""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import boto3
import moto.kms.models
import pytest
from moto import mock_aws
from moto.kms.utils import generate_private_key

from ops.__main__ import main
from ops.aws import Clients
from ops.context import Deps

ENV = "prod"
DOMAINS = {
    "global": {"residency": "none", "primary": "us-east-1", "replicas": ["eu-west-1", "ap-southeast-1"]},
    "eu": {"residency": "eu", "primary": "eu-west-1", "replicas": ["eu-central-1"]},
}
REGIONS = ["us-east-1", "eu-west-1", "ap-southeast-1", "eu-central-1"]
SHORT = {"us-east-1": "use1", "eu-west-1": "euw1", "ap-southeast-1": "apse1", "eu-central-1": "euc1"}
PASSWORD = "correct-horse-battery"


@dataclass
class FakeClock:
    """Monotonic time that only moves when the code under test sleeps (or a step is charged)."""

    now: float = 1000.0
    sleeps: list[float] = field(default_factory=list)

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


# moto 5.2 drops `SourceSelectionCriteria` from GetBucketReplication; the rules as PUT are kept here
# (by rule id) and put back on the parsed response, so the moto account answers like S3 does.
# test_ops_verify_stubbed.py checks the same logic against the real response shape with a Stubber.
PUT_RULES: dict[str, dict[str, Any]] = {}


def _restore_replication_fields(parsed: dict[str, Any], **_: Any) -> None:
    for rule in parsed.get("ReplicationConfiguration", {}).get("Rules", []):
        put = PUT_RULES.get(rule.get("ID", ""))
        if put and "SourceSelectionCriteria" in put:
            rule["SourceSelectionCriteria"] = put["SourceSelectionCriteria"]


@cache
def _session() -> boto3.Session:
    """One session for every test's commands: a session loads each service's model the first time
    it makes a client of it (30 ms a client, 17 clients a command), so fresh sessions per test made
    model loading most of an ops test. The fake credentials are the same in every test."""
    session = boto3.Session()
    session.events.register("after-call.s3.GetBucketReplication", _restore_replication_fields)
    return session


@cache
def moto_clients() -> Clients:
    """One set of clients for every test's commands, as `client` below is for building worlds:
    making a client after its model is loaded still costs ~10-30 ms (its class, endpoint resolver
    and event hooks), a command makes up to 32 (4 regions x 8 services), and client creation was a
    third of the ops tests' time. Sharing is safe: `Clients` and `Guarded` keep nothing but the
    clients, moto intercepts every botocore client while a mock is active, and every test's fake
    credentials are the same; a test of other credentials or of stubbed clients makes its own."""
    return Clients(session=_session())


def moto_clients_with(overrides: dict[tuple[str, str], Any]) -> Clients:
    """Clients of their own for a test that swaps some for stubbed ones (never the shared set)."""
    return Clients(session=_session(), overrides=overrides)


def make_deps(clients: Clients | None = None, **overrides: Any) -> Deps:
    clock = overrides.pop("clock", FakeClock())
    base: dict[str, Any] = {
        "clients": clients or moto_clients(), "out": sys.stdout, "env": {}, "clock": clock, "sleep": clock.sleep,
        "now": lambda: datetime(2026, 11, 26, 19, 30, tzinfo=UTC), "poll_seconds": 5.0, "timeout_seconds": 600.0,
        "http_get": lambda url, timeout: (200, "ok"),
    }
    base.update(overrides)
    return Deps(**base)


_FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                     "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": "us-east-1"}

_one_private_key_per_spec = cache(generate_private_key)


def offline_aws(mp: pytest.MonkeyPatch) -> None:
    """What every ops test runs under: fake credentials and no profile (a profile from the caller's
    shell would make boto3 look for it, ProfileNotFound, before moto is asked anything), and one
    KMS key pair per key spec (moto generates a fresh RSA pair for every key, for Sign/Verify, which
    no ops command calls: 50 ms per key, 8 keys per world, most of a world's build)."""
    for key, value in _FAKE_CREDENTIALS.items():
        mp.setenv(key, value)
    mp.delenv("AWS_PROFILE", raising=False)
    mp.setattr(moto.kms.models, "generate_private_key", _one_private_key_per_spec)


def rows_with(out: str, result: str) -> list[str]:
    """The rows of a `verify` table with this result (PASS, FAIL, ...)."""
    return [line for line in out.splitlines() if f"  {result}  " in line]


@contextmanager
def estate_account() -> Iterator[dict[str, Any]]:
    """A prod-shaped moto account for a whole module, and its outputs: the per-test `offline_aws`
    fixture is not active while a module's fixture is set up, so it is applied here for the
    account's lifetime."""
    with pytest.MonkeyPatch.context() as mp:
        offline_aws(mp)
        with mock_aws():
            yield build_world()


@dataclass
class Result:
    code: int
    out: str
    err: str


def run_cli(capsys: pytest.CaptureFixture[str], argv: list[str], deps: Deps | None = None) -> Result:
    deps = deps or make_deps()
    deps.out = sys.stdout
    code = main(argv, deps)
    captured = capsys.readouterr()
    return Result(code, captured.out, captured.err)


def write_outputs(tmp_path: Path, outputs: dict[str, Any]) -> str:
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(outputs), encoding="utf-8")
    return str(path)


def stdin_deps(outputs: dict[str, Any], **overrides: Any) -> Deps:
    deps = make_deps(**overrides)
    deps.stdin = io.StringIO(json.dumps(outputs))
    return deps


@cache
def client(service: str, region: str) -> Any:
    """One boto3 client per (service, region) for the whole process (client creation dominated a
    world's build). Reusing one across worlds is safe: moto intercepts every botocore client while
    a mock is active and each `mock_aws()` starts from empty backends."""
    return boto3.client(service, region_name=region)  # type: ignore[call-overload]


def _key(region: str, purpose: str) -> str:
    kms = client("kms", region)
    meta = kms.create_key(Description=f"{ENV}-{purpose}-{region}")["KeyMetadata"]
    kms.enable_key_rotation(KeyId=meta["KeyId"])
    return meta["Arn"]


def make_bucket(region: str, name: str, key: str) -> None:
    s3 = client("s3", region)
    if region == "us-east-1":
        s3.create_bucket(Bucket=name)
    else:
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})  # type: ignore[typeddict-item]
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": [{
        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key},
        "BucketKeyEnabled": True}]})


def replicate(region: str, source: str, targets: list[tuple[str, str]]) -> None:
    """(bucket, replica key ARN) pairs, the way the data layer configures CRR (C19, C21)."""
    rules = [{
        "ID": f"to-{bucket}", "Priority": i, "Status": "Enabled", "Filter": {"Prefix": ""},
        "DeleteMarkerReplication": {"Status": "Enabled"},
        "SourceSelectionCriteria": {"SseKmsEncryptedObjects": {"Status": "Enabled"}},
        "Destination": {"Bucket": f"arn:aws:s3:::{bucket}", "EncryptionConfiguration": {"ReplicaKmsKeyID": key}},
    } for i, (bucket, key) in enumerate(targets, 1)]
    PUT_RULES.update({rule["ID"]: rule for rule in rules})
    client("s3", region).put_bucket_replication(
        Bucket=source, ReplicationConfiguration={"Role": "arn:aws:iam::123456789012:role/crr", "Rules": rules})  # type: ignore[typeddict-item]


def make_cluster(region: str, identifier: str, key: str, *, global_id: str | None = None, primary: bool = True,
                 instance: bool = True) -> None:
    rds = client("rds", region)
    params: dict[str, Any] = {
        "DBClusterIdentifier": identifier, "Engine": "aurora-postgresql", "EngineVersion": "16.6",
        "StorageEncrypted": True, "KmsKeyId": key, "DeletionProtection": True, "BackupRetentionPeriod": 30,
    }
    if global_id:
        params["GlobalClusterIdentifier"] = global_id
    if primary:
        params.update(MasterUsername="platform", MasterUserPassword=PASSWORD)
    rds.create_db_cluster(**params)
    if instance:
        rds.create_db_instance(DBInstanceIdentifier=f"{identifier}-1", DBClusterIdentifier=identifier,
                               Engine="aurora-postgresql", DBInstanceClass="db.r7g.large")


def build_world() -> dict[str, Any]:
    """Create the account (inside an active mock) and return its stack outputs."""
    keys = {r: {"database": _key(r, "database"), "storage": _key(r, "storage")} for r in REGIONS}
    regional: dict[str, Any] = {}
    for region in REGIONS:
        short = SHORT[region]
        uploads = f"{ENV}-uploads-{short}"
        make_bucket(region, uploads, keys[region]["storage"])
        ec = client("elasticache", region)
        endpoints = {}
        for role in ("cache", "queue"):
            group = ec.create_replication_group(
                ReplicationGroupId=f"{ENV}-{short}-{role}", ReplicationGroupDescription=role, Engine="redis",
                CacheNodeType="cache.r7g.large", NumCacheClusters=2, AtRestEncryptionEnabled=True,
                TransitEncryptionEnabled=True, KmsKeyId=keys[region]["database"])["ReplicationGroup"]
            endpoints[role] = f"{group['NodeGroups'][0]['PrimaryEndpoint']['Address']}:6379"
        domain = "eu" if region.startswith("eu-central") else "global"
        regional[region] = {
            "standby": region == "eu-central-1", "vpc_id": f"vpc-{short}", "cluster_name": f"{ENV}-{region}",
            "db_cluster_identifier": f"{ENV}-{domain}-{short}", "db_proxy_endpoint": f"{ENV}-{short}.proxy.example",
            "cache_endpoint": endpoints["cache"], "queue_endpoint": endpoints["queue"], "uploads_bucket": uploads,
            "kms_keys": keys[region], "ingress_hostname": f"k8s-{short}.elb.amazonaws.com",
        }
    domains: dict[str, Any] = {}
    for name, spec in DOMAINS.items():
        regions = [spec["primary"], *spec["replicas"]]
        gid = f"{ENV}-{name}"
        rds = client("rds", spec["primary"])
        rds.create_global_cluster(GlobalClusterIdentifier=gid, Engine="aurora-postgresql", EngineVersion="16.6",
                                  StorageEncrypted=True, DeletionProtection=True)
        clusters, buckets, vaults = {}, {}, {}
        for region in regions:
            cid = f"{ENV}-{name}-{SHORT[region]}"
            make_cluster(region, cid, keys[region]["database"], global_id=gid, primary=region == spec["primary"])
            clusters[region] = cid
            bucket = f"{ENV}-{name}-data-{SHORT[region]}"
            make_bucket(region, bucket, keys[region]["storage"])
            buckets[region] = bucket
            vault = f"{ENV}-{name}-{SHORT[region]}"
            client("backup", region).create_backup_vault(
                BackupVaultName=vault, EncryptionKeyArn=keys[region]["database"])
            vaults[region] = vault
        replicate(spec["primary"], buckets[spec["primary"]],
                  [(buckets[r], keys[r]["storage"]) for r in spec["replicas"]])
        domains[name] = {
            "residency": spec["residency"], "primary": spec["primary"], "replicas": spec["replicas"],
            "global_cluster_identifier": gid, "clusters": clusters, "buckets": buckets, "backup_vaults": vaults,
            "kms_keys": {r: keys[r] for r in regions},
        }
    for region, cid in (("us-east-1", f"{ENV}-tenant-initech-use1"), ("eu-west-1", f"{ENV}-tenant-hanse-eu-euw1")):
        make_cluster(region, cid, keys[region]["database"])
    tenants = {
        "acme": _tenant("shared", "none", "global", ["us-east-1", "eu-west-1", "ap-southeast-1"],
                        ("us-east-1", f"{ENV}-global-use1"), ("us-east-1", domains["global"]["buckets"]["us-east-1"])),
        "initech": _tenant("enterprise", "none", "global", ["us-east-1"],
                           ("us-east-1", f"{ENV}-tenant-initech-use1"),
                           ("us-east-1", domains["global"]["buckets"]["us-east-1"])),
        "muller-eu": _tenant("shared", "eu", "eu", ["eu-west-1", "eu-central-1"],
                             ("eu-west-1", f"{ENV}-eu-euw1"), ("eu-west-1", domains["eu"]["buckets"]["eu-west-1"])),
        "hanse-eu": _tenant("enterprise", "eu", "eu", ["eu-west-1"], ("eu-west-1", f"{ENV}-tenant-hanse-eu-euw1"),
                            ("eu-west-1", domains["eu"]["buckets"]["eu-west-1"])),
    }
    for tid, tenant in tenants.items():
        tenant["stores"]["bucket"]["prefix"] = f"tenants/{tid}/"
    hostnames = {
        "api.agentic.example.com": _hostname("none", ["us-east-1", "eu-west-1", "ap-southeast-1", "eu-central-1"]),
        "api.eu.agentic.example.com": _hostname("eu", ["eu-west-1", "eu-central-1"]),
    }
    return {
        "environment": ENV, "default_region": "us-east-1", "regions": REGIONS, "regional": regional,
        "data_domains": domains, "tenants": tenants, "hostnames": hostnames, "failover": {"detection_seconds": 30},
    }


def _tenant(tier: str, residency: str, domain: str, workloads: list[str], db: tuple[str, str],
            bucket: tuple[str, str]) -> dict[str, Any]:
    return {
        "tier": tier, "data_residency": residency, "domain": domain, "workload_regions": workloads,
        "stores": {"database": {"region": db[0], "cluster_identifier": db[1]},
                   "bucket": {"region": bucket[0], "name": bucket[1], "prefix": ""},
                   "secrets_region": db[0], "namespace": "tenant-x"},
    }


def pool_id(residency: str, region: str) -> str:
    return f"pool-{residency}-{SHORT[region]}"


def _hostname(residency: str, regions: list[str]) -> dict[str, Any]:
    return {
        "residency": residency,
        "pools": [{"region": r, "origin": f"k8s-{SHORT[r]}.elb.amazonaws.com", "pool_id": pool_id(residency, r)}
                  for r in regions],
        "load_balancer_id": f"lb-{residency}", "zone_id": "zone-1", "account_id": "acct-1", "detection_seconds": 30,
    }


def fake_key(region: str, purpose: str) -> str:
    return f"arn:aws:kms:{region}:123456789012:key/{purpose}-{SHORT[region]}"


def sample_outputs() -> dict[str, Any]:
    """The same shape as `build_world()` without creating anything (for Stubber and parsing tests)."""
    keys = {r: {"database": fake_key(r, "database"), "storage": fake_key(r, "storage")} for r in REGIONS}
    domains = {}
    for name, spec in DOMAINS.items():
        regions = [spec["primary"], *spec["replicas"]]
        domains[name] = {
            "residency": spec["residency"], "primary": spec["primary"], "replicas": spec["replicas"],
            "global_cluster_identifier": f"{ENV}-{name}",
            "clusters": {r: f"{ENV}-{name}-{SHORT[r]}" for r in regions},
            "buckets": {r: f"{ENV}-{name}-data-{SHORT[r]}" for r in regions},
            "backup_vaults": {r: f"{ENV}-{name}-{SHORT[r]}" for r in regions},
            "kms_keys": {r: keys[r] for r in regions},
        }
    regional = {r: {"standby": r == "eu-central-1", "vpc_id": f"vpc-{SHORT[r]}", "cluster_name": f"{ENV}-{r}",
                    "db_cluster_identifier": None, "db_proxy_endpoint": None, "cache_endpoint": None,
                    "queue_endpoint": None, "uploads_bucket": None, "kms_keys": keys[r], "ingress_hostname": None}
                for r in REGIONS}
    tenants = {
        "acme": _tenant("shared", "none", "global", ["us-east-1"], ("us-east-1", f"{ENV}-global-use1"),
                        ("us-east-1", f"{ENV}-global-data-use1")),
        "hanse-eu": _tenant("enterprise", "eu", "eu", ["eu-west-1"], ("eu-west-1", f"{ENV}-tenant-hanse-eu-euw1"),
                            ("eu-west-1", f"{ENV}-eu-data-euw1")),
    }
    return {
        "environment": ENV, "default_region": "us-east-1", "regions": REGIONS, "regional": regional,
        "data_domains": domains, "tenants": tenants,
        "hostnames": {
            "api.agentic.example.com": _hostname("none", ["us-east-1", "eu-west-1", "ap-southeast-1"]),
            "api.eu.agentic.example.com": _hostname("eu", ["eu-west-1", "eu-central-1"]),
        },
        "failover": {"detection_seconds": 30},
    }
