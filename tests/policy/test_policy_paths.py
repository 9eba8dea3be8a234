"""`path-residency` over the real prod plan, and over copies with one cell pointed at the wrong
domain: the policy (and the preview's "request paths" section) must name that cell."""

from __future__ import annotations

from typing import Any

import pytest
from policy_helpers import MEMO, fresh, own, plan_for

from stacks.harness import Plan, PlannedResource
from stacks.reports.paths import report as paths_report
from stacks.reports.policy import run_plan

EU_HOST = "api.eu.agentic.example.com"


def _settings(plan: Plan, domain: str, region: str) -> PlannedResource:
    return next(r for r in plan.of_type("kubernetes:core/v1:ConfigMap")
                if r.inputs.get("metadata", {}).get("name") == "app-settings" and r.region == region
                and r.inputs["data"].get("DATA_DOMAIN") == domain)


def _set_data(r: PlannedResource, key: str, value: Any) -> None:
    own(r)
    for tree in (r.inputs, r.outputs):
        tree.setdefault("data", {})[key] = value


def _path_violations(plan: Plan) -> list[tuple[str, str]]:
    return [(v.urn, v.message) for v in run_plan(plan, memo=MEMO, only=["path-residency"]).violations
            if v.policy == "path-residency"]


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_every_real_path_stays_in_its_residency(stack: str) -> None:
    plan = plan_for(stack)
    assert _path_violations(plan) == []
    rep = paths_report(plan)
    cells = len(rep.data["paths"])
    assert cells == (5 if stack == "prod" else 1)
    assert rep.lines[-1] == f"paths: {cells}, leaving their residency: 0"


def test_prod_paths_name_each_hostnames_cells_and_stores() -> None:
    rep = paths_report(plan_for("prod"))
    by_key = {(p["hostname"], p["region"]): p for p in rep.data["paths"]}
    assert set(by_key) == {("api.agentic.example.com", r) for r in ("us-east-1", "eu-west-1", "ap-southeast-1")} | {
        (EU_HOST, r) for r in ("eu-west-1", "eu-central-1")}
    eu = by_key[(EU_HOST, "eu-west-1")]
    glob = by_key[("api.agentic.example.com", "eu-west-1")]
    assert eu["cell"] == {"domain": "eu", "residency": "eu", "namespace": "platform-core"}
    assert glob["cell"] == {"domain": "global", "residency": "none", "namespace": "platform-global"}
    assert eu["origin"] != glob["origin"] and eu["pools"] == [EU_HOST]
    assert {s["kind"] for s in eu["stores"]} == {"database", "database (read-only)", "bucket", "secret"}
    assert all(s["residency"] == "eu" for s in eu["stores"])
    assert all(s["residency"] == "none" for s in glob["stores"] if s["kind"] != "secret")


def test_eu_cell_pointed_at_the_global_database_fails() -> None:
    plan = fresh("prod")
    eu, glob = _settings(plan, "eu", "eu-west-1"), _settings(plan, "global", "eu-west-1")
    _set_data(eu, "DATABASE_HOST", glob.inputs["data"]["DATABASE_HOST"])
    found = _path_violations(plan)
    assert [u for u, _ in found] == [eu.urn]
    assert "cell eu (eu) in eu-west-1/platform-core reaches database" in found[0][1]
    assert found[0][1].endswith("of residency none")
    assert any("OUTSIDE RESIDENCY" in line for line in paths_report(plan).lines)


def test_global_cell_pointed_at_the_eu_bucket_fails() -> None:
    plan = fresh("prod")
    eu, glob = _settings(plan, "eu", "eu-west-1"), _settings(plan, "global", "eu-west-1")
    _set_data(glob, "UPLOADS_BUCKET", eu.inputs["data"]["UPLOADS_BUCKET"])
    found = _path_violations(plan)
    assert [u for u, _ in found] == [glob.urn]
    assert "reaches bucket agentic-platform-prod-eu-euw1-" in found[0][1] and "of residency eu" in found[0][1]


def test_eu_hostname_routed_to_the_global_cell_fails() -> None:
    plan = fresh("prod")
    glob = _settings(plan, "global", "eu-west-1")
    ingress = next(r for r in plan.of_type("kubernetes:networking.k8s.io/v1:Ingress")
                   if r.region == "eu-west-1" and r.inputs["metadata"]["namespace"] == "platform-global")
    own(ingress)
    for tree in (ingress.inputs, ingress.outputs):
        tree["spec"]["rules"][0]["host"] = EU_HOST
    found = _path_violations(plan)
    assert [u for u, _ in found] == [glob.urn]
    assert f"serves hostname {EU_HOST} of residency eu" in found[0][1]


def test_cell_of_a_residency_outside_its_regions_fails() -> None:
    plan = fresh("prod")
    glob = _settings(plan, "global", "us-east-1")
    _set_data(glob, "DATA_RESIDENCY", "eu")
    messages = [m for _, m in _path_violations(plan)]
    assert any("runs outside its residency's regions (eu-central-1, eu-west-1)" in m for m in messages)
