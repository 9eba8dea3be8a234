"""The scheduled round trip through prod's Region switch plans (components/region_switch_practice.py)
under the mocks: each schedule starts exactly its own plan, the role can start nothing else, a
failed execution reaches the alert topic of the region it ran in. The config errors (no plans, no
`accept_data_loss`, a schedule outside a weekday window) are rows of tests/test_config_errors.py."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest

from components.region_switch_practice import START_PLAN_EXECUTION, failed_execution_pattern
from stacks.config.models_testing import practice_crons
from stacks.dr import assess
from stacks.harness import Plan, run_stack
from stacks.harness.mock_state import ACCOUNT_ID
from tests.variants import prod_opt_ins

RS_PLAN = "aws:arcregionswitch/plan:Plan"
SCHEDULE = "aws:scheduler/schedule:Schedule"
RULE = "aws:cloudwatch/eventRule:EventRule"
TARGET = "aws:cloudwatch/eventTarget:EventTarget"
COMPONENT = "agentic:dr:RegionSwitchPractice"


@pytest.fixture(scope="module")
def practised() -> Plan:
    return run_stack("prod", prod_opt_ins())  # the practice among every opt-in (tests/variants.py)


def _plans(plan: Plan) -> dict[str, Any]:
    """Data domain -> its Region switch plan."""
    return {p.tags["data-domain"]: p for p in plan.of_type(RS_PLAN)}


def _practice(plan: Plan, typ: str) -> list[Any]:
    return [r for r in plan.of_type(typ) if COMPONENT in r.urn]


def test_urns_are_unique_and_each_plan_gets_its_own_pair(practised: Plan) -> None:
    dup = [u for u, n in Counter(r.urn for r in practised.resources).items() if n > 1]
    assert dup == []
    assert len(_practice(practised, SCHEDULE)) == 2 * len(_plans(practised)) == 4


def test_go_activates_the_standby_and_back_the_primary_of_exactly_that_plan(practised: Plan) -> None:
    for domain, rs in _plans(practised).items():
        primary, standby = rs.inputs["regions"]
        arn = rs.outputs["arn"]
        assert arn.startswith(f"arn:aws:arc-region-switch::{ACCOUNT_ID}:plan/prod-{domain}-failover:")
        legs = {s.name.rsplit("-", 1)[-1]: s for s in _practice(practised, SCHEDULE)
                if s.name.startswith(f"prod-{domain}-practice-")}
        assert set(legs) == {"go", "back"}
        for leg, region in (("go", standby), ("back", primary)):
            s = legs[leg]
            body = json.loads(s.inputs["target"]["input"])
            assert s.inputs["target"]["arn"] == START_PLAN_EXECUTION
            assert body["planArn"] == arn and body["targetRegion"] == region  # this plan only
            assert (body["action"], body["mode"], body["latestVersion"]) == ("activate", "graceful", "true")
            assert s.region == region  # started on the data plane of the region it activates
            assert s.inputs["target"]["retryPolicy"]["maximumRetryAttempts"] == 0
        assert legs["go"].inputs["scheduleExpression"] == "cron(0 9 ? 1,4,7,10 TUE#2 *)"
        assert legs["back"].inputs["scheduleExpression"] == "cron(0 11 ? 1,4,7,10 TUE#2 *)"


def test_the_role_can_start_only_its_plan_and_only_the_scheduler_of_this_account_assumes_it(
        practised: Plan) -> None:
    plans = _plans(practised)
    for domain, rs in plans.items():
        role = next(r for r in _practice(practised, "aws:iam/role:Role") if r.name == f"prod-{domain}-practice-role")
        trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
        assert trust == [{"Effect": "Allow", "Principal": {"Service": "scheduler.amazonaws.com"},
                          "Action": "sts:AssumeRole",
                          "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT_ID}}}]
        doc = json.loads(next(p for p in _practice(practised, "aws:iam/rolePolicy:RolePolicy")
                              if p.name == f"prod-{domain}-practice-start").inputs["policy"])
        assert doc["Statement"] == [{"Sid": "StartThisPlanOnly", "Effect": "Allow",
                                     "Action": "arc-region-switch:StartPlanExecution", "Resource": rs.outputs["arn"]}]
        others = {p.outputs["arn"] for d, p in plans.items() if d != domain}
        assert others and not others & {doc["Statement"][0]["Resource"]}


def test_failed_executions_alert_the_topic_of_each_region_the_practice_runs_in(practised: Plan) -> None:
    topics = {r: v["alert_topic_arn"] for r, v in practised.outputs["regional"].items()}
    for domain, rs in _plans(practised).items():
        rules = [r for r in _practice(practised, RULE) if r.inputs["name"] == f"prod-{domain}-failover-practice-failed"]
        assert sorted(str(r.region) for r in rules) == sorted(rs.inputs["regions"])
        for rule in rules:
            pattern = json.loads(rule.inputs["eventPattern"])
            assert pattern["source"] == ["aws.arc-region-switch"]
            assert pattern["resources"] == [{"prefix": rs.outputs["arn"]}]
            failed = {m["equals-ignore-case"] for m in pattern["detail"]["eventType"]}
            assert {"executionFailed", "executionCanceled", "stepFailed"} <= failed
            assert "executionSucceeded" not in failed and "executionStarted" not in failed
            target = next(t for t in _practice(practised, TARGET)
                          if t.inputs["rule"] == rule.inputs["name"] and t.region == rule.region)
            assert target.inputs["arn"] == topics[str(rule.region)]


def test_the_pattern_ignores_the_case_the_examples_and_the_api_disagree_on() -> None:
    pattern = json.loads(failed_execution_pattern("arn:aws:arc-region-switch::1:plan/p:abcdef"))
    assert pattern["detail-type"] == [{"equals-ignore-case": "ARC Region Switch Plan Execution"}]
    assert all(set(m) == {"equals-ignore-case"} for m in pattern["detail"]["eventType"])


def test_the_dr_report_shows_the_practice_schedule(practised: Plan, prod: Plan) -> None:
    notes = {d.name: d.notes for d in assess(practised).domains}
    eu = next(n for n in notes["eu"] if n.startswith("region switch practice of plan prod-eu-failover"))
    assert eu.endswith("cron(0 9 ? 1,4,7,10 TUE#2 *) activates eu-central-1; "
                       "cron(0 11 ? 1,4,7,10 TUE#2 *) activates eu-west-1")
    off = {d.name: d.notes for d in assess(prod).domains}
    assert any("none scheduled for plan prod-eu-failover" in n for n in off["eu"])


def test_key_off_builds_nothing(prod: Plan) -> None:
    assert not [r for r in prod.resources if COMPONENT in r.urn or "-practice-" in r.name]
    assert all(v.get("practice") is None for v in prod.outputs["failover"]["region_switch"].values())


@pytest.mark.parametrize(("schedule", "hours", "back"), [
    ("cron(0 9 ? 1,4,7,10 TUE#2 *)", 2, "cron(0 11 ? 1,4,7,10 TUE#2 *)"),
    ("cron(30 7 ? * WED *)", 8, "cron(30 15 ? * WED *)"),
    ("cron(0 22 ? * MON *)", 2, None),   # the return would pass midnight
    ("cron(0 9 ? * SAT *)", 2, None),    # not a weekday
    ("rate(90 days)", 2, None),
])
def test_the_return_leg_is_the_same_weekday_later(schedule: str, hours: int, back: str | None) -> None:
    crons = practice_crons(schedule, hours)
    assert (crons[1] if crons else None) == back
