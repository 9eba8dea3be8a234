"""`ops cost-report` against Cost Explorer answers fed through botocore's Stubber."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from ops.__main__ import main
from ops.aws import Clients
from ops.context import Deps
from ops.cost_report import month_period, share_out

PERIOD = {"Start": "2026-11-01", "End": "2026-12-01"}


def page(groups: list[tuple[list[str], float]], token: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"ResultsByTime": [{"TimePeriod": PERIOD, "Estimated": False, "Groups": [
        {"Keys": keys, "Metrics": {"UnblendedCost": {"Amount": f"{amount:.4f}", "Unit": "USD"}}}
        for keys, amount in groups]}]}
    if token:
        out["NextPageToken"] = token
    return out


def expect(stub: Stubber, group_by: list[dict[str, str]], response: dict[str, Any], token: str | None = None) -> None:
    params: dict[str, Any] = {"TimePeriod": PERIOD, "Granularity": "MONTHLY", "Metrics": ["UnblendedCost"],
                              "GroupBy": group_by}
    if token:
        params["NextPageToken"] = token
    stub.add_response("get_cost_and_usage", response, params)


TENANT_SERVICE = [{"Type": "TAG", "Key": "tenant"}, {"Type": "DIMENSION", "Key": "SERVICE"}]
TENANT_REGION = [{"Type": "TAG", "Key": "tenant"}, {"Type": "DIMENSION", "Key": "REGION"}]
NAMESPACE = [{"Type": "TAG", "Key": "aws:eks:namespace"}]


Response = tuple[list[dict[str, str]], dict[str, Any], str | None]


def run(args: list[str], responses: list[Response]) -> tuple[int, str, Stubber]:
    ce = boto3.client("ce", region_name="us-east-1")
    stub = Stubber(ce)
    for group_by, response, token in responses:
        expect(stub, group_by, response, token)
    stub.activate()
    out = io.StringIO()
    deps = Deps(clients=Clients(overrides={("ce", "us-east-1"): ce}), out=out,
                now=lambda: datetime(2026, 12, 3, tzinfo=UTC))
    return main(["cost-report", *args], deps), out.getvalue(), stub


def test_costs_per_tenant_service_region_and_share_of_shared_compute():
    code, out, stub = run(["--month", "2026-11", "--json"], [
        (TENANT_SERVICE, page([(["tenant$acme", "Amazon Elastic Compute Cloud - Compute"], 30.0),
                               (["tenant$globex", "Amazon Relational Database Service"], 60.0)], token="p2"), None),
        (TENANT_SERVICE, page([(["tenant$globex", "Amazon Simple Storage Service"], 10.0),
                               (["tenant$", "Amazon Elastic Kubernetes Service"], 73.0)]), "p2"),
        (TENANT_REGION, page([(["tenant$acme", "us-east-1"], 30.0), (["tenant$globex", "eu-west-1"], 70.0),
                              (["tenant$", "us-east-1"], 73.0)]), None),
        (NAMESPACE, page([(["aws:eks:namespace$platform-core", ], 120.0), (["aws:eks:namespace$shared-services"], 40.0),
                          (["aws:eks:namespace$tenant-globex"], 25.0), (["aws:eks:namespace$"], 5.0)]), None),
    ])
    stub.assert_no_pending_responses()
    assert code == 0
    report = json.loads(out)
    acme, globex = report["tenants"]["acme"], report["tenants"]["globex"]
    assert globex["services"] == {"Amazon Relational Database Service": 60.0, "Amazon Simple Storage Service": 10.0}
    assert globex["regions"] == {"eu-west-1": 70.0} and acme["regions"] == {"us-east-1": 30.0}
    # shared namespaces (160) split 30:70 by direct cost; the shares add up to the shared total
    assert acme["shared_compute"] == {"platform-core": 36.0, "shared-services": 12.0}
    assert globex["shared_compute"] == {"platform-core": 84.0, "shared-services": 28.0}
    assert acme["total"] == 78.0 and globex["total"] == 182.0
    assert report["tenants"]["(untagged)"]["direct"] == 73.0 and report["note"] is None


def test_text_report_and_a_missing_namespace_tag_is_explained():
    code, out, _ = run(["--month", "2026-11"], [
        (TENANT_SERVICE, page([(["tenant$acme", "Amazon Elastic Compute Cloud - Compute"], 12.5)]), None),
        (TENANT_REGION, page([(["tenant$acme", "us-east-1"], 12.5)]), None),
        (NAMESPACE, page([(["aws:eks:namespace$"], 99.0)]), None),
    ])
    assert code == 0
    assert "acme" in out and "12.50" in out and "us-east-1 12.50" in out
    assert "no cost carries `aws:eks:namespace`" in out


def test_month_must_be_finished_and_well_formed(capsys: pytest.CaptureFixture[str]):
    code, _, _ = run(["--month", "2026-12"], [])
    assert code == 2 and "2026-12 is not finished yet" in capsys.readouterr().err
    code, _, _ = run(["--month", "2026-13"], [])
    assert code == 2 and "--month must be YYYY-MM" in capsys.readouterr().err
    assert month_period("2025-12", datetime(2026, 1, 1).date()) == ("2025-12-01", "2026-01-01")


def test_missing_permission_names_the_action(capsys: pytest.CaptureFixture[str]):
    ce = boto3.client("ce", region_name="us-east-1")
    stub = Stubber(ce)
    stub.add_client_error("get_cost_and_usage", "AccessDeniedException", "denied")
    stub.activate()
    deps = Deps(clients=Clients(overrides={("ce", "us-east-1"): ce}), out=io.StringIO(),
                now=lambda: datetime(2026, 12, 3, tzinfo=UTC))
    assert main(["cost-report", "--month", "2026-11"], deps) == 3
    assert "missing permission ce:GetCostAndUsage" in capsys.readouterr().err


def test_share_out_splits_equally_without_direct_cost():
    assert share_out({"platform-core": 10.0}, {"a": 0.0, "b": 0.0}) == {"a": {"platform-core": 5.0},
                                                                        "b": {"platform-core": 5.0}}
