"""`ops failover` with botocore's Stubber (moto has no SwitchoverGlobalCluster/FailoverGlobalCluster).

The stubbed responses use the real RDS shapes (botocore validates them), and the Cloudflare
transport is a fake that records requests and answers like the v4 API.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from ops_world import pool_id, run_cli, sample_outputs, stdin_deps

from ops.aws import Clients

GID = "prod-eu"
EUW1 = "arn:aws:rds:eu-west-1:123456789012:cluster:prod-eu-euw1"
EUC1 = "arn:aws:rds:eu-central-1:123456789012:cluster:prod-eu-euc1"
EU_LB = "lb-eu"


def global_cluster(writer: str, status: str = "available", failover: dict[str, Any] | None = None) -> dict[str, Any]:
    cluster: dict[str, Any] = {
        "GlobalClusterIdentifier": GID, "GlobalClusterArn": f"arn:aws:rds::123456789012:global-cluster:{GID}",
        "Status": status, "Engine": "aurora-postgresql", "EngineVersion": "16.6", "StorageEncrypted": True,
        "DeletionProtection": True,
        "GlobalClusterMembers": [
            {"DBClusterArn": arn, "IsWriter": arn == writer, "Readers": [],
             "SynchronizationStatus": "connected"} for arn in (EUW1, EUC1)],
    }
    if failover:
        cluster["FailoverState"] = failover
    return cluster


def describe(stub: Stubber, cluster: dict[str, Any]) -> None:
    stub.add_response("describe_global_clusters", {"GlobalClusters": [cluster]}, {"GlobalClusterIdentifier": GID})


class FakeCloudflare:
    def __init__(self, status: int = 200):
        self.status = status
        self.calls: list[tuple[str, str, dict[str, Any] | None]] = []
        self.lb: dict[str, Any] = {
            "id": EU_LB, "name": "api.eu.agentic.example.com",
            "default_pools": [pool_id("eu", "eu-west-1"), pool_id("eu", "eu-central-1")],
            "fallback_pool": pool_id("eu", "eu-west-1"),
            "region_pools": {"WEU": [pool_id("eu", "eu-west-1"), pool_id("eu", "eu-central-1")],
                             "EEU": [pool_id("eu", "eu-central-1"), pool_id("eu", "eu-west-1")]},
        }

    def __call__(self, method: str, url: str, headers: dict[str, str], body: bytes | None) -> tuple[int, bytes]:
        assert headers["Authorization"] == "Bearer cf-token"
        self.calls.append((method, url, json.loads(body) if body else None))
        if self.status != 200:
            return self.status, json.dumps({"success": False, "errors": [{"code": 10000,
                                                                         "message": "Authentication error"}]}).encode()
        if method == "PATCH":
            self.lb.update(json.loads(body or b"{}"))
        return 200, json.dumps({"success": True, "errors": [], "result": self.lb}).encode()


def stubbed(region: str = "eu-central-1") -> tuple[Clients, Stubber]:
    client = boto3.client("rds", region_name=region)
    return Clients(overrides={("rds", region): client}), Stubber(client)


def argv(*extra: str) -> list[str]:
    return ["failover", "--outputs", "-", "--domain", "eu", "--to", "eu-central-1", *extra]


def test_dry_run_prints_the_plan_and_changes_nothing(capsys):
    clients, stub = stubbed()
    describe(stub, global_cluster(EUW1))
    with stub:
        res = run_cli(capsys, argv(), stdin_deps(sample_outputs(), clients=clients))
        stub.assert_no_pending_responses()
    assert res.code == 0, res.err
    assert "SwitchoverGlobalCluster: prod-eu writer eu-west-1 -> eu-central-1" in res.out
    assert f"pool {pool_id('eu', 'eu-central-1')} (eu-central-1) first" in res.out
    assert "api.agentic.example.com" not in res.out  # the global hostname is not the EU domain's
    assert "dry run: nothing changed" in res.out
    assert "eu-central-1 is a warm standby" in res.out  # its floors must be raised after the switch
    assert "set `standby: false` for eu-central-1 in `agentic-platform:regions`" in res.out


def test_planned_switchover_waits_for_the_writer_and_reorders_eu_pools(capsys):
    clients, stub = stubbed()
    describe(stub, global_cluster(EUW1))
    stub.add_response("switchover_global_cluster", {"GlobalCluster": global_cluster(EUW1, "modifying")},
                      {"GlobalClusterIdentifier": GID, "TargetDbClusterIdentifier": EUC1})
    describe(stub, global_cluster(EUW1, "modifying", {"Status": "switching-over", "FromDbClusterArn": EUW1,
                                                      "ToDbClusterArn": EUC1, "IsDataLossAllowed": False}))
    describe(stub, global_cluster(EUC1))
    cloudflare = FakeCloudflare()
    deps = stdin_deps(sample_outputs(), clients=clients, cloudflare_transport=cloudflare,
                      env={"CLOUDFLARE_API_TOKEN": "cf-token"})
    with stub:
        res = run_cli(capsys, argv("--apply"), deps)
        stub.assert_no_pending_responses()
    assert res.code == 0, res.err
    assert [c[0] for c in cloudflare.calls] == ["GET", "PATCH"]
    assert cloudflare.calls[1][1].endswith(f"/zones/zone-1/load_balancers/{EU_LB}")
    patch = cloudflare.calls[1][2]
    euw1, euc1 = pool_id("eu", "eu-west-1"), pool_id("eu", "eu-central-1")
    assert patch == {"default_pools": [euc1, euw1], "fallback_pool": euc1,
                     "region_pools": {"WEU": [euc1, euw1], "EEU": [euc1, euw1]}}
    assert "prod-eu: writer is now eu-central-1" in res.out
    for step in ("promote eu-central-1", "wait for new writer", "re-order pools api.eu.agentic.example.com", "total"):
        assert step in res.out
    timings = {" ".join(line.split()[:-1]): line.split()[-1] for line in res.out.splitlines()}
    assert timings["wait for new writer"] == "5.0"  # one poll of the fake clock
    assert "within the 120 s target" in res.out


def test_unplanned_failover_allows_data_loss_only_when_acknowledged(capsys):
    refused = run_cli(capsys, argv("--unplanned", "--apply"), stdin_deps(sample_outputs()))
    assert refused.code == 2
    assert "re-run with --unplanned --accept-data-loss" in refused.err

    clients, stub = stubbed()
    describe(stub, global_cluster(EUW1, "failing-over"))
    stub.add_response("failover_global_cluster", {"GlobalCluster": global_cluster(EUW1, "failing-over")},
                      {"GlobalClusterIdentifier": GID, "TargetDbClusterIdentifier": EUC1, "AllowDataLoss": True})
    describe(stub, global_cluster(EUC1))
    deps = stdin_deps(sample_outputs(), clients=clients, cloudflare_transport=FakeCloudflare(),
                      env={"CLOUDFLARE_API_TOKEN": "cf-token"})
    with stub:
        res = run_cli(capsys, argv("--unplanned", "--accept-data-loss", "--apply"), deps)
        stub.assert_no_pending_responses()
    assert res.code == 0, res.err
    assert "unplanned failover (AllowDataLoss)" in res.out


def test_accept_data_loss_without_unplanned_is_refused(capsys):
    res = run_cli(capsys, argv("--accept-data-loss"), stdin_deps(sample_outputs()))
    assert res.code == 2 and "only applies to --unplanned" in res.err


def test_target_outside_the_domain_is_refused_before_any_call(capsys):
    clients, stub = stubbed("us-east-1")  # no responses queued: any AWS call would fail the test
    with stub:
        res = run_cli(capsys, ["failover", "--outputs", "-", "--domain", "eu", "--to", "us-east-1", "--apply"],
                      stdin_deps(sample_outputs(), clients=clients))
    assert res.code == 2
    assert res.err.strip() == ("ops failover: refusing to fail over to us-east-1: it is outside data domain eu"
                               " (eu-west-1, eu-central-1) (residency eu)")


def test_planned_switchover_needs_a_healthy_cluster(capsys):
    clients, stub = stubbed()
    describe(stub, global_cluster(EUW1, "modifying"))
    with stub:
        res = run_cli(capsys, argv("--apply"), stdin_deps(sample_outputs(), clients=clients,
                                                          env={"CLOUDFLARE_API_TOKEN": "cf-token"}))
    assert res.code == 2
    assert "is modifying; a planned switchover needs a healthy cluster" in res.err


def test_apply_without_cloudflare_token_stops_before_promoting(capsys):
    clients, stub = stubbed()
    describe(stub, global_cluster(EUW1))
    with stub:
        res = run_cli(capsys, argv("--apply"), stdin_deps(sample_outputs(), clients=clients))
        stub.assert_no_pending_responses()
    assert res.code == 2
    assert "CLOUDFLARE_API_TOKEN is not set" in res.err


def test_access_denied_names_the_action(capsys):
    clients, stub = stubbed()
    describe(stub, global_cluster(EUW1))
    stub.add_client_error("switchover_global_cluster", service_error_code="AccessDenied",
                          service_message="User is not authorized to perform: rds:SwitchoverGlobalCluster",
                          http_status_code=403)
    deps = stdin_deps(sample_outputs(), clients=clients, cloudflare_transport=FakeCloudflare(),
                      env={"CLOUDFLARE_API_TOKEN": "cf-token"})
    with stub:
        res = run_cli(capsys, argv("--apply"), deps)
    assert res.code == 3
    assert res.err.strip() == "ops failover: missing permission rds:SwitchoverGlobalCluster for prod-eu in eu-central-1"


def test_cloudflare_token_without_permission(capsys):
    clients, stub = stubbed()
    describe(stub, global_cluster(EUC1))  # writer already moved: only traffic is re-ordered
    deps = stdin_deps(sample_outputs(), clients=clients, cloudflare_transport=FakeCloudflare(status=403),
                      env={"CLOUDFLARE_API_TOKEN": "cf-token"})
    with stub:
        res = run_cli(capsys, argv("--apply"), deps)
    assert res.code == 3
    assert "missing permission Load Balancers:Edit (Cloudflare token) for load balancer lb-eu in zone zone-1" in res.err


def test_wait_times_out_with_a_clear_message(capsys):
    clients, stub = stubbed()
    describe(stub, global_cluster(EUW1))
    stub.add_response("switchover_global_cluster", {"GlobalCluster": global_cluster(EUW1, "modifying")})
    for _ in range(3):
        describe(stub, global_cluster(EUW1, "modifying"))
    deps = stdin_deps(sample_outputs(), clients=clients, cloudflare_transport=FakeCloudflare(),
                      env={"CLOUDFLARE_API_TOKEN": "cf-token"}, timeout_seconds=10.0)
    with stub:
        res = run_cli(capsys, argv("--apply"), deps)
    assert res.code == 1
    assert "timed out after 10 s waiting for eu-central-1 to become the writer of prod-eu" in res.err


def test_single_region_domain_has_nothing_to_fail_over_to(capsys):
    data = sample_outputs()
    data["data_domains"]["eu"]["global_cluster_identifier"] = None
    res = run_cli(capsys, argv(), stdin_deps(data))
    assert res.code == 2 and "global_cluster_identifier` is null" in res.err


@pytest.mark.parametrize("missing_region", ["eu-central-1"])
def test_member_missing_in_target_region(capsys, missing_region):
    clients, stub = stubbed()
    cluster = global_cluster(EUW1)
    cluster["GlobalClusterMembers"] = cluster["GlobalClusterMembers"][:1]
    describe(stub, cluster)
    with stub:
        res = run_cli(capsys, argv(), stdin_deps(sample_outputs(), clients=clients))
    assert res.code == 2 and f"has no member cluster in {missing_region}" in res.err


def test_dry_run_with_token_shows_the_exact_patch(capsys):
    clients, stub = stubbed()
    describe(stub, global_cluster(EUW1))
    cloudflare = FakeCloudflare()
    with stub:
        res = run_cli(capsys, argv(), stdin_deps(sample_outputs(), clients=clients, cloudflare_transport=cloudflare,
                                                 env={"CLOUDFLARE_API_TOKEN": "cf-token"}))
    assert res.code == 0
    assert [c[0] for c in cloudflare.calls] == ["GET"]
    assert "would PATCH api.eu.agentic.example.com" in res.out


def test_failing_back_to_an_active_region_says_nothing_of_standby_floors(capsys):
    clients, stub = stubbed("eu-west-1")
    describe(stub, global_cluster(EUC1))
    with stub:
        res = run_cli(capsys, ["failover", "--outputs", "-", "--domain", "eu", "--to", "eu-west-1"],
                      stdin_deps(sample_outputs(), clients=clients))
        stub.assert_no_pending_responses()
    assert res.code == 0, res.err
    assert "SwitchoverGlobalCluster: prod-eu writer eu-central-1 -> eu-west-1" in res.out
    assert "warm standby" not in res.out
