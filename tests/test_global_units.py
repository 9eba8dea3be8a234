"""Pure rules of the global layer: pool plans per hostname, failover order, peering pairs,
Cloudflare names and expressions."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from components.cloudflare_lb import CHECK_REGIONS, check_region, detection_seconds, rate_limit_expression, slug
from components.peering import peer_pairs
from stacks.compose.global_traffic import failover_order, hostname_plan
from stacks.config import PlatformConfig, parse
from stacks.config.regions import AWS_REGIONS
from stacks.harness.run import stack_namespace as namespace


def prod_cfg() -> PlatformConfig:
    ns, region = namespace("prod")
    return parse(ns, stack="prod", aws_region=region)


ALL = {"us-east-1", "eu-west-1", "ap-southeast-1", "eu-central-1"}


def test_hostname_plan_keeps_the_eu_hostname_in_eu_regions() -> None:
    plan = hostname_plan(prod_cfg(), ALL)
    eu = plan["api.eu.agentic.example.com"]
    assert eu["regions"] == ["eu-west-1", "eu-central-1"] and eu["fallback"] == "eu-west-1"
    assert eu["residency"] == "eu"
    assert all(r.startswith("eu-") for regions in eu["geo"].values() for r in regions)
    assert set(eu["geo"]) == {"ENAM", "WEU", "EEU"}  # codes whose preference list names an EU region
    api = plan["api.agentic.example.com"]
    # eu-central-1 runs only the EU domain's cell: the API hostname has no origin there
    assert api["regions"] == ["us-east-1", "eu-west-1", "ap-southeast-1"]
    assert api["fallback"] == "us-east-1"


def test_regions_without_an_origin_get_no_pool() -> None:
    plan = hostname_plan(prod_cfg(), {"us-east-1", "eu-central-1"})
    assert plan["api.agentic.example.com"]["regions"] == ["us-east-1"]
    assert plan["api.eu.agentic.example.com"]["regions"] == ["eu-central-1"]
    assert plan["api.eu.agentic.example.com"]["fallback"] == "eu-central-1"
    assert hostname_plan(prod_cfg(), set()) == {}


def test_failover_order_puts_standby_last() -> None:
    cfg = prod_cfg()
    assert failover_order(cfg, list(ALL), "eu-west-1") == ["eu-west-1", "us-east-1", "ap-southeast-1",
                                                            "eu-central-1"]


@settings(deadline=None)  # pure and fast, but timed on a shared 2-core machine
@given(st.sets(st.sampled_from(sorted(ALL))))
def test_eu_hostname_never_gets_a_non_eu_pool(origins: set[str]) -> None:
    plan = hostname_plan(prod_cfg(), origins)
    eu = plan.get("api.eu.agentic.example.com")
    if eu is None:
        assert not origins & {"eu-west-1", "eu-central-1"}
        return
    assert set(eu["regions"]) <= {"eu-west-1", "eu-central-1"}
    assert eu["fallback"] in eu["regions"]
    assert {r for rs in eu["geo"].values() for r in rs} <= set(eu["regions"])


def test_peer_pairs_stay_inside_domains_without_repeats() -> None:
    domains = {"global": ["us-east-1", "eu-west-1", "ap-southeast-1"], "eu": ["eu-west-1", "eu-central-1"]}
    order = ["us-east-1", "eu-west-1", "ap-southeast-1", "eu-central-1"]
    assert peer_pairs(domains, order) == [("us-east-1", "eu-west-1"), ("us-east-1", "ap-southeast-1"),
                                          ("eu-west-1", "ap-southeast-1"), ("eu-west-1", "eu-central-1")]
    assert peer_pairs({"only": ["us-east-1"]}, ["us-east-1"]) == []
    # A pair shared by two domains is peered once.
    assert peer_pairs({"a": ["us-east-1", "eu-west-1"], "b": ["eu-west-1", "us-east-1"]}, order) == [
        ("us-east-1", "eu-west-1")]


def test_cloudflare_helpers() -> None:
    assert detection_seconds(10, 3) == 30
    assert slug("api.eu.example.com") == "api-eu-example-com"
    expected = '(http.host in {"a.example.com" "b.example.com"})'
    assert rate_limit_expression(["a.example.com", "b.example.com"]) == expected
    assert check_region("eu-central-1") == "WEU" and check_region("ap-southeast-1") == "SEAS"
    assert set(CHECK_REGIONS) == AWS_REGIONS


@pytest.mark.parametrize("mutate, path, message", [
    (lambda ns: ns["global_traffic"]["geo"][0].update(code="EUR"), "global_traffic.geo[0].code",
     "not a Cloudflare region code"),
    (lambda ns: ns["global_traffic"].update(eu_hostname="api.eu.other.example"), "global_traffic.eu_hostname",
     "not in the Cloudflare zone 'agentic.example.com'"),
    (lambda ns: ns["app"].update(hostname="api.example.org"), "app.hostname", "not in the Cloudflare zone"),
])
def test_global_traffic_config_is_checked(mutate: Any, path: str, message: str) -> None:
    from stacks.config import ConfigError

    ns, region = namespace("prod")
    ns = copy.deepcopy(ns)
    mutate(ns)
    with pytest.raises(ConfigError) as info:
        parse(ns, stack="prod", aws_region=region)
    assert any(i.path == f"agentic-platform:{path}" and message in i.message for i in info.value.issues), \
        [str(i) for i in info.value.issues]
