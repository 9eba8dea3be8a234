"""Schema migration and admin bootstrap Jobs (the guide's `alembic upgrade head` and
`python scripts/create_admin.py`, run in-cluster instead of `docker-compose exec`), and on the
local stack the development-data seed (`python scripts/seed_dev_data.py --tenants <json>`).

The migration Job's name carries the image tag, so each new tag creates a new Job; Pulumi
waits for a Job to complete, and the Deployments depend on it, so the schema is migrated
before a single new pod rolls out. A failed migration fails the update and leaves the old
pods serving.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from app.args import ResourceSpec
from app.names import MIGRATION_USER, PLATFORM_CORE, dns_label, labels, migration_job_name
from app.pods import container, image_ref, pod_spec

MIGRATE_COMMAND = ("alembic", "upgrade", "head")
ADMIN_COMMAND = ("python", "scripts/create_admin.py")
SEED_SCRIPT = ("python", "scripts/seed_dev_data.py")
JOB_SERVICE_ACCOUNT = "platform-jobs"


def _job(logical: str, name: str, component: str, command: tuple[str, ...], *, environment: str,
         image: str, tag: str, spec: ResourceSpec, deadline: int,
         opts: pulumi.ResourceOptions, digest: str | None = None, namespace: str = PLATFORM_CORE,
         role_arn: pulumi.Input[str] | None = None) -> k8s.batch.v1.Job:
    meta_labels = labels(component, environment, tag)
    # Same settings as the app, but connecting as the migration user (DDL) with the Jobs' role.
    extra = [k8s.core.v1.EnvVarArgs(name="DATABASE_USER", value=MIGRATION_USER)] if role_arn is not None else []
    job = container(component, image_ref(image, tag, digest), spec, command=command, with_probes=False, extra_env=extra)
    return k8s.batch.v1.Job(
        logical,
        metadata=k8s.meta.v1.ObjectMetaArgs(name=name, namespace=namespace, labels=meta_labels),
        spec=k8s.batch.v1.JobSpecArgs(
            backoff_limit=3,
            active_deadline_seconds=deadline,
            template=k8s.core.v1.PodTemplateSpecArgs(
                # No config checksum here: a settings change must not re-run a finished Job.
                # Ambient mesh: no sidecar in the pod, so a meshed Job completes like any other.
                metadata=k8s.meta.v1.ObjectMetaArgs(labels=meta_labels, annotations=(
                    {"agentic.io/iam-role-arn": role_arn} if role_arn is not None else None)),
                spec=pod_spec([job], JOB_SERVICE_ACCOUNT, grace_seconds=30, restart_policy="Never",
                              aws_identity=role_arn is not None),
            ),
        ),
        opts=opts,
    )


def jobs_service_account(prefix: str, environment: str, opts: pulumi.ResourceOptions, *,
                         namespace: str = PLATFORM_CORE) -> k8s.core.v1.ServiceAccount:
    """Jobs need the database only: an identity with no IAM role and no API token."""
    return k8s.core.v1.ServiceAccount(
        f"{prefix}-sa-jobs",
        metadata=k8s.meta.v1.ObjectMetaArgs(name=JOB_SERVICE_ACCOUNT, namespace=namespace,
                                            labels=labels("jobs", environment)),
        automount_service_account_token=False,
        opts=opts,
    )


def migration_job(prefix: str, *, environment: str, image: str, tag: str, spec: ResourceSpec,
                  opts: pulumi.ResourceOptions, digest: str | None = None, namespace: str = PLATFORM_CORE,
                  role_arn: pulumi.Input[str] | None = None) -> k8s.batch.v1.Job:
    return _job(f"{prefix}-job-migrate", migration_job_name(tag), "migrate", MIGRATE_COMMAND,
                environment=environment, image=image, tag=tag, spec=spec, digest=digest, namespace=namespace,
                role_arn=role_arn,
                deadline=1800, opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(
                    # Specs of Jobs are immutable: replace, creating the new tag's Job first.
                    replace_on_changes=["spec", "metadata.name"])))


def admin_bootstrap_job(prefix: str, *, environment: str, image: str, tag: str, spec: ResourceSpec,
                        opts: pulumi.ResourceOptions, digest: str | None = None, namespace: str = PLATFORM_CORE,
                        role_arn: pulumi.Input[str] | None = None) -> k8s.batch.v1.Job:
    """Runs once per cluster: later tags do not re-run it (`ignore_changes` on the spec)."""
    return _job(f"{prefix}-job-admin-bootstrap", dns_label("admin-bootstrap"), "admin-bootstrap", ADMIN_COMMAND,
                environment=environment, image=image, tag=tag, spec=spec, digest=digest, namespace=namespace,
                role_arn=role_arn,
                deadline=600, opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(
                    ignore_changes=["spec", "metadata.labels"])))


def seed_command(tenants: Sequence[Mapping[str, Any]]) -> tuple[str, ...]:
    """The guide's "seed data for development (sample tenants, agents)": the catalog as JSON."""
    return (*SEED_SCRIPT, "--tenants", json.dumps(list(tenants), sort_keys=True, separators=(",", ":")))


def seed_job(prefix: str, tenants: Sequence[Mapping[str, Any]], *, environment: str, image: str, tag: str,
             spec: ResourceSpec, opts: pulumi.ResourceOptions) -> k8s.batch.v1.Job:
    """Local stack only, once: later tags do not re-seed (`ignore_changes` on the spec)."""
    return _job(f"{prefix}-job-seed", dns_label("seed-dev-data"), "seed", seed_command(tenants),
                environment=environment, image=image, tag=tag, spec=spec,
                deadline=600, opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(
                    ignore_changes=["spec", "metadata.labels"])))
