"""`ops restore-drill` against moto: restores into drill-*, runs the hook, deletes only drill-*."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from moto import mock_aws
from ops_world import PASSWORD, make_deps, run_cli, stdin_deps
from ops_world import client as moto_client

from ops import restore_drill
from ops.errors import OperationFailed

SOURCE = "staging-global-use1"


@pytest.fixture
def single_region() -> Iterator[dict[str, Any]]:
    """A staging-shaped account: one region, no global cluster, a standalone cluster with two snapshots."""
    with mock_aws():
        kms = moto_client("kms", "us-east-1")
        key = kms.create_key()["KeyMetadata"]["Arn"]
        rds = moto_client("rds", "us-east-1")
        rds.create_db_cluster(DBClusterIdentifier=SOURCE, Engine="aurora-postgresql", EngineVersion="16.6",
                              MasterUsername="platform", MasterUserPassword=PASSWORD, StorageEncrypted=True,
                              KmsKeyId=key, DeletionProtection=True, BackupRetentionPeriod=30)
        rds.create_db_instance(DBInstanceIdentifier=f"{SOURCE}-1", DBClusterIdentifier=SOURCE,
                               Engine="aurora-postgresql", DBInstanceClass="db.r6g.large")
        for name in ("nightly-1", "nightly-2"):
            rds.create_db_cluster_snapshot(DBClusterIdentifier=SOURCE, DBClusterSnapshotIdentifier=name)
        yield {
            "environment": "staging", "default_region": "us-east-1", "regions": ["us-east-1"],
            "regional": {"us-east-1": {"standby": False, "kms_keys": {"rds": key, "s3": key}}},
            "data_domains": {"global": {
                "residency": "none", "primary": "us-east-1", "replicas": [], "global_cluster_identifier": None,
                "clusters": {"us-east-1": SOURCE}, "buckets": {}, "backup_vaults": {},
                "kms_keys": {"us-east-1": {"rds": key}}}},
            "tenants": {},
        }


def clusters() -> set[str]:
    return {c["DBClusterIdentifier"] for c in
            moto_client("rds", "us-east-1").describe_db_clusters()["DBClusters"]}


def snapshots() -> set[str]:
    return {s["DBClusterSnapshotIdentifier"] for s in
            moto_client("rds", "us-east-1").describe_db_cluster_snapshots()["DBClusterSnapshots"]}


class Hook:
    def __init__(self, code: int = 0):
        self.code = code
        self.calls: list[tuple[str, dict[str, str]]] = []

    def __call__(self, command: str, env: Mapping[str, str]) -> int:
        self.calls.append((command, dict(env)))
        assert env["DRILL_CLUSTER"] in clusters()  # the drill cluster exists while the hook runs
        return self.code


def test_dry_run_names_the_latest_snapshot_and_creates_nothing(single_region, capsys):
    res = run_cli(capsys, ["restore-drill", "--outputs", "-", "--domain", "global"], stdin_deps(single_region))
    assert res.code == 0, res.err
    assert "from snapshot nightly-2" in res.out
    assert "restore into temporary cluster drill-staging-global-use1-202611261930" in res.out
    assert "(db.r6g.large)" in res.out
    assert clusters() == {SOURCE}


def test_apply_restores_runs_the_hook_and_removes_only_the_drill(single_region, capsys):
    hook = Hook()
    before = snapshots()
    res = run_cli(capsys, ["restore-drill", "--outputs", "-", "--domain", "global", "--check-hook",
                           "psql -c 'select 1'", "--apply"], stdin_deps(single_region, run_hook=hook))
    assert res.code == 0, res.err
    (command, env), = hook.calls
    assert command == "psql -c 'select 1'"
    assert env["DRILL_CLUSTER"] == "drill-staging-global-use1-202611261930"
    assert env["PGHOST"] == env["DRILL_ENDPOINT"] and env["DRILL_ENDPOINT"].startswith("drill-staging-global-use1")
    assert clusters() == {SOURCE}  # drill gone, source kept
    assert {s for s in snapshots() if "drill-" not in s} == before  # the source's snapshots are untouched
    instances = {i["DBInstanceIdentifier"] for i in
                 moto_client("rds", "us-east-1").describe_db_instances()["DBInstances"]}
    assert instances == {f"{SOURCE}-1"}
    for step in ("restore cluster", "create instance", "check hook", "delete drill resources", "total"):
        assert step in res.out
    assert "within the 60 min RTO" in res.out


def test_point_in_time_restore(single_region, capsys):
    res = run_cli(capsys, ["restore-drill", "--outputs", "-", "--domain", "global", "--point-in-time",
                           "2026-11-26T19:00:00Z", "--apply"], stdin_deps(single_region))
    assert res.code == 0, res.err
    assert "from point in time 2026-11-26T19:00:00+00:00" in res.out
    assert clusters() == {SOURCE}


def test_failed_hook_still_cleans_up_and_exits_1(single_region, capsys):
    res = run_cli(capsys, ["restore-drill", "--outputs", "-", "--domain", "global", "--check-hook", "false",
                           "--apply"], stdin_deps(single_region, run_hook=Hook(code=3)))
    assert res.code == 1
    assert "check hook failed with exit code 3 against drill-staging-global-use1-202611261930" in res.err
    assert clusters() == {SOURCE}, res.out


@pytest.mark.parametrize(("args", "message"), [
    (["--point-in-time", "yesterday"], "is not an ISO 8601 time"),
    (["--point-in-time", "2030-01-01T00:00:00Z"], "is in the future"),
    (["--region", "eu-west-1"], "refusing to restore into eu-west-1: it is outside data domain global (us-east-1)"),
    (["--domain", "eu"], "unknown data domain 'eu'"),
])
def test_bad_input_is_refused(single_region, capsys, args, message):
    argv = ["restore-drill", "--outputs", "-", "--domain", "global", *args]
    res = run_cli(capsys, argv, stdin_deps(single_region))
    assert res.code == 2 and message in res.err and "Traceback" not in res.err


def test_no_snapshot_is_a_clear_failure(single_region, capsys):
    """moto always keeps an automated snapshot, so the empty answer comes from a Stubber."""
    from botocore.stub import Stubber

    from ops.aws import Clients

    client = boto3.client("rds", region_name="us-east-1")
    stub = Stubber(client)
    stub.add_response("describe_db_clusters", {"DBClusters": [{
        "DBClusterIdentifier": SOURCE, "Engine": "aurora-postgresql", "Status": "available"}]},
        {"DBClusterIdentifier": SOURCE})
    stub.add_response("describe_db_cluster_snapshots", {"DBClusterSnapshots": []}, {"DBClusterIdentifier": SOURCE})
    with stub:
        res = run_cli(capsys, ["restore-drill", "--outputs", "-", "--domain", "global"],
                      stdin_deps(single_region, clients=Clients(overrides={("rds", "us-east-1"): client})))
    assert res.code == 1 and "no available snapshot of cluster staging-global-use1 in us-east-1" in res.err


def test_delete_guard_refuses_anything_not_named_drill(single_region):
    with pytest.raises(OperationFailed, match="refusing to delete staging-global-use1"):
        restore_drill._cleanup(make_deps(), "us-east-1", SOURCE, f"drill-{SOURCE}-1")
    with pytest.raises(OperationFailed, match="refusing to delete staging-global-use1-1"):
        restore_drill._cleanup(make_deps(), "us-east-1", "drill-x", f"{SOURCE}-1")
    assert clusters() == {SOURCE}


def test_drill_names_are_valid_rds_identifiers():
    now = datetime(2026, 1, 2, 3, 4, tzinfo=UTC)
    assert restore_drill.drill_name("prod-global-use1", now) == "drill-prod-global-use1-202601020304"
    long = restore_drill.drill_name("x" * 80 + "--Y_z", now)
    assert len(long) <= 60 and long.startswith("drill-x") and "--" not in long and long.endswith("-202601020304")


def test_access_denied_on_restore(single_region, capsys):
    from botocore.stub import Stubber

    from ops.aws import Clients

    client = boto3.client("rds", region_name="us-east-1")
    stub = Stubber(client)
    stub.add_client_error("describe_db_clusters", service_error_code="AccessDenied", http_status_code=403,
                          service_message="not authorized")
    with stub:
        res = run_cli(capsys, ["restore-drill", "--outputs", "-", "--domain", "global"],
                      stdin_deps(single_region, clients=Clients(overrides={("rds", "us-east-1"): client})))
    assert res.code == 3
    assert res.err.strip() == ("ops restore-drill: missing permission rds:DescribeDBClusters"
                               " for staging-global-use1 in us-east-1")
