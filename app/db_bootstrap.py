"""`DbBootstrap`: the one place a database master credential enters a cluster.

Pulumi's AWS provider cannot create PostgreSQL roles, so a Job in its own namespace
(`db-bootstrap`, restricted, default deny) reads the domain's master credential from Secrets
Manager through External Secrets, as files, and runs `components.db_users.bootstrap_sql`
against the writer cluster: the IAM-only users (`GRANT rds_iam`) and their privileges. No app
namespace ever sees the credential (policy `k8s-no-database-password-in-pods`). The Job is
idempotent; its name carries the SQL's hash, so changing the grants runs it again.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from app.external_secrets import ESO_API, STORE_NAME, secret_store
from app.names import dns_label, labels
from app.network_policies import POD_IDENTITY_AGENT, POSTGRES_PORT
from app.security import container_security, pod_security, psa_labels
from components.db_users import BOOTSTRAP_NAMESPACE, bootstrap_sql

SQL_DIR = "/etc/db-bootstrap"
CREDENTIALS_DIR = "/var/run/secrets/db"
UID = 999
"""The postgres image's own non-root user (psql needs no other)."""
CLIENT_IMAGE = "public.ecr.aws/docker/library/postgres:16.13"
"""psql of the databases' major version, from the Docker official image's ECR Public copy: clusters
pull it through the region's ECR pull-through cache (`ecr-public` rule), never from Docker Hub,
which would need a Hub credential for a pull-through rule (the policy `k8s-image-from-ecr`)."""


@dataclass
class DbBootstrapArgs:
    environment: str
    region: str
    domain: str
    image: str
    """A PostgreSQL client image (`CLIENT_IMAGE`, mapped through the region's pull-through cache)."""
    writer_endpoint: pulumi.Input[str]
    """The writer cluster endpoint: the master user logs in with its password, not through the
    IAM-only proxy."""
    master_secret: pulumi.Input[str]
    """ARN of the domain's master credential secret (JSON: username, password) in this region."""
    vpc_cidr: str
    store_role_arn: pulumi.Input[str] | None = None
    """The namespace's SecretStore role: reads this domain's master credential only."""
    database: str = "agentic"
    depends_on: tuple[pulumi.Resource, ...] = ()
    """The External Secrets operator (CRDs) and the cluster's writer instances."""


def job_name(domain: str, sql: str) -> str:
    return dns_label(f"bootstrap-{domain}-{hashlib.sha256(sql.encode()).hexdigest()[:8]}")


