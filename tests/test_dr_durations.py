"""The DR report's durations come from stacks/dr/durations.yaml, and its printed runbook command runs."""

from __future__ import annotations

import copy
import re
import shlex
from pathlib import Path

import pytest

from ops.__main__ import parser as ops_parser
from stacks.dr import assess
from stacks.dr.figures import DurationsError, load_table
from stacks.dr.report import failover_command
from stacks.harness import Plan
from stacks.reports import dr as dr_report

TABLE = Path(__file__).resolve().parents[1] / "stacks" / "dr" / "durations.yaml"


def _writes(plan: Plan, domain: str, **overrides: float) -> tuple[float | None, str]:
    _, fig = load_table(overrides=overrides)
    rep = assess(plan, fig=fig)
    check = next(c for d in rep.domains if d.name == domain for c in d.checks if c.metric == "failover (writes)")
    return check.seconds, check.status


def test_every_duration_names_a_url_or_an_assumption() -> None:
    _, fig = load_table()
    assert fig.sources, "the table is empty"
    for name, source in fig.sources.items():
        assert source.startswith(("https://", "assumption: ")), (name, source)


def test_changing_a_duration_in_the_table_changes_the_verdict(prod: Plan) -> None:
    """Prod's write failover runs through the domain's Region switch plan: plan start + Aurora
    failover + reconnect, measured after detection; one second more on any step is a miss."""
    for domain in ("global", "eu"):
        base = _writes(prod, domain)
        assert base == (120.0, "met (at the limit)"), (domain, base)
        assert _writes(prod, domain, region_switch_start_s=31) == (121.0, "MISS")
        assert _writes(prod, domain, aurora_global_failover_s=61)[1] == "MISS"
        assert _writes(prod, domain, app_reconnect_s=10) == (100.0, "met")
        # With the trigger in place no operator is on the write path any more.
        assert _writes(prod, domain, operator_trigger_s=3600) == base


def test_the_automatic_path_sums_named_steps(prod: Plan) -> None:
    rep = assess(prod)
    for d in rep.domains:
        text = " -> ".join(d.failover_path)
        assert f"trigger alarm prod-{d.name}-failover-primary-down: 10 s x 2" in text
        assert "Region switch starts plan" in text and "operator" not in text
        rto = next(c for c in d.checks if c.metric == "rto")
        assert rto.seconds == 20 + 120 and rto.status == "met"


def test_an_entry_without_source_or_assumption_is_refused(tmp_path: Path) -> None:
    line = ("    assumption: page, decide and start `python -m ops failover` - 5 min for an on-call engineer "
            "who is awake\n")
    text = TABLE.read_text()
    assert line in text
    text = text.replace(line, "")
    bad = tmp_path / "durations.yaml"
    bad.write_text(text)
    with pytest.raises(DurationsError, match=r"durations.operator_trigger_s: needs a `source:` URL or an `assumpt"):
        load_table(bad)


def test_an_unknown_override_is_refused() -> None:
    with pytest.raises(DurationsError, match="unknown duration"):
        load_table(overrides={"operator_trigger": 1})


def test_the_failover_command_runs_as_printed() -> None:
    args = ops_parser().parse_args(shlex.split(failover_command("global", "eu-west-1"))[3:])
    assert (args.command, args.domain, args.to) == ("failover", "global", "eu-west-1")
    assert args.unplanned and args.accept_data_loss and args.apply and args.outputs == "outputs.json"


def test_every_command_the_dr_report_prints_parses_with_the_ops_cli(prod: Plan) -> None:
    manual = copy.deepcopy(prod)  # kill switch pulled: the report prints the runbook command
    for p in manual.of_type("aws:arcregionswitch/plan:Plan"):
        p.inputs["triggers"] = None
    lines = dr_report.report(manual).lines
    commands = [c for line in lines for c in re.findall(r"`(python -m ops [^`]+)`", line)]
    assert len(commands) == 2  # one per data domain
    for command in commands:
        args = ops_parser().parse_args(shlex.split(command)[3:])  # drop "python -m ops"
        assert args.command == "failover" and args.unplanned and args.accept_data_loss
