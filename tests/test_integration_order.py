"""Cross-layer ordering the real engine needs on a fresh cluster (layers built by different modules)."""

from __future__ import annotations

import pytest

from stacks.harness import run_stack

SERVICE_MONITOR = "kubernetes:monitoring.coreos.com/v1:ServiceMonitor"
RELEASE = "kubernetes:helm.sh/v3:Release"


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_service_monitors_wait_for_the_prometheus_operator(stack: str) -> None:
    plan = run_stack(stack)
    operators = {r.urn: r.region for r in plan.of_type(RELEASE) if r.name.endswith("kube-prometheus-stack")}
    monitors = plan.of_type(SERVICE_MONITOR)
    assert monitors and len(operators) == len(plan.outputs["regions"])
    for monitor in monitors:
        waits_for = [u for u in monitor.options["dependsOn"] if u in operators]
        assert waits_for, f"{monitor.name} would race the operator's CRDs"
        assert operators[waits_for[0]] == monitor.region


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_ingresses_wait_for_their_regions_lb_controller(stack: str) -> None:
    plan = run_stack(stack)
    controllers = {r.urn: r.region for r in plan.of_type(RELEASE) if "load-balancer-controller" in r.name}
    ingresses = plan.of_type("kubernetes:networking.k8s.io/v1:Ingress")
    assert ingresses
    for ingress in ingresses:
        regions = [controllers[u] for u in ingress.options["dependsOn"] if u in controllers]
        assert regions == [ingress.region], f"{ingress.name} must wait for its region's LB controller"


def test_meshed_pods_start_after_ztunnel_in_their_region() -> None:
    plan = run_stack("prod")
    control_planes = {r.urn: r.region for r in plan.of_type(RELEASE) if r.name.endswith("-mesh-ztunnel")}
    assert len(control_planes) == 4
    deployments = [d for d in plan.of_type("kubernetes:apps/v1:Deployment") if d.name.endswith(("-api", "-worker"))]
    assert len(deployments) == 10  # api + worker in each of the five domain cells
    for deployment in deployments:
        regions = [control_planes[u] for u in deployment.options["dependsOn"] if u in control_planes]
        assert regions == [deployment.region], f"{deployment.name} would start before the mesh's ztunnel"
