"""The images each pinned Helm chart pulls and the values keys that say where from.

Read from each chart's own values.yaml and templates at its pinned version (docs/delivery.md has
the table and the `repo@tag:path` of each). Helm silently ignores a key a chart does not read, so
nothing here is guessed: an image whose key could not be confirmed is not routed.

Two pure uses of one table:

* `image_values(chart, mirror)`: the values overlay that points a chart's images at the region's
  pull-through cache (only registry/repository/hub keys: the chart's own tag and digest pins stay);
* `pulled_images(chart, values)`: the images a release pulls with the values it was given, which
  the preview's "images" report and the tests read back from the plan.

An image whose upstream has no enabled rule keeps the chart's default. Where the project publishes
the same image on a registry that needs no credential (public.ecr.aws, quay.io), `alternative`
names it and is preferred; the project's own docs or values say so (docs/delivery.md).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from components.ecr import split_image

Mirror = Callable[[str], str]
"""Image -> its pull-through cache address, or the image unchanged when no rule covers it."""


def no_mirror(image: str) -> str:
    return image


@dataclass(frozen=True)
class ChartImage:
    key: str
    """Dotted values path: of the image block (`repository`, `registry` forms) or of the one
    string key (`prefix` form, e.g. `global.hub`)."""
    upstream: str
    """The chart's default, without tag: `quay.io/prometheus/prometheus` (`prefix`: `docker.io/istio`)."""
    form: Literal["repository", "registry", "prefix"]
    """`repository`: `<key>.repository` holds host/path; `registry`: `<key>.registry` the host and
    `<key>.repository` the path; `prefix`: `<key>` is joined with each of `names`."""
    names: tuple[str, ...] = ()
    """`prefix` form: the image names the chart appends (`pilot`, `proxyv2`)."""
    alternative: str | None = None
    """The same image on a registry needing no credential (same tags), preferred when its rule is on."""
    when: tuple[tuple[str, bool], ...] = ()
    """(values path, chart default): the image runs only when one of them is true."""

    def images(self, base: str) -> list[str]:
        return [f"{base}/{n}" for n in self.names] if self.form == "prefix" else [base]


def _repo(key: str, upstream: str, alternative: str | None = None,
          when: tuple[tuple[str, bool], ...] = ()) -> ChartImage:
    return ChartImage(key, upstream, "repository", alternative=alternative, when=when)


def _reg(key: str, upstream: str, alternative: str | None = None,
         when: tuple[tuple[str, bool], ...] = ()) -> ChartImage:
    return ChartImage(key, upstream, "registry", alternative=alternative, when=when)


def _prefix(key: str, upstream: str, *names: str) -> ChartImage:
    return ChartImage(key, upstream, "prefix", names=names)


LOKI_CACHES = (("chunksCache.enabled", True), ("resultsCache.enabled", True))

