"""The Cloudflare zone's security and caching on the prod plan, and the component's refusals."""

from __future__ import annotations

import json

import pytest

from components.cloudflare_edge import (
    CLOUDFLARE_MANAGED_RULESET,
    OWASP_CORE_RULESET,
    ZoneEdgeArgs,
    check_args,
    static_asset_expression,
)
from stacks.harness import Plan, run_stack

HOSTS = ("api.agentic.example.com", "api.eu.agentic.example.com")


@pytest.fixture(scope="module")
def prod() -> Plan:
    return run_stack("prod")


def test_zone_settings_are_strict_tls_only(prod: Plan) -> None:
    zone_settings = prod.of_type("cloudflare:index/zoneSetting:ZoneSetting")
    settings = {r.inputs["settingId"]: r.inputs["value"] for r in zone_settings}
    assert settings["ssl"] == "strict"
    assert settings["min_tls_version"] == "1.2"
    assert settings["tls_1_3"] == "on"
    assert settings["always_use_https"] == "on"
    zones = {r.inputs["zoneId"] for r in zone_settings}
    assert zones == {json.loads(prod.config["agentic-platform:global_traffic"])["zone_id"]}


def test_origin_pulls_are_on_for_the_zone(prod: Plan) -> None:
    aop = prod.of_type("cloudflare:index/authenticatedOriginPullsSettings:AuthenticatedOriginPullsSettings")
    assert len(aop) == 1 and aop[0].inputs["enabled"] is True


def _ruleset(plan: Plan, phase: str) -> dict:
    found = [r for r in plan.of_type("cloudflare:index/ruleset:Ruleset") if r.inputs["phase"] == phase]
    assert len(found) == 1, f"one {phase} entry-point ruleset per zone, found {len(found)}"
    return found[0].inputs


def test_managed_waf_executes_both_rulesets_for_every_api_hostname(prod: Plan) -> None:
    waf = _ruleset(prod, "http_request_firewall_managed")
    assert [r["actionParameters"]["id"] for r in waf["rules"]] == [CLOUDFLARE_MANAGED_RULESET, OWASP_CORE_RULESET]
    for rule in waf["rules"]:
        assert rule["action"] == "execute"
        assert all(f'"{h}"' in rule["expression"] for h in HOSTS)


def test_cache_rule_caches_static_assets_by_origin_cache_control(prod: Plan) -> None:
    cache = _ruleset(prod, "http_request_cache_settings")
    (rule,) = cache["rules"]
    params = rule["actionParameters"]
    assert params["cache"] is True
    assert params["edgeTtl"] == {"mode": "respect_origin"} and params["browserTtl"] == {"mode": "respect_origin"}
    assert 'starts_with(http.request.uri.path, "/static/")' in rule["expression"]
    assert "/v1/" not in rule["expression"]  # API paths never match the cache rule


def test_static_expression_joins_prefixes_and_extensions() -> None:
    expr = static_asset_expression(["a.example.com"], ["/static/"], ["css", "js"])
    assert expr == ('(http.host in {"a.example.com"}) and (starts_with(http.request.uri.path, "/static/") '
                    'or (http.request.uri.path.extension in {"css" "js"}))')


def test_dev_without_cloudflare_has_no_zone_objects() -> None:
    dev = run_stack("dev")
    assert not dev.of_type("cloudflare:index/zoneSetting:ZoneSetting")


@pytest.mark.parametrize(("args", "message"), [
    (ZoneEdgeArgs(zone_id="z", hostnames=[]), "hostnames is empty"),
    (ZoneEdgeArgs(zone_id="z", hostnames=["a"], managed_rulesets=["nope"]), "unknown managed WAF ruleset"),
    (ZoneEdgeArgs(zone_id="z", hostnames=["a"], origin_pull_certificate="PEM"), "go together"),
])
def test_component_refuses_incomplete_args(args: ZoneEdgeArgs, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        check_args(args)


TRUST_STORE = "aws:lb/trustStore:TrustStore"
INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"
PROD_REGIONS = {"us-east-1", "eu-west-1", "ap-southeast-1", "eu-central-1"}


def test_each_region_has_an_origin_pull_trust_store_from_an_encrypted_private_bucket(prod: Plan) -> None:
    stores = prod.of_type(TRUST_STORE)
    assert {s.region for s in stores} == PROD_REGIONS and len(stores) == len(PROD_REGIONS)
    pem = json.loads(prod.config["agentic-platform:global_traffic"])["edge"]["origin_pull_ca_pem"]
    by_urn = prod.by_urn()
    for store in stores:
        parent = by_urn[store.parent]
        kids = prod.children_of(parent.urn)
        [obj] = [k for k in kids if k.type == "aws:s3/bucketObjectv2:BucketObjectv2"]
        assert store.inputs["caCertificatesBundleS3Key"] == obj.inputs["key"]
        # Pinned to the object's version (unknown until S3 assigns it): a new bundle updates the store.
        assert "caCertificatesBundleS3ObjectVersion" in store.inputs
        assert obj.inputs["content"].strip() == pem.strip()
        assert obj.inputs["serverSideEncryption"] == "aws:kms" and obj.inputs["kmsKeyId"].startswith(
            f"arn:aws:kms:{store.region}:")
        [bucket] = [k for k in kids if k.type == "agentic:storage:SecureBucket"]
        parts = [r for r in prod.resources if r.name.startswith(f"{bucket.name}-")]
        [sse] = [p for p in parts if p.type.startswith("aws:s3/bucketServerSideEncryptionConfiguration")]
        default = sse.inputs["rules"][0]["applyServerSideEncryptionByDefault"]
        assert default["sseAlgorithm"] == "aws:kms" and default["kmsMasterKeyId"] == obj.inputs["kmsKeyId"]
        [pab] = [p for p in parts if p.type == "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"]
        assert all(pab.inputs[k] for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls",
                                           "restrictPublicBuckets"))


def test_every_cell_ingress_verifies_against_its_regions_trust_store(prod: Plan) -> None:
    arns = {s.region: s.outputs["arn"] for s in prod.of_type(TRUST_STORE)}
    ingresses = [i for i in prod.of_type(INGRESS)
                 if i.inputs["metadata"]["annotations"].get("alb.ingress.kubernetes.io/scheme") == "internet-facing"]
    assert len(ingresses) >= len(PROD_REGIONS)
    for ing in ingresses:
        ann = ing.inputs["metadata"]["annotations"]
        [entry] = json.loads(ann["alb.ingress.kubernetes.io/mutual-authentication"])
        assert entry["port"] == 443 and entry["mode"] == "verify"
        assert entry["trustStore"] == arns[ing.region], ing.name


def test_zone_uploads_the_origin_pull_certificate_with_a_secret_key(prod: Plan) -> None:
    [cert] = prod.of_type("cloudflare:index/authenticatedOriginPullsCertificate:AuthenticatedOriginPullsCertificate")
    assert "privateKey" in cert.secret_paths and "certificate" in cert.secret_paths
    [aop] = prod.of_type("cloudflare:index/authenticatedOriginPullsSettings:AuthenticatedOriginPullsSettings")
    assert cert.urn in aop.options.get("dependsOn", [])
