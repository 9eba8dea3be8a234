"""Testing in production and on-call in the stacks' plans: what each stack enables and how it is wired."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
import yaml

from stacks.config import ConfigError, parse
from stacks.cost import estimate
from stacks.harness import Plan, run_stack
from stacks.harness.mock_state import ACCOUNT_ID
from stacks.harness.run import stack_namespace
from tests.variants import PAGING_KEY, prod_opt_ins

FIS = "aws:fis/experimentTemplate:ExperimentTemplate"
RULE = "aws:cloudwatch/eventRule:EventRule"
TARGET = "aws:cloudwatch/eventTarget:EventTarget"
CR = "kubernetes:chaos-mesh.org/v1alpha1:Schedule"


def _topic(plan: Plan, region: str) -> str:
    return plan.outputs["regional"][region]["alert_topic_arn"]


def _target_of(plan: Plan, rule_name: str) -> dict[str, Any]:
    return next(t.inputs for t in plan.of_type(TARGET) if t.inputs["rule"] == rule_name)


def test_staging_fis_failover_stops_on_the_alb_alarms_and_alerts_on_failure(staging: Plan):
    tmpl = staging.one(FIS, "staging-us-east-1-fis-aurora-failover-global")
    assert tmpl.inputs["actions"][0]["actionId"] == "aws:rds:failover-db-cluster"
    cluster = staging.outputs["regional"]["us-east-1"]["db_cluster_identifier"]
    assert tmpl.inputs["targets"][0]["resourceArns"][0].endswith(f":cluster:{cluster}")
    stops = sorted(s["value"] for s in tmpl.inputs["stopConditions"])
    assert [s.rsplit(":", 1)[1] for s in stops] == ["staging-us-east-1-alb-elb-5xx", "staging-us-east-1-alb-target-5xx"]
    assert all(s["source"] == "aws:cloudwatch:alarm" for s in tmpl.inputs["stopConditions"])
    policy = json.loads(staging.one("aws:iam/rolePolicy:RolePolicy", "staging-us-east-1-fis-policy").inputs["policy"])
    failover = next(s for s in policy["Statement"] if s["Action"] == ["rds:FailoverDBCluster"])
    assert failover["Resource"] == tmpl.inputs["targets"][0]["resourceArns"]
    rule = staging.one(RULE, "staging-us-east-1-fis-failed")
    pattern = json.loads(rule.inputs["eventPattern"])
    assert pattern["detail"]["new-state"]["status"] == ["failed", "stopped"]
    assert _target_of(staging, rule.inputs["name"])["arn"] == _topic(staging, "us-east-1")
    assert not any("cross-region" in r.name for r in staging.of_type(FIS))  # one region: no peers


def test_staging_dr_drill_starts_only_the_failover_template_monthly(staging: Plan):
    schedule = staging.one("aws:scheduler/schedule:Schedule", "staging-us-east-1-dr-drill-schedule")
    tmpl = staging.one(FIS, "staging-us-east-1-fis-aurora-failover-global")
    target = schedule.inputs["target"]
    assert target["arn"] == "arn:aws:scheduler:::aws-sdk:fis:startExperiment"
    assert json.loads(target["input"])["ExperimentTemplateId"] == tmpl.id
    assert schedule.inputs["scheduleExpression"] == "cron(0 10 ? * WED#1 *)"
    start = staging.one("aws:iam/rolePolicy:RolePolicy", "staging-us-east-1-dr-drill-start")
    policy = json.loads(start.inputs["policy"])
    assert policy["Statement"][0]["Resource"][0].endswith(f"experiment-template/{tmpl.id}")


def test_staging_chaos_workflows_abort_when_the_api_stops_answering(staging: Plan):
    schedules = {r.name.removeprefix("staging-us-east-1-chaos-"): r for r in staging.of_type(CR)}
    assert sorted(schedules) == ["cpu-stress", "database-unavailable", "memory-pressure", "network-latency",
                                 "pod-failure"]
    for s in schedules.values():
        spec = s.inputs["spec"]
        assert spec["concurrencyPolicy"] == "Forbid" and spec["type"] == "Workflow"
        check = next(t for t in spec["workflow"]["templates"] if t["templateType"] == "StatusCheck")
        assert check["abortWithStatusCheck"] is True
        assert check["statusCheck"]["http"]["url"].endswith("/health/ready")
    db = schedules["database-unavailable"].inputs["spec"]["workflow"]["templates"][1]["networkChaos"]
    assert db["action"] == "partition"
    assert db["externalTargets"] == [staging.outputs["regional"]["us-east-1"]["db_proxy_endpoint"]]
    chart = staging.one("kubernetes:helm.sh/v3:Release", "staging-us-east-1-chaos-chart")
    assert chart.inputs["version"] == "2.8.2" and chart.inputs["values"]["dashboard"]["create"] is False


def test_staging_load_tests_run_the_baseline_per_release_into_prometheus(staging: Plan):
    scripts = staging.one("kubernetes:core/v1:ConfigMap", "staging-us-east-1-load-scripts").inputs["data"]
    assert {f"{s}.js" for s in ("baseline", "peak", "stress", "spike", "soak")} <= set(scripts)
    runs = staging.of_type("kubernetes:k6.io/v1alpha1:TestRun")
    assert len(runs) == 1 and runs[0].inputs["metadata"]["name"].startswith("baseline-")
    env = {e["name"]: e for e in runs[0].inputs["spec"]["runner"]["env"]}
    assert env["K6_PROMETHEUS_RW_SERVER_URL"]["value"].endswith(":9090/api/v1/write")
    assert "experimental-prometheus-rw" in runs[0].inputs["spec"]["arguments"]
    assert staging.one("kubernetes:helm.sh/v3:Release", "staging-us-east-1-load-operator").inputs["version"] == "3.14.2"
    manifests = staging.one("kubernetes:core/v1:ConfigMap", "staging-us-east-1-load-testruns").inputs["data"]
    assert yaml.safe_load(manifests["stress.yaml"])["spec"]["script"]["configMap"]["file"] == "stress.js"
    kps = next(r for r in staging.of_type("kubernetes:helm.sh/v3:Release")
               if r.inputs["chart"] == "kube-prometheus-stack")
    assert kps.inputs["values"]["prometheus"]["prometheusSpec"]["enableRemoteWriteReceiver"] is True


def test_staging_restores_its_database_monthly_and_alerts_on_failure(staging: Plan):
    plan = staging.one("aws:backup/restoreTestingPlan:RestoreTestingPlan", "staging-global-restore-testing-plan")
    vault = staging.outputs["data_domains"]["global"]["backup_vaults"]["us-east-1"]
    assert plan.inputs["recoveryPointSelection"]["includeVaults"][0].endswith(f":backup-vault:{vault}")
    assert plan.inputs["scheduleExpression"] == "cron(0 5 1 * ? *)"
    sel = staging.one("aws:backup/restoreTestingSelection:RestoreTestingSelection",
                      "staging-global-restore-testing-global")
    assert sel.inputs["protectedResourceType"] == "Aurora" and sel.inputs["validationWindowHours"] == 4
    rule = staging.one(RULE, "staging-global-restore-testing-failed")
    assert json.loads(rule.inputs["eventPattern"])["detail"]["status"] == ["FAILED", "ABORTED"]
    assert _target_of(staging, rule.inputs["name"])["arn"] == _topic(staging, "us-east-1")


def test_cost_export_includes_split_cost_allocation_into_an_encrypted_bucket(staging: Plan):
    export = staging.one("aws:bcmdata/export:Export", "staging-us-east-1-cost-export-export").inputs["export"]
    table = export["dataQueries"][0]["tableConfigurations"]["COST_AND_USAGE_REPORT"]
    assert table["INCLUDE_SPLIT_COST_ALLOCATION_DATA"] == "TRUE"
    assert "split_line_item_split_cost" in export["dataQueries"][0]["queryStatement"]
    bucket = export["destinationConfigurations"][0]["s3Destinations"][0]["s3Bucket"]
    sse = next(s for s in staging.of_type("aws:s3/bucketServerSideEncryptionConfiguration:"
                                          "BucketServerSideEncryptionConfiguration") if s.inputs["bucket"] == bucket)
    key = staging.one("aws:kms/key:Key", "staging-us-east-1-cost-export-key")
    rule = sse.inputs["rules"][0]["applyServerSideEncryptionByDefault"]
    assert rule["kmsMasterKeyId"] == key.outputs["arn"] and rule["sseAlgorithm"] == "aws:kms"
    policy = json.loads(next(p for p in staging.of_type("aws:s3/bucketPolicy:BucketPolicy")
                             if p.inputs["bucket"] == bucket).inputs["policy"])
    writers = next(s for s in policy["Statement"] if s.get("Sid") == "DataExportsWrite")
    assert "bcm-data-exports.amazonaws.com" in writers["Principal"]["Service"]


def test_prod_runs_no_load_chaos_or_drill_unless_its_stack_file_says_so(prod: Plan):
    assert not prod.of_type(FIS) and not prod.of_type(CR) and not prod.of_type("kubernetes:k6.io/v1alpha1:TestRun")
    assert not prod.of_type("aws:scheduler/schedule:Schedule")
    plans = prod.of_type("aws:backup/restoreTestingPlan:RestoreTestingPlan")
    assert sorted(str(p.region) for p in plans) == ["eu-west-1", "us-east-1"]  # each domain's primary


def test_dev_has_none_of_it_by_default(dev: Plan):
    assert not dev.of_type(FIS) and not dev.of_type("aws:backup/restoreTestingPlan:RestoreTestingPlan")
    assert not dev.of_type("aws:bcmdata/export:Export")


@pytest.fixture(scope="module")
def prod_on_call() -> Plan:
    return run_stack("prod", prod_opt_ins())  # PagerDuty, chaos and GuardDuty among every opt-in


def test_pages_route_by_region_and_severity_and_p0s_aggregate_in_the_default_region(prod_on_call: Plan):
    rules = {r.inputs["name"]: r for r in prod_on_call.of_type(RULE)}
    p1 = json.loads(rules["prod-eu-west-1-page-p1"].inputs["eventPattern"])["detail"]
    assert p1["alarmName"] == [{"prefix": "prod-eu-west-1-"}]
    assert p1["configuration"]["description"] == [{"prefix": "[P1]"}]
    body = json.loads(_target_of(prod_on_call, "prod-eu-west-1-page-p1")["inputTransformer"]["inputTemplate"])
    assert body["payload"]["source"] == "<region>" and body["payload"]["severity"] == "error"
    assert body["routing_key"] == PAGING_KEY and body["dedup_key"] == "<arn>"
    forward = _target_of(prod_on_call, "prod-eu-west-1-p0-to-us-east-1")
    assert forward["arn"] == f"arn:aws:events:us-east-1:{ACCOUNT_ID}:event-bus/default"
    assert "prod-us-east-1-global-p0" in rules and "prod-us-east-1-p0-to-us-east-1" not in rules
    glob = json.loads(rules["prod-us-east-1-global-p0"].inputs["eventPattern"])["detail"]
    assert glob["alarmName"] == [{"prefix": "prod-"}]  # every region's P0s
    assert not any(r.endswith("-page-p2") for r in rules)
    conn = next(r for r in prod_on_call.of_type("aws:cloudwatch/eventConnection:EventConnection"))
    assert any("authParameters" in p for p in conn.secret_paths)


def test_prod_chaos_cuts_each_region_from_its_domain_peers(prod_on_call: Plan):
    cuts = sorted(r.name for r in prod_on_call.of_type(FIS) if "cross-region-cut" in r.name)
    assert "prod-eu-west-1-fis-cross-region-cut-eu-central-1" in cuts
    assert "prod-eu-central-1-fis-cross-region-cut-us-east-1" not in cuts  # EU domain stays in the EU
    tmpl = prod_on_call.one(FIS, "prod-eu-west-1-fis-cross-region-cut-eu-central-1")
    params = {p["key"]: p["value"] for p in tmpl.inputs["actions"][0]["parameters"]}
    assert params == {"duration": "PT5M", "region": "eu-central-1"}


def test_guardduty_runtime_and_malware_are_on_and_priced(prod_on_call: Plan):
    features = [f for f in prod_on_call.of_type("aws:guardduty/detectorFeature:DetectorFeature")
                if f.inputs["name"] == "RUNTIME_MONITORING"]
    assert len(features) == 4
    assert features[0].inputs["additionalConfigurations"] == [{"name": "EKS_ADDON_MANAGEMENT", "status": "ENABLED"}]
    est = estimate(prod_on_call)
    runtime = [ln for ln in est.lines if ln.sku == "guardduty.runtime_vcpu"]
    assert len(runtime) == 4 and all(ln.quantity > 0 and ln.monthly > 0 for ln in runtime)
    assert any(ln.sku == "guardduty.malware_scan_gb" for ln in est.lines)
    assert any(ln.sku == "fis.action_minute" for ln in est.lines)


def _refuse(stack: str, **changes: Any) -> str:
    ns, region = stack_namespace(stack)
    ns = copy.deepcopy(ns)
    ns.update(changes)
    with pytest.raises(ConfigError) as info:
        parse(ns, stack=stack, aws_region=region)
    return str(info.value)


def test_bad_testing_and_oncall_config_names_the_key_and_the_fix():
    msg = _refuse("prod", oncall={"provider": "pagerduty"})
    assert "agentic-platform:pagerduty_routing_key: missing (oncall.provider is 'pagerduty')" in msg
    assert "pulumi config set --secret" in msg
    msg = _refuse("staging", threat_detection={"runtime_monitoring": True}, observability={"guardduty": False})
    assert "agentic-platform:threat_detection.runtime_monitoring: needs the GuardDuty detector" in msg
    msg = _refuse("local", testing={"chaos": {"enabled": True}})
    assert "agentic-platform:testing.chaos.enabled: the local stack" in msg
    msg = _refuse("staging", oncall={"provider": "opsgenie"})
    assert "agentic-platform:oncall.provider" in msg
