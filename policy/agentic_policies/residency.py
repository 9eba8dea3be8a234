"""Residency: every resource in the stack's regions, residency-tagged data inside its residency.

Resource policies check what one resource declares; stack policies follow the joins a single
resource cannot see (global database members, replication targets, backup copies, secret and
key replicas, the Cloudflare pools behind a residency hostname).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from typing import Any

from pulumi_policy import PolicyResource, ResourceValidationArgs

from .config import Settings
from .props import UNKNOWN, arn_region, get, items
from .regions import DOMAIN_TAG, effective_region, is_regional_aws, residency_of, tag_of
from .spec import Meta, resource_policy, stack_policy
from .stack import StackView

BUCKETS = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
KEYS = ("aws:kms/key:Key", "aws:kms/replicaKey:ReplicaKey")
VAULTS = ("aws:backup/vault:Vault",)
CF_LB = "cloudflare:index/loadBalancer:LoadBalancer"
CF_POOL = "cloudflare:index/loadBalancerPool:LoadBalancerPool"


def _where(region: Any) -> str:
    return "an unknown region (preview)" if region is UNKNOWN else ("an undeterminable region" if region is None
                                                                     else region)


# --- resource policies -------------------------------------------------------------------------

def _provider_region(args: ResourceValidationArgs, s: Settings) -> Iterator[str]:
    region = get(args.props, "region")
    if region is UNKNOWN:
        yield "the provider's region is unknown during preview; residency cannot be proven"
    elif not isinstance(region, str) or not region:
        yield ("the AWS provider sets no region, so the environment (AWS_REGION, profile) would decide it; "
               f"set region to one of {', '.join(s.regions)}")
    elif region not in s.regions:
        yield f"the AWS provider deploys to {region}, which is not one of this stack's regions ({', '.join(s.regions)})"


aws_provider_region = resource_policy(
    Meta("aws-provider-region-allowed", "residency",
         "Every AWS provider pins `region` to one of the stack's regions (unset: the environment decides)."),
    ["pulumi:providers:aws"], _provider_region)


def _resource_region(args: ResourceValidationArgs, s: Settings) -> Iterator[str]:
    if not is_regional_aws(args.resource_type):
        return
    region = effective_region(args.resource_type, args.props, args.provider, s)
    if region is None or region is UNKNOWN:
        yield (f"the effective region is {_where(region)}: set `region` on the resource or its provider "
               "(fail closed: residency cannot be proven)")
    elif region not in s.regions:
        yield f"{args.resource_type} would be created in {region}, outside the stack's regions ({', '.join(s.regions)})"


aws_resource_region = resource_policy(
    Meta("aws-resource-region-allowed", "residency",
         "Each regional AWS resource's effective region (own `region`, else provider's, else aws:region) is a "
         "stack region."),
    None, _resource_region)


def _tagged_in_residency(args: ResourceValidationArgs, s: Settings) -> Iterator[str]:
    residency = residency_of(args.resource_type, args.props)
    if residency is None or residency == "none":
        return
    if not (is_regional_aws(args.resource_type) or args.resource_type.startswith("kubernetes:")):
        return
    allowed = s.residency_regions(residency)
    if allowed is None:
        yield f"data-residency '{residency}' is not a residency this stack knows ({', '.join(s.residencies) or 'none'})"
        return
    region = effective_region(args.resource_type, args.props, args.provider, s)
    if region is None or region is UNKNOWN:
        yield f"tagged data-residency={residency} but its region is {_where(region)} (fail closed)"
    elif region not in allowed:
        yield f"tagged data-residency={residency} but placed in {region}; allowed: {', '.join(allowed)}"


residency_tagged = resource_policy(
    Meta("residency-tagged-resource-in-residency", "residency",
         "A resource tagged (AWS) or labelled (Kubernetes) `data-residency=<class>` lies in that class's regions."),
    None, _tagged_in_residency)


def _ecr_replication(args: ResourceValidationArgs, s: Settings) -> Iterator[str]:
    for rule in items(args.props, "replicationConfiguration.rules"):
        for dest in items(rule, "destinations"):
            region = get(dest, "region")
            if isinstance(region, str) and region not in s.regions:
                yield f"ECR replicates images to {region}, outside this stack's regions"


ecr_replication = resource_policy(
    Meta("residency-ecr-replication", "residency", "ECR replication destinations stay in the stack's regions."),
    ["aws:ecr/replicationConfiguration:ReplicationConfiguration"], _ecr_replication)


# --- stack policies ------------------------------------------------------------------------------

def _allowed(view: StackView, residencies: set[str]) -> tuple[set[str], list[str]]:
    """Intersection of the regions of several residency classes; unknown classes reported."""
    allowed = set(view.settings.regions)
    unknown: list[str] = []
    for r in residencies:
        regs = view.settings.residency_regions(r)
        if regs is None:
            unknown.append(r)
        else:
            allowed &= set(regs)
    return allowed, unknown


def _classes(view: StackView, *resources: PolicyResource) -> set[str]:
    return {c for r in resources if (c := view.residency(r)) and c != "none"}


def _aurora_global(view: StackView) -> Iterator[tuple[str, str | None]]:
    clusters = view.of_type("aws:rds/cluster:Cluster")
    for gc in view.of_type("aws:rds/globalCluster:GlobalCluster"):
        members = [c for c in clusters if any(t.urn == gc.urn for t in view.refs(c, "globalClusterIdentifier"))]
        classes = _classes(view, gc, *members)
        allowed, unknown = _allowed(view, classes)
        for u in unknown:
            yield f"global cluster {gc.name}: unknown data-residency '{u}'", gc.urn
        for m in members:
            region = view.region(m)
            if region not in allowed:
                yield (f"Aurora Global member {m.name} of {gc.name} is in {_where(region)}; "
                       f"residency {sorted(classes) or ['none']} allows {sorted(allowed)}"), m.urn
    for c in clusters:
        src = get(c.props, "sourceRegion")
        classes = _classes(view, c)
        allowed, _ = _allowed(view, classes)
        if isinstance(src, str) and src not in allowed:
            yield f"cluster {c.name} replicates from {src}, outside {sorted(allowed)}", c.urn


aurora_global_members = stack_policy(
    Meta("residency-aurora-global-members", "residency",
         "All members of an Aurora Global Database lie inside the residency of the global cluster and its members."),
    _aurora_global)


def _s3_replication(view: StackView) -> Iterator[tuple[str, str | None]]:
    for rc in view.of_type("aws:s3/bucketReplicationConfig:BucketReplicationConfig"):
        sources = view.refs(rc, "bucket", BUCKETS)
        classes = _classes(view, rc, *sources)
        _, unknown = _allowed(view, classes)
        for u in unknown:
            yield f"replication {rc.name}: unknown data-residency '{u}'", rc.urn
        src_urns = {s.urn for s in sources}
        for i, rule in enumerate(items(rc.props, "rules")):
            dest_value = get(rule, "destination.bucket")
            dests = [d for d in view.refs(rc, "rules", BUCKETS, value=dest_value) if d.urn not in src_urns]
            if not dests:
                dests = [d for d in view.refs(rc, "rules", BUCKETS) if d.urn not in src_urns]
            if not dests:
                yield (f"replication {rc.name} rule {i}: destination bucket {dest_value!r} is not a bucket of this "
                       "stack, so its region cannot be proven (fail closed)"), rc.urn
            for d in dests:
                region = view.region(d)
                dest_allowed, _ = _allowed(view, classes | _classes(view, d))
                if region not in dest_allowed:
                    yield (f"replication {rc.name} copies {sorted(classes) or ['none']}-resident objects to "
                           f"{d.name} in {_where(region)}; allowed {sorted(dest_allowed)}"), rc.urn
                key_region = arn_region(get(rule, "destination.encryptionConfiguration.replicaKmsKeyId"))
                if key_region and region and key_region != region:
                    yield (f"replication {rc.name}: replica KMS key is in {key_region}, "
                           f"destination bucket in {region}"), rc.urn


s3_replication = stack_policy(
    Meta("residency-s3-replication", "residency",
         "S3 replication destinations (resolved to buckets of the stack) and their replica KMS keys stay inside the "
         "source bucket's residency.", checkov=("CKV_AWS_144",), security_hub=("S3.7",)),
    _s3_replication)


def _copy_regions(view: StackView, plan: PolicyResource, value: Any) -> list[Any]:
    """Regions a copy action sends to: the ARN's region; in preview (unknown ARN) every vault the
    plan's rules depend on (the target vault included, which is conservative but never wrong)."""
    region = arn_region(value)
    if region:
        return [region]
    vaults = view.refs(plan, "rules", VAULTS, value=value) if value is not UNKNOWN else []
    if not vaults:
        vaults = view.refs(plan, "rules", VAULTS)
    return [view.region(v) for v in vaults] or [None]


