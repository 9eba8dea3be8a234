"""Map planned resources to priced SKU line items: pure functions of a resource and its plan.

Each pricer takes one `PlannedResource` (engine camelCase inputs) plus a `SkuContext` (hours per
month, usage assumptions, lookups into the rest of the plan) and returns `LineItem`s:
(sku, quantity, unit). Hourly SKUs are quantified in hours (count x 730), so the estimate is
always quantity x unit price. A resource type that is neither priced here nor listed in `FREE`
is an error: new kinds of resource must be classified before they can be estimated.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from stacks.cost.usage import UsageProfile
from stacks.harness.plan import Plan, PlannedResource
from stacks.versions.calendar import today, window


@dataclass(frozen=True)
class LineItem:
    sku: str
    quantity: float
    unit: str
    note: str = ""


class UnclassifiedResource(LookupError):
    """Resource types that are neither priced nor known to be free."""

    def __init__(self, examples: dict[str, str]):
        self.types = sorted(examples)
        listed = "; ".join(f"{t} (e.g. '{examples[t]}')" for t in self.types)
        super().__init__(f"no pricing rule for resource type(s): {listed}. Add a pricer in "
                         "stacks/cost/skus.py or list the type in FREE with the reason it costs nothing")


@dataclass
class SkuContext:
    """Everything a pricer may read besides its resource; built once per plan."""

    hours: float
    usage: UsageProfile
    plan: Plan
    az_count: int = 3
    day: dt.date = field(default_factory=today)
    """The estimate's date: the EKS control plane is priced by its version's support status on it."""
    _index: dict[str, Any] = field(default_factory=dict)

    def by_type(self, typ: str) -> list[PlannedResource]:
        key = f"type:{typ}"
        if key not in self._index:
            self._index[key] = [r for r in self.plan.resources if r.type == typ and r.custom]
        return self._index[key]

    def rds_cluster(self, identifier: Any) -> PlannedResource | None:
        for c in self.by_type(RDS_CLUSTER):
            if identifier and identifier in (c.inputs.get("clusterIdentifier"), c.outputs.get("clusterIdentifier"),
                                             c.id, c.outputs.get("id")):
                return c
        return None

    def rds_instances(self, cluster: PlannedResource) -> list[PlannedResource]:
        ids = {cluster.inputs.get("clusterIdentifier"), cluster.outputs.get("clusterIdentifier"),
               cluster.id} - {None, ""}
        return [i for i in self.by_type(RDS_INSTANCE) if i.inputs.get("clusterIdentifier") in ids]

    def launch_template(self, ref: dict[str, Any] | None) -> PlannedResource | None:
        if not isinstance(ref, dict):
            return None
        for lt in self.by_type("aws:ec2/launchTemplate:LaunchTemplate"):
            if ref.get("id") and ref.get("id") in (lt.id, lt.outputs.get("id")):
                return lt
            if ref.get("name") and ref.get("name") in (lt.inputs.get("name"), lt.outputs.get("name")):
                return lt
        return None


Pricer = Callable[[PlannedResource, SkuContext], list[LineItem]]

RDS_CLUSTER = "aws:rds/cluster:Cluster"
RDS_INSTANCE = "aws:rds/clusterInstance:ClusterInstance"
INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"


def _int(value: Any, default: int = 0) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _hourly(sku: str, count: float, ctx: SkuContext, unit: str, note: str = "") -> LineItem:
    return LineItem(sku, count * ctx.hours, unit, note)


# --- Kubernetes control plane and nodes -----------------------------------------------------

def eks_cluster(r: PlannedResource, ctx: SkuContext) -> list[LineItem]:
    """Standard support costs $0.10/h, extended support six times that ($0.60/h).

    Which one applies depends on the version's support status on the estimate's date
    (stacks/versions/calendar.yaml) and the upgrade policy: a version in standard support is
    billed at the standard rate whatever the policy; past it, EXTENDED (the API default when
    unset) bills extended support, STANDARD gets the control plane auto-upgraded instead. A
    version the calendar does not know is priced by the policy alone.
    """
    support = r.get("upgradePolicy.supportType") or "EXTENDED"
    version = r.get("version")
    w = window("eks", str(version)) if version else None
    status = w.status(ctx.day) if w else None
    if w is not None and status == "standard":
        until = f" until {w.end_of_standard_support}" if w.end_of_standard_support else ""
        return [_hourly("eks.cluster.standard", 1, ctx, "cluster-hour",
                        f"{version} in standard support{until}")]
    if w is not None and support == "STANDARD":
        return [_hourly("eks.cluster.standard", 1, ctx, "cluster-hour",
                        f"{version} past standard support ({w.end_of_standard_support}): auto-upgraded by EKS")]
    if w is not None:
        return [_hourly("eks.cluster.extended", 1, ctx, "cluster-hour",
                        f"{version} in extended support since {w.end_of_standard_support}")]
    if support == "STANDARD":
        return [_hourly("eks.cluster.standard", 1, ctx, "cluster-hour")]
    return [_hourly("eks.cluster.extended", 1, ctx, "cluster-hour",
                    f"upgradePolicy.supportType is {r.get('upgradePolicy.supportType') or 'unset (EXTENDED)'}")]


def _gib(value: Any) -> float:
    """A Kubernetes quantity ('50Gi', '100G', '1Ti') in GiB (GB-month is billed on GiB)."""
    m = re.fullmatch(r"\s*([0-9.]+)\s*([KMGTP]i?)?\s*", str(value))
    if not m:
        return 0.0
    n = float(m.group(1))
    scale = {"Ki": 2**-20, "Mi": 2**-10, "Gi": 1, "Ti": 2**10, "Pi": 2**20,
             "K": 1e3 / 2**30, "M": 1e6 / 2**30, "G": 1e9 / 2**30, "T": 1e12 / 2**30, "P": 1e15 / 2**30}
    return n * scale.get(m.group(2) or "", 1 / 2**30)


def node_group(r: PlannedResource, ctx: SkuContext) -> list[LineItem]:
    """desiredSize nodes of the first listed instance type (SPOT at the spot factor) + root disks."""
    desired = _int(r.get("scalingConfig.desiredSize"))
    lt = ctx.launch_template(r.get("launchTemplate"))
    types = r.get("instanceTypes") or ([lt.inputs["instanceType"]] if lt and lt.inputs.get("instanceType") else [])
    if not types:
        raise LookupError(f"node group '{r.name}' names no instance type (instanceTypes or launch template)")
    capacity = r.get("capacityType") or "ON_DEMAND"
    sku = f"ec2.spot.{types[0]}" if capacity == "SPOT" else f"ec2.{types[0]}"
    disk = r.get("diskSize")
    if disk is None and lt is not None:
        for bdm in lt.inputs.get("blockDeviceMappings") or []:
            size = (bdm.get("ebs") or {}).get("volumeSize") if isinstance(bdm, dict) else None
            disk = (disk or 0) + _int(size)
    disk_gb = float(disk) if disk else ctx.usage.value("ebs", "node_root_gb", r.name)
    note = f"{desired} x {types[0]} {capacity.lower()}" + (f" (first of {len(types)} types)" if len(types) > 1 else "")
    return [_hourly(sku, desired, ctx, "instance-hour", note),
            LineItem("ebs.gp3", desired * disk_gb, "GB-month", f"{desired} x {disk_gb:g} GB root disk")]


def ec2_instance(r: PlannedResource, ctx: SkuContext) -> list[LineItem]:
    disk = _int(r.get("rootBlockDevice.volumeSize")) or ctx.usage.value("ebs", "node_root_gb", r.name)
    return [_hourly(f"ec2.{r.get('instanceType')}", 1, ctx, "instance-hour"),
            LineItem("ebs.gp3", float(disk), "GB-month")]


def ebs_volume(r: PlannedResource, ctx: SkuContext) -> list[LineItem]:
    return [LineItem("ebs.gp3", float(_int(r.get("size"))), "GB-month")]


def pvc(r: PlannedResource, ctx: SkuContext) -> list[LineItem]:
    size = _gib(r.get("spec.resources.requests.storage"))
    return [LineItem("ebs.gp3", size, "GB-month", "PersistentVolumeClaim on gp3")] if size else []


def stateful_set(r: PlannedResource, ctx: SkuContext) -> list[LineItem]:
    replicas = _int(r.get("spec.replicas"), 1)
    total = sum(_gib((t.get("spec") or {}).get("resources", {}).get("requests", {}).get("storage"))
                for t in (r.get("spec.volumeClaimTemplates") or []) if isinstance(t, dict))
    return [LineItem("ebs.gp3", replicas * total, "GB-month", f"{replicas} x {total:g} GB claims")] if total else []


def _chart_volumes(values: Any, replicas: float = 1.0) -> float:
    """GiB of volumes a chart's values ask for: `volumeClaimTemplate` specs (x the sibling
    `replicas` of the spec holding them) and enabled `persistence.size` blocks."""
    total = 0.0
    if isinstance(values, dict):
        here = float(values["replicas"]) if isinstance(values.get("replicas"), int | float) else replicas
        vct = values.get("volumeClaimTemplate")
        if isinstance(vct, dict):
            total += here * _gib(((vct.get("spec") or {}).get("resources") or {}).get("requests", {}).get("storage"))
        persistence = values.get("persistence")
        if isinstance(persistence, dict) and persistence.get("enabled") and persistence.get("size"):
            total += here * _gib(persistence["size"])
        for key, value in values.items():
            if key not in ("volumeClaimTemplate", "persistence"):
                total += _chart_volumes(value, here)
    elif isinstance(values, list):
        total += sum(_chart_volumes(v, replicas) for v in values)
    return total


def helm_release(r: PlannedResource, ctx: SkuContext) -> list[LineItem]:
    """Pods of a chart run on the priced nodes; the volumes its values request are gp3."""
    gib = _chart_volumes(r.get("values"))
    return [LineItem("ebs.gp3", gib, "GB-month", f"chart {r.get('chart')} volumes")] if gib else []


# --- network ------------------------------------------------------------------------------

def nat_gateway(r: PlannedResource, ctx: SkuContext) -> list[LineItem]:
    """Hourly charge plus data processed; its public IPv4 is priced on the EIP."""
    items = [_hourly("vpc.nat_gateway.hour", 1, ctx, "gateway-hour")]
    items.append(LineItem("vpc.nat_gateway.gb", ctx.usage.value("nat_gateway", "data_processed_gb", r.name), "GB"))
    return items


def eip(r: PlannedResource, ctx: SkuContext) -> list[LineItem]:
    return [_hourly("vpc.public_ipv4", 1, ctx, "address-hour")]


def vpc_endpoint(r: PlannedResource, ctx: SkuContext) -> list[LineItem]:
    """Gateway endpoints (S3, DynamoDB) are free; interface endpoints bill per AZ-hour and GB."""
    if (r.get("vpcEndpointType") or "Gateway") != "Interface":
        return []
    azs = len(r.get("subnetIds") or []) or ctx.az_count
    gb = ctx.usage.value("interface_endpoint", "data_processed_gb", r.name)
    # PrivateLink data processing is $0.01/GB, the same rate as inter-AZ transfer.
    return [_hourly("vpc.interface_endpoint.hour", azs, ctx, "endpoint-AZ-hour", f"{azs} AZs"),
            LineItem("transfer.inter_az", gb, "GB", "interface endpoint data processed")]


# --- load balancers -----------------------------------------------------------------------

def _annotations(r: PlannedResource) -> dict[str, Any]:
    ann = r.get("metadata.annotations")
    return ann if isinstance(ann, dict) else {}


def is_alb_ingress(r: PlannedResource) -> bool:
    return r.get("spec.ingressClassName") == "alb" or _annotations(r).get("kubernetes.io/ingress.class") == "alb"


def alb_owner(r: PlannedResource, ctx: SkuContext) -> bool:
    """Ingresses sharing `alb.ingress.kubernetes.io/group.name` on one cluster share one ALB."""
    group = _annotations(r).get("alb.ingress.kubernetes.io/group.name")
    if not group:
        return True
    for other in ctx.by_type(INGRESS):
        if (is_alb_ingress(other) and other.provider == r.provider
                and _annotations(other).get("alb.ingress.kubernetes.io/group.name") == group):
            return other.urn == r.urn
    return True


def _alb_items(r: PlannedResource, ctx: SkuContext, internet_facing: bool) -> list[LineItem]:
    items = [_hourly("elb.alb.hour", 1, ctx, "lb-hour"),
             _hourly("elb.alb.lcu", ctx.usage.value("alb", "lcu", r.name), ctx, "LCU-hour")]
    if internet_facing:
        items.append(_hourly("vpc.public_ipv4", ctx.az_count, ctx, "address-hour",
                             f"one public IPv4 per ALB node ({ctx.az_count} AZs)"))
    return items


def ingress(r: PlannedResource, ctx: SkuContext) -> list[LineItem]:
    """The AWS Load Balancer Controller turns each ALB ingress (or ingress group) into one ALB."""
    if not is_alb_ingress(r) or not alb_owner(r, ctx):
        return []
    scheme = _annotations(r).get("alb.ingress.kubernetes.io/scheme", "internal")
    return _alb_items(r, ctx, scheme == "internet-facing")


def k8s_service(r: PlannedResource, ctx: SkuContext) -> list[LineItem]:
    if r.get("spec.type") != "LoadBalancer":
        return []
    ann = _annotations(r)
    public = ann.get("service.beta.kubernetes.io/aws-load-balancer-scheme") == "internet-facing"
    items = [_hourly("elb.nlb.hour", 1, ctx, "lb-hour"),
             _hourly("elb.nlb.nlcu", ctx.usage.value("nlb", "nlcu", r.name), ctx, "NLCU-hour")]
    if public:
        items.append(_hourly("vpc.public_ipv4", ctx.az_count, ctx, "address-hour"))
    return items


def aws_lb(r: PlannedResource, ctx: SkuContext) -> list[LineItem]:
    public = not r.get("internal", False)
    if (r.get("loadBalancerType") or "application") == "application":
        return _alb_items(r, ctx, public)
    items = [_hourly("elb.nlb.hour", 1, ctx, "lb-hour"),
             _hourly("elb.nlb.nlcu", ctx.usage.value("nlb", "nlcu", r.name), ctx, "NLCU-hour")]
    if public:
        items.append(_hourly("vpc.public_ipv4", ctx.az_count, ctx, "address-hour"))
    return items


# --- Aurora -------------------------------------------------------------------------------

def _iopt(cluster: PlannedResource | None) -> bool:
    return cluster is not None and cluster.inputs.get("storageType") == "aurora-iopt1"


def is_secondary(cluster: PlannedResource) -> bool:
    """A global cluster's secondary: joined to a global cluster, created without credentials."""
    return bool(cluster.inputs.get("globalClusterIdentifier")) and not (
        cluster.inputs.get("masterUsername") or cluster.inputs.get("manageMasterUserPassword")
        or cluster.inputs.get("masterPassword") or cluster.inputs.get("snapshotIdentifier"))