class DbBootstrap(pulumi.ComponentResource):
    job: k8s.batch.v1.Job

    def __init__(self, name: str, args: DbBootstrapArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("agentic:app:DbBootstrap", name, {"domain": args.domain}, opts)
        ns_name = f"{BOOTSTRAP_NAMESPACE}-{args.domain}"
        meta_labels = labels("db-bootstrap", args.environment)
        child = pulumi.ResourceOptions(parent=self)
        ns = k8s.core.v1.Namespace(
            f"{name}-ns", metadata=k8s.meta.v1.ObjectMetaArgs(name=ns_name, labels={**psa_labels(), **meta_labels}),
            opts=child)
        in_ns = pulumi.ResourceOptions(parent=self, depends_on=[ns])
        peer = k8s.networking.v1.NetworkPolicyPeerArgs
        port = k8s.networking.v1.NetworkPolicyPortArgs
        k8s.networking.v1.NetworkPolicy(
            f"{name}-netpol", metadata=k8s.meta.v1.ObjectMetaArgs(name="bootstrap-egress-only", namespace=ns_name,
                                                                   labels=meta_labels),
            spec=k8s.networking.v1.NetworkPolicySpecArgs(
                pod_selector=k8s.meta.v1.LabelSelectorArgs(), policy_types=["Ingress", "Egress"],
                egress=[
                    k8s.networking.v1.NetworkPolicyEgressRuleArgs(
                        to=[peer(namespace_selector=k8s.meta.v1.LabelSelectorArgs(
                            match_labels={"kubernetes.io/metadata.name": "kube-system"}))],
                        ports=[port(port=53, protocol="UDP"), port(port=53, protocol="TCP")]),
                    k8s.networking.v1.NetworkPolicyEgressRuleArgs(
                        to=[peer(ip_block=k8s.networking.v1.IPBlockArgs(cidr=args.vpc_cidr))],
                        ports=[port(port=POSTGRES_PORT, protocol="TCP")]),
                    k8s.networking.v1.NetworkPolicyEgressRuleArgs(
                        to=[peer(ip_block=k8s.networking.v1.IPBlockArgs(cidr=POD_IDENTITY_AGENT))],
                        ports=[port(port=80, protocol="TCP")]),
                ]),
            opts=in_ns)
        sql = bootstrap_sql(args.database)
        cm = k8s.core.v1.ConfigMap(
            f"{name}-sql", metadata=k8s.meta.v1.ObjectMetaArgs(name="bootstrap-sql", namespace=ns_name,
                                                                labels=meta_labels),
            data={"bootstrap.sql": sql}, opts=in_ns)
        eso = pulumi.ResourceOptions(parent=self, depends_on=[ns, *args.depends_on])
        store = secret_store(f"{name}-store", ns_name, args.region, eso, meta_labels, role_arn=args.store_role_arn)
        master = k8s.apiextensions.CustomResource(
            f"{name}-master", api_version=ESO_API, kind="ExternalSecret",
            metadata=k8s.meta.v1.ObjectMetaArgs(name="db-master", namespace=ns_name, labels=meta_labels),
            spec={"refreshInterval": "1h", "secretStoreRef": {"name": STORE_NAME, "kind": "SecretStore"},
                  "target": {"name": "db-master", "creationPolicy": "Owner", "deletionPolicy": "Delete"},
                  "data": [{"secretKey": key, "remoteRef": {"key": args.master_secret, "property": key}}
                           for key in ("username", "password")]},
            opts=pulumi.ResourceOptions.merge(eso, pulumi.ResourceOptions(depends_on=[store])))
        sa = k8s.core.v1.ServiceAccount(
            f"{name}-sa", metadata=k8s.meta.v1.ObjectMetaArgs(name="db-bootstrap", namespace=ns_name,
                                                               labels=meta_labels),
            automount_service_account_token=False, opts=in_ns)
        script = (f'export PGUSER="$(cat {CREDENTIALS_DIR}/username)" PGPASSWORD="$(cat {CREDENTIALS_DIR}/password)"; '
                  f'exec psql -v ON_ERROR_STOP=1 -f {SQL_DIR}/bootstrap.sql')
        container = k8s.core.v1.ContainerArgs(
            name="psql", image=args.image, image_pull_policy="IfNotPresent", command=["sh", "-c", script],
            env=[k8s.core.v1.EnvVarArgs(name="PGHOST", value=args.writer_endpoint),
                 k8s.core.v1.EnvVarArgs(name="PGPORT", value=str(POSTGRES_PORT)),
                 k8s.core.v1.EnvVarArgs(name="PGDATABASE", value=args.database),
                 k8s.core.v1.EnvVarArgs(name="PGSSLMODE", value="require")],
            resources=k8s.core.v1.ResourceRequirementsArgs(requests={"cpu": "50m", "memory": "64Mi"},
                                                           limits={"cpu": "500m", "memory": "256Mi"}),
            security_context=container_security(UID, UID),
            volume_mounts=[k8s.core.v1.VolumeMountArgs(name="sql", mount_path=SQL_DIR, read_only=True),
                           k8s.core.v1.VolumeMountArgs(name="credentials", mount_path=CREDENTIALS_DIR,
                                                       read_only=True),
                           k8s.core.v1.VolumeMountArgs(name="tmp", mount_path="/tmp")])
        self.job = k8s.batch.v1.Job(
            f"{name}-job", metadata=k8s.meta.v1.ObjectMetaArgs(name=job_name(args.domain, sql), namespace=ns_name,
                                                                labels=meta_labels),
            spec=k8s.batch.v1.JobSpecArgs(
                backoff_limit=3, active_deadline_seconds=600, ttl_seconds_after_finished=3600,
                template=k8s.core.v1.PodTemplateSpecArgs(
                    metadata=k8s.meta.v1.ObjectMetaArgs(labels=meta_labels),
                    spec=k8s.core.v1.PodSpecArgs(
                        service_account_name="db-bootstrap", automount_service_account_token=False,
                        enable_service_links=False, security_context=pod_security(UID, UID),
                        restart_policy="Never", containers=[container],
                        volumes=[k8s.core.v1.VolumeArgs(name="sql", config_map=k8s.core.v1.ConfigMapVolumeSourceArgs(
                                     name="bootstrap-sql")),
                                 k8s.core.v1.VolumeArgs(name="credentials", secret=k8s.core.v1.SecretVolumeSourceArgs(
                                     secret_name="db-master", default_mode=0o440)),
                                 k8s.core.v1.VolumeArgs(name="tmp", empty_dir=k8s.core.v1.EmptyDirVolumeSourceArgs(
                                     size_limit="64Mi"))]))),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[cm, master, sa],
                                        replace_on_changes=["spec", "metadata.name"],
                                        delete_before_replace=False))
        self.register_outputs({"namespace": ns_name, "job": self.job.metadata.apply(lambda m: m.name)})
