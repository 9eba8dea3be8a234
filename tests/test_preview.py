"""The README's first command: the offline preview, its JSON and its exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stacks.__main__ import main
from stacks.harness.run import ROOT
from stacks.preview import preview


def test_preview_prints_summary_and_writes_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "plan.json"
    assert main(["preview", "dev", "--json", str(target)]) == 0
    out = capsys.readouterr().out
    assert "stack dev:" in out and "by region:" in out and "outputs:" in out
    data = json.loads(target.read_text())
    assert data["stack"] == "dev"
    assert {"resources", "outputs", "reports", "config"} <= set(data)


def test_unknown_stack_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["preview", "qa"])
    assert info.value.code == 2
    assert "unknown stack 'qa'" in capsys.readouterr().err


def test_bad_config_exits_1_with_the_key_and_no_traceback(tmp_path: Path, monkeypatch) -> None:
    for name in ("Pulumi.yaml", "__main__.py"):
        (tmp_path / name).write_text((ROOT / name).read_text())
    bad = (ROOT / "Pulumi.dev.yaml").read_text().replace("cidr: 10.20.0.0/16", "cidr: 10.20.0.0/24")
    (tmp_path / "Pulumi.dev.yaml").write_text(bad)
    monkeypatch.setattr("stacks.preview.run_stack", lambda stack: __import__(
        "stacks.harness.run", fromlist=["run_stack"]).run_stack(stack, root=tmp_path, cached=False))
    lines: list[str] = []
    assert preview("dev", echo=lines.append) == 1
    text = "\n".join(lines)
    assert "agentic-platform:regions[0].cidr: '10.20.0.0/24' must be a private IPv4 /16" in text
    assert "Traceback" not in text
