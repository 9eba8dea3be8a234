"""Issue 19: the deploy runner reaches every cluster's private API endpoint, and nothing else.

Over the staging and prod plans: the runner is the CodeBuild project deploy.yml's job names; for
every EKS cluster either it is in the runner's region, or a peering joins the two VPCs, the
runner subnets' route tables route to the cluster's subnets over it (and the cluster's route back),
and the cluster security group admits 443 from every runner subnet CIDR. No route from the runner
subnets reaches a database or cache subnet of a region that shares no data domain with it.
"""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.ci_peering import CI_PURPOSE, CiPeer, ci_peer_plan
from components.peering import peer_pairs
from stacks.harness import Plan, PlannedResource, run_stack
from stacks.harness.run import stack_config

NS = "agentic-platform:"
DEPLOY = Path(__file__).resolve().parent.parent / ".github" / "workflows" / "deploy.yml"
JOBS = {"staging": "staging", "prod": "prod"}


@pytest.fixture(scope="module")
def staging() -> Plan:
    return run_stack("staging")


def _net(cidr: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    return ipaddress.ip_network(cidr)


def _covers(route_cidr: str, subnet_cidr: str) -> bool:
    return _net(subnet_cidr).subnet_of(_net(route_cidr))  # type: ignore[arg-type]


class Reach:
    """The plan seen from the deploy runner: subnets, route tables, peerings."""

    def __init__(self, plan: Plan, stack: str) -> None:
        self.plan = plan
        jobs = yaml.safe_load(DEPLOY.read_text(encoding="utf-8"))["jobs"]
        label = jobs[JOBS[stack]]["runs-on"]
        project_name = re.match(r"codebuild-(.+?)-\$\{\{", label)
        assert project_name, label
        projects = [p for p in plan.of_type("aws:codebuild/project:Project")
                    if p.get("name") == project_name.group(1)]
        assert len(projects) == 1, f"deploy.yml's {stack} runner {project_name.group(1)} is not in the plan"
        self.runner = projects[0]
        self.subnets = {s.id: s for s in plan.of_type("aws:ec2/subnet:Subnet")}
        self.runner_subnets = [self.subnets[i] for i in self.runner.get("vpcConfig.subnets")]
        self.runner_vpc = self.runner.get("vpcConfig.vpcId")
        self.runner_cidrs = [s.get("cidrBlock") for s in self.runner_subnets]
        assocs = plan.of_type("aws:ec2/routeTableAssociation:RouteTableAssociation")
        self.table_of = {a.get("subnetId"): a.get("routeTableId") for a in assocs}
        self.routes = plan.of_type("aws:ec2/route:Route")
        accepters = plan.of_type("aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter")
        self.accepter_of = {a.get("vpcPeeringConnectionId"): a.id for a in accepters}
        self.peerings = plan.of_type("aws:ec2/vpcPeeringConnection:VpcPeeringConnection")

    def tables(self, subnets: list[PlannedResource]) -> set[str]:
        return {self.table_of[s.id] for s in subnets}

    def peering(self, vpc_a: Any, vpc_b: Any) -> list[PlannedResource]:
        return [p for p in self.peerings if {p.get("vpcId"), p.get("peerVpcId")} == {vpc_a, vpc_b}]

    def routes_over(self, peering: PlannedResource, tables: set[str]) -> list[PlannedResource]:
        ids = {peering.id, self.accepter_of.get(peering.id)}
        return [r for r in self.routes if r.get("routeTableId") in tables and r.get("vpcPeeringConnectionId") in ids]


def _cluster_sg(cluster: PlannedResource) -> Any:
    return (cluster.outputs.get("vpcConfig") or {}).get("clusterSecurityGroupId")


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_the_deploy_runner_reaches_every_cluster_endpoint(stack: str, request: pytest.FixtureRequest) -> None:
    plan: Plan = request.getfixturevalue(stack)
    reach = Reach(plan, stack)
    clusters = plan.of_type("aws:eks/cluster:Cluster")
    assert clusters
    ingress = plan.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    for cluster in clusters:
        assert cluster.get("vpcConfig.endpointPublicAccess") is False, cluster.name
        if cluster.region == reach.runner.region:
            continue
        subnets = [reach.subnets[i] for i in cluster.get("vpcConfig.subnetIds")]
        vpc = subnets[0].get("vpcId")
        peerings = reach.peering(reach.runner_vpc, vpc)
        assert len(peerings) == 1, f"{cluster.region}: {len(peerings)} peerings with the runner VPC (want one)"
        there = reach.routes_over(peerings[0], reach.tables(reach.runner_subnets))
        back = reach.routes_over(peerings[0], reach.tables(subnets))
        for table in reach.tables(reach.runner_subnets):
            dests = [r.get("destinationCidrBlock") for r in there if r.get("routeTableId") == table]
            for s in subnets:
                assert any(_covers(d, s.get("cidrBlock")) for d in dests), (
                    f"runner route table {table} has no route to {cluster.region} subnet {s.get('cidrBlock')}")
        for table in reach.tables(subnets):
            dests = [r.get("destinationCidrBlock") for r in back if r.get("routeTableId") == table]
            for cidr in reach.runner_cidrs:
                assert any(_covers(d, cidr) for d in dests), f"{cluster.region} table {table}: no return to {cidr}"
        sg = _cluster_sg(cluster)
        admitted = [r.get("cidrIpv4") for r in ingress if r.get("securityGroupId") == sg and r.region == cluster.region
                    and r.get("ipProtocol") == "tcp" and r.get("fromPort") == 443 and r.get("toPort") == 443]
        for cidr in reach.runner_cidrs:
            assert cidr in admitted, f"{cluster.region} cluster SG does not admit 443 from runner subnet {cidr}"


def _domains(stack: str) -> dict[str, set[str]]:
    cfg = stack_config(stack)
    return {d["name"]: {d["primary"], *d.get("replicas", [])} for d in cfg[f"{NS}data_domains"]}


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_no_runner_route_reaches_another_domains_data_subnet(stack: str, request: pytest.FixtureRequest) -> None:
    plan: Plan = request.getfixturevalue(stack)
    reach = Reach(plan, stack)
    home = reach.runner.region
    shared = {r for regions in _domains(stack).values() if home in regions for r in regions}
    foreign = [s for s in reach.subnets.values() if s.region not in shared
               and s.tags.get("tier") in {"database", "cache"}]
    tables = reach.tables(reach.runner_subnets)
    routes = [r for r in reach.routes if r.get("routeTableId") in tables and r.get("vpcPeeringConnectionId")]
    for route in routes:
        for s in foreign:
            assert not _net(route.get("destinationCidrBlock")).overlaps(_net(s.get("cidrBlock"))), (
                f"runner route {route.get('destinationCidrBlock')} reaches {s.region} {s.tags['tier']} "
                f"subnet {s.get('cidrBlock')}")


def test_prod_adds_one_ci_peering_where_no_domain_peering_exists(prod: Plan) -> None:
    """us-east-1 (global domain) and eu-central-1 (EU domain): one CI peering; the other regions
    reuse their domain peering (one connection per VPC pair), and the CI peering routes only the
    private (cluster) subnets, never whole VPC ranges, with no remote DNS option."""
    ci = [p for p in prod.of_type("aws:ec2/vpcPeeringConnection:VpcPeeringConnection")
          if p.tags.get("purpose") == CI_PURPOSE]
    assert [(p.region, p.get("peerRegion")) for p in ci] == [("us-east-1", "eu-central-1")]
    pairs = [frozenset((p.get("vpcId"), p.get("peerVpcId")))
             for p in prod.of_type("aws:ec2/vpcPeeringConnection:VpcPeeringConnection")]
    assert len(pairs) == len(set(pairs)), "two peerings join the same VPC pair"
    accepter = next(a for a in prod.of_type("aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter")
                    if a.get("vpcPeeringConnectionId") == ci[0].id)
    routes = [r for r in prod.of_type("aws:ec2/route:Route") if r.get("vpcPeeringConnectionId") == accepter.id]
    private = {s.get("cidrBlock") for s in prod.of_type("aws:ec2/subnet:Subnet") if s.tags.get("tier") == "private"}
    assert routes and {r.get("destinationCidrBlock") for r in routes} <= private
    options = [o for o in prod.of_type("aws:ec2/peeringConnectionOptions:PeeringConnectionOptions")
               if o.get("vpcPeeringConnectionId") == accepter.id]
    assert not options


def test_ci_peer_plan_reuses_domain_peerings_and_refuses_overlaps() -> None:
    cidrs = {"us-east-1": "10.40.0.0/16", "eu-west-1": "10.41.0.0/16", "eu-central-1": "10.43.0.0/16"}
    pairs = peer_pairs({"global": ["us-east-1", "eu-west-1"], "eu": ["eu-west-1", "eu-central-1"]}, list(cidrs))
    assert ci_peer_plan("us-east-1", cidrs, pairs) == [CiPeer("eu-west-1", True), CiPeer("eu-central-1", False)]
    with pytest.raises(ValueError, match="overlap"):
        ci_peer_plan("us-east-1", {**cidrs, "eu-central-1": "10.40.128.0/17"}, pairs)
    with pytest.raises(ValueError, match="not a region"):
        ci_peer_plan("ap-southeast-1", cidrs, pairs)
