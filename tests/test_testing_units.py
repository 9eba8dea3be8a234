"""Pure pieces of testing in production: k6 scripts (parsed offline with Node), chaos workflows,
FIS and paging policies, the config defaults."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from app import load_testing as lt
from app.chaos import experiments, workflow
from components.fis import fis_role_policy
from components.oncall import alarm_pattern, pagerduty_template
from stacks.config.models_testing import resolve

THRESHOLD = re.compile(r"^(p\(\d+(\.\d+)?\)|avg|min|max|med|rate|count)\s*(<|<=|>|>=|==|===|!=)\s*\d+(\.\d+)?$")


@pytest.fixture(scope="module")
def k6_options(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed: the k6 scripts cannot be parsed offline")
    work = tmp_path_factory.mktemp("k6")
    done = subprocess.run([node, str(lt.SCRIPTS_DIR / "validate.mjs"), str(lt.SCRIPTS_DIR), str(work)],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _expressions(spec: Any) -> list[str]:
    items = spec if isinstance(spec, list) else [spec]
    return [i["threshold"] if isinstance(i, dict) else i for i in items]


@pytest.mark.parametrize("scenario", lt.SCENARIOS)
def test_every_scenario_parses_and_thresholds_latency_percentiles_and_errors(k6_options: dict[str, Any],
                                                                            scenario: str):
    parsed = k6_options[f"{scenario}.js"]
    assert parsed["hasDefault"], f"{scenario}.js has no default function"
    thresholds = parsed["options"]["thresholds"]
    for metric, spec in thresholds.items():
        for expr in _expressions(spec):
            assert THRESHOLD.match(expr), f"{scenario}.js: threshold {metric}: {expr!r} is not a k6 expression"
    latency = " ".join(_expressions(thresholds["http_req_duration"]))
    assert all(p in latency for p in ("p(50)", "p(95)", "p(99)"))
    assert _expressions(thresholds["http_req_failed"])[0].startswith("rate<")


def test_peak_is_twice_baseline_and_stress_aborts_at_the_breaking_point(k6_options: dict[str, Any]):
    base = k6_options["baseline.js"]["options"]["scenarios"]["baseline"]["rate"]
    peak = k6_options["peak.js"]["options"]["scenarios"]["peak"]["stages"]
    assert max(s["target"] for s in peak) == 2 * base
    stress = k6_options["stress.js"]["options"]["thresholds"]["http_req_failed"][0]
    assert stress["abortOnFail"] is True
    soak = k6_options["soak.js"]["options"]["scenarios"]["soak"]
    assert soak["duration"] == "4h"


def test_a_broken_script_fails_the_offline_check(tmp_path: Path):
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed")
    src = tmp_path / "src"
    src.mkdir()
    (src / "broken.js").write_text("export const options = { thresholds: { http_req_failed: ['rate<0.01' }\n")
    done = subprocess.run([node, str(lt.SCRIPTS_DIR / "validate.mjs"), str(src), str(tmp_path / "w")],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode != 0 and "SyntaxError" in done.stderr


def test_scripts_and_manifests_are_deterministic():
    assert lt.load_scripts() == lt.load_scripts()
    assert lt.release_testid("2026.11.20-3f9c1e2") == lt.release_testid("2026.11.20-3f9c1e2") != lt.release_testid("x")
    manifest = lt.testrun_manifest("spike", "http://api", 3)
    assert "generateName: spike-" in manifest and manifest == lt.testrun_manifest("spike", "http://api", 3)


def test_missing_scenario_script_is_named(tmp_path: Path):
    (tmp_path / "baseline.js").write_text("export default function () {}")
    with pytest.raises(FileNotFoundError, match="peak, stress, spike, soak"):
        lt.load_scripts(tmp_path)


def test_chaos_workflow_runs_fault_and_health_check_in_parallel():
    exps = experiments(200, 5, [])
    assert "database-unavailable" not in exps  # no database endpoint: no partition experiment
    kind, spec = exps["network-latency"]
    wf = workflow("network-latency", kind, spec, 5)
    entry = wf["templates"][0]
    assert entry["templateType"] == "Parallel" and entry["children"] == ["network-latency", "api-ready"]
    assert wf["templates"][1]["networkChaos"]["delay"]["latency"] == "200ms"


def test_fis_role_can_only_fail_over_the_named_clusters():
    policy = json.loads(fis_role_policy("111122223333", "us-east-1",
                                        ["arn:aws:rds:us-east-1:111122223333:cluster:c1"], cross_region=False))
    actions = [a for s in policy["Statement"] for a in s["Action"]]
    assert "rds:FailoverDBCluster" in actions and not any(a.startswith("ec2:") for a in actions)
    assert all("*" not in a for a in actions)


def test_paging_pattern_and_resolve_body():
    pattern = json.loads(alarm_pattern("prod-us-east-1-", ["P1", "P0"], "ALARM"))
    assert pattern["detail"]["configuration"]["description"] == [{"prefix": "[P0]"}, {"prefix": "[P1]"}]
    resolved = json.loads(pagerduty_template("k", "resolve", "info", "us-east-1", "prod"))
    assert resolved == {"dedup_key": "<arn>", "event_action": "resolve", "routing_key": "k"}


@pytest.mark.parametrize(("enabled", "env", "expected"), [
    (None, "staging", True), (None, "prod", False), (None, "dev", False), (True, "prod", True),
    (False, "staging", False)])
def test_risky_switches_default_to_staging_only(enabled: bool | None, env: str, expected: bool):
    assert resolve(enabled, env) is expected
