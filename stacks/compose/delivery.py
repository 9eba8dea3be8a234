"""Delivery per stack: the image registry, CI runners inside each VPC, the GitHub OIDC roles,
Argo Rollouts, and in GitOps mode the render provider and Argo CD.

Called by `stacks/platform.py` after each region's base (registry, runner, Rollouts controller)
and after its observability (Argo CD's notifications go to the region's alert topic).
"""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from app.gitops import NOTIFICATIONS_SA, ArgoCd, application_spec, argocd_values, render_path
from app.rollout import RolloutSpec
from components.chart_images import with_images
from components.ci_peering import CiPeering, CiPeeringArgs, ci_peer_plan
from components.ci_runners import GitHubRoles, GitHubRolesArgs, GitHubRunner, RunnerArgs
from components.cidr_plan import CI, PRIVATE
from components.ecr import Registry, registry_host
from components.eks_cluster import EksCluster
from components.network import Network
from components.pod_identity import PodIdentityFactory
from stacks.compose.base import CiPathHook, base_names
from stacks.compose.global_traffic import DomainPeerings
from stacks.compose.registry import base_account, base_mirror, registry_enabled
from stacks.compose.types import RegionBase, RegionContext, RegionData
from stacks.config import PlatformConfig
from stacks.config.regions import short_region

ARGO_ROLLOUTS_NAMESPACE = "argo-rollouts"
ARGO_REPO = "https://argoproj.github.io/argo-helm"


def mirror(cfg: PlatformConfig, region: str, base: RegionBase, image: str) -> str:
    """The one image mapping for charts and the workload: a public image through this region's
    pull-through cache (unchanged when the registry is off or its upstream has no rule)."""
    return base_mirror(cfg, region, base)(image)


def app_image(cfg: PlatformConfig, region: str, base: RegionBase | None) -> str:
    """The app image repository: this region's ECR repository (a replica of the build region's).
    Pods pin `app.digest` on top of it (`repo:tag@sha256:...`, app/pods.py `image_ref`)."""
    image = cfg.app.image
    account = base_account(base) if base is not None else None
    if registry_enabled(cfg) and account is not None:
        image = f"{registry_host(account, region)}/{cfg.delivery.registry.repositories[0]}"
    return image


def rollout_spec(cfg: PlatformConfig, base: RegionBase) -> RolloutSpec | None:
    """Argo Rollouts for the api on EKS stacks; `local` and `strategy: rolling` keep the Deployment."""
    release = base.extras.get("argo_rollouts")
    r = cfg.app.rollout
    if cfg.is_local or r.strategy == "rolling" or not isinstance(release, pulumi.Resource):
        return None
    a = r.analysis
    return RolloutSpec(strategy=r.strategy, canary_steps=r.canary_steps, step_pause_seconds=r.step_pause_seconds,
                       max_error_ratio=a.max_error_ratio, max_p99_seconds=a.max_p99_seconds,
                       interval_seconds=a.interval_seconds, failure_limit=a.failure_limit,
                       auto_promote_seconds=r.blue_green_auto_promote_seconds, depends_on=(release,))


def workload_provider(ctx: RegionContext, base: RegionBase) -> pulumi.ProviderResource | None:
    """The cluster's provider, or in GitOps mode a provider that only writes YAML for Argo CD."""
    cfg = ctx.cfg
    if cfg.app.delivery != "gitops" or cfg.is_local:
        return base.k8s_provider
    return k8s.Provider(f"{cfg.environment}-{ctx.name}-gitops-render", render_yaml_to_directory=render_path(
        cfg.delivery.argo.path_root, cfg.stack, ctx.name), opts=pulumi.ResourceOptions(parent=ctx.parent))


def _rollouts_release(ctx: RegionContext, base: RegionBase) -> k8s.helm.v3.Release:
    cfg = ctx.cfg
    return k8s.helm.v3.Release(
        f"{cfg.environment}-{ctx.name}-argo-rollouts", name="argo-rollouts", chart="argo-rollouts",
        version=cfg.delivery.argo.argo_rollouts_chart, repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=ARGO_REPO),
        namespace=ARGO_ROLLOUTS_NAMESPACE, create_namespace=True, atomic=True, cleanup_on_fail=True, timeout=600,
        max_history=5,
        values=with_images("argo-rollouts", {"installCRDs": True, "controller": {"replicas": 2},
                                             "dashboard": {"enabled": False}},
                           base_mirror(cfg, ctx.name, base)),
        opts=pulumi.ResourceOptions(parent=ctx.parent, provider=base.k8s_provider))


