"""AWS Fault Injection Service experiments for faults that happen outside the cluster.

Chaos Mesh (app/chaos.py) breaks pods, their network and their CPU/memory; AWS faults need FIS:
an Aurora writer failover (the database unavailable for the failover's duration) and, in a
multi-region stack, the loss of cross-region connectivity (a region cut off from its peers). Every
template stops by itself when one of the platform's user-facing alarms fires (the ALB 5xx
alarms), so a drill never turns into an outage. Failed or stopped experiments reach the region's
alert topic. The DR drill (components/restore_testing.py `DrDrill`) starts the failover template
on a schedule.

Actions: https://docs.aws.amazon.com/fis/latest/userguide/fis-actions-reference.html
Pricing ($0.10 per action-minute): https://aws.amazon.com/fis/pricing/
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

AURORA_FAILOVER = "aurora-failover"
CROSS_REGION = "cross-region-cut"

CROSS_REGION_EC2_ACTIONS = (
    "ec2:CreateRouteTable", "ec2:CreateTags", "ec2:DeleteRouteTable", "ec2:CreateRoute",
    "ec2:AssociateRouteTable", "ec2:DisassociateRouteTable", "ec2:ReplaceRouteTableAssociation",
    "ec2:CreateManagedPrefixList", "ec2:ModifyManagedPrefixList", "ec2:DeleteManagedPrefixList",
    "ec2:GetManagedPrefixListEntries", "ec2:DescribeRouteTables", "ec2:DescribeSubnets", "ec2:DescribeVpcs",
    "ec2:DescribeVpcPeeringConnections", "ec2:DescribeManagedPrefixLists", "ec2:DescribeTransitGateways",
    "ec2:DescribeTransitGatewayAttachments", "ec2:DescribeTransitGatewayPeeringAttachments",
)
"""What aws:network:route-table-disrupt-cross-region-connectivity needs (FIS actions reference)."""


def fis_trust_policy(account_id: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "fis.amazonaws.com"}, "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"aws:SourceAccount": account_id}}}]})


def fis_role_policy(account_id: str, region: str, cluster_arns: Sequence[str], cross_region: bool) -> str:
    """Only the actions the templates run, on this region's clusters (never `rds:*` on `*`)."""
    statements: list[dict[str, Any]] = []
    if cluster_arns:
        statements.append({"Sid": "FailoverTheseClusters", "Effect": "Allow",
                           "Action": ["rds:FailoverDBCluster"], "Resource": sorted(cluster_arns)})
        statements.append({"Sid": "DescribeClusters", "Effect": "Allow", "Action": ["rds:DescribeDBClusters"],
                           "Resource": f"arn:aws:rds:{region}:{account_id}:cluster:*"})
    if cross_region:
        statements.append({"Sid": "CutCrossRegionRoutes", "Effect": "Allow",
                           "Action": list(CROSS_REGION_EC2_ACTIONS), "Resource": "*",
                           "Condition": {"StringEquals": {"aws:RequestedRegion": region}}})
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def experiment_event_pattern(template_ids: Sequence[str]) -> str:
    """Experiments of these templates that failed or were stopped (by a stop condition or a person)."""
    return json.dumps({"source": ["aws.fis"], "detail-type": ["FIS Experiment State Change"],
                       "detail": {"experiment-template-id": sorted(template_ids),
                                  "new-state": {"status": ["failed", "stopped"]}}})


@dataclass
class FaultExperimentsArgs:
    region: str
    name_prefix: str
    """`<env>-<region>`: names of the role, templates and rule."""
    account_id: str
    db_clusters: Mapping[str, pulumi.Input[str]]
    """Logical name -> identifier of each Aurora cluster whose writer may fail over here."""
    stop_alarm_arns: Sequence[pulumi.Input[str]]
    """Alarms that stop every experiment when they fire (at least one; FIS allows up to five)."""
    alert_topic_arn: pulumi.Input[str]
    peer_regions: Sequence[str] = ()
    """Regions this one is cut off from in the cross-region experiment (none: no such template)."""
    subnet_ids: Sequence[pulumi.Input[str]] = ()
    """Subnets whose route tables lose their cross-region routes (the private, workload subnets)."""
    duration_minutes: int = 5
    tags: Mapping[str, str] = field(default_factory=dict)


