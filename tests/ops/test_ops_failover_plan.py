"""`ops failover` starting the domain's ARC Region switch plan, with botocore's Stubber on the real
`arc-region-switch` service model (parameters and responses are validated against it)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import boto3
from botocore.stub import Stubber
from ops_world import run_cli, sample_outputs, stdin_deps

from ops.aws import Clients

PLAN = "arn:aws:arc-region-switch::123456789012:plan/prod-eu-failover:abc123"
EXEC = "exec-0001"
T0 = dt.datetime(2026, 12, 3, 12, 0, tzinfo=dt.UTC)


def outputs_with_plan(**plan: Any) -> dict[str, Any]:
    out = sample_outputs()
    out["failover"]["region_switch"] = {"eu": {
        "plan_arn": PLAN, "plan_name": "prod-eu-failover", "regions": ["eu-west-1", "eu-central-1"],
        "trigger_alarm": "prod-eu-failover-primary-down", "automatic": True, "approval_required": False, **plan}}
    return out


def stubbed(region: str = "eu-central-1") -> tuple[Clients, Stubber]:
    client = boto3.client("arc-region-switch", region_name=region)
    return Clients(overrides={("arc-region-switch", region): client}), Stubber(client)


def execution(state: str, steps: list[tuple[str, str]], **extra: Any) -> dict[str, Any]:
    return {"planArn": PLAN, "executionId": EXEC, "startTime": T0, "mode": "ungraceful",
            "executionState": state, "executionAction": "activate", "executionRegion": "eu-central-1",
            "stepStates": [{"name": n, "status": s} for n, s in steps], **extra}


def argv(*extra: str) -> list[str]:
    return ["failover", "--outputs", "-", "--domain", "eu", "--to", "eu-central-1", *extra]


def test_dry_run_names_the_plan_call_and_calls_nothing(capsys):
    clients, stub = stubbed()
    with stub:
        res = run_cli(capsys, argv("--unplanned", "--accept-data-loss"),
                      stdin_deps(outputs_with_plan(), clients=clients))
    assert res.code == 0
    assert f"StartPlanExecution {PLAN} targetRegion=eu-central-1 action=activate mode=ungraceful" in res.out
    assert "dry run" in res.out.lower()


def test_apply_starts_the_plan_and_follows_its_steps(capsys):
    clients, stub = stubbed()
    get = {"planArn": PLAN, "executionId": EXEC}
    stub.add_response("start_plan_execution", {"executionId": EXEC, "activateRegion": "eu-central-1"},
                      {"planArn": PLAN, "targetRegion": "eu-central-1", "action": "activate", "mode": "ungraceful",
                       "comment": "python -m ops failover --domain eu --to eu-central-1"})
    stub.add_response("get_plan_execution", execution("inProgress", [("databases", "running")],
                                                      nextToken="t1"), get)
    stub.add_response("get_plan_execution", execution("inProgress", [("scale-standby", "notStarted")]),
                      {**get, "nextToken": "t1"})
    stub.add_response("get_plan_execution", execution("completed", [("databases", "completed"),
                                                                    ("scale-standby", "completed")]), get)
    with stub:
        res = run_cli(capsys, argv("--unplanned", "--accept-data-loss", "--apply"),
                      stdin_deps(outputs_with_plan(), clients=clients))
        stub.assert_no_pending_responses()
    assert res.code == 0, res.err
    assert "started execution exec-0001" in res.out
    assert "step databases: running" in res.out and "step databases: completed" in res.out
    assert "step scale-standby: completed" in res.out
    assert "prod-eu-failover completed" in res.out


def test_planned_switch_is_graceful_and_a_failed_step_fails_the_command(capsys):
    clients, stub = stubbed()
    stub.add_response("start_plan_execution", {"executionId": EXEC},
                      {"planArn": PLAN, "targetRegion": "eu-central-1", "action": "activate", "mode": "graceful",
                       "comment": "python -m ops failover --domain eu --to eu-central-1"})
    stub.add_response("get_plan_execution", execution("failed", [("databases", "failed")]),
                      {"planArn": PLAN, "executionId": EXEC})
    with stub:
        res = run_cli(capsys, argv("--accept-data-loss", "--apply"), stdin_deps(outputs_with_plan(), clients=clients))
        stub.assert_no_pending_responses()
    assert res.code != 0
    assert "is failed; failed steps: databases" in res.err


def test_a_plan_run_needs_the_data_loss_acknowledgement_even_when_graceful(capsys):
    """The plan's Aurora step is `failover` (AllowDataLoss in graceful runs too): without the flag
    nothing is called and the RPO-0 path (--manual) is named."""
    clients, stub = stubbed()
    with stub:
        res = run_cli(capsys, argv("--apply"), stdin_deps(outputs_with_plan(), clients=clients))
        stub.assert_no_pending_responses()
    assert res.code != 0
    assert "AllowDataLoss even in a graceful run" in res.err and "--manual" in res.err


def test_the_plan_cannot_target_a_region_outside_it(capsys):
    out = outputs_with_plan(regions=["eu-west-1", "eu-south-1"])
    res = run_cli(capsys, argv("--accept-data-loss"), stdin_deps(out))
    assert res.code != 0 and "not eu-central-1" in res.err


def test_unplanned_still_needs_the_data_loss_acknowledgement(capsys):
    res = run_cli(capsys, argv("--unplanned"), stdin_deps(outputs_with_plan()))
    assert res.code != 0 and "--accept-data-loss" in res.err


def test_manual_flag_keeps_the_runbook(capsys):
    rds = boto3.client("rds", region_name="eu-central-1")
    stub = Stubber(rds)
    stub.add_response("describe_global_clusters", {"GlobalClusters": [{
        "GlobalClusterIdentifier": "prod-eu", "Status": "available", "GlobalClusterMembers": [
            {"DBClusterArn": "arn:aws:rds:eu-west-1:123456789012:cluster:prod-eu-euw1", "IsWriter": True},
            {"DBClusterArn": "arn:aws:rds:eu-central-1:123456789012:cluster:prod-eu-euc1", "IsWriter": False}]}]},
        {"GlobalClusterIdentifier": "prod-eu"})
    with stub:
        res = run_cli(capsys, argv("--manual"),
                      stdin_deps(outputs_with_plan(), clients=Clients(overrides={("rds", "eu-central-1"): rds})))
        stub.assert_no_pending_responses()
    assert res.code == 0, res.err
    assert "SwitchoverGlobalCluster" in res.out and "StartPlanExecution" not in res.out
