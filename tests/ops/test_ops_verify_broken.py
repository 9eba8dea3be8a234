"""`ops verify` on an account broken in moto: each test changes the account itself (a replica
outside the domain, an unencrypted bucket, a key from another region, retention and deletion
protection), so each gets a fresh one from the `world` fixture (tests/ops/conftest.py)."""

from __future__ import annotations

from ops_world import client as moto_client
from ops_world import make_bucket, rows_with, run_cli, write_outputs


def test_replica_outside_the_domain_fails(world, tmp_path, capsys):
    """An EU bucket replicating to us-east-1 breaks residency even if everything else is fine."""
    eu = world["data_domains"]["eu"]
    us_key = world["regional"]["us-east-1"]["kms_keys"]["storage"]
    make_bucket("us-east-1", "leaky-replica", us_key)
    s3 = moto_client("s3", "eu-west-1")
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
    s3 = moto_client("s3", "ap-southeast-1")
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
    rds = moto_client("rds", "eu-west-1")
    rds.create_db_cluster(DBClusterIdentifier="prod-tenant-odd-euw1", Engine="aurora-postgresql",
                          MasterUsername="u", MasterUserPassword="long-enough-pw", StorageEncrypted=True,
                          KmsKeyId=foreign, DeletionProtection=True, BackupRetentionPeriod=30)
    world["tenants"]["hanse-eu"]["stores"]["database"]["cluster_identifier"] = "prod-tenant-odd-euw1"
    res = run_cli(capsys, ["verify", "--outputs", write_outputs(tmp_path, world)])
    assert res.code == 1
    failed = rows_with(res.out, "FAIL")
    assert any("rds.encryption" in r and "is in us-east-1, not in the resource's region eu-west-1" in r for r in failed)


def test_low_backup_retention_and_no_deletion_protection_fail(world, tmp_path, capsys):
    rds = moto_client("rds", "us-east-1")
    rds.modify_db_cluster(DBClusterIdentifier="prod-tenant-initech-use1", BackupRetentionPeriod=7,
                          DeletionProtection=False)
    res = run_cli(capsys, ["verify", "--outputs", write_outputs(tmp_path, world)])
    assert res.code == 1
    failed = [r.split() for r in rows_with(res.out, "FAIL")]
    assert ["rds.backup_retention", "prod-tenant-initech-use1", "us-east-1", "FAIL", "7", "days", "(required", ">=",
            "30,", "default)"] in failed
    assert ["rds.deletion_protection", "prod-tenant-initech-use1", "us-east-1", "FAIL", "off"] in failed
    assert len(failed) == 2


def test_deletion_protection_is_not_required_in_dev(world, tmp_path, capsys):
    world["environment"] = "dev"
    moto_client("rds", "us-east-1").modify_db_cluster(
        DBClusterIdentifier="prod-tenant-initech-use1", DeletionProtection=False)
    res = run_cli(capsys, ["verify", "--outputs", write_outputs(tmp_path, world)])
    assert res.code == 0
    assert "off (not required in dev)" in res.out