CHART_IMAGES: dict[str, tuple[ChartImage, ...]] = {
    # aws/eks-charts stable/aws-load-balancer-controller 3.5.0: image: "{{ image.repository }}:{{ image.tag }}"
    "aws-load-balancer-controller": (_repo("image", "public.ecr.aws/eks/aws-load-balancer-controller"),),
    # aws/karpenter-provider-aws charts/karpenter: "<controller.image.repository>:<tag>@<digest>" (digest kept)
    "karpenter": (_repo("controller.image", "public.ecr.aws/karpenter/controller"),),
    "karpenter-crd": (),
    # kubernetes/autoscaler charts/cluster-autoscaler 9.50.1
    "cluster-autoscaler": (_repo("image", "registry.k8s.io/autoscaling/cluster-autoscaler"),),
    # kubernetes-sigs/metrics-server charts/metrics-server 3.13.1 (addonResizer stays off)
    "metrics-server": (_repo("image", "registry.k8s.io/metrics-server/metrics-server"),),
    # external-secrets/external-secrets deploy/charts/external-secrets 2.9.0: ghcr.io only (Makefile IMAGE_REGISTRY)
    "external-secrets": (
        _repo("image", "ghcr.io/external-secrets/external-secrets"),
        _repo("webhook.image", "ghcr.io/external-secrets/external-secrets"),
        _repo("certController.image", "ghcr.io/external-secrets/external-secrets"),
    ),
    # kedacore/charts keda 2.20.2: "{{ registry }}/{{ repository }}:{{ tag }}", ghcr.io only (keda Makefile)
    "keda": (
        _reg("image.keda", "ghcr.io/kedacore/keda"),
        _reg("image.metricsApiServer", "ghcr.io/kedacore/keda-metrics-apiserver"),
        _reg("image.webhooks", "ghcr.io/kedacore/keda-admission-webhooks"),
    ),
    # FairwindsOps/charts stable/vpa 5.0.0: the recommender only (updater, admission controller off)
    "vpa": (_repo("recommender.image", "registry.k8s.io/autoscaling/vpa-recommender"),),
    # prometheus-community/helm-charts kube-prometheus-stack 88.5.3 and its subcharts
    # (kube-state-metrics 8.4.0, prometheus-node-exporter 4.56.1, grafana-community grafana 12.11.1);
    # the admission-webhook Deployment is off by default, the cert patch Job runs.
    "kube-prometheus-stack": (
        _reg("prometheus.prometheusSpec.image", "quay.io/prometheus/prometheus"),
        _reg("alertmanager.alertmanagerSpec.image", "quay.io/prometheus/alertmanager"),
        _reg("prometheusOperator.image", "quay.io/prometheus-operator/prometheus-operator"),
        _reg("prometheusOperator.prometheusConfigReloader.image",
             "quay.io/prometheus-operator/prometheus-config-reloader"),
        _reg("prometheusOperator.admissionWebhooks.patch.image", "ghcr.io/jkroepke/kube-webhook-certgen"),
        _reg("kube-state-metrics.image", "registry.k8s.io/kube-state-metrics/kube-state-metrics"),
        _reg("prometheus-node-exporter.image", "quay.io/prometheus/node-exporter"),
        _reg("grafana.image", "docker.io/grafana/grafana"),
        _reg("grafana.sidecar.image", "quay.io/kiwigrid/k8s-sidecar"),
    ),
    "prometheus-operator-crds": (),
    # grafana-community/helm-charts loki 18.11.0: `loki.image` template, "<registry>/<repository>:<tag>"
    "loki": (
        _reg("loki.image", "docker.io/grafana/loki"),
        # nginxinc/docker-nginx-unprivileged README: also on Amazon ECR Public (nginx/nginx-unprivileged)
        _reg("gateway.image", "docker.io/nginxinc/nginx-unprivileged",
             alternative="public.ecr.aws/nginx/nginx-unprivileged"),
        _reg("gateway.metrics.image", "ghcr.io/jkroepke/access-log-exporter"),
        # kiwigrid/k8s-sidecar README: identical images on docker.io, quay.io and ghcr.io
        _reg("sidecar.image", "docker.io/kiwigrid/k8s-sidecar", alternative="quay.io/kiwigrid/k8s-sidecar"),
        _reg("memcached.image", "docker.io/library/memcached", when=LOKI_CACHES),
        # prometheus/memcached_exporter README: quay.io/prometheus/memcached-exporter
        _reg("memcachedExporter.image", "docker.io/prom/memcached-exporter",
             alternative="quay.io/prometheus/memcached-exporter", when=LOKI_CACHES),
    ),
    # open-telemetry/opentelemetry-helm-charts opentelemetry-collector 0.170.0 (app 0.158.0): no default
    # image; the contrib build goes to Docker Hub and GHCR (collector-releases v0.158.0 .goreleaser.yaml)
    "opentelemetry-collector": (
        _repo("image", "docker.io/otel/opentelemetry-collector-contrib",
              alternative="ghcr.io/open-telemetry/opentelemetry-collector-releases/opentelemetry-collector-contrib"),
    ),
    # istio/istio manifests/charts (1.31): "{{ hub | default global.hub }}/<image>:<tag>"; releases are
    # on Docker Hub (`docker.io/istio`); waypoints run istiod's `global.hub`/proxyv2
    "base": (),
    "istiod": (_prefix("global.hub", "docker.io/istio", "pilot", "proxyv2"),),
    "cni": (_prefix("global.hub", "docker.io/istio", "install-cni"),),
    "ztunnel": (_prefix("hub", "docker.io/istio", "ztunnel"),),
    # chaos-mesh/chaos-mesh helm/chaos-mesh 2.8.2: "<component registry | images.registry>/<repository>:<tag>";
    # controller, daemon and the DNS server (dnsServer.create defaults to true); dashboard off
    "chaos-mesh": (_prefix("images.registry", "ghcr.io", "chaos-mesh/chaos-mesh", "chaos-mesh/chaos-daemon",
                           "chaos-mesh/chaos-coredns"),),
    # grafana/k6-operator charts/k6-operator 3.14.2
    "k6-operator": (_reg("manager.image", "ghcr.io/grafana/k6-operator"),),
    # argoproj/argo-helm argo-rollouts 2.41.0 and argo-cd 10.1.1 (dex off, redis-ha off)
    "argo-rollouts": (_reg("controller.image", "quay.io/argoproj/argo-rollouts"),),
    "argo-cd": (
        _repo("global.image", "quay.io/argoproj/argocd"),
        _repo("redis.image", "ecr-public.aws.com/docker/library/redis"),
    ),
}


