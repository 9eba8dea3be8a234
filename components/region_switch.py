"""Automated regional failover of one data domain: an ARC Region switch plan and what it needs.

Aurora never promotes a global secondary by itself and an operator running the runbook takes
minutes, so the write failover target (2 min) needs a machine to run the promotion. ARC Region
switch does that as a managed plan (https://docs.aws.amazon.com/r53recovery/latest/dg/region-switch.html):

- the plan is `activePassive` over exactly two regions, the domain's primary and its first replica
  (the API takes two regions: https://docs.aws.amazon.com/arc-region-switch/latest/api/API_CreatePlan.html),
  so a plan can never reach a region outside its domain;
- plans are global resources managed through the control plane in us-east-1
  (`arc-region-switch-control-plane.us-east-1`), while executions run on the data plane of the
  plan's regions (https://docs.aws.amazon.com/r53recovery/latest/dg/data-and-control-planes-rs.html):
  the resource is placed in `control_region`, and a plan only holds ARNs and step settings, never
  tenant data;
- the trigger alarm lives in the standby region (it must survive the primary) and reads a
  high-resolution metric a prober in the standby region publishes about the primary;
- the execution role may fail over only the listed global clusters and scale only the standby's
  listed workloads (least privilege), and every execution is announced on the alert topic.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components import prober_code

CONTROL_REGION = "us-east-1"
"""Where Region switch plans are created (its control plane's only endpoint in the aws partition)."""
PROBE_NAMESPACE = prober_code.NAMESPACE
PROBE_METRIC = prober_code.METRIC
"""What `components.primary_prober` publishes (one definition, shared with the prober's code)."""
EKS_EDIT_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy"


@dataclass
class GlobalDatabase:
    """One Aurora Global database the plan fails over (the domain's, or an enterprise tenant's)."""

    label: str
    global_cluster_identifier: pulumi.Input[str]
    cluster_arns: Sequence[pulumi.Input[str]]
    """The member clusters in the plan's two regions (primary and standby)."""


@dataclass
class StandbyScaling:
    """The standby cluster's workloads the plan scales to the primary's recent size."""

    cluster_arn: pulumi.Input[str]
    namespace: str
    deployments: Sequence[str] = ("api", "worker")


@dataclass
class RegionSwitchArgs:
    name: str
    """Plan name, <= 32 characters ([a-zA-Z0-9-])."""
    domain: str
    domain_regions: Sequence[str]
    """Every region of the data domain: the plan's regions must lie inside it."""
    primary_region: str
    standby_region: str
    databases: Sequence[GlobalDatabase]
    account_id: pulumi.Input[str]
    scaling: StandbyScaling | None = None
    automatic: bool = False
    min_delay_minutes_between_executions: int = 60
    approval_role_arn: str | None = None
    approval_timeout_minutes: int = 60
    probe_period_seconds: int = 10
    probe_failures: int = 2
    alert_topic_arn: pulumi.Input[str] | None = None
    """The alert topic in the standby region: trigger alarm and execution events go there."""
    recovery_time_objective_minutes: int = 2
    control_region: str = CONTROL_REGION
    tags: Mapping[str, str] = field(default_factory=dict)
    alarm_tags: Mapping[str, str] = field(default_factory=dict)
    """Extra tags of what lives in the standby region (the domain's residency tag)."""


def validate_args(args: RegionSwitchArgs) -> None:
    """Refuse a plan that would leave its data domain or that AWS would refuse at deploy time."""
    regions = {args.primary_region, args.standby_region}
    outside = sorted(regions - set(args.domain_regions))
    if outside:
        raise ValueError(f"RegionSwitchArgs: plan '{args.name}' of data domain '{args.domain}' names "
                         f"{', '.join(outside)}, outside the domain ({', '.join(args.domain_regions)})")
    if len(regions) != 2:
        raise ValueError(f"RegionSwitchArgs: plan '{args.name}' needs two different regions")
    if len(args.name) > 32:
        raise ValueError(f"RegionSwitchArgs.name '{args.name}' is longer than 32 characters")
    if not args.databases:
        raise ValueError(f"RegionSwitchArgs: plan '{args.name}' has no global database to fail over")


def execution_policy(*, global_cluster_arns: Sequence[str], cluster_arns: Sequence[str],
                     eks_cluster_arns: Sequence[str], alarm_arns: Sequence[str]) -> str:
    """The execution role's permissions: fail over these global clusters, read these alarms and
    describe the standby EKS cluster; nothing else (pure, unit-tested)."""
    statements: list[dict[str, object]] = [
        {"Sid": "FailoverTheDomainsGlobalDatabases", "Effect": "Allow",
         "Action": ["rds:FailoverGlobalCluster", "rds:SwitchoverGlobalCluster"],
         "Resource": sorted({*global_cluster_arns, *cluster_arns})},
        {"Sid": "ReadTheirState", "Effect": "Allow",
         "Action": ["rds:DescribeGlobalClusters", "rds:DescribeDBClusters"],
         "Resource": sorted({*global_cluster_arns, *cluster_arns})},
        {"Sid": "ReadTheTriggerAlarms", "Effect": "Allow",
         "Action": ["cloudwatch:DescribeAlarms", "cloudwatch:DescribeAlarmHistory"],
         "Resource": sorted(alarm_arns)},
    ]
    if eks_cluster_arns:
        statements.append({"Sid": "ReachTheStandbyCluster", "Effect": "Allow",
                           "Action": ["eks:DescribeCluster"], "Resource": sorted(eks_cluster_arns)})
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


class RegionSwitchPlan(pulumi.ComponentResource):
    """Trigger alarm, execution role, Region switch plan and execution notifications of one domain."""

    plan: aws.arcregionswitch.Plan
    plan_arn: pulumi.Output[str]
    trigger_alarm: aws.cloudwatch.MetricAlarm
    execution_role: aws.iam.Role

    def __init__(self, name: str, args: RegionSwitchArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("agentic:dr:RegionSwitchPlan", name, {"domain": args.domain}, opts)
        validate_args(args)
        child = pulumi.ResourceOptions(parent=self)
        tags = dict(args.tags)
        regional_tags = {**tags, **args.alarm_tags}
        standby, primary = args.standby_region, args.primary_region
        alarm_name = f"{args.name}-primary-down"
        actions = [args.alert_topic_arn] if args.alert_topic_arn is not None else []

        # The signal that the primary is gone, evaluated where it survives (the standby region).
        self.trigger_alarm = aws.cloudwatch.MetricAlarm(
            f"{name}-primary-down", region=standby, name=alarm_name,
            alarm_description=f"{primary} unreachable from {standby} for data domain {args.domain}: "
                              f"starts Region switch plan {args.name}" if args.automatic else
                              f"{primary} unreachable from {standby} for data domain {args.domain}",
            namespace=PROBE_NAMESPACE, metric_name=PROBE_METRIC,
            dimensions=prober_code.dimensions(args.domain, primary),
            statistic="Maximum", period=args.probe_period_seconds, evaluation_periods=args.probe_failures,
            datapoints_to_alarm=args.probe_failures, threshold=1, comparison_operator="LessThanThreshold",
            # No data means the prober is down, not the primary: never fail over on silence.
            treat_missing_data="missing", alarm_actions=actions, ok_actions=actions, tags=regional_tags, opts=child)

        self.execution_role = aws.iam.Role(
            f"{name}-execution", name=f"{args.name}-rs-exec"[:64],
            description=f"ARC Region switch execution role of data domain {args.domain}",
            assume_role_policy=pulumi.Output.from_input(args.account_id).apply(lambda acct: json.dumps({
                "Version": "2012-10-17", "Statement": [{
                    "Effect": "Allow", "Principal": {"Service": "arc-region-switch.amazonaws.com"},
                    "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"aws:SourceAccount": acct}}}]})),
            tags=tags, opts=child)
        gc_arns = [pulumi.Output.all(args.account_id, db.global_cluster_identifier).apply(
            lambda v: f"arn:aws:rds::{v[0]}:global-cluster:{v[1]}") for db in args.databases]
        member_arns = [a for db in args.databases for a in db.cluster_arns]
        eks_arns = [args.scaling.cluster_arn] if args.scaling is not None else []
        aws.iam.RolePolicy(
            f"{name}-execution-policy", role=self.execution_role.id,
            policy=pulumi.Output.all(pulumi.Output.all(*gc_arns), pulumi.Output.all(*member_arns),
                                     pulumi.Output.all(*eks_arns), self.trigger_alarm.arn).apply(
                lambda v: execution_policy(global_cluster_arns=[str(x) for x in v[0]],
                                           cluster_arns=[str(x) for x in v[1]],
                                           eks_cluster_arns=[str(x) for x in v[2]], alarm_arns=[str(v[3])])),
            opts=child)
        if args.scaling is not None:
            # Kubernetes access for the scaling step: edit rights in the cell's namespace only.
            cluster_name = pulumi.Output.from_input(args.scaling.cluster_arn).apply(lambda a: a.split("/")[-1])
            entry = aws.eks.AccessEntry(
                f"{name}-eks-access", region=standby, cluster_name=cluster_name,
                principal_arn=self.execution_role.arn, type="STANDARD", tags=regional_tags, opts=child)
            aws.eks.AccessPolicyAssociation(
                f"{name}-eks-scale", region=standby, cluster_name=cluster_name,
                principal_arn=self.execution_role.arn, policy_arn=EKS_EDIT_POLICY,
                access_scope=aws.eks.AccessPolicyAssociationAccessScopeArgs(
                    type="namespace", namespaces=[args.scaling.namespace]),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[entry]))

        self.plan = aws.arcregionswitch.Plan(
            f"{name}-plan", region=args.control_region, name=args.name,
            description=f"fail over data domain {args.domain}: {primary} <-> {standby}",
            recovery_approach="activePassive", regions=[primary, standby], primary_region=primary,
            execution_role=self.execution_role.arn,
            recovery_time_objective_minutes=args.recovery_time_objective_minutes,
            associated_alarms=[aws.arcregionswitch.PlanAssociatedAlarmArgs(
                map_block_key=alarm_name, alarm_type="trigger", resource_identifier=self.trigger_alarm.arn)],
            triggers=[aws.arcregionswitch.PlanTriggerArgs(
                action="activate", target_region=standby,
                min_delay_minutes_between_executions=args.min_delay_minutes_between_executions,
                description=f"{primary} unreachable: activate {standby}",
                conditions=[aws.arcregionswitch.PlanTriggerConditionArgs(
                    associated_alarm_name=alarm_name, condition="red")])] if args.automatic else None,
            workflows=[aws.arcregionswitch.PlanWorkflowArgs(
                workflow_target_action="activate",
                workflow_description="approve (optional), promote the global databases, scale the standby",
                steps=self._steps(args))],
            tags=tags, opts=pulumi.ResourceOptions(parent=self, depends_on=[self.execution_role]))
        self.plan_arn = self.plan.arn

        # Every execution (automatic or not) is announced where the on-call engineer looks.
        if args.alert_topic_arn is not None:
            rule = aws.cloudwatch.EventRule(
                f"{name}-executions", region=standby, name=f"{args.name}-executions",
                description=f"Region switch plan {args.name} executions -> alert topic",
                event_pattern=self.plan.arn.apply(lambda arn: json.dumps({
                    "source": ["aws.arc-region-switch"], "resources": [{"prefix": arn}]})),
                tags=regional_tags, opts=child)
            aws.cloudwatch.EventTarget(
                f"{name}-executions-alert", region=standby, rule=rule.name, arn=args.alert_topic_arn, opts=child)
        self.register_outputs({"plan_arn": self.plan_arn, "trigger_alarm": alarm_name})

    @staticmethod
    def _steps(args: RegionSwitchArgs) -> list[aws.arcregionswitch.PlanWorkflowStepArgs]:
        steps: list[aws.arcregionswitch.PlanWorkflowStepArgs] = []
        if args.approval_role_arn:
            steps.append(aws.arcregionswitch.PlanWorkflowStepArgs(
                name="approve", execution_block_type="ManualApproval",
                description="a person confirms the failover before the databases move",
                execution_approval_configs=[aws.arcregionswitch.PlanWorkflowStepExecutionApprovalConfigArgs(
                    approval_role=args.approval_role_arn, timeout_minutes=args.approval_timeout_minutes)]))
        db_steps = [aws.arcregionswitch.PlanWorkflowStepParallelConfigStepArgs(
            name=f"aurora-{db.label}"[:64], execution_block_type="AuroraGlobalDatabase",
            description=f"fail over Aurora Global {db.label} (switchover when both regions are healthy)",
            global_aurora_configs=[aws.arcregionswitch.PlanWorkflowStepParallelConfigStepGlobalAuroraConfigArgs(
                behavior="failover", global_cluster_identifier=db.global_cluster_identifier,
                database_cluster_arns=list(db.cluster_arns), timeout_minutes=15)])
            for db in args.databases]
        steps.append(aws.arcregionswitch.PlanWorkflowStepArgs(
            name="databases", execution_block_type="Parallel",
            description="promote every global database of the domain at once",
            parallel_configs=[aws.arcregionswitch.PlanWorkflowStepParallelConfigArgs(steps=db_steps)]))
        if args.scaling is not None:
            sc = args.scaling
            steps.append(aws.arcregionswitch.PlanWorkflowStepArgs(
                name="scale-standby", execution_block_type="EKSResourceScaling",
                description=f"scale {', '.join(sc.deployments)} in {sc.namespace} to the primary's size",
                eks_resource_scaling_configs=[aws.arcregionswitch.PlanWorkflowStepEksResourceScalingConfigArgs(
                    capacity_monitoring_approach="sampledMaxInLast24Hours", target_percent=100,
                    timeout_minutes=20,
                    eks_clusters=[aws.arcregionswitch.PlanWorkflowStepEksResourceScalingConfigEksClusterArgs(
                        cluster_arn=sc.cluster_arn)],
                    kubernetes_resource_types=[
                        aws.arcregionswitch.PlanWorkflowStepEksResourceScalingConfigKubernetesResourceTypeArgs(
                            api_version="apps/v1", kind="Deployment")],
                    scaling_resources=[aws.arcregionswitch.PlanWorkflowStepEksResourceScalingConfigScalingResourceArgs(
                        namespace=sc.namespace, resources=[
                            aws.arcregionswitch.PlanWorkflowStepEksResourceScalingConfigScalingResourceResourceArgs(
                                name=d, namespace=sc.namespace, resource_name=d, hpa_name=d)
                            for d in sc.deployments])])]))
        return steps
