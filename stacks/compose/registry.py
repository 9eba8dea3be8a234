"""The region's image registry and the one image mapping every chart and the workload use.

Built by `build_base` right after the node groups and before the cluster's Kubernetes provider:
the provider waits for the pull-through cache rules and the nodes' right to import through them,
so no chart (base, observability, mesh, delivery, testing) can try a first pull through a rule
that does not exist yet. `stacks.compose.delivery` exports what is built here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.chart_images import Mirror, no_mirror
from components.ecr import Registry, RegistryArgs, mirror_image, node_pull_through_policy, registry_host
from stacks.compose.data import region_tags
from stacks.compose.types import RegionBase, RegionContext
from stacks.config import PlatformConfig
from stacks.config.secret_needs import PULL_THROUGH_SECRETS


def registry_enabled(cfg: PlatformConfig) -> bool:
    return not cfg.is_local and cfg.delivery.registry.enabled


def mirror_for(cfg: PlatformConfig, region: str, account: str | None) -> Mirror:
    """Image -> its address in `region`'s pull-through cache (unchanged when the registry is off
    or its upstream has no enabled rule)."""
    if not registry_enabled(cfg) or account is None:
        return no_mirror
    host, enabled = registry_host(account, region), tuple(cfg.delivery.registry.pull_through)
    return lambda image: mirror_image(image, host, enabled)


def base_account(base: RegionBase) -> str | None:
    """The AWS account `build_base` resolved for the region (None on `local`)."""
    account = base.extras.get("account_id")
    return str(account) if account else None


def base_mirror(cfg: PlatformConfig, region: str, base: RegionBase) -> Mirror:
    return mirror_for(cfg, region, base_account(base))


def pull_through_policy(cfg: PlatformConfig, region: str, account: str) -> str | None:
    """What a node role needs to import through the cache (None: no rule, nothing to grant)."""
    prefixes = cfg.delivery.registry.pull_through
    return node_pull_through_policy(region, account, prefixes) if registry_enabled(cfg) and prefixes else None


def upstream_logins(cfg: PlatformConfig) -> dict[str, tuple[pulumi.Output[str], pulumi.Output[str]]]:
    """prefix -> (username, access token) from the config secrets (`dockerhub_*`, `github_*`), for
    every enabled credentialed upstream without an explicit ARN; both travel as Pulumi secrets.
    Config validation (stacks/config/validate_delivery.py) has refused an enabled upstream with
    neither, so a rule never goes out without its credential."""
    reg, s = cfg.delivery.registry, cfg.secrets
    out: dict[str, tuple[pulumi.Output[str], pulumi.Output[str]]] = {}
    for prefix, (user_key, token_key) in PULL_THROUGH_SECRETS.items():
        user, token = getattr(s, user_key), getattr(s, token_key)
        if prefix in reg.pull_through and prefix not in reg.upstream_credentials and user and token:
            out[prefix] = (pulumi.Output.secret(user.get_secret_value()),
                           pulumi.Output.secret(token.get_secret_value()))
    return out


@dataclass
class RegionRegistry:
    registry: Registry
    ready: list[pulumi.Resource] = field(default_factory=list)
    """Cache rules, creation template and the managed nodes' grant: the Kubernetes provider waits."""


def build_region_registry(ctx: RegionContext, resource_prefix: str, physical_prefix: str, account: str,
                          node_role_arn: pulumi.Input[str] | None) -> RegionRegistry | None:
    """ECR of the region (components/ecr.py) and the managed node groups' pull-through grant."""
    cfg = ctx.cfg
    if not registry_enabled(cfg):
        return None
    d = cfg.delivery
    build_region = cfg.default_region
    registry = Registry(f"{resource_prefix}-registry", RegistryArgs(
        region=ctx.name, account_id=account, name_prefix=physical_prefix,
        repositories=d.registry.repositories, keep_tagged_images=d.registry.keep_tagged_images,
        untagged_expire_days=d.registry.untagged_expire_days, pull_through=d.registry.pull_through,
        upstream_credentials=d.registry.upstream_credentials, upstream_logins=upstream_logins(cfg),
        tags={**ctx.tags, **region_tags(cfg, ctx.name)},
        replicate_to=[r for r in cfg.region_names if r != build_region] if ctx.name == build_region else [],
        protect=cfg.protected), opts=ctx.opts())
    out = RegionRegistry(registry, list(registry.pull_through))
    policy = pull_through_policy(cfg, ctx.name, account)
    if node_role_arn is not None and policy is not None:
        out.ready.append(aws.iam.RolePolicy(
            f"{resource_prefix}-nodes-pull-through", opts=ctx.opts(),
            role=pulumi.Output.from_input(node_role_arn).apply(lambda arn: str(arn).split("/")[-1]),
            policy=policy))
    return out