def _backup_copies(view: StackView) -> Iterator[tuple[str, str | None]]:
    selections = view.of_type("aws:backup/selection:Selection")
    for plan in view.of_type("aws:backup/plan:Plan"):
        classes = _classes(view, plan)
        for sel in selections:
            if any(t.urn == plan.urn for t in view.refs(sel, "planId")):
                classes |= _classes(view, *view.refs(sel, "resources"))
        allowed, unknown = _allowed(view, classes)
        for u in unknown:
            yield f"backup plan {plan.name}: unknown data-residency '{u}'", plan.urn
        for rule in items(plan.props, "rules"):
            for action in items(rule, "copyActions"):
                dest = get(action, "destinationVaultArn")
                for region in _copy_regions(view, plan, dest):
                    if region not in allowed:
                        yield (f"backup plan {plan.name} copies {sorted(classes) or ['none']}-resident backups to a "
                               f"vault in {_where(region)}; allowed {sorted(allowed)}"), plan.urn


backup_copies = stack_policy(
    Meta("residency-backup-copies", "residency",
         "AWS Backup copy actions send copies only to vaults inside the residency of the plan and of every resource "
         "its selections protect."),
    _backup_copies)


def _secret_replicas(view: StackView) -> Iterator[tuple[str, str | None]]:
    for secret in view.of_type("aws:secretsmanager/secret:Secret"):
        keys = view.refs(secret, "kmsKeyId", KEYS)
        classes = _classes(view, secret, *keys)
        allowed, unknown = _allowed(view, classes)
        for u in unknown:
            yield f"secret {secret.name}: unknown data-residency '{u}'", secret.urn
        for rep in items(secret.props, "replicas"):
            region = get(rep, "region")
            if region not in allowed:
                yield (f"secret {secret.name} ({sorted(classes) or ['none']}) is replicated to {_where(region)}; "
                       f"allowed {sorted(allowed)}"), secret.urn
            key_region = arn_region(get(rep, "kmsKeyId"))
            if key_region and isinstance(region, str) and key_region != region:
                yield f"secret {secret.name}: replica in {region} is encrypted with a key in {key_region}", secret.urn


