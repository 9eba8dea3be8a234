"""Observability wiring in whole stacks: every store, load balancer and NAT gateway alarms to its
own region's topic; thresholds follow config; charts are pinned; audit and rules are in place."""

from __future__ import annotations

import json
from collections import defaultdict

import pytest

from app.prometheus_rules import SEVERITIES
from components.alarms import redis_member_suffixes
from stacks.config.validate import RPO_MS
from stacks.harness import run_stack
from stacks.harness.plan import Plan, PlannedResource

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
TOPIC = "aws:sns/topic:Topic"
OVERRIDE = {
    "alarms": {"aurora_cpu_percent": 55, "aurora_connections": 123, "redis_memory_percent": 66,
               "redis_cache_evictions": 12, "alb_5xx_count": 7, "alb_target_5xx_count": 9,
               "alb_target_response_seconds": 0.25, "nat_packets_drop_count": 42},
    "alert_email": "oncall@example.com",
}


@pytest.fixture(scope="module")
def dev_override() -> Plan:
    return run_stack("dev", overrides={"agentic-platform:observability": OVERRIDE})


def alert_topics(plan: Plan) -> dict[str, str]:
    """region -> ARN of the observability alert topic of that region."""
    out: dict[str, str] = {}
    for t in plan.of_type(TOPIC):
        if t.name.endswith("-alerts-topic"):
            assert t.region is not None and t.region not in out, f"two alert topics in {t.region}"
            out[t.region] = t.outputs["arn"]
    return out


def alarms_on(plan: Plan, dimension: str, value: str) -> list[PlannedResource]:
    return [a for a in plan.of_type(ALARM) if (a.inputs.get("dimensions") or {}).get(dimension) == value]


def metrics(alarms: list[PlannedResource]) -> dict[str, PlannedResource]:
    return {a.inputs["metricName"]: a for a in alarms}


def assert_wired(alarms: list[PlannedResource], region: str | None, topics: dict[str, str]) -> None:
    assert region is not None and region in topics, f"no alert topic in {region}"
    for a in alarms:
        assert a.region == region, f"{a.name} is in {a.region}, its target in {region}"
        assert a.inputs["alarmActions"] == [topics[region]], a.name
        assert a.inputs["okActions"] == [topics[region]], a.name
        assert topics[region].split(":")[3] == region


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_region_has_one_encrypted_alert_topic(stack: str, dev: Plan, prod: Plan):
    plan = dev if stack == "dev" else prod
    topics = alert_topics(plan)
    assert set(topics) == set(plan.outputs["regions"])
    keys = {k.outputs["arn"]: k for k in plan.of_type("aws:kms/key:Key")}
    for t in plan.of_type(TOPIC):
        if t.name.endswith("-alerts-topic"):
            key = keys[t.inputs["kmsMasterKeyId"]]
            assert key.region == t.region and key.inputs["enableKeyRotation"] is True
    for region, arn in topics.items():
        assert plan.outputs["regional"][region]["alert_topic_arn"] == arn


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_aurora_cluster_alarms_to_its_region_topic(stack: str, dev: Plan, prod: Plan):
    """Platform clusters and enterprise tenants' own clusters (built by the tenants layer) alike."""
    plan = dev if stack == "dev" else prod
    topics = alert_topics(plan)
    clusters = plan.of_type("aws:rds/cluster:Cluster")
    assert clusters
    if stack == "prod":
        assert any("-tenant-" in c.name for c in clusters)
    with_instances = {i.inputs["clusterIdentifier"] for i in plan.of_type("aws:rds/clusterInstance:ClusterInstance")}
    for c in clusters:
        if c.id not in with_instances:
            continue  # a headless standby has no instance metrics until failover adds one
        found = metrics(alarms_on(plan, "DBClusterIdentifier", c.outputs["clusterIdentifier"]))
        assert {"CPUUtilization", "FreeableMemory", "DatabaseConnections"} <= set(found), c.name
        assert_wired(list(found.values()), c.region, topics)


