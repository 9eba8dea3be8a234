"""How `platform-secrets` gets its values.

On AWS: a namespaced SecretStore on AWS Secrets Manager and one ExternalSecret mapping each
key to its Secrets Manager secret. The store names the namespace's own IAM role, which reads
exactly those secrets; the External Secrets controller's Pod Identity role only assumes it and
reads nothing itself. A namespaced store rather than a ClusterSecretStore keeps tenant
namespaces from reading the platform's secrets.
Locally: a plain Kubernetes Secret built from Pulumi secrets (no AWS at all).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from app.args import ExternalSecretsSource, InClusterSecrets
from app.names import APP_SECRET, PLATFORM_CORE, labels

ESO_API = "external-secrets.io/v1"
STORE_NAME = "aws-secrets-manager"


def store_spec(region: str, role_arn: pulumi.Input[str] | None) -> dict[str, Any]:
    """Secrets Manager in `region`, read as the namespace's own role: the controller's Pod
    Identity credentials only assume it (policy `k8s-secretstore-role` refuses a store without)."""
    aws: dict[str, Any] = {"service": "SecretsManager", "region": region}
    if role_arn is not None:
        aws["role"] = role_arn
    return {"provider": {"aws": aws}}


def secret_store(resource_name: str, namespace: pulumi.Input[str], region: str, opts: pulumi.ResourceOptions,
                 meta_labels: Mapping[str, str] | None = None, *,
                 role_arn: pulumi.Input[str] | None = None) -> k8s.apiextensions.CustomResource:
    """The namespace's `aws-secrets-manager` SecretStore: Secrets Manager in `region`, read with
    the namespace's own store role (components/secret_store_role.py), no credentials in the cluster."""
    return k8s.apiextensions.CustomResource(
        resource_name,
        api_version=ESO_API,
        kind="SecretStore",
        metadata=k8s.meta.v1.ObjectMetaArgs(name=STORE_NAME, namespace=namespace,
                                            labels=dict(meta_labels) if meta_labels else None),
        spec=store_spec(region, role_arn),
        opts=opts,
    )


def external_secret_spec(source: ExternalSecretsSource) -> dict[str, Any]:
    """Spec of the ExternalSecret: every env var from its own Secrets Manager secret."""
    target: dict[str, Any] = {"name": APP_SECRET, "creationPolicy": "Owner", "deletionPolicy": "Retain"}
    if source.templates:
        target["template"] = {"engineVersion": "v2", "mergePolicy": "Merge", "type": "Opaque",
                              "data": dict(sorted(source.templates.items()))}
    return {
        "refreshInterval": source.refresh_interval,
        "secretStoreRef": {"name": STORE_NAME, "kind": "SecretStore"},
        "target": target,
        "data": [
            {"secretKey": env, "remoteRef": {"key": ref, "conversionStrategy": "Default",
                                             "decodingStrategy": "None"}}
            for env, ref in sorted(source.refs.items())
        ],
    }


def app_secret(prefix: str, environment: str, source: ExternalSecretsSource | InClusterSecrets,
               opts: pulumi.ResourceOptions, *, namespace: str = PLATFORM_CORE) -> list[pulumi.Resource]:
    """Create what fills `platform-secrets`; returns the resources pods must wait for."""
    meta_labels = labels("secrets", environment)
    if isinstance(source, InClusterSecrets):
        secret = k8s.core.v1.Secret(
            f"{prefix}-secret-app",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=APP_SECRET, namespace=namespace, labels=meta_labels),
            type="Opaque",
            string_data={k: pulumi.Output.secret(v) for k, v in source.values.items()},
            opts=opts,
        )
        return [secret]
    eso_opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=list(source.depends_on)))
    store = secret_store(f"{prefix}-secret-store", namespace, source.region, eso_opts, meta_labels,
                         role_arn=source.store_role_arn)
    external = k8s.apiextensions.CustomResource(
        f"{prefix}-external-secret-app",
        api_version=ESO_API,
        kind="ExternalSecret",
        metadata=k8s.meta.v1.ObjectMetaArgs(name=APP_SECRET, namespace=namespace, labels=meta_labels),
        spec=external_secret_spec(source),
        opts=pulumi.ResourceOptions.merge(eso_opts, pulumi.ResourceOptions(depends_on=[store])),
    )
    return [store, external]


def secret_keys(source: ExternalSecretsSource | InClusterSecrets) -> Mapping[str, object]:
    return source.refs if isinstance(source, ExternalSecretsSource) else source.values