secret_replicas = stack_policy(
    Meta("residency-secret-replicas", "residency",
         "Secrets Manager replicas stay inside the residency of the secret (its tag or its KMS key's), each with a "
         "key in the replica's region."),
    _secret_replicas)


def _kms_replicas(view: StackView) -> Iterator[tuple[str, str | None]]:
    for rep in view.of_type("aws:kms/replicaKey:ReplicaKey"):
        primaries = view.refs(rep, "primaryKeyArn", ("aws:kms/key:Key",))
        classes = _classes(view, rep, *primaries)
        allowed, unknown = _allowed(view, classes)
        for u in unknown:
            yield f"replica key {rep.name}: unknown data-residency '{u}'", rep.urn
        region = view.region(rep)
        if region not in allowed:
            yield (f"KMS replica key {rep.name} of {[p.name for p in primaries]} is in {_where(region)}; "
                   f"residency {sorted(classes) or ['none']} allows {sorted(allowed)}"), rep.urn


kms_replicas = stack_policy(
    Meta("residency-kms-replicas", "residency",
         "KMS replica keys lie inside the residency of their primary key."),
    _kms_replicas)


def _elasticache_global(view: StackView) -> Iterator[tuple[str, str | None]]:
    groups = view.of_type("aws:elasticache/replicationGroup:ReplicationGroup")
    for grg in view.of_type("aws:elasticache/globalReplicationGroup:GlobalReplicationGroup"):
        members = view.refs(grg, "primaryReplicationGroupId", ("aws:elasticache/replicationGroup:ReplicationGroup",))
        members += [g for g in groups if any(t.urn == grg.urn for t in view.refs(g, "globalReplicationGroupId"))]
        classes = _classes(view, grg, *members)
        allowed, _ = _allowed(view, classes)
        for m in members:
            region = view.region(m)
            if region not in allowed:
                yield f"Global Datastore member {m.name} is in {_where(region)}; allowed {sorted(allowed)}", m.urn


