"""`ops tenant-purge` against moto (S3, RDS) with AWS Backup stubbed (moto has no recovery points):
every version of the tenant's objects goes from every bucket of its domain, nothing else does."""

from __future__ import annotations

import copy
import re
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.stub import Stubber
from ops_world import client as moto_client
from ops_world import make_deps, run_cli, stdin_deps

from ops.aws import Clients

GLOBAL = {"us-east-1": "prod-global-data-use1", "eu-west-1": "prod-global-data-euw1",
          "ap-southeast-1": "prod-global-data-apse1"}
EU = {"eu-west-1": "prod-eu-data-euw1", "eu-central-1": "prod-eu-data-euc1"}


def s3(region: str) -> Any:
    return moto_client("s3", region)


def seed(buckets: dict[str, str]) -> None:
    """In each bucket: acme with two versions and a delete marker, a neighbour tenant, a look-alike key."""
    for region, bucket in buckets.items():
        c = s3(region)
        c.put_object(Bucket=bucket, Key="tenants/acme/a.txt", Body=b"v1")
        c.put_object(Bucket=bucket, Key="tenants/acme/a.txt", Body=b"v2")
        c.put_object(Bucket=bucket, Key="tenants/acme/gone.txt", Body=b"x")
        c.delete_object(Bucket=bucket, Key="tenants/acme/gone.txt")
        c.put_object(Bucket=bucket, Key="tenants/initech/b.txt", Body=b"neighbour")
        c.put_object(Bucket=bucket, Key="tenants/acmecorp/c.txt", Body=b"look-alike")
        c.put_object(Bucket=bucket, Key="tenants/muller-eu/d.txt", Body=b"eu tenant")


def all_versions(region: str, bucket: str) -> list[str]:
    page = s3(region).list_object_versions(Bucket=bucket)
    return sorted(v["Key"] for v in page.get("Versions", []) + page.get("DeleteMarkers", []))


def deps_with_backups(world: dict[str, Any], domain: str, runs: int = 1, **kwargs: Any) -> Any:
    """moto for S3/RDS; a Stubber answering ListRecoveryPointsByBackupVault for each vault of the domain."""
    session = boto3.Session()
    overrides = {}
    for region, vault in world["data_domains"][domain]["backup_vaults"].items():
        raw = session.client("backup", region_name=region)
        stub = Stubber(raw)
        for _ in range(runs):
            stub.add_response("list_recovery_points_by_backup_vault", {"RecoveryPoints": [
                {"RecoveryPointArn": f"arn:aws:backup:{region}:123456789012:recovery-point:{i}",
                 "CreationDate": datetime(2026, 11, 20 + i, 3, tzinfo=UTC),
                 "CalculatedLifecycle": {"DeleteAt": datetime(2026, 12, 20 + i, 3, tzinfo=UTC)}}
                for i in range(3)]}, {"BackupVaultName": vault})
        stub.activate()
        overrides[("backup", region)] = raw
    deps = make_deps(Clients(session=session, overrides=overrides))
    return stdin_deps(world, clients=deps.clients, **kwargs)


def test_dry_run_reports_every_bucket_and_the_backups_and_deletes_nothing(world, capsys):
    seed(GLOBAL)
    before = {b: all_versions(r, b) for r, b in GLOBAL.items()}
    res = run_cli(capsys, ["tenant-purge", "--outputs", "-", "--tenant", "acme"], deps_with_backups(world, "global"))
    assert res.code == 0, res.err
    for region, bucket in GLOBAL.items():
        assert f"s3://{bucket}/tenants/acme/ ({region}): delete 4 version(s)" in res.out
    assert "prod-eu-data" not in res.out  # another domain's buckets are not even listed
    rows = {cells[0]: cells[1:] for cells in (re.split(r"\s{2,}", line) for line in res.out.splitlines())}
    # until: the last recovery point's DeleteAt; Aurora: now (2026-11-26) + 30 days of retention
    assert rows["us-east-1 backup vault prod-global-use1"] == ["recovery points of the domain's database", "3",
                                                              "2026-12-22"]
    assert rows["us-east-1 Aurora prod-global-use1"] == ["automated backups (point-in-time window)", "30 days",
                                                         "2026-12-26"]
    assert "dry run: nothing changed" in res.out
    assert {b: all_versions(r, b) for r, b in GLOBAL.items()} == before


def test_apply_erases_every_version_in_the_domain_and_nothing_else(world, capsys):
    seed(GLOBAL)
    seed(EU)
    eu_before = {b: all_versions(r, b) for r, b in EU.items()}
    res = run_cli(capsys, ["tenant-purge", "--outputs", "-", "--tenant", "acme", "--apply"],
                  deps_with_backups(world, "global"))
    assert res.code == 0, res.err
    for region, bucket in GLOBAL.items():
        assert all_versions(region, bucket) == ["tenants/acmecorp/c.txt", "tenants/initech/b.txt",
                                                "tenants/muller-eu/d.txt"]
    assert {b: all_versions(r, b) for r, b in EU.items()} == eu_before
    assert "12 object version(s) and delete marker(s) permanently deleted under tenants/acme/ in 3 bucket(s)" in res.out


def test_eu_tenant_purge_stays_in_the_eu_domain(world, capsys):
    seed(GLOBAL)
    seed(EU)
    global_before = {b: all_versions(r, b) for r, b in GLOBAL.items()}
    res = run_cli(capsys, ["tenant-purge", "--outputs", "-", "--tenant", "muller-eu", "--apply"],
                  deps_with_backups(world, "eu"))
    assert res.code == 0, res.err
    for region, bucket in EU.items():
        assert "tenants/muller-eu/d.txt" not in all_versions(region, bucket)
        assert "tenants/acme/a.txt" in all_versions(region, bucket)
    assert {b: all_versions(r, b) for r, b in GLOBAL.items()} == global_before


def test_overlapping_or_unnamed_prefixes_are_refused_before_any_call(world, capsys):
    seed(GLOBAL)
    overlapping = copy.deepcopy(world)
    overlapping["tenants"]["initech"]["stores"]["bucket"]["prefix"] = "tenants/"
    res = run_cli(capsys, ["tenant-purge", "--outputs", "-", "--tenant", "acme", "--apply"], stdin_deps(overlapping))
    assert res.code == 2
    assert "refusing to purge tenant acme: its prefix 'tenants/acme/' overlaps tenant initech's 'tenants/'" in res.err
    unnamed = copy.deepcopy(world)
    unnamed["tenants"]["acme"]["stores"]["bucket"]["prefix"] = "shared/"
    res = run_cli(capsys, ["tenant-purge", "--outputs", "-", "--tenant", "acme", "--apply"], stdin_deps(unnamed))
    assert res.code == 2 and "must end with '/' and name the tenant" in res.err
    assert "tenants/acme/a.txt" in all_versions("us-east-1", GLOBAL["us-east-1"])


def test_unknown_tenant_is_one_line(world, capsys):
    res = run_cli(capsys, ["tenant-purge", "--outputs", "-", "--tenant", "nobody"], stdin_deps(world))
    assert res.code == 2
    assert res.err.strip().startswith("ops tenant-purge: unknown tenant 'nobody' (stack outputs have: acme,")
    assert "Traceback" not in res.err
