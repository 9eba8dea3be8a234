"""`ops tenant-migrate` against moto: snapshot, copy with the target key, restore, copy objects."""

from __future__ import annotations

import boto3
from botocore.stub import Stubber
from ops_world import client as moto_client
from ops_world import moto_clients_with, run_cli, stdin_deps


def put_objects(bucket: str, region: str, prefix: str, count: int) -> None:
    s3 = moto_client("s3", region)
    for i in range(count):
        s3.put_object(Bucket=bucket, Key=f"{prefix}doc-{i}.txt", Body=f"document {i}".encode())


def keys(bucket: str, region: str, prefix: str) -> dict[str, int]:
    s3 = moto_client("s3", region)
    return {o["Key"]: o["Size"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])}


def cluster_ids(region: str) -> set[str]:
    rds = moto_client("rds", region)
    return {c["DBClusterIdentifier"] for c in rds.describe_db_clusters()["DBClusters"]}


def test_dry_run_plans_every_step_and_prints_the_config_change(world, capsys):
    put_objects("prod-global-data-use1", "us-east-1", "tenants/initech/", 3)
    res = run_cli(capsys, ["tenant-migrate", "--outputs", "-", "--tenant", "initech", "--to", "eu-west-1"],
                  stdin_deps(world))
    assert res.code == 0, res.err
    out = res.out
    assert "snapshot prod-tenant-initech-use1 in us-east-1 as migrate-initech-202611261930" in out
    eu_key = world["data_domains"]["global"]["kms_keys"]["eu-west-1"]["database"]
    assert f"copy snapshot migrate-initech-202611261930 to eu-west-1, re-encrypted with {eu_key}" in out
    assert "restore cluster prod-tenant-initech-euw1 in eu-west-1 (network of prod-global-euw1)" in out
    assert "copy 3 objects" in out and "s3://prod-global-data-euw1/tenants/initech/ (eu-west-1)" in out
    assert ("config change: Pulumi.prod.yaml agentic-platform:tenants (id: initech)\n"
            "  primary_region: us-east-1 -> eu-west-1") in out
    assert "dry run: nothing changed" in out
    assert "prod-tenant-initech-euw1" not in cluster_ids("eu-west-1")


def test_enterprise_tenant_moves_with_the_target_key_and_keeps_the_source(world, capsys):
    put_objects("prod-global-data-use1", "us-east-1", "tenants/initech/", 3)
    put_objects("prod-global-data-use1", "us-east-1", "tenants/acme/", 2)
    res = run_cli(capsys, ["tenant-migrate", "--outputs", "-", "--tenant", "initech", "--to", "eu-west-1", "--apply"],
                  stdin_deps(world))
    assert res.code == 0, res.err
    rds_eu = moto_client("rds", "eu-west-1")
    restored = rds_eu.describe_db_clusters(DBClusterIdentifier="prod-tenant-initech-euw1")["DBClusters"][0]
    eu_key = world["data_domains"]["global"]["kms_keys"]["eu-west-1"]["database"]
    assert restored["StorageEncrypted"] and restored["KmsKeyId"] == eu_key
    copy = rds_eu.describe_db_cluster_snapshots(DBClusterSnapshotIdentifier="migrate-initech-202611261930")
    assert copy["DBClusterSnapshots"][0]["KmsKeyId"] == eu_key
    assert "prod-tenant-initech-use1" in cluster_ids("us-east-1")  # never deleted
    copied = set(keys("prod-global-data-euw1", "eu-west-1", "tenants/"))
    assert copied == {f"tenants/initech/doc-{i}.txt" for i in range(3)}  # only this tenant's prefix
    assert len(keys("prod-global-data-use1", "us-east-1", "tenants/initech/")) == 3
    assert "objects: copied 3, skipped 0 already present, 3/3 verified" in res.out
    assert "data copied to eu-west-1 and verified" in res.out


def test_shared_tenant_copies_its_prefix_only_and_skips_what_is_there(world, capsys):
    put_objects("prod-eu-data-euw1", "eu-west-1", "tenants/muller-eu/", 4)
    put_objects("prod-eu-data-euc1", "eu-central-1", "tenants/muller-eu/", 1)  # doc-0 already replicated
    res = run_cli(capsys, ["tenant-migrate", "--outputs", "-", "--tenant", "muller-eu", "--to", "eu-central-1",
                           "--apply"], stdin_deps(world))
    assert res.code == 0, res.err
    assert "shared tier rows live in the domain's Aurora Global cluster" in res.out
    assert "objects: copied 3, skipped 1 already present, 4/4 verified" in res.out
    assert len(keys("prod-eu-data-euc1", "eu-central-1", "tenants/muller-eu/")) == 4
    head = moto_client("s3", "eu-central-1").head_object(Bucket="prod-eu-data-euc1",
                                                                      Key="tenants/muller-eu/doc-3.txt")
    assert head["ServerSideEncryption"] == "aws:kms"
    assert head["SSEKMSKeyId"] == world["data_domains"]["eu"]["kms_keys"]["eu-central-1"]["storage"]


def test_target_outside_the_tenants_residency_is_refused(world, capsys):
    res = run_cli(capsys, ["tenant-migrate", "--outputs", "-", "--tenant", "hanse-eu", "--to", "us-east-1",
                           "--apply"], stdin_deps(world))
    assert res.code == 2
    assert res.err.strip() == ("ops tenant-migrate: refusing to move tenant hanse-eu to us-east-1: outside its"
                               " residency eu (data domain eu (eu-west-1, eu-central-1))")
    assert not any(c.startswith("prod-tenant-hanse-eu") for c in cluster_ids("us-east-1"))


def test_same_region_and_unknown_tenant(world, capsys):
    same = run_cli(capsys, ["tenant-migrate", "--outputs", "-", "--tenant", "hanse-eu", "--to", "eu-west-1"],
                   stdin_deps(world))
    assert same.code == 2 and "already lives in eu-west-1" in same.err
    unknown = run_cli(capsys, ["tenant-migrate", "--outputs", "-", "--tenant", "nobody", "--to", "eu-west-1"],
                      stdin_deps(world))
    assert unknown.code == 2
    assert "unknown tenant 'nobody' (stack outputs have: acme, hanse-eu, initech, muller-eu)" in unknown.err


def test_enterprise_tenant_without_database_store_names_the_key(world, capsys):
    world["tenants"]["hanse-eu"]["stores"]["database"] = None
    world["tenants"]["hanse-eu"]["stores"]["bucket"] = None
    world["tenants"]["hanse-eu"]["workload_regions"] = ["eu-west-1"]
    res = run_cli(capsys, ["tenant-migrate", "--outputs", "-", "--tenant", "hanse-eu", "--to", "eu-central-1"],
                  stdin_deps(world))
    assert res.code == 2 and "missing key `tenants.hanse-eu.stores.database` (enterprise tier)" in res.err


def test_access_denied_on_the_source_prefix(world, capsys):
    s3 = boto3.client("s3", region_name="us-east-1")
    stub = Stubber(s3)
    stub.add_client_error("list_objects_v2", service_error_code="AccessDenied", http_status_code=403)
    clients = moto_clients_with({("s3", "us-east-1"): s3})
    with stub:
        res = run_cli(capsys, ["tenant-migrate", "--outputs", "-", "--tenant", "initech", "--to", "eu-west-1"],
                      stdin_deps(world, clients=clients))
    assert res.code == 3
    assert res.err.strip() == ("ops tenant-migrate: missing permission s3:ListBucket"
                               " for prod-global-data-use1 in us-east-1")
