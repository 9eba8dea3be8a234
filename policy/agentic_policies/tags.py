"""Cost-allocation and ownership tags, wherever they come from.

The program sets the common tags once as the AWS provider's `defaultTags`, so a resource's own
`tags` rarely carry them: a tag counts when it is in `tags`, `tagsAll` (what pulumi-aws computes
at Check) or the provider's `defaultTags.tags` (a JSON string in provider inputs).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pulumi_policy import ResourceValidationArgs

from .config import Settings
from .props import MISSING, UNKNOWN, get, mapping
from .regions import RESIDENCY_TAG, is_regional_aws
from .spec import Meta, resource_policy

CAT = "tags"

# Types that carry tags although a program may not set any (so `tags` is absent from inputs).
TAGGABLE = frozenset({
    "aws:ec2/vpc:Vpc", "aws:ec2/subnet:Subnet", "aws:ec2/securityGroup:SecurityGroup", "aws:ec2/natGateway:NatGateway",
    "aws:ec2/eip:Eip", "aws:ec2/internetGateway:InternetGateway", "aws:ec2/routeTable:RouteTable",
    "aws:ec2/launchTemplate:LaunchTemplate", "aws:ec2/vpcEndpoint:VpcEndpoint", "aws:ec2/flowLog:FlowLog",
    "aws:eks/cluster:Cluster", "aws:eks/nodeGroup:NodeGroup", "aws:eks/addon:Addon",
    "aws:rds/cluster:Cluster", "aws:rds/clusterInstance:ClusterInstance", "aws:rds/instance:Instance",
    "aws:rds/globalCluster:GlobalCluster", "aws:rds/proxy:Proxy", "aws:rds/subnetGroup:SubnetGroup",
    "aws:rds/clusterParameterGroup:ClusterParameterGroup", "aws:elasticache/replicationGroup:ReplicationGroup",
    "aws:elasticache/subnetGroup:SubnetGroup", "aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2",
    "aws:kms/key:Key", "aws:kms/replicaKey:ReplicaKey", "aws:secretsmanager/secret:Secret",
    "aws:cloudwatch/logGroup:LogGroup", "aws:cloudwatch/metricAlarm:MetricAlarm", "aws:sns/topic:Topic",
    "aws:sqs/queue:Queue", "aws:backup/vault:Vault", "aws:backup/plan:Plan", "aws:iam/role:Role",
    "aws:iam/policy:Policy", "aws:acm/certificate:Certificate", "aws:lb/loadBalancer:LoadBalancer",
    "aws:cloudtrail/trail:Trail", "aws:ecr/repository:Repository", "aws:guardduty/detector:Detector",
})


def default_tags(provider: Any) -> dict[str, Any]:
    if provider is None or not str(getattr(provider, "resource_type", "")).startswith("pulumi:providers:aws"):
        return {}
    dt = mapping(provider.props, "defaultTags")
    return mapping(dt, "tags")


def effective_tags(args: ResourceValidationArgs) -> dict[str, Any]:
    tags = default_tags(args.provider)
    tags.update(mapping(args.props, "tagsAll"))
    tags.update(mapping(args.props, "tags"))
    return tags


def _taggable(args: ResourceValidationArgs) -> bool:
    if not args.resource_type.startswith("aws:"):
        return False
    if args.resource_type in TAGGABLE:
        return True
    return get(args.props, "tags") is not MISSING or get(args.props, "tagsAll") is not MISSING


def _required(args: ResourceValidationArgs, s: Settings) -> Iterator[str]:
    if not _taggable(args):
        return
    tags = effective_tags(args)
    missing = [t for t in s.required_tags if not (isinstance(tags.get(t), str) and tags.get(t))
               and tags.get(t) is not UNKNOWN]
    if missing:
        hint = ""
        if args.provider is not None and str(args.provider.name).startswith("default"):
            hint = ("; it uses the default AWS provider (no defaultTags, region from the environment): "
                    "pass the stack's provider")
        yield f"missing required tags {', '.join(missing)} (checked tags, tagsAll and the provider's defaultTags){hint}"


required_tags = resource_policy(
    Meta("aws-required-tags", CAT,
         "Taggable AWS resources carry environment, project, managed-by and cost-center (own tags or provider "
         "default tags); AWS Config's required-tags rule is the account-side twin."),
    None, _required)


def _tenant(args: ResourceValidationArgs, s: Settings) -> Iterator[str]:
    if not is_regional_aws(args.resource_type) and not args.resource_type.startswith("aws:iam/"):
        return
    own = mapping(args.props, "tags")
    if "tenant" not in own:
        return
    for key in (RESIDENCY_TAG, "cost-center"):
        if not isinstance(own.get(key), str) or not own.get(key):
            yield f"tenant {own.get('tenant')}'s resource lacks its own {key} tag"


tenant_tags = resource_policy(
    Meta("tenant-resources-tagged", CAT,
         "Resources tagged with a tenant also carry that tenant's data-residency and cost-center tags."),
    None, _tenant)

POLICIES = [required_tags, tenant_tags]
