"""Typed config for the workload, the global edge and operations (alarms, budgets, mesh)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, field_validator, model_validator

from stacks.config.models_delivery import RolloutConfig
from stacks.config.models_infra import Frozen

# Cloudflare's published IPv4 ranges (https://www.cloudflare.com/ips-v4, checked 2026-11).
CLOUDFLARE_IPV4 = (
    "173.245.48.0/20", "103.21.244.0/22", "103.22.200.0/22", "103.31.4.0/22",
    "141.101.64.0/18", "108.162.192.0/18", "190.93.240.0/20", "188.114.96.0/20",
    "197.234.240.0/22", "198.41.128.0/17", "162.158.0.0/15", "104.16.0.0/13",
    "104.24.0.0/14", "172.64.0.0/13", "131.0.72.0/22",
)


class Resources(Frozen):
    cpu_request: str = "500m"
    memory_request: str = "1Gi"
    cpu_limit: str = "2"
    memory_limit: str = "2Gi"


class HpaConfig(Frozen):
    min_replicas: int = Field(default=3, ge=1)
    max_replicas: int = Field(default=20, ge=1)
    cpu_percent: int = Field(default=70, ge=10, le=100)
    memory_percent: int = Field(default=80, ge=10, le=100)
    requests_per_second: int = Field(default=50, ge=1)
    """Per-pod request rate the api scales on (beside CPU and memory; KEDA, every EKS stack)."""


class ApiConfig(Frozen):
    replicas: int = Field(default=3, ge=1)
    hpa: HpaConfig = HpaConfig()
    resources: Resources = Resources()


class WorkerConfig(Frozen):
    replicas: int = Field(default=2, ge=1)
    max_replicas: int = Field(default=10, ge=1)
    queue_length_target: int = Field(default=20, ge=1)
    """KEDA scales one worker per this many jobs waiting in the Redis queue."""
    termination_grace_seconds: int = Field(default=600, ge=30, le=3600)
    """Lets a worker finish its current agent run before SIGKILL."""
    resources: Resources = Resources(cpu_request="1", memory_request="2Gi", cpu_limit="2", memory_limit="4Gi")
    command: tuple[str, ...] = ("python", "-m", "app.worker")
    """Worker entrypoint in the app image (the api uses the image's default command)."""
    metrics_port: int = Field(default=9090, ge=1024, le=65535)
    """Prometheus metrics port of the worker (the api serves /metrics on 8000)."""
    queue_list_name: str = "agent-jobs"
    """Redis list the api pushes jobs to; KEDA scales the worker on its length."""


MCP_SECRET_KEYS = ("REDIS_URL", "REDIS_QUEUE_URL", "SECRET_KEY", "JWT_SECRET", "ANTHROPIC_API_KEY",
                   "OPENAI_API_KEY", "PINECONE_API_KEY", "PINECONE_ENVIRONMENT")
"""Keys of `platform-secrets` an MCP server may be given. No database credential exists there (pods
connect with IAM tokens), and none may be named: a tool subprocess never holds the database."""


def _mcp_secret(key: str) -> str:
    if "DATABASE" in key.upper() or key.upper() in ("PGPASSWORD", "DB_PASSWORD", "POSTGRES_PASSWORD"):
        raise ValueError(f"'{key}': an MCP server never gets the database URL or password; "
                         "the app connects with IAM tokens")
    if key not in MCP_SECRET_KEYS:
        raise ValueError(f"'{key}' is not a known secret; use one of {', '.join(MCP_SECRET_KEYS)}")
    return key


class McpServerConfig(Frozen):
    """One MCP server and exactly the secrets it needs (mounted alone in its own directory)."""

    name: str = Field(pattern=r"^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$")
    secrets: tuple[Annotated[str, AfterValidator(_mcp_secret)], ...] = ()

    @field_validator("secrets")
    @classmethod
    def _unique(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(v)) != len(v):
            raise ValueError("lists a secret twice")
        return v


class AppConfig(Frozen):
    image: str = "ghcr.io/example/agentic-platform"
    tag: str = Field(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
    """Immutable tag (git SHA); `latest` is refused by the policy pack in staging and prod."""
    digest: str | None = Field(default=None, pattern=r"^sha256:[0-9a-f]{64}$")
    """`sha256:...` of the image the tag was built as; required in staging and prod, where pods
    run `<repo>:<tag>@<digest>` (the digest wins: a re-pushed tag cannot change what runs). The
    deploy workflow sets it; rollback too (`ops rollback --to`)."""
    api_version: str = "v1"
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    mcp_server_path: str = "/app/mcp-servers"
    vector_store: Literal["pgvector", "pinecone"] = "pgvector"
    hostname: str
    """Public API hostname (served through Cloudflare in prod)."""
    api: ApiConfig = ApiConfig()
    worker: WorkerConfig = WorkerConfig()
    mcp_servers: tuple[McpServerConfig, ...] = (
        McpServerConfig(name="filesystem"), McpServerConfig(name="github"), McpServerConfig(name="postgres"))
    """`[name, ...]` or `[{name, secrets: [KEY, ...]}, ...]`: a server gets only the secrets it lists."""

    @field_validator("mcp_servers", mode="before")
    @classmethod
    def _bare_names(cls, v: Any) -> Any:
        if isinstance(v, (list, tuple)):
            return [{"name": s} if isinstance(s, str) else s for s in v]
        return v

    @model_validator(mode="after")
    def _mcp_servers(self) -> AppConfig:
        names = [s.name for s in self.mcp_servers]
        if len(set(names)) != len(names):
            raise ValueError("app.mcp_servers: each server name once")
        for s in self.mcp_servers:
            pinecone = [k for k in s.secrets if k.startswith("PINECONE_")]
            if pinecone and self.vector_store != "pinecone":
                raise ValueError(f"app.mcp_servers: '{s.name}' lists {', '.join(pinecone)} but vector_store is "
                                 f"{self.vector_store} (no such secret)")
        return self
    delivery: Literal["pulumi", "gitops"] = "pulumi"
    """gitops: `pulumi up` renders the workload's manifests to deploy/gitops/ and Argo CD syncs them."""
    rollout: RolloutConfig = RolloutConfig()


ALB_TLS13_POLICIES = ("ELBSecurityPolicy-TLS13-1-2-", "ELBSecurityPolicy-TLS13-1-3-")
"""ELB security policies offering TLS 1.3 with TLS 1.2 (or 1.3) as the floor; the
ELBSecurityPolicy-TLS13-1-0/-1-1 ones also accept TLS 1.0/1.1
(https://docs.aws.amazon.com/elasticloadbalancing/latest/application/describe-ssl-policies.html).
The policy pack's `ingress-alb-tls-policy` holds the same line on the plan."""


class IngressConfig(Frozen):
    allowed_cidrs: tuple[str, ...] = CLOUDFLARE_IPV4
    """Only the edge may reach the ALB; defaults to Cloudflare's published ranges."""
    ssl_policy: str = "ELBSecurityPolicy-TLS13-1-2-2021-06"
    """The ALB listener's security policy: TLS 1.3 where the client offers it, TLS 1.2 the floor."""

    @field_validator("ssl_policy")
    @classmethod
    def _offers_tls13(cls, v: str) -> str:
        if not v.startswith(ALB_TLS13_POLICIES):
            raise ValueError(f"'{v}' does not offer TLS 1.3 with TLS 1.2 as the floor; use "
                             "ELBSecurityPolicy-TLS13-1-2-2021-06 (or another ELBSecurityPolicy-TLS13-1-2-* / "
                             "-TLS13-1-3-* policy)")
        return v
    certificate_arn: str | None = None
    """Existing ACM certificate; when unset one is requested and validated through Cloudflare DNS."""
    deletion_protection: bool | None = None
    """ALB deletion protection; None: on in staging and prod. Set false and `pulumi up` before a destroy."""


class MonitorConfig(Frozen):
    interval_seconds: int = Field(default=10, ge=5, le=3600)
    consecutive_failures: int = Field(default=3, ge=1, le=10)
    timeout_seconds: int = Field(default=5, ge=1, le=10)
    path: str = "/health/ready"


class RateLimitConfig(Frozen):
    requests_per_period: int = Field(default=600, ge=1)
    period_seconds: Literal[10, 60, 120, 300, 600, 3600] = 60
    mitigation_timeout_seconds: int = Field(default=600, ge=10, le=86400)


class GeoPoolConfig(Frozen):
    """Cloudflare geo-steering region code (WNAM, ENAM, WEU, EEU, SEAS, ...) -> ordered regions."""

    code: str = Field(pattern=r"^[A-Z]{2,4}$")
    regions: tuple[str, ...] = Field(min_length=1)


class EdgeConfig(Frozen):
    """Zone security and caching (components/cloudflare_edge.py)."""

    min_tls_version: Literal["1.2", "1.3"] = "1.2"
    managed_waf_rulesets: tuple[Literal["cloudflare-managed", "owasp-core"], ...] = ("cloudflare-managed", "owasp-core")
    static_path_prefixes: tuple[str, ...] = ("/static/", "/assets/")
    static_extensions: tuple[str, ...] = ("css", "js", "png", "jpg", "svg", "woff2", "ico")
    origin_pull_ca_pem: str | None = None
    """Public PEM of this platform's own origin-pull CA: it issued the client certificate Cloudflare
    presents to the origin (secrets `origin_pull_certificate` / `origin_pull_private_key`), and each
    region's ALB trust store holds it (components/origin_trust.py). Required in prod when
    `global_traffic.enabled`; Cloudflare's shared origin-pull certificate is not supported on the
    origin side (it proves only "some Cloudflare zone"). Never a private key."""


class GlobalTrafficConfig(Frozen):
    enabled: bool = False
    account_id: str = ""
    zone_id: str = ""
    zone_name: str = ""
    eu_hostname: str | None = None
    """Hostname served only from EU regions (EU-resident tenants)."""
    monitor: MonitorConfig = MonitorConfig()
    rate_limit: RateLimitConfig = RateLimitConfig()
    geo: tuple[GeoPoolConfig, ...] = ()
    fallback_region: str | None = None
    edge: EdgeConfig = EdgeConfig()


class AlarmThresholds(Frozen):
    aurora_cpu_percent: float = 80
    aurora_freeable_memory_mb: float = 1024
    aurora_connections: float = 800
    aurora_replication_lag_ms: float = 60_000
    """Global replication lag alarm; must stay below the RPO budget (15 min)."""
    redis_memory_percent: float = 80
    redis_cache_evictions: float = 1000
    redis_replication_lag_seconds: float = 30
    alb_5xx_count: float = 50
    """ALB-generated 5xx per minute (HTTPCode_ELB_5XX_Count)."""
    alb_target_5xx_count: float = 50
    """5xx per minute returned by the pods (HTTPCode_Target_5XX_Count)."""
    alb_target_response_seconds: float = 1.0
    nat_error_port_allocation: float = 1
    nat_packets_drop_count: float = 100
    """Packets dropped per minute by a NAT gateway (PacketsDropCount)."""


class ObservabilityConfig(Frozen):
    alarms: AlarmThresholds = AlarmThresholds()
    alert_email: str | None = None
    log_hot_days: int = Field(default=30, ge=1)
    log_cold_days: int = Field(default=90, ge=2)
    guardduty: bool = True
    cloudtrail: bool = True
    audit_log_retention_days: int = Field(default=365, ge=90, le=3653)
    """CloudTrail log files are kept this long (SOC 2 evidence: a year); Glacier after 90 days."""
    metrics_aggregation: Literal["remote-write", "per-region-datasource"] = "per-region-datasource"


class BudgetConfig(Frozen):
    environment_monthly_usd: float = Field(ge=1)
    alert_emails: tuple[str, ...] = ()
    alert_threshold_percent: float = Field(default=80, ge=1, le=200)


class MeshFaultConfig(Frozen):
    """Fault injection on the api's routes for chaos experiments; all 0 (the default) = off."""

    delay_percent: float = Field(default=0, ge=0, le=100)
    delay_seconds: float = Field(default=0, ge=0, le=60)
    abort_percent: float = Field(default=0, ge=0, le=100)
    abort_http_status: int = Field(default=503, ge=400, le=599)


class MeshConfig(Frozen):
    enabled: bool = False
    """Istio in ambient mode (ztunnel mTLS, a waypoint where L7 policy is needed); on in prod."""
    request_timeout_seconds: int = Field(default=30, ge=1)
    retries: int = Field(default=2, ge=0, le=5)
    """Retry attempts for idempotent reads (GET/HEAD) on connection failures and 503s; writes never retry."""
    outlier_consecutive_5xx: int = Field(default=5, ge=1, le=100)
    """Circuit breaking: an api endpoint returning this many 5xx in a row is ejected..."""
    outlier_ejection_seconds: int = Field(default=30, ge=1, le=3600)
    """...for this long (longer on repeat ejections); at most half of the endpoints at once."""
    fault: MeshFaultConfig = MeshFaultConfig()
    trust_anchor_pem: str | None = None
    """Public certificate (PEM) of the mesh root CA. The root, intermediate cert + key and chain live in
    Secrets Manager `<project>/<env>/istio/cacerts` and reach istiod through External Secrets
    (docs/multi-region.md). Required when enabled; prod refuses the example root shipped here."""
