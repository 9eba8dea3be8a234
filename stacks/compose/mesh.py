"""Service mesh per regional cluster (Linkerd), built only when `mesh.enabled`."""

from __future__ import annotations

import pulumi

from app.mesh import LinkerdMesh, MeshArgs, trust_anchor_secret_name
from stacks.compose.types import RegionBase, RegionContext


def build_mesh(ctx: RegionContext, base: RegionBase) -> LinkerdMesh | None:
    """Linkerd on the region's cluster; None when disabled or when the region has no cluster."""
    cfg = ctx.cfg
    if not cfg.mesh.enabled or cfg.is_local or base.k8s_provider is None or cfg.cluster is None:
        return None
    anchor = cfg.mesh.trust_anchor_pem
    if not anchor:  # refused by config validation; kept for callers that bypass it
        return None
    charts = cfg.cluster.charts
    return LinkerdMesh(f"{cfg.environment}-{ctx.name}-mesh", MeshArgs(
        region=ctx.name,
        environment=cfg.environment,
        trust_anchor_pem=anchor,
        issuer_secret_name=trust_anchor_secret_name(cfg.project, cfg.environment),
        vpc_cidr=base.vpc_cidr,
        chart_versions={"linkerd_crds": charts.linkerd_crds, "linkerd_control_plane": charts.linkerd_control_plane,
                        "linkerd_cni": charts.linkerd_cni},
        request_timeout_seconds=cfg.mesh.request_timeout_seconds,
        retries=cfg.mesh.retries,
        ha=cfg.environment == "prod" and not ctx.region.standby,
        depends_on=[base.external_secrets] if base.external_secrets is not None else [],
    ), opts=pulumi.ResourceOptions(parent=ctx.parent, providers={"kubernetes": base.k8s_provider}))
