"""PostgreSQL (pgvector image) and Redis as StatefulSets with volumes, for the local stack.

This replaces the guide's docker-compose `postgres` and `redis` services on a laptop cluster
(kind, minikube, Docker Desktop). Both run non-root with read-only root filesystems under the
namespace's `restricted` Pod Security level; data lives on PVCs of the default StorageClass.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from app.names import SHARED_SERVICES, labels, selector
from app.security import container_security, pod_security

# uid/gid of the `postgres` user in the official (and pgvector) images, and of `redis` in alpine.
POSTGRES_UID = 999
REDIS_UID = 999
REDIS_GID = 1000
DB_NAME = "agentic"
DB_USER = "agentic"
# pgvector is installed in the image but each database must enable it once; the image's entrypoint
# runs /docker-entrypoint-initdb.d/*.sql on the first start of an empty data directory
# (https://github.com/docker-library/docs/tree/master/postgres#initialization-scripts).
VECTOR_EXTENSION_SQL = "CREATE EXTENSION IF NOT EXISTS vector;\n"
INITDB_CONFIG_MAP = "postgres-initdb"


STORE_SECRETS = "/run/secrets/store"
"""Credentials of the in-cluster stores, mounted as files (never environment variables)."""


@dataclass
class LocalStoresArgs:
    environment: str
    postgres_image: str
    redis_image: str
    postgres_password: pulumi.Input[str]
    redis_password: pulumi.Input[str]
    storage_class: str | None = None
    postgres_storage: str = "5Gi"
    redis_storage: str = "1Gi"


def database_url(password: pulumi.Input[str]) -> pulumi.Output[str]:
    return pulumi.Output.secret(pulumi.Output.concat(
        "postgresql://", DB_USER, ":", password, "@postgres.", SHARED_SERVICES, ".svc.cluster.local:5432/", DB_NAME))


def redis_url(password: pulumi.Input[str]) -> pulumi.Output[str]:
    return pulumi.Output.secret(pulumi.Output.concat(
        "redis://:", password, "@redis.", SHARED_SERVICES, ".svc.cluster.local:6379/0"))


class LocalStores(pulumi.ComponentResource):
    """In-cluster Postgres and Redis with their credentials Secrets and headless Services."""

    resources: list[pulumi.Resource]

    def __init__(self, name: str, args: LocalStoresArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("agentic:app:LocalStores", name, {}, opts)
        child = pulumi.ResourceOptions(parent=self)
        env = args.environment
        self.resources = []

        pg_secret = self._secret(f"{name}-secret-postgres", "postgres-credentials", {
            "POSTGRES_USER": DB_USER, "POSTGRES_DB": DB_NAME, "POSTGRES_PASSWORD": args.postgres_password}, env, child)
        redis_secret = self._secret(f"{name}-secret-redis", "redis-credentials",
                                    {"REDIS_PASSWORD": args.redis_password}, env, child)

        initdb = k8s.core.v1.ConfigMap(
            f"{name}-cm-postgres-initdb",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=INITDB_CONFIG_MAP, namespace=SHARED_SERVICES,
                                                labels=labels("postgres", env)),
            data={"01-vector.sql": VECTOR_EXTENSION_SQL},
            opts=child,
        )
        pg = self._statefulset(
            name, "postgres", env, args.postgres_image, port=5432, storage=args.postgres_storage,
            storage_class=args.storage_class,
            uid=POSTGRES_UID, gid=POSTGRES_UID, data_path="/var/lib/postgresql/data",
            env=[k8s.core.v1.EnvVarArgs(name="PGDATA", value="/var/lib/postgresql/data/pgdata"),
                 k8s.core.v1.EnvVarArgs(name="POSTGRES_USER", value=DB_USER),
                 k8s.core.v1.EnvVarArgs(name="POSTGRES_DB", value=DB_NAME),
                 # The image reads the password from this file (no secret in the environment).
                 k8s.core.v1.EnvVarArgs(name="POSTGRES_PASSWORD_FILE", value=f"{STORE_SECRETS}/POSTGRES_PASSWORD")],
            env_secret="postgres-credentials", command=None,
            extra_writable=[("run", "/var/run/postgresql")],
            probe_cmd=["pg_isready", "-U", DB_USER, "-d", DB_NAME], child=child, depends=[pg_secret, initdb],
            init_scripts=INITDB_CONFIG_MAP)
        redis = self._statefulset(
            name, "redis", env, args.redis_image, port=6379, storage=args.redis_storage,
            storage_class=args.storage_class,
            uid=REDIS_UID, gid=REDIS_GID, data_path="/data", env=[], env_secret="redis-credentials",
            command=["sh", "-c", f'exec redis-server --requirepass "$(cat {STORE_SECRETS}/REDIS_PASSWORD)" '
                     '--appendonly yes --dir /data --protected-mode yes'],
            extra_writable=[],
            probe_cmd=["sh", "-c", f'REDISCLI_AUTH="$(cat {STORE_SECRETS}/REDIS_PASSWORD)" redis-cli ping'],
            child=child, depends=[redis_secret])
        self.resources = [pg_secret, redis_secret, initdb, *pg, *redis]
        self.register_outputs({"postgres": f"postgres.{SHARED_SERVICES}", "redis": f"redis.{SHARED_SERVICES}"})

    @staticmethod
    def _secret(logical: str, name: str, values: dict[str, pulumi.Input[str]], env: str,
                opts: pulumi.ResourceOptions) -> k8s.core.v1.Secret:
        return k8s.core.v1.Secret(
            logical,
            metadata=k8s.meta.v1.ObjectMetaArgs(name=name, namespace=SHARED_SERVICES, labels=labels("stores", env)),
            type="Opaque",
            string_data={k: pulumi.Output.secret(v) for k, v in values.items()},
            opts=opts,
        )

    @staticmethod
    def _statefulset(prefix: str, component: str, environment: str, image: str, *, port: int, storage: str,
                     storage_class: str | None, uid: int, gid: int, data_path: str,
                     env: list[k8s.core.v1.EnvVarArgs], env_secret: str, command: list[str] | None,
                     extra_writable: list[tuple[str, str]], probe_cmd: list[str],
                     child: pulumi.ResourceOptions, depends: list[pulumi.Resource],
                     init_scripts: str | None = None) -> list[pulumi.Resource]:
        meta_labels = labels(component, environment)
        service = k8s.core.v1.Service(
            f"{prefix}-svc-{component}",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=component, namespace=SHARED_SERVICES, labels=meta_labels),
            spec=k8s.core.v1.ServiceSpecArgs(
                cluster_ip="None", selector=selector(component),
                ports=[k8s.core.v1.ServicePortArgs(name=component, port=port, target_port=port, protocol="TCP")]),
            opts=child,
        )
        writable = [("tmp", "/tmp"), *extra_writable]
        probe = k8s.core.v1.ProbeArgs(exec_=k8s.core.v1.ExecActionArgs(command=probe_cmd),
                                      period_seconds=10, timeout_seconds=5, failure_threshold=6)
        sts = k8s.apps.v1.StatefulSet(
            f"{prefix}-sts-{component}",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=component, namespace=SHARED_SERVICES, labels=meta_labels),
            spec=k8s.apps.v1.StatefulSetSpecArgs(
                service_name=component,
                replicas=1,
                selector=k8s.meta.v1.LabelSelectorArgs(match_labels=selector(component)),
                template=k8s.core.v1.PodTemplateSpecArgs(
                    metadata=k8s.meta.v1.ObjectMetaArgs(labels=meta_labels),
                    spec=k8s.core.v1.PodSpecArgs(
                        automount_service_account_token=False,
                        enable_service_links=False,
                        security_context=pod_security(uid, gid),
                        termination_grace_period_seconds=30,
                        containers=[k8s.core.v1.ContainerArgs(
                            name=component,
                            image=image,
                            image_pull_policy="IfNotPresent",
                            command=command,
                            env=env or None,
                            ports=[k8s.core.v1.ContainerPortArgs(name=component, container_port=port)],
                            readiness_probe=probe,
                            liveness_probe=probe,
                            resources=k8s.core.v1.ResourceRequirementsArgs(
                                requests={"cpu": "100m", "memory": "256Mi"},
                                limits={"cpu": "1", "memory": "1Gi"}),
                            security_context=container_security(uid, gid),
                            volume_mounts=[k8s.core.v1.VolumeMountArgs(name="data", mount_path=data_path),
                                           k8s.core.v1.VolumeMountArgs(name="credentials", mount_path=STORE_SECRETS,
                                                                       read_only=True)]
                            + [k8s.core.v1.VolumeMountArgs(name=v, mount_path=path) for v, path in writable]
                            + ([k8s.core.v1.VolumeMountArgs(name="initdb", mount_path="/docker-entrypoint-initdb.d",
                                                            read_only=True)] if init_scripts else []),
                        )],
                        volumes=[k8s.core.v1.VolumeArgs(name=v, empty_dir=k8s.core.v1.EmptyDirVolumeSourceArgs())
                                 for v, _ in writable]
                        + [k8s.core.v1.VolumeArgs(name="credentials", secret=k8s.core.v1.SecretVolumeSourceArgs(
                            secret_name=env_secret, default_mode=0o440))]
                        + ([k8s.core.v1.VolumeArgs(name="initdb", config_map=k8s.core.v1.ConfigMapVolumeSourceArgs(
                            name=init_scripts))] if init_scripts else []),
                    ),
                ),
                volume_claim_templates=[k8s.core.v1.PersistentVolumeClaimArgs(
                    metadata=k8s.meta.v1.ObjectMetaArgs(name="data", labels=meta_labels),
                    spec=k8s.core.v1.PersistentVolumeClaimSpecArgs(
                        access_modes=["ReadWriteOnce"],
                        storage_class_name=storage_class,
                        resources=k8s.core.v1.VolumeResourceRequirementsArgs(requests={"storage": storage}),
                    ),
                )],
                persistent_volume_claim_retention_policy=k8s.apps.v1.StatefulSetPersistentVolumeClaimRetentionPolicyArgs(
                    when_deleted="Retain", when_scaled="Retain"),
            ),
            opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[service, *depends])),
        )
        return [service, sts]