def rds_cluster(r: PlannedResource, ctx: SkuContext) -> list[LineItem]:
    """Storage (per region copy), I/O (Standard only), replicated writes into a secondary, backups."""
    u = ctx.usage
    items = [LineItem("aurora.storage.iopt" if _iopt(r) else "aurora.storage",
                      u.value("aurora", "storage_gb", r.name), "GB-month")]
    if not _iopt(r):
        items.append(LineItem("aurora.io", u.value("aurora", "io_millions", r.name), "1M requests"))
    if is_secondary(r):
        items.append(LineItem("aurora.global.replicated_write_io",
                              u.value("aurora", "replicated_writes_millions", r.name), "1M writes",
                              "secondary of a global database"))
    backup = u.value("aurora", "backup_gb", r.name)
    if backup:
        items.append(LineItem("aurora.backup", backup, "GB-month"))
    if r.inputs.get("manageMasterUserPassword"):
        # RDS keeps the master password in a Secrets Manager secret of its own, billed like any other.
        items.append(LineItem("secretsmanager.secret", 1, "secret-month", "RDS-managed master password"))
    return items


def rds_instance(r: PlannedResource, ctx: SkuContext) -> list[LineItem]:
    cls = str(r.get("instanceClass") or "")
    cluster = ctx.rds_cluster(r.get("clusterIdentifier"))
    iopt = _iopt(cluster)
    if cls == "db.serverless":
        scaling = (cluster.inputs.get("serverlessv2ScalingConfiguration") if cluster else None) or {}
        acu = ctx.usage.value("aurora", "serverless_average_acu", r.name)
        lo, hi = float(scaling.get("minCapacity", 0) or 0), float(scaling.get("maxCapacity", acu) or acu)
        acu = min(max(acu, lo), hi)
        return [_hourly("aurora.serverless_v2.iopt.acu" if iopt else "aurora.serverless_v2.acu", acu, ctx,
                        "ACU-hour", f"average {acu:g} ACU (min {lo:g}, max {hi:g})")]
    return [_hourly(f"aurora.instance.iopt.{cls}" if iopt else f"aurora.instance.{cls}", 1, ctx, "instance-hour")]


