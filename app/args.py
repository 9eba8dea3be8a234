"""Typed inputs of the platform workload. Plain values and Outputs only: no config models,
no stack names, so the same component serves an EKS region and a laptop cluster."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi

from app.local_stores import LocalStoresArgs
from app.rollout import RolloutSpec


@dataclass(frozen=True)
class ResourceSpec:
    cpu_request: str
    memory_request: str
    cpu_limit: str
    memory_limit: str


@dataclass(frozen=True)
class ScalingSpec:
    api_replicas: int
    api_min_replicas: int
    api_max_replicas: int
    api_cpu_percent: int
    api_memory_percent: int
    worker_replicas: int
    worker_max_replicas: int
    queue_length_target: int
    queue_list_name: str = "agent-jobs"
    api_requests_per_second: int = 0
    """Per-pod request-rate target for the api (KEDA Prometheus trigger); 0 = CPU and memory only."""


@dataclass(frozen=True)
class McpServer:
    """One MCP server (a stdio subprocess of the api/worker) and the secrets it may read."""

    name: str
    secrets: tuple[str, ...] = ()
    """Keys of `platform-secrets` (e.g. OPENAI_API_KEY) mounted, alone, in the server's own
    directory; never a database credential (config validation refuses it)."""


@dataclass
class ExternalSecretsSource:
    """Secrets Manager secrets mapped to env var names; External Secrets syncs them in-cluster."""

    region: str
    refs: Mapping[str, pulumi.Input[str]]
    """Env var (DATABASE_URL, ...) -> Secrets Manager ARN or name."""
    templates: Mapping[str, str] = field(default_factory=dict)
    """Extra keys rendered from the fetched ones (ESO template engine v2, sprig functions)."""
    depends_on: Sequence[pulumi.Resource] = ()
    """The External Secrets operator (its CRDs and webhook must exist first)."""
    refresh_interval: str = "1h"
    store_role_arn: pulumi.Input[str] | None = None
    """The namespace's SecretStore role (reads exactly `refs`); None only without a cluster."""


@dataclass
class InClusterSecrets:
    """Values written straight into a Kubernetes Secret (local stack only; Pulumi secrets)."""

    values: Mapping[str, pulumi.Input[str]]


@dataclass
class IngressSpec:
    hosts: Sequence[str]
    certificate_arn: pulumi.Input[str]
    ssl_policy: str
    allowed_cidrs: Sequence[str]
    depends_on: Sequence[pulumi.Resource] = ()
    """The AWS Load Balancer Controller: its webhook must answer before Services/Ingresses (C28)."""
    tags: Mapping[str, str] = field(default_factory=dict)
    access_logs_bucket: pulumi.Input[str] | None = None
    """Bucket whose policy admits this region's ALB log delivery under `access_logs_prefix`."""
    access_logs_prefix: str = "alb"
    deletion_protection: bool = False
    """On in staging/prod; lift it (config) before a destroy, or the controller cannot delete the ALB."""
    trust_store_arn: pulumi.Input[str] | None = None
    """ELB trust store of the origin-pull CA (components/origin_trust.py): the HTTPS listener runs
    mutual TLS in `verify` mode, so only Cloudflare presenting this zone's client certificate gets in."""


@dataclass
class QueueSpec:
    """Where KEDA reads the worker queue length (Redis list)."""

    address: pulumi.Input[str]
    """host:port of the queue Redis."""
    tls: bool
    password_secret_key: str | None = None
    """Key of the app Secret holding the queue password (None: no AUTH)."""


@dataclass
class NetworkSpec:
    """What the default-deny NetworkPolicies open."""

    vpc_cidr: str | None
    """ALB and the managed stores live in the VPC; None on a laptop cluster (stores in-cluster)."""
    store_namespace: str | None = None
    """Namespace of in-cluster Postgres/Redis (local stack)."""
    monitoring_namespace: str = "monitoring"
    telemetry_ports: Sequence[int] = (4317, 4318)
    """OTLP gRPC/HTTP of the trace collector in the monitoring namespace."""
    pod_identity_agent: bool = False
    """Open egress to the EKS Pod Identity agent (169.254.170.23:80) for AWS credentials."""


