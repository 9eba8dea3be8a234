"""`PlatformWorkload`: everything the platform runs on one cluster, in dependency order.

namespaces -> ConfigMaps + secrets -> service accounts -> migration Job -> Deployments ->
Services/Ingress -> autoscaling, disruption budgets, monitors; NetworkPolicies beside them.
The same component runs on an EKS region (External Secrets, ALB, KEDA) and on a laptop
cluster (plain Secret, port-forward, fixed worker count): `WorkloadArgs` says which.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence

import pulumi
import pulumi_kubernetes as k8s

from app import autoscaling, config_maps, deployments, external_secrets, ingress, jobs, monitors, rollout
from app import network_policies as netpol
from app.args import (
    AddonSupport,
    ExternalSecretsSource,
    InClusterSecrets,
    IngressSpec,
    McpServer,
    NetworkSpec,
    QueueSpec,
    ResourceSpec,
    ScalingSpec,
    WorkloadArgs,
)
from app.local_stores import LocalStores
from app.names import HTTP_PORT, SHARED_SERVICES
from app.namespaces import platform_namespaces

__all__ = ["AddonSupport", "ExternalSecretsSource", "InClusterSecrets", "IngressSpec", "McpServer", "NetworkSpec",
           "PlatformWorkload", "QueueSpec", "ResourceSpec", "ScalingSpec", "WorkloadArgs", "config_checksum"]


def checksum(doc: Mapping[str, object]) -> str:
    return hashlib.sha256(json.dumps(doc, sort_keys=True, default=str).encode()).hexdigest()[:16]


def config_checksum(args: WorkloadArgs) -> pulumi.Output[str]:
    """Hash of every ConfigMap's data: pods roll when their configuration changes."""
    static = {"mcp": config_maps.mcp_config(args.mcp_servers, args.mcp_server_path),
              "logging": config_maps.logging_config(args.log_level)}
    return pulumi.Output.all(**config_maps.app_settings(args.settings)).apply(
        lambda settings: checksum({**static, "settings": settings}))


def mcp_with_available_secrets(args: WorkloadArgs) -> list[McpServer]:
    """Each MCP server's configured secrets that `platform-secrets` holds here (a key the stack
    has no value for would keep the pod from starting: dropped, with a warning)."""
    available = set(external_secrets.secret_keys(args.secrets))
    out: list[McpServer] = []
    for s in config_maps.mcp_servers(args.mcp_servers):
        missing = sorted(set(s.secrets) - available)
        if missing:
            pulumi.log.warn(f"MCP server '{s.name}': no secret {', '.join(missing)} here; not mounted")
        out.append(McpServer(name=s.name, secrets=tuple(k for k in s.secrets if k in available)))
    return out


