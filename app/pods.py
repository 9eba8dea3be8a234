"""The container and pod shape shared by the api, the worker and the Jobs.

One place decides probes, security context, env sources and writable mounts so the Jobs run
with exactly the image, settings and secrets the Deployments get.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from app.args import McpServer, ResourceSpec
from app.config_maps import LOGGING_CONFIG_DIR, MCP_CONFIG_DIR, mcp_secrets_dir
from app.names import APP_SECRET, HTTP_PORT, LIVE_PATH, READY_PATH, SECRETS_DIR
from app.security import container_security, pod_security


@dataclass(frozen=True)
class HttpProbe:
    path: str
    port: int
    period_seconds: int
    initial_delay_seconds: int | None = None
    failure_threshold: int = 3
    timeout_seconds: int = 3

    def args(self) -> k8s.core.v1.ProbeArgs:
        return k8s.core.v1.ProbeArgs(
            http_get=k8s.core.v1.HTTPGetActionArgs(path=self.path, port=self.port),
            initial_delay_seconds=self.initial_delay_seconds,
            period_seconds=self.period_seconds,
            timeout_seconds=self.timeout_seconds,
            failure_threshold=self.failure_threshold,
        )


# The deployment guide's probes, verbatim (Readiness/Liveness Probes).
LIVENESS = HttpProbe(LIVE_PATH, HTTP_PORT, period_seconds=10, initial_delay_seconds=30)
READINESS = HttpProbe(READY_PATH, HTTP_PORT, period_seconds=5, initial_delay_seconds=10)
STARTUP = HttpProbe(LIVE_PATH, HTTP_PORT, period_seconds=5, failure_threshold=30)
"""Up to 150 s to start (schema checks, model clients) before liveness may restart the pod."""


def resources(spec: ResourceSpec) -> k8s.core.v1.ResourceRequirementsArgs:
    return k8s.core.v1.ResourceRequirementsArgs(
        requests={"cpu": spec.cpu_request, "memory": spec.memory_request},
        limits={"cpu": spec.cpu_limit, "memory": spec.memory_limit},
    )


def env_from() -> list[k8s.core.v1.EnvFromSourceArgs]:
    """Settings (never secrets) from the ConfigMap. Secrets are files under SECRETS_DIR, not
    environment variables: the environment leaks into child processes (every MCP server
    subprocess), crash dumps and `/proc/<pid>/environ`; a mounted file is read only by whoever
    opens it, and rotates in place when External Secrets refreshes the Secret."""
    return [
        k8s.core.v1.EnvFromSourceArgs(config_map_ref=k8s.core.v1.ConfigMapEnvSourceArgs(name="app-settings")),
    ]


def downward_env(component: str) -> list[k8s.core.v1.EnvVarArgs]:
    def field(path: str) -> k8s.core.v1.EnvVarSourceArgs:
        return k8s.core.v1.EnvVarSourceArgs(field_ref=k8s.core.v1.ObjectFieldSelectorArgs(field_path=path))
    return [
        k8s.core.v1.EnvVarArgs(name="POD_NAME", value_from=field("metadata.name")),
        k8s.core.v1.EnvVarArgs(name="POD_NAMESPACE", value_from=field("metadata.namespace")),
        k8s.core.v1.EnvVarArgs(name="SERVICE_NAME", value=component),
        k8s.core.v1.EnvVarArgs(name="OTEL_SERVICE_NAME", value=component),
        # Where each secret is a file named after its key (the secrets volume below).
        k8s.core.v1.EnvVarArgs(name="SECRETS_DIR", value=SECRETS_DIR),
    ]


def volumes() -> list[k8s.core.v1.VolumeArgs]:
    return [
        k8s.core.v1.VolumeArgs(name="tmp", empty_dir=k8s.core.v1.EmptyDirVolumeSourceArgs(size_limit="1Gi")),
        k8s.core.v1.VolumeArgs(name="mcp-servers",
                               config_map=k8s.core.v1.ConfigMapVolumeSourceArgs(name="mcp-servers")),
        k8s.core.v1.VolumeArgs(name="logging", config_map=k8s.core.v1.ConfigMapVolumeSourceArgs(name="logging")),
        # 0440 with the pod's fsGroup: the app's group reads them, nobody writes them.
        k8s.core.v1.VolumeArgs(name="secrets", secret=k8s.core.v1.SecretVolumeSourceArgs(
            secret_name=APP_SECRET, default_mode=0o440)),
    ]


def volume_mounts() -> list[k8s.core.v1.VolumeMountArgs]:
    """The root filesystem is read-only: /tmp is the only writable path."""
    return [
        k8s.core.v1.VolumeMountArgs(name="tmp", mount_path="/tmp"),
        k8s.core.v1.VolumeMountArgs(name="mcp-servers", mount_path=MCP_CONFIG_DIR, read_only=True),
        k8s.core.v1.VolumeMountArgs(name="logging", mount_path=LOGGING_CONFIG_DIR, read_only=True),
        k8s.core.v1.VolumeMountArgs(name="secrets", mount_path=SECRETS_DIR, read_only=True),
    ]


def mcp_secret_volumes(servers: Sequence[McpServer]) -> tuple[list[k8s.core.v1.VolumeArgs],
                                                                list[k8s.core.v1.VolumeMountArgs]]:
    """One volume per MCP server with secrets: `platform-secrets` projected down to exactly the
    keys the server's config lists, mounted read-only in its own directory."""
    vols, mounts = [], []
    for s in servers:
        if not s.secrets:
            continue
        vol = f"mcp-{s.name}-secrets"
        vols.append(k8s.core.v1.VolumeArgs(name=vol, secret=k8s.core.v1.SecretVolumeSourceArgs(
            secret_name=APP_SECRET, default_mode=0o440,
            items=[k8s.core.v1.KeyToPathArgs(key=k, path=k) for k in sorted(s.secrets)])))
        mounts.append(k8s.core.v1.VolumeMountArgs(name=vol, mount_path=mcp_secrets_dir(s.name), read_only=True))
    return vols, mounts