_VCPUS = {"medium": 2, "large": 2, "xlarge": 4, "2xlarge": 8, "4xlarge": 16, "8xlarge": 32, "12xlarge": 48,
          "16xlarge": 64}


def vcpus(instance_class: str) -> int:
    """vCPUs of a db.* class from its size (medium/large 2, xlarge 4, 2xlarge 8, ...)."""
    return _VCPUS.get(instance_class.rsplit(".", 1)[-1], 2)


def rds_proxy(r: PlannedResource, ctx: SkuContext) -> list[LineItem]:
    """Billed per vCPU of the instances behind it (minimum 2); serverless per ACU (minimum 8)."""
    name = r.inputs.get("name") or r.outputs.get("name")
    clusters: list[PlannedResource] = []
    for t in ctx.by_type("aws:rds/proxyDefaultTargetGroup:ProxyDefaultTargetGroup") + ctx.by_type(
            "aws:rds/proxyTarget:ProxyTarget"):
        if t.inputs.get("dbProxyName") in (name, r.id):
            c = ctx.rds_cluster(t.inputs.get("dbClusterIdentifier"))
            if c is not None and c not in clusters:
                clusters.append(c)
    if not clusters:
        clusters = [c for c in ctx.by_type(RDS_CLUSTER) if c.region == r.region and c.parent == r.parent]
    units = 0.0
    for c in clusters:
        for i in ctx.rds_instances(c):
            cls = str(i.inputs.get("instanceClass") or "")
            units += max(8.0, ctx.usage.value("aurora", "serverless_average_acu", i.name)) \
                if cls == "db.serverless" else vcpus(cls)
    units = max(units, 2.0)
    return [_hourly("rds.proxy.vcpu", units, ctx, "vCPU-hour", f"{units:g} vCPU/ACU behind the proxy")]


