"""The whole platform for one stack, composed purely from its config.

Single-region (dev, staging) and multi-region (prod) are the same code: one `RegionalPlatform`
per configured region, then the global pieces that join regions (data domains, tenants,
Cloudflare). One AWS provider carries the default tags; resources outside its region set
`region=` (pulumi-aws 7), which avoids a 300-430 MB provider process per region.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from components.eks_cluster import EksCluster
from components.network import Network
from stacks.compose import base, data, delivery, failover, global_traffic, observability, tenants, testing, workload
from stacks.compose.events import build_events
from stacks.compose.mesh import build_mesh, build_mesh_policies
from stacks.compose.types import RegionBase, RegionContext, RegionData, RegionWorkload
from stacks.config import PlatformConfig
from stacks.config.validate import detection_seconds
from stacks.tags import base_tags


class RegionalPlatform(pulumi.ComponentResource):
    """Groups one region's resources so the tree, URNs and cost reports read per region."""

    def __init__(self, name: str, region: str, opts: pulumi.ResourceOptions | None = None):
        super().__init__("agentic:stacks:RegionalPlatform", name, {"region": region}, opts)
        self.region = region
        self.register_outputs({"region": region})


class GlobalPlatform(pulumi.ComponentResource):
    """Parent of what spans regions: data domains, tenants, global traffic, budgets."""

    def __init__(self, name: str, opts: pulumi.ResourceOptions | None = None):
        super().__init__("agentic:stacks:GlobalPlatform", name, {}, opts)
        self.register_outputs({})


@dataclass
class Platform:
    """What `__main__` exports: a small, documented set of stack outputs."""

    outputs: dict[str, Any] = field(default_factory=dict)

    def export(self) -> None:
        for key, value in self.outputs.items():
            pulumi.export(key, value)


def aws_provider(cfg: PlatformConfig) -> aws.Provider:
    """The one AWS provider: default region and the tags every resource carries."""
    return aws.Provider(
        f"aws-{cfg.environment}",
        region=cfg.default_region,
        default_tags=aws.ProviderDefaultTagsArgs(tags=base_tags(cfg)),
    )


def build_platform(cfg: PlatformConfig) -> Platform:
    if cfg.is_local:
        return Platform(outputs={"environment": cfg.environment, **workload.build_local(cfg)})
    provider = aws_provider(cfg)
    contexts: dict[str, RegionContext] = {}
    bases: dict[str, RegionBase] = {}
    delivery_exports: dict[str, dict[str, Any]] = {}
    peerings = global_traffic.DomainPeerings(cfg)
    ci_path = delivery.ci_path_hook(cfg, {}, peerings)

    def network_paths(ctx: RegionContext, network: Network, eks: EksCluster) -> list[pulumi.Resource]:
        """Domain peerings as soon as both networks exist, then the deploy runner's path to this
        cluster: its Kubernetes provider waits for what this returns (one `pulumi up` converges)."""
        peerings.add(ctx, network)
        return list(ci_path(ctx, network, eks)) if ci_path is not None else []

    for region in cfg.regions:
        parent = RegionalPlatform(f"{cfg.environment}-{region.name}", region.name)
        ctx = RegionContext(cfg=cfg, region=region, aws_provider=provider, parent=parent, tags=base_tags(cfg))
        contexts[region.name] = ctx
        bases[region.name] = base.build_base(ctx, network_paths)
        # The mesh's CNI agent and ztunnel run before the workload's pods start (the workload waits).
        mesh = build_mesh(ctx, bases[region.name])
        if mesh is not None:
            bases[region.name].extras["mesh"] = mesh
        delivery_exports[region.name] = delivery.build_region_delivery(ctx, bases[region.name])
    keys = {name: data.build_region_keys(ctx) for name, ctx in contexts.items()}
    domains = data.build_domains(contexts, bases, keys)
    # Before the workload: each cell is told, and granted, its own domain's bus and queue.
    events = build_events(cfg, contexts)
    region_data: dict[str, RegionData] = {}
    workloads: dict[str, RegionWorkload] = {}
    regional_exports: dict[str, Any] = {}
    for name, ctx in contexts.items():
        region_data[name] = data.build_region_data(ctx, bases[name], keys[name], domains)
        workloads[name] = workload.build_workload(ctx, bases[name], region_data[name], events=events)
        build_mesh_policies(ctx, bases[name], workloads[name])
        obs = observability.build_observability(ctx, bases[name], region_data[name], workloads[name])
        delivery_exports[name].update(delivery.build_gitops(ctx, bases[name], region_data[name]))
        regional_exports[name] = _regional_export(ctx, bases[name], region_data[name], workloads[name], obs)
        regional_exports[name].update(testing.build_region_testing(ctx, bases[name], region_data[name],
                                                                   workloads[name], obs))
    tenant_exports = tenants.build_tenants(contexts, bases, region_data, domains, workloads=workloads)
    hostnames = global_traffic.build_global_traffic(cfg, workloads)
    first = bases[cfg.regions[0].name] if cfg.regions else None
    account = str(first.extras["account_id"]) if first is not None and "account_id" in first.extras else None
    plans = failover.build_failover(contexts, bases, region_data, domains,
                                    tenant_databases=tenants.tenant_global_databases(tenant_exports))
    return Platform(outputs={
        "environment": cfg.environment,
        "default_region": cfg.default_region,
        "regions": list(cfg.region_names),
        "regional": regional_exports,
        "data_domains": domains.exports,
        "tenants": tenant_exports,
        "hostnames": hostnames,
        "delivery": {"regions": delivery_exports, **delivery.build_github_roles(cfg, provider, account)},
        "failover": {"detection_seconds": detection_seconds(cfg) if cfg.global_traffic.enabled else None,
                     "region_switch": plans},
        "testing": testing.build_global_testing(cfg, contexts, domains, region_data, regional_exports),
        **({"events": events.exports} if events is not None else {}),
    })


def _regional_export(ctx: RegionContext, b: RegionBase, d: RegionData, w: RegionWorkload,
                     obs: dict[str, Any]) -> dict[str, Any]:
    """Identifiers ops needs per region (never a secret value)."""
    return {
        "standby": ctx.region.standby,
        "vpc_id": b.vpc_id,
        "cluster_name": b.cluster_name,
        "db_cluster_identifier": d.db_cluster_identifier,
        "db_proxy_endpoint": d.db_proxy_endpoint,
        "cache_endpoint": d.cache_endpoint,
        "queue_endpoint": d.queue_endpoint,
        "uploads_bucket": d.uploads_bucket,
        "kms_keys": d.kms_keys,
        "ingress_hostname": w.ingress_hostname,
        **obs,
    }
