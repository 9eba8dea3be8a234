"""The deploy runner reaches every cluster's private API endpoint, and nothing else.

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
from stacks.harness import Plan, PlannedResource
from stacks.harness.order import waits_for
from stacks.harness.run import stack_config

NS = "agentic-platform:"
DEPLOY = Path(__file__).resolve().parent.parent / ".github" / "workflows" / "deploy.yml"
JOBS = {"staging": "staging", "prod": "prod"}


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


K8S_PROVIDER = "pulumi:providers:kubernetes"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"


def runner_path(plan: Plan, reach: Reach, cluster: PlannedResource) -> dict[str, list[PlannedResource]]:
    """What the deploy runner's traffic to `cluster`'s private endpoint needs, found in the plan
    (not from the code that builds it): the peering joining the two VPCs and its accepter, the
    routes of the runner subnets' tables to the cluster subnets over it, the routes of the cluster
    subnets' tables back to the runner subnets over it, and the cluster SG rules admitting the
    runner subnets on 443."""
    subnets = [reach.subnets[i] for i in cluster.get("vpcConfig.subnetIds")]
    cidrs = [s.get("cidrBlock") for s in subnets]
    (peering,) = reach.peering(reach.runner_vpc, subnets[0].get("vpcId"))
    accepters = [a for a in plan.of_type("aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter")
                 if a.get("vpcPeeringConnectionId") == peering.id]
    there = [r for r in reach.routes_over(peering, reach.tables(reach.runner_subnets))
             if any(_covers(r.get("destinationCidrBlock"), c) for c in cidrs)]
    back = [r for r in reach.routes_over(peering, reach.tables(subnets))
            if any(_covers(r.get("destinationCidrBlock"), c) for c in reach.runner_cidrs)]
    sg = _cluster_sg(cluster)
    rules = [r for r in plan.of_type(INGRESS_RULE) if r.get("securityGroupId") == sg and r.region == cluster.region
             and r.get("ipProtocol") == "tcp" and r.get("fromPort") == 443 and r.get("toPort") == 443
             and r.get("cidrIpv4") and any(_covers(r.get("cidrIpv4"), c) for c in reach.runner_cidrs)]
    return {"peering": [peering, *accepters], "routes there": there, "routes back": back, "sg rules": rules}


def test_remote_kubernetes_providers_wait_for_the_runners_path(prod: Plan) -> None:
    """A first `pulumi up` from an empty state converges in one run: every Kubernetes provider of a
    cluster outside the runner's region (every object of that cluster is applied through it) waits,
    transitively through dependsOn, property dependencies, parents and providers as the plan records
    them (stacks/harness/order.py), for each route and SG rule of the runner's path to that
    endpoint, including those of a domain peering the CI path reuses."""
    reach = Reach(prod, "prod")
    providers = {p.region: p for p in prod.of_type(K8S_PROVIDER) if p.get("kubeconfig")}
    remote = [c for c in prod.of_type("aws:eks/cluster:Cluster") if c.region != reach.runner.region]
    assert len(remote) == 3
    for cluster in remote:
        path = runner_path(prod, reach, cluster)
        for part, found in path.items():
            assert found, f"{cluster.region}: the plan has no {part} of the runner's path"
        provider = providers[cluster.region]
        waits = waits_for(prod.resources, provider.urn)
        missing = sorted(r.name for found in path.values() for r in found if r.urn not in waits)
        assert not missing, f"{provider.name} can run before the runner's path exists: {missing}"
        # Nothing of that cluster reaches it another way: its objects all go through this provider
        # (or through a render-only GitOps provider, which writes files and talks to no cluster).
        render = {p.urn for p in prod.of_type(K8S_PROVIDER) if p.get("renderYamlToDirectory")}
        for r in prod.resources:
            if r.type.startswith("kubernetes:") and r.region == cluster.region:
                assert r.provider.rsplit("::", 1)[0] in {provider.urn, *render}, r.name


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_the_runner_has_its_own_ci_subnets_and_route_tables(stack: str, request: pytest.FixtureRequest) -> None:
    """The deploy runner attaches only to its region's `ci` tier (one subnet per AZ, NAT egress),
    whose route tables no other subnet uses; the node (private) tables of its region learn nothing
    from the CI path, and each remote cluster SG admits other regions only from those ci CIDRs."""
    plan: Plan = request.getfixturevalue(stack)
    reach = Reach(plan, stack)
    region = reach.runner.region
    ci = [s for s in plan.of_type("aws:ec2/subnet:Subnet") if s.region == region and s.tags.get("tier") == "ci"]
    assert sorted(s.id for s in reach.runner_subnets) == sorted(s.id for s in ci)
    private = {s.id for s in plan.of_type("aws:ec2/subnet:Subnet") if s.region == region
               and s.tags.get("tier") == "private"}
    assert len({s.get("availabilityZone") for s in ci}) == len(ci) == len(private)  # one per AZ
    assert all(ipaddress.ip_network(c).prefixlen == 26 for c in reach.runner_cidrs)
    tables = reach.tables(reach.runner_subnets)
    assert len(tables) == len(ci)
    shared = [a for a in plan.of_type("aws:ec2/routeTableAssociation:RouteTableAssociation")
              if a.get("routeTableId") in tables and a.get("subnetId") not in {s.id for s in ci}]
    assert not shared, "a runner route table also serves another subnet"
    nats = {n.id for n in plan.of_type("aws:ec2/natGateway:NatGateway")}
    for table in tables:
        defaults = [r for r in reach.routes if r.get("routeTableId") == table
                    and r.get("destinationCidrBlock") == "0.0.0.0/0"]
        assert [r.get("natGatewayId") in nats for r in defaults] == [True], f"{table}: egress must be the NAT"
    node_tables = reach.tables([reach.subnets[i] for i in private])
    ci_routes = [r for r in reach.routes if r.component == "agentic:network:CiPeering"]
    assert not [r.name for r in ci_routes if r.get("routeTableId") in node_tables]
    vpcs = {v.region: _net(v.get("cidrBlock")) for v in plan.of_type("aws:ec2/vpc:Vpc")}
    for cluster in plan.of_type("aws:eks/cluster:Cluster"):
        sources = {r.get("cidrIpv4") for r in plan.of_type(INGRESS_RULE)
                   if r.get("securityGroupId") == _cluster_sg(cluster) and r.region == cluster.region
                   and r.get("cidrIpv4") and not _net(r.get("cidrIpv4")).subnet_of(vpcs[cluster.region])}  # type: ignore[arg-type]
        assert sources == (set() if cluster.region == region else set(reach.runner_cidrs)), cluster.region


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
    peer's private (cluster) subnets from us-east-1 and only the runner's ci subnets back, never
    whole VPC ranges nor the runner region's node subnets, with no remote DNS option."""
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
    assert routes and {r.get("destinationCidrBlock") for r in routes} <= private | set(Reach(prod, "prod").runner_cidrs)
    tier = {(s.region, s.get("cidrBlock")): s.tags.get("tier") for s in prod.of_type("aws:ec2/subnet:Subnet")}
    there = {r.get("destinationCidrBlock") for r in routes if r.region == "us-east-1"}
    back = {r.get("destinationCidrBlock") for r in routes if r.region == "eu-central-1"}
    assert there and {tier.get(("eu-central-1", d)) for d in there} == {"private"}
    assert back and {tier.get(("us-east-1", d)) for d in back} == {"ci"}
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