# --- ElastiCache --------------------------------------------------------------------------

def cache_nodes(r: PlannedResource) -> int:
    if r.inputs.get("numCacheClusters"):
        return _int(r.inputs["numCacheClusters"])
    shards = _int(r.inputs.get("numNodeGroups"), 1) or 1
    return shards * (1 + _int(r.inputs.get("replicasPerNodeGroup")))


def replication_group(r: PlannedResource, ctx: SkuContext) -> list[LineItem]:
    engine = str(r.get("engine") or "redis").lower()
    nodes = cache_nodes(r)
    return [_hourly(f"elasticache.{engine}.{r.get('nodeType')}", nodes, ctx, "node-hour", f"{nodes} nodes")]


# --- S3, keys, secrets, logs, backups, security ---------------------------------------------

def bucket(r: PlannedResource, ctx: SkuContext) -> list[LineItem]:
    u = ctx.usage
    return [LineItem("s3.standard.storage", u.value("s3", "storage_gb", r.name), "GB-month"),
            LineItem("s3.put_requests", u.value("s3", "put_thousands", r.name), "1k requests"),
            LineItem("s3.get_requests", u.value("s3", "get_thousands", r.name), "1k requests")]


def rtc_enabled(rule: dict[str, Any]) -> bool:
    rt = ((rule.get("destination") or {}).get("replicationTime") or {})
    return rt.get("status") == "Enabled"


