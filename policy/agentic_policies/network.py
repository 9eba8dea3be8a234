"""Network exposure: nothing reachable from the internet except through the controlled ingress."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pulumi_policy import ResourceValidationArgs

from .config import Settings
from .props import UNKNOWN, get, is_set, items, mapping, number, truthy
from .residency import BUCKETS
from .spec import Meta, resource_policy, stack_policy
from .stack import StackView

CAT = "network"
OPEN = ("0.0.0.0/0", "::/0")


def _ports_allowed(s: Settings, protocol: Any, from_port: Any, to_port: Any) -> bool:
    if str(protocol) in ("-1", "all"):
        return False
    lo, hi = number(from_port), number(to_port)
    if lo is None or hi is None:
        return False
    return lo == hi and int(lo) in s.public_ingress_ports


def _rule_open(rule: Any, *, v4: str, v6: str) -> bool:
    cidrs = [c for key in (v4, v6) for c in (items(rule, key) if key.endswith("s") else [get(rule, key)])]
    return any(c in OPEN for c in cidrs)


def _sg(args: ResourceValidationArgs, s: Settings) -> Iterator[str]:
    t = args.resource_type
    if t == "aws:ec2/securityGroup:SecurityGroup":
        for i, rule in enumerate(items(args.props, "ingress")):
            if _rule_open(rule, v4="cidrBlocks", v6="ipv6CidrBlocks") and not _ports_allowed(
                    s, get(rule, "protocol"), get(rule, "fromPort"), get(rule, "toPort")):
                ports = f"{get(rule, 'protocol')}/{get(rule, 'fromPort')}-{get(rule, 'toPort')}"
                yield f"ingress[{i}] opens {ports} to the internet"
    elif t == "aws:ec2/securityGroupRule:SecurityGroupRule":
        if get(args.props, "type") == "ingress" and _rule_open(args.props, v4="cidrBlocks", v6="ipv6CidrBlocks") \
                and not _ports_allowed(s, get(args.props, "protocol"), get(args.props, "fromPort"),
                                       get(args.props, "toPort")):
            yield "ingress rule open to the internet"
    elif _rule_open(args.props, v4="cidrIpv4", v6="cidrIpv6") and not _ports_allowed(
            s, get(args.props, "ipProtocol"), get(args.props, "fromPort"), get(args.props, "toPort")):
        yield "ingress rule open to the internet"


sg_public_ingress = resource_policy(
    Meta("security-group-no-public-ingress", CAT,
         "Security groups (inline rules, SecurityGroupRule, vpc.SecurityGroupIngressRule) open nothing to "
         "0.0.0.0/0 or ::/0 except the stack's publicIngressPorts.",
         ("CKV_AWS_24", "CKV_AWS_25", "CKV_AWS_260", "CKV_AWS_277"), ("EC2.18", "EC2.19"), ),
    ["aws:ec2/securityGroup:SecurityGroup", "aws:ec2/securityGroupRule:SecurityGroupRule",
     "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"], _sg)


def _default_sg(view: StackView) -> Iterator[tuple[str, str | None]]:
    defaults = view.of_type("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
    for vpc in view.of_type("aws:ec2/vpc:Vpc"):
        mine = [d for d in defaults if any(t.urn == vpc.urn for t in view.refs(d, "vpcId"))]
        if not mine:
            yield (f"VPC {vpc.name}: its default security group is not managed (it allows all traffic between "
                   "members); adopt it with ec2.DefaultSecurityGroup and no rules"), vpc.urn
        for d in mine:
            if items(d.props, "ingress") or items(d.props, "egress"):
                yield f"VPC {vpc.name}: the default security group has rules", d.urn


default_sg = stack_policy(
    Meta("vpc-default-security-group-closed", CAT,
         "Each VPC's default security group is adopted and has no rules.", ("CKV2_AWS_12",), ("EC2.2",)),
    _default_sg)


def _public_db(args: ResourceValidationArgs, s: Settings) -> Iterator[str]:
    if truthy(get(args.props, "publiclyAccessible")):
        yield "publiclyAccessible must not be true"


rds_not_public = resource_policy(
    Meta("rds-not-publicly-accessible", CAT, "Database instances are not publicly accessible.", ("CKV_AWS_17",),
         ("RDS.2",)),
    ["aws:rds/clusterInstance:ClusterInstance", "aws:rds/instance:Instance"], _public_db)

PUBLIC_SUBNET_TAGS = (("kubernetes.io/role/elb", "1"), ("tier", "public"), ("subnet-type", "public"))


def _subnet(args: ResourceValidationArgs, s: Settings) -> Iterator[str]:
    if not truthy(get(args.props, "mapPublicIpOnLaunch")):
        return
    tags = mapping(args.props, "tags")
    if any(tags.get(k) == v for k, v in PUBLIC_SUBNET_TAGS):
        return
    yield "mapPublicIpOnLaunch is true on a subnet not tagged as public (kubernetes.io/role/elb=1 or tier=public)"


subnet_public_ip = resource_policy(
    Meta("subnet-no-public-ip-on-launch", CAT,
         "Only subnets tagged public auto-assign public IPs.", ("CKV_AWS_130",), ("EC2.15",)),
    ["aws:ec2/subnet:Subnet"], _subnet)


def _lt_public_ip(args: ResourceValidationArgs, s: Settings) -> Iterator[str]:
    for i, nic in enumerate(items(args.props, "networkInterfaces")):
        if truthy(get(nic, "associatePublicIpAddress")):
            yield f"networkInterfaces[{i}].associatePublicIpAddress is true"


lt_public_ip = resource_policy(
    Meta("launch-template-no-public-ip", CAT, "Node launch templates do not give nodes public IPs.",
         ("CKV_AWS_88",), ("EC2.9", "EC2.25")),
    ["aws:ec2/launchTemplate:LaunchTemplate"], _lt_public_ip)


def _imds(args: ResourceValidationArgs, s: Settings) -> Iterator[str]:
    base = "spec.metadataOptions" if args.resource_type.startswith("kubernetes:") else "metadataOptions"
    tokens = get(args.props, f"{base}.httpTokens")
    if tokens is UNKNOWN:
        return
    if tokens != "required":
        yield f"{base}.httpTokens is {tokens if tokens else 'absent'}; IMDSv2 must be required"
    hops = number(get(args.props, f"{base}.httpPutResponseHopLimit"))
    if hops is not None and hops > 2:
        yield f"{base}.httpPutResponseHopLimit {int(hops)} > 2 lets more than the pod network reach IMDS"


imdsv2 = resource_policy(
    Meta("imdsv2-required", CAT,
         "Launch templates and Karpenter EC2NodeClasses require IMDSv2 with a hop limit of at most 2 (Checkov's 1 "
         "would break pods that need IMDS; documented exception).", ("CKV_AWS_79", "CKV_AWS_341"),
         ("EC2.8", "EC2.170")),
    ["aws:ec2/launchTemplate:LaunchTemplate", "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass"], _imds)


def _remote_access(args: ResourceValidationArgs, s: Settings) -> Iterator[str]:
    ra = get(args.props, "remoteAccess")
    if is_set(ra) and not is_set(get(ra, "sourceSecurityGroupIds")):
        yield "remoteAccess without sourceSecurityGroupIds opens SSH to the internet"


nodegroup_ssh = resource_policy(
    Meta("eks-nodegroup-no-open-ssh", CAT, "EKS node groups do not open SSH to the world.", ("CKV_AWS_100",)),
    ["aws:eks/nodeGroup:NodeGroup"], _remote_access)


def _cache_subnets(args: ResourceValidationArgs, s: Settings) -> Iterator[str]:
    name = get(args.props, "subnetGroupName")
    if not is_set(name) or name == "default":
        yield "set subnetGroupName to the private cache subnet group (not the default VPC's)"


cache_subnets = resource_policy(
    Meta("elasticache-custom-subnet-group", CAT, "ElastiCache runs in a private, custom subnet group.",
         ("CKV_AWS_323",), ("ElastiCache.7",)),
    ["aws:elasticache/replicationGroup:ReplicationGroup"], _cache_subnets)


def _eks_endpoint(args: ResourceValidationArgs, s: Settings) -> Iterator[str]:
    vpc = get(args.props, "vpcConfig")
    public = get(vpc, "endpointPublicAccess")
    if public is UNKNOWN:
        return
    if not truthy(get(vpc, "endpointPrivateAccess")):
        yield "vpcConfig.endpointPrivateAccess must be true (nodes reach the API privately)"
    if public is False or public == "false":
        return
    cidrs = items(vpc, "publicAccessCidrs")
    if not cidrs or any(c in OPEN for c in cidrs):
        yield ("the API endpoint is public to the internet (endpointPublicAccess absent/true without "
               "restricted publicAccessCidrs)")


eks_endpoint = resource_policy(
    Meta("eks-endpoint-not-public", CAT,
         "The EKS API endpoint is private, or public only to listed CIDRs.", ("CKV_AWS_39", "CKV_AWS_38"),
         ("EKS.1",)),
    ["aws:eks/cluster:Cluster"], _eks_endpoint)

PAB_KEYS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")


def _block_public(view: StackView) -> Iterator[tuple[str, str | None]]:
    blocks = view.of_type("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    for bucket in view.of_type(*BUCKETS):
        mine = [b for b in blocks if any(t.urn == bucket.urn for t in view.refs(b, "bucket", BUCKETS))]
        if not mine:
            yield f"bucket {bucket.name} has no public access block", bucket.urn
        for b in mine:
            off = [k for k in PAB_KEYS if not truthy(get(b.props, k))]
            if off:
                yield f"bucket {bucket.name}: public access block leaves {', '.join(off)} off", bucket.urn


s3_block_public = stack_policy(
    Meta("s3-block-public-access", CAT,
         "Every S3 bucket has a public access block with all four settings on.",
         ("CKV_AWS_53", "CKV_AWS_54", "CKV_AWS_55", "CKV_AWS_56", "CKV2_AWS_6"), ("S3.8",)),
    _block_public)

PUBLIC_ACLS = ("public-read", "public-read-write", "authenticated-read")


def _acls(view: StackView) -> Iterator[tuple[str, str | None]]:
    ownership = view.of_type("aws:s3/bucketOwnershipControls:BucketOwnershipControls")
    for acl in view.of_type("aws:s3/bucketAcl:BucketAcl", "aws:s3/bucketAclV2:BucketAclV2"):
        if get(acl.props, "acl") in PUBLIC_ACLS:
            yield f"bucket ACL {acl.name} grants {get(acl.props, 'acl')}", acl.urn
    for bucket in view.of_type(*BUCKETS):
        if get(bucket.props, "acl") in PUBLIC_ACLS:
            yield f"bucket {bucket.name} has a public canned ACL", bucket.urn
        mine = [o for o in ownership if any(t.urn == bucket.urn for t in view.refs(o, "bucket", BUCKETS))]
        if mine and not all(get(o.props, "rule.objectOwnership") == "BucketOwnerEnforced" for o in mine):
            yield f"bucket {bucket.name}: object ownership is not BucketOwnerEnforced (ACLs stay active)", bucket.urn


s3_acls = stack_policy(
    Meta("s3-no-public-acls", CAT,
         "No public bucket ACLs; where ownership controls are set they enforce bucket-owner (ACLs disabled).",
         ("CKV_AWS_20", "CKV_AWS_57", "CKV2_AWS_65"), ("S3.2", "S3.3", "S3.12")),
    _acls)


def _service(args: ResourceValidationArgs, s: Settings) -> Iterator[str]:
    if get(args.props, "spec.type") != "LoadBalancer":
        return
    ann = mapping(args.props, "metadata.annotations")
    if ann.get("service.beta.kubernetes.io/aws-load-balancer-scheme") == "internal" or ann.get(
            "service.beta.kubernetes.io/aws-load-balancer-internal") in ("true", "0.0.0.0/0"):
        return
    yield ("a LoadBalancer Service is internet-facing; expose HTTP through the ALB Ingress or annotate "
           "aws-load-balancer-scheme: internal")


k8s_public_service = resource_policy(
    Meta("k8s-no-public-loadbalancer-service", CAT,
         "Kubernetes LoadBalancer Services are internal; public traffic enters only through the ALB Ingress."),
    ["kubernetes:core/v1:Service"], _service)


def _ingress_cidrs(args: ResourceValidationArgs, s: Settings) -> Iterator[str]:
    ann = mapping(args.props, "metadata.annotations")
    if ann.get("alb.ingress.kubernetes.io/scheme") != "internet-facing":
        return
    cidrs = ann.get("alb.ingress.kubernetes.io/inbound-cidrs")
    if not cidrs or any(c.strip() in OPEN for c in str(cidrs).split(",")):
        yield "an internet-facing ALB accepts any source; restrict inbound-cidrs (e.g. to Cloudflare's ranges)"


ingress_cidrs = resource_policy(
    Meta("ingress-alb-inbound-cidrs", CAT,
         "Internet-facing ALB Ingresses restrict inbound-cidrs (origin reachable only through the edge).",
         advisory_only=True),
    ["kubernetes:networking.k8s.io/v1:Ingress"], _ingress_cidrs)

POLICIES = [sg_public_ingress, default_sg, rds_not_public, subnet_public_ip, lt_public_ip, imdsv2, nodegroup_ssh,
            cache_subnets, eks_endpoint, s3_block_public, s3_acls, k8s_public_service, ingress_cidrs]