elasticache_global = stack_policy(
    Meta("residency-elasticache-global-datastore", "residency",
         "ElastiCache Global Datastore members lie inside the residency of the datastore."),
    _elasticache_global)


_ELB_HOST = re.compile(r"\.([a-z]{2}(?:-gov)?-[a-z]+-\d)\.elb\.amazonaws\.com")


def _pool_regions(view: StackView, pool: PolicyResource) -> set[Any]:
    regions: set[Any] = set()
    for origin in items(pool.props, "origins"):
        addr = get(origin, "address")
        m = _ELB_HOST.search(addr) if isinstance(addr, str) else None
        if m:
            regions.add(m.group(1))
    if not regions:
        for dep in pool.property_dependencies.get("origins", []):
            regions.add(view.region(dep))
    if not regions:
        token = [r for r in view.settings.regions if r in pool.name or r in str(get(pool.props, "name", ""))]
        regions |= set(token[:1]) or {None}
    return regions


POOL_PROPS = ("defaultPools", "fallbackPool", "regionPools", "countryPools", "popPools", "rules")


def _cloudflare_pools(view: StackView) -> Iterator[tuple[str, str | None]]:
    host_class = {h: c for c, hosts in view.settings.residency_hostnames.items() for h in hosts}
    for lb in view.of_type(CF_LB):
        host = get(lb.props, "name")
        residency = host_class.get(host) if isinstance(host, str) else None
        if residency is None:
            continue
        allowed = set(view.settings.residency_regions(residency) or ())
        pools: dict[str, PolicyResource] = {}
        for prop in POOL_PROPS:
            for p in view.refs(lb, prop, (CF_POOL,)):
                pools[p.urn] = p
        if not pools:
            yield f"load balancer {host} ({residency}) has no pool of this stack, residency unprovable", lb.urn
        for pool in pools.values():
            for region in _pool_regions(view, pool):
                if region not in allowed:
                    yield (f"{residency}-resident hostname {host} can route to pool {pool.name} in {_where(region)}; "
                           f"allowed {sorted(allowed)}"), lb.urn


cloudflare_pools = stack_policy(
    Meta("residency-cloudflare-pools", "residency",
         "A residency hostname's Cloudflare load balancer only uses pools whose origins lie in that residency's "
         "regions."),
    _cloudflare_pools)


EVENT_BUS = ("aws:cloudwatch/eventBus:EventBus",)
EVENT_RULE = ("aws:cloudwatch/eventRule:EventRule",)


def _domain(bus: PolicyResource) -> Any:
    """A bus's `data-domain` tag; UNKNOWN while its tags are computed (a first preview), None when absent."""
    if any(get(bus.props, field) is UNKNOWN for field in ("tags", "tagsAll")) and tag_of(bus.props, DOMAIN_TAG) is None:
        return UNKNOWN
    return tag_of(bus.props, DOMAIN_TAG)


