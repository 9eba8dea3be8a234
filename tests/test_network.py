"""The Network component under mocks: layout, NAT, isolation, flow logs, endpoints, tags."""

from __future__ import annotations

import json

import pytest
from base_plans import base_plan, by_id, named

from components.cidr_plan import RUNNER_TIERS, plan_subnets
from components.vpc_endpoints import INTERFACE_SERVICES
from stacks.harness.plan import Plan

SUBNET = "aws:ec2/subnet:Subnet"
ROUTE = "aws:ec2/route:Route"
RT = "aws:ec2/routeTable:RouteTable"
ASSOC = "aws:ec2/routeTableAssociation:RouteTableAssociation"


@pytest.fixture(scope="module")
def dev() -> Plan:
    return base_plan("dev")


@pytest.fixture(scope="module")
def staging() -> Plan:
    return base_plan("staging")


def subnets_of(plan: Plan, tier: str) -> list:
    return sorted((r for r in plan.of_type(SUBNET) if r.tags.get("tier") == tier), key=lambda r: r.name)


def test_vpc_dns_and_cidr(dev: Plan) -> None:
    (vpc,) = dev.of_type("aws:ec2/vpc:Vpc")
    assert vpc.get("cidrBlock") == "10.20.0.0/16"
    assert vpc.get("enableDnsHostnames") is True
    assert vpc.get("enableDnsSupport") is True
    assert vpc.get("region") == "us-east-1"


def test_subnets_follow_the_planner_in_the_first_az_count_azs(dev: Plan) -> None:
    plan = plan_subnets("10.20.0.0/16", 2)  # Pulumi.dev.yaml: network.az_count 2
    for tier in ("public", "private", "database", "cache"):
        subnets = subnets_of(dev, tier)
        assert [s.get("cidrBlock") for s in subnets] == plan.tier(tier)
        # us-east-1 has six AZs in the mock; the first az_count are used, in order.
        assert [s.get("availabilityZone") for s in subnets] == ["us-east-1a", "us-east-1b"]
        assert all(s.get("mapPublicIpOnLaunch") is False for s in subnets)


def test_kubernetes_discovery_tags(dev: Plan) -> None:
    cluster = "agentic-platform-dev-use1"
    assert all(s.tags.get("kubernetes.io/role/elb") == "1" for s in subnets_of(dev, "public"))
    for s in subnets_of(dev, "private"):
        assert s.tags.get("kubernetes.io/role/internal-elb") == "1"
        assert s.tags.get("karpenter.sh/discovery") == cluster
    for tier in ("public", "database", "cache"):
        assert not any("karpenter.sh/discovery" in s.tags for s in subnets_of(dev, tier))
    for tier in ("database", "cache"):
        assert not any(k.startswith("kubernetes.io/role") for s in subnets_of(dev, tier) for k in s.tags)


def test_single_nat_in_dev(dev: Plan) -> None:
    nats = dev.of_type("aws:ec2/natGateway:NatGateway")
    eips = dev.of_type("aws:ec2/eip:Eip")
    assert len(nats) == 1 and len(eips) == 1
    assert not eips[0].options["protect"]
    routes = named(dev, ROUTE, "private-default-0") + named(dev, ROUTE, "private-default-1") + \
        named(dev, ROUTE, "private-default-2")
    assert {r.get("natGatewayId") for r in routes} == {nats[0].id}


def test_nat_per_az_with_protected_eips_in_staging(staging: Plan) -> None:
    nats = sorted(staging.of_type("aws:ec2/natGateway:NatGateway"), key=lambda r: r.name)
    eips = sorted(staging.of_type("aws:ec2/eip:Eip"), key=lambda r: r.name)
    assert len(nats) == 3 and len(eips) == 3
    assert all(e.options["protect"] and e.get("domain") == "vpc" for e in eips)
    # Each NAT uses its own, separately managed EIP and sits in the public subnet of its AZ.
    assert [n.get("allocationId") for n in nats] == [e.outputs["allocationId"] for e in eips]
    public_ids = [s.id for s in subnets_of(staging, "public")]
    assert [n.get("subnetId") for n in nats] == public_ids
    for i, nat in enumerate(nats):
        (route,) = named(staging, ROUTE, f"private-default-{i}")
        assert route.get("natGatewayId") == nat.id


def test_isolated_tiers_have_no_internet_route(staging: Plan) -> None:
    ids = by_id(staging)
    isolated_rts = {r.id for r in staging.of_type(RT) if r.name.endswith(("database-rt", "cache-rt"))}
    assert len(isolated_rts) == 2
    assert all(ids[rt].get("routes") == [] for rt in isolated_rts)
    assert not [r for r in staging.of_type(ROUTE) if r.get("routeTableId") in isolated_rts]
    for tier in ("database", "cache"):
        tier_ids = {s.id for s in subnets_of(staging, tier)}
        assocs = [a for a in staging.of_type(ASSOC) if a.get("subnetId") in tier_ids]
        assert len(assocs) == 3 and {a.get("routeTableId") for a in assocs} <= isolated_rts
    # The S3 gateway endpoint (a route) is on private route tables only.
    (s3,) = [e for e in staging.of_type("aws:ec2/vpcEndpoint:VpcEndpoint") if e.get("vpcEndpointType") == "Gateway"]
    assert not set(s3.get("routeTableIds")) & isolated_rts


