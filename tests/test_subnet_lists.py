"""Every subnet list of every stack is filled, and the data tier's span two AZs or more.

An empty list is accepted by the SDK and the mocks alike and refused by AWS only at `pulumi up`
(RDS Proxy: "at least two subnets in different Availability Zones",
https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-proxy-network-prereqs.html); Aurora
and ElastiCache subnet groups need two AZs for Multi-AZ failover.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from stacks.harness import Plan, run_stack

MULTI_AZ_TYPES = ("aws:rds/subnetGroup:SubnetGroup", "aws:elasticache/subnetGroup:SubnetGroup",
                  "aws:rds/proxy:Proxy", "aws:rds/proxyEndpoint:ProxyEndpoint")


def subnet_lists(value: Any, path: str = "") -> list[tuple[str, Any]]:
    """(path, value) of every input whose name ends in `subnetIds`, at any depth."""
    found: list[tuple[str, Any]] = []
    if isinstance(value, dict):
        for key, sub in value.items():
            where = f"{path}.{key}" if path else key
            if key.lower().endswith("subnetids"):
                found.append((where, sub))
            else:
                found.extend(subnet_lists(sub, where))
    elif isinstance(value, list):
        for i, sub in enumerate(value):
            found.extend(subnet_lists(sub, f"{path}[{i}]"))
    return found


def problems(plan: Plan) -> list[str]:
    zone_of = {s.id: s.inputs.get("availabilityZone") for s in plan.of_type("aws:ec2/subnet:Subnet")}
    out: list[str] = []
    for r in plan.custom_resources:
        for path, ids in subnet_lists(r.inputs):
            if not isinstance(ids, list) or not ids:
                out.append(f"{r.type} {r.name}: {path} is empty")
                continue
            unknown = [i for i in ids if i not in zone_of]
            if unknown:
                out.append(f"{r.type} {r.name}: {path} names subnets this stack does not create: {unknown}")
            zones = {zone_of[i] for i in ids if i in zone_of}
            if r.type in MULTI_AZ_TYPES and len(zones) < 2:
                out.append(f"{r.type} {r.name}: {path} spans {len(zones)} AZ(s), needs at least 2")
    return out


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_every_subnet_list_is_filled_and_multi_az(stack: str) -> None:
    plan = run_stack(stack)
    assert problems(plan) == []
    if stack != "dev":  # dev runs without RDS Proxy (database.proxy: false)
        assert plan.of_type("aws:rds/proxy:Proxy"), "the check must see the RDS Proxies it guards"
    assert plan.of_type("aws:rds/subnetGroup:SubnetGroup") and plan.of_type("aws:elasticache/subnetGroup:SubnetGroup")


def test_enterprise_tenant_proxies_get_the_regions_private_subnets() -> None:
    plan = run_stack("prod")
    private = {s.id for s in plan.of_type("aws:ec2/subnet:Subnet") if s.tags.get("tier") == "private"}
    tenant_proxies = [r for r in plan.of_type("aws:rds/proxy:Proxy", "aws:rds/proxyEndpoint:ProxyEndpoint")
                      if r.tags.get("tenant")]
    assert tenant_proxies, "prod has enterprise tenants with their own RDS Proxy"
    for r in tenant_proxies:
        assert set(r.inputs["vpcSubnetIds"]) <= private and len(r.inputs["vpcSubnetIds"]) == 3, r.name


def test_the_check_catches_an_empty_list() -> None:
    plan = run_stack("staging")
    proxy = plan.of_type("aws:rds/proxy:Proxy")[0]
    broken = Plan(stack=plan.stack, project=plan.project, config=plan.config, outputs=plan.outputs,
                  resources=[r for r in plan.resources if r is not proxy])
    bad = copy.copy(proxy)
    bad.inputs = {**proxy.inputs, "vpcSubnetIds": []}
    broken.resources.append(bad)
    assert problems(broken) == [f"aws:rds/proxy:Proxy {proxy.name}: vpcSubnetIds is empty"]
