"""Typed results that one composition layer hands to the next.

Fields are Outputs (or plain values known at plan time). A layer adds the fields it produces;
consumers read only these, never a component's children.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi

from stacks.config import PlatformConfig
from stacks.config.models_infra import RegionConfig


@dataclass
class RegionContext:
    """What every layer of one region needs: config, region, the shared AWS provider, tags."""

    cfg: PlatformConfig
    region: RegionConfig
    aws_provider: pulumi.ProviderResource | None
    parent: pulumi.Resource
    tags: dict[str, str]

    @property
    def name(self) -> str:
        return self.region.name

    def opts(self, **kwargs: Any) -> pulumi.ResourceOptions:
        """Options for a component of this region: parented, on the shared AWS provider."""
        providers = {"aws": self.aws_provider} if self.aws_provider is not None else {}
        return pulumi.ResourceOptions(parent=self.parent, providers=providers, **kwargs)


@dataclass
class RegionBase:
    """Network and cluster of one region (layer 1)."""

    vpc_id: pulumi.Output[str]
    vpc_cidr: str
    private_subnet_ids: list[pulumi.Output[str]]
    database_subnet_group: pulumi.Output[str] | None = None
    cache_subnet_group: pulumi.Output[str] | None = None
    private_route_table_ids: list[pulumi.Output[str]] = field(default_factory=list)
    ci_subnet_ids: list[pulumi.Output[str]] = field(default_factory=list)
    """The `ci` tier (the CodeBuild runner's only subnets); empty where the region has no runner."""
    cluster_name: pulumi.Output[str] | None = None
    cluster_security_group_id: pulumi.Output[str] | None = None
    node_security_group_id: pulumi.Output[str] | None = None
    k8s_provider: pulumi.ProviderResource | None = None
    lb_controller: pulumi.Resource | None = None
    """Whatever creates Services/Ingresses depends on this (webhook readiness, C28)."""
    external_secrets: pulumi.Resource | None = None
    pod_identity: Any = None
    """Callable(name, namespace, service_account, policy_json) -> role ARN Output (Pod Identity helper)."""
    nat_gateway_ids: list[pulumi.Output[str]] = field(default_factory=list)
    """NAT gateways of this region (observability alarms on port allocation errors and drops)."""
    extras: dict[str, Any] = field(default_factory=dict)


@dataclass
class DbClusterRef:
    """One Aurora cluster in a region, as alarms see it."""

    identifier: pulumi.Output[str]
    global_secondary: bool = False
    """A secondary of an Aurora Global database: alarms on AuroraGlobalDBReplicationLag (RPO)."""


@dataclass
class DbConnectTarget:
    """Where a pod of this region connects to one domain's database, with IAM authentication.

    `kind` says what the region's data layer provides: `proxy` (RDS Proxy, IAM auth REQUIRED;
    `rds-db:connect` on `dbuser:<prx-id>/<user>`) or `cluster` (directly, IAM database
    authentication on the cluster; `dbuser:<cluster-resource-id>/<user>`). Never a password.
    """

    kind: str
    endpoint: pulumi.Output[str]
    reader_endpoint: pulumi.Output[str] | None
    """The proxy's read-only endpoint or the cluster reader endpoint (read-only URL)."""
    resource_id: pulumi.Output[str]
    """`prx-...` or `cluster-...`: the middle of the `rds-db:connect` resource ARN."""
    account_id: pulumi.Output[str]
    region: str
    port: int = 5432
    database: str = "agentic"
    writer: bool = True
    """False on a global secondary: writes are forwarded (write forwarding) or refused."""


@dataclass
class DomainStores:
    """One data domain's stores as seen from one region (a region may hold two domains)."""

    domain: str
    residency: str
    db: DbConnectTarget | None = None
    uploads_bucket: pulumi.Output[str] | None = None
    uploads_bucket_arn: pulumi.Output[str] | None = None
    writer_endpoint: pulumi.Output[str] | None = None
    """Cluster endpoint, set only where this region holds the domain's writer (db-bootstrap Job)."""
    master_secret_arn: pulumi.Output[str] | None = None
    """The master credential (break-glass and db-bootstrap only), where this region holds the writer."""


@dataclass
class RegionData:
    """Stores and keys of one region (layer 2, the data tier)."""

    kms_keys: dict[str, pulumi.Output[str]] = field(default_factory=dict)
    """purpose (database, cache, storage, logs, secrets) -> key ARN in this region."""
    db_endpoint: pulumi.Output[str] | None = None
    db_reader_endpoint: pulumi.Output[str] | None = None
    db_proxy_endpoint: pulumi.Output[str] | None = None
    db_cluster_identifier: pulumi.Output[str] | None = None
    db_is_writer: bool = True
    db_clusters: dict[str, DbClusterRef] = field(default_factory=dict)
    """Every Aurora cluster in this region by logical name (domain); a region can hold the writer
    of one domain and a global secondary of another. Empty: `db_cluster_identifier` is used."""
    cache_endpoint: pulumi.Output[str] | None = None
    queue_endpoint: pulumi.Output[str] | None = None
    cache_group_id: pulumi.Output[str] | None = None
    """ElastiCache replication group ids (alarms address their member clusters)."""
    queue_group_id: pulumi.Output[str] | None = None
    uploads_bucket: pulumi.Output[str] | None = None
    uploads_bucket_arn: pulumi.Output[str] | None = None
    log_bucket: pulumi.Output[str] | None = None
    secret_arns: dict[str, pulumi.Output[str]] = field(default_factory=dict)
    """logical name (database-url, redis-url, ...) -> Secrets Manager ARN in this region."""
    domains: dict[str, DomainStores] = field(default_factory=dict)
    """Per data domain present in this region: its database target and uploads bucket (cells)."""
    alert_topic_arn: pulumi.Output[str] | None = None
    """Set by the observability layer: the region's SNS alert topic, for stores built later
    (enterprise tenants' databases) to wire their alarms to (`compose.observability.store_alarms`)."""
    extras: dict[str, Any] = field(default_factory=dict)


@dataclass
class RegionWorkload:
    """The app on one region's cluster (layer 3, the workload)."""

    ingress_hostname: pulumi.Output[str] | None = None
    """The ALB hostname the Cloudflare pool of this region points at."""
    namespaces: dict[str, pulumi.Output[str]] = field(default_factory=dict)
    cells: dict[str, Any] = field(default_factory=dict)
    """Data domain -> `CellWorkload` (stacks/compose/workload.py): namespace, hostname, origin."""
    extras: dict[str, Any] = field(default_factory=dict)
