"""Chart images through the pull-through cache: the table's rules and what each stack's releases get.

Every Helm release's image keys (components/chart_images.py, read from each chart's values.yaml
at its pin) must point at the release region's ECR cache whenever the image's upstream has an
enabled rule; what stays upstream is exactly the Docker Hub / GHCR images until those rules are on
(staging and prod turn them on with the program's own credential secrets; a `pull_through` of the
default three shows what would stay upstream without them).
"""

from __future__ import annotations

from typing import Any

import pytest

from components.chart_images import CHART_IMAGES, image_values, no_mirror, pulled_images
from components.ecr import mirror_image, upstream_rule
from stacks.gitops_render import gitops_overrides
from stacks.harness import Plan, run_stack
from stacks.harness.run import stack_config
from stacks.reports.images import chart_images, report, upstream

REG = "111122223333.dkr.ecr.eu-west-1.amazonaws.com"
DEFAULT = ("ecr-public", "k8s", "quay")
ALL = (*DEFAULT, "docker-hub", "github")
RELEASE = "kubernetes:helm.sh/v3:Release"
NS = "agentic-platform:"
CREDS = {"docker-hub": "arn:aws:secretsmanager:us-east-1:444455556666:secret:ecr-pullthroughcache/docker-hub-AbC",
         "github": "arn:aws:secretsmanager:us-east-1:444455556666:secret:ecr-pullthroughcache/github-AbC"}
IMAGE_KEYS = {"registry", "repository", "hub"}


def mirror(enabled: tuple[str, ...]) -> Any:
    return lambda image: mirror_image(image, REG, enabled)


# --- the table (pure) --------------------------------------------------------------------------

@pytest.mark.parametrize(("image", "expected"), [
    ("docker.io/busybox:1.37", f"{REG}/docker-hub/library/busybox:1.37"),
    ("docker.io/library/memcached", f"{REG}/docker-hub/library/memcached"),
    ("index.docker.io/grafana/loki", f"{REG}/docker-hub/grafana/loki"),
    ("busybox", f"{REG}/docker-hub/library/busybox"),
])
def test_docker_hub_official_images_keep_library(image: str, expected: str) -> None:
    assert mirror_image(image, REG, ALL) == expected


def test_every_chart_image_has_an_upstream_ecr_can_cache() -> None:
    for chart, images in CHART_IMAGES.items():
        for image in images:
            for source in filter(None, (image.upstream, image.alternative)):
                assert upstream_rule(image.images(source)[0]) is not None, (chart, source)


@pytest.mark.parametrize("chart", sorted(c for c, images in CHART_IMAGES.items() if images))
def test_overlays_set_only_where_images_come_from_never_a_tag(chart: str) -> None:
    def keys(node: dict[str, Any]) -> set[str]:
        return set().union(*({k} if not isinstance(v, dict) else keys(v) for k, v in node.items()))

    overlay = image_values(chart, mirror(ALL))
    assert overlay and keys(overlay) <= IMAGE_KEYS, overlay
    assert image_values(chart, no_mirror) == {}
    # Read back: every image the chart pulls is in the cache once every rule is on.
    assert all(i.startswith(f"{REG}/") for i in pulled_images(chart, overlay)), pulled_images(chart, overlay)


def test_prefix_keys_and_credential_free_alternatives() -> None:
    assert image_values("istiod", mirror(ALL)) == {"global": {"hub": f"{REG}/docker-hub/istio"}}
    assert image_values("ztunnel", mirror(ALL)) == {"hub": f"{REG}/docker-hub/istio"}
    assert image_values("chaos-mesh", mirror(ALL)) == {"images": {"registry": f"{REG}/github"}}
    assert image_values("istiod", mirror(DEFAULT)) == {}
    # The same image published on quay.io / public.ecr.aws is preferred: no credential needed.
    loki = image_values("loki", mirror(DEFAULT))
    assert loki["sidecar"]["image"] == {"registry": REG, "repository": "quay/kiwigrid/k8s-sidecar"}
    assert loki["gateway"]["image"] == {"registry": REG, "repository": "ecr-public/nginx/nginx-unprivileged"}
    assert "loki" not in loki
    # Without quay, the chart's own Docker Hub image when that rule is on.
    assert image_values("loki", mirror(("docker-hub",)))["sidecar"]["image"]["repository"] == \
        "docker-hub/kiwigrid/k8s-sidecar"
    assert image_values("opentelemetry-collector", mirror(("github",)))["image"]["repository"] == \
        f"{REG}/github/open-telemetry/opentelemetry-collector-releases/opentelemetry-collector-contrib"


