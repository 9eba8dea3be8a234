"""Typed config for the AWS base and data tier: regions, domains, network, cluster, stores.

Every field documents its default as behaviour. Models are frozen and forbid unknown keys so a
misspelt key fails with its path instead of being silently ignored.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from stacks.config.regions import AWS_REGIONS


class Frozen(BaseModel):
    """Base for every config model: immutable, strict about unknown keys."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class RegionConfig(Frozen):
    """One workload region: a VPC, an EKS cluster, caches and the app."""

    name: str
    cidr: str
    """The region's VPC /16; regions must not overlap (they are peered within a data domain)."""
    standby: bool = False
    """Warm standby: small node groups and readers only, promoted in a regional failover."""

    @field_validator("name")
    @classmethod
    def _known_region(cls, v: str) -> str:
        if v not in AWS_REGIONS:
            raise ValueError(
                f"'{v}' is not an AWS region; use one of: {', '.join(sorted(AWS_REGIONS))}"
            )
        return v

    @field_validator("cidr")
    @classmethod
    def _slash16(cls, v: str) -> str:
        try:
            net = ipaddress.ip_network(v, strict=True)
        except ValueError as exc:
            raise ValueError(f"'{v}' is not a valid network ({exc}); use e.g. 10.10.0.0/16") from None
        if net.prefixlen != 16 or not net.is_private or net.version != 4:
            raise ValueError(f"'{v}' must be a private IPv4 /16 such as 10.10.0.0/16")
        return v


class DataDomainConfig(Frozen):
    """A set of regions allowed to hold one class of data (docs/tenancy.md, residency)."""

    name: str = Field(pattern=r"^[a-z][a-z0-9-]{1,15}$")
    residency: str = "none"
    """`none` for data without residency rules, else a residency such as `eu`."""
    primary: str
    """Region holding the writer of the domain's Aurora Global cluster and the source buckets."""
    replicas: tuple[str, ...] = ()
    """Regions holding read replicas, replicated buckets and backup copies."""
    global_database: bool | None = None
    """Build the domain's database as an Aurora Global database even with no replicas. Defaults
    to `true` when the domain has replicas. Set it `true` on every prod domain: the primary's
    resources (URNs) then never depend on how many replicas the domain has, so removing a
    domain's last replica region removes only that region's resources instead of replacing the
    primary with a standalone cluster."""

    @property
    def regions(self) -> tuple[str, ...]:
        return (self.primary, *self.replicas)

    @property
    def is_global(self) -> bool:
        return bool(self.replicas) if self.global_database is None else self.global_database


class NetworkConfig(Frozen):
    nat_gateways: Literal["single", "per_az"] = "per_az"
    """`single` saves ~$36/month per extra AZ but loses egress when that AZ fails (dev only)."""
    standby_nat_gateways: Literal["single", "per_az"] | None = None
    """NAT in warm-standby regions (`regions[].standby`); None = `nat_gateways`. `single` keeps a
    standby's only egress in one AZ: it serves no traffic until a failover, and losing that AZ
    during a regional failover is a double fault (docs/cost-and-dr.md)."""
    flow_log_retention_days: int = Field(default=90, ge=1, le=3653)
    az_count: int = Field(default=3, ge=2, le=3)
    interface_endpoints: tuple[str, ...] = (
        "ecr.api", "ecr.dkr", "sts", "logs", "kms", "secretsmanager", "elasticloadbalancing", "ec2",
        "autoscaling",
    )
    """Interface VPC endpoints (one ENI per AZ each, ~$7.30/month per AZ plus $0.01/GB). One in 3 AZs
    ($21.90/month) pays for itself against NAT processing ($0.045/GB) above ~626 GB/month of its
    service's traffic; ECR image layers come from S3 through the free gateway endpoint, so the
    stack files list none (docs/cost-and-dr.md, break-even)."""


class NodeGroupConfig(Frozen):
    instance_types: tuple[str, ...] = Field(min_length=1)
    min_size: int = Field(ge=0)
    desired_size: int = Field(ge=0)
    max_size: int = Field(ge=1)
    capacity_type: Literal["ON_DEMAND", "SPOT"] = "ON_DEMAND"
    disk_size_gib: int = Field(default=50, ge=20, le=16384)


class NodeGroupsConfig(Frozen):
    system: NodeGroupConfig
    """Small on-demand group for cluster add-ons (tainted CriticalAddonsOnly)."""
    api: NodeGroupConfig
    """On-demand capacity for the latency-sensitive API."""
    workers: NodeGroupConfig
    """Worker capacity; SPOT allowed because jobs are retried."""


