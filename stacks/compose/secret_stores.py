"""Wiring of the per-namespace SecretStore roles (components/secret_store_role.py).

Every layer that creates a SecretStore (cells, db-bootstrap, the mesh CA, Grafana, tenants)
asks here for the role of that one namespace, listing exactly the secrets the namespace's
ExternalSecrets reference; nothing else decides what a namespace can read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pulumi

from components.secret_store_role import SecretStoreRole, SecretStoreRoleArgs
from stacks.compose.base import base_names
from stacks.compose.types import RegionBase, RegionContext


def store_role(ctx: RegionContext, base: RegionBase, purpose: str, namespace: str,
               secrets: Sequence[pulumi.Input[str]], *, tags: Mapping[str, str] | None = None,
               opts: pulumi.ResourceOptions | None = None) -> pulumi.Output[str] | None:
    """ARN of `<cluster>-ss-<purpose>`, assumable only by the region's External Secrets
    controller and reading only `secrets`; None without a cluster (no controller to trust)."""
    controller = base.extras.get("external_secrets_role_arn")
    account = base.extras.get("account_id")
    if controller is None or account is None or not secrets:
        return None
    cfg = ctx.cfg
    made = SecretStoreRole(f"{cfg.environment}-{ctx.name}-ss-{purpose}", SecretStoreRoleArgs(
        region=ctx.name, account_id=account, cluster_prefix=base_names(cfg, ctx.name).physical_prefix,
        purpose=purpose, namespace=namespace, controller_role_arn=controller, secrets=list(secrets),
        tags=dict(tags) if tags else None,
    ), opts=pulumi.ResourceOptions.merge(ctx.opts(), opts) if opts is not None else ctx.opts())
    return made.role_arn