def _same_domain(target: PolicyResource, sources: list[PolicyResource],
                 dests: list[PolicyResource]) -> Iterator[tuple[str, str | None]]:
    """Forwarding joins two buses of one data domain (their `data-domain` tags), or it mixes two
    domains' events even where no residency is crossed (a `global` bus feeding an EU bus would
    make EU consumers act on global events). A bus without the tag cannot prove it: fail closed.
    Tags not known yet (computed at a first preview) are judged at the update."""
    buses = [*sources, *dests]
    if any(_domain(b) is UNKNOWN for b in buses):
        return
    for bus in buses:
        if _domain(bus) is None:
            yield (f"event target {target.name}: bus {bus.name} has no {DOMAIN_TAG} tag, so forwarding inside one "
                   "data domain cannot be proven (fail closed)"), target.urn
            return
    domains = {_domain(b) for b in sources}
    for d in dests:
        if _domain(d) not in domains or len(domains) > 1:
            yield (f"event target {target.name} forwards events of data domain {'/'.join(sorted(map(str, domains)))} "
                   f"to bus {d.name} of data domain {_domain(d)}"), target.urn


BUS_ARN = re.compile(r"^arn:aws[\w-]*:events:[^:]*:[^:]*:event-bus/")


def _event_forwarding(view: StackView) -> Iterator[tuple[str, str | None]]:
    """An event target that is an event bus (cross-region forwarding) stays in the source bus's data
    domain and residency. From a data bus of this stack (one with a `data-domain` or
    `data-residency` tag), a target bus that is not one of this stack's (another stack's or
    account's) shows neither its domain nor its residency: fail closed. Rules on the account's
    default bus (AWS's own events, such as alarm state changes forwarded to the paging region)
    carry no platform data and are judged only when they target a bus of this stack."""
    for target in view.of_type("aws:cloudwatch/eventTarget:EventTarget"):
        dests = view.refs(target, "arn", EVENT_BUS)
        rules = view.refs(target, "rule", EVENT_RULE)
        sources = [b for r in rules for b in view.refs(r, "eventBusName", EVENT_BUS)]
        if not dests:
            arn = get(target.props, "arn")
            data_bus = any(_domain(b) is not None or view.residency(b) for b in sources)
            if data_bus and isinstance(arn, str) and BUS_ARN.match(arn):
                yield (f"event target {target.name} forwards to event bus {arn}, which is not a bus of this stack, so "
                       "its data domain and residency cannot be proven (fail closed)"), target.urn
            continue
        if not sources:
            yield (f"event target {target.name} forwards to an event bus but its rule's source bus is not a bus of "
                   "this stack, so its residency cannot be proven (fail closed)"), target.urn
            continue
        yield from _same_domain(target, sources, dests)
        classes = _classes(view, *sources, *rules)
        allowed, unknown = _allowed(view, classes)
        for u in unknown:
            yield f"event target {target.name}: unknown data-residency '{u}'", target.urn
        for d in dests:
            region = view.region(d)
            dest_allowed, _ = _allowed(view, classes | _classes(view, d))
            if region not in dest_allowed or region not in allowed:
                yield (f"event target {target.name} forwards {sorted(classes) or ['none']}-resident events to bus "
                       f"{d.name} in {_where(region)}; allowed {sorted(dest_allowed & allowed)}"), target.urn


event_forwarding = stack_policy(
    Meta("residency-event-forwarding", "residency",
         "EventBridge rules forward events only to event buses of the source bus's data domain (`data-domain` "
         "tag) and inside its residency."),
    _event_forwarding)


PEERING = "aws:ec2/vpcPeeringConnection:VpcPeeringConnection"
PEERING_ACCEPTER = "aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter"
PEERING_OPTIONS = "aws:ec2/peeringConnectionOptions:PeeringConnectionOptions"
CI_PURPOSE = "ci-deploy"
"""`purpose` tag of the deploy runner's peering (components/ci_peering.py)."""
HTTPS_PORT = 443


