"""`ops verify` against a moto account: a healthy estate passes, each broken promise fails."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest
from ops_world import make_bucket, make_deps, run_cli, stdin_deps, write_outputs

from ops.verify import configured_retention


def rows_with(out: str, result: str) -> list[str]:
    return [line for line in out.splitlines() if f"  {result}  " in line]


def test_healthy_estate_passes_every_check(world, tmp_path, capsys):
    seen: list[str] = []

    def http_get(url: str, timeout: float) -> tuple[int, str]:
        seen.append(url)
        return 200, "ok"

    res = run_cli(capsys, ["verify", "--outputs", write_outputs(tmp_path, world), "--url", "https://api.example/"],
                  make_deps(http_get=http_get))
    assert res.code == 0, res.out
    assert rows_with(res.out, "FAIL") == []
    assert seen == ["https://api.example/health", "https://api.example/health/live", "https://api.example/health/ready"]
    for check in ("rds.encryption", "rds.deletion_protection", "rds.backup_retention", "redis.cache.encryption",
                  "redis.queue.transit_encryption", "s3.versioning", "s3.encryption", "residency.replication",
                  "s3.replication_coverage", "residency.tenant", "residency.global_members", "backup.vault",
                  "kms.rotation", "health"):
        assert check in res.out
    assert res.out.strip().endswith("passed (prod)")


def test_reads_outputs_from_stdin(world, capsys):
    res = run_cli(capsys, ["verify", "--outputs", "-"], stdin_deps(world))
    assert res.code == 0
    assert "check" in res.out.splitlines()[0] and "result" in res.out.splitlines()[0]


def test_replica_outside_the_domain_fails(world, tmp_path, capsys):
    """An EU bucket replicating to us-east-1 breaks residency even if everything else is fine."""
    eu = world["data_domains"]["eu"]
    us_key = world["regional"]["us-east-1"]["kms_keys"]["storage"]
    make_bucket("us-east-1", "leaky-replica", us_key)
    s3 = boto3.client("s3", region_name="eu-west-1")
    config = s3.get_bucket_replication(Bucket=eu["buckets"]["eu-west-1"])["ReplicationConfiguration"]
    config["Rules"].append({
        "ID": "leak", "Priority": 9, "Status": "Enabled", "Filter": {"Prefix": ""},
        "DeleteMarkerReplication": {"Status": "Disabled"},
        "SourceSelectionCriteria": {"SseKmsEncryptedObjects": {"Status": "Enabled"}},
        "Destination": {"Bucket": "arn:aws:s3:::leaky-replica",
                        "EncryptionConfiguration": {"ReplicaKmsKeyID": us_key}}})
    s3.put_bucket_replication(Bucket=eu["buckets"]["eu-west-1"], ReplicationConfiguration=config)
    res = run_cli(capsys, ["verify", "--outputs", write_outputs(tmp_path, world)])
    assert res.code == 1
    failed = rows_with(res.out, "FAIL")
    assert len(failed) == 1
    assert "leaky-replica" in failed[0] and "outside data domain eu (eu-west-1, eu-central-1)" in failed[0]
    assert "verify: 1 of" in res.out


def test_unencrypted_bucket_and_suspended_versioning_fail(world, tmp_path, capsys):
    bucket = world["regional"]["ap-southeast-1"]["uploads_bucket"]
    s3 = boto3.client("s3", region_name="ap-southeast-1")
    s3.delete_bucket_encryption(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})
    res = run_cli(capsys, ["verify", "--outputs", write_outputs(tmp_path, world)])
    assert res.code == 1
    failed = "\n".join(rows_with(res.out, "FAIL"))
    assert "s3.versioning" in failed and "Suspended" in failed
    assert "s3.encryption" in failed


def test_key_from_another_region_fails(world, tmp_path, capsys):
    """KMS keys are regional (C4): a cluster whose key ARN names another region is flagged."""
    foreign = world["regional"]["us-east-1"]["kms_keys"]["database"]
    rds = boto3.client("rds", region_name="eu-west-1")
    rds.create_db_cluster(DBClusterIdentifier="prod-tenant-odd-euw1", Engine="aurora-postgresql",
                          MasterUsername="u", MasterUserPassword="long-enough-pw", StorageEncrypted=True,
                          KmsKeyId=foreign, DeletionProtection=True, BackupRetentionPeriod=30)
    world["tenants"]["hanse-eu"]["stores"]["database"]["cluster_identifier"] = "prod-tenant-odd-euw1"
    res = run_cli(capsys, ["verify", "--outputs", write_outputs(tmp_path, world)])
    assert res.code == 1
    failed = rows_with(res.out, "FAIL")
    assert any("rds.encryption" in r and "is in us-east-1, not in the resource's region eu-west-1" in r for r in failed)


def test_low_backup_retention_and_no_deletion_protection_fail(world, tmp_path, capsys):
    rds = boto3.client("rds", region_name="us-east-1")
    rds.modify_db_cluster(DBClusterIdentifier="prod-tenant-initech-use1", BackupRetentionPeriod=7,
                          DeletionProtection=False)
    res = run_cli(capsys, ["verify", "--outputs", write_outputs(tmp_path, world)])
    assert res.code == 1
    failed = [r.split() for r in rows_with(res.out, "FAIL")]
    assert ["rds.backup_retention", "prod-tenant-initech-use1", "us-east-1", "FAIL", "7", "days", "(required", ">=",
            "30,", "default)"] in failed
    assert ["rds.deletion_protection", "prod-tenant-initech-use1", "us-east-1", "FAIL", "off"] in failed
    assert len(failed) == 2


def test_retention_threshold_follows_the_flag(world, tmp_path, capsys):
    res = run_cli(capsys, ["verify", "--outputs", write_outputs(tmp_path, world), "--min-backup-retention-days", "35",
                           "--only-problems"])
    assert res.code == 1
    lines = res.out.strip().splitlines()
    assert all("PASS" not in line for line in lines)
    clusters = 3 + 2 + 2  # global and eu domain members + two enterprise tenants (regional ids repeat them)
    assert sum("30 days (required >= 35, --min-backup-retention-days)" in line for line in lines) == clusters
    assert lines[-1].startswith(f"verify: {clusters} of ")


def test_deletion_protection_is_not_required_in_dev(world, tmp_path, capsys):
    world["environment"] = "dev"
    boto3.client("rds", region_name="us-east-1").modify_db_cluster(
        DBClusterIdentifier="prod-tenant-initech-use1", DeletionProtection=False)
    res = run_cli(capsys, ["verify", "--outputs", write_outputs(tmp_path, world)])
    assert res.code == 0
    assert "off (not required in dev)" in res.out


def test_tenant_store_outside_its_domain_fails(world, tmp_path, capsys):
    world["tenants"]["muller-eu"]["stores"]["secrets_region"] = "us-east-1"
    world["tenants"]["muller-eu"]["workload_regions"] = ["eu-west-1", "us-east-1"]
    res = run_cli(capsys, ["verify", "--outputs", write_outputs(tmp_path, world)])
    assert res.code == 1
    failed = rows_with(res.out, "FAIL")
    assert any("muller-eu secrets" in r and "outside data domain eu" in r for r in failed)
    assert any("muller-eu workloads" in r and "us-east-1" in r for r in failed)


def test_missing_cluster_and_cache_endpoint_fail(world, tmp_path, capsys):
    world["regional"]["eu-central-1"]["cache_endpoint"] = "master.gone.abc.euc1.cache.amazonaws.com:6379"
    world["tenants"]["initech"]["stores"]["database"]["cluster_identifier"] = "prod-tenant-gone-use1"
    res = run_cli(capsys, ["verify", "--outputs", write_outputs(tmp_path, world)])
    assert res.code == 1
    failed = "\n".join(rows_with(res.out, "FAIL"))
    assert "cluster not found in us-east-1" in failed
    assert "no replication group with this endpoint" in failed


@pytest.mark.parametrize(("status", "body", "detail"),
                         [(503, "", "HTTP 503"), (0, "connection refused", "unreachable")])
def test_unhealthy_endpoint_fails(world, tmp_path, capsys, status, body, detail):
    def http_get(url: str, timeout: float) -> tuple[int, str]:
        return (status, body) if url.endswith("/ready") else (200, "ok")

    res = run_cli(capsys, ["verify", "--outputs", write_outputs(tmp_path, world), "--url", "https://api.example"],
                  make_deps(http_get=http_get))
    assert res.code == 1
    failed = rows_with(res.out, "FAIL")
    assert len(failed) == 1 and "/health/ready" in failed[0] and detail in failed[0]


def test_resident_hostname_with_a_pool_outside_its_domain_fails(world, tmp_path, capsys):
    eu_host = world["hostnames"]["api.eu.agentic.example.com"]
    eu_host["pools"].append({"region": "us-east-1", "origin": "k8s-use1", "pool_id": "pool-eu-use1"})
    res = run_cli(capsys, ["verify", "--outputs", write_outputs(tmp_path, world), "--only-problems"])
    assert res.code == 1
    (row,) = rows_with(res.out, "FAIL")
    assert "residency.hostname" in row and "pools outside data domain eu (eu-west-1, eu-central-1): us-east-1" in row


def test_retention_threshold_comes_from_the_stack_file(world, tmp_path, capsys):
    """Each stack configures its own retention; verify reads the same file `pulumi up` used."""
    (tmp_path / "Pulumi.prod.yaml").write_text("config:\n  agentic-platform:database:\n    backup_retention_days: 35\n")
    res = run_cli(capsys, ["verify", "--outputs", write_outputs(tmp_path, world), "--only-problems"])
    assert res.code == 1
    assert "30 days (required >= 35, Pulumi.prod.yaml)" in res.out


def test_repo_stack_files_give_their_retention():
    root = Path(__file__).resolve().parents[2]
    assert configured_retention("staging", str(root / "Pulumi.staging.yaml")) == (14, "Pulumi.staging.yaml")
    assert configured_retention("dev", None, search=root) == (7, "Pulumi.dev.yaml")
    assert configured_retention("local", None, search=root)[0] == 30


@pytest.mark.parametrize(("text", "message"), [
    ("config:\n  agentic-platform:database:\n    backup_retention_days: soon\n", "must be a positive integer"),
    ("config: [unclosed\n", "is not valid YAML"),
])
def test_bad_stack_file_is_one_line(world, tmp_path, capsys, text, message):
    (tmp_path / "stack.yaml").write_text(text)
    res = run_cli(capsys, ["verify", "--outputs", write_outputs(tmp_path, world), "--stack-config",
                           str(tmp_path / "stack.yaml")])
    assert res.code == 2 and message in res.err and len(res.err.strip().splitlines()) == 1


def test_missing_stack_file_and_bad_threshold(world, tmp_path, capsys):
    res = run_cli(capsys, ["verify", "--outputs", write_outputs(tmp_path, world), "--stack-config", "nope.yaml"])
    assert res.code == 2 and "--stack-config file not found: nope.yaml" in res.err
    res = run_cli(capsys, ["verify", "--outputs", write_outputs(tmp_path, world), "--min-backup-retention-days", "0"])
    assert res.code == 2 and "must be at least 1" in res.err