def test_memcached_images_only_where_loki_runs_its_caches() -> None:
    off = pulled_images("loki", {"chunksCache": {"enabled": False}, "resultsCache": {"enabled": False}})
    assert not any("memcached" in i for i in off)
    assert "docker.io/library/memcached" in pulled_images("loki", {})


def test_a_chart_without_a_row_is_refused() -> None:
    with pytest.raises(KeyError):
        pulled_images("some-new-chart", {})


# --- the stacks --------------------------------------------------------------------------------

def everything(stack: str) -> dict[str, Any]:
    """Every chart this program can install, and the Docker Hub and GHCR rules with credentials."""
    config = stack_config(stack)
    cluster = {**config[f"{NS}cluster"], "autoscaler": "cluster-autoscaler"}
    return {**gitops_overrides(stack), f"{NS}cluster": cluster,
            f"{NS}delivery": {"registry": {"pull_through": list(ALL), "upstream_credentials": CREDS}}}


@pytest.fixture(scope="module")
def staging_all() -> Plan:
    """Every chart, and Docker Hub / GHCR through secrets given as ARNs instead of config secrets."""
    return run_stack("staging", everything("staging"))


@pytest.fixture(scope="module")
def staging_default() -> Plan:
    """Staging with the default rules only (no credentialed upstream), as dev runs."""
    return run_stack("staging", {f"{NS}delivery": {"registry": {"pull_through": list(DEFAULT)}}})


@pytest.fixture(scope="module")
def plans(prod: Plan, staging: Plan, staging_all: Plan, staging_default: Plan
          ) -> dict[str, tuple[Plan, tuple[str, ...]]]:
    return {"prod": (prod, ALL), "staging": (staging, ALL), "staging+ARNs": (staging_all, ALL),
            "staging-default": (staging_default, DEFAULT)}


def test_every_release_has_a_row_in_the_table(plans: dict[str, tuple[Plan, tuple[str, ...]]]) -> None:
    for name, (plan, _) in plans.items():
        charts = {str(r.get("chart")).rsplit("/", 1)[-1] for r in plan.of_type(RELEASE)}
        assert charts and charts <= set(CHART_IMAGES), f"{name}: {sorted(charts - set(CHART_IMAGES))}"


@pytest.mark.parametrize("chart", sorted(c for c, images in CHART_IMAGES.items() if images))
def test_chart_images_pull_through_the_regions_cache_when_their_rule_is_on(
        chart: str, plans: dict[str, tuple[Plan, tuple[str, ...]]]) -> None:
    seen = 0
    for name, (plan, enabled) in plans.items():
        for r in plan.of_type(RELEASE):
            if str(r.get("chart")).rsplit("/", 1)[-1] != chart:
                continue
            host = f"111122223333.dkr.ecr.{r.region}.amazonaws.com"
            for image in pulled_images(chart, r.get("values")):
                seen += 1
                if image.startswith(f"{host}/"):
                    assert image.split("/")[1] in enabled, f"{name}: {r.name} {image}"
                else:
                    assert upstream_rule(image) not in enabled, f"{name}: {r.name} pulls {image} past its cache"
    assert seen, f"no stack installs {chart}"


def test_tags_and_digests_stay_the_charts_own(plans: dict[str, tuple[Plan, tuple[str, ...]]]) -> None:
    """Only where an image comes from is set; the chart's pinned tag (Karpenter: tag@digest) stays."""
    for _, (plan, _) in plans.items():
        for r in plan.of_type(RELEASE):
            for image in CHART_IMAGES[str(r.get("chart")).rsplit("/", 1)[-1]]:
                if image.form == "prefix":
                    continue
                block = r.get(f"values.{image.key}") or {}
                assert not {"tag", "digest", "sha"} & set(block), f"{r.name}: {image.key} {block}"


def _upstream(plan: Plan) -> set[tuple[str, str]]:
    return {(i.region, i.image) for i in upstream(plan)}


GHCR_BASE = {"ghcr.io/external-secrets/external-secrets", "ghcr.io/kedacore/keda",
             "ghcr.io/kedacore/keda-metrics-apiserver", "ghcr.io/kedacore/keda-admission-webhooks",
             "ghcr.io/jkroepke/kube-webhook-certgen", "ghcr.io/jkroepke/access-log-exporter"}