def image_ref(image: str, tag: str, digest: str | None = None) -> str:
    """`image:tag`, or `image:tag@sha256:...` when the digest is known: the runtime pulls by
    digest (the tag stays for people reading the manifest)."""
    return f"{image}:{tag}@{digest}" if digest else f"{image}:{tag}"


def container(name: str, image: str, spec: ResourceSpec, *, command: Sequence[str] | None = None,
              ports: Sequence[tuple[str, int]] = (), with_probes: bool = True,
              pre_stop_sleep: int | None = None,
              extra_env: Sequence[k8s.core.v1.EnvVarArgs] = (),
              extra_mounts: Sequence[k8s.core.v1.VolumeMountArgs] = ()) -> k8s.core.v1.ContainerArgs:
    return k8s.core.v1.ContainerArgs(
        name=name,
        image=image,
        image_pull_policy="IfNotPresent",
        command=list(command) if command else None,
        ports=[k8s.core.v1.ContainerPortArgs(name=p, container_port=n, protocol="TCP") for p, n in ports] or None,
        env=[*downward_env(name), *extra_env],
        env_from=env_from(),
        resources=resources(spec),
        security_context=container_security(),
        volume_mounts=[*volume_mounts(), *extra_mounts],
        lifecycle=k8s.core.v1.LifecycleArgs(pre_stop=k8s.core.v1.LifecycleHandlerArgs(
            sleep=k8s.core.v1.SleepActionArgs(seconds=pre_stop_sleep))) if pre_stop_sleep else None,
        liveness_probe=LIVENESS.args() if with_probes else None,
        readiness_probe=READINESS.args() if with_probes else None,
        startup_probe=STARTUP.args() if with_probes else None,
    )


def pod_annotations(config_checksum: pulumi.Input[str],
                    role_arn: pulumi.Input[str] | None) -> dict[str, pulumi.Input[str]]:
    """A config change (checksum) or a new IAM role rolls the pods; nothing else hides here."""
    out: dict[str, pulumi.Input[str]] = {"agentic.io/config-checksum": config_checksum}
    if role_arn is not None:
        out["agentic.io/iam-role-arn"] = role_arn
    return out


def pod_spec(containers: list[k8s.core.v1.ContainerArgs], service_account: str, *,
             grace_seconds: int, restart_policy: str = "Always", aws_identity: bool = False,
             spread: list[k8s.core.v1.TopologySpreadConstraintArgs] | None = None,
             extra_volumes: Sequence[k8s.core.v1.VolumeArgs] = ()) -> k8s.core.v1.PodSpecArgs:
    return k8s.core.v1.PodSpecArgs(
        service_account_name=service_account,
        # EKS Pod Identity reads the projected service account token; pods without an AWS role
        # get no token at all (they never talk to the Kubernetes API).
        automount_service_account_token=aws_identity,
        enable_service_links=False,
        security_context=pod_security(),
        containers=containers,
        volumes=[*volumes(), *extra_volumes],
        restart_policy=restart_policy,
        termination_grace_period_seconds=grace_seconds,
        topology_spread_constraints=spread,
    )


def zone_spread(component: str, strict: bool) -> list[k8s.core.v1.TopologySpreadConstraintArgs]:
    """Spread across zones (hard on multi-AZ clusters), and across nodes as a preference."""
    sel = k8s.meta.v1.LabelSelectorArgs(match_labels={"app": component})
    return [
        k8s.core.v1.TopologySpreadConstraintArgs(
            max_skew=1, topology_key="topology.kubernetes.io/zone",
            when_unsatisfiable="DoNotSchedule" if strict else "ScheduleAnyway", label_selector=sel),
        k8s.core.v1.TopologySpreadConstraintArgs(
            max_skew=1, topology_key="kubernetes.io/hostname",
            when_unsatisfiable="ScheduleAnyway", label_selector=sel),
    ]