class FaultExperiments(pulumi.ComponentResource):
    """FIS experiment templates of one region, their role and the failure alert."""

    template_ids: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: FaultExperimentsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("agentic:fis:FaultExperiments", name, {"region": args.region}, opts)
        if not args.stop_alarm_arns:
            raise ValueError(f"{name}: FIS experiments need at least one stop-condition alarm")
        child = pulumi.ResourceOptions(parent=self)
        r, acct = args.region, args.account_id
        cluster_arns = {k: pulumi.Output.from_input(v).apply(lambda i: f"arn:aws:rds:{r}:{acct}:cluster:{i}")
                        for k, v in sorted(args.db_clusters.items())}
        cross = bool(args.peer_regions and args.subnet_ids)
        role = aws.iam.Role(f"{name}-role", name=f"{args.name_prefix}-fis", assume_role_policy=fis_trust_policy(acct),
                            tags=dict(args.tags), opts=child)
        policy = pulumi.Output.all(*cluster_arns.values()).apply(
            lambda arns: fis_role_policy(acct, r, list(arns), cross))
        role_policy = aws.iam.RolePolicy(f"{name}-policy", role=role.id, policy=policy, opts=child)
        stops = [aws.fis.ExperimentTemplateStopConditionArgs(source="aws:cloudwatch:alarm", value=a)
                 for a in args.stop_alarm_arns]
        duration = f"PT{args.duration_minutes}M"
        tmpl_opts = pulumi.ResourceOptions(parent=self, depends_on=[role_policy])
        self.template_ids = {}
        for logical, arn in cluster_arns.items():
            key = f"{AURORA_FAILOVER}-{logical}"
            t = aws.fis.ExperimentTemplate(
                f"{name}-{key}", region=r, role_arn=role.arn, stop_conditions=stops,
                description=f"Aurora writer failover of the {logical} cluster in {r}",
                actions=[aws.fis.ExperimentTemplateActionArgs(
                    name="failover", action_id="aws:rds:failover-db-cluster",
                    target=aws.fis.ExperimentTemplateActionTargetArgs(key="Clusters", value="cluster"))],
                targets=[aws.fis.ExperimentTemplateTargetArgs(
                    name="cluster", resource_type="aws:rds:cluster", selection_mode="ALL", resource_arns=[arn])],
                tags={**args.tags, "Name": f"{args.name_prefix}-{key}"}, opts=tmpl_opts)
            self.template_ids[key] = t.id
        for peer in sorted(args.peer_regions) if cross else ():
            key = f"{CROSS_REGION}-{peer}"
            t = aws.fis.ExperimentTemplate(
                f"{name}-{key}", region=r, role_arn=role.arn, stop_conditions=stops,
                description=f"{r} loses connectivity to {peer} for {args.duration_minutes} min (region failure)",
                actions=[aws.fis.ExperimentTemplateActionArgs(
                    name="cut", action_id="aws:network:route-table-disrupt-cross-region-connectivity",
                    parameters=[aws.fis.ExperimentTemplateActionParameterArgs(key="duration", value=duration),
                                aws.fis.ExperimentTemplateActionParameterArgs(key="region", value=peer)],
                    target=aws.fis.ExperimentTemplateActionTargetArgs(key="Subnets", value="subnets"))],
                targets=[aws.fis.ExperimentTemplateTargetArgs(
                    name="subnets", resource_type="aws:ec2:subnet", selection_mode="ALL",
                    resource_arns=[pulumi.Output.from_input(s).apply(
                        lambda i: f"arn:aws:ec2:{r}:{acct}:subnet/{i}") for s in args.subnet_ids])],
                tags={**args.tags, "Name": f"{args.name_prefix}-{key}"}, opts=tmpl_opts)
            self.template_ids[key] = t.id
        rule = aws.cloudwatch.EventRule(
            f"{name}-failed", region=r, name=f"{args.name_prefix}-fis-failed",
            description="FIS experiments of this stack that failed or were stopped",
            event_pattern=pulumi.Output.all(*self.template_ids.values()).apply(
                lambda ids: experiment_event_pattern(list(ids))),
            tags=dict(args.tags), opts=child)
        aws.cloudwatch.EventTarget(f"{name}-failed-to-alerts", region=r, rule=rule.name,
                                   arn=args.alert_topic_arn, opts=child)
        self.role_arn = role.arn
        self.register_outputs({"template_ids": self.template_ids, "role_arn": self.role_arn})
