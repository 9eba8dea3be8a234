"""The api and worker Deployments and their ServiceAccounts (deployment guide: Deployment Strategy).

Both wait for the migration Job of their image tag, so a new tag migrates the schema before any
new pod serves. Replicas are set once and then owned by the HPA / KEDA (`ignore_changes`),
otherwise every `pulumi up` would reset a scaled-out deployment to its initial size.
"""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_kubernetes as k8s

from app.args import McpServer, ResourceSpec
from app.names import PLATFORM_CORE, labels, selector
from app.pods import container, image_ref, mcp_secret_volumes, pod_annotations, pod_spec, zone_spread

MAX_UNAVAILABLE = "25%"
MAX_SURGE = "25%"
API_GRACE_SECONDS = 60
API_PRE_STOP_SECONDS = 15
"""The ALB keeps sending to a terminating pod until deregistration completes; wait it out."""


def service_account(prefix: str, name: str, environment: str,
                    opts: pulumi.ResourceOptions, *, namespace: str = PLATFORM_CORE) -> k8s.core.v1.ServiceAccount:
    """A dedicated identity per component: Pod Identity binds an IAM role to exactly this one."""
    return k8s.core.v1.ServiceAccount(
        f"{prefix}-sa-{name}",
        metadata=k8s.meta.v1.ObjectMetaArgs(name=name, namespace=namespace, labels=labels(name, environment)),
        automount_service_account_token=False,
        opts=opts,
    )


def deployment(prefix: str, component: str, *, environment: str, image: str, tag: str, replicas: int,
               spec: ResourceSpec, ports: Sequence[tuple[str, int]], grace_seconds: int,
               command: Sequence[str] | None, config_checksum: pulumi.Input[str], role_arn: pulumi.Input[str] | None,
               strict_spread: bool, autoscaled: bool, pre_stop_sleep: int | None,
               opts: pulumi.ResourceOptions, digest: str | None = None,
               namespace: str = PLATFORM_CORE, mcp_servers: Sequence[McpServer] = ()) -> k8s.apps.v1.Deployment:
    """`mcp_servers`: the servers this component runs, each with its own secret files only."""
    meta_labels = labels(component, environment, tag)
    mcp_volumes, mcp_mounts = mcp_secret_volumes(mcp_servers)
    extra = pulumi.ResourceOptions(ignore_changes=["spec.replicas"]) if autoscaled else None
    return k8s.apps.v1.Deployment(
        f"{prefix}-deploy-{component}",
        metadata=k8s.meta.v1.ObjectMetaArgs(name=component, namespace=namespace, labels=meta_labels),
        spec=k8s.apps.v1.DeploymentSpecArgs(
            replicas=replicas,
            revision_history_limit=10,
            progress_deadline_seconds=600,
            min_ready_seconds=5,
            selector=k8s.meta.v1.LabelSelectorArgs(match_labels=selector(component)),
            strategy=k8s.apps.v1.DeploymentStrategyArgs(
                type="RollingUpdate",
                rolling_update=k8s.apps.v1.RollingUpdateDeploymentArgs(
                    max_unavailable=MAX_UNAVAILABLE, max_surge=MAX_SURGE),
            ),
            template=k8s.core.v1.PodTemplateSpecArgs(
                metadata=k8s.meta.v1.ObjectMetaArgs(labels=meta_labels,
                                                    annotations=pod_annotations(config_checksum, role_arn)),
                spec=pod_spec(
                    [container(component, image_ref(image, tag, digest), spec, command=command, ports=ports,
                               pre_stop_sleep=pre_stop_sleep, extra_mounts=mcp_mounts)],
                    component, grace_seconds=grace_seconds, aws_identity=role_arn is not None,
                    spread=zone_spread(component, strict_spread), extra_volumes=mcp_volumes),
            ),
        ),
        opts=pulumi.ResourceOptions.merge(opts, extra),
    )

