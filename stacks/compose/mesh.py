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

from app.mesh import ISTIO_NS, IstioAmbientMesh, MeshArgs, trust_material_secret_name
from app.mesh_policies import ApiTrafficPolicy, FaultInjection, MeshNamespace, MeshPolicies, MeshPoliciesArgs
from app.names import HTTP_PORT, PLATFORM_CORE, SHARED_SERVICES
from components.secret_store_role import secret_name_pattern
from stacks.compose.registry import base_mirror
from stacks.compose.secret_stores import store_role
from stacks.compose.types import RegionBase, RegionContext, RegionWorkload


def build_mesh(ctx: RegionContext, base: RegionBase) -> IstioAmbientMesh | None:
    """Istio's control plane on the region's cluster; None when disabled or without a cluster."""
    cfg = ctx.cfg
    if not cfg.mesh.enabled or cfg.is_local or base.k8s_provider is None or cfg.cluster is None:
        return None
    if not cfg.mesh.trust_anchor_pem:  # refused by config validation; kept for callers that bypass it
        return None
    trust_material = trust_material_secret_name(cfg.project, cfg.environment)
    account = base.extras.get("account_id")
    # istio-system's store reads the CA material and nothing else (operator-provided: known by name).
    store_role_arn = store_role(ctx, base, "istio-cacerts", ISTIO_NS, [
        secret_name_pattern(ctx.name, str(account), trust_material)]) if account is not None else None
    return IstioAmbientMesh(f"{cfg.environment}-{ctx.name}-mesh", MeshArgs(
        region=ctx.name,
        environment=cfg.environment,
        trust_material_secret=trust_material,
        store_role_arn=store_role_arn,
        vpc_cidr=base.vpc_cidr,
        chart_version=cfg.cluster.charts.istio,
        ha=cfg.environment == "prod" and not ctx.region.standby,
        depends_on=[base.external_secrets] if base.external_secrets is not None else [],
        mirror=base_mirror(cfg, ctx.name, base),
    ), opts=pulumi.ResourceOptions(parent=ctx.parent, providers={"kubernetes": base.k8s_provider}))


def mesh_namespaces(cells: Sequence[str], namespace_resources: Mapping[str, pulumi.Resource], *,
                    vpc_cidr: str, plaintext_ports: Mapping[str, Mapping[str, Sequence[int]]]) -> list[MeshNamespace]:
    """Every cell namespace (its api and worker) admits only itself and `shared-services`, which
    admits every cell: two domain cells on one cluster can never call each other, so an EU cell's
    data is not one mesh hop away from the global cell. Each cell runs a waypoint (the api's L7
    policy); `plaintext_ports[ns]` are the ports the ALB and Prometheus reach from outside the
    mesh (from the VPC CIDR only)."""
    cell_list = [ns for ns in dict.fromkeys(cells) if ns != SHARED_SERVICES]
    allowed = {ns: (SHARED_SERVICES,) for ns in cell_list} | {SHARED_SERVICES: tuple(sorted(cell_list))}
    return [MeshNamespace(name=ns, allowed_from=allowed[ns], waypoint=ns != SHARED_SERVICES, vpc_cidr=vpc_cidr,
                          plaintext_ports=dict(plaintext_ports.get(ns, {})),
                          depends_on=[namespace_resources[ns]] if ns in namespace_resources else [])
            for ns in [*cell_list, SHARED_SERVICES]]


def cell_namespaces(workload: RegionWorkload) -> list[str]:
    """The region's cell namespaces, home cell first (platform-core when there are no cells)."""
    return [c.namespace for c in workload.cells.values()] or [PLATFORM_CORE]


def _namespace_resources(workload: RegionWorkload) -> dict[str, pulumi.Resource]:
    components = [c.workload for c in workload.cells.values()] or [workload.extras.get("workload")]
    out: dict[str, pulumi.Resource] = {}
    for component in components:
        out.update(getattr(component, "namespace_resources", {}))
    return out


def build_mesh_policies(ctx: RegionContext, base: RegionBase, workload: RegionWorkload) -> MeshPolicies | None:
    """Per-namespace mesh policies for the region's platform namespaces (after they exist)."""
    cfg = ctx.cfg
    mesh = base.extras.get("mesh")
    if not isinstance(mesh, IstioAmbientMesh) or base.k8s_provider is None:
        return None
    m = cfg.mesh
    cells = cell_namespaces(workload)
    ports = {"api": [HTTP_PORT], "worker": [cfg.app.worker.metrics_port]}
    policies = MeshPolicies(f"{cfg.environment}-{ctx.name}-mesh-policies", MeshPoliciesArgs(
        mesh=mesh, environment=cfg.environment,
        namespaces=mesh_namespaces(cells, _namespace_resources(workload), vpc_cidr=base.vpc_cidr,
                                   plaintext_ports=dict.fromkeys(cells, ports)),
        apis=[ApiTrafficPolicy(
            namespace=ns, service="api",
            timeout_seconds=m.request_timeout_seconds, retries=m.retries,
            consecutive_5xx=m.outlier_consecutive_5xx, ejection_seconds=m.outlier_ejection_seconds,
            fault=FaultInjection(**m.fault.model_dump())) for ns in cells],
    ), opts=pulumi.ResourceOptions(parent=ctx.parent, providers={"kubernetes": base.k8s_provider}))
    base.extras["mesh_policies"] = policies
    return policies
