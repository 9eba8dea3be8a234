"""GitOps mode: Argo CD on each cluster syncs the manifests `pulumi up` rendered for its region.

`app.delivery: gitops` renders the workload (the same `app/` code) into
deploy/gitops/<stack>/<region>/ with the Kubernetes provider's `renderYamlToDirectory`; the
deploy workflow commits that tree, and one Application per environment and region applies it
with automated sync, self-heal and prune (https://argo-cd.readthedocs.io/en/stable/user-guide/auto_sync/).
Sync failures, degraded health and finished deploys are sent to an SQS queue (Argo CD's
`awssqs` notification service) that an EventBridge Pipe forwards to the region's alert topic:
Argo CD has no SNS service of its own.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from app.names import PLATFORM_CORE

ARGOCD_NAMESPACE = "argocd"
ARGO_REPO = "https://argoproj.github.io/argo-helm"
NOTIFICATIONS_SA = "argocd-notifications-controller"
TRIGGERS = ("on-sync-failed", "on-health-degraded", "on-deployed")


def render_path(root: str, stack: str, region: str) -> str:
    """Where `pulumi up` writes (and Argo CD reads) one region's manifests."""
    return f"{root}/{stack}/{region}"


def application_spec(repo_url: str, revision: str, path: str) -> dict[str, Any]:
    return {
        "project": "default",
        "source": {"repoURL": repo_url, "targetRevision": revision, "path": path, "directory": {"recurse": True}},
        "destination": {"server": "https://kubernetes.default.svc", "namespace": PLATFORM_CORE},
        # The HPA owns the replicas of the api Rollout and the worker (KEDA): self-heal leaves them.
        "ignoreDifferences": [
            {"group": "argoproj.io", "kind": "Rollout", "jsonPointers": ["/spec/replicas"]},
            {"group": "apps", "kind": "Deployment", "name": "worker", "jsonPointers": ["/spec/replicas"]},
        ],
        "syncPolicy": {
            "automated": {"prune": True, "selfHeal": True},
            # The CRD directory is rendered apart (0-crd/); server-side apply keeps fields other
            # controllers own (HPA replicas, Rollouts' selector hash) out of the diff.
            "syncOptions": ["ServerSideApply=true", "PruneLast=true", "RespectIgnoreDifferences=true"],
            "retry": {"limit": 5, "backoff": {"duration": "10s", "factor": 2, "maxDuration": "5m"}},
        },
    }


def notification_values(region: str, queue_name: str) -> dict[str, Any]:
    """The chart's `notifications` block: the SQS service and three triggers with their messages."""
    def template(text: str) -> str:
        return f"message: |\n  {text}\n"

    def trigger(condition: str, send: str) -> str:
        return f"- when: {condition}\n  send: [{send}]\n"

    return {
        "enabled": True,
        "notifiers": {"service.awssqs": f"region: {region}\nqueue: {queue_name}\n"},
        "templates": {
            "template.app-sync-failed": template(
                "Argo CD: {{.app.metadata.name}} sync failed at {{.app.status.operationState.finishedAt}}: "
                "{{.app.status.operationState.message}}"),
            "template.app-health-degraded": template(
                "Argo CD: {{.app.metadata.name}} is {{.app.status.health.status}}"),
            "template.app-deployed": template(
                "Argo CD: {{.app.metadata.name}} synced revision {{.app.status.sync.revision}}"),
        },
        "triggers": {
            "trigger.on-sync-failed": trigger("app.status.operationState != nil and "
                                              "app.status.operationState.phase in ['Error', 'Failed']",
                                              "app-sync-failed"),
            "trigger.on-health-degraded": trigger("app.status.health.status == 'Degraded'", "app-health-degraded"),
            "trigger.on-deployed": trigger("app.status.operationState != nil and "
                                           "app.status.operationState.phase in ['Succeeded'] and "
                                           "app.status.health.status == 'Healthy'", "app-deployed"),
        },
    }


def subscriptions(queue_name: str) -> dict[str, str]:
    return {f"notifications.argoproj.io/subscribe.{t}.awssqs": queue_name for t in TRIGGERS}


def argocd_values(image_repository: str | None, redis_repository: str | None, region: str,
                  queue_name: str) -> dict[str, Any]:
    values: dict[str, Any] = {
        "dex": {"enabled": False},
        "configs": {"params": {"server.insecure": False}},
        "server": {"service": {"type": "ClusterIP"}},
        "notifications": notification_values(region, queue_name),
    }
    if image_repository:
        values["global"] = {"image": {"repository": image_repository}}
    if redis_repository:
        values["redis"] = {"image": {"repository": redis_repository}}
    return values


class ArgoCd(pulumi.ComponentResource):
    """Argo CD (pinned chart) and the one Application of this environment and region."""

    release: k8s.helm.v3.Release

    def __init__(self, name: str, *, chart_version: str, values: dict[str, Any], app_name: str,
                 application: dict[str, Any], queue_name: str, depends_on: list[pulumi.Resource],
                 opts: pulumi.ResourceOptions | None = None):
        super().__init__("agentic:app:ArgoCd", name, {}, opts)
        child = pulumi.ResourceOptions(parent=self, depends_on=depends_on)
        self.release = k8s.helm.v3.Release(
            f"{name}-argocd", name="argocd", chart="argo-cd", version=chart_version,
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=ARGO_REPO), namespace=ARGOCD_NAMESPACE,
            create_namespace=True, values=values, atomic=True, cleanup_on_fail=True, timeout=900, max_history=5,
            opts=child)
        k8s.apiextensions.CustomResource(
            f"{name}-application", api_version="argoproj.io/v1alpha1", kind="Application",
            metadata={"name": app_name, "namespace": ARGOCD_NAMESPACE,
                      "finalizers": ["resources-finalizer.argocd.argoproj.io"],
                      "annotations": subscriptions(queue_name)},
            spec=application, opts=pulumi.ResourceOptions(parent=self, depends_on=[self.release]))
        self.register_outputs({})