class StandbyScaleConfig(Frozen):
    """How a warm standby region is sized relative to an active one.

    The app's floors follow the nodes: an active region's api minimum (3 in prod) on a standby's
    one node per group would only make the autoscaler grow the standby back to active size. The
    maxima stay, so a standby that takes traffic scales up by itself; after a failover onto it,
    set its `standby: false` (docs/operations.md) to restore the active floors."""

    node_min: int = Field(default=1, ge=0)
    node_desired: int = Field(default=1, ge=0)
    db_readers: int = Field(default=1, ge=0, le=15)
    api_replicas: int = Field(default=1, ge=1)
    """The api's replicas and HPA minimum in a standby region."""
    worker_replicas: int = Field(default=1, ge=0)
    """The worker's replicas and KEDA minimum in a standby region. 0 scales it to zero: a standby's
    queue is its own region's and stays empty until a failover sends it traffic, and KEDA starts
    the first worker on the first queued job (`activationListLength` 0); the standby's `workers`
    node group then keeps no node either (Karpenter or the group adds one for the pending pod)."""
    cache_replicas: int | None = Field(default=None, ge=0, le=5)
    """Replicas of the standby's *cache* (never the queue); None = `redis.cache.replicas_per_shard`.
    0 runs one cache node there: it holds nothing until a failover (a standby's cache starts cold
    either way), losing that node loses only warm keys, and the cache is not on the write path.
    The prod policy config exempts exactly this group from the Multi-AZ rule, with that reason."""


ADDON_DEFAULT = "default"
"""An add-on version meaning "the build EKS marks as default for the cluster's Kubernetes minor",
resolved at preview/up time by the `aws.eks.get_addon_version` data source (`most_recent: false`,
the `defaultVersion: true` build of `aws eks describe-addon-versions`). EKS only marks a build
default for a minor it supports, so this can never select a build the cluster's version lacks;
`pulumi preview` shows the resolved build, and a change of EKS's default shows there as an
add-on update before anything is applied."""
ADDON_BUILD = re.compile(r"^v\d+\.\d+\.\d+-eksbuild\.\d+$")


class AddonVersions(Frozen):
    """EKS managed add-on versions: an exact build (`v1.14.3-eksbuild.3`) or `default`.

    CoreDNS and kube-proxy are pinned to the latest EKS add-on builds for Kubernetes 1.36 in the
    add-on tables (https://docs.aws.amazon.com/eks/latest/userguide/managing-coredns.html,
    https://docs.aws.amazon.com/eks/latest/userguide/managing-kube-proxy.html); kube-proxy must
    match the cluster minor. vpc-cni, eks-pod-identity-agent and aws-ebs-csi-driver follow EKS's
    default build for the cluster's minor (`default`): no vendor page lists their 1.36 builds
    (docs/versions.md says what was read), and a guessed build would fail `CreateAddon`. A team
    that wants every build frozen copies the builds `pulumi preview` resolved into the stack file."""

    vpc_cni: str = ADDON_DEFAULT
    eks_pod_identity_agent: str = ADDON_DEFAULT
    coredns: str = "v1.14.3-eksbuild.3"
    kube_proxy: str = "v1.36.0-eksbuild.14"
    aws_ebs_csi_driver: str = ADDON_DEFAULT

    @field_validator("*")
    @classmethod
    def _build_or_default(cls, v: str) -> str:
        if v != ADDON_DEFAULT and not ADDON_BUILD.match(v):
            raise ValueError(
                f"'{v}' is not an EKS add-on build; use an exact build such as v1.14.3-eksbuild.3 (from "
                "`aws eks describe-addon-versions --kubernetes-version <minor> --addon-name <name>`) or "
                f"`{ADDON_DEFAULT}` for the build EKS marks default for the cluster's Kubernetes version")
        return v


class ChartVersions(Frozen):
    """Helm chart versions, pinned (never `latest`); each checked against the chart's own
    Kubernetes compatibility notes (docs/versions.md lists the source of each)."""

    aws_load_balancer_controller: str = "3.5.0"
    karpenter: str = "1.14.1"
    """Also the version of the `karpenter-crd` chart that installs (and upgrades) its CRDs;
    Karpenter 1.13+ supports Kubernetes 1.36 (karpenter.sh compatibility matrix)."""
    cluster_autoscaler: str = "9.50.1"
    metrics_server: str = "3.13.1"
    external_secrets: str = "2.9.0"
    keda: str = "2.20.2"
    """Newest KEDA release (chart = app); KEDA tests 2.20 on Kubernetes 1.33-1.35 only, so 1.36 is
    outside its matrix until 2.21 (docs/versions.md). CRDs serve `keda.sh/v1alpha1`."""
    vpa: str = "5.0.0"
    kube_prometheus_stack: str = "88.5.3"
    prometheus_operator_crds: str = "31.0.1"
    """The CRDs of kube-prometheus-stack's operator (same operator version, v0.93.1), as their own
    release so a chart upgrade also upgrades them (Helm never upgrades a chart's `crds/`)."""
    loki: str = "18.11.0"
    """grafana-community/helm-charts: the OSS Loki chart moved there (Loki chart 7.0.0 notes)."""
    opentelemetry_collector: str = "0.170.0"
    istio: str = "1.31.0"
    """Istio `base`, `istiod`, `cni` and `ztunnel` charts, one version for all four (ambient mode)."""


