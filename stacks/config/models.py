"""The root of the typed config tree: the whole `agentic-platform:` namespace plus `aws:region`."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr

from stacks.config.models_app import (
    AppConfig,
    BudgetConfig,
    GlobalTrafficConfig,
    IngressConfig,
    MeshConfig,
    ObservabilityConfig,
)
from stacks.config.models_delivery import DeliveryConfig
from stacks.config.models_infra import (
    BackupConfig,
    ClusterConfig,
    DatabaseConfig,
    DataDomainConfig,
    FailoverConfig,
    Frozen,
    NetworkConfig,
    RedisConfig,
    RegionConfig,
    StorageConfig,
)
from stacks.config.models_tenants import TenantConfig
from stacks.config.models_testing import (
    CostExportsConfig,
    OnCallConfig,
    TestingConfig,
    ThreatDetectionConfig,
)
from stacks.config.models_versions import VersionsConfig

Environment = Literal["local", "dev", "staging", "prod"]


class LocalConfig(Frozen):
    """The `local` stack: the same app on the current kube context, stores in-cluster."""

    kube_context: str | None = None
    """None: the current context of ~/.kube/config."""
    postgres_image: str = "pgvector/pgvector:0.8.0-pg16"
    redis_image: str = "redis:7.4-alpine"
    storage_class: str | None = None
    """None: the cluster's default StorageClass (kind/minikube/Docker Desktop all have one)."""


class SecretsConfig(Frozen):
    """Secret inputs; the values are Pulumi secrets set with `pulumi config set --secret`."""

    anthropic_api_key: SecretStr | None = None
    openai_api_key: SecretStr | None = None
    pinecone_api_key: SecretStr | None = None
    pinecone_environment: SecretStr | None = None
    pagerduty_routing_key: SecretStr | None = None
    """PagerDuty Events API v2 integration key (oncall.provider pagerduty)."""
    origin_pull_certificate: SecretStr | None = None
    """PEM client certificate Cloudflare presents to the origin, issued by
    `global_traffic.edge.origin_pull_ca_pem` (uploaded as the zone's origin-pull certificate)."""
    origin_pull_private_key: SecretStr | None = None
    """PEM private key of `origin_pull_certificate`."""
    dockerhub_username: SecretStr | None = None
    """Docker Hub account of the `docker-hub` pull-through rule (may be set plain)."""
    dockerhub_access_token: SecretStr | None = None
    """Docker Hub personal access token, permission "Repo Public Read-only" (docs/delivery.md)."""
    github_username: SecretStr | None = None
    """GitHub account of the `github` (ghcr.io) pull-through rule (may be set plain)."""
    github_access_token: SecretStr | None = None
    """GitHub personal access token (classic) with only `read:packages` (docs/delivery.md)."""


class EventsConfig(Frozen):
    """Opt-in event backbone (components/event_backbone.py): an EventBridge bus per data domain
    and region, replicated inside the domain, carrying cross-region cache invalidation."""

    enabled: bool = False
    queue_retention_days: int = Field(default=4, ge=1, le=14)
    """How long an undelivered cache-invalidation message waits (SQS allows 1 minute to 14 days)."""


class PlatformConfig(Frozen):
    """Everything a stack needs, parsed once and validated across fields."""

    project: str = "agentic-platform"
    stack: str
    environment: Environment
    aws_region: str | None = None
    """`aws:region`: the default region (the first listed region when unset)."""
    cost_center: str = "platform"
    owner: str = "platform-team"
    regions: tuple[RegionConfig, ...] = ()
    data_domains: tuple[DataDomainConfig, ...] = ()
    network: NetworkConfig = NetworkConfig()
    cluster: ClusterConfig | None = None
    database: DatabaseConfig = DatabaseConfig()
    redis: RedisConfig = RedisConfig()
    storage: StorageConfig = StorageConfig()
    backup: BackupConfig = BackupConfig()
    failover: FailoverConfig = FailoverConfig()
    app: AppConfig
    ingress: IngressConfig = IngressConfig()
    global_traffic: GlobalTrafficConfig = GlobalTrafficConfig()
    observability: ObservabilityConfig = ObservabilityConfig()
    budget: BudgetConfig | None = None
    mesh: MeshConfig = MeshConfig()
    versions: VersionsConfig = VersionsConfig()
    events: EventsConfig = EventsConfig()
    delivery: DeliveryConfig = DeliveryConfig()
    tenants: tuple[TenantConfig, ...] = ()
    local: LocalConfig = LocalConfig()
    testing: TestingConfig = TestingConfig()
    oncall: OnCallConfig = OnCallConfig()
    cost_exports: CostExportsConfig = CostExportsConfig()
    threat_detection: ThreatDetectionConfig = ThreatDetectionConfig()
    secrets: SecretsConfig = Field(default_factory=SecretsConfig, exclude=True)

    # --- derived views used by the composition (pure, cheap) ---

    @property
    def is_local(self) -> bool:
        return self.environment == "local"

    @property
    def protected(self) -> bool:
        """Stateful resources carry protect/deletion protection/final snapshots here."""
        return self.environment in ("staging", "prod")

    @property
    def region_names(self) -> tuple[str, ...]:
        return tuple(r.name for r in self.regions)

    @property
    def default_region(self) -> str:
        return self.aws_region or (self.regions[0].name if self.regions else "us-east-1")

    def region(self, name: str) -> RegionConfig:
        return next(r for r in self.regions if r.name == name)

    def domain(self, name: str) -> DataDomainConfig:
        return next(d for d in self.data_domains if d.name == name)

    def domain_for_residency(self, residency: str) -> DataDomainConfig:
        return next(d for d in self.data_domains if d.residency == residency)

    def domain_of_region(self, region: str) -> DataDomainConfig | None:
        """The domain whose regions include `region`, preferring the one it is primary of."""
        primary = [d for d in self.data_domains if d.primary == region]
        if primary:
            return primary[0]
        return next((d for d in self.data_domains if region in d.regions), None)

    def tenants_of_tier(self, *tiers: str) -> tuple[TenantConfig, ...]:
        return tuple(t for t in self.tenants if t.tier in tiers)