@dataclass
class AddonSupport:
    """Which CRD-backed objects the cluster can take (KEDA, Prometheus operator, VPA).

    `prometheus_operator` creates the ServiceMonitors with the workload; leave it off when the
    operator is installed later in the same program and call `attach_service_monitors` then.
    """

    keda: bool = False
    prometheus_operator: bool = False
    vpa: bool = False
    depends_on: Sequence[pulumi.Resource] = ()
    """Releases that bring the CRDs (KEDA, VPA): custom resources wait for them."""
    monitor_labels: Mapping[str, str] = field(default_factory=lambda: {"release": "kube-prometheus-stack"})
    prometheus_url: str | None = None
    """In-cluster Prometheus the api's request-rate trigger queries (with `keda`); None = HPA only."""


@dataclass
class WorkloadArgs:
    environment: str
    location: str
    """Region name (or `local`): goes into settings and labels, never into resource names."""
    image: str
    tag: str
    settings: Mapping[str, pulumi.Input[str]]
    """Application settings (API_VERSION, LOG_LEVEL, MCP_SERVER_PATH, ...); never secrets."""
    mcp_servers: Sequence[McpServer | str]
    """Each server's secrets (`McpServer.secrets`) mount in its own directory; a bare name: none."""
    log_level: str
    api_resources: ResourceSpec
    worker_resources: ResourceSpec
    scaling: ScalingSpec
    worker_grace_seconds: int
    secrets: ExternalSecretsSource | InClusterSecrets
    network: NetworkSpec
    k8s_provider: pulumi.ProviderResource | None
    addons: AddonSupport = field(default_factory=AddonSupport)
    ingress: IngressSpec | None = None
    queue: QueueSpec | None = None
    worker_metrics_port: int = 9090
    mcp_server_path: str = "/app/mcp-servers"
    """Where the MCP servers live in the image (MCP_SERVER_PATH); their configs mount elsewhere."""
    worker_command: Sequence[str] = ("python", "-m", "app.worker")
    strict_zone_spread: bool = False
    """DoNotSchedule across zones (multi-AZ node groups); ScheduleAnyway on one-node clusters."""
    api_role_arn: pulumi.Input[str] | None = None
    worker_role_arn: pulumi.Input[str] | None = None
    """IAM roles bound by Pod Identity; recorded on the pod template so a new role rolls pods."""
    jobs_role_arn: pulumi.Input[str] | None = None
    """The migration/bootstrap Jobs' role (`rds-db:connect` as the migration user only)."""
    migrations: bool = True
    """Run the schema migration and admin bootstrap Jobs here. False in a cell whose database is a
    read-only global secondary: DDL there fails (Aurora forwards DML at most, never DDL), and the
    schema arrives by storage-level replication from the domain's writer region, whose cell migrates."""
    depends_on: Sequence[pulumi.Resource] = ()
    """Everything the pods need before they start (stores, identity associations)."""
    namespace_annotations: Mapping[str, str] = field(default_factory=dict)
    digest: str | None = None
    """`sha256:...` of `image:tag`; set, pods run `image:tag@digest` (required in staging and prod)."""
    namespace: str = "platform-core"
    """The cell's namespace: api, worker, jobs, config and secrets all live here."""
    shared_namespace: bool = True
    """Create `shared-services` too (the region's first cell only: one per cluster)."""
    cell_labels: Mapping[str, str] = field(default_factory=dict)
    """Labels of the cell's namespace (data domain, residency) for policies selecting by namespace."""
    local_stores: LocalStoresArgs | None = None
    rollout: RolloutSpec | None = None
    """Argo Rollouts takes over the api Deployment's template (app/rollout.py); None: rolling update."""
    """In-cluster Postgres/Redis (local stack): created after the namespaces, before any pod."""
    seed_tenants: Sequence[Mapping[str, Any]] = ()
    """Development data (local stack): sample tenants and their agents, seeded once after migration."""
