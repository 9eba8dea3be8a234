"""Identity along the data path: IAM-authenticated database access, no database password in
any pod, secrets as files rather than environment variables.

A pod that holds the Aurora master password (the old `DATABASE_URL`) hands it to every
process it starts (MCP server subprocesses), so the database is only as safe as the least
careful tool. These policies keep the password out of pods: the proxy requires IAM, pods get no
password-bearing secret, and secrets never become environment variables.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from pulumi_policy import ResourceValidationArgs, Severity

from .config import Settings
from .kubernetes import WORKLOADS, containers, pod_spec
from .props import get, is_set, items
from .spec import Meta, resource_policy

CAT = "iam"
PROXY = "aws:rds/proxy:Proxy"
EXTERNAL_SECRET = "kubernetes:external-secrets.io/v1:ExternalSecret"
BOOTSTRAP_NAMESPACE = "db-bootstrap"
"""Prefix of the only namespaces (`db-bootstrap-<domain>`) that may read a database master credential."""
DB_CREDENTIAL = re.compile(r"(database-url|/db/master|db-password|rds!|master-?password)", re.I)
DB_KEY = re.compile(r"^(DATABASE_URL|DATABASE_PASSWORD|DB_PASSWORD|PGPASSWORD|POSTGRES_PASSWORD)$", re.I)


def _proxy_iam(args: ResourceValidationArgs, s: Settings) -> Iterator[str]:
    if get(args.props, "defaultAuthScheme") == "IAM_AUTH":
        return
    auths = items(args.props, "auths")
    if not auths:
        yield "defaultAuthScheme must be IAM_AUTH (end-to-end IAM) or every auth must set iamAuth=REQUIRED"
    for i, auth in enumerate(auths):
        if get(auth, "iamAuth") != "REQUIRED":
            yield (f"auths[{i}].iamAuth is {get(auth, 'iamAuth', 'unset')}: clients could connect with a "
                   "database password; set REQUIRED (or defaultAuthScheme=IAM_AUTH)")


proxy_iam_auth = resource_policy(
    Meta("rds-proxy-iam-auth", CAT,
         "RDS Proxy requires IAM authentication from clients (defaultAuthScheme IAM_AUTH, or iamAuth REQUIRED on "
         "every auth), so no client needs a database password."),
    [PROXY], _proxy_iam)


def _no_db_password(args: ResourceValidationArgs, s: Settings) -> Iterator[str]:
    ns = get(args.props, "metadata.namespace")
    if isinstance(ns, str) and ns.startswith(f"{BOOTSTRAP_NAMESPACE}-"):
        return
    for i, d in enumerate(items(args.props, "spec.data")):
        key, ref = get(d, "secretKey"), get(d, "remoteRef.key")
        if isinstance(key, str) and DB_KEY.match(key):
            yield f"spec.data[{i}] puts {key} into a pod's secret: connect with IAM (rds-db:connect) instead"
        if isinstance(ref, str) and DB_CREDENTIAL.search(ref):
            yield (f"spec.data[{i}] reads the database credential {ref}: only the {BOOTSTRAP_NAMESPACE} "
                   "namespace may, pods connect with IAM")
    for i, d in enumerate(items(args.props, "spec.dataFrom")):
        ref = get(d, "extract.key")
        if isinstance(ref, str) and DB_CREDENTIAL.search(ref):
            yield f"spec.dataFrom[{i}] extracts the database credential {ref} into a pod's secret"


no_db_password_in_pods = resource_policy(
    Meta("k8s-no-database-password-in-pods", CAT,
         "No ExternalSecret outside the db-bootstrap namespace brings a database password or URL with one "
         "into the cluster: pods authenticate to the database with IAM.", (), (), severity=Severity.CRITICAL),
    [EXTERNAL_SECRET], _no_db_password)


def _no_secret_env(args: ResourceValidationArgs, s: Settings) -> Iterator[str]:
    for name, c in containers(pod_spec(args)):
        for j, src in enumerate(items(c, "envFrom")):
            if is_set(get(src, "secretRef.name")):
                yield (f"{name}.envFrom[{j}] turns Secret {get(src, 'secretRef.name')} into environment "
                       "variables: mount it as a read-only volume instead")
        for env in items(c, "env"):
            if is_set(get(env, "valueFrom.secretKeyRef.name")):
                yield f"{name}.env {get(env, 'name')} comes from a Secret: mount it as a file instead"


no_secret_env = resource_policy(
    Meta("k8s-secrets-as-files", "kubernetes",
         "Secrets reach containers as mounted files, never as environment variables (envFrom secretRef or "
         "valueFrom secretKeyRef): the environment leaks into child processes and crash dumps.",
         ("CKV_K8S_35",)),
    WORKLOADS, _no_secret_env)

SECRET_STORES = ["kubernetes:external-secrets.io/v1:SecretStore",
                 "kubernetes:external-secrets.io/v1:ClusterSecretStore"]


def _store_role(args: ResourceValidationArgs, s: Settings) -> Iterator[str]:
    aws = get(args.props, "spec.provider.aws")
    if not is_set(aws):
        return
    if not is_set(get(aws, "role")):
        yield ("spec.provider.aws.role is not set: the store would read with the External Secrets controller's "
               "own identity (every namespace's secrets); give the namespace its own role")
    if is_set(get(aws, "auth.secretRef")):
        yield "spec.provider.aws.auth.secretRef uses static access keys: authenticate with Pod Identity and a role"


secretstore_role = resource_policy(
    Meta("k8s-secretstore-role", CAT,
         "Every AWS SecretStore assumes its own IAM role (spec.provider.aws.role) limited to its namespace's "
         "secrets; the External Secrets controller's identity reads nothing itself, and no store uses static keys.",
         severity=Severity.HIGH),
    SECRET_STORES, _store_role)

POLICIES = [proxy_iam_auth, no_db_password_in_pods, no_secret_env, secretstore_role]
