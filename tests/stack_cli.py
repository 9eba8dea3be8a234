"""Run the preview CLI on an edited copy of a stack file, as a user would meet the result."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from stacks.__main__ import main
from stacks.harness import run as harness_run
from stacks.harness.run import ROOT


def edited_root(tmp_path: Path, stack: str, edit: Callable[[dict[str, Any]], None] | None = None,
                text: str | None = None) -> Path:
    """A project folder with the real program and Pulumi.yaml and an edited Pulumi.<stack>.yaml."""
    for name in ("Pulumi.yaml", "__main__.py"):
        (tmp_path / name).write_text((ROOT / name).read_text())
    if text is None:
        doc = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())
        if edit is not None:
            edit(doc["config"])
        text = yaml.safe_dump(doc, sort_keys=False)
    (tmp_path / f"Pulumi.{stack}.yaml").write_text(text)
    return tmp_path


def preview_cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], root: Path,
                *argv: str) -> tuple[int, str]:
    """`python -m stacks preview ...` with stack files read from `root`: (exit code, stdout + stderr)."""
    monkeypatch.setattr("stacks.preview.run_stack",
                        lambda stack: harness_run.run_stack(stack, root=root, cached=False))
    code = main(["preview", *argv])
    out = capsys.readouterr()
    return code, out.out + out.err
