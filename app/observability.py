"""Typed inputs of the monitoring stack and the Helm values built from them (pure functions).

Values are plain dicts (Outputs allowed inside) so tests read exactly what Helm receives:
chart pins, Alertmanager routes, retention, where logs and traces go.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi

from components.chart_images import Mirror, no_mirror

NAMESPACE = "monitoring"
KPS_RELEASE = "kube-prometheus-stack"
PROMETHEUS_PORT = 9090
KEDA_NAMESPACE = "keda"
# The chart names the Prometheus Service `<fullname>-prometheus`; fullname is the release name here.
PROMETHEUS_URL = f"http://{KPS_RELEASE}-prometheus.{NAMESPACE}.svc:{PROMETHEUS_PORT}"
"""Release name: ServiceMonitors of the app select on `release: kube-prometheus-stack`."""
ALERTMANAGER_SA = "alertmanager"
GRAFANA_SA = "grafana"
LOKI_SA = "loki"
TRACES_SA = "otel-traces"
LOGS_SA = "otel-logs"
LOKI_GATEWAY = f"http://loki-gateway.{NAMESPACE}.svc.cluster.local"
TRACES_ENDPOINT = f"otel-traces-opentelemetry-collector.{NAMESPACE}.svc.cluster.local"
DASHBOARDS_DIR = Path(__file__).resolve().parents[1] / "dashboards"
COLLECTOR_IMAGE = "otel/opentelemetry-collector-contrib"
"""contrib: the only distribution with both the awsxray exporter and the filelog receiver."""


@dataclass(frozen=True)
class Chart:
    chart: str
    version: str
    repo: str

    def __post_init__(self) -> None:
        if not self.version or self.version.strip().lower() in {"latest", "*"}:
            raise ValueError(f"chart {self.chart} must be pinned to a version, got {self.version!r}")


PROMETHEUS_COMMUNITY = "https://prometheus-community.github.io/helm-charts"
LOKI_REPO = "https://grafana-community.github.io/helm-charts"
"""The OSS Loki chart's home since March 2026 (grafana/loki's chart 7.0.0 is for GEL only)."""


@dataclass(frozen=True)
class MonitoringCharts:
    kube_prometheus_stack: Chart
    loki: Chart
    opentelemetry_collector: Chart
    prometheus_operator_crds: Chart | None = None
    """The operator's CRDs as their own release, upgraded with it (Helm never upgrades a chart's
    `crds/`); None: kube-prometheus-stack installs them itself (first install only)."""

    @classmethod
    def pinned(cls, kps: str, loki: str, otel: str, crds: str | None = None) -> MonitoringCharts:
        return cls(
            kube_prometheus_stack=Chart("kube-prometheus-stack", kps, PROMETHEUS_COMMUNITY),
            loki=Chart("loki", loki, LOKI_REPO),
            opentelemetry_collector=Chart("opentelemetry-collector", otel,
                                          "https://open-telemetry.github.io/opentelemetry-helm-charts"),
            prometheus_operator_crds=Chart("prometheus-operator-crds", crds, PROMETHEUS_COMMUNITY) if crds else None,
        )


@dataclass
class MonitoringArgs:
    environment: str
    region: str
    cluster_name: pulumi.Input[str]
    charts: MonitoringCharts
    alert_topic_arn: pulumi.Input[str]
    loki_bucket: pulumi.Input[str]
    log_retention_days: int
    cloudwatch_regions: Sequence[str]
    """One Grafana CloudWatch datasource per region: every region's Grafana shows the global view."""
    k8s_provider: pulumi.ProviderResource
    highly_available: bool = False
    token_quotas: Mapping[str, int] = field(default_factory=dict)
    """tenant id -> tokens per month (one usage alert per tenant)."""
    role_arns: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """service account -> its Pod Identity role ARN (annotated on the account for operators)."""
    vpc_cidr: str | None = None
    """The EKS control plane calls the prometheus-operator webhook from the VPC."""
    storage_class: str | None = None
    """StorageClass of Prometheus/Alertmanager/Loki volumes (None: the cluster default)."""
    depends_on: Sequence[pulumi.Resource] = ()
    """Roles/associations and the LB controller webhook (C28) must exist before the charts."""
    admin_password_secret: str | None = None
    """Secrets Manager name of Grafana's admin password. Set (clusters running External Secrets):
    an ExternalSecret renders the `grafana-admin` Secret from it, so the password lives only in
    Secrets Manager under the region's secrets key. None (no External Secrets): a generated
    password in a plain Kubernetes Secret."""
    admin_secret_depends_on: Sequence[pulumi.Resource] = ()
    """The External Secrets chart (its CRDs) and the Secrets Manager secret itself."""
    admin_secret_store_role_arn: pulumi.Input[str] | None = None
    """The monitoring namespace's SecretStore role: reads Grafana's admin password only."""
    mirror: Mirror = no_mirror
    """Every chart's images through the region's pull-through cache (components/chart_images.py)."""


