"""The DR report against the guide's targets: what prod meets, and that misses are flagged."""

from __future__ import annotations

import copy

from stacks.dr import FIGURES, assess
from stacks.dr.report import DrReport, platform_config
from stacks.harness import Plan, run_stack
from stacks.reports import dr as dr_report

RS_PLAN = "aws:arcregionswitch/plan:Plan"
MONITOR = "cloudflare:index/loadBalancerMonitor:LoadBalancerMonitor"


def checks(rep: DrReport, where: str) -> dict[str, tuple[float | None, str]]:
    for h in rep.hostnames:
        if h.hostname == where:
            return {c.metric: (c.seconds, c.status) for c in h.checks}
    for d in rep.domains:
        if d.name == where:
            return {c.metric: (c.seconds, c.status) for c in d.checks}
    raise KeyError(where)


def test_prod_hostnames_detect_within_20_s_and_fail_traffic_over_within_2_min(prod: Plan) -> None:
    rep = assess(prod)
    assert {h.hostname: h.domain for h in rep.hostnames} == {"api.agentic.example.com": "global",
                                                             "api.eu.agentic.example.com": "eu"}
    for h in rep.hostnames:
        got = checks(rep, h.hostname)
        assert got["detection"] == (20, "met (at the limit)")  # 10 s x 2 consecutive failures
        assert got["failover (traffic)"][1] == "met"
        assert got["rto"][1] == "met" and got["full_recovery"][1] == "met"


def test_eu_hostname_pools_stay_in_the_eu(prod: Plan) -> None:
    eu = next(h for h in assess(prod).hostnames if h.hostname == "api.eu.agentic.example.com")
    assert set(eu.pools) == {"eu-west-1", "eu-central-1"}


def test_prod_shared_stores_meet_the_rpo(prod: Plan) -> None:
    for d in assess(prod).domains:
        stores = {s.name: s.rpo for s in d.stores}
        assert stores["database"].seconds == FIGURES.aurora_global_lag_s
        assert stores["objects"].seconds == FIGURES.s3_rtc_rpo_s and not stores["objects"].missed


def manual(plan: Plan) -> Plan:
    """The same plan with the kill switch pulled: Region switch plans without triggers."""
    out = copy.deepcopy(plan)
    for p in out.of_type(RS_PLAN):
        p.inputs["triggers"] = None
    return out


def test_automatic_region_switch_meets_the_2_min_write_failover(prod: Plan) -> None:
    rep = assess(prod)
    for domain in ("global", "eu"):
        seconds, status = checks(rep, domain)["failover (writes)"]
        assert seconds == FIGURES.region_switch_start_s + FIGURES.aurora_global_failover_s + FIGURES.app_reconnect_s
        assert status.startswith("met")
    assert rep.misses() == []


def test_operator_triggered_data_failover_is_flagged_against_2_min(prod: Plan) -> None:
    rep = assess(manual(prod))
    seconds, status = checks(rep, "global")["failover (writes)"]
    assert status == "MISS"
    assert seconds == FIGURES.operator_trigger_s + FIGURES.aurora_global_failover_s + FIGURES.app_reconnect_s


def test_an_approval_step_puts_a_person_back_on_the_write_path(prod: Plan) -> None:
    slow = copy.deepcopy(prod)
    for p in slow.of_type(RS_PLAN):
        p.inputs["workflows"][0]["steps"].insert(0, {"name": "approve", "executionBlockType": "ManualApproval"})
    seconds, status = checks(assess(slow), "eu")["failover (writes)"]
    assert status == "MISS" and seconds == 120 + FIGURES.operator_trigger_s


def test_a_plan_outside_its_domain_is_not_the_domains_plan(prod: Plan) -> None:
    moved = copy.deepcopy(prod)
    for p in moved.of_type(RS_PLAN):
        if p.tags.get("data-domain") == "eu":
            p.inputs["regions"] = ["eu-west-1", "us-east-1"]
    assert checks(assess(moved), "eu")["failover (writes)"][1] == "MISS"


def test_enterprise_tenant_databases_have_a_global_secondary(prod: Plan) -> None:
    rep = assess(prod)
    global_stores = {s.name: s for s in rep.domains[0].stores}
    eu_stores = {s.name: s for s in rep.domains[1].stores}
    assert global_stores["tenant initech database"].rpo.seconds == FIGURES.aurora_global_lag_s
    assert eu_stores["tenant hanse-eu database"].regions == ["eu-west-1", "eu-central-1 (0 instance(s))"]
    assert "tenant hanse-eu database" not in global_stores


