"""The catalog is refused with a message that names the tenant and the key to fix."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from stacks.config import ConfigError, parse
from stacks.harness.run import stack_namespace as namespace


def refused(mutate: Callable[[list[dict[str, Any]]], None]) -> list[str]:
    ns, region = namespace("prod")
    ns = copy.deepcopy(ns)
    mutate(ns["tenants"])
    with pytest.raises(ConfigError) as info:
        parse(ns, stack="prod", aws_region=region)
    return [str(i) for i in info.value.issues]


def test_tenant_outside_its_residency_is_refused() -> None:
    def move(tenants: list[dict[str, Any]]) -> None:
        tenants[4]["primary_region"] = "us-east-1"
    issues = refused(move)
    assert any(i.startswith("agentic-platform:tenants[4].primary_region: tenant 'eurobank'") and "'eu'" in i
               for i in issues), issues


def test_tenant_allowed_region_outside_its_domain_is_refused() -> None:
    def widen(tenants: list[dict[str, Any]]) -> None:
        tenants[5]["allowed_regions"] = ["eu-west-1", "ap-southeast-1"]
    issues = refused(widen)
    assert any("tenants[5].allowed_regions[1]" in i and "tenant 'hanse-eu'" in i and "ap-southeast-1" in i
               for i in issues), issues


def test_duplicate_tenant_id_is_refused() -> None:
    def dup(tenants: list[dict[str, Any]]) -> None:
        tenants.append({**tenants[1]})
    issues = refused(dup)
    assert any("tenants[6].id" in i and "'globex'" in i and "tenants[1]" in i for i in issues), issues


def test_unknown_tier_is_refused_naming_the_tenant() -> None:
    def gold(tenants: list[dict[str, Any]]) -> None:
        tenants[2]["tier"] = "gold"
    issues = refused(gold)
    assert any(i.startswith("agentic-platform:tenants[2].tier: tenant 'initech': ") and "'enterprise'" in i
               and "'gold'" in i for i in issues), issues


def test_eu_tenant_without_gdpr_is_refused() -> None:
    def no_gdpr(tenants: list[dict[str, Any]]) -> None:
        tenants[3]["compliance_requirements"] = ["soc2"]
    assert any("tenant 'muller-eu'" in i and "gdpr" in i for i in refused(no_gdpr))


def test_unknown_residency_is_refused() -> None:
    def swiss(tenants: list[dict[str, Any]]) -> None:
        tenants[0]["data_residency"] = "ch"
    assert any("tenants[0].data_residency" in i and "tenant 'acme'" in i for i in refused(swiss))


def test_operator_role_shared_by_two_tenants_is_refused() -> None:
    def share(tenants: list[dict[str, Any]]) -> None:
        tenants[4]["operators"] = list(tenants[1]["operators"])
    issues = refused(share)
    assert any("tenants[4].operators[0]" in i and "tenant 'eurobank'" in i and "tenant 'globex'" in i
               for i in issues), issues


def test_operators_of_a_shared_tenant_are_refused() -> None:
    def shared_ops(tenants: list[dict[str, Any]]) -> None:
        tenants[0]["operators"] = ["arn:aws:iam::777788889999:role/acme-operators"]
    assert any("tenants[0].operators" in i and "tenant 'acme' is shared" in i for i in refused(shared_ops))