def test_internet_routes_are_only_the_documented_ones(staging: Plan) -> None:
    """0.0.0.0/0 routes: public -> IGW, private -> NAT, the runner's ci tier -> NAT. Nothing else."""
    ci_tables = {t.id for t in staging.of_type(RT) if t.tags.get("tier") == "ci"}
    assert len(ci_tables) == 3
    for r in staging.of_type(ROUTE):
        if r.get("destinationCidrBlock") != "0.0.0.0/0":
            continue
        if r.name.endswith("public-default"):
            assert r.get("gatewayId", "").startswith("igw-")
        elif "ci-default" in r.name:  # C45: CodeBuild in a VPC needs a private subnet with NAT
            assert r.get("routeTableId") in ci_tables and r.get("natGatewayId", "").startswith("nat-")
        else:
            assert "private-default" in r.name and r.get("natGatewayId", "").startswith("nat-")


def test_default_sg_and_route_table_are_emptied(dev: Plan) -> None:
    (sg,) = dev.of_type("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
    assert sg.get("ingress") == [] and sg.get("egress") == []
    (rt,) = dev.of_type("aws:ec2/defaultRouteTable:DefaultRouteTable")
    assert rt.get("routes") == []


def test_subnet_groups_use_isolated_subnets(dev: Plan) -> None:
    (db,) = dev.of_type("aws:rds/subnetGroup:SubnetGroup")
    (cache,) = dev.of_type("aws:elasticache/subnetGroup:SubnetGroup")
    assert db.get("subnetIds") == [s.id for s in subnets_of(dev, "database")]
    assert cache.get("subnetIds") == [s.id for s in subnets_of(dev, "cache")]
    assert db.get("name") == "agentic-platform-dev-use1-database"


def test_flow_logs_all_traffic_encrypted_with_retention(dev: Plan) -> None:
    (flow,) = dev.of_type("aws:ec2/flowLog:FlowLog")
    assert flow.get("trafficType") == "ALL"
    assert flow.get("logDestinationType") == "cloud-watch-logs"
    (group,) = named(dev, "aws:cloudwatch/logGroup:LogGroup", "-flow-logs")
    assert flow.get("logDestination") == group.outputs["arn"]
    assert group.get("retentionInDays") == 14  # dev stack file
    (key,) = named(dev, "aws:kms/key:Key", "-logs-key")
    assert group.get("kmsKeyId") == key.outputs["arn"]
    assert key.get("enableKeyRotation") is True
    policy = json.loads(key.get("policy"))
    services = [s["Principal"].get("Service") for s in policy["Statement"]]
    assert "logs.us-east-1.amazonaws.com" in services
    role = next(r for r in dev.of_type("aws:iam/role:Role") if r.name.endswith("flow-logs-role"))
    trust = json.loads(role.get("assumeRolePolicy"))
    assert trust["Statement"][0]["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}


def test_flow_log_retention_follows_config() -> None:
    plan = base_plan("dev", network={"flow_log_retention_days": 400})
    (group,) = named(plan, "aws:cloudwatch/logGroup:LogGroup", "-flow-logs")
    assert group.get("retentionInDays") == 400


def test_endpoints_private_dns_behind_443_from_vpc() -> None:
    # The stack files list no interface endpoint (below their NAT break-even); the default list:
    dev = base_plan("dev", network={"interface_endpoints": list(INTERFACE_SERVICES)})
    endpoints = dev.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")
    interface = [e for e in endpoints if e.get("vpcEndpointType") == "Interface"]
    assert {e.get("serviceName") for e in interface} == {f"com.amazonaws.us-east-1.{s}" for s in INTERFACE_SERVICES}
    private_ids = [s.id for s in subnets_of(dev, "private")]
    (sg,) = named(dev, "aws:ec2/securityGroup:SecurityGroup", "endpoints-sg")
    for e in interface:
        assert e.get("privateDnsEnabled") is True
        assert e.get("subnetIds") == private_ids
        assert e.get("securityGroupIds") == [sg.id]
    assert sg.get("ingress") == [{"protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": ["10.20.0.0/16"],
                                  "description": "HTTPS from the VPC"}]
    assert sg.get("egress") == []
    (s3,) = [e for e in endpoints if e.get("vpcEndpointType") == "Gateway"]
    assert s3.get("serviceName") == "com.amazonaws.us-east-1.s3"
    private_rts = {r.id for r in dev.of_type(RT) if "private-rt" in r.name}
    ci_rts = {r.id for r in dev.of_type(RT) if "-ci-rt-" in r.name}  # the runner's S3 traffic stays off NAT too
    assert len(ci_rts) == 2 and set(s3.get("routeTableIds")) == private_rts | ci_rts


def test_interface_endpoints_can_be_trimmed() -> None:
    plan = base_plan("dev", network={"interface_endpoints": ["ecr.api", "ecr.dkr", "sts"]})
    interface = [e for e in plan.of_type("aws:ec2/vpcEndpoint:VpcEndpoint") if e.get("vpcEndpointType") == "Interface"]
    assert len(interface) == 3


def test_no_open_ingress_anywhere_in_the_base(staging: Plan) -> None:
    for sg in staging.of_type("aws:ec2/securityGroup:SecurityGroup"):
        for rule in sg.get("ingress") or []:
            assert "0.0.0.0/0" not in (rule.get("cidrBlocks") or []), sg.name
    for rule in staging.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"):
        assert rule.get("cidrIpv4") in (None, "10.30.0.0/16"), rule.name
    # The single documented 0.0.0.0/0 security-group rule: node egress (through NAT/endpoints).
    open_egress = [r.name for r in staging.of_type("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")
                   if r.get("cidrIpv4") == "0.0.0.0/0"]
    assert open_egress == ["staging-us-east-1-node-egress"]


def test_every_regional_aws_resource_names_its_region() -> None:
    plan = base_plan("prod")
    global_types = ("aws:iam/",)
    for r in plan.custom_resources:
        if r.type.startswith("aws:") and not r.type.startswith(global_types):
            assert r.get("region") in plan.config["agentic-platform:regions"], (r.type, r.name)
            assert r.get("region") in r.name or r.get("region") in r.urn, r.name


def test_two_azs_keep_the_three_az_layout() -> None:
    """Shrinking or growing az_count adds/removes subnets at the end; the others stay put."""
    two = base_plan("dev", network={"az_count": 2})
    three = base_plan("dev", network={"az_count": 3})
    for tier in ("public", "private", "database", "cache"):
        assert len(subnets_of(three, tier)) == 3
        assert [s.get("cidrBlock") for s in subnets_of(two, tier)] == \
            [s.get("cidrBlock") for s in subnets_of(three, tier)][:2]
    (c,) = two.of_type("aws:eks/cluster:Cluster")
    assert len(c.get("vpcConfig.subnetIds")) == 2


def test_the_ci_tier_is_the_runners_alone(staging: Plan) -> None:
    """Runners on (every cloud stack as shipped): one `ci` subnet per AZ from the planner, no
    discovery tag (no node, pod or load balancer lands there), each with its own route table whose
    only routes are the AZ's NAT (C45) and the S3 gateway; EKS and node groups never use it."""
    plan = plan_subnets("10.30.0.0/16", 3, RUNNER_TIERS)
    ci = subnets_of(staging, "ci")
    assert [s.get("cidrBlock") for s in ci] == plan.tier("ci") == ["10.30.152.0/26", "10.30.152.64/26",
                                                                  "10.30.152.128/26"]
    assert [s.get("availabilityZone") for s in ci] == ["us-east-1a", "us-east-1b", "us-east-1c"]
    for s in ci:
        assert s.get("mapPublicIpOnLaunch") is False
        assert set(s.tags) == {"Name", "tier"}, s.tags
    ids = {s.id for s in ci}
    assocs = {a.get("subnetId"): a.get("routeTableId") for a in staging.of_type(ASSOC)}
    tables = [assocs[i] for i in sorted(ids)]
    assert len(set(tables)) == 3 and not [s for s, t in assocs.items() if t in tables and s not in ids]
    nats = sorted(staging.of_type("aws:ec2/natGateway:NatGateway"), key=lambda r: r.name)
    for i, s in enumerate(ci):
        routes = [r for r in staging.of_type(ROUTE) if r.get("routeTableId") == assocs[s.id]]
        assert [(r.get("destinationCidrBlock"), r.get("natGatewayId")) for r in routes] == [("0.0.0.0/0", nats[i].id)]
    (cluster,) = staging.of_type("aws:eks/cluster:Cluster")
    assert not ids & set(cluster.get("vpcConfig.subnetIds"))
    for group in staging.of_type("aws:eks/nodeGroup:NodeGroup"):
        assert not ids & set(group.get("subnetIds")), group.name


def test_no_runner_no_ci_tier_and_the_other_tiers_do_not_move() -> None:
    """The ci tier is appended: turning runners on or off adds or removes it and moves no subnet."""
    with_ci = base_plan("dev")
    without = base_plan("dev", delivery={"runners": {"enabled": False}})
    assert len(subnets_of(with_ci, "ci")) == 2 and not subnets_of(without, "ci")
    assert not [r for r in without.of_type(RT) if "-ci-rt-" in r.name]
    for tier in ("public", "private", "database", "cache"):
        assert [s.get("cidrBlock") for s in subnets_of(with_ci, tier)] == \
            [s.get("cidrBlock") for s in subnets_of(without, tier)]
    nat = with_ci.of_type("aws:ec2/natGateway:NatGateway")[0]  # dev: one NAT serves both ci tables
    ci_defaults = named(with_ci, ROUTE, "ci-default-0") + named(with_ci, ROUTE, "ci-default-1")
    assert {r.get("natGatewayId") for r in ci_defaults} == {nat.id}
