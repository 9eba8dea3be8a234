"""The preview as a user meets it: --json targets, status line, --all table, readable and repeatable."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from stacks.__main__ import main
from stacks.harness.plan import UNKNOWN
from stacks.harness.run import ROOT, run_stack, stack_names
from stacks.preview import TYPES_SHOWN, StackResult, all_table, dump, run_preview
from stacks.reports import cost as cost_report
from stacks.reports.diagram import mermaid
from tests.stack_cli import edited_root, preview_cli


def _no_run(stack: str) -> None:
    raise AssertionError(f"the preview ran ({stack}) although the --json path was refused")


def test_json_folder_is_created_with_one_file_per_stack(tmp_path: Path) -> None:
    target = tmp_path / "plans" / "new"
    assert main(["preview", "local", "--json", f"{target}/"]) == 0
    assert [p.name for p in target.iterdir()] == ["plan-local.json"]
    assert json.loads((target / "plan-local.json").read_text())["stack"] == "local"


def test_json_existing_folder_gets_plan_files(tmp_path: Path) -> None:
    assert main(["preview", "local", "--json", str(tmp_path)]) == 0
    assert (tmp_path / "plan-local.json").is_file()


@pytest.mark.parametrize(("argv", "message"), [
    (["local", "--json", "{tmp}/missing/plan.json"], "the folder {tmp}/missing does not exist; create it"),
    (["--all", "--json", "{tmp}/file.json"], "with --all this must be a folder (one plan-<stack>.json per stack), "
                                             "but it is a file"),
])
def test_bad_json_paths_are_refused_before_the_run(argv: list[str], message: str, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "file.json").write_text("{}")
    monkeypatch.setattr("stacks.preview.run_stack", _no_run)
    with pytest.raises(SystemExit) as info:
        main(["preview", *[a.replace("{tmp}", str(tmp_path)) for a in argv]])
    assert info.value.code == 2
    assert message.replace("{tmp}", str(tmp_path)) in capsys.readouterr().err


def test_json_dash_writes_only_json_to_stdout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["preview", "local", "--json", "-"]) == 0
    out = capsys.readouterr()
    assert json.loads(out.out)["stack"] == "local"
    assert "stack local: OK" in out.err
    assert not (tmp_path / "-").exists()


def test_tasks_preview_resolves_json_against_the_callers_folder(tmp_path: Path) -> None:
    done = subprocess.run([str(ROOT / "tasks"), "preview", "local", "--json", "rel/"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=600, check=False,
                          env={**os.environ, "PYTHONPATH": ""})
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "rel" / "plan-local.json").is_file()
    assert not (ROOT / "rel").exists()


@pytest.fixture(scope="module")
def preview_all(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """`preview --all --json <folder>`: the folder and what it printed. It may use this process's
    cached plans: each was itself a separate run of the program."""
    folder = tmp_path_factory.mktemp("plans")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["preview", "--all", "--json", str(folder)]) == 0
    return folder, out.getvalue()


def test_all_writes_one_plan_per_stack(preview_all: tuple[Path, str]) -> None:
    folder, out = preview_all
    assert sorted(p.name for p in folder.iterdir()) == [
        "plan-dev.json", "plan-local.json", "plan-prod-small.json", "plan-prod.json", "plan-staging.json"]
    rows = out.rstrip().splitlines()[-len(stack_names()):]  # the table closing the output
    assert [row.split()[:2] for row in rows] == [[stack, "OK"] for stack in stack_names()]
    assert "diagram" not in out.rstrip().splitlines()[-len(stack_names()) - 2]  # the table's header: no verdict


def test_preview_draws_each_stacks_diagram_from_its_plan(preview_all: tuple[Path, str]) -> None:
    """The diagram is the preview's last section, in the text and the JSON, drawn from the plan."""
    folder, out = preview_all
    local = json.loads((folder / "plan-local.json").read_text())
    assert local["reports"]["diagram"]["mermaid"] == mermaid(run_stack("local"))
    assert "\n".join(f"    {line}" for line in ["```mermaid", *mermaid(run_stack("local")).splitlines(), "```"]) in out
    assert out.count("  diagram:\n    ```mermaid\n    flowchart LR") == len(stack_names())