def test_enterprise_tenant_database_without_replica_is_flagged(prod: Plan) -> None:
    single = copy.deepcopy(prod)
    single.resources = [r for r in single.resources
                        if not (r.type == "aws:rds/cluster:Cluster" and r.tags.get("tenant")
                                and r.inputs.get("sourceRegion"))]
    rep = assess(single, platform_config(prod))
    global_stores = {s.name: s for s in rep.domains[0].stores}
    assert global_stores["tenant initech database"].rpo.missed


def test_slow_monitor_in_the_plan_is_flagged(prod: Plan) -> None:
    slow = copy.deepcopy(prod)
    for m in slow.of_type(MONITOR):
        m.inputs["interval"], m.inputs["consecutiveDown"] = 60, 3
    rep = assess(slow, platform_config(prod))
    got = checks(rep, "api.agentic.example.com")
    assert got["detection"] == (180, "MISS")
    assert got["failover (traffic)"] == (180, "MISS")
    assert any("detection 3 min > 20 s" in m for m in rep.misses())


def test_slow_monitor_in_config_is_flagged_through_the_real_program() -> None:
    over = {"agentic-platform:global_traffic": {
        "enabled": True, "account_id": "0123456789abcdef0123456789abcdef",
        "zone_id": "fedcba9876543210fedcba9876543210", "zone_name": "agentic.example.com",
        "monitor": {"interval_seconds": 60, "consecutive_failures": 3}}}
    rep = dr_report.report(run_stack("staging", overrides=over))
    host = rep.data["hostnames"][0]
    detection = next(c for c in host["checks"] if c["metric"] == "detection")
    assert detection["seconds"] == 180 and detection["status"] == "MISS"
    assert any("MISS hostname api.staging.agentic.example.com: detection 3 min > 20 s" in line for line in rep.lines)


def test_replication_without_rtc_has_no_rpo_bound(prod: Plan) -> None:
    plain = copy.deepcopy(prod)
    for r in plain.of_type("aws:s3/bucketReplicationConfig:BucketReplicationConfig"):
        for rule in r.inputs["rules"]:
            rule["destination"].pop("replicationTime", None)
    rep = assess(plain, platform_config(prod))
    objects = next(s for s in rep.domains[0].stores if s.name == "objects")
    assert objects.rpo.seconds is None and objects.rpo.missed and "RTC" in objects.rpo.basis


def test_headless_secondary_adds_the_time_to_create_a_reader(prod: Plan) -> None:
    base = checks(assess(prod), "eu")["rto"][0]
    headless = copy.deepcopy(prod)
    headless.resources = [r for r in headless.resources
                          if not (r.type == "aws:rds/clusterInstance:ClusterInstance" and r.region == "eu-central-1"
                                  and not r.tags.get("tenant"))]
    rto = checks(assess(headless, platform_config(prod)), "eu")["rto"][0]
    assert base is not None and rto == base + FIGURES.aurora_reader_create_s


def test_pool_region_without_a_cluster_misses_full_recovery(prod: Plan) -> None:
    cold = copy.deepcopy(prod)
    cold.resources = [r for r in cold.resources
                      if not (r.type == "aws:eks/cluster:Cluster" and r.region == "ap-southeast-1")]
    got = checks(assess(cold, platform_config(prod)), "api.agentic.example.com")
    assert got["full_recovery (cold pool)"] == (20 + FIGURES.eks_cold_create_s, "MISS")


def test_single_region_misses_are_flagged_and_marked_expected(dev: Plan) -> None:
    rep = dr_report.report(dev)
    misses = rep.data["misses"]
    assert misses and all("[expected:" in m for m in misses)
    host = rep.data["hostnames"][0]
    assert host["hostname"] == "api.dev.agentic.example.com"
    assert {c["metric"]: c["status"] for c in host["checks"]}["detection"] == "MISS"


def test_local_stack_has_no_dr_section() -> None:
    rep = dr_report.report(run_stack("local"))
    assert rep.data["domains"] == [] and "local stack" in rep.lines[0]


def test_regional_redis_is_called_out_per_domain(prod: Plan) -> None:
    notes = {d.name: d.notes for d in assess(prod).domains}
    assert any("regional" in n and "jobs queued" in n for n in notes["global"])


def test_dns_only_load_balancer_adds_its_ttl_to_traffic_failover(prod: Plan) -> None:
    dns_only = copy.deepcopy(prod)
    for lb in dns_only.of_type("cloudflare:index/loadBalancer:LoadBalancer"):
        lb.inputs["proxied"], lb.inputs["ttl"] = False, 60
    got = checks(assess(dns_only, platform_config(prod)), "api.agentic.example.com")
    assert got["failover (traffic)"] == (80, "met")