def test_replication_lag_alarms_exactly_on_global_secondaries(prod: Plan):
    cfg_domains = {"global": ("us-east-1", {"eu-west-1", "ap-southeast-1"}),
                   "eu": ("eu-west-1", {"eu-central-1"})}
    lag_alarms = [a for a in prod.of_type(ALARM) if a.inputs["metricName"] == "AuroraGlobalDBReplicationLag"]
    lagged = {(a.region, a.inputs["dimensions"]["DBClusterIdentifier"]) for a in lag_alarms}
    expected = set()
    for c in prod.of_type("aws:rds/cluster:Cluster"):
        gid = c.inputs.get("globalClusterIdentifier")
        if not gid or c.tags.get("tenant"):  # tenants' headless standbys: no instance, no lag metric yet
            continue
        primary, replicas = next(v for k, v in cfg_domains.items() if gid.endswith(f"-{k}"))
        if c.region in replicas:
            expected.add((c.region, c.outputs["clusterIdentifier"]))
        else:
            assert c.region == primary
    assert lagged == expected and len(expected) == 3
    assert all(0 < a.inputs["threshold"] < RPO_MS for a in lag_alarms)


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_redis_node_alarms_to_its_region_topic(stack: str, dev: Plan, prod: Plan):
    plan = dev if stack == "dev" else prod
    topics = alert_topics(plan)
    groups = plan.of_type("aws:elasticache/replicationGroup:ReplicationGroup")
    assert groups
    for g in groups:
        shards = int(g.inputs.get("numNodeGroups") or 1)
        replicas = (int(g.inputs["replicasPerNodeGroup"]) if "replicasPerNodeGroup" in g.inputs
                    else int(g.inputs.get("numCacheClusters") or 1) - 1)
        for suffix in redis_member_suffixes(shards, replicas):
            found = metrics(alarms_on(plan, "CacheClusterId", f"{g.inputs['replicationGroupId']}-{suffix}"))
            assert {"DatabaseMemoryUsagePercentage", "Evictions"} <= set(found), f"{g.name} node {suffix}"
            if replicas > 0:
                assert "ReplicationLag" in found, f"{g.name} node {suffix}"
            assert_wired(list(found.values()), g.region, topics)


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_queue_evictions_threshold_is_zero(stack: str, dev: Plan, prod: Plan, dev_override: Plan):
    for plan in (dev if stack == "dev" else prod, dev_override):
        queue = [a for a in plan.of_type(ALARM)
                 if a.inputs["metricName"] == "Evictions" and "-redis-queue-" in a.name]
        assert queue
        assert all(a.inputs["threshold"] == 0 and a.inputs["comparisonOperator"] == "GreaterThanThreshold"
                   for a in queue)


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_load_balancer_and_nat_gateway_alarms_to_its_region_topic(stack: str, dev: Plan, prod: Plan):
    plan = dev if stack == "dev" else prod
    topics = alert_topics(plan)
    by_region: dict[str, set[str]] = defaultdict(set)
    for a in plan.of_type(ALARM):
        if a.inputs["namespace"] == "AWS/ApplicationELB":
            lb = a.inputs["dimensions"]["LoadBalancer"]
            assert lb.startswith("app/") and lb.count("/") == 2, lb
            by_region[a.region or ""].add(a.inputs["metricName"])
            assert_wired([a], a.region, topics)
    ingress_regions = {i.region for i in plan.of_type("kubernetes:networking.k8s.io/v1:Ingress")}
    assert ingress_regions
    for region in ingress_regions:
        assert by_region[region or ""] == {"HTTPCode_ELB_5XX_Count", "HTTPCode_Target_5XX_Count",
                                           "TargetResponseTime"}
    # One alarm set per ALB, i.e. per cell's Ingress (prod eu-west-1 runs two cells, two ALBs).
    lbs: dict[str, set[str]] = defaultdict(set)
    for a in plan.of_type(ALARM):
        if a.inputs["namespace"] == "AWS/ApplicationELB":
            lbs[a.inputs["dimensions"]["LoadBalancer"]].add(a.inputs["metricName"])
    ingresses = plan.of_type("kubernetes:networking.k8s.io/v1:Ingress")
    assert len(lbs) == len(ingresses), (sorted(lbs), [i.name for i in ingresses])
    assert all(m == {"HTTPCode_ELB_5XX_Count", "HTTPCode_Target_5XX_Count", "TargetResponseTime"}
               for m in lbs.values())
    nats = plan.of_type("aws:ec2/natGateway:NatGateway")
    assert nats
    for nat in nats:
        found = metrics(alarms_on(plan, "NatGatewayId", nat.id))
        assert set(found) == {"ErrorPortAllocation", "PacketsDropCount"}, nat.name
        assert_wired(list(found.values()), nat.region, topics)