def chart_name(chart: str) -> str:
    """`oci://public.ecr.aws/karpenter/karpenter` -> `karpenter`; a repo chart's name as is."""
    return chart.rstrip("/").rsplit("/", 1)[-1]


def _get(values: Mapping[str, Any], path: str) -> Any:
    node: Any = values
    for part in path.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def _set(values: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    node = values
    for part in parents:
        node = node.setdefault(part, {})
    node[last] = value


def merge(base: Mapping[str, Any], overlay: Mapping[str, Any]) -> dict[str, Any]:
    """`overlay` deep-merged onto a copy of `base` (what Helm does with two values files)."""
    out = dict(base)
    for key, value in overlay.items():
        current = out.get(key)
        out[key] = merge(current, value) if isinstance(current, Mapping) and isinstance(value, Mapping) \
            else copy.deepcopy(value)
    return out


def _route(image: ChartImage, mirror: Mirror) -> str | None:
    """The base (repository, or prefix) the image moves to, or None when no rule covers it."""
    for source in (image.alternative, image.upstream):
        if source is None:
            continue
        probe = image.images(source)[0]
        mapped = mirror(probe)
        if mapped != probe:
            return mapped[: len(mapped) - len(probe) + len(source)] if image.form == "prefix" else mapped
    return None


def image_values(chart: str, mirror: Mirror) -> dict[str, Any]:
    """Values pointing `chart`'s images at the cache: registry/repository/hub keys only, never a tag."""
    out: dict[str, Any] = {}
    for image in CHART_IMAGES.get(chart_name(chart), ()):
        base = _route(image, mirror)
        if base is None:
            continue
        if image.form == "repository":
            _set(out, f"{image.key}.repository", base)
        elif image.form == "registry":
            host, _, path = base.partition("/")
            _set(out, f"{image.key}.registry", host)
            _set(out, f"{image.key}.repository", path)
        else:
            _set(out, image.key, base)
    return out


def with_images(chart: str, values: Mapping[str, Any], mirror: Mirror) -> dict[str, Any]:
    """`values` with the chart's images routed through the cache (see `image_values`)."""
    return merge(values, image_values(chart, mirror))


def _runs(image: ChartImage, values: Mapping[str, Any]) -> bool:
    if not image.when:
        return True
    for path, default in image.when:
        v = _get(values, path)
        if bool(default if v is None else v):
            return True
    return False


def pulled_images(chart: str, values: Mapping[str, Any]) -> list[str]:
    """The image repositories (no tag) a release of `chart` pulls with `values`, Docker's implicit
    host made explicit (`otel/x` -> `docker.io/otel/x`). A chart missing from `CHART_IMAGES`
    raises KeyError: a new chart needs its row (read from its values.yaml) before it ships."""
    out: list[str] = []
    for image in CHART_IMAGES[chart_name(chart)]:
        if not _runs(image, values):
            continue
        if image.form == "repository":
            base = _get(values, f"{image.key}.repository") or image.upstream
        elif image.form == "registry":
            host, _, path = image.upstream.partition("/")
            base = f"{_get(values, f'{image.key}.registry') or host}/{_get(values, f'{image.key}.repository') or path}"
        else:
            base = _get(values, image.key) or image.upstream
        for pulled in image.images(str(base)):
            host, path = split_image(pulled)
            out.append(f"{host}/{path}")
    return out
