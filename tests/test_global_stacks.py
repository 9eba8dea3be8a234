"""Multi-region prod on the whole program: regions and domains from config, Cloudflare global
traffic (EU hostname EU-only), failover figures, peering inside domains, the mesh, and removing
regions removing exactly those regions."""

from __future__ import annotations

import copy
import json
import re

import pytest

from stacks.config.regions import short_region
from stacks.harness import Plan, PlannedResource, run_stack
from stacks.harness.run import stack_config
from tests.variants import GONE, prod_without_two_regions

NS = "agentic-platform:"
REGIONS = ["us-east-1", "eu-west-1", "ap-southeast-1", "eu-central-1"]
GLOBAL_TYPES = ("aws:iam/", "aws:budgets/", "aws:costexplorer/", "aws:rds/globalCluster:")
EU = {"eu-west-1", "eu-central-1"}


@pytest.fixture(scope="module")
def prod_without_two() -> Plan:
    return run_stack("prod", overrides=prod_without_two_regions())


def region_token(name: str, region: str) -> bool:
    return region in name or f"-{short_region(region)}" in name


# --- regions and data domains -------------------------------------------------------------------

def test_prod_builds_four_regions_and_two_data_domains(prod: Plan) -> None:
    assert prod.outputs["regions"] == REGIONS
    assert set(prod.outputs["regional"]) == set(REGIONS)
    assert set(prod.outputs["data_domains"]) == {"global", "eu"}
    clusters = prod.of_type("aws:eks/cluster:Cluster")
    assert sorted(c.region or "" for c in clusters) == sorted(REGIONS)
    assert len([g for g in prod.of_type("aws:rds/globalCluster:GlobalCluster") if not g.tags.get("tenant")]) == 2


def test_domain_replicas_follow_config_and_eu_stays_in_eu(prod: Plan) -> None:
    domains = prod.outputs["data_domains"]
    assert domains["global"]["primary"] == "us-east-1"
    assert domains["global"]["replicas"] == ["eu-west-1", "ap-southeast-1"]
    assert set(domains["global"]["clusters"]) == {"us-east-1", "eu-west-1", "ap-southeast-1"}
    assert set(domains["eu"]["clusters"]) == EU and set(domains["eu"]["buckets"]) == EU
    assert domains["eu"]["primary"] == "eu-west-1" and domains["eu"]["replicas"] == ["eu-central-1"]
    eu_clusters = [c for c in prod.of_type("aws:rds/cluster:Cluster") if c.tags.get("data-residency") == "eu"]
    assert eu_clusters and {c.region for c in eu_clusters} <= EU


def test_every_regional_resource_name_carries_its_region(prod: Plan) -> None:
    """Domain-wide resources are named after their domain and live in its primary region."""
    primaries = {d: v["primary"] for d, v in prod.outputs["data_domains"].items()}
    bad: list[tuple[str, str, str | None]] = []
    for r in prod.custom_resources:
        if not r.type.startswith("aws:") or r.type.startswith(GLOBAL_TYPES) or r.region is None:
            continue
        if region_token(r.name, r.region):
            continue
        if any(f"-{d}-" in r.name and primaries[d] == r.region for d in primaries):
            continue
        if any(r.name.startswith((f"prod-{d}-failover-", f"prod-{d}-prober-")) for d in primaries):
            continue  # a domain's failover plan and prober: its standby region or the Region switch control plane
        bad.append((r.type, r.name, r.region))
    assert not bad, bad[:10]


# --- Cloudflare ---------------------------------------------------------------------------------

def lb(prod: Plan, host: str) -> PlannedResource:
    return next(r for r in prod.of_type("cloudflare:index/loadBalancer:LoadBalancer") if r.get("name") == host)


def pools_by_id(prod: Plan) -> dict[str, PlannedResource]:
    return {r.id: r for r in prod.of_type("cloudflare:index/loadBalancerPool:LoadBalancerPool")}


def test_eu_hostname_pools_are_eu_only(prod: Plan) -> None:
    host = prod.outputs["hostnames"]["api.eu.agentic.example.com"]
    assert host["residency"] == "eu"
    assert [p["region"] for p in host["pools"]] == ["eu-west-1", "eu-central-1"]
    eu_lb = lb(prod, "api.eu.agentic.example.com")
    pools = pools_by_id(prod)
    referenced = {eu_lb.get("fallbackPool"), *eu_lb.get("defaultPools"),
                  *(p for ids in eu_lb.get("regionPools").values() for p in ids)}
    for pool_id in referenced:
        origin = pools[pool_id].get("origins.0.address")
        assert any(f".{r}.elb.amazonaws.com" in origin for r in EU), (pool_id, origin)
        assert pools[pool_id].get("origins.0.header.hosts") == ["api.eu.agentic.example.com"]