ROLE_ANNOTATION = "agentic-platform/pod-identity-role-arn"


def service_account(a: MonitoringArgs, name: str) -> dict[str, Any]:
    """Chart service account with a fixed name (the Pod Identity association names it)."""
    role = a.role_arns.get(name)
    return {"create": True, "name": name, **({"annotations": {ROLE_ANNOTATION: role}} if role is not None else {})}


# --- Alertmanager ------------------------------------------------------------------------------

ROUTES = (
    ("P0", "pager", "10s", "30m"),
    ("P1", "major", "30s", "1h"),
    ("P2", "minor", "1m", "4h"),
)
"""severity -> receiver, group_wait, repeat_interval. P3 (cosmetic) never notifies anyone."""
UPSTREAM_SEVERITY = {"critical": "major", "warning": "minor", "info": "low", "none": "low"}
"""kube-prometheus-stack's own rules use critical/warning/info: they join the P1/P2/P3 routes."""


def alertmanager_config(topic_arn: pulumi.Input[str], region: str) -> dict[str, Any]:
    """Routes by severity to the region's SNS topic (SigV4 through Pod Identity)."""
    def sns(severity: str) -> dict[str, Any]:
        return {"topic_arn": topic_arn, "sigv4": {"region": region}, "send_resolved": True,
                "subject": f"[{severity}] {{{{ .CommonLabels.alertname }}}} ({region})",
                "attributes": {"severity": severity, "region": region}}

    routes: list[dict[str, Any]] = [
        {"matchers": ['alertname=~"Watchdog|InfoInhibitor"'], "receiver": "null"},
    ]
    for severity, receiver, wait, repeat in ROUTES:
        upstream = [k for k, v in UPSTREAM_SEVERITY.items() if v == receiver]
        regex = "|".join([severity, *upstream])
        routes.append({"matchers": [f'severity=~"{regex}"'], "receiver": receiver,
                       "group_wait": wait, "repeat_interval": repeat})
    routes.append({"matchers": ['severity=~"P3|info|none"'], "receiver": "low"})
    receivers: list[dict[str, Any]] = [{"name": "null"}, {"name": "low"}]
    receivers += [{"name": receiver, "sns_configs": [sns(severity)]} for severity, receiver, _, _ in ROUTES]
    return {
        "global": {"resolve_timeout": "5m"},
        "route": {"receiver": "minor", "group_by": ["alertname", "namespace", "severity"],
                  "group_wait": "30s", "group_interval": "5m", "repeat_interval": "4h", "routes": routes},
        "receivers": receivers,
        "inhibit_rules": [
            {"source_matchers": ['severity="P0"'], "target_matchers": ['severity=~"P1|P2|P3"'],
             "equal": ["namespace"]},
            {"source_matchers": ['severity="P1"'], "target_matchers": ['severity=~"P2|P3"'],
             "equal": ["alertname", "namespace"]},
        ],
    }


# --- Grafana -----------------------------------------------------------------------------------

def grafana_datasources(cloudwatch_regions: Sequence[str]) -> list[dict[str, Any]]:
    """Loki of this region plus CloudWatch of every region (uid `cloudwatch-<region>`)."""
    sources: list[dict[str, Any]] = [
        {"name": "Loki", "uid": "loki", "type": "loki", "access": "proxy", "url": LOKI_GATEWAY,
         "jsonData": {"maxLines": 1000}},
    ]
    sources += [
        {"name": f"CloudWatch {r}", "uid": f"cloudwatch-{r}", "type": "cloudwatch", "access": "proxy",
         "jsonData": {"authType": "default", "defaultRegion": r}}
        for r in cloudwatch_regions
    ]
    return sources


