"""Alarm definitions, rules, chart values and config rules of observability (pure, no engine)."""

from __future__ import annotations

import copy
import json

import pytest
import yaml

from app.observability import (
    Chart,
    MonitoringCharts,
    alertmanager_config,
    grafana_datasources,
    load_dashboards,
    loki_policy,
)
from app.prometheus_rules import SEVERITIES, RuleThresholds, platform_rule_groups
from components.alarms import (
    GREATER,
    LESS,
    alb_alarms,
    aurora_alarms,
    nat_alarms,
    redis_alarms,
    redis_member_suffixes,
    topic_key_policy,
)
from components.audit import cloudtrail_bucket_statements, cloudtrail_key_policy, guardduty_event_pattern
from stacks.compose.observability import lb_name_from_hostname
from stacks.config import ConfigError, parse
from stacks.harness.run import stack_namespace as namespace


def by_key(specs):
    return {s.key: s for s in specs}


def test_aurora_alarms_follow_thresholds_and_lag_only_on_secondaries():
    primary = by_key(aurora_alarms("db-1", cpu_percent=70, freeable_memory_mb=512, connections=300))
    assert set(primary) == {"cpu", "freeable-memory", "connections"}
    assert primary["cpu"].threshold == 70 and primary["cpu"].comparison == GREATER
    assert primary["freeable-memory"].threshold == 512 * 1024 * 1024
    assert primary["freeable-memory"].comparison == LESS
    assert primary["connections"].dimensions == {"DBClusterIdentifier": "db-1"}
    secondary = by_key(aurora_alarms("db-2", cpu_percent=70, freeable_memory_mb=512, connections=300,
                                     replication_lag_ms=120_000))
    lag = secondary["global-replication-lag"]
    assert (lag.metric_name, lag.namespace, lag.threshold) == ("AuroraGlobalDBReplicationLag", "AWS/RDS", 120_000)
    assert lag.severity == "P0"


@pytest.mark.parametrize(("shards", "replicas", "expected"), [
    (1, 0, ["001"]),
    (1, 1, ["001", "002"]),
    (2, 1, ["0001-001", "0001-002", "0002-001", "0002-002"]),
])
def test_redis_member_suffixes_match_elasticache_naming(shards, replicas, expected):
    assert redis_member_suffixes(shards, replicas) == expected


def test_redis_alarms_evictions_zero_pages_and_lag_is_optional():
    specs = by_key(redis_alarms("q-001", "001", memory_percent=75, evictions=0, replication_lag_seconds=None))
    assert set(specs) == {"001-memory", "001-evictions"}
    ev = specs["001-evictions"]
    assert (ev.metric_name, ev.statistic, ev.threshold, ev.comparison) == ("Evictions", "Sum", 0, GREATER)
    assert ev.severity == "P0"
    assert specs["001-memory"].metric_name == "DatabaseMemoryUsagePercentage"
    with_lag = by_key(redis_alarms("c-002", "002", memory_percent=75, evictions=10, replication_lag_seconds=5))
    assert with_lag["002-replication-lag"].metric_name == "ReplicationLag"
    assert with_lag["002-replication-lag"].treat_missing_data == "notBreaching"


def test_alb_and_nat_alarms():
    alb = by_key(alb_alarms("app/x/1", elb_5xx=5, target_5xx=7, target_response_seconds=0.5))
    assert alb["elb-5xx"].metric_name == "HTTPCode_ELB_5XX_Count" and alb["elb-5xx"].threshold == 5
    assert alb["target-5xx"].metric_name == "HTTPCode_Target_5XX_Count" and alb["target-5xx"].threshold == 7
    assert alb["target-response-time"].threshold == 0.5
    assert all(s.dimensions == {"LoadBalancer": "app/x/1"} for s in alb.values())
    nat = by_key(nat_alarms("nat-1", "nat1", error_port_allocation=2, packets_drop=30))
    assert nat["nat1-error-port-allocation"].metric_name == "ErrorPortAllocation"
    assert nat["nat1-packets-drop"].metric_name == "PacketsDropCount"


@pytest.mark.parametrize(("host", "name"), [
    ("k8s-platform-api-1a2b3c4d5e-1234567890.us-east-1.elb.amazonaws.com", "k8s-platform-api-1a2b3c4d5e"),
    ("internal-k8s-platform-api-abc-42.eu-west-1.elb.amazonaws.com", "k8s-platform-api-abc"),
    ("plainname.eu-west-1.elb.amazonaws.com", "plainname"),
])
def test_lb_name_from_hostname(host, name):
    assert lb_name_from_hostname(host) == name


def test_topic_key_policy_admits_cloudwatch_and_eventbridge_of_this_account_only():
    doc = json.loads(topic_key_policy("123456789012"))
    publishers = next(s for s in doc["Statement"] if s["Sid"] == "AlarmAndEventPublishers")
    assert set(publishers["Principal"]["Service"]) == {"cloudwatch.amazonaws.com", "events.amazonaws.com"}
    assert publishers["Condition"]["StringEquals"]["aws:SourceAccount"] == "123456789012"
    assert "kms:GenerateDataKey*" in publishers["Action"]