def test_api_load_balancer_geo_steering_and_ordered_failover(prod: Plan) -> None:
    api = lb(prod, "api.agentic.example.com")
    pools = pools_by_id(prod)
    region_of = {pid: p.get("origins.0.name") for pid, p in pools.items()}
    assert api.get("proxied") is True and api.get("steeringPolicy") == "geo"
    assert api.get("adaptiveRouting") == {"failoverAcrossPools": True}
    # the global domain's cells only: eu-central-1 runs just the EU cell (stacks/cells.py)
    global_regions = [r for r in REGIONS if r != "eu-central-1"]
    assert [region_of[p] for p in api.get("defaultPools")] == global_regions  # fallback first
    assert region_of[api.get("fallbackPool")] == "us-east-1"
    geo = {code: [region_of[p] for p in ids] for code, ids in api.get("regionPools").items()}
    assert geo["WEU"] == ["eu-west-1"] and geo["SEAS"] == ["ap-southeast-1", "us-east-1"]
    host = prod.outputs["hostnames"]["api.agentic.example.com"]
    assert [p["region"] for p in host["pools"]] == global_regions
    assert [p["cell"] for p in host["pools"]] == [f"{r}/global" for r in global_regions]
    assert host["zone_id"] == api.get("zoneId") and host["load_balancer_id"] == api.id


def test_each_hostname_reaches_only_its_domain_cells_origins(prod: Plan) -> None:
    """eu-west-1 runs two cells, each behind its own ALB: the two hostnames' pools there point at
    different origins, and each origin is the Ingress of the cell whose host rule is that hostname."""
    hosts = prod.outputs["hostnames"]
    origin = {h: {p["region"]: p["origin"] for p in v["pools"]} for h, v in hosts.items()}
    assert origin["api.agentic.example.com"]["eu-west-1"] != origin["api.eu.agentic.example.com"]["eu-west-1"]
    ingresses = prod.of_type("kubernetes:networking.k8s.io/v1:Ingress")
    by_origin = {i.outputs["status"]["loadBalancer"]["ingress"][0]["hostname"]: i for i in ingresses}
    for hostname, regions in origin.items():
        for region, address in regions.items():
            ing = by_origin[address]
            assert [r["host"] for r in ing.get("spec.rules")] == [hostname]
            assert ing.region == region


def test_monitor_and_pools_follow_config(prod: Plan) -> None:
    monitors = {m.get("header")["Host"][0]: m for m in prod.of_type(
        "cloudflare:index/loadBalancerMonitor:LoadBalancerMonitor")}
    assert set(monitors) == {"api.agentic.example.com", "api.eu.agentic.example.com"}
    m = monitors["api.agentic.example.com"]
    assert (m.get("type"), m.get("method"), m.get("path"), m.get("expectedCodes")) == \
        ("https", "GET", "/health/ready", "2xx")
    assert (m.get("interval"), m.get("consecutiveDown"), m.get("timeout")) == (10, 2, 5)
    assert m.get("allowInsecure") is False and m.get("accountId") == "0123456789abcdef0123456789abcdef"
    for pool in prod.of_type("cloudflare:index/loadBalancerPool:LoadBalancerPool"):
        region = pool.get("origins.0.name")
        assert region in pool.get("name") and pool.get("minimumOrigins") == 1
        assert f".{region}.elb.amazonaws.com" in pool.get("origins.0.address")
        assert pool.get("monitor") in {mon.id for mon in monitors.values()}


def test_failover_detection_is_exported_per_hostname(prod: Plan) -> None:
    for host in prod.outputs["hostnames"].values():
        assert host["detection_seconds"] == 20  # 10 s x 2 consecutive failures
    assert prod.outputs["failover"]["detection_seconds"] == 20


def test_rate_limit_rule_covers_both_hostnames(prod: Plan) -> None:
    (ruleset,) = [r for r in prod.of_type("cloudflare:index/ruleset:Ruleset") if r.get("phase") == "http_ratelimit"]
    assert ruleset.get("kind") == "zone"
    rule = ruleset.get("rules.0")
    assert rule["action"] == "block"
    assert '"api.agentic.example.com"' in rule["expression"] and '"api.eu.agentic.example.com"' in rule["expression"]
    assert rule["ratelimit"]["requestsPerPeriod"] == 600 and rule["ratelimit"]["period"] == 60


def test_acm_validation_records_once_per_hostname(prod: Plan) -> None:
    records = prod.of_type("cloudflare:index/dnsRecord:DnsRecord")
    assert len(records) == 2
    certs = [c for c in prod.of_type("aws:acm/certificate:Certificate")]
    expected = {(o["resourceRecordName"], o["resourceRecordValue"])
                for c in certs for o in c.outputs["domainValidationOptions"]}
    for rec in records:
        assert rec.get("proxied") is False and rec.get("type") == "CNAME"
        assert (rec.get("name"), rec.get("content")) in expected


