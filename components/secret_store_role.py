"""One IAM role per SecretStore: what External Secrets may read on behalf of one namespace.

The External Secrets controller serves every namespace of the cluster, so its own identity must
read nothing: if it could read the environment's secrets, any namespace able to create an
ExternalSecret could copy any of them. Instead each namespace's SecretStore names its own role
(`spec.provider.aws.role`, https://external-secrets.io/latest/provider/aws-secrets-manager/):
the controller assumes it with its Pod Identity credentials, and the role reads only the
secrets that namespace needs (a cell: the region's app secrets; a tenant: its own API key;
db-bootstrap-<domain>: its domain's master credential; istio-system: the mesh CA).

The controller's policy (`components.charts_iam.external_secrets_policy`) allows sts:AssumeRole
only on roles whose name starts with `<cluster>-ss-`; each store role's trust names the
controller's role, so no other principal (and no pod's own role) can assume it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.pod_identity import role_name

STORE_ROLE_INFIX = "ss"
"""Store roles are named `<cluster physical name>-ss-<purpose>`: the controller may assume those only."""
READ_ACTIONS = ("secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret",
                "secretsmanager:ListSecretVersionIds", "secretsmanager:GetResourcePolicy")
"""What the ESO AWS provider calls on a secret it syncs (its documented policy)."""


def store_role_name(cluster_prefix: str, purpose: str) -> str:
    """`<cluster>-ss-<purpose>` within IAM's 64 characters (a long purpose keeps the prefix)."""
    return role_name(f"{cluster_prefix}-{STORE_ROLE_INFIX}", purpose)


def store_role_pattern(account_id: str, cluster_prefix: str) -> str:
    """The only role ARNs the controller of `cluster_prefix` may assume."""
    return f"arn:aws:iam::{account_id}:role/{cluster_prefix}-{STORE_ROLE_INFIX}-*"


def secret_store_trust_policy(controller_role_arn: str) -> dict[str, Any]:
    """Only the External Secrets controller's role. sts:TagSession too: the controller's session
    comes from Pod Identity, whose session tags may be carried into the chained session."""
    return {"Version": "2012-10-17", "Statement": [{
        "Sid": "ExternalSecretsController", "Effect": "Allow",
        "Principal": {"AWS": controller_role_arn},
        "Action": ["sts:AssumeRole", "sts:TagSession"],
    }]}


def secret_store_read_policy(region: str, account_id: str, secrets: Sequence[str]) -> dict[str, Any]:
    """Read exactly `secrets` (ARNs, or `name-??????` patterns for secrets created outside the
    program), decrypting only through Secrets Manager in `region`: the key grants nothing beyond
    the secrets the role may already read."""
    return {"Version": "2012-10-17", "Statement": [
        {"Sid": "ReadNamespaceSecrets", "Effect": "Allow", "Action": list(READ_ACTIONS),
         "Resource": sorted(set(secrets))},
        {"Sid": "DecryptThroughSecretsManager", "Effect": "Allow", "Action": "kms:Decrypt",
         "Resource": f"arn:aws:kms:{region}:{account_id}:key/*",
         "Condition": {"StringEquals": {"kms:ViaService": f"secretsmanager.{region}.amazonaws.com",
                                        "kms:CallerAccount": account_id}}},
    ]}


def secret_name_pattern(region: str, account_id: str, name: str) -> str:
    """ARN pattern of a secret known by name only: Secrets Manager appends `-` and 6 characters."""
    return f"arn:aws:secretsmanager:{region}:{account_id}:secret:{name}-??????"


@dataclass
class SecretStoreRoleArgs:
    region: str
    account_id: pulumi.Input[str]
    cluster_prefix: str
    """The cluster's physical name: the role is `<cluster>-ss-<purpose>`."""
    purpose: str
    namespace: str
    controller_role_arn: pulumi.Input[str]
    secrets: Sequence[pulumi.Input[str]]
    """ARNs (or name patterns) of every secret the namespace's ExternalSecrets reference."""
    tags: Mapping[str, str] | None = None


class SecretStoreRole(pulumi.ComponentResource):
    role_arn: pulumi.Output[str]

    def __init__(self, name: str, args: SecretStoreRoleArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("agentic:eks:SecretStoreRole", name, {"namespace": args.namespace}, opts)
        if not args.secrets:
            raise ValueError(f"SecretStoreRoleArgs.secrets: the store of {args.namespace} reads no secret")
        child = pulumi.ResourceOptions(parent=self)
        role = aws.iam.Role(
            f"{name}-role",
            name=store_role_name(args.cluster_prefix, args.purpose),
            description=f"External Secrets store: {args.namespace}",
            assume_role_policy=pulumi.Output.from_input(args.controller_role_arn).apply(
                lambda arn: json.dumps(secret_store_trust_policy(arn))),
            tags=dict(args.tags) if args.tags else None,
            opts=child,
        )
        policy = pulumi.Output.all(args.account_id, *args.secrets).apply(
            lambda v: json.dumps(secret_store_read_policy(args.region, str(v[0]), [str(s) for s in v[1:] if s])))
        grant = aws.iam.RolePolicy(f"{name}-read", role=role.id, policy=policy, opts=child)
        # The store is usable once the grant exists: hand out the ARN only then.
        self.role_arn = pulumi.Output.all(role.arn, grant.id).apply(lambda v: str(v[0]))
        self.register_outputs({"role_arn": self.role_arn})
