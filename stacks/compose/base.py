"""Layer 1 of a region: network, EKS cluster, core add-ons, cluster charts (the regional base).

Order inside a region (each arrow is a dependency the engine sees):
Network -> EksCluster -> BootstrapAddons (vpc-cni, pod-identity-agent) -> NodeGroups ->
NodeAddons (coredns, kube-proxy, EBS CSI) -> Kubernetes provider -> ClusterCharts
(StorageClass, LB controller, autoscaler, metrics-server, External Secrets, KEDA).
NodeGroups -> Registry (ECR, pull-through cache rules, the nodes' grant) -> Kubernetes provider:
every chart's images come through the region's cache (stacks/compose/registry.py).
Network + EksCluster -> the deploy runner's path to this endpoint (domain peerings, CI peering
routes and SG rules; `CiPathHook`) -> Kubernetes provider, so one `pulumi up` converges.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Literal

import pulumi
import pulumi_aws as aws

from components.cluster_charts import ClusterCharts, ClusterChartsArgs
from components.deployer_rbac import DEPLOYER_GROUP, DeployerRbac, DeployerRbacArgs
from components.eks_addons import BootstrapAddons, BootstrapAddonsArgs, NodeAddons, NodeAddonsArgs, addon_version
from components.eks_cluster import BASE_LOG_TYPES, PROD_LOG_TYPES, EksCluster, EksClusterArgs
from components.k8s_provider import cluster_provider
from components.network import Network, NetworkArgs
from components.node_groups import NodeGroups, NodeGroupsArgs, NodeGroupSpec
from components.pod_identity import PodIdentityFactory
from stacks.compose.registry import build_region_registry, mirror_for, pull_through_policy
from stacks.compose.types import RegionBase, RegionContext
from stacks.config import PlatformConfig
from stacks.config.models_infra import ClusterConfig, NodeGroupConfig
from stacks.config.regions import short_region
from stacks.versions.calendar import today, window


@dataclass(frozen=True)
class BaseNames:
    """Names of one region's base; pure so tests can pin them."""

    resource_prefix: str
    """Pulumi names (URNs): `<env>-<region>`, e.g. `prod-eu-west-1`."""
    physical_prefix: str
    """AWS names: `<project>-<env>-<short region>`, e.g. `agentic-platform-prod-euw1` (IAM is global)."""

    @property
    def cluster_name(self) -> str:
        return self.physical_prefix

    @property
    def k8s_provider(self) -> str:
        return f"{self.resource_prefix}-k8s"


def base_names(cfg: PlatformConfig, region: str) -> BaseNames:
    return BaseNames(resource_prefix=f"{cfg.environment}-{region}",
                     physical_prefix=f"{cfg.project}-{cfg.environment}-{short_region(region)}")


SYSTEM_TAINT = ("CriticalAddonsOnly", "true", "NO_SCHEDULE")


def eks_support_type(cfg: PlatformConfig, version: str) -> Literal["STANDARD", "EXTENDED"]:
    """EXTENDED only when config accepts extended support and the version needs it today; otherwise
    STANDARD, so EKS upgrades the control plane rather than silently billing 6x."""
    w = window("eks", version)
    if cfg.versions.allow_extended_support and w is not None and w.status(today()) == "extended":
        return "EXTENDED"
    return "STANDARD"


def nat_gateways(cfg: PlatformConfig, standby: bool) -> Literal["single", "per_az"]:
    """A warm standby may run one NAT (`network.standby_nat_gateways`); active regions one per AZ."""
    net = cfg.network
    return net.standby_nat_gateways if standby and net.standby_nat_gateways is not None else net.nat_gateways


def node_group_specs(cluster: ClusterConfig, standby: bool) -> list[NodeGroupSpec]:
    """The three managed groups; a warm standby keeps each at the standby size (max unchanged).

    Sizes are clamped so min <= desired <= max always holds (C34)."""
    def spec(name: str, g: NodeGroupConfig, taints: tuple[tuple[str, str, str], ...] = ()) -> NodeGroupSpec:
        lo, want = (cluster.standby.node_min, cluster.standby.node_desired) if standby else (g.min_size,
                                                                                              g.desired_size)
        lo = min(lo, g.max_size)
        want = min(max(want, lo), g.max_size)
        return NodeGroupSpec(name=name, instance_types=tuple(g.instance_types), min_size=lo, desired_size=want,
                             max_size=g.max_size, capacity_type=g.capacity_type, disk_size_gib=g.disk_size_gib,
                             taints=taints)

    groups = cluster.node_groups
    workers = spec("workers", groups.workers)
    if standby and cluster.standby.worker_replicas == 0:  # scale-to-zero workers keep no node either
        workers = replace(workers, min_size=0, desired_size=0)
    return [spec("system", groups.system, (SYSTEM_TAINT,)), spec("api", groups.api), workers]


def admin_principals(cluster: ClusterConfig, environment: str = "dev") -> list[str]:
    """Cluster-admin principals: the break-glass role; the CI role too, except on prod."""
    ci = cluster.ci_role_arn if environment != "prod" else None
    return [arn for arn in (ci, cluster.admin_role_arn) if arn]


