"""The monitoring stack of one cluster: metrics, alerts, dashboards, logs and traces.

kube-prometheus-stack (Prometheus, Alertmanager -> the region's SNS topic, Grafana with the
repository's dashboards), Loki on S3, an OpenTelemetry collector for traces (-> X-Ray) and a
second one per node shipping every pod's JSON logs to Loki. All charts pinned.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random

from app.external_secrets import ESO_API, STORE_NAME, secret_store
from app.observability import (
    KEDA_NAMESPACE,
    KPS_RELEASE,
    NAMESPACE,
    PROMETHEUS_PORT,
    Chart,
    MonitoringArgs,
    kube_prometheus_values,
    load_dashboards,
    log_shipper_values,
    loki_values,
    traces_collector_values,
)
from app.prometheus_rules import RuleThresholds, platform_rule_groups, prometheus_rule
from components.chart_images import with_images

GRAFANA_ADMIN_SECRET = "grafana-admin"
OTLP_PORTS = (4317, 4318)
OPERATOR_WEBHOOK_PORT = 10250
"""prometheus-operator's admission webhook (PrometheusRule validation), called by the API server."""
NP = k8s.networking.v1


def monitoring_network_policies(name: str, namespace: pulumi.Input[str], vpc_cidr: str | None,
                                opts: pulumi.ResourceOptions) -> list[k8s.networking.v1.NetworkPolicy]:
    """Ingress default-deny, then: anything inside `monitoring` (scrapes, Grafana -> Prometheus/Loki,
    collectors -> Loki), OTLP traces from every namespace, the operator webhook from the VPC (the
    EKS control plane's ENIs). Egress stays open: Prometheus scrapes every namespace and the
    agents call AWS APIs (S3, SNS, X-Ray, CloudWatch)."""
    def policy(part: str, spec: k8s.networking.v1.NetworkPolicySpecArgs) -> k8s.networking.v1.NetworkPolicy:
        return NP.NetworkPolicy(f"{name}-netpol-{part}", metadata=k8s.meta.v1.ObjectMetaArgs(
            name=part, namespace=namespace), spec=spec, opts=opts)

    everyone = k8s.meta.v1.LabelSelectorArgs()
    own_ns = k8s.meta.v1.LabelSelectorArgs(match_labels={"kubernetes.io/metadata.name": NAMESPACE})
    out = [
        policy("default-deny-ingress", NP.NetworkPolicySpecArgs(pod_selector=everyone, policy_types=["Ingress"])),
        policy("allow-same-namespace", NP.NetworkPolicySpecArgs(
            pod_selector=everyone, policy_types=["Ingress"],
            ingress=[NP.NetworkPolicyIngressRuleArgs(from_=[NP.NetworkPolicyPeerArgs(namespace_selector=own_ns)])])),
        policy("allow-otlp-from-cluster", NP.NetworkPolicySpecArgs(
            pod_selector=k8s.meta.v1.LabelSelectorArgs(match_labels={"app.kubernetes.io/instance": "otel-traces"}),
            policy_types=["Ingress"],
            ingress=[NP.NetworkPolicyIngressRuleArgs(
                from_=[NP.NetworkPolicyPeerArgs(namespace_selector=everyone)],
                ports=[NP.NetworkPolicyPortArgs(port=p, protocol="TCP") for p in OTLP_PORTS])])),
        # KEDA's operator queries Prometheus for the api's request-rate trigger.
        policy("allow-keda-to-prometheus", NP.NetworkPolicySpecArgs(
            pod_selector=k8s.meta.v1.LabelSelectorArgs(match_labels={"app.kubernetes.io/name": "prometheus"}),
            policy_types=["Ingress"],
            ingress=[NP.NetworkPolicyIngressRuleArgs(
                from_=[NP.NetworkPolicyPeerArgs(namespace_selector=k8s.meta.v1.LabelSelectorArgs(
                    match_labels={"kubernetes.io/metadata.name": KEDA_NAMESPACE}))],
                ports=[NP.NetworkPolicyPortArgs(port=PROMETHEUS_PORT, protocol="TCP")])])),
    ]
    if vpc_cidr is not None:
        out.append(policy("allow-operator-webhook", NP.NetworkPolicySpecArgs(
            pod_selector=k8s.meta.v1.LabelSelectorArgs(match_labels={"app": "kube-prometheus-stack-operator"}),
            policy_types=["Ingress"],
            ingress=[NP.NetworkPolicyIngressRuleArgs(
                from_=[NP.NetworkPolicyPeerArgs(ip_block=NP.IPBlockArgs(cidr=vpc_cidr))],
                ports=[NP.NetworkPolicyPortArgs(port=OPERATOR_WEBHOOK_PORT, protocol="TCP")])])))
    return out