def deploy_runner_region(cfg: PlatformConfig) -> str | None:
    """Region whose runner runs `pulumi up` of the whole stack: the first region (deploy.yml's
    `codebuild-<project>-<env>-<first region short>-runner`, the build's push region too)."""
    if cfg.is_local or not cfg.delivery.runners.enabled or not cfg.regions:
        return None
    return cfg.regions[0].name


def ci_path_hook(cfg: PlatformConfig, runner_network: dict[str, Network],
                 domain_peerings: DomainPeerings) -> CiPathHook | None:
    """The hook `build_base` calls for each region after its cluster: for every region but the
    runner's, a `CiPeering` (components/ci_peering.py) from the runner's `ci` subnets to that
    cluster's subnets. Regions are built in config order, so the runner region's network exists
    when the others are built; `runner_network` receives it from the hook's first call.

    Returns what the cluster's Kubernetes provider must wait for: the CI path (its routes, SG rules
    and, where no domain peering exists, its connection) and, where the domain peering is reused,
    that peering's routes in this region's private tables (the replies to the runner). The domain
    peering must therefore already exist: `domain_peerings.add` runs for this region first."""
    runner = deploy_runner_region(cfg)
    if runner is None or len(cfg.regions) < 2:
        return None
    plan = {p.region: p for p in ci_peer_plan(runner, {r.name: r.cidr for r in cfg.regions}, domain_peerings.pairs)}

    def hook(ctx: RegionContext, network: Network, eks: EksCluster) -> list[pulumi.Resource]:
        if ctx.name == runner:
            runner_network[runner] = network
            return []
        source = runner_network.get(runner)
        if source is None:
            raise ValueError(f"the deploy runner region {runner} must be built before {ctx.name}")
        domain = domain_peerings.between(runner, ctx.name) if plan[ctx.name].reuse_domain_peering else None
        if plan[ctx.name].reuse_domain_peering and domain is None:
            raise ValueError(f"the domain peering {runner} <-> {ctx.name} must be built before its CI path")
        name = f"{cfg.environment}-ci-peer-{short_region(runner)}-{short_region(ctx.name)}"
        path = CiPeering(name, CiPeeringArgs(
            runner_region=runner, runner_vpc_id=source.vpc_id, runner_subnet_cidrs=source.plan.tier(CI.name),
            runner_route_table_ids=list(source.ci_route_table_ids), peer_region=ctx.name,
            peer_vpc_id=network.vpc_id, peer_cluster_subnet_cidrs=network.plan.tier(PRIVATE.name),
            peer_route_table_ids=list(network.private_route_table_ids),
            peer_cluster_security_group_id=eks.cluster_security_group_id,
            domain_connection_id=domain.accepter_id if domain is not None else None,
            tags={**ctx.tags, "Name": name}), opts=ctx.opts())
        return [path, *(domain.routes[ctx.name] if domain is not None else [])]

    return hook


def build_region_delivery(ctx: RegionContext, base: RegionBase) -> dict[str, Any]:
    """Runner and Rollouts controller of one region; exports them and the registry `build_base`
    made before the cluster's provider (stacks/compose/registry.py)."""
    cfg = ctx.cfg
    d = cfg.delivery
    names = base_names(cfg, ctx.name)
    account = base_account(base)
    out: dict[str, Any] = {}
    registry = base.extras.get("registry")
    if isinstance(registry, Registry):
        out["registry"] = registry.host
    # Only in the region's own `ci` subnets (NAT egress, C45); never the node subnets, never none.
    if d.runners.enabled and account is not None and base.ci_subnet_ids:
        runner = GitHubRunner(f"{names.resource_prefix}-ci", RunnerArgs(
            region=ctx.name, account_id=account, name_prefix=names.physical_prefix, repository=d.github.repository,
            vpc_id=base.vpc_id, subnet_ids=base.ci_subnet_ids,
            cluster_security_group_id=base.cluster_security_group_id, compute_type=d.runners.compute_type,
            image=d.runners.image, build_timeout_minutes=d.runners.build_timeout_minutes,
            log_retention_days=cfg.cluster.log_retention_days if cfg.cluster else 90,
            log_key_arn=base.extras.get("logs_key_arn"),
            connection_arn=d.runners.connection_arn), opts=ctx.opts())
        out["runner_project"] = runner.project_name
    if base.k8s_provider is not None and cfg.app.rollout.strategy != "rolling":
        base.extras["argo_rollouts"] = _rollouts_release(ctx, base)
    return out


def deploy_environment(cfg: PlatformConfig) -> str:
    """GitHub environment of this stack's deploy job (the workflows name prod's `production`)."""
    return cfg.delivery.github.deploy_environment or ("production" if cfg.environment == "prod" else cfg.environment)