def load_dashboards(directory: Path = DASHBOARDS_DIR) -> dict[str, str]:
    """file name -> dashboard JSON (validated: parses and has a uid and a title)."""
    out: dict[str, str] = {}
    for path in sorted(directory.glob("*.json")):
        text = path.read_text()
        doc = json.loads(text)
        for key in ("uid", "title", "panels"):
            if key not in doc:
                raise ValueError(f"dashboard {path.name} has no '{key}'")
        out[path.name] = text
    return out


def volume_claim(storage_class: str | None, size: str) -> dict[str, Any]:
    spec: dict[str, Any] = {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": size}}}
    if storage_class:
        spec["storageClassName"] = storage_class
    return {"volumeClaimTemplate": {"spec": spec}}


# --- chart values ------------------------------------------------------------------------------

def kube_prometheus_values(a: MonitoringArgs, admin_secret: str) -> dict[str, Any]:
    replicas = 2 if a.highly_available else 1
    return {
        "crds": {"enabled": a.charts.prometheus_operator_crds is None},
        "defaultRules": {"create": True},
        "prometheus": {"prometheusSpec": {
            "replicas": replicas,
            "retention": "15d",
            # k6 load-test runners push their results here (app/load_testing.py, remote write).
            "enableRemoteWriteReceiver": True,
            "retentionSize": "45GB",
            "externalLabels": {"region": a.region, "environment": a.environment, "cluster": a.cluster_name},
            # Pick up every ServiceMonitor/PodMonitor/PrometheusRule, not just this release's.
            "ruleSelectorNilUsesHelmValues": False,
            "serviceMonitorSelectorNilUsesHelmValues": False,
            "podMonitorSelectorNilUsesHelmValues": False,
            "probeSelectorNilUsesHelmValues": False,
            "storageSpec": volume_claim(a.storage_class, "50Gi"),
            "resources": {"requests": {"cpu": "500m", "memory": "2Gi"}, "limits": {"memory": "4Gi"}},
        }},
        "alertmanager": {
            "serviceAccount": service_account(a, ALERTMANAGER_SA),
            "config": alertmanager_config(a.alert_topic_arn, a.region),
            "alertmanagerSpec": {"replicas": replicas, "storage": volume_claim(a.storage_class, "5Gi")},
        },
        "grafana": {
            "admin": {"existingSecret": admin_secret, "userKey": "admin-user", "passwordKey": "admin-password"},
            "serviceAccount": service_account(a, GRAFANA_SA),
            # Role + RoleBinding instead of a ClusterRole: the dashboard sidecar lists ConfigMaps
            # and Secrets of its own namespace only (grafana chart `rbac.namespaced`).
            "rbac": {"namespaced": True},
            "sidecar": {"dashboards": {"enabled": True, "label": "grafana_dashboard", "labelValue": "1",
                                       "searchNamespace": NAMESPACE}},
            "additionalDataSources": grafana_datasources(a.cloudwatch_regions),
            "grafana.ini": {"analytics": {"reporting_enabled": False, "check_for_updates": False},
                            "users": {"allow_sign_up": False}, "auth.anonymous": {"enabled": False}},
        },
    }


def loki_values(a: MonitoringArgs) -> dict[str, Any]:
    """Logs to S3 through Pod Identity; retention enforced by the compactor and the bucket."""
    ha = a.highly_available
    values: dict[str, Any] = {
        "deploymentMode": "SimpleScalable" if ha else "Monolithic",
        "serviceAccount": service_account(a, LOKI_SA),
        "loki": {
            "auth_enabled": False,
            "commonConfig": {"replication_factor": 3 if ha else 1},
            "schemaConfig": {"configs": [{"from": "2024-04-01", "store": "tsdb", "object_store": "s3",
                                          "schema": "v13", "index": {"prefix": "loki_index_", "period": "24h"}}]},
            "storage": {"type": "s3", "bucketNames": {"chunks": a.loki_bucket, "ruler": a.loki_bucket,
                                                      "admin": a.loki_bucket},
                        "s3": {"region": a.region}},
            "limits_config": {"retention_period": f"{a.log_retention_days * 24}h",
                              "allow_structured_metadata": True, "volume_enabled": True},
            "compactor": {"retention_enabled": True, "delete_request_store": "s3"},
        },
        "minio": {"enabled": False},
        "test": {"enabled": False},
        "lokiCanary": {"enabled": False},
        "chunksCache": {"enabled": ha, "allocatedMemory": 2048},
        "resultsCache": {"enabled": ha},
    }
    disk = {"persistence": {"storageClass": a.storage_class}} if a.storage_class else {}
    if ha:
        values.update({"read": {"replicas": 3}, "write": {"replicas": 3, **disk}, "backend": {"replicas": 3, **disk},
                       "singleBinary": {"replicas": 0}})
    else:
        values.update({"singleBinary": {"replicas": 1, **disk}, "read": {"replicas": 0}, "write": {"replicas": 0},
                       "backend": {"replicas": 0}})
    return values


def traces_collector_values(a: MonitoringArgs) -> dict[str, Any]:
    """OTLP in (apps send to :4317/:4318), AWS X-Ray out: traces stay in the region."""
    return {
        "mode": "deployment",
        "replicaCount": 2 if a.highly_available else 1,
        "image": {"repository": COLLECTOR_IMAGE},
        "serviceAccount": service_account(a, TRACES_SA),
        "presets": {"kubernetesAttributes": {"enabled": True}},
        "config": {
            "exporters": {"awsxray": {"region": a.region, "indexed_attributes": ["k8s.namespace.name"]}},
            "service": {"pipelines": {
                "traces": {"receivers": ["otlp"], "processors": ["memory_limiter", "batch"],
                           "exporters": ["awsxray"]},
                "metrics": None,
                "logs": None,
            }},
        },
    }


def log_shipper_values(a: MonitoringArgs) -> dict[str, Any]:
    """A collector per node tails every pod's log file; JSON bodies become structured fields."""
    return {
        "mode": "daemonset",
        "image": {"repository": COLLECTOR_IMAGE},
        "serviceAccount": service_account(a, LOGS_SA),
        "presets": {"logsCollection": {"enabled": True, "includeCollectorLogs": False},
                    "kubernetesAttributes": {"enabled": True}},
        "config": {
            "receivers": {"filelog": {"operators": [
                {"type": "container", "id": "container-parser", "max_log_size": 102400},
                {"type": "json_parser", "id": "json-body", "if": 'body matches "^\\\\s*\\\\{"',
                 "parse_from": "body", "parse_to": "attributes", "on_error": "send_quiet"},
            ]}},
            "exporters": {"otlphttp/loki": {"endpoint": f"{LOKI_GATEWAY}/otlp"}},
            "service": {"pipelines": {
                "logs": {"receivers": ["filelog"], "processors": ["memory_limiter", "batch"],
                         "exporters": ["otlphttp/loki"]},
                "metrics": None,
                "traces": None,
            }},
        },
    }


# --- IAM for the pods (policy documents; the roles are made by the caller) -------------------

def alertmanager_policy(topic_arn: str, key_arn: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "sns:Publish", "Resource": topic_arn},
        {"Effect": "Allow", "Action": ["kms:GenerateDataKey*", "kms:Decrypt"], "Resource": key_arn},
    ]})


def loki_policy(bucket_arn: str, key_arn: str) -> str:
    """Only the Loki bucket and its key."""
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["s3:ListBucket"], "Resource": bucket_arn},
        {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
         "Resource": f"{bucket_arn}/*"},
        {"Effect": "Allow", "Action": ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey*"],
         "Resource": key_arn},
    ]})


def grafana_policy() -> str:
    """Read-only CloudWatch metrics (every region: the global view)."""
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Resource": "*", "Action": [
            "cloudwatch:DescribeAlarmsForMetric", "cloudwatch:DescribeAlarmHistory", "cloudwatch:DescribeAlarms",
            "cloudwatch:ListMetrics", "cloudwatch:GetMetricData", "cloudwatch:GetInsightRuleReport",
            "ec2:DescribeRegions", "tag:GetResources"]},
    ]})


def traces_policy() -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Resource": "*", "Action": [
            "xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules",
            "xray:GetSamplingTargets", "xray:GetSamplingStatisticSummaries"]},
    ]})
