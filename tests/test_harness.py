"""The offline harness behaves like the engine where tests depend on it."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest

from stacks.harness.mocks import DuplicateUrnError, UnknownInvokeError
from stacks.harness.run import ROOT, TEST_SECRET_PREFIX, engine_config, run_program

PROGRAMS = Path(__file__).parent / "programs"
WIRING_CONFIG = {"agentic-platform:token": {"secure": "v1:abcdef"}, "aws:region": "us-east-1"}


def test_duplicate_urn_is_an_error() -> None:
    with pytest.raises(DuplicateUrnError, match=r"duplicate URN .*aws:s3/bucket:Bucket::uploads"):
        run_program("dev", {}, program=PROGRAMS / "duplicate_urn.py")


def test_unknown_invoke_is_an_error() -> None:
    with pytest.raises(UnknownInvokeError, match="no answer for invoke 'aws:ec2/getAmi:getAmi'"):
        run_program("dev", {}, program=PROGRAMS / "unknown_invoke.py")


@pytest.fixture(scope="module")
def wiring():
    return run_program("wiring", WIRING_CONFIG, program=PROGRAMS / "wiring.py")


def test_options_are_recorded(wiring) -> None:
    key = wiring.one("aws:kms/key:Key", "key")
    bucket = wiring.one("aws:s3/bucket:Bucket", "data")
    assert key.options["protect"] is True
    assert bucket.options["retainOnDelete"] is True
    assert bucket.options["dependsOn"] == [key.urn]
    assert bucket.options["ignoreChanges"] == ["tags"]
    assert any("old-data" in a for a in bucket.options["aliases"])


def test_effective_region_resource_then_provider(wiring) -> None:
    assert wiring.one("aws:kms/key:Key", "key").region == "eu-central-1"
    assert wiring.one("aws:s3/bucket:Bucket", "data").region == "eu-west-1"  # from its provider


def test_state_is_realistic(wiring) -> None:
    assert wiring.outputs["key_arn"].startswith("arn:aws:kms:eu-central-1:111122223333:key/")
    assert wiring.outputs["bucket_arn"].startswith("arn:aws:s3:::")
    assert wiring.outputs["azs"] == ["ap-southeast-1a", "ap-southeast-1b", "ap-southeast-1c"]


def test_secure_values_are_test_values_marked_secret(wiring) -> None:
    version = wiring.one("aws:secretsmanager/secretVersion:SecretVersion", "token-v1")
    assert version.secret_paths == ["secretString"]
    assert version.inputs["secretString"] == TEST_SECRET_PREFIX + "token"
    assert wiring.outputs["token"] == "[secret]" and wiring.secret_outputs == ["token"]
    assert wiring.config["agentic-platform:token"] == "[secret]"


def test_several_stacks_in_one_process() -> None:
    first = run_program("alpha", WIRING_CONFIG, program=PROGRAMS / "wiring.py")
    second = run_program("beta", WIRING_CONFIG, program=PROGRAMS / "wiring.py")
    assert first.outputs["stack"] == "alpha" and second.outputs["stack"] == "beta"
    assert all("urn:pulumi:beta::" in r.urn for r in second.resources)
    assert len(first.resources) == len(second.resources)


def test_engine_config_encodes_structures_as_json() -> None:
    values, secrets = engine_config({"agentic-platform:regions": [{"name": "us-east-1"}],
                                     "agentic-platform:environment": "dev"})
    assert values["agentic-platform:regions"] == '[{"name": "us-east-1"}]'
    assert values["agentic-platform:environment"] == "dev"
    assert values["agentic-platform:cost_center"] == "platform"  # Pulumi.yaml default
    assert "agentic-platform:anthropic_api_key" in secrets  # declared secret gets a test value


def test_yaml_files_are_read_with_libyaml_and_read_the_same() -> None:
    """The fast loader is the C one whenever PyYAML has it (its wheels do), and it reads every YAML
    file of the repository (stack, price, usage, commitment, calendar, DR durations, compose, workflows)
    exactly as the pure-Python parser does; the stack files also through the strict loader."""
    import yaml

    from stacks.harness.stack_file import load_yaml
    from stacks.yaml_load import SafeLoader

    assert yaml.__with_libyaml__ and SafeLoader is yaml.CSafeLoader
    skip = {".venv", ".tools", ".git", "node_modules", "__pycache__"}
    files = [p for p in sorted(ROOT.rglob("*.y*ml")) if not skip & set(p.relative_to(ROOT).parts)]
    assert len(files) > 10 and any(p.name == "Pulumi.prod.yaml" for p in files)
    for path in files:
        text = path.read_text()
        assert list(yaml.load_all(text, Loader=SafeLoader)) == list(yaml.safe_load_all(text)), path.name
        if path.name.startswith("Pulumi.") and path.name != "Pulumi.yaml":
            assert load_yaml(path) == yaml.safe_load(text), path.name


class _Collector:
    """Stands in for the `gc` module inside the harness: records what a run asks of the collector
    (the real one's frozen set is process-wide, and counting it in a test process that kept
    garbage walks millions of objects)."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.frozen = 0
        self.enabled = True

    def get_freeze_count(self) -> int:
        return self.frozen

    def freeze(self) -> None:
        self.calls.append("freeze")
        self.frozen += 1

    def unfreeze(self) -> None:
        self.calls.append("unfreeze")
        self.frozen = 0

    def collect(self, *_: object) -> int:
        self.calls.append("collect")
        return 0

    def isenabled(self) -> bool:
        return self.enabled

    def disable(self) -> None:
        self.enabled = False

    def enable(self) -> None:
        self.enabled = True