def test_thresholds_follow_config(dev: Plan, dev_override: Plan):
    def thresholds(plan: Plan) -> dict[tuple[str, str], float]:
        return {(a.inputs["metricName"], a.name.split("-redis-")[-1].split("-")[0]): a.inputs["threshold"]
                for a in plan.of_type(ALARM)}

    default, changed = thresholds(dev), thresholds(dev_override)
    assert default[("CPUUtilization", "dev")] == 80 and changed[("CPUUtilization", "dev")] == 55
    assert changed[("DatabaseConnections", "dev")] == 123
    assert changed[("DatabaseMemoryUsagePercentage", "cache")] == 66
    assert changed[("DatabaseMemoryUsagePercentage", "queue")] == 66
    assert default[("Evictions", "cache")] == 1000 and changed[("Evictions", "cache")] == 12
    assert changed[("HTTPCode_ELB_5XX_Count", "dev")] == 7
    assert changed[("HTTPCode_Target_5XX_Count", "dev")] == 9
    assert changed[("TargetResponseTime", "dev")] == 0.25
    assert changed[("PacketsDropCount", "dev")] == 42
    subs = dev_override.of_type("aws:sns/topicSubscription:TopicSubscription")
    assert [s.inputs["endpoint"] for s in subs if s.name.endswith("-alerts-email")] == ["oncall@example.com"]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_helm_chart_is_pinned(stack: str, dev: Plan, prod: Plan):
    plan = dev if stack == "dev" else prod
    releases = plan.of_type("kubernetes:helm.sh/v3:Release")
    charts = {r.inputs["chart"] for r in releases}
    assert {"kube-prometheus-stack", "loki", "opentelemetry-collector"} <= charts
    for r in releases:
        version = str(r.inputs.get("version") or "")
        assert version and version.lower() != "latest" and version[0].isdigit(), f"{r.name}: {version!r}"
    monitoring = [r for r in releases if "-monitoring-" in r.name]
    # kube-prometheus-stack, its operator's CRDs, Loki, two collectors
    assert len(monitoring) == 5 * len(plan.outputs["regions"])


