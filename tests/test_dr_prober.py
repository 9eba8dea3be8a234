"""The prober that feeds the trigger alarm: its code, its resources, and the path prober -> metric
-> alarm -> plan trigger (automatic failover needs a metric that can turn red)."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from components import prober_code
from components.primary_prober import RUNTIME, role_policy, source
from stacks.cost.skus import LineItem, SkuContext, line_items
from stacks.cost.usage import load_usage
from stacks.dr import assess
from stacks.harness import Plan
from tests.cost_plans import plan as hand_plan
from tests.cost_plans import res

FN = "aws:lambda/function:Function"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
RS_PLAN = "aws:arcregionswitch/plan:Plan"


# --- the handler's code (pure, fake clock and socket) ---------------------------------------

def test_inline_source_compiles_and_is_the_module() -> None:
    code = source()
    compile(code, "index.py", "exec")
    assert "def handler(event" in code and code == Path(prober_code.__file__).read_text()


class Clock:
    def __init__(self, start: float = 1_800_000_000.0, cost: float = 0.5):
        self.now, self.cost, self.sleeps = start, cost, []

    def __call__(self) -> float:
        return self.now

    def sleep(self, s: float) -> None:
        self.sleeps.append(s)
        self.now += s


def test_run_probes_on_a_10_s_grid_and_publishes_each_result_at_once() -> None:
    clock, published = Clock(), []
    results = iter([True, True, False, False, True, True])

    def probe() -> bool:
        clock.now += 0.5  # each probe takes half a second
        return next(results)

    sent = prober_code.run(probe=probe, publish=published.append, clock=clock, sleep=clock.sleep, period=10,
                           timeout=2, budget_seconds=57, domain="eu", primary_region="eu-west-1", log=lambda _: None)
    assert sent == published and [d["Value"] for d in sent] == [1.0, 1.0, 0.0, 0.0, 1.0, 1.0]
    starts = [d["Timestamp"].timestamp() - 1_800_000_000.0 for d in sent]
    assert starts == [0.0, 10.0, 20.0, 30.0, 40.0, 50.0]
    assert all(d["StorageResolution"] == 1 and d["MetricName"] == "PrimaryReachable" for d in sent)
    assert sent[0]["Dimensions"] == [{"Name": "Domain", "Value": "eu"}, {"Name": "Region", "Value": "eu-west-1"}]
    assert sent[0]["Timestamp"].tzinfo == dt.UTC


def test_a_failed_publish_is_logged_and_probing_goes_on() -> None:
    clock, logs, calls = Clock(), [], []

    def publish(d: dict[str, Any]) -> None:
        calls.append(d)
        if len(calls) == 1:
            raise RuntimeError("throttled")

    sent = prober_code.run(probe=lambda: True, publish=publish, clock=clock, sleep=clock.sleep, period=10, timeout=2,
                           budget_seconds=57, domain="global", primary_region="us-east-1", log=logs.append)
    assert len(calls) == 6 and len(sent) == 5 and any("throttled" in m for m in logs)


@pytest.mark.parametrize(("budget", "period", "slots"), [(57, 10, 6), (57, 30, 2), (57, 60, 1), (1, 10, 1)])
def test_probe_slots_fit_the_invocation(budget: float, period: float, slots: int) -> None:
    assert prober_code.probe_slots(budget, period, 2) == slots


class FakeSocket:
    def __init__(self, answer: bytes | Exception):
        self.answer, self.sent = answer, b""

    def __enter__(self) -> FakeSocket:
        return self

    def __exit__(self, *a: object) -> None:
        return None

    def settimeout(self, t: float) -> None:
        pass

    def sendall(self, b: bytes) -> None:
        self.sent += b

    def recv(self, n: int) -> bytes:
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


@pytest.mark.parametrize(("answer", "ok"), [(b"S", True), (b"N", True), (b"", False), (b"E", False),
                                            (TimeoutError("timed out"), False)])
def test_postgres_answers_to_an_sslrequest(answer: bytes | Exception, ok: bool) -> None:
    sock = FakeSocket(answer)
    assert prober_code.postgres_answers("w.example", 5432, 2, connect=lambda addr, t: sock) is ok
    assert sock.sent == b"\x00\x00\x00\x08\x04\xd2\x16\x2f"  # length 8, code 1234.5679


def test_an_unreachable_writer_is_not_an_exception() -> None:
    def refuse(addr: tuple[str, int], t: float) -> FakeSocket:
        raise ConnectionRefusedError(111, "refused")

    assert prober_code.postgres_answers("w.example", 5432, 2, connect=refuse) is False


def test_role_may_publish_only_into_the_dr_namespace() -> None:
    doc = json.loads(role_policy(log_group_arn="arn:aws:logs:eu-central-1:1:log-group:/aws/lambda/p"))
    put = next(s for s in doc["Statement"] if s["Action"] == "cloudwatch:PutMetricData")
    assert put["Condition"] == {"StringEquals": {"cloudwatch:namespace": "AgenticPlatform/DR"}}
    logs = next(s for s in doc["Statement"] if s["Sid"] == "OwnLogGroup")
    assert logs["Resource"].endswith("/aws/lambda/p:log-stream:*")


# --- the prod program: one prober per plan, in the standby region ---------------------------

def _plans(prod: Plan) -> list[Any]:
    return prod.of_type(RS_PLAN)


def test_each_plan_has_a_prober_in_its_standby_region(prod: Plan) -> None:
    fns = [f for f in prod.of_type(FN) if f.name.endswith("-prober-fn")]
    assert len(fns) == len(_plans(prod)) == 2
    for rs in _plans(prod):
        primary = rs.inputs["primaryRegion"]
        standby = next(r for r in rs.inputs["regions"] if r != primary)
        fn = next(f for f in fns if f.inputs["environment"]["variables"]["PROBE_PRIMARY_REGION"] == primary)
        assert fn.region == standby
        assert fn.inputs["runtime"] == RUNTIME == "python3.13"
        assert fn.inputs["reservedConcurrentExecutions"] == 1 and fn.inputs["architectures"] == ["arm64"]
        assert fn.inputs["vpcConfig"]["subnetIds"]
        assert fn.inputs["environment"]["variables"]["PROBE_PERIOD_SECONDS"] == "10"
        log = next(g for g in prod.of_type("aws:cloudwatch/logGroup:LogGroup")
                   if g.inputs.get("name") == f"/aws/lambda/{fn.inputs['name']}")
        assert log.region == standby and log.inputs.get("kmsKeyId") and log.inputs["retentionInDays"] == 90
        rule = next(r for r in prod.of_type("aws:cloudwatch/eventRule:EventRule")
                    if r.inputs.get("name") == f"{fn.inputs['name']}-every-minute")
        assert rule.inputs["scheduleExpression"] == "rate(1 minute)" and rule.region == standby


def test_primary_database_admits_only_the_standby_private_tier_on_5432(prod: Plan) -> None:
    rules = [r for r in prod.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
             if r.name.endswith("-prober-db-in")]
    assert {(r.region, r.inputs["cidrIpv4"]) for r in rules} == {("us-east-1", "10.41.0.0/17"),
                                                                 ("eu-west-1", "10.43.0.0/17")}
    assert all(r.inputs["fromPort"] == r.inputs["toPort"] == 5432 for r in rules)


def test_path_prober_metric_alarm_plan_trigger(prod: Plan) -> None:
    """What the prober publishes is what the alarm reads, and the alarm is what the plan triggers on."""
    for rs in _plans(prod):
        trigger = rs.inputs["triggers"][0]
        alarm_name = trigger["conditions"][0]["associatedAlarmName"]
        assoc = next(a for a in rs.inputs["associatedAlarms"] if a["mapBlockKey"] == alarm_name)
        assert assoc["alarmType"] == "trigger"
        alarm = next(a for a in prod.of_type(ALARM) if a.inputs.get("name") == alarm_name)
        assert assoc["resourceIdentifier"].endswith(f":metricalarm/{alarm_name}")
        assert alarm.region == trigger["targetRegion"]
        fn = next(f for f in prod.of_type(FN) if f.region == alarm.region and f.name.endswith("-prober-fn"))
        env = fn.inputs["environment"]["variables"]
        published = prober_code.datum(False, 0, env["PROBE_DOMAIN"], env["PROBE_PRIMARY_REGION"])
        assert env["PROBE_NAMESPACE"] == alarm.inputs["namespace"]
        assert published["MetricName"] == alarm.inputs["metricName"]
        assert {d["Name"]: d["Value"] for d in published["Dimensions"]} == alarm.inputs["dimensions"]
        assert float(env["PROBE_PERIOD_SECONDS"]) == alarm.inputs["period"]
        assert alarm.inputs["dimensions"]["Region"] == rs.inputs["primaryRegion"]
        # a 0 breaches (< 1); silence (prober down) never does
        assert alarm.inputs["comparisonOperator"] == "LessThanThreshold" and alarm.inputs["threshold"] == 1
        assert alarm.inputs["treatMissingData"] in ("missing", "notBreaching")


def test_without_its_prober_an_automatic_plan_is_a_dr_miss(prod: Plan) -> None:
    silent = copy.deepcopy(prod)
    silent.resources = [r for r in silent.resources if not (r.type == FN and r.name.endswith("-prober-fn"))]
    rep = assess(silent)
    status = {d.name: {c.metric: c.status for c in d.checks} for d in rep.domains}
    assert status["global"]["failover (writes)"] == "MISS" and status["eu"]["failover (writes)"] == "MISS"
    assert any("has no prober" in step for d in rep.domains for step in d.failover_path)
    assert assess(prod).misses() == []


# --- cost ---------------------------------------------------------------------------------------

def test_prober_is_priced_from_its_usage() -> None:
    fn = res(FN, "prod-eu-prober-fn", at="eu-central-1", memorySize=128, architectures=["arm64"])
    p = hand_plan(fn)
    items = line_items(fn, SkuContext(hours=730, usage=load_usage("prod"), plan=p))
    assert items is not None
    got = {i.sku: round(i.quantity, 4) for i in items}
    assert got == {"lambda.requests": 0.0438, "lambda.duration.arm64": round(43_800 * 53 * 0.125, 4),
                   "cloudwatch.custom_metric": 1.0, "cloudwatch.put_metric_data": 262.8}
    assert all(isinstance(i, LineItem) for i in items)