class PlatformWorkload(pulumi.ComponentResource):
    """api + worker with their config, secrets, jobs, ingress, scaling and network policies."""

    namespaces: dict[str, pulumi.Output[str]]
    namespace_resources: dict[str, k8s.core.v1.Namespace]
    api: k8s.apps.v1.Deployment
    worker: k8s.apps.v1.Deployment
    migration: k8s.batch.v1.Job | None
    """None where the cell's database is a read-only secondary (`WorkloadArgs.migrations`)."""
    ingress: k8s.networking.v1.Ingress | None
    ingress_hostname: pulumi.Output[str] | None

    def __init__(self, name: str, args: WorkloadArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("agentic:app:PlatformWorkload", name, {"location": args.location}, opts)
        child = pulumi.ResourceOptions(parent=self, provider=args.k8s_provider)
        env = args.environment

        home = args.namespace
        own_namespaces = (home, SHARED_SERVICES) if args.shared_namespace else (home,)
        ns = platform_namespaces(name, env, args.namespace_annotations, child, namespaces=own_namespaces,
                                 cell_labels=args.cell_labels)
        self.namespace_resources = ns
        self.namespaces = {k: v.metadata.apply(lambda m: str(m.name)) for k, v in ns.items()}
        in_ns = pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=list(ns.values())))

        netpol.default_deny(name, env, own_namespaces, in_ns)
        netpol.platform_allows(name, env, args.network, args.worker_metrics_port, in_ns, namespace=home)

        cms = config_maps.config_maps(name, env, settings=args.settings, servers=args.mcp_servers,
                                      server_path=args.mcp_server_path,
                                      log_level=args.log_level, opts=in_ns, namespace=home)
        secret = external_secrets.app_secret(name, env, args.secrets, in_ns, namespace=home)
        cfg_hash = config_checksum(args)
        mcp = mcp_with_available_secrets(args)

        sas = [deployments.service_account(name, c, env, in_ns, namespace=home) for c in ("api", "worker")]
        sas.append(jobs.jobs_service_account(name, env, in_ns, namespace=home))
        stores: list[pulumi.Resource] = []
        if args.local_stores is not None:
            stores = LocalStores(f"{name}-stores", args.local_stores, opts=pulumi.ResourceOptions.merge(
                in_ns, pulumi.ResourceOptions(depends_on=list(ns.values())))).resources
        ready = [*cms.values(), *secret, *sas, *stores, *args.depends_on]
        ready_opts = pulumi.ResourceOptions.merge(in_ns, pulumi.ResourceOptions(depends_on=ready))

        self.migration = None
        after_migration = ready_opts
        if args.migrations:
            self.migration = jobs.migration_job(name, environment=env, image=args.image, tag=args.tag,
                                                digest=args.digest, spec=args.worker_resources, opts=ready_opts,
                                                namespace=home, role_arn=args.jobs_role_arn)
            after_migration = pulumi.ResourceOptions.merge(
                ready_opts, pulumi.ResourceOptions(depends_on=[self.migration]))
            jobs.admin_bootstrap_job(name, environment=env, image=args.image, tag=args.tag, digest=args.digest,
                                     spec=args.worker_resources, namespace=home, role_arn=args.jobs_role_arn,
                                     opts=after_migration)
        if args.local_stores is not None and args.seed_tenants:
            jobs.seed_job(name, args.seed_tenants, environment=env, image=args.image, tag=args.tag,
                          spec=args.worker_resources, opts=after_migration)
        s = args.scaling
        # With Argo Rollouts the Deployment only holds the pod template (replicas 0, owned here,
        # not by the HPA); the Rollout runs the pods (app/rollout.py).
        rolled = args.rollout is not None
        self.api = deployments.deployment(
            name, "api", environment=env, image=args.image, tag=args.tag, digest=args.digest,
            replicas=0 if rolled else s.api_replicas,
            spec=args.api_resources, ports=[("http", HTTP_PORT)], grace_seconds=deployments.API_GRACE_SECONDS,
            command=None, config_checksum=cfg_hash, role_arn=args.api_role_arn,
            strict_spread=args.strict_zone_spread, autoscaled=not rolled,
            pre_stop_sleep=deployments.API_PRE_STOP_SECONDS, opts=after_migration, namespace=home, mcp_servers=mcp)
        self.worker = deployments.deployment(
            name, "worker", environment=env, image=args.image, tag=args.tag, digest=args.digest,
            replicas=s.worker_replicas,
            spec=args.worker_resources, ports=[("http", HTTP_PORT), ("metrics", args.worker_metrics_port)],
            grace_seconds=args.worker_grace_seconds, command=args.worker_command,
            config_checksum=cfg_hash, role_arn=args.worker_role_arn, strict_spread=False,
            autoscaled=args.addons.keda and args.queue is not None, pre_stop_sleep=None, opts=after_migration,
            namespace=home, mcp_servers=mcp)

        lb_deps = list(args.ingress.depends_on) if args.ingress else []
        svc_opts = pulumi.ResourceOptions.merge(in_ns, pulumi.ResourceOptions(depends_on=lb_deps))
        ingress.services(name, env, args.worker_metrics_port, svc_opts, namespace=home)
        self.ingress = None
        self.ingress_hostname = None
        if args.ingress is not None:
            self.ingress = ingress.api_ingress(name, env, args.ingress,
                                               pulumi.ResourceOptions.merge(in_ns, pulumi.ResourceOptions(
                                                   depends_on=[self.api])), namespace=home)
            self.ingress_hostname = ingress.ingress_hostname(self.ingress)

        scale_opts = pulumi.ResourceOptions.merge(in_ns, pulumi.ResourceOptions(depends_on=[self.api, self.worker]))
        hpa_target = ("apps/v1", "Deployment")
        if args.rollout is not None:
            rollout.api_rollout(name, env, args.rollout, s.api_replicas, scale_opts, namespace=home)
            hpa_target = (rollout.ROLLOUTS_API, "Rollout")
        crd_opts = pulumi.ResourceOptions.merge(
            scale_opts, pulumi.ResourceOptions(depends_on=list(args.addons.depends_on)))
        self._name, self._env, self._monitor_opts, self._namespace = name, env, scale_opts, home
        self._monitor_labels = dict(args.addons.monitor_labels)
        self.service_monitors: list[pulumi.Resource] = []
        if args.addons.keda and args.addons.prometheus_url and s.api_requests_per_second > 0:
            autoscaling.api_scaler(name, env, s, args.addons.prometheus_url, crd_opts, target=hpa_target,
                                   namespace=home)
        else:
            autoscaling.api_hpa(name, env, s, scale_opts, hpa_target, namespace=home)
        autoscaling.disruption_budget(name, "api", env, s.api_min_replicas, scale_opts, namespace=home)
        autoscaling.disruption_budget(name, "worker", env, s.worker_replicas, scale_opts, namespace=home)
        if args.addons.keda and args.queue is not None:
            autoscaling.worker_scaler(name, env, s, args.queue, crd_opts, namespace=home)
        if args.addons.vpa:
            for component in ("api", "worker"):
                autoscaling.recommender(name, component, env, crd_opts, namespace=home)
        if args.addons.prometheus_operator:
            self.attach_service_monitors([])

        self.register_outputs({
            "namespaces": self.namespaces,
            "ingress_hostname": self.ingress_hostname,
            "platform_namespace": home,
        })

    def attach_service_monitors(self, depends_on: Sequence[pulumi.Resource]) -> list[pulumi.Resource]:
        """Create the api/worker ServiceMonitors once the Prometheus operator (its CRDs) exists.

        Called by whoever installs the operator later in the same program (the observability
        layer), with the operator's release in `depends_on`; idempotent per workload.
        """
        if not self.service_monitors:
            opts = pulumi.ResourceOptions.merge(self._monitor_opts, pulumi.ResourceOptions(depends_on=list(depends_on)))
            self.service_monitors = list(monitors.service_monitors(self._name, self._env, self._monitor_labels, opts,
                                                                   namespace=self._namespace))
        return self.service_monitors
