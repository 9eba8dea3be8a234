"""`python -m stacks.cost` as the README writes it: usage errors, --usage files, the line table."""

from __future__ import annotations

from pathlib import Path

import pytest

from stacks.cost.__main__ import LINE_HEADER, main
from stacks.cost.usage import USAGE_DIR
from stacks.cost.usage_check import usage_problems
from stacks.harness.stack_file import load_yaml


def test_no_stack_is_a_usage_error_naming_the_stacks(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main([])
    assert info.value.code == 2
    assert "the following arguments are required: stack" in capsys.readouterr().err


def test_help_has_a_description_and_examples(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert ".venv/bin/python -m stacks.cost dev --lines" in out and "--lines" in out


def test_lines_have_column_headers(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["dev", "--lines"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == LINE_HEADER
    assert out[0].split()[:4] == ["region", "component", "sku", "quantity"]
    assert out[-1].startswith("monthly total: $")


@pytest.mark.parametrize(("text", "message"), [
    (None, "--usage {file}: no such file"),
    ("defaults:\n  alb: [lcu: 2\n", "--usage what-if.yaml line 3:"),
    ("defaults:\n  alb: {lcuu: 2}\n", "what-if.yaml: defaults.alb.lcuu is not a usage key; did you mean 'alb.lcu'?"),
    ("regions:\n  default: {egress_gb: 1}\n", "regions.default.egress_gb is not a regional usage key"),
    ("default:\n  alb: {lcu: 2}\n", "unknown top-level key 'default'; did you mean 'defaults'?"),
])
def test_bad_usage_file_is_one_clear_error(text: str | None, message: str, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "what-if.yaml"
    if text is not None:
        path.write_text(text)
    assert main(["dev", "--usage", str(path)]) == 1
    err = capsys.readouterr().err
    assert message.replace("{file}", str(path)) in err
    assert "Traceback" not in err


def test_a_good_usage_file_changes_the_total(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["dev"]) == 0
    base = capsys.readouterr().out.splitlines()[-1]
    path = tmp_path / "what-if.yaml"
    path.write_text("defaults:\n  nat_gateway: {data_processed_gb: 5000}\n")
    assert main(["dev", "--usage", str(path)]) == 0
    assert capsys.readouterr().out.splitlines()[-1] != base


def test_shipped_usage_files_use_only_known_keys() -> None:
    for path in sorted(USAGE_DIR.glob("*.yaml")):
        assert usage_problems(load_yaml(path), path.name) == [], path.name