def test_same_config_gives_byte_identical_text_and_json(preview_all: tuple[Path, str],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """prod run again without the cache renders the text `--all` printed for it and the JSON it
    wrote, byte for byte; unknowns are the documented marker."""
    folder, out = preview_all
    monkeypatch.setattr("stacks.preview.run_stack", lambda stack: run_stack(stack, cached=False))
    lines: list[str] = []
    result = run_preview("prod", lines.append)
    assert result.data is not None
    assert "\n".join(lines) + f"\n  plan written to {folder / 'plan-prod.json'}\n" in out  # prod's whole section
    json_text = dump(result.data)
    assert json_text == (folder / "plan-prod.json").read_text()
    assert " object at 0x" not in json_text
    assert f'"{UNKNOWN}"' in json_text


def test_status_line_test_secrets_and_collapsed_advisories(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["preview", "dev"]) == 0
    out = capsys.readouterr().out
    last = out.rstrip().splitlines()[-1]
    head = r"stack dev: OK \| [\d,]+ resources \| config: 2 secret\(s\) unset \| policy: 0 mandatory, "
    assert re.match(head, last), last
    assert "diagram" not in last and "  diagram:\n    ```mermaid\n" in out  # drawn, but no verdict to show
    assert "| cost: $" in last and "| dr: " in last
    assert ("secrets: test values stood in for agentic-platform:anthropic_api_key, agentic-platform:openai_api_key "
            "(not set in Pulumi.dev.yaml; a real `pulumi preview` stops there") in out
    collapsed = [line for line in out.splitlines() if " resources: stateful resource without Pulumi `protect`" in line]
    assert len(collapsed) == 1 and re.match(r"\d+ resources:", collapsed[0].strip())
    hidden = re.search(r"\.\.\. (\d+) more types \(--verbose lists every type\)", out)
    assert hidden is not None
    assert int(hidden.group(1)) + TYPES_SHOWN == len(run_stack("dev").count_by_type())
    assert "price trust:  how far to trust the total:" in out


def test_verbose_lists_every_type(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["preview", "dev", "--verbose"]) == 0
    out = capsys.readouterr().out
    types = out.split("  by type:\n", 1)[1].split("  outputs:", 1)[0].splitlines()
    assert len(types) == len(run_stack("dev").count_by_type()) > TYPES_SHOWN
    assert not any("more types" in t for t in types)


def test_all_table_has_a_row_per_stack() -> None:
    rows = all_table([StackResult("dev", 0, "OK", 353, {"policy": "0 mandatory", "cost": "$1/month"}),
                      StackResult("prod", 1, "CONFIG REFUSED (1 problem(s))")])
    assert rows[0].split() == ["stack", "result", "resources", "policy", "cost"]
    assert rows[2].split()[:3] == ["dev", "OK", "353"]
    assert rows[3].startswith("prod   CONFIG REFUSED (1 problem(s))  -")


def test_incomplete_estimate_fails_the_preview(monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    table = cost_report.load_prices()
    skus = {k: v for k, v in table.skus.items() if k != "eks.cluster.standard"}
    monkeypatch.setattr(cost_report, "load_prices", lambda: type(table)(skus, table.regions, table.hours_per_month,
                                                                         table.spot_factor, table.spot_source))
    assert main(["preview", "dev"]) == 1
    out = capsys.readouterr().out
    assert "no price for SKU 'eks.cluster.standard'" in out
    assert out.rstrip().splitlines()[-1].startswith("stack dev: FAILED (cost)")


@pytest.mark.parametrize(("command", "example"), [("preview", "./tasks preview --all --json plans/"),
                                                  ("bench", "./tasks bench --tenants 10 100")])
def test_subcommand_help_has_a_description_and_an_example(command: str, example: str,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main([command, "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert "examples:" in out or "example:" in out
    assert example in out


def test_config_refusal_is_in_the_status_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    root = edited_root(tmp_path, "dev", lambda cfg: cfg.update({"aws:regoin": cfg.pop("aws:region")}))
    code, out = preview_cli(monkeypatch, capsys, root, "dev")
    assert code == 1
    assert out.rstrip().splitlines()[-1] == "stack dev: CONFIG REFUSED (1 problem(s))"