def build_github_roles(cfg: PlatformConfig, provider: pulumi.ProviderResource | None,
                       account_id: str | None) -> dict[str, Any]:
    """The OIDC provider and the deploy/push roles (IAM is global: once per stack). The deploy
    role takes the name of `cluster.ci_role_arn`, the role the clusters' access entry trusts."""
    if cfg.is_local or account_id is None:
        return {}
    g = cfg.delivery.github
    ci_arn = cfg.cluster.ci_role_arn if cfg.cluster else None
    prefix = f"{cfg.project}-{cfg.environment}"
    roles = GitHubRoles(f"{cfg.environment}-github", GitHubRolesArgs(
        account_id=account_id, repository=g.repository, name_prefix=prefix,
        deploy_role_name=ci_arn.split("/")[-1] if ci_arn else f"{prefix}-github-deploy",
        deploy_environment=deploy_environment(cfg), build_environment=g.build_environment,
        registry_regions=list(cfg.region_names), repositories=cfg.delivery.registry.repositories,
        create_provider=g.create_oidc_provider),
        opts=pulumi.ResourceOptions(providers={"aws": provider} if provider is not None else None))
    return {"deploy_role_arn": roles.deploy_role_arn, "push_role_arn": roles.push_role_arn,
            "deploy_environment": deploy_environment(cfg)}


def build_gitops(ctx: RegionContext, base: RegionBase, data: RegionData) -> dict[str, Any]:
    """Argo CD with one Application for this environment and region; notifications through
    SQS and an EventBridge Pipe to the region's alert topic."""
    cfg = ctx.cfg
    if cfg.app.delivery != "gitops" or base.k8s_provider is None or not isinstance(base.pod_identity,
                                                                                   PodIdentityFactory):
        return {}
    names = base_names(cfg, ctx.name)
    prefix = names.resource_prefix
    queue = aws.sqs.Queue(f"{prefix}-argocd-notifications", region=ctx.name,
                          name=f"{names.physical_prefix}-argocd-notifications", sqs_managed_sse_enabled=True,
                          message_retention_seconds=4 * 24 * 3600, opts=ctx.opts())
    sender = base.pod_identity.role(
        "argocd-notifications", "argocd", NOTIFICATIONS_SA,
        queue.arn.apply(lambda arn: json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": ["sqs:SendMessage", "sqs:GetQueueUrl"], "Resource": arn}]})))
    if data.alert_topic_arn is not None:
        pipe_role = aws.iam.Role(f"{prefix}-argocd-pipe-role", name=f"{names.physical_prefix}-argocd-pipe",
                                 assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": [{
                                     "Effect": "Allow", "Action": "sts:AssumeRole",
                                     "Principal": {"Service": "pipes.amazonaws.com"}}]}), opts=ctx.opts())
        grant = aws.iam.RolePolicy(f"{prefix}-argocd-pipe-policy", role=pipe_role.id, opts=ctx.opts(),
                                   policy=pulumi.Output.all(queue.arn, data.alert_topic_arn).apply(
                                       lambda v: json.dumps({"Version": "2012-10-17", "Statement": [
                                           {"Effect": "Allow", "Resource": v[0], "Action": [
                                               "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"]},
                                           {"Effect": "Allow", "Action": "sns:Publish", "Resource": v[1]},
                                           {"Effect": "Allow", "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
                                            "Resource": f"arn:aws:kms:{ctx.name}:{base.extras.get('account_id')}:key/*",
                                            "Condition": {"StringEquals": {
                                                "kms:ViaService": f"sns.{ctx.name}.amazonaws.com"}}}]})))
        aws.pipes.Pipe(f"{prefix}-argocd-pipe", region=ctx.name, name=f"{names.physical_prefix}-argocd",
                       role_arn=pipe_role.arn, source=queue.arn, target=data.alert_topic_arn,
                       opts=ctx.opts(depends_on=[grant]))
    argo = cfg.delivery.argo
    app_name = f"platform-{cfg.environment}-{ctx.name}"
    ArgoCd(f"{prefix}-gitops", chart_version=argo.argo_cd_chart,
           values=with_images("argo-cd", argocd_values(None, None, ctx.name,
                                                       f"{names.physical_prefix}-argocd-notifications"),
                              base_mirror(cfg, ctx.name, base)),
           app_name=app_name,
           application=application_spec(argo.repo_url, argo.target_revision,
                                        render_path(argo.path_root, cfg.stack, ctx.name)),
           queue_name=f"{names.physical_prefix}-argocd-notifications", depends_on=[sender],
           opts=pulumi.ResourceOptions(parent=ctx.parent, provider=base.k8s_provider))
    return {"argocd_application": app_name, "gitops_path": render_path(argo.path_root, cfg.stack, ctx.name)}