def test_cloudflare_provider_is_explicit(prod: Plan) -> None:
    (provider,) = prod.of_type("pulumi:providers:cloudflare")
    for r in prod.resources:
        if r.type.startswith("cloudflare:"):
            assert r.provider.startswith(provider.urn), r.name


def test_no_cloudflare_without_global_traffic() -> None:
    staging = run_stack("staging")
    assert not [r for r in staging.resources if r.type.startswith(("cloudflare:", "pulumi:providers:cloudflare"))]
    assert staging.outputs["hostnames"] == {}


# --- peering ------------------------------------------------------------------------------------

def test_peering_joins_regions_of_a_domain_only(prod: Plan) -> None:
    """Domain peerings; the CI-only `purpose=ci-deploy` peering is checked in test_ci_reach_stacks."""
    conns = [c for c in prod.of_type("aws:ec2/vpcPeeringConnection:VpcPeeringConnection")
             if c.tags.get("purpose") != "ci-deploy"]
    pairs = {(c.region, c.get("peerRegion")) for c in conns}
    assert pairs == {("us-east-1", "eu-west-1"), ("us-east-1", "ap-southeast-1"),
                     ("eu-west-1", "ap-southeast-1"), ("eu-west-1", "eu-central-1")}
    accepters = [a for a in prod.of_type("aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter")
                 if a.tags.get("purpose") != "ci-deploy"]
    assert sorted(a.region or "" for a in accepters) == sorted(p for _, p in pairs)
    assert all(a.get("autoAccept") is True for a in accepters)


def test_peering_routes_only_to_the_peer_cidr_in_private_tables(prod: Plan) -> None:
    cidrs = {r["name"]: r["cidr"] for r in stack_config("prod")[f"{NS}regions"]}
    ci = {a.id for a in prod.of_type("aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter")
          if a.tags.get("purpose") == "ci-deploy"}
    over_domain = [r for r in prod.of_type("aws:ec2/route:Route")
                   if r.get("vpcPeeringConnectionId") and r.get("vpcPeeringConnectionId") not in ci]
    # The deploy runner's routes over a reused domain connection (components/ci_peering.py) sit in
    # its ci route tables and go to the peer's cluster subnets only (test_ci_reach_stacks); every
    # other route over a domain connection is the domain's own.
    tables = {t.id: t for t in prod.of_type("aws:ec2/routeTable:RouteTable")}
    runner = [r for r in over_domain if r.component == "agentic:network:CiPeering"]
    private = {s.get("cidrBlock") for s in prod.of_type("aws:ec2/subnet:Subnet") if s.tags.get("tier") == "private"}
    assert runner and all(tables[r.get("routeTableId")].tags.get("tier") == "ci" for r in runner)
    assert {r.get("destinationCidrBlock") for r in runner} <= private
    routes = [r for r in over_domain if r not in runner]
    assert routes, "no peering route: the base layer exposes no private route tables"
    for route in routes:
        dest = route.get("destinationCidrBlock")
        assert dest in cidrs.values() and dest != cidrs[route.region or ""]
        assert dest != "0.0.0.0/0"
        table = tables.get(route.get("routeTableId"))
        if table is not None:
            assert "public" not in table.name, table.name
            assert table.tags.get("tier") != "ci", f"{table.name}: the runner's tables carry no whole-VPC route"


# --- removing a region --------------------------------------------------------------------------

def replication_serving_only(plan: Plan, gone: set[str]) -> set[str]:
    """URNs of bucket-replication components (and their children) whose every rule replicates
    into a bucket in a `gone` region: S3 allows no empty replication configuration, so losing a domain's
    last replica region must delete them, in the primary region, and nothing else there."""
    by_urn = plan.by_urn()
    bucket_region = {r.outputs.get("arn"): r.region for r in plan.of_type("aws:s3/bucketV2:BucketV2",
                                                                             "aws:s3/bucket:Bucket")}
    serving: set[str] = set()
    for cfg in plan.of_type("aws:s3/bucketReplicationConfig:BucketReplicationConfig"):
        targets = {bucket_region.get(rule["destination"]["bucket"]) for rule in cfg.get("rules")}
        if targets <= gone:
            serving.add(by_urn[cfg.parent].urn)
    return serving | {r.urn for r in plan.resources if r.parent in serving}