@pytest.fixture
def collector(monkeypatch: pytest.MonkeyPatch) -> Iterator[_Collector]:
    from stacks.harness import run as harness_run

    fake = _Collector()
    monkeypatch.setattr(harness_run, "gc", fake)
    monkeypatch.setattr(harness_run, "_KEPT", False)
    yield fake
    gc.collect()  # the failed runs' futures, which the stand-in did not collect (run.py's _close_loop)


def test_the_collector_is_restored_however_a_run_ends(collector: _Collector,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A run pauses and freezes the garbage collector (stacks/harness/run.py says why); a failed
    program and a failure while the run is being set up are collected and leave it as it was,
    even when the run was asked to keep its garbage."""
    from stacks.harness import run as harness_run

    with pytest.raises(DuplicateUrnError):
        run_program("dev", {}, program=PROGRAMS / "duplicate_urn.py", after="keep")
    assert collector.calls == ["freeze", "collect", "unfreeze"] and collector.enabled and collector.frozen == 0

    def refuse(*_: object) -> None:
        raise RuntimeError("config refused")

    collector.calls.clear()
    monkeypatch.setattr(harness_run, "set_all_config", refuse)
    with pytest.raises(RuntimeError, match="config refused"):
        run_program("dev", {}, program=PROGRAMS / "duplicate_urn.py")
    assert collector.calls == ["freeze", "collect", "unfreeze"] and collector.enabled and collector.frozen == 0


def test_after_a_run_its_garbage_is_left_collected_or_kept_frozen(collector: _Collector) -> None:
    """`collect` frees the run's graph before returning; `keep` freezes it without collecting, and
    from then on nothing is unfrozen (CPython cannot unfreeze part of the frozen set); a typo is
    refused by name."""
    run_program("wiring", WIRING_CONFIG, program=PROGRAMS / "wiring.py")
    assert collector.calls == ["freeze", "unfreeze"]
    collector.calls.clear()
    run_program("wiring", WIRING_CONFIG, program=PROGRAMS / "wiring.py", after="collect")
    assert collector.calls == ["freeze", "collect", "unfreeze"]
    collector.calls.clear()
    run_program("wiring", WIRING_CONFIG, program=PROGRAMS / "wiring.py", after="keep")
    assert collector.calls == ["freeze", "freeze"] and collector.frozen == 2 and collector.enabled
    collector.calls.clear()
    run_program("wiring", WIRING_CONFIG, program=PROGRAMS / "wiring.py", after="collect")
    assert collector.calls == ["freeze", "collect"] and collector.frozen == 3
    with pytest.raises(ValueError, match=r"after='kept': expected one of leave, collect, keep"):
        run_program("wiring", WIRING_CONFIG, program=PROGRAMS / "wiring.py", after="kept")
    assert collector.calls == ["freeze", "collect"]  # refused before anything ran
