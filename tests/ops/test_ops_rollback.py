"""`ops rollback` and `ops watch` against a moto account (ECR images, CloudWatch alarms).

Both commands read only the stack outputs' environment and regions and then ECR and CloudWatch,
which each test fills itself: every test gets an empty account and a copy of the prod-shaped
outputs, built once for the module instead of the whole estate per test (~0.25 s each).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from moto import mock_aws
from ops_world import REGIONS, FakeClock, estate_account, make_deps, run_cli, write_outputs
from ops_world import client as moto_client


@pytest.fixture(scope="module")
def estate_outputs() -> dict[str, Any]:
    with estate_account() as outputs:
        return outputs


@pytest.fixture
def world(estate_outputs: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """An empty moto account behind a copy of the estate's outputs."""
    with mock_aws():
        yield copy.deepcopy(estate_outputs)

MANIFEST = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                       "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 7,
                                  "digest": "sha256:" + "a" * 64}, "layers": []})


def push(regions: list[str], tag: str = "2026.11.20-3f9c1e2") -> str:
    digest = ""
    for region in regions:
        ecr = moto_client("ecr", region)
        if not ecr.describe_repositories()["repositories"]:
            ecr.create_repository(repositoryName="agentic-platform")
        digest = ecr.put_image(repositoryName="agentic-platform", imageManifest=MANIFEST,
                               imageTag=tag)["image"]["imageId"]["imageDigest"]
    return digest


class Hooks:
    def __init__(self, code: int = 0) -> None:
        self.calls: list[str] = []
        self.code = code

    def __call__(self, command: str, env: Mapping[str, str]) -> int:
        self.calls.append(command)
        return self.code


def test_dry_run_resolves_the_tag_to_its_digest_and_changes_nothing(world: dict[str, Any], tmp_path: Path,
                                                                    capsys: Any) -> None:
    digest = push(REGIONS)
    hooks = Hooks()
    r = run_cli(capsys, ["rollback", "--outputs", write_outputs(tmp_path, world), "--to", "2026.11.20-3f9c1e2"],
                make_deps(run_hook=hooks))
    assert r.code == 0, r.err
    assert f"agentic-platform:2026.11.20-3f9c1e2@{digest}" in r.out
    assert f"would run: pulumi config set --path app.digest {digest} --stack prod" in r.out
    assert "dry run" in r.out and hooks.calls == []


def test_apply_deploys_by_digest_through_pulumi(world: dict[str, Any], tmp_path: Path, capsys: Any) -> None:
    digest = push(REGIONS)
    hooks = Hooks()
    r = run_cli(capsys, ["rollback", "--outputs", write_outputs(tmp_path, world), "--to", digest, "--apply"],
                make_deps(run_hook=hooks))
    assert r.code == 0, r.err
    assert hooks.calls == [
        "pulumi config set --path app.tag 2026.11.20-3f9c1e2 --stack prod",
        f"pulumi config set --path app.digest {digest} --stack prod",
        "pulumi up --yes --stack prod --policy-pack policy --policy-pack-config policy/config/prod.json"]


def test_an_image_not_yet_replicated_everywhere_is_refused(world: dict[str, Any], tmp_path: Path,
                                                           capsys: Any) -> None:
    push(REGIONS[:2])
    hooks = Hooks()
    r = run_cli(capsys, ["rollback", "--outputs", write_outputs(tmp_path, world), "--to", "2026.11.20-3f9c1e2",
                         "--apply"], make_deps(run_hook=hooks))
    assert r.code != 0 and "not replicated to ap-southeast-1" in r.err and hooks.calls == []


def test_unknown_image_and_latest_are_refused(world: dict[str, Any], tmp_path: Path, capsys: Any) -> None:
    push(REGIONS)
    out = write_outputs(tmp_path, world)
    r = run_cli(capsys, ["rollback", "--outputs", out, "--to", "nope-123"])
    assert r.code != 0 and "nope-123 is not in agentic-platform in us-east-1" in r.err
    r = run_cli(capsys, ["rollback", "--outputs", out, "--to", "latest"])
    assert r.code != 0 and "`latest` is never deployed" in r.err


def test_failed_pulumi_stops_the_rollback(world: dict[str, Any], tmp_path: Path, capsys: Any) -> None:
    push(REGIONS)
    hooks = Hooks(code=2)
    r = run_cli(capsys, ["rollback", "--outputs", write_outputs(tmp_path, world), "--to", "2026.11.20-3f9c1e2",
                         "--apply"], make_deps(run_hook=hooks))
    assert r.code != 0 and "exited 2" in r.err and len(hooks.calls) == 1


def _alarm(region: str, name: str, state: str) -> None:
    cw = moto_client("cloudwatch", region)
    cw.put_metric_alarm(AlarmName=name, MetricName="HTTPCode_Target_5XX_Count", Namespace="AWS/ApplicationELB",
                        Statistic="Sum", Period=60, EvaluationPeriods=1, Threshold=50,
                        ComparisonOperator="GreaterThanThreshold")
    cw.set_alarm_state(AlarmName=name, StateValue=state, StateReason="test")


def test_watch_passes_when_the_window_stays_quiet(world: dict[str, Any], tmp_path: Path, capsys: Any) -> None:
    _alarm("eu-west-1", "prod-eu-west-1-alb-5xx", "OK")
    _alarm("eu-west-1", "staging-eu-west-1-alb-5xx", "ALARM")  # another stack's alarm is not ours
    clock = FakeClock()
    r = run_cli(capsys, ["watch", "--outputs", write_outputs(tmp_path, world), "--minutes", "5"],
                make_deps(clock=clock))
    assert r.code == 0, r.err
    assert sum(clock.sleeps) == 5 * 60 and "no alarm in 5 min" in r.out


def test_watch_fails_on_the_first_alarm(world: dict[str, Any], tmp_path: Path, capsys: Any) -> None:
    _alarm("eu-west-1", "prod-eu-west-1-alb-5xx", "ALARM")
    r = run_cli(capsys, ["watch", "--outputs", write_outputs(tmp_path, world)])
    assert r.code != 0 and "eu-west-1/prod-eu-west-1-alb-5xx" in r.err