class ClusterConfig(Frozen):
    version: str = Field(default="1.36", pattern=r"^1\.\d{2}$")
    public_access_cidrs: tuple[str, ...] = ()
    """Empty: the API endpoint is private only (CI runs inside the VPC or through a bastion)."""
    admin_role_arn: str | None = None
    """Break-glass admin IAM role given cluster-admin through an access entry."""
    ci_role_arn: str | None = None
    """CI deploy role (OIDC-assumed) given cluster-admin through an access entry."""
    log_retention_days: int = Field(default=90, ge=1, le=3653)
    arch: Literal["arm64", "x86_64"] = "arm64"
    autoscaler: Literal["karpenter", "cluster-autoscaler"] = "karpenter"
    karpenter_ami_alias: str = Field(default="al2023@latest", pattern=r"^(al2023|bottlerocket)@(latest|v[0-9.]+)$")
    """AMI of Karpenter nodes; `latest` rolls nodes onto each new EKS AMI (drift). Pin e.g.
    `al2023@v20251015` in prod to roll AMIs as a reviewed change."""
    node_groups: NodeGroupsConfig
    standby: StandbyScaleConfig = StandbyScaleConfig()
    addons: AddonVersions = AddonVersions()
    charts: ChartVersions = ChartVersions()

    @field_validator("public_access_cidrs")
    @classmethod
    def _no_open_endpoint(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for cidr in v:
            net = ipaddress.ip_network(cidr, strict=False)
            if net.prefixlen == 0:
                raise ValueError(
                    "0.0.0.0/0 would expose the Kubernetes API to the internet; "
                    "list your office/VPN/CI egress CIDRs or leave it empty for private only"
                )
        return v


class DatabaseConfig(Frozen):
    engine_version: str = "16.13"
    """aurora-postgresql; 16.x or newer ships pgvector with HNSW indexes. Staging and prod refuse a
    minor past its end of standard support (stacks/versions/calendar.yaml)."""
    instance_class: str = "db.r7g.large"
    """An r-class or `db.serverless`; a burstable (db.t*) class is refused in a global database."""
    serverless_min_acu: float = Field(default=0.5, ge=0, le=256)
    serverless_max_acu: float = Field(default=4, ge=1, le=256)
    readers: int = Field(default=1, ge=0, le=15)
    """Readers in the domain's primary region (the writer is extra)."""
    replica_readers: int = Field(default=1, ge=1, le=15)
    """Readers in each replica region of a global cluster (at least one, promotable)."""
    backup_retention_days: int = Field(default=30, ge=1, le=35)
    performance_insights_retention_days: int = Field(default=7)
    write_forwarding: bool = True
    """Aurora global write forwarding on secondaries (supported on every aurora-postgresql 16 minor)."""
    reader_autoscaling_max: int = Field(default=0, ge=0, le=15)
    """0 disables reader auto scaling; otherwise the most readers target tracking may add."""
    credentials_version: int = Field(default=1, ge=1)
    """Bump to rotate the master password (a new random value; docs/data-tier.md, rotation)."""
    proxy: bool = True
    """RDS Proxy in front of the cluster; `false` (dev) connects the app to the cluster endpoint and
    lets Serverless v2 pause at 0 ACU (a proxy keeps connections open, the cluster never pauses)."""
    serverless_auto_pause_seconds: int = Field(default=300, ge=300, le=86400)
    """Idle seconds before a Serverless v2 cluster with `serverless_min_acu: 0` pauses."""

    @field_validator("engine_version")
    @classmethod
    def _pgvector_hnsw(cls, v: str) -> str:
        try:
            major = int(v.split(".", maxsplit=1)[0])
        except ValueError:
            raise ValueError(f"'{v}' is not an aurora-postgresql version such as 16.13") from None
        if major < 16:
            raise ValueError(f"'{v}' is too old: use 16.x or newer (pgvector HNSW, write forwarding)")
        return v

    @field_validator("performance_insights_retention_days")
    @classmethod
    def _pi_retention(cls, v: int) -> int:
        if v not in {7, 731} and not (v % 31 == 0 and 31 <= v <= 713):
            raise ValueError(f"{v} is not allowed: use 7, 731, or a multiple of 31 up to 713")
        return v


class RedisGroupConfig(Frozen):
    node_type: str = "cache.r7g.large"
    shards: int = Field(default=1, ge=1, le=500)
    replicas_per_shard: int = Field(default=1, ge=0, le=5)
    snapshot_retention_days: int = Field(default=7, ge=0, le=35)


class RedisConfig(Frozen):
    engine: Literal["valkey", "redis"] = "valkey"
    """Valkey keeps every guarantee the platform relies on (TLS, AUTH tokens, `noeviction`, Multi-AZ)
    and is the only engine ElastiCache develops past Redis OSS 7.1; `redis` stays for a staged move."""
    engine_version: str = "8.2"
    auth_token_version: int = Field(default=1, ge=1)
    """Bump to rotate the AUTH tokens; ROTATE keeps the previous token valid during the rollout."""
    cache: RedisGroupConfig = RedisGroupConfig()
    """allkeys-lru; may shard (cluster mode enabled when shards > 1)."""
    queue: RedisGroupConfig = RedisGroupConfig(shards=1)
    """noeviction, cluster mode disabled (Celery/BullMQ need single-slot keys)."""

    @model_validator(mode="after")
    def _engine_version_matches(self) -> RedisConfig:
        try:
            major, minor = (int(p) for p in self.engine_version.split(".")[:2])
        except ValueError:
            raise ValueError(f"engine_version '{self.engine_version}' is not a version such as 8.2") from None
        if self.engine == "redis" and (major, minor) > (7, 1):
            raise ValueError(f"engine_version {self.engine_version}: Redis OSS on ElastiCache ends at 7.1; "
                             "set engine: valkey for 7.2 and newer")
        if self.engine == "valkey" and (major, minor) < (7, 2):
            raise ValueError(f"engine_version {self.engine_version}: Valkey on ElastiCache starts at 7.2; "
                             "use 8.2 (or engine: redis with 7.1)")
        return self


class StorageConfig(Frozen):
    noncurrent_version_expiration_days: int = Field(default=90, ge=1)
    log_transition_days: int = Field(default=30, ge=1)
    log_expiration_days: int = Field(default=90, ge=2)
    replicate_delete_markers: bool = True
    """On: a delete in the primary also hides the object in the domain's replicas (GDPR erasure is then
    not undone by a replica; replication never leaves the domain). Deleted data stays recoverable as
    noncurrent versions for `noncurrent_version_expiration_days`; `python -m ops tenant-purge` removes
    every version. Off: a regional copy survives accidental deletes, but erasure needs the purge."""


class BackupConfig(Frozen):
    schedule: str = "cron(0 3 * * ? *)"
    retention_days: int = Field(default=30, ge=1, le=36500)
    cross_region_copy: bool = True
    """Copy each recovery point to another region of the same data domain (only there)."""


class FailoverConfig(Frozen):
    """Automated regional failover per data domain: one ARC Region switch plan per domain with a
    replica (primary -> first replica), the alarm that proves the primary down, and guard rails.

    Aurora never promotes across regions by itself; an operator running the runbook takes minutes,
    which breaks the 2-minute write failover. The plan runs the same steps without waiting for a
    person, and these switches decide how much it may do on its own.
    """

    region_switch: bool = False
    """Build the plans (and their execution role, trigger alarm, notifications). Off: only the
    `python -m ops failover` runbook exists."""
    automatic: bool = False
    """Kill switch: the trigger alarm starts the plan on its own only when true; false keeps the
    plan for manual execution (`ops failover`) and removes the trigger."""
    min_delay_minutes_between_executions: int = Field(default=60, ge=1, le=10080)
    """No automatic execution within this many minutes of the previous one (no flapping)."""
    approval_required: bool = False
    """Put a manual approval step before the database failover (a person decides: slower)."""
    approval_role_arn: str | None = None
    """The role whose principals may approve the step; required with `approval_required`."""
    approval_timeout_minutes: int = Field(default=60, ge=1, le=1440)
    probe_period_seconds: Literal[10, 30, 60] = 10
    """Period of the high-resolution `AgenticPlatform/DR PrimaryReachable` metric the trigger alarm
    reads (10 s and 30 s are high-resolution alarms)."""
    probe_failures: int = Field(default=2, ge=1, le=10)
    """Consecutive failed periods before the primary counts as down (detection = period x failures)."""
    enterprise_secondaries: bool = False
    """Give each enterprise tenant's own database a headless Aurora Global secondary (storage
    replication only, no instance) in its domain's first replica region: RPO = replication lag."""