def test_log_shipper_and_traces_reach_loki_and_xray(dev: Plan):
    releases = {r.name.rsplit("-monitoring-", 1)[-1]: r for r in dev.of_type("kubernetes:helm.sh/v3:Release")
                if "-monitoring-" in r.name}
    logs = releases["otel-logs"].inputs["values"]
    assert logs["mode"] == "daemonset" and logs["presets"]["logsCollection"]["enabled"] is True
    assert logs["config"]["exporters"]["otlphttp/loki"]["endpoint"].endswith("/otlp")
    traces = releases["otel-traces"].inputs["values"]
    assert traces["config"]["service"]["pipelines"]["traces"]["exporters"] == ["awsxray"]
    loki = releases["loki"].inputs["values"]
    assert loki["loki"]["limits_config"]["retention_period"] == "2160h"
    bucket = loki["loki"]["storage"]["bucketNames"]["chunks"]
    lifecycle = next(r for r in dev.of_type("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
                     if r.name.endswith("-loki-lifecycle"))
    rule = lifecycle.inputs["rules"][0]
    assert rule["transitions"][0]["days"] == 30 and rule["expiration"]["days"] == 90
    sse = next(r for r in dev.of_type(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")
        if r.name.endswith("-loki-sse"))
    assert sse.inputs["bucket"] == bucket
    assert sse.inputs["rules"][0]["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "aws:kms"
    kps = releases["kube-prometheus-stack"].inputs["values"]
    routes = kps["alertmanager"]["config"]["route"]["routes"]
    assert any('severity=~"P0' in r["matchers"][0] for r in routes)
    assert kps["grafana"]["sidecar"]["dashboards"]["label"] == "grafana_dashboard"
    claim = kps["prometheus"]["prometheusSpec"]["storageSpec"]["volumeClaimTemplate"]["spec"]
    assert claim["storageClassName"] == "gp3-encrypted"  # the base's encrypted default class (C26)
    dashboards = [c for c in dev.of_type("kubernetes:core/v1:ConfigMap")
                  if (c.get("metadata.labels") or {}).get("grafana_dashboard") == "1"]
    assert len(dashboards) >= 4
    for cm in dashboards:
        assert all(json.loads(body)["uid"] for body in cm.inputs["data"].values())


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_prometheus_rules_name_each_alert_with_a_severity(stack: str, dev: Plan, prod: Plan):
    plan = dev if stack == "dev" else prod
    rules = [r for r in plan.of_type("kubernetes:monitoring.coreos.com/v1:PrometheusRule")
             if r.get("metadata.name") == "agentic-platform"]
    assert {r.region for r in rules} == set(plan.outputs["regions"])
    for cr in rules:
        alerts = [rule for g in cr.inputs["spec"]["groups"] for rule in g["rules"]]
        names = {a["alert"] for a in alerts}
        assert {"ApiHighErrorRate", "ApiLatencyP95High", "ApiLatencyP99High", "DatabaseConnectionPoolHigh",
                "RedisMemoryHigh", "QueueDepthHigh", "QueueProcessingSlow", "TenantQuotaExceeded",
                "TenantTokenUsageHigh", "ServiceDown"} <= names
        assert all(a["labels"]["severity"] in SEVERITIES for a in alerts)


def test_one_multi_region_trail_in_the_default_region(prod: Plan):
    trails = prod.of_type("aws:cloudtrail/trail:Trail")
    assert len(trails) == 1
    trail = trails[0]
    assert trail.region == "us-east-1"
    assert trail.inputs["isMultiRegionTrail"] is True and trail.inputs["enableLogFileValidation"] is True
    assert trail.inputs["includeGlobalServiceEvents"] is True and trail.inputs["kmsKeyId"]
    policy = next(p for p in prod.of_type("aws:s3/bucketPolicy:BucketPolicy")
                  if p.inputs["bucket"] == trail.inputs["s3BucketName"])
    sids = {s["Sid"] for s in json.loads(policy.inputs["policy"])["Statement"]}
    assert {"CloudTrailAclCheck", "CloudTrailWrite", "DenyInsecureTransport"} <= sids
    lifecycle = next(r for r in prod.of_type("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
                     if r.inputs["bucket"] == trail.inputs["s3BucketName"])
    assert lifecycle.inputs["rules"][0]["expiration"]["days"] == 365
    detectors = prod.of_type("aws:guardduty/detector:Detector")
    assert sorted(d.region or "" for d in detectors) == sorted(prod.outputs["regions"])


def test_token_usage_rules_follow_residency(prod: Plan):
    """A region alerts on the tenants it may serve: EU-resident tenants never appear outside the EU."""
    tenants_by_region: dict[str, set[str]] = {}
    for cr in prod.of_type("kubernetes:monitoring.coreos.com/v1:PrometheusRule"):
        if cr.get("metadata.name") != "agentic-platform":
            continue
        tenants_by_region[cr.region or ""] = {r["labels"]["tenant"] for g in cr.inputs["spec"]["groups"]
                                              for r in g["rules"] if r["alert"] == "TenantTokenUsageHigh"}
    eu_tenants = {"muller-eu", "eurobank", "hanse-eu"}
    assert eu_tenants <= tenants_by_region["eu-west-1"]
    assert not eu_tenants & tenants_by_region["us-east-1"]
    assert not eu_tenants & tenants_by_region["ap-southeast-1"]
    assert "acme" in tenants_by_region["ap-southeast-1"]
    assert "globex" not in tenants_by_region["ap-southeast-1"]  # allowed_regions: us-east-1, eu-west-1


def test_app_service_monitors_exist_in_every_region(prod: Plan):
    monitors = prod.of_type("kubernetes:monitoring.coreos.com/v1:ServiceMonitor")
    assert {(m.region, m.get("metadata.name")) for m in monitors} >= {
        (r, n) for r in prod.outputs["regions"] for n in ("api", "worker")}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_grafana_admin_password_lives_in_secrets_manager(stack: str, dev: Plan, prod: Plan) -> None:
    plan = dev if stack == "dev" else prod
    assert not [s for s in plan.of_type("kubernetes:core/v1:Secret") if s.get("metadata.name") == "grafana-admin"]
    keys = {r.outputs["arn"]: r.region for r in plan.of_type("aws:kms/key:Key")}
    for region in plan.outputs["regions"]:
        name = f"agentic-platform/{stack}/{region}/grafana/admin-password"
        secret = next(s for s in plan.of_type("aws:secretsmanager/secret:Secret") if s.get("name") == name)
        assert secret.region == region and keys[secret.get("kmsKeyId")] == region
        assert "secretString" in next(v for v in plan.of_type("aws:secretsmanager/secretVersion:SecretVersion")
                                      if v.parent == secret.parent).secret_paths
        ext = next(e for e in plan.of_type("kubernetes:external-secrets.io/v1:ExternalSecret")
                   if e.get("metadata.name") == "grafana-admin" and e.region == region)
        assert ext.get("metadata.namespace") == "monitoring"
        assert ext.get("spec.data") == [{"secretKey": "password", "remoteRef": {"key": name}}]
        assert set(ext.get("spec.target.template.data")) == {"admin-user", "admin-password"}
        store = next(s for s in plan.of_type("kubernetes:external-secrets.io/v1:SecretStore")
                     if s.get("metadata.namespace") == "monitoring" and s.region == region)
        assert ext.get("spec.secretStoreRef.name") == store.get("metadata.name")
        assert store.get("spec.provider.aws.region") == region
        # The monitoring namespace's own store role reads exactly this secret.
        assert store.get("spec.provider.aws.role").endswith("-ss-monitoring")
        read = next(json.loads(r.inputs["policy"]) for r in plan.of_type("aws:iam/rolePolicy:RolePolicy")
                    if r.name == f"{stack}-{region}-ss-monitoring-read")
        readable = next(s["Resource"] for s in read["Statement"] if s["Sid"] == "ReadNamespaceSecrets")
        assert readable == [secret.outputs["arn"]]