def assert_only_regions_removed(before_plan: Plan, after_plan: Plan, gone: set[str]) -> None:
    before = {r.urn: r for r in before_plan.resources}
    after = {r.urn: r for r in after_plan.resources}
    assert set(after) <= set(before), sorted(set(after) - set(before))[:5]
    removed = [before[u] for u in set(before) - set(after)]
    assert removed
    plumbing = replication_serving_only(before_plan, gone)
    # A domain left without a replica also loses what only a replica makes useful: its failover
    # plan and the global-database wrappers of its enterprise tenants' (now single-region) clusters.
    # Only for those domains, named by the domain, and only the tenants of those domains.
    orphaned = {d for d, dom in before_plan.outputs["data_domains"].items()
                if dom["replicas"] and not after_plan.outputs["data_domains"][d]["replicas"]}
    dr_names = re.compile(rf"^{before_plan.stack}-({'|'.join(map(re.escape, sorted(orphaned)))})-(failover|prober)-")
    tenant_domain = {t: v["domain"] for t, v in before_plan.outputs["tenants"].items()}
    dr_only = {r.urn for r in removed if (orphaned and dr_names.match(r.name)) or (
        r.type == "aws:rds/globalCluster:GlobalCluster" and tenant_domain.get(r.tags.get("tenant", "")) in orphaned)}
    stray = [(r.type, r.name) for r in removed
             if not (any(region_token(r.urn, g) for g in gone) or r.region in gone or r.urn in plumbing
                     or r.urn in dr_only)]
    assert not stray, stray[:10]
    kept_in_region = [r.name for r in after.values() if r.custom and r.region in gone]
    assert not kept_in_region, kept_in_region[:5]
    assert not gone & set(after_plan.outputs["regions"])
    for region in gone:  # each region lost something of its own (neither is a no-op)
        assert any(r.region == region for r in removed), region


def test_removing_regions_removes_exactly_their_resources(prod: Plan, prod_without_two: Plan) -> None:
    assert_only_regions_removed(prod, prod_without_two, GONE)


def test_removing_a_replica_region_keeps_the_rest_of_its_domain(prod_without_two: Plan) -> None:
    api = prod_without_two.outputs["hostnames"]["api.agentic.example.com"]
    assert [p["region"] for p in api["pools"]] == ["us-east-1", "eu-west-1"]
    domain = prod_without_two.outputs["data_domains"]["global"]
    assert domain["replicas"] == ["eu-west-1"] and set(domain["clusters"]) == {"us-east-1", "eu-west-1"}


def test_removing_the_eu_standby_keeps_the_eu_primary(prod: Plan, prod_without_two: Plan) -> None:
    before, after = prod.outputs["data_domains"]["eu"], prod_without_two.outputs["data_domains"]["eu"]
    assert after["replicas"] == [] and after["global_cluster_identifier"] == before["global_cluster_identifier"]
    assert after["clusters"] == {"eu-west-1": before["clusters"]["eu-west-1"]}


def test_removing_the_eu_standby_keeps_eu_traffic_in_the_eu(prod_without_two: Plan) -> None:
    eu_host = prod_without_two.outputs["hostnames"]["api.eu.agentic.example.com"]
    assert [p["region"] for p in eu_host["pools"]] == ["eu-west-1"]
    assert not [r for r in prod_without_two.custom_resources if r.region in GONE]
    assert prod_without_two.outputs["tenants"]["eurobank"]["workload_regions"] == ["eu-west-1"]


def test_prod_refuses_slow_detection_naming_the_setting() -> None:
    from stacks.config import ConfigError, parse
    from stacks.harness.run import stack_namespace as namespace

    ns, region = namespace("prod")
    ns = copy.deepcopy(ns)
    ns["global_traffic"]["monitor"]["interval_seconds"] = 15
    with pytest.raises(ConfigError) as info:
        parse(ns, stack="prod", aws_region=region)
    msgs = [str(i) for i in info.value.issues]
    assert any(m.startswith("agentic-platform:global_traffic.monitor.interval_seconds") and "30s exceeds the 20s" in m
               for m in msgs), msgs


def test_hostnames_export_shape(prod: Plan) -> None:
    for host, h in prod.outputs["hostnames"].items():
        assert set(h) == {"residency", "pools", "load_balancer_id", "zone_id", "account_id", "detection_seconds"}, host
        for p in h["pools"]:
            assert set(p) == {"region", "origin", "pool_id", "cell"} and p["pool_id"], p
    json.dumps(prod.outputs["hostnames"])  # plain data, exportable


def test_origins_accept_only_cloudflare(prod: Plan) -> None:
    from stacks.config.models_app import CLOUDFLARE_IPV4

    ingresses = [r for r in prod.of_type("kubernetes:networking.k8s.io/v1:Ingress")
                 if "alb.ingress.kubernetes.io/inbound-cidrs" in (r.get("metadata.annotations") or {})]
    # one ALB per domain cell: eu-west-1 runs the EU cell and the global cell
    assert sorted(r.region or "" for r in ingresses) == sorted([*REGIONS, "eu-west-1"])
    for ing in ingresses:
        cidrs = ing.get("metadata.annotations")["alb.ingress.kubernetes.io/inbound-cidrs"].split(",")
        assert cidrs == list(CLOUDFLARE_IPV4), ing.name
