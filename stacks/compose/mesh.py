"""Service mesh per regional cluster (Istio ambient), built only when `mesh.enabled`.

Two steps: the control plane right after the region's base (workload pods start after ztunnel),
then the per-namespace policies once the workload's namespaces exist. `mesh_namespaces` is the
one list of meshed platform namespaces and who may call into each: a new namespace is added
there; tenant namespaces get theirs from `TenantNamespace` (themselves and the platform only).
Prometheus stays outside the mesh and scrapes the metrics ports in plain HTTP from the VPC.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pulumi

from app.mesh import IstioAmbientMesh, MeshArgs, trust_material_secret_name
from app.mesh_policies import ApiTrafficPolicy, FaultInjection, MeshNamespace, MeshPolicies, MeshPoliciesArgs
from app.names import HTTP_PORT, PLATFORM_CORE, PLATFORM_NAMESPACES
from stacks.compose.types import RegionBase, RegionContext, RegionWorkload


def build_mesh(ctx: RegionContext, base: RegionBase) -> IstioAmbientMesh | None:
    """Istio's control plane on the region's cluster; None when disabled or without a cluster."""
    cfg = ctx.cfg
    if not cfg.mesh.enabled or cfg.is_local or base.k8s_provider is None or cfg.cluster is None:
        return None
    if not cfg.mesh.trust_anchor_pem:  # refused by config validation; kept for callers that bypass it
        return None
    return IstioAmbientMesh(f"{cfg.environment}-{ctx.name}-mesh", MeshArgs(
        region=ctx.name,
        environment=cfg.environment,
        trust_material_secret=trust_material_secret_name(cfg.project, cfg.environment),
        vpc_cidr=base.vpc_cidr,
        chart_version=cfg.cluster.charts.istio,
        ha=cfg.environment == "prod" and not ctx.region.standby,
        depends_on=[base.external_secrets] if base.external_secrets is not None else [],
    ), opts=pulumi.ResourceOptions(parent=ctx.parent, providers={"kubernetes": base.k8s_provider}))


def mesh_namespaces(platform: Sequence[str], namespace_resources: Mapping[str, pulumi.Resource], *,
                    vpc_cidr: str, plaintext_ports: Mapping[str, Mapping[str, Sequence[int]]]) -> list[MeshNamespace]:
    """Each platform namespace admits the other platform namespaces; the api's namespace runs a
    waypoint (its L7 policy); `plaintext_ports[ns]` are the ports the ALB and Prometheus reach
    from outside the mesh (from the VPC CIDR only)."""
    return [MeshNamespace(name=ns, allowed_from=tuple(sorted(set(platform) - {ns})),
                          waypoint=ns == PLATFORM_CORE, vpc_cidr=vpc_cidr,
                          plaintext_ports=dict(plaintext_ports.get(ns, {})),
                          depends_on=[namespace_resources[ns]] if ns in namespace_resources else [])
            for ns in platform]


def build_mesh_policies(ctx: RegionContext, base: RegionBase, workload: RegionWorkload) -> MeshPolicies | None:
    """Per-namespace mesh policies for the region's platform namespaces (after they exist)."""
    cfg = ctx.cfg
    mesh = base.extras.get("mesh")
    if not isinstance(mesh, IstioAmbientMesh) or base.k8s_provider is None:
        return None
    m = cfg.mesh
    component = workload.extras.get("workload")
    resources: Mapping[str, pulumi.Resource] = getattr(component, "namespace_resources", {})
    policies = MeshPolicies(f"{cfg.environment}-{ctx.name}-mesh-policies", MeshPoliciesArgs(
        mesh=mesh, environment=cfg.environment,
        namespaces=mesh_namespaces(PLATFORM_NAMESPACES, resources, vpc_cidr=base.vpc_cidr, plaintext_ports={
            PLATFORM_CORE: {"api": [HTTP_PORT], "worker": [cfg.app.worker.metrics_port]}}),
        api=ApiTrafficPolicy(
            namespace=PLATFORM_CORE, service="api",
            timeout_seconds=m.request_timeout_seconds, retries=m.retries,
            consecutive_5xx=m.outlier_consecutive_5xx, ejection_seconds=m.outlier_ejection_seconds,
            fault=FaultInjection(**m.fault.model_dump())),
    ), opts=pulumi.ResourceOptions(parent=ctx.parent, providers={"kubernetes": base.k8s_provider}))
    base.extras["mesh_policies"] = policies
    return policies