class MonitoringStack(pulumi.ComponentResource):
    """Everything in the `monitoring` namespace of one cluster."""

    releases: dict[str, k8s.helm.v3.Release]
    namespace: pulumi.Output[str]

    def __init__(self, name: str, args: MonitoringArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("agentic:app:MonitoringStack", name, {"region": args.region}, opts)
        k8s_opts = pulumi.ResourceOptions(parent=self, provider=args.k8s_provider)
        # node-exporter needs hostNetwork/hostPID and the log shipper reads /var/log/pods from the
        # host: the namespace is privileged, and holds nothing but these agents.
        ns = k8s.core.v1.Namespace(
            f"{name}-ns",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=NAMESPACE, labels={
                "pod-security.kubernetes.io/enforce": "privileged",
                "pod-security.kubernetes.io/warn": "baseline",
                "app.kubernetes.io/part-of": "agentic-platform"}),
            opts=k8s_opts)
        ns_name = ns.metadata.name
        policies = monitoring_network_policies(name, ns_name, args.vpc_cidr, k8s_opts)
        admin = self._grafana_admin(name, args, ns, k8s_opts)
        for file_name, body in load_dashboards().items():
            stem = file_name.removesuffix(".json")
            k8s.core.v1.ConfigMap(
                f"{name}-dashboard-{stem}",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=f"dashboard-{stem}", namespace=ns_name,
                                                    labels={"grafana_dashboard": "1"}),
                data={file_name: body}, opts=k8s_opts)

        deps: list[pulumi.Resource] = [ns, *policies, *args.depends_on]

        def release(part: str, chart: Chart, values: dict[str, Any], after: list[pulumi.Resource],
                    release_name: str) -> k8s.helm.v3.Release:
            return k8s.helm.v3.Release(
                f"{name}-{part}", name=release_name, chart=chart.chart, version=chart.version,
                repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=chart.repo), namespace=ns_name,
                values=with_images(chart.chart, values, args.mirror), allow_null_values=True, atomic=True,
                cleanup_on_fail=True, timeout=900,
                max_history=5,
                opts=pulumi.ResourceOptions(parent=self, provider=args.k8s_provider, depends_on=after))

        c = args.charts
        crds: list[pulumi.Resource] = []
        if c.prometheus_operator_crds is not None:
            crds.append(release("prometheus-operator-crds", c.prometheus_operator_crds, {}, [ns],
                                "prometheus-operator-crds"))
        kps = release("kube-prometheus-stack", c.kube_prometheus_stack,
                      kube_prometheus_values(args, GRAFANA_ADMIN_SECRET), [*deps, admin, *crds], KPS_RELEASE)
        loki = release("loki", c.loki, loki_values(args), deps, "loki")
        traces = release("otel-traces", c.opentelemetry_collector, traces_collector_values(args), deps,
                         "otel-traces")
        logs = release("otel-logs", c.opentelemetry_collector, log_shipper_values(args), [*deps, loki],
                       "otel-logs")
        prometheus_rule(
            f"{name}-rules", ns_name, platform_rule_groups(RuleThresholds(), args.token_quotas),
            {"release": KPS_RELEASE, "app.kubernetes.io/part-of": "agentic-platform"},
            pulumi.ResourceOptions(parent=self, provider=args.k8s_provider, depends_on=[kps]))
        self.releases = {"kube-prometheus-stack": kps, "loki": loki, "otel-traces": traces, "otel-logs": logs}
        self.namespace = ns_name
        self.register_outputs({"namespace": self.namespace})

    def _grafana_admin(self, name: str, args: MonitoringArgs, ns: k8s.core.v1.Namespace,
                       k8s_opts: pulumi.ResourceOptions) -> pulumi.Resource:
        """The `grafana-admin` Secret the chart reads: from Secrets Manager through External
        Secrets where the cluster runs it, else generated here (local clusters)."""
        if args.admin_password_secret is None:
            password = random.RandomPassword(f"{name}-grafana-admin", length=32, special=False,
                                             opts=pulumi.ResourceOptions(parent=self))
            return k8s.core.v1.Secret(
                f"{name}-grafana-admin",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=GRAFANA_ADMIN_SECRET, namespace=ns.metadata.name),
                string_data={"admin-user": "admin", "admin-password": password.result},
                opts=k8s_opts)
        after = pulumi.ResourceOptions(parent=self, provider=args.k8s_provider,
                                       depends_on=[ns, *args.admin_secret_depends_on])
        store = secret_store(f"{name}-secret-store", ns.metadata.name, args.region, after,
                             role_arn=args.admin_secret_store_role_arn)
        return k8s.apiextensions.CustomResource(
            f"{name}-grafana-admin", api_version=ESO_API, kind="ExternalSecret",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=GRAFANA_ADMIN_SECRET, namespace=ns.metadata.name),
            spec=grafana_admin_external_secret(args.admin_password_secret),
            opts=pulumi.ResourceOptions.merge(after, pulumi.ResourceOptions(depends_on=[store])))


def grafana_admin_external_secret(secret_name: str) -> dict[str, Any]:
    """ExternalSecret spec: the chart's `admin-user`/`admin-password` keys, the password from
    Secrets Manager. `Orphan` keeps the Secret (and Grafana's login) if the ExternalSecret is ever
    deleted: with `Owner` Kubernetes garbage-collects it with its owner, whatever `deletionPolicy`
    says (that one only covers the remote secret disappearing)."""
    return {
        "refreshInterval": "1h",
        "secretStoreRef": {"name": STORE_NAME, "kind": "SecretStore"},
        "target": {"name": GRAFANA_ADMIN_SECRET, "creationPolicy": "Orphan", "deletionPolicy": "Retain",
                   "template": {"data": {"admin-user": "admin", "admin-password": "{{ .password }}"}}},
        "data": [{"secretKey": "password", "remoteRef": {"key": secret_name}}],
    }