def bucket_replication(r: PlannedResource, ctx: SkuContext) -> list[LineItem]:
    """Transfer at the source region's inter-region rate, plus the RTC fee where RTC is on.

    The destination copy's storage is priced on the destination bucket itself."""
    items: list[LineItem] = []
    for rule in r.get("rules") or []:
        if not isinstance(rule, dict) or rule.get("status", "Enabled") != "Enabled":
            continue
        gb = ctx.usage.value("s3", "replicated_gb", r.name)
        items.append(LineItem("s3.replication.transfer", gb, "GB", f"rule {rule.get('id', '')}".strip()))
        if rtc_enabled(rule):
            items.append(LineItem("s3.replication.rtc", gb, "GB", "Replication Time Control"))
    return items


def kms_key(r: PlannedResource, ctx: SkuContext) -> list[LineItem]:
    return [LineItem("kms.key", 1, "key-month"),
            LineItem("kms.requests", ctx.usage.value("kms", "requests_10k", r.name), "10k requests")]


def secret(r: PlannedResource, ctx: SkuContext) -> list[LineItem]:
    """Each replica region holds a billed copy of the secret."""
    copies = 1 + len(r.get("replicas") or [])
    return [LineItem("secretsmanager.secret", copies, "secret-month",
                     f"{copies - 1} replica(s)" if copies > 1 else ""),
            LineItem("secretsmanager.api_calls", ctx.usage.value("secretsmanager", "api_calls_10k", r.name),
                     "10k calls")]


def log_group(r: PlannedResource, ctx: SkuContext) -> list[LineItem]:
    """Ingestion, plus steady-state storage of `retention` months of ingest."""
    gb = ctx.usage.value("logs", "ingest_gb", r.name)
    days = _int(r.get("retentionInDays"))
    months = days / 30 if days else ctx.usage.value("logs", "default_retention_months", r.name)
    return [LineItem("cloudwatch.logs.ingest", gb, "GB"),
            LineItem("cloudwatch.logs.storage", gb * months, "GB-month", f"{months:.1f} months retained")]


def flow_log(r: PlannedResource, ctx: SkuContext) -> list[LineItem]:
    """To CloudWatch: priced on the log group's ingestion. To S3: vended-log delivery per GB."""
    if r.get("logDestinationType") == "s3":
        return [LineItem("vpc.flow_logs.s3", ctx.usage.value("flow_logs", "s3_gb", r.name), "GB")]
    return []


def metric_alarm(r: PlannedResource, ctx: SkuContext) -> list[LineItem]:
    """A period under 60 s is a high-resolution alarm (three times the standard price)."""
    period = r.get("period")
    if isinstance(period, int | float) and period < 60:
        return [LineItem("cloudwatch.alarm.high_resolution", 1, "alarm-month")]
    return [LineItem("cloudwatch.alarm", 1, "alarm-month")]


def region_switch_plan(r: PlannedResource, ctx: SkuContext) -> list[LineItem]:
    """A flat fee per plan and month, whether or not it runs."""
    return [LineItem("arc.region_switch.plan", 1, "plan-month")]


def lambda_function(r: PlannedResource, ctx: SkuContext) -> list[LineItem]:
    """Requests and GB-seconds (memory x billed duration, at the function's architecture's rate),
    plus the CloudWatch metrics it publishes (custom metrics and PutMetricData requests): usage
    `lambda.*` per function, since a plan cannot know how often or how long it runs."""
    u = ctx.usage
    invocations = u.value("lambda", "invocations_thousands", r.name) * 1000
    seconds = u.value("lambda", "average_duration_seconds", r.name)
    memory = r.get("memorySize")
    gb = (float(memory) if isinstance(memory, int | float) else 128.0) / 1024
    arm = "arm64" in (r.get("architectures") or [])
    return [LineItem("lambda.requests", invocations / 1e6, "1M requests"),
            LineItem("lambda.duration.arm64" if arm else "lambda.duration.x86", invocations * seconds * gb,
                     "GB-second", f"{invocations:,.0f} x {seconds:g} s x {gb * 1024:.0f} MB"),
            LineItem("cloudwatch.custom_metric", u.value("lambda", "custom_metrics", r.name), "metric-month"),
            LineItem("cloudwatch.put_metric_data", u.value("lambda", "put_metric_data_thousands", r.name),
                     "1k requests")]


