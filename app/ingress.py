"""Services and the ALB Ingress of the api.

The ALB (AWS Load Balancer Controller) terminates TLS with an ACM certificate under a TLS 1.3
policy, redirects HTTP to HTTPS, health-checks the readiness path, targets pod IPs directly and
only accepts the edge's CIDRs (Cloudflare), so the origin cannot be reached around the WAF. Behind
Cloudflare with an origin-pull CA, the HTTPS listener also requires this zone's client
certificate (mutual TLS `verify`): Cloudflare's IP ranges are shared by every Cloudflare customer.
"""

from __future__ import annotations

import json

import pulumi
import pulumi_kubernetes as k8s

from app.args import IngressSpec
from app.names import PLATFORM_CORE, READY_PATH, labels, selector

ALB = "alb.ingress.kubernetes.io"


def mutual_authentication(trust_store_arn: str) -> str:
    """`alb.ingress.kubernetes.io/mutual-authentication`: mTLS `verify` on the HTTPS listener.

    The controller's JSON list per listener port
    (https://kubernetes-sigs.github.io/aws-load-balancer-controller/latest/guide/ingress/annotations/#mutual-authentication);
    `trustStore` takes an ARN (a name is resolved with DescribeTrustStores). Expired client
    certificates are refused (`ignoreClientCertificateExpiry` false): rotating the origin-pull
    certificate is the operator's job, not the ALB's to forgive. Port 80 only redirects to 443.
    """
    return json.dumps([{"port": 443, "mode": "verify", "trustStore": trust_store_arn,
                        "ignoreClientCertificateExpiry": False}])


def alb_annotations(spec: IngressSpec, certificate_arn: str, log_bucket: str | None = None,
                    trust_store_arn: str | None = None) -> dict[str, str]:
    """Annotations of the Ingress; pure so the policy tests can read them without a cluster."""
    attrs = ["routing.http.drop_invalid_header_fields.enabled=true", "idle_timeout.timeout_seconds=120",
             f"deletion_protection.enabled={'true' if spec.deletion_protection else 'false'}"]
    if log_bucket:
        attrs += ["access_logs.s3.enabled=true", f"access_logs.s3.bucket={log_bucket}",
                  f"access_logs.s3.prefix={spec.access_logs_prefix}"]
    out = {
        f"{ALB}/scheme": "internet-facing",
        f"{ALB}/target-type": "ip",
        f"{ALB}/certificate-arn": certificate_arn,
        f"{ALB}/ssl-policy": spec.ssl_policy,
        f"{ALB}/listen-ports": json.dumps([{"HTTP": 80}, {"HTTPS": 443}]),
        f"{ALB}/ssl-redirect": "443",
        f"{ALB}/healthcheck-path": READY_PATH,
        f"{ALB}/healthcheck-port": "traffic-port",
        f"{ALB}/success-codes": "200",
        f"{ALB}/inbound-cidrs": ",".join(spec.allowed_cidrs),
        f"{ALB}/load-balancer-attributes": ",".join(attrs),
        f"{ALB}/target-group-attributes": "deregistration_delay.timeout_seconds=30",
    }
    if trust_store_arn:
        out[f"{ALB}/mutual-authentication"] = mutual_authentication(trust_store_arn)
    if spec.tags:
        out[f"{ALB}/tags"] = ",".join(f"{k}={v}" for k, v in sorted(spec.tags.items()))
    return out


def services(prefix: str, environment: str, worker_metrics_port: int,
             opts: pulumi.ResourceOptions, *, namespace: str = PLATFORM_CORE) -> dict[str, k8s.core.v1.Service]:
    """api: ClusterIP (the ALB targets pod IPs); worker: metrics only, for its ServiceMonitor."""
    api = k8s.core.v1.Service(
        f"{prefix}-svc-api",
        metadata=k8s.meta.v1.ObjectMetaArgs(name="api", namespace=namespace, labels=labels("api", environment)),
        spec=k8s.core.v1.ServiceSpecArgs(
            type="ClusterIP", selector=selector("api"),
            ports=[k8s.core.v1.ServicePortArgs(name="http", port=80, target_port="http", protocol="TCP")],
        ),
        opts=opts,
    )
    worker = k8s.core.v1.Service(
        f"{prefix}-svc-worker",
        metadata=k8s.meta.v1.ObjectMetaArgs(name="worker", namespace=namespace,
                                            labels=labels("worker", environment)),
        spec=k8s.core.v1.ServiceSpecArgs(
            type="ClusterIP", selector=selector("worker"),
            ports=[k8s.core.v1.ServicePortArgs(name="metrics", port=worker_metrics_port,
                                               target_port="metrics", protocol="TCP")],
        ),
        opts=opts,
    )
    return {"api": api, "worker": worker}


def api_ingress(prefix: str, environment: str, spec: IngressSpec,
                opts: pulumi.ResourceOptions, *, namespace: str = PLATFORM_CORE) -> k8s.networking.v1.Ingress:
    backend = k8s.networking.v1.IngressBackendArgs(service=k8s.networking.v1.IngressServiceBackendArgs(
        name="api", port=k8s.networking.v1.ServiceBackendPortArgs(name="http")))
    rules = [
        k8s.networking.v1.IngressRuleArgs(
            host=host,
            http=k8s.networking.v1.HTTPIngressRuleValueArgs(paths=[
                k8s.networking.v1.HTTPIngressPathArgs(path="/", path_type="Prefix", backend=backend)]),
        )
        for host in spec.hosts
    ]
    annotations = pulumi.Output.all(spec.certificate_arn, spec.access_logs_bucket, spec.trust_store_arn).apply(
        lambda a: alb_annotations(spec, str(a[0]), str(a[1]) if a[1] else None, str(a[2]) if a[2] else None))
    return k8s.networking.v1.Ingress(
        f"{prefix}-ingress-api",
        metadata=k8s.meta.v1.ObjectMetaArgs(name="api", namespace=namespace, labels=labels("api", environment),
                                            annotations=annotations),
        spec=k8s.networking.v1.IngressSpecArgs(ingress_class_name="alb", rules=rules),
        opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=list(spec.depends_on))),
    )


def ingress_hostname(ingress: k8s.networking.v1.Ingress) -> pulumi.Output[str]:
    """The ALB DNS name the controller writes into the Ingress status (Cloudflare's origin)."""
    def first(status: object) -> str:
        lb = getattr(status, "load_balancer", None)
        entries = getattr(lb, "ingress", None) or []
        return str(getattr(entries[0], "hostname", "") or "") if entries else ""
    return ingress.status.apply(first)
