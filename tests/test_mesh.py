"""Istio ambient: pinned charts in install order, plug-in CA from Secrets Manager, per-namespace
policies (STRICT mTLS, who may call whom), the api's L7 policy, mesh metrics, the prod trust check."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from app.mesh import GATEWAY_API_CRDS, ISTIO_REPO, trust_material_secret_name
from app.mesh_policies import (
    FaultInjection,
    authorization_spec,
    destination_rule_spec,
    plaintext_ports_spec,
    virtual_service_spec,
)
from stacks.cells import cell_plan, region_cells
from stacks.compose.mesh import mesh_namespaces
from stacks.config import ConfigError, parse
from stacks.config.mesh_trust import EXAMPLE_ROOT_FILE, certificate_fingerprints, sample_fingerprints
from stacks.dr.report import platform_config
from stacks.harness import Plan
from stacks.harness.run import stack_namespace as namespace
from stacks.placement import place_tenants

RELEASE = "kubernetes:helm.sh/v3:Release"
REGIONS = ("us-east-1", "eu-west-1", "ap-southeast-1", "eu-central-1")
ISTIO_KINDS = ("kubernetes:security.istio.io/v1:", "kubernetes:networking.istio.io/v1:")


def _deps(plan: Plan, urn: str) -> set[str]:
    return set(plan.by_urn()[urn].options.get("dependsOn") or [])


# --- pure specs ---------------------------------------------------------------------------------

def test_reads_retry_writes_never_and_every_route_has_the_timeout() -> None:
    spec = virtual_service_spec("api.platform-core.svc.cluster.local", timeout_seconds=30, retries=2)
    reads, writes = spec["http"]
    assert [m["method"]["exact"] for m in reads["match"]] == ["GET", "HEAD"]
    assert reads["retries"] == {"attempts": 2, "perTryTimeout": "10s", "retryOn": reads["retries"]["retryOn"]}
    assert "5xx" not in reads["retries"]["retryOn"] and "connect-failure" in reads["retries"]["retryOn"]
    assert writes["retries"] == {"attempts": 0} and "match" not in writes
    assert {r["timeout"] for r in spec["http"]} == {"30s"}
    assert all("fault" not in r for r in spec["http"])
    assert virtual_service_spec("h", 5, 0)["http"][0]["retries"] == {"attempts": 0}


def test_fault_injection_is_rendered_only_when_an_experiment_sets_it() -> None:
    assert "fault" not in virtual_service_spec("h", 30, 2, FaultInjection())["http"][0]
    spec = virtual_service_spec("h", 30, 2, FaultInjection(delay_percent=10, delay_seconds=2, abort_percent=5))
    assert spec["http"][0]["fault"] == spec["http"][1]["fault"] == {
        "delay": {"percentage": {"value": 10}, "fixedDelay": "2s"},
        "abort": {"percentage": {"value": 5}, "httpStatus": 503}}


def test_outlier_detection_ejects_after_consecutive_5xx() -> None:
    rule = destination_rule_spec("api.platform-core.svc.cluster.local", consecutive_5xx=7, ejection_seconds=45)
    od = rule["trafficPolicy"]["outlierDetection"]
    assert (od["consecutive5xxErrors"], od["baseEjectionTime"], od["maxEjectionPercent"]) == (7, "45s", 50)
    assert rule["trafficPolicy"]["connectionPool"]["http"]["http1MaxPendingRequests"] > 0


def test_authorization_allows_listed_identities_and_the_vpc_only_on_plaintext_ports() -> None:
    spec = authorization_spec("tenant-acme", ["platform-core"])
    assert spec == {"action": "ALLOW", "rules": [{"from": [{"source": {"namespaces": ["platform-core",
                                                                                       "tenant-acme"]}}]}]}
    with_ports = authorization_spec("platform-core", ["shared-services"], ("10.40.0.0/16", [9090, 8000]))
    assert with_ports["rules"][1] == {"from": [{"source": {"ipBlocks": ["10.40.0.0/16"]}}],
                                      "to": [{"operation": {"ports": ["8000", "9090"]}}]}
    pa = plaintext_ports_spec("api", [8000])
    assert pa["mtls"] == {"mode": "STRICT"} and pa["portLevelMtls"] == {"8000": {"mode": "PERMISSIVE"}}


def test_cells_on_one_cluster_cannot_call_each_other() -> None:
    cells = mesh_namespaces(["platform-core", "platform-global"], {}, vpc_cidr="10.0.0.0/16",
                            plaintext_ports={"platform-core": {"api": [8000]}})
    by_name = {n.name: n for n in cells}
    assert list(by_name) == ["platform-core", "platform-global", "shared-services"]
    assert by_name["platform-global"].allowed_from == ("shared-services",)
    assert by_name["platform-core"].allowed_from == ("shared-services",)
    assert by_name["shared-services"].allowed_from == ("platform-core", "platform-global")
    assert by_name["platform-core"].waypoint and by_name["platform-global"].waypoint
    assert not by_name["shared-services"].waypoint
    assert by_name["platform-core"].plaintext_ports == {"api": [8000]}
    assert by_name["platform-global"].plaintext_ports == {}


# --- trust anchor -------------------------------------------------------------------------------

def test_prod_refuses_the_example_root_shipped_in_the_repository() -> None:
    ns, region = namespace("prod")
    ns = copy.deepcopy(ns)
    ns["mesh"]["trust_anchor_pem"] = EXAMPLE_ROOT_FILE.read_text()
    with pytest.raises(ConfigError) as info:
        parse(ns, stack="prod", aws_region=region)
    issue = next(i for i in info.value.issues if i.path == "agentic-platform:mesh.trust_anchor_pem")
    assert "example root shipped in this repository" in issue.message and "generate your own root CA" in issue.message
    staging, s_region = namespace("staging")
    staging = copy.deepcopy(staging)
    staging["mesh"] = {"enabled": True, "trust_anchor_pem": EXAMPLE_ROOT_FILE.read_text()}
    assert parse(staging, stack="staging", aws_region=s_region).mesh.enabled  # fine outside prod


def test_prod_stack_root_is_not_a_sample() -> None:
    ns, _ = namespace("prod")
    prints = certificate_fingerprints(ns["mesh"]["trust_anchor_pem"])
    assert prints and not set(prints) & sample_fingerprints()
    assert len(next(iter(sample_fingerprints()))) == 64


# --- the prod plan ------------------------------------------------------------------------------

def test_istio_charts_are_pinned_and_installed_in_order_in_every_region(prod: Plan) -> None:
    releases = [r for r in prod.of_type(RELEASE) if r.get("chart") in ("base", "istiod", "cni", "ztunnel")]
    assert {(r.get("chart"), r.get("version"), r.get("repositoryOpts.repo")) for r in releases} == {
        (c, "1.31.0", ISTIO_REPO) for c in ("base", "istiod", "cni", "ztunnel")}
    assert sorted({r.region or "" for r in releases}) == sorted(REGIONS)
    for region in REGIONS:
        by_chart = {r.get("chart"): r for r in releases if r.region == region}
        assert by_chart["base"].urn in _deps(prod, by_chart["istiod"].urn)
        assert by_chart["istiod"].urn in _deps(prod, by_chart["cni"].urn)
        assert by_chart["cni"].urn in _deps(prod, by_chart["ztunnel"].urn)
        assert by_chart["istiod"].get("values.profile") == "ambient" == by_chart["cni"].get("values.profile")


def test_istiod_starts_on_the_plug_in_ca_from_secrets_manager(prod: Plan) -> None:
    for region in REGIONS:
        cacerts = next(r for r in prod.of_type("kubernetes:external-secrets.io/v1:ExternalSecret")
                       if r.get("metadata.name") == "cacerts" and r.region == region)
        assert cacerts.get("metadata.namespace") == "istio-system"
        assert {d["remoteRef"]["key"] for d in cacerts.get("spec.data")} == {
            trust_material_secret_name("agentic-platform", "prod")}
        assert {d["secretKey"] for d in cacerts.get("spec.data")} == {
            "ca-cert.pem", "ca-key.pem", "root-cert.pem", "cert-chain.pem"}
        assert cacerts.get("spec.target.creationPolicy") == "Orphan"
        assert cacerts.get("metadata.annotations")["pulumi.com/waitFor"] == "condition=Ready"
        istiod = next(r for r in prod.of_type(RELEASE) if r.get("chart") == "istiod" and r.region == region)
        assert cacerts.urn in _deps(prod, istiod.urn)


def test_every_mesh_custom_resource_waits_for_the_release_installing_its_crd(prod: Plan) -> None:
    bases = {r.region: r.urn for r in prod.of_type(RELEASE) if r.get("chart") == "base"}
    gateway_crds = {r.region: r.urn for r in prod.resources if r.type == "kubernetes:yaml/v2:ConfigFile"
                    and r.get("file") == GATEWAY_API_CRDS}
    istio_crs = [r for r in prod.resources if r.type.startswith(ISTIO_KINDS)]
    assert len(istio_crs) >= 4 * 4
    for cr in istio_crs:
        assert bases[cr.region] in _deps(prod, cr.urn), cr.name
    gateways = prod.of_type("kubernetes:gateway.networking.k8s.io/v1:Gateway")
    assert sorted((g.region, g.get("metadata.namespace")) for g in gateways) == sorted(  # one waypoint per cell
        (c.region, c.namespace) for c in cell_plan(platform_config(prod)))
    for gw in gateways:
        assert gw.get("spec.gatewayClassName") == "istio-waypoint"
        assert gateway_crds[gw.region] in _deps(prod, gw.urn)


def test_platform_and_tenant_namespaces_are_ambient_strict_and_isolated(prod: Plan) -> None:
    strict = [r for r in prod.of_type("kubernetes:security.istio.io/v1:PeerAuthentication")
              if r.get("metadata.namespace") == "istio-system"]
    assert len(strict) == 4 and all(r.get("spec.mtls.mode") == "STRICT" for r in strict)
    core = [r for r in prod.of_type("kubernetes:core/v1:NamespacePatch") if r.get("metadata.name") == "platform-core"]
    assert all(r.get("metadata.labels") == {"istio.io/dataplane-mode": "ambient",
                                            "istio.io/use-waypoint": "waypoint"} for r in core)
    tenants = [r for r in prod.of_type("kubernetes:core/v1:Namespace")
               if str(r.get("metadata.name", "")).startswith("tenant-")]
    assert tenants
    for ns in tenants:
        labels = ns.get("metadata.labels")
        assert labels["istio.io/dataplane-mode"] == "ambient"
        assert labels["pod-security.kubernetes.io/enforce"] == "restricted"
    authz = [r for r in prod.of_type("kubernetes:security.istio.io/v1:AuthorizationPolicy")
             if str(r.get("metadata.namespace", "")).startswith("tenant-")]
    assert len(authz) == len(tenants)
    for policy in authz:
        allowed = policy.get("spec.rules")[0]["from"][0]["source"]["namespaces"]
        # itself and one cell namespace (which one: test_tenants_talk_only_to_their_own_domain_cell)
        assert policy.get("metadata.namespace") in allowed and len(allowed) == 2
        assert all(ns.startswith(("platform-", "tenant-")) for ns in allowed)


def test_api_routes_and_circuit_breaking_in_every_region(prod: Plan) -> None:
    vss = prod.of_type("kubernetes:networking.istio.io/v1:VirtualService")
    drs = prod.of_type("kubernetes:networking.istio.io/v1:DestinationRule")
    cells = cell_plan(platform_config(prod))
    assert len(vss) == len(drs) == len(cells) == 5  # one per domain cell (eu-west-1 hosts two)
    assert sorted(vs.get("spec.hosts")[0] for vs in vss) == sorted(
        f"api.{c.namespace}.svc.cluster.local" for c in cells)
    for vs in vss:
        assert vs.get("spec.hosts") == [f"api.{vs.get('metadata.namespace')}.svc.cluster.local"]
        assert [r["timeout"] for r in vs.get("spec.http")] == ["30s", "30s"]
        assert vs.get("spec.http")[0]["retries"]["attempts"] == 2
    assert all(d.get("spec.trafficPolicy.outlierDetection.consecutive5xxErrors") == 5 for d in drs)


def test_mesh_metrics_are_scraped_after_the_operator_crds(prod: Plan) -> None:
    kps = {r.region: r.urn for r in prod.of_type(RELEASE) if r.get("chart") == "kube-prometheus-stack"}
    monitors = [r for r in prod.of_type("kubernetes:monitoring.coreos.com/v1:PodMonitor")
                if str(r.get("metadata.name", "")).startswith("mesh-")]
    assert len(monitors) == 2 * 4
    for m in monitors:
        assert kps[m.region] in _deps(prod, m.urn)


def test_no_linkerd_is_left(prod: Plan) -> None:
    assert not [r for r in prod.resources if "linkerd" in r.type.lower() or "linkerd" in r.name.lower()]
    root = Path(__file__).resolve().parents[1]
    for folder in ("app", "stacks", "components", "policy"):
        for path in (root / folder).rglob("*.py"):
            assert "linkerd.io" not in path.read_text(), path  # no Linkerd annotation or API group left


def test_tenants_talk_only_to_their_own_domain_cell(prod: Plan) -> None:
    """eu-west-1 hosts the EU cell (platform-core) and the global cell (platform-global): a tenant
    namespace admits, and may reach, only the cell of its own data domain."""
    from stacks.dr.report import platform_config

    cfg = platform_config(prod)
    placements = place_tenants(cfg)
    checked = 0
    for r in prod.resources:
        if r.type != "kubernetes:security.istio.io/v1:AuthorizationPolicy":
            continue
        ns = r.inputs["metadata"]["namespace"]
        if not ns.startswith("tenant-"):
            continue
        region = next(reg for reg in cfg.region_names if f"-{reg}-tenant-" in r.name)
        domain = placements[ns.removeprefix("tenant-")].domain
        cell = next(c for c in region_cells(cfg, region) if c.domain == domain)
        assert r.inputs["spec"]["rules"][0]["from"][0]["source"]["namespaces"] == sorted([cell.namespace, ns])
        checked += 1
    assert checked >= 8
    peers = {(p.inputs["metadata"]["namespace"], p.inputs["metadata"]["name"]) for p in
             prod.of_type("kubernetes:networking.k8s.io/v1:NetworkPolicy")
             if p.inputs["metadata"]["name"].startswith("allow-platform-")}
    assert ("tenant-globex", "allow-platform-global") in peers and ("tenant-eurobank", "allow-platform-core") in peers


def test_istiod_settings_sit_where_the_chart_reads_them(prod: Plan) -> None:
    """istio-discovery reads `.Values.replicaCount`, `.Values.autoscaleMin` and `.Values.tolerations`
    at the top level; a `pilot:` block would be silently ignored by Helm. Active regions run two
    istiod replicas on the system nodes, the warm standby one."""
    istiods = {r.region: r for r in prod.of_type(RELEASE) if r.get("chart") == "istiod"}
    assert istiods
    standby = {r.name for r in platform_config(prod).regions if r.standby}
    for region, release in istiods.items():
        values = release.get("values")
        assert "pilot" not in values
        assert {"key": "CriticalAddonsOnly", "operator": "Exists"} in values["tolerations"]
        expected = 1 if region in standby else 2
        assert values.get("replicaCount", 1) == expected == values.get("autoscaleMin", 1), region