def dashboard(r: PlannedResource, ctx: SkuContext) -> list[LineItem]:
    return [LineItem("cloudwatch.dashboard", 1, "dashboard-month")]


def guardduty(r: PlannedResource, ctx: SkuContext) -> list[LineItem]:
    if r.get("enable") is False:
        return []
    u = ctx.usage
    return [LineItem("guardduty.cloudtrail_events", u.value("guardduty", "cloudtrail_events_millions", r.name),
                     "1M events"),
            LineItem("guardduty.log_gb", u.value("guardduty", "log_gb", r.name), "GB")]


def backup_vault(r: PlannedResource, ctx: SkuContext) -> list[LineItem]:
    return [LineItem("aurora.backup", ctx.usage.value("backup", "storage_gb", r.name), "GB-month",
                     "recovery points in this vault")]


def backup_plan(r: PlannedResource, ctx: SkuContext) -> list[LineItem]:
    copies = sum(len(rule.get("copyActions") or []) for rule in (r.get("rules") or []) if isinstance(rule, dict))
    if not copies:
        return []
    gb = ctx.usage.value("backup", "copy_gb", r.name)
    return [LineItem("transfer.inter_region", gb * copies, "GB", f"{copies} cross-region copy action(s)")]


# --- Cloudflare ---------------------------------------------------------------------------

def cf_pool(r: PlannedResource, ctx: SkuContext) -> list[LineItem]:
    origins = len(r.get("origins") or [])
    return [LineItem("cloudflare.lb.origin", origins, "origin-month", f"{origins} origin(s)")] if origins else []


def cf_load_balancer(r: PlannedResource, ctx: SkuContext) -> list[LineItem]:
    return [LineItem("cloudflare.lb.dns_queries", ctx.usage.value("cloudflare", "dns_queries_millions", r.name),
                     "1M queries")]


def event_bus(r: PlannedResource, ctx: SkuContext) -> list[LineItem]:
    return [LineItem("eventbridge.custom_events", ctx.usage.value("events", "published_millions", r.name),
                     "1M events")]


def trust_store(r: PlannedResource, ctx: SkuContext) -> list[LineItem]:
    """Mutual TLS on the ALBs (authenticated origin pulls): one trust store per region."""
    return [_hourly("elb.trust_store.hour", 1, ctx, "trust-store-hour")]


def budget(r: PlannedResource, ctx: SkuContext) -> list[LineItem]:
    return [LineItem("budgets.budget", 1, "budget-month", "the first two per account are free")]


PRICERS: dict[str, Pricer] = {
    "aws:eks/cluster:Cluster": eks_cluster,
    "aws:eks/nodeGroup:NodeGroup": node_group,
    "aws:ec2/instance:Instance": ec2_instance,
    "aws:ebs/volume:Volume": ebs_volume,
    "kubernetes:core/v1:PersistentVolumeClaim": pvc,
    "kubernetes:apps/v1:StatefulSet": stateful_set,
    "kubernetes:helm.sh/v3:Release": helm_release,
    "aws:ec2/natGateway:NatGateway": nat_gateway,
    "aws:ec2/eip:Eip": eip,
    "aws:ec2/vpcEndpoint:VpcEndpoint": vpc_endpoint,
    INGRESS: ingress,
    "kubernetes:core/v1:Service": k8s_service,
    "aws:lb/loadBalancer:LoadBalancer": aws_lb,
    "aws:alb/loadBalancer:LoadBalancer": aws_lb,
    RDS_CLUSTER: rds_cluster,
    RDS_INSTANCE: rds_instance,
    "aws:rds/proxy:Proxy": rds_proxy,
    "aws:elasticache/replicationGroup:ReplicationGroup": replication_group,
    "aws:s3/bucket:Bucket": bucket,
    "aws:s3/bucketV2:BucketV2": bucket,
    "aws:s3/bucketReplicationConfig:BucketReplicationConfig": bucket_replication,
    "aws:kms/key:Key": kms_key,
    "aws:cloudwatch/eventBus:EventBus": event_bus,
    "aws:kms/replicaKey:ReplicaKey": kms_key,
    "aws:secretsmanager/secret:Secret": secret,
    "aws:cloudwatch/logGroup:LogGroup": log_group,
    "aws:ec2/flowLog:FlowLog": flow_log,
    "aws:cloudwatch/metricAlarm:MetricAlarm": metric_alarm,
    "aws:arcregionswitch/plan:Plan": region_switch_plan,
    "aws:lambda/function:Function": lambda_function,
    "aws:cloudwatch/compositeAlarm:CompositeAlarm": metric_alarm,
    "aws:cloudwatch/dashboard:Dashboard": dashboard,
    "aws:guardduty/detector:Detector": guardduty,
    "aws:backup/vault:Vault": backup_vault,
    "aws:backup/plan:Plan": backup_plan,
    "cloudflare:index/loadBalancerPool:LoadBalancerPool": cf_pool,
    "cloudflare:index/loadBalancer:LoadBalancer": cf_load_balancer,
    "aws:budgets/budget:Budget": budget,
    "aws:lb/trustStore:TrustStore": trust_store,
}

