"""Cost arithmetic on small hand-built plans: quantity x unit price, and every gap is an error."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from stacks.cost import EstimateError, UnknownSku, estimate, load_prices
from stacks.cost.prices import PriceTableError, parse_table
from stacks.cost.usage import UsageProfile, load_usage
from tests.cost_plans import plan, res

H = 730.0
PRICES = load_prices()


def usage(**defaults: dict[str, float]) -> UsageProfile:
    """Defaults file plus overrides, with no region-level traffic so totals stay exact."""
    return load_usage("t", extra={"defaults": defaults, "regions": {"default": {
        "internet_egress_gb": 0, "inter_az_gb": 0, "inter_region_gb": 0}}})


def p(sku: str, region: str = "us-east-1") -> float:
    return PRICES.price(sku, region)


def test_eks_cluster_standard_and_extended_support() -> None:
    std = res("aws:eks/cluster:Cluster", "std", upgradePolicy={"supportType": "STANDARD"})
    ext = res("aws:eks/cluster:Cluster", "ext")
    est = estimate(plan(std, ext), PRICES, usage())
    assert est.total == pytest.approx(0.10 * H + 0.60 * H)
    assert {line.sku for line in est.lines} == {"eks.cluster.standard", "eks.cluster.extended"}


def test_node_group_on_demand_and_spot_with_root_disks() -> None:
    od = res("aws:eks/nodeGroup:NodeGroup", "api", scalingConfig={"desiredSize": 3, "minSize": 1, "maxSize": 6},
             instanceTypes=["m7g.xlarge"], diskSize=50)
    spot = res("aws:eks/nodeGroup:NodeGroup", "workers", scalingConfig={"desiredSize": 2},
               instanceTypes=["m7g.large", "m6g.large"], capacityType="SPOT")
    est = estimate(plan(od, spot), PRICES, usage(ebs={"node_root_gb": 20}))
    expected = (3 * 0.1632 * H + 3 * 50 * 0.08
                + 2 * 0.0816 * PRICES.spot_factor * H + 2 * 20 * 0.08)
    assert est.total == pytest.approx(expected)


def test_node_group_reads_instance_type_and_disk_from_its_launch_template() -> None:
    lt = res("aws:ec2/launchTemplate:LaunchTemplate", "lt", instanceType="t4g.medium",
             blockDeviceMappings=[{"deviceName": "/dev/xvda", "ebs": {"volumeSize": 40, "volumeType": "gp3"}}])
    ng = res("aws:eks/nodeGroup:NodeGroup", "sys", scalingConfig={"desiredSize": 2},
             launchTemplate={"id": "lt-id", "version": "1"})
    est = estimate(plan(lt, ng), PRICES, usage())
    assert est.total == pytest.approx(2 * 0.0336 * H + 2 * 40 * 0.08)


def test_nat_eip_and_alb_ingress_in_eu_west_1() -> None:
    region = "eu-west-1"
    nat = res("aws:ec2/natGateway:NatGateway", "nat", at=region)
    ip = res("aws:ec2/eip:Eip", "nat-ip", at=region, domain="vpc")
    ing = res("kubernetes:networking.k8s.io/v1:Ingress", "api", at=region, provider="k8s-euw1",
              spec={"ingressClassName": "alb"},
              metadata={"annotations": {"alb.ingress.kubernetes.io/scheme": "internet-facing",
                                        "alb.ingress.kubernetes.io/group.name": "api"}})
    # same group on the same cluster: one ALB, not two
    ing2 = res("kubernetes:networking.k8s.io/v1:Ingress", "api-tenant", at=region, provider="k8s-euw1",
               metadata={"annotations": {"kubernetes.io/ingress.class": "alb",
                                         "alb.ingress.kubernetes.io/group.name": "api"}})
    other = res("kubernetes:networking.k8s.io/v1:Ingress", "nginx", at=region, spec={"ingressClassName": "nginx"})
    est = estimate(plan(nat, ip, ing, ing2, other, config={"network": {"az_count": 3}}), PRICES,
                   usage(nat_gateway={"data_processed_gb": 100}, alb={"lcu": 2}))
    expected = (0.048 * H + 100 * 0.048 + 0.005 * H
                + p("elb.alb.hour", region) * H + 2 * p("elb.alb.lcu", region) * H + 3 * 0.005 * H)
    assert est.total == pytest.approx(expected)
    assert est.by("region") == {region: pytest.approx(expected)}


def test_aurora_provisioned_serverless_and_global_secondary() -> None:
    primary = res("aws:rds/cluster:Cluster", "db", clusterIdentifier="db-use1", masterUsername="app",
                  globalClusterIdentifier="g")
    writer = res("aws:rds/clusterInstance:ClusterInstance", "db-1", clusterIdentifier="db-use1",
                 instanceClass="db.r7g.large")
    secondary = res("aws:rds/cluster:Cluster", "db-euw1", at="eu-west-1", clusterIdentifier="db-euw1",
                    globalClusterIdentifier="g", storageType="aurora-iopt1")
    reader = res("aws:rds/clusterInstance:ClusterInstance", "db-euw1-1", at="eu-west-1",
                 clusterIdentifier="db-euw1", instanceClass="db.r7g.large")
    sls = res("aws:rds/cluster:Cluster", "dev", clusterIdentifier="dev", masterUsername="app",
              serverlessv2ScalingConfiguration={"minCapacity": 0.5, "maxCapacity": 4})
    sls_i = res("aws:rds/clusterInstance:ClusterInstance", "dev-1", clusterIdentifier="dev",
                instanceClass="db.serverless")
    est = estimate(plan(primary, writer, secondary, reader, sls, sls_i), PRICES,
                   usage(aurora={"storage_gb": 100, "io_millions": 10, "replicated_writes_millions": 5,
                                 "serverless_average_acu": 8, "backup_gb": 0}))
    euw = "eu-west-1"
    expected = (
        100 * 0.10 + 10 * 0.20 + 0.276 * H                                       # primary + writer
        + 100 * p("aurora.storage.iopt", euw) + 5 * p("aurora.global.replicated_write_io", euw)
        + p("aurora.instance.iopt.db.r7g.large", euw) * H                          # I/O-Optimized secondary
        + 100 * 0.10 + 10 * 0.20 + 4 * 0.12 * H                                  # serverless: 8 ACU clamped to max 4
    )
    assert est.total == pytest.approx(expected)


def test_elasticache_nodes_from_shards_and_replicas_or_cache_clusters() -> None:
    sharded = res("aws:elasticache/replicationGroup:ReplicationGroup", "cache", nodeType="cache.r7g.large",
                  numNodeGroups=2, replicasPerNodeGroup=1, engine="redis")
    single = res("aws:elasticache/replicationGroup:ReplicationGroup", "queue", nodeType="cache.t4g.small",
                 numCacheClusters=1, engine="valkey")
    est = estimate(plan(sharded, single), PRICES, usage())
    assert est.total == pytest.approx(4 * 0.219 * H + 1 * 0.032 * 0.8 * H)


def test_s3_kms_secrets_logs_and_replication_with_rtc() -> None:
    b = res("aws:s3/bucket:Bucket", "uploads")
    repl = res("aws:s3/bucketReplicationConfig:BucketReplicationConfig", "uploads-repl", at="ap-southeast-1",
               rules=[{"id": "all", "status": "Enabled",
                       "destination": {"bucket": "arn:aws:s3:::x",
                                       "replicationTime": {"status": "Enabled", "time": {"minutes": 15}}}}])
    key = res("aws:kms/key:Key", "k")
    sec = res("aws:secretsmanager/secret:Secret", "s", replicas=[{"region": "eu-west-1"}])
    logs = res("aws:cloudwatch/logGroup:LogGroup", "app-logs", retentionInDays=90)
    est = estimate(plan(b, repl, key, sec, logs), PRICES,
                   usage(s3={"storage_gb": 100, "put_thousands": 10, "get_thousands": 100, "replicated_gb": 50},
                         kms={"requests_10k": 10}, secretsmanager={"api_calls_10k": 2}, logs={"ingest_gb": 4}))
    expected = (100 * 0.023 + 10 * 0.005 + 100 * 0.0004
                + 50 * 0.09 + 50 * 0.015                                   # transfer out of Singapore + RTC
                + 1.0 + 10 * 0.03 + 2 * 0.40 + 2 * 0.05 + 4 * 0.50 + 4 * 3 * 0.03)
    assert est.total == pytest.approx(expected)


def test_cloudflare_pool_origins_and_queries_are_global() -> None:
    pool = res("cloudflare:index/loadBalancerPool:LoadBalancerPool", "pool-use1", at=None,
               origins=[{"name": "use1", "address": "alb.example"}])
    lb = res("cloudflare:index/loadBalancer:LoadBalancer", "api", at=None, name="api.example.com")
    est = estimate(plan(pool, lb), PRICES, usage(cloudflare={"dns_queries_millions": 3}))
    assert est.by("region") == {"global": pytest.approx(5.0 + 3 * 1.0)}


def test_per_tenant_and_per_component_totals() -> None:
    shared = res("aws:kms/key:Key", "platform", component="agentic:data:Keys")
    dedicated = res("aws:kms/key:Key", "globex", component="agentic:tenant:Tenant",
                    tags={"tenant": "globex", "cost-center": "cc-globex"})
    est = estimate(plan(shared, dedicated), PRICES, usage(kms={"requests_10k": 0}))
    assert est.by("tenant") == {"globex": pytest.approx(1.0), "shared": pytest.approx(1.0)}
    assert est.by("component") == {"data:Keys": pytest.approx(1.0), "tenant:Tenant": pytest.approx(1.0)}


def test_region_traffic_lines_use_region_overrides() -> None:
    key = res("aws:kms/key:Key", "k", at="ap-southeast-1")
    u = load_usage("t", extra={"defaults": {"kms": {"requests_10k": 0}}, "regions": {
        "default": {"internet_egress_gb": 10, "inter_az_gb": 0, "inter_region_gb": 0},
        "ap-southeast-1": {"internet_egress_gb": 100}}})
    est = estimate(plan(key), PRICES, u)
    assert est.total == pytest.approx(1.0 + 100 * 0.12)


def test_unknown_instance_type_is_an_error_naming_sku_and_resource() -> None:
    ng = res("aws:eks/nodeGroup:NodeGroup", "gpu", scalingConfig={"desiredSize": 1}, instanceTypes=["p5.48xlarge"])
    with pytest.raises(EstimateError) as err:
        estimate(plan(ng), PRICES, usage())
    msg = str(err.value)
    assert "ec2.p5.48xlarge" in msg and "aws:eks/nodeGroup:NodeGroup 'gpu'" in msg and "us-east-1" in msg


def test_unpriced_region_is_an_error_not_a_zero() -> None:
    key = res("aws:kms/key:Key", "k", at="sa-east-1")
    with pytest.raises(EstimateError, match=r"no price for SKU 'kms\.key' in region 'sa-east-1'"):
        estimate(plan(key), PRICES, usage())


def test_unclassified_resource_type_is_an_error() -> None:
    odd = res("aws:opensearch/domain:Domain", "search")
    with pytest.raises(EstimateError, match=r"no pricing rule for resource type aws:opensearch/domain:Domain"):
        estimate(plan(odd), PRICES, usage())


def test_price_lookup_error_names_sku_region_and_resource() -> None:
    with pytest.raises(UnknownSku) as err:
        PRICES.price("aurora.instance.db.x9.huge", "eu-west-1", "aws:rds/clusterInstance:ClusterInstance 'db-1'")
    assert err.value.sku == "aurora.instance.db.x9.huge" and "db-1" in str(err.value)


def test_missing_usage_value_is_an_error() -> None:
    b = res("aws:s3/bucket:Bucket", "uploads")
    broken = UsageProfile(stack="t", defaults={"s3": {"storage_gb": 1}}, regions={}, resources={})
    with pytest.raises(EstimateError, match=r"no usage value 's3.put_thousands'"):
        estimate(plan(b), PRICES, broken)


def test_usage_resource_pattern_overrides_default() -> None:
    flow = res("aws:cloudwatch/logGroup:LogGroup", "prod-us-east-1-flow-logs", retentionInDays=30)
    app = res("aws:cloudwatch/logGroup:LogGroup", "prod-us-east-1-app", retentionInDays=30)
    u = load_usage("t", extra={"defaults": {"logs": {"ingest_gb": 1}}, "resources": {"*flow*": {"logs": {
        "ingest_gb": 10}}}, "regions": {"default": {"internet_egress_gb": 0, "inter_az_gb": 0, "inter_region_gb": 0}}})
    est = estimate(plan(flow, app), PRICES, u)
    assert est.total == pytest.approx(10 * 0.5 + 10 * 0.03 + 1 * 0.5 + 1 * 0.03)


def test_price_table_is_complete_and_sourced() -> None:
    doc = yaml.safe_load(Path("stacks/cost/prices.yaml").read_text())
    table = parse_table(doc)
    for sku in table.skus.values():
        assert sku.source and sku.url and sku.date and sku.trust in {"P", "S", "U"}
        assert set(sku.prices) in ({"global"}, set(table.regions))


def test_price_table_rejects_a_zero_price_and_a_missing_source() -> None:
    doc = yaml.safe_load(Path("stacks/cost/prices.yaml").read_text())
    doc["skus"]["kms.key"]["prices"]["eu-west-1"] = 0
    del doc["skus"]["ebs.gp3"]["source"]
    with pytest.raises(PriceTableError) as err:
        parse_table(doc)
    assert "skus.kms.key.prices.eu-west-1: must be a positive number" in str(err.value)
    assert "skus.ebs.gp3: 'source' is required" in str(err.value)


def test_guide_breakdown_compares_guide_lines_and_lists_the_rest() -> None:
    from stacks.cost.estimate import guide_breakdown

    nodes = res("aws:eks/nodeGroup:NodeGroup", "api", scalingConfig={"desiredSize": 1}, instanceTypes=["m7g.large"],
                diskSize=20)
    key = res("aws:kms/key:Key", "k")
    est = estimate(plan(nodes, key, stack="dev"), PRICES, usage(kms={"requests_10k": 0}))
    rows = {row["guide_line"] or row["categories"][0]: row for row in guide_breakdown(est)}
    assert rows["Small K8s cluster"]["estimate"] == pytest.approx(0.0816 * H + 20 * 0.08, abs=0.01)
    assert rows["Small K8s cluster"]["verdict"] == "below"
    assert rows["Managed PostgreSQL"]["estimate"] == 0
    assert rows["security"]["verdict"] == "not in the guide"


def test_load_driven_resources_are_listed_as_not_modelled_never_silently_zero() -> None:
    feature = res("aws:guardduty/detectorFeature:DetectorFeature", "gd-eks", name="EKS_AUDIT_LOGS", status="ENABLED")
    pool = res("kubernetes:karpenter.sh/v1:NodePool", "workers")
    est = estimate(plan(feature, pool), PRICES, usage())
    assert est.total == 0
    assert est.unmodelled["aws:guardduty/detectorFeature:DetectorFeature"]["count"] == 1
    assert "Karpenter" in est.unmodelled["kubernetes:karpenter.sh/v1:NodePool"]["reason"]


def test_cost_report_shows_every_gap_instead_of_a_total() -> None:
    from stacks.reports import cost as cost_report

    odd = res("aws:opensearch/domain:Domain", "search")
    gpu = res("aws:eks/nodeGroup:NodeGroup", "gpu", scalingConfig={"desiredSize": 1}, instanceTypes=["p5.48xlarge"])
    rep = cost_report.report(plan(odd, gpu))
    assert rep.lines[0].startswith("ERROR") and rep.failed  # an incomplete estimate fails the preview
    assert rep.summary == "INCOMPLETE (2 gap(s))"
    assert len(rep.data["problems"]) == 2
    assert "monthly_total" not in rep.data


def test_helm_chart_volumes_are_priced_as_gp3() -> None:
    values = {"prometheus": {"prometheusSpec": {"replicas": 2, "storageSpec": {"volumeClaimTemplate": {
        "spec": {"resources": {"requests": {"storage": "50Gi"}}}}}}},
        "grafana": {"persistence": {"enabled": True, "size": "10Gi"}},
        "loki": {"persistence": {"enabled": False, "size": "100Gi"}}}
    rel = res("kubernetes:helm.sh/v3:Release", "monitoring", chart="kube-prometheus-stack", values=values)
    est = estimate(plan(rel), PRICES, usage())
    assert est.total == pytest.approx((2 * 50 + 10) * 0.08)
