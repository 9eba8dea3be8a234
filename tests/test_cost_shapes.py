"""The shapes the budgets rest on, as deployed: standby NAT, dev's pausing database, no endpoints."""

from __future__ import annotations

from collections import Counter

from stacks.harness import Plan

NAT = "aws:ec2/natGateway:NatGateway"


def test_the_warm_standby_runs_one_nat_and_active_regions_one_per_az(prod: Plan) -> None:
    per_region = Counter(r.region for r in prod.of_type(NAT))
    assert per_region == {"us-east-1": 3, "eu-west-1": 3, "ap-southeast-1": 3, "eu-central-1": 1}


def test_no_stack_file_deploys_interface_endpoints(prod: Plan, dev: Plan) -> None:
    for plan in (prod, dev):
        interface = [r for r in plan.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")
                     if r.inputs.get("vpcEndpointType") == "Interface"]
        assert interface == [], [r.name for r in interface]
        assert plan.of_type("aws:ec2/vpcEndpoint:VpcEndpoint"), "the free S3 gateway endpoint stays"


def test_dev_database_pauses_when_idle_and_has_no_proxy(dev: Plan) -> None:
    (cluster,) = [c for c in dev.of_type("aws:rds/cluster:Cluster")]
    scaling = cluster.inputs["serverlessv2ScalingConfiguration"]
    assert scaling["minCapacity"] == 0 and scaling["secondsUntilAutoPause"] == 300
    assert dev.of_type("aws:rds/proxy:Proxy") == []
    assert dev.outputs["regional"]["us-east-1"]["db_proxy_endpoint"] is None


def test_prod_keeps_a_proxy_per_cluster_and_no_pausing(prod: Plan) -> None:
    clusters = prod.of_type("aws:rds/cluster:Cluster")
    instances = {i.inputs["clusterIdentifier"] for i in prod.of_type("aws:rds/clusterInstance:ClusterInstance")}
    serving = [c for c in clusters if c.id in instances]  # headless standbys get their proxy at failover
    assert len(prod.of_type("aws:rds/proxy:Proxy")) == len(serving) == len(clusters) - 2
    assert all("serverlessv2ScalingConfiguration" not in c.inputs for c in clusters)