def deployer_principals(cluster: ClusterConfig, environment: str) -> list[str]:
    """On prod the CI role deploys through the RBAC-scoped deployers group (components/deployer_rbac.py)."""
    return [cluster.ci_role_arn] if environment == "prod" and cluster.ci_role_arn else []


CiPathHook = Callable[[RegionContext, Network, EksCluster], Sequence[pulumi.Resource]]
"""Builds the deploy runner's path to this region's private API endpoint (stacks.platform: the
domain peerings whose networks now exist, then stacks.compose.delivery `ci_path_hook`); the
cluster's Kubernetes provider waits for every resource it returns (routes, peering, SG rules)."""


def ci_tier(cfg: PlatformConfig) -> bool:
    """Regions of a cloud stack with runners each get a runner (stacks.compose.delivery
    `build_region_delivery`), which sits in its own `ci` subnet tier, never in the node subnets."""
    return not cfg.is_local and cfg.delivery.runners.enabled


def build_base(ctx: RegionContext, ci_path: CiPathHook | None = None) -> RegionBase:
    cfg = ctx.cfg
    cluster_cfg = cfg.cluster
    if cluster_cfg is None:
        raise ValueError(f"agentic-platform:cluster is required for {cfg.environment} (validated in config)")
    region = ctx.name
    names = base_names(cfg, region)
    invoke = pulumi.InvokeOptions(provider=ctx.aws_provider) if ctx.aws_provider is not None else None
    zones = aws.get_availability_zones(
        region=region, state="available",
        filters=[aws.GetAvailabilityZonesFilterArgs(name="opt-in-status", values=["opt-in-not-required"])],
        opts=invoke)
    if len(zones.names) < cfg.network.az_count:
        raise ValueError(f"{region} has {len(zones.names)} available AZs; agentic-platform:network.az_count "
                         f"asks for {cfg.network.az_count}")
    account_id = aws.get_caller_identity(opts=invoke).account_id
    opts = ctx.opts()

    network = Network(names.resource_prefix, NetworkArgs(
        region=region, cidr=ctx.region.cidr, availability_zones=list(zones.names[: cfg.network.az_count]),
        name_prefix=names.physical_prefix, account_id=account_id, cluster_name=names.cluster_name,
        nat_gateways=nat_gateways(cfg, ctx.region.standby), flow_log_retention_days=cfg.network.flow_log_retention_days,
        interface_endpoints=list(cfg.network.interface_endpoints), protect=cfg.protected,
        ci_subnets=ci_tier(cfg),
    ), opts=opts)

    prod = cfg.environment == "prod"
    eks = EksCluster(names.resource_prefix, EksClusterArgs(
        region=region, cluster_name=names.cluster_name, version=cluster_cfg.version, vpc_id=network.vpc_id,
        vpc_cidr=ctx.region.cidr, subnet_ids=network.private_subnet_ids, account_id=account_id,
        logs_key_arn=network.logs_key_arn, public_access_cidrs=list(cluster_cfg.public_access_cidrs),
        log_types=PROD_LOG_TYPES if prod else BASE_LOG_TYPES, log_retention_days=cluster_cfg.log_retention_days,
        deletion_protection=prod, protect_keys=cfg.protected,
        admin_role_arns=admin_principals(cluster_cfg, cfg.environment),
        deployer_role_arns=deployer_principals(cluster_cfg, cfg.environment), deployer_group=DEPLOYER_GROUP,
        support_type=eks_support_type(cfg, cluster_cfg.version),
    ), opts=opts)

    # The deploy runner reaches this endpoint only once its peering, routes (both ways) and SG rules
    # exist: the provider below waits for them, so a first `pulumi up` converges in one run.
    ci_deps = list(ci_path(ctx, network, eks)) if ci_path is not None else []

    addons = cluster_cfg.addons
    lookup = pulumi.InvokeOutputOptions(parent=ctx.parent, provider=ctx.aws_provider)

    def build(addon: str, configured: str) -> pulumi.Input[str]:
        return addon_version(addon, configured, cluster_cfg.version, region, lookup)

    bootstrap = BootstrapAddons(f"{names.resource_prefix}-addons-pre", BootstrapAddonsArgs(
        region=region, cluster_name=eks.name, vpc_cni_version=build("vpc-cni", addons.vpc_cni),
        pod_identity_agent_version=build("eks-pod-identity-agent", addons.eks_pod_identity_agent)), opts=opts)

    nodes = NodeGroups(names.resource_prefix, NodeGroupsArgs(
        region=region, cluster_name=eks.name, cluster_physical_name=names.cluster_name,
        version=cluster_cfg.version, subnet_ids=network.private_subnet_ids,
        node_security_group_id=eks.node_security_group_id, volume_kms_key_arn=eks.ebs_key_arn,
        groups=node_group_specs(cluster_cfg, ctx.region.standby), arch=cluster_cfg.arch,
        after=[*bootstrap.addons, *eks.access_entries],
    ), opts=opts)

    pod_identity = PodIdentityFactory(
        cluster_name=eks.name, cluster_arn=eks.arn, account_id=account_id, region=region,
        resource_prefix=names.resource_prefix, name_prefix=names.physical_prefix, parent=ctx.parent,
        aws_provider=ctx.aws_provider, depends_on=[bootstrap.pod_identity_agent])

    core = NodeAddons(f"{names.resource_prefix}-addons-post", NodeAddonsArgs(
        region=region, cluster_name=eks.name, coredns_version=build("coredns", addons.coredns),
        kube_proxy_version=build("kube-proxy", addons.kube_proxy),
        ebs_csi_version=build("aws-ebs-csi-driver", addons.aws_ebs_csi_driver), ebs_kms_key_arn=eks.ebs_key_arn,
        pod_identity=pod_identity,
        nodes=list(nodes.node_groups.values()),
    ), opts=opts)

    # Every chart pulls through the region's cache: the provider (so every chart) waits for its
    # rules and the nodes' right to import through them (stacks/compose/registry.py).
    registry = build_region_registry(ctx, names.resource_prefix, names.physical_prefix, account_id,
                                     nodes.node_role_arn)
    k8s_provider = cluster_provider(
        names.k8s_provider, cluster_name=eks.name, endpoint=eks.endpoint, ca_data=eks.certificate_authority,
        region=region,
        depends_on=[*bootstrap.addons, *nodes.node_groups.values(), *core.addons, *eks.access_entries, *ci_deps,
                    *(registry.ready if registry is not None else [])],
        parent=ctx.parent)

    providers: dict[str, pulumi.ProviderResource] = {"kubernetes": k8s_provider}
    if ctx.aws_provider is not None:
        providers["aws"] = ctx.aws_provider
    if deployer_principals(cluster_cfg, cfg.environment):
        DeployerRbac(f"{names.resource_prefix}-deployer", DeployerRbacArgs(group=DEPLOYER_GROUP),
                     opts=pulumi.ResourceOptions(parent=ctx.parent, providers=providers))
    charts_cfg = cluster_cfg.charts
    charts = ClusterCharts(names.resource_prefix, ClusterChartsArgs(
        region=region, account_id=account_id, environment=cfg.environment, cluster_name=eks.name,
        cluster_physical_name=names.cluster_name, cluster_arn=eks.arn, cluster_endpoint=eks.endpoint,
        vpc_id=network.vpc_id, ebs_kms_key_arn=eks.ebs_key_arn, pod_identity=pod_identity,
        chart_versions={k: getattr(charts_cfg, k) for k in type(charts_cfg).model_fields},
        autoscaler=cluster_cfg.autoscaler, arch=cluster_cfg.arch,
        karpenter_ami_alias=cluster_cfg.karpenter_ami_alias,
        system_nodes=cluster_cfg.standby.node_min if ctx.region.standby else cluster_cfg.node_groups.system.min_size,
        mirror=mirror_for(cfg, region, account_id),
        node_pull_through_policy=pull_through_policy(cfg, region, account_id),
    ), opts=pulumi.ResourceOptions(parent=ctx.parent, providers=providers))

    return RegionBase(
        vpc_id=network.vpc_id,
        vpc_cidr=network.vpc_cidr,
        private_subnet_ids=network.private_subnet_ids,
        database_subnet_group=network.database_subnet_group,
        cache_subnet_group=network.cache_subnet_group,
        private_route_table_ids=network.private_route_table_ids,
        ci_subnet_ids=network.ci_subnet_ids,
        nat_gateway_ids=network.nat_gateway_ids,
        cluster_name=eks.name,
        cluster_security_group_id=eks.cluster_security_group_id,
        node_security_group_id=eks.node_security_group_id,
        k8s_provider=k8s_provider,
        lb_controller=charts.lb_controller,
        external_secrets=charts.external_secrets,
        pod_identity=pod_identity,
        extras={
            "cluster_arn": eks.arn,
            # SecretStore roles trust it (components/secret_store_role.py); it reads no secret itself.
            "external_secrets_role_arn": charts.external_secrets_role_arn,
            "cluster_endpoint": eks.endpoint,
            "oidc_provider_arn": eks.oidc_provider_arn,
            "oidc_issuer": eks.oidc_issuer,
            "public_subnet_ids": network.public_subnet_ids,
            "database_subnet_ids": network.database_subnet_ids,
            "cache_subnet_ids": network.cache_subnet_ids,
            "nat_public_ips": network.nat_public_ips,
            "logs_key_arn": network.logs_key_arn,
            "ebs_key_arn": eks.ebs_key_arn,
            "node_role_arn": nodes.node_role_arn,
            "storage_class": "gp3-encrypted",
            "keda": charts.keda,
            "metrics_server": charts.metrics_server,
            "account_id": account_id,
            **({"registry": registry.registry} if registry is not None else {}),
            "availability_zones": list(zones.names[: cfg.network.az_count]),
        },
    )