FREE_PREFIXES: dict[str, str] = {
    "pulumi:providers:": "provider configuration",
    "aws:iam/": "IAM is free",
    "kubernetes:": "runs on the priced nodes (Ingress, LoadBalancer Services and volumes are priced)",
    "random:": "generated locally",
    "tls:": "generated locally",
    "command:": "runs locally",
}

FREE: dict[str, str] = {t: reason for reason, types in {
    "VPC building blocks carry no hourly charge (traffic is priced per region)": (
        "aws:ec2/vpc:Vpc", "aws:ec2/subnet:Subnet", "aws:ec2/routeTable:RouteTable", "aws:ec2/route:Route",
        "aws:ec2/routeTableAssociation:RouteTableAssociation", "aws:ec2/internetGateway:InternetGateway",
        "aws:ec2/egressOnlyInternetGateway:EgressOnlyInternetGateway",
        "aws:ec2/securityGroup:SecurityGroup", "aws:ec2/securityGroupRule:SecurityGroupRule",
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
        "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl",
        "aws:ec2/defaultRouteTable:DefaultRouteTable", "aws:ec2/networkAcl:NetworkAcl",
        "aws:ec2/networkAclRule:NetworkAclRule", "aws:ec2/networkAclAssociation:NetworkAclAssociation",
        "aws:ec2/mainRouteTableAssociation:MainRouteTableAssociation",
        "aws:ec2/vpcPeeringConnection:VpcPeeringConnection",
        "aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter",
        "aws:ec2/peeringConnectionOptions:PeeringConnectionOptions",
        "aws:ec2/vpcEndpointRouteTableAssociation:VpcEndpointRouteTableAssociation",
        "aws:ec2/launchTemplate:LaunchTemplate", "aws:ec2/keyPair:KeyPair",
        "aws:ec2/vpcDhcpOptions:VpcDhcpOptions", "aws:ec2/vpcDhcpOptionsAssociation:VpcDhcpOptionsAssociation",
        "aws:ec2/defaultVpcDhcpOptions:DefaultVpcDhcpOptions"),
    "EKS configuration objects (the cluster and its nodes are priced)": (
        "aws:eks/addon:Addon", "aws:eks/accessEntry:AccessEntry",
        "aws:eks/accessPolicyAssociation:AccessPolicyAssociation",
        "aws:eks/podIdentityAssociation:PodIdentityAssociation",
        "aws:eks/identityProviderConfig:IdentityProviderConfig"),
    "database configuration objects (clusters, instances and proxies are priced)": (
        "aws:rds/subnetGroup:SubnetGroup", "aws:rds/clusterParameterGroup:ClusterParameterGroup",
        "aws:rds/parameterGroup:ParameterGroup", "aws:rds/globalCluster:GlobalCluster",
        "aws:rds/proxyDefaultTargetGroup:ProxyDefaultTargetGroup", "aws:rds/proxyTarget:ProxyTarget",
        "aws:rds/proxyEndpoint:ProxyEndpoint", "aws:rds/clusterRoleAssociation:ClusterRoleAssociation",
        "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication",
        "aws:elasticache/subnetGroup:SubnetGroup", "aws:elasticache/parameterGroup:ParameterGroup",
        "aws:elasticache/globalReplicationGroup:GlobalReplicationGroup",
        "aws:elasticache/user:User", "aws:elasticache/userGroup:UserGroup",
        "aws:appautoscaling/target:Target", "aws:appautoscaling/policy:Policy"),
    "bucket configuration (storage, requests and replication are priced)": (
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "aws:s3/bucketPolicy:BucketPolicy",
        "aws:s3/bucketVersioning:BucketVersioning", "aws:s3/bucketVersioningV2:BucketVersioningV2",
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
        "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2",
        "aws:s3/bucketOwnershipControls:BucketOwnershipControls", "aws:s3/bucketLogging:BucketLogging",
        "aws:s3/bucketLoggingV2:BucketLoggingV2", "aws:s3/bucketNotification:BucketNotification",
        "aws:s3/bucketCorsConfiguration:BucketCorsConfiguration", "aws:s3/bucketAcl:BucketAcl",
        "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
        "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock",
        "aws:s3/bucketObjectv2:BucketObjectv2"),
    "key and secret metadata (keys and secrets are priced)": (
        "aws:kms/alias:Alias", "aws:kms/keyPolicy:KeyPolicy", "aws:kms/grant:Grant",
        "aws:secretsmanager/secretVersion:SecretVersion", "aws:secretsmanager/secretPolicy:SecretPolicy",
        "aws:secretsmanager/secretRotation:SecretRotation"),
    "within the AWS free allowance at this scale": (
        "aws:sns/topic:Topic", "aws:sns/topicSubscription:TopicSubscription", "aws:sns/topicPolicy:TopicPolicy",
        "aws:budgets/budgetAction:BudgetAction",
        "aws:cloudtrail/trail:Trail", "aws:acm/certificate:Certificate",
        "aws:acm/certificateValidation:CertificateValidation",
        "aws:cloudwatch/logResourcePolicy:LogResourcePolicy", "aws:cloudwatch/eventRule:EventRule",
        "aws:cloudwatch/eventTarget:EventTarget", "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter",
        "aws:cloudwatch/logMetricFilter:LogMetricFilter",
        "aws:cloudwatch/logDataProtectionPolicy:LogDataProtectionPolicy",
        "aws:guardduty/organizationConfiguration:OrganizationConfiguration",
        "aws:backup/selection:Selection", "aws:backup/vaultPolicy:VaultPolicy",
        "aws:backup/vaultLockConfiguration:VaultLockConfiguration", "aws:backup/vaultNotifications:VaultNotifications",
        "aws:ec2/ebsEncryptionByDefault:EbsEncryptionByDefault", "aws:ec2/ebsDefaultKmsKey:EbsDefaultKmsKey",
        "aws:ecr/repository:Repository", "aws:ecr/lifecyclePolicy:LifecyclePolicy",
        "aws:ecr/repositoryCreationTemplate:RepositoryCreationTemplate", "aws:codebuild/webhook:Webhook",
        "aws:sqs/queue:Queue", "aws:sqs/queuePolicy:QueuePolicy",
        "aws:lambda/permission:Permission", "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig",
        "aws:costexplorer/costAllocationTag:CostAllocationTag"),
    "Cloudflare objects included in the zone's plan (pools and DNS queries are priced)": (
        "cloudflare:index/loadBalancerMonitor:LoadBalancerMonitor", "cloudflare:index/dnsRecord:DnsRecord",
        "cloudflare:index/ruleset:Ruleset", "cloudflare:index/zoneSetting:ZoneSetting",
        "cloudflare:index/record:Record"),
    "Authenticated origin pulls are included in every Cloudflare plan": (
        "cloudflare:index/authenticatedOriginPullsSettings:AuthenticatedOriginPullsSettings",
        "cloudflare:index/authenticatedOriginPullsCertificate:AuthenticatedOriginPullsCertificate"),
}.items() for t in types}