def _connections(view: StackView, res: PolicyResource) -> set[str]:
    """URNs of the peering connections `res` (a route or peering option) uses, through an accepter too."""
    found: set[str] = set()
    for target in view.refs(res, "vpcPeeringConnectionId", (PEERING, PEERING_ACCEPTER)):
        if target.resource_type == PEERING:
            found.add(target.urn)
        else:
            found |= {c.urn for c in view.refs(target, "vpcPeeringConnectionId", (PEERING,))}
    return found


CLUSTER_TIER = "private"
"""Subnet `tier` of the EKS clusters (their endpoint ENIs) and nodes (components/network.py)."""
RUNNER_TIER = "ci"
"""Subnet `tier` of the CodeBuild deploy runners alone (components/cidr_plan.py `CI`)."""
EKS_CLUSTER = "aws:eks/cluster:Cluster"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"


def _network(cidr: Any) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(str(cidr), strict=False)
    except ValueError:
        return None


def _ci_routes(view: StackView, ci: dict[str, PolicyResource],
               tiers: dict[tuple[Any, Any], Any]) -> Iterator[tuple[str, str | None]]:
    """Routes over a CI peering: from the runner's side only to a cluster subnet of the peer region,
    from the peer's side only back to a runner (tier=ci) subnet of the runner region."""
    for route in view.of_type("aws:ec2/route:Route"):
        for urn in _connections(view, route) & set(ci):
            conn = ci[urn]
            if get(route.props, "destinationIpv6CidrBlock") or get(route.props, "destinationPrefixListId"):
                yield (f"route {route.name} over CI peering {conn.name} uses an IPv6 or prefix-list destination; "
                       "only cluster subnets may be routed"), route.urn
                continue
            dest = get(route.props, "destinationCidrBlock")
            runner, peer, here = view.region(conn), get(conn.props, "peerRegion"), view.region(route)
            if UNKNOWN in (dest, runner, peer, here):
                yield (f"route {route.name} over CI peering {conn.name}: destination or side unknown "
                       "(fail closed)"), route.urn
            elif here == runner and tiers.get((peer, dest)) != CLUSTER_TIER:
                yield (f"route {route.name} over CI peering {conn.name} goes to {dest}, which is not a cluster "
                       f"(tier=private) subnet of {peer}: a ci-deploy peering carries only EKS API calls"), route.urn
            elif here == peer and tiers.get((runner, dest)) != RUNNER_TIER:
                yield (f"route {route.name} over CI peering {conn.name} goes back to {dest}, which is not a CI runner "
                       f"(tier=ci) subnet of {runner}: the peer answers the deploy runner alone, not its region's "
                       "nodes"), route.urn
            elif here not in (runner, peer):
                yield (f"route {route.name} over CI peering {conn.name} is in {here}, neither side of the peering "
                       f"({runner}, {peer})"), route.urn