DOCKER_HUB_BASE = {"docker.io/grafana/grafana", "docker.io/grafana/loki",
                   "docker.io/otel/opentelemetry-collector-contrib"}


def test_what_stays_upstream_is_exactly_docker_hub_and_ghcr(prod: Plan, staging_default: Plan) -> None:
    testing = {"ghcr.io/chaos-mesh/chaos-mesh", "ghcr.io/chaos-mesh/chaos-daemon", "ghcr.io/chaos-mesh/chaos-coredns",
               "ghcr.io/grafana/k6-operator"}
    expected = {("us-east-1", i) for i in GHCR_BASE | DOCKER_HUB_BASE | testing}
    assert _upstream(staging_default) == expected
    assert {upstream_rule(i) for _, i in expected} == {"docker-hub", "github"}
    # prod caches them all, in every region.
    regions = set(prod.outputs["regions"])
    cached = {(i.region, i.image.split("/")[1]) for i in chart_images(prod) if i.cached}
    assert cached == {(region, p) for region in regions for p in ALL}  # each rule serves every region
    assert _upstream(prod) == set()


def test_enabling_docker_hub_and_github_with_credentials_caches_every_chart_image(staging_all: Plan) -> None:
    assert upstream(staging_all) == []
    rules = {r.get("ecrRepositoryPrefix"): r for r in staging_all.of_type(
        "aws:ecr/pullThroughCacheRule:PullThroughCacheRule")}
    assert set(rules) == set(ALL)
    assert {p: rules[p].get("credentialArn") for p in ("docker-hub", "github")} == CREDS
    assert {"argo-cd", "cluster-autoscaler"} <= {i.chart for i in chart_images(staging_all)}


def test_the_preview_lists_what_stays_upstream(staging: Plan, staging_default: Plan, staging_all: Plan) -> None:
    rep = report(staging_default)
    assert rep.summary.endswith(f"{len(_upstream(staging_default))} upstream") and not rep.failed
    assert any("upstream: docker.io/grafana/grafana (kube-prometheus-stack; rule `docker-hub` is off)" in line
               for line in rep.lines)
    assert report(staging_all).summary.endswith(" 0 upstream")
    assert report(staging).summary.endswith(" 0 upstream")
    # A chart nobody has read yet fails the preview instead of passing unseen.
    fresh = run_stack("staging")  # a copy: the module's plan stays as it was
    next(r for r in fresh.of_type(RELEASE) if r.name.endswith("-keda")).inputs["chart"] = "some-new-chart"
    rep = report(fresh)
    assert rep.failed and rep.data["unknown_charts"] == ["some-new-chart"]


def test_charts_wait_for_the_cache_rules_and_the_nodes_grant(plans: dict[str, tuple[Plan, tuple[str, ...]]]) -> None:
    for name, (plan, enabled) in plans.items():
        rules = {r.urn: r.region for r in plan.of_type("aws:ecr/pullThroughCacheRule:PullThroughCacheRule")}
        grants = {g.urn: g.name.removesuffix("-nodes-pull-through").split("-", 1)[1]  # IAM is global: by name
                  for g in plan.of_type("aws:iam/rolePolicy:RolePolicy") if g.name.endswith("-nodes-pull-through")}
        providers = [p for p in plan.of_type("pulumi:providers:kubernetes") if p.name.endswith("-k8s")]
        assert providers, name
        for p in providers:
            waits = set(p.options["dependsOn"])
            assert {u for u, region in rules.items() if region == p.region} <= waits, f"{name}: {p.name}"
            assert len([u for u, region in rules.items() if region == p.region]) == len(enabled)
            assert [u for u in waits if u in grants] and all(grants[u] == p.region for u in waits if u in grants)


def test_karpenter_nodes_may_import_through_the_cache(staging: Plan) -> None:
    (grant,) = [g for g in staging.of_type("aws:iam/rolePolicy:RolePolicy")
                if g.name.endswith("-karpenter-node-pull-through")]
    (role,) = [r for r in staging.of_type("aws:iam/role:Role") if r.name.endswith("-karpenter-node-role")]
    assert grant.get("role") == role.outputs.get("name", role.get("name"))
    assert "ecr:BatchImportUpstreamImage" in str(grant.get("policy"))


def test_urns_stay_unique(plans: dict[str, tuple[Plan, tuple[str, ...]]]) -> None:
    for name, (plan, _) in plans.items():
        urns = [r.urn for r in plan.resources]
        assert len(urns) == len(set(urns)), name
