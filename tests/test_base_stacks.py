"""Whole stacks (the real `__main__.py`): one network and one cluster per workload region."""

from __future__ import annotations

import pytest

from stacks.harness import run_stack
from stacks.harness.plan import Plan
from stacks.harness.run import stack_config

STACKS = ("dev", "staging", "prod")


@pytest.fixture(scope="module")
def plans() -> dict[str, Plan]:
    return {stack: run_stack(stack) for stack in STACKS}


def regions_of(stack: str) -> list[str]:
    return [r["name"] for r in stack_config(stack)["agentic-platform:regions"]]


@pytest.mark.parametrize("stack", STACKS)
def test_one_network_and_one_cluster_per_region(plans: dict[str, Plan], stack: str) -> None:
    plan = plans[stack]
    regions = regions_of(stack)
    for typ in ("aws:ec2/vpc:Vpc", "aws:eks/cluster:Cluster", "pulumi:providers:kubernetes",
                "agentic:network:Network", "agentic:eks:EksCluster", "agentic:eks:ClusterCharts"):
        found = sorted(r.region or "" for r in plan.of_type(typ))
        assert found == sorted(regions), typ


@pytest.mark.parametrize("stack", STACKS)
def test_base_names_carry_the_region(plans: dict[str, Plan], stack: str) -> None:
    plan = plans[stack]
    base_components = {"agentic:network:Network", "agentic:eks:EksCluster", "agentic:eks:NodeGroups",
                       "agentic:eks:BootstrapAddons", "agentic:eks:NodeAddons", "agentic:eks:ClusterCharts"}
    base = [r for r in plan.resources if r.component in base_components]
    assert base
    def carries(name: str, region: str | None) -> bool:
        return name == f"{stack}-{region}" or name.startswith(f"{stack}-{region}-")

    regions = regions_of(stack)
    for r in base:
        assert any(carries(r.name, region) for region in regions), (r.type, r.name)
        if r.custom and not r.type.startswith("aws:iam/"):  # IAM is global; the rest is regional
            assert carries(r.name, r.region), (r.type, r.name, r.region)
    for c in plan.of_type("aws:eks/cluster:Cluster"):
        short = c.region.split("-")[0] + c.region.split("-")[1][0] + c.region.split("-")[2]  # type: ignore[union-attr]
        assert c.get("name") == f"agentic-platform-{stack}-{short}"
    iam_names = [r.get("name") for r in plan.of_type("aws:iam/role:Role") if r.component in base_components]
    assert len(iam_names) == len(set(iam_names))  # IAM is global: names must differ per region


@pytest.mark.parametrize("stack", STACKS)
def test_urns_unique(plans: dict[str, Plan], stack: str) -> None:
    urns = [r.urn for r in plans[stack].resources]
    assert len(urns) == len(set(urns))


def test_prod_vpcs_use_their_configured_ranges(plans: dict[str, Plan]) -> None:
    cidrs = {r["name"]: r["cidr"] for r in stack_config("prod")["agentic-platform:regions"]}
    assert {v.region: v.get("cidrBlock") for v in plans["prod"].of_type("aws:ec2/vpc:Vpc")} == cidrs


def test_prod_standby_cluster_is_warm_and_small(plans: dict[str, Plan]) -> None:
    groups = [g for g in plans["prod"].of_type("aws:eks/nodeGroup:NodeGroup") if g.region == "eu-central-1"]
    assert len(groups) == 3
    sizes = {g.get("labels")["node-group"]: g.get("scalingConfig.desiredSize") for g in groups}
    assert sizes == {"system": 1, "api": 1, "workers": 0}  # prod's standby scales its workers to zero


@pytest.mark.parametrize("stack", STACKS)
def test_pod_identity_roles_use_the_stack_provider(plans: dict[str, Plan], stack: str) -> None:
    """Roles made through `base.pod_identity` by any layer carry the provider's default tags."""
    plan = plans[stack]
    helpers = {r.urn for r in plan.of_type("agentic:eks:PodIdentityRole")}
    children = [r for r in plan.custom_resources if r.parent in helpers]
    assert children
    for r in children:
        assert r.provider.split("::")[-2] == f"aws-{stack}", (r.name, r.provider)


@pytest.mark.parametrize("stack", STACKS)
def test_ingresses_and_services_wait_for_the_lb_controller(plans: dict[str, Plan], stack: str) -> None:
    """The contract of `RegionBase.lb_controller` (C28 on create, C29 on destroy)."""
    plan = plans[stack]
    controllers = {r.region or "": r.urn for r in plan.of_type("kubernetes:helm.sh/v3:Release")
                   if r.get("name") == "aws-load-balancer-controller"}
    assert sorted(controllers) == sorted(regions_of(stack))
    fronts = plan.of_type("kubernetes:networking.k8s.io/v1:Ingress", "kubernetes:core/v1:Service")
    assert any(r.type.endswith("Ingress") for r in fronts)
    for r in fronts:
        assert controllers[r.region or ""] in r.options["dependsOn"], r.name