def _cluster_sg_sources(view: StackView, tiers: dict[tuple[Any, Any], Any]) -> Iterator[tuple[str, str | None]]:
    """An EKS cluster security group admits addresses of another region's VPC (the only way across
    regions: a rule cannot name a peer region's group, C46) only from a CI runner (tier=ci) subnet of
    that region, on TCP 443: never a node (private) tier or a whole VPC."""
    vpcs = [(view.region(v), _network(get(v.props, "cidrBlock"))) for v in view.of_type("aws:ec2/vpc:Vpc")]
    vpcs = [(r, n) for r, n in vpcs if n is not None]
    cluster_sgs = {get(c.props, "vpcConfig.clusterSecurityGroupId") for c in view.of_type(EKS_CLUSTER)}
    cluster_sgs = {sg for sg in cluster_sgs if isinstance(sg, str) and sg}
    for rule in view.of_type(INGRESS_RULE):
        on_cluster = get(rule.props, "securityGroupId") in cluster_sgs
        if not (on_cluster or view.refs(rule, "securityGroupId", (EKS_CLUSTER,))):
            continue
        cidr = get(rule.props, "cidrIpv4", None)
        if cidr is None:
            continue  # a group reference (same region) or a prefix list: not a cross-region source
        here = view.region(rule)
        net = _network(cidr) if cidr is not UNKNOWN else None
        if net is None or here is UNKNOWN:
            yield (f"ingress rule {rule.name} on an EKS cluster security group: source {cidr} or region unknown "
                   "(fail closed)"), rule.urn
            continue
        if any(r == here and net.subnet_of(v) for r, v in vpcs if v.version == net.version):  # type: ignore[arg-type]
            continue  # from inside the cluster's own VPC
        others = [r for r, v in vpcs if r != here and v.version == net.version and net.overlaps(v)]
        if not others:
            continue  # not another region of this stack (public sources: security-group-no-public-ingress)
        https = (get(rule.props, "ipProtocol") == "tcp" and get(rule.props, "fromPort") == HTTPS_PORT
                 and get(rule.props, "toPort") == HTTPS_PORT)
        if any(tiers.get((r, cidr)) == RUNNER_TIER for r in others) and https:
            continue
        ports = "-".join(str(int(p)) if isinstance(p, float | int) else str(p)
                         for p in (get(rule.props, "fromPort", "all"), get(rule.props, "toPort", "all")))
        yield (f"ingress rule {rule.name} on the EKS cluster security group in {here} admits {cidr} "
               f"({get(rule.props, 'ipProtocol')} {ports}) from "
               f"{', '.join(str(r) for r in others)}: across regions a cluster endpoint admits only a CI runner "
               "(tier=ci) subnet, on TCP 443, never a node tier or a whole VPC"), rule.urn


def _ci_peering_scope(view: StackView) -> Iterator[tuple[str, str | None]]:
    """A `purpose=ci-deploy` peering may join regions of different data domains (the deploy runner
    reaches every cluster endpoint) only because it carries nothing but Kubernetes API calls from
    the runner: each route from the runner's side goes to one cluster (`tier=private`) subnet of the
    peer, each route back to one runner (`tier=ci`) subnet, never a whole VPC, a default route, a
    database/cache subnet or the runner region's nodes, and it enables no remote DNS resolution.
    Whatever the connection (a reused domain peering too), a cluster security group admits other
    regions only from runner (`tier=ci`) subnets on 443."""
    subnets = view.of_type("aws:ec2/subnet:Subnet")
    tiers = {(view.region(s), get(s.props, "cidrBlock")): get(s.props, "tags.tier") for s in subnets}
    yield from _cluster_sg_sources(view, tiers)
    ci = {c.urn: c for c in view.of_type(PEERING) if get(c.props, "tags.purpose") == CI_PURPOSE}
    if not ci:
        return
    yield from _ci_routes(view, ci, tiers)
    for option in view.of_type(PEERING_OPTIONS):
        for urn in _connections(view, option) & set(ci):
            for side in ("requester", "accepter"):
                if get(option.props, f"{side}.allowRemoteVpcDnsResolution") is True:
                    yield (f"{option.name} enables remote VPC DNS resolution on CI peering {ci[urn].name}; the EKS "
                           "endpoint resolves through public DNS, nothing else may"), option.urn


ci_peering_scope = stack_policy(
    Meta("residency-ci-peering-scope", "residency",
         "A `purpose=ci-deploy` VPC peering (the deploy runner's path to other domains' EKS endpoints) routes only "
         "to the peer's cluster (tier=private) subnets and back to the runner's (tier=ci) subnets, with no remote DNS "
         "resolution; an EKS cluster security group admits other regions only from runner (tier=ci) subnets on 443."),
    _ci_peering_scope)


POLICIES = [aws_provider_region, aws_resource_region, residency_tagged, ecr_replication, aurora_global_members,
            s3_replication, backup_copies, secret_replicas, kms_replicas, elasticache_global, cloudflare_pools,
            event_forwarding, ci_peering_scope]