UNMODELLED: dict[str, str] = {
    "aws:guardduty/detectorFeature:DetectorFeature":
        "GuardDuty protection plans (S3 data events, EKS audit logs, RDS logins) bill per event; "
        "not estimated (Runtime Monitoring and Malware Protection are priced)",
    "aws:codebuild/project:Project":
        "CI runner build minutes (CodeBuild bills per minute a job runs); depend on CI use, not estimated",
    "aws:ecr/pullThroughCacheRule:PullThroughCacheRule":
        "storage of cached public images (ECR storage per GB-month); depends on the images pulled, not estimated",
    "aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration":
        "Amazon Inspector enhanced scanning bills per image scanned and rescanned; not estimated",
    "aws:ecr/replicationConfiguration:ReplicationConfiguration":
        "cross-region transfer of replicated images (per GB); depends on image pushes, not estimated",
    "aws:pipes/pipe:Pipe": "EventBridge Pipes bill per million events; a few notifications a day, not estimated",
    "kubernetes:karpenter.sh/v1:NodePool":
        "capacity Karpenter adds under load beyond the node groups' desired size; not estimated",
}
"""Types whose cost depends on load the estimate does not model. They are listed in the report
(never silently zero) so the reader knows what the total leaves out."""


from stacks.cost import skus_testing as _testing  # noqa: E402 - its pricers use the helpers above

PRICERS.update(_testing.PRICERS)
FREE.update(_testing.FREE)


def unmodelled_reason(typ: str) -> str | None:
    return UNMODELLED.get(typ)


def free_reason(typ: str) -> str | None:
    if typ in FREE:
        return FREE[typ]
    return next((reason for prefix, reason in FREE_PREFIXES.items() if typ.startswith(prefix)), None)


def line_items(r: PlannedResource, ctx: SkuContext) -> list[LineItem] | None:
    """Priced line items of `r`; [] for a free type; None when the type is unclassified."""
    if r.type.startswith("kubernetes:") and not r.region:
        return []  # a cluster outside AWS (the local stack): nothing is billed
    pricer = PRICERS.get(r.type)
    if pricer is not None:
        return [item for item in pricer(r, ctx) if item.quantity]
    if free_reason(r.type) is not None or unmodelled_reason(r.type) is not None:
        return []
    return None