def test_cloudtrail_policies_are_scoped_to_the_trail():
    trail = "arn:aws:cloudtrail:us-east-1:123456789012:trail/t"
    stmts = {s["Sid"]: s for s in cloudtrail_bucket_statements("arn:aws:s3:::b", trail, "123456789012")}
    assert stmts["CloudTrailWrite"]["Resource"] == "arn:aws:s3:::b/AWSLogs/123456789012/*"
    assert stmts["CloudTrailWrite"]["Condition"]["StringEquals"]["aws:SourceArn"] == trail
    assert stmts["CloudTrailAclCheck"]["Action"] == "s3:GetBucketAcl"
    key = {s["Sid"]: s for s in json.loads(cloudtrail_key_policy("123456789012", trail))["Statement"]}
    assert key["CloudTrailEncrypt"]["Condition"]["StringEquals"]["aws:SourceArn"] == trail
    assert json.loads(guardduty_event_pattern())["detail"]["severity"] == [{"numeric": [">=", 7]}]


# --- Prometheus rules and Alertmanager --------------------------------------------------------

REQUIRED_ALERTS = {
    "ApiHighErrorRate", "ApiLatencyP95High", "ApiLatencyP99High", "DatabaseConnectionPoolHigh",
    "RedisMemoryHigh", "QueueDepthHigh", "QueueProcessingSlow", "TenantQuotaExceeded",
    "TenantTokenUsageHigh", "ServiceDown",
}


def test_rules_cover_the_guides_alerts_each_with_severity_and_runbook():
    groups = platform_rule_groups(RuleThresholds(), {"acme": 1_000_000, "globex": 0})
    rules = [r for g in groups for r in g["rules"]]
    assert {r["alert"] for r in rules} >= REQUIRED_ALERTS
    for rule in rules:
        assert rule["labels"]["severity"] in SEVERITIES, rule["alert"]
        assert rule["annotations"]["runbook_url"].startswith("https://"), rule["alert"]
    token = [r for r in rules if r["alert"] == "TenantTokenUsageHigh"]
    assert [r["labels"]["tenant"] for r in token] == ["acme"]  # a zero quota means unlimited
    assert "800000" in token[0]["expr"]


def test_alertmanager_routes_each_severity_and_sends_to_the_region_topic():
    topic = "arn:aws:sns:eu-west-1:111122223333:prod-eu-west-1-alerts"
    cfg = alertmanager_config(topic, "eu-west-1")
    receivers = {r["name"]: r for r in cfg["receivers"]}
    routed = {}
    for route in cfg["route"]["routes"]:
        for sev in SEVERITIES:
            if f'"{sev}' in route["matchers"][0] or f"|{sev}" in route["matchers"][0]:
                routed.setdefault(sev, route["receiver"])
    assert set(routed) == set(SEVERITIES)
    for sev in ("P0", "P1", "P2"):
        sns = receivers[routed[sev]]["sns_configs"][0]
        assert sns["topic_arn"] == topic and sns["sigv4"]["region"] == "eu-west-1"
    assert "sns_configs" not in receivers[routed["P3"]]
    yaml.safe_dump(cfg)  # renders as the chart's alertmanager.yaml


def test_charts_refuse_unpinned_versions():
    with pytest.raises(ValueError, match="pinned"):
        Chart("loki", "latest", "https://grafana.github.io/helm-charts")
    with pytest.raises(ValueError, match="pinned"):
        MonitoringCharts.pinned("76.4.0", "", "0.131.0")


def test_dashboards_parse_and_regions_view_repeats_per_cloudwatch_datasource():
    boards = load_dashboards()
    assert {"api.json", "workers-queue.json", "tenants-tokens.json", "regions-overview.json"} <= set(boards)
    regions = json.loads(boards["regions-overview.json"])
    assert all(p.get("repeat") == "region" for p in regions["panels"])
    uids = [d["uid"] for d in grafana_datasources(["us-east-1", "eu-west-1"])]
    assert uids == ["loki", "cloudwatch-us-east-1", "cloudwatch-eu-west-1"]


def test_loki_policy_reaches_only_its_bucket_and_key():
    doc = json.loads(loki_policy("arn:aws:s3:::loki-b", "arn:aws:kms:us-east-1:1:key/k"))
    resources = {r for s in doc["Statement"] for r in ([s["Resource"]] if isinstance(s["Resource"], str)
                                                       else s["Resource"])}
    assert resources == {"arn:aws:s3:::loki-b", "arn:aws:s3:::loki-b/*", "arn:aws:kms:us-east-1:1:key/k"}


# --- config rules ------------------------------------------------------------------------------

def _parse_with(stack, **observability):
    ns, region = namespace(stack)
    ns = copy.deepcopy(ns)
    ns["observability"] = {**ns.get("observability", {}), **observability}
    return parse(ns, stack=stack, aws_region=region)


def test_replication_lag_alarm_must_stay_below_the_rpo():
    with pytest.raises(ConfigError) as info:
        _parse_with("prod", alarms={"aurora_replication_lag_ms": 900_000})
    assert "agentic-platform:observability.alarms.aurora_replication_lag_ms" in str(info.value)
    assert "RPO" in str(info.value)
    assert _parse_with("prod", alarms={"aurora_replication_lag_ms": 899_000}).observability.alarms \
        .aurora_replication_lag_ms == 899_000


def test_log_cold_days_must_follow_hot_days():
    with pytest.raises(ConfigError) as info:
        _parse_with("dev", log_hot_days=30, log_cold_days=30)
    assert "agentic-platform:observability.log_cold_days" in str(info.value)


def test_remote_write_aggregation_is_refused_until_implemented():
    with pytest.raises(ConfigError) as info:
        _parse_with("dev", metrics_aggregation="remote-write")
    assert "agentic-platform:observability.metrics_aggregation" in str(info.value)
    assert "per-region-datasource" in str(info.value)
