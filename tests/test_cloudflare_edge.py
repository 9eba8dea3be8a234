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
