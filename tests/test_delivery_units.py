"""Delivery's pure rules: image mirroring, ECR lifecycle, OIDC trust, deploy rights, rollout specs, config."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from app.gitops import application_spec, subscriptions
from app.pods import image_ref
from app.rollout import RolloutSpec, analysis_template_spec, canary_steps, rollout_spec
from components.ci_runners import deploy_policy, github_trust_policy, push_policy, runner_label
from components.ecr import lifecycle_policy, mirror_image, node_pull_through_policy
from stacks.config import ConfigError, parse
from stacks.config.secret_needs import conditional_secrets
from stacks.harness.run import stack_namespace

REG = "111122223333.dkr.ecr.eu-west-1.amazonaws.com"
ALL = ("ecr-public", "k8s", "quay", "docker-hub", "github")


@pytest.mark.parametrize(("image", "expected"), [
    ("quay.io/argoproj/argocd:v3.4.4", f"{REG}/quay/argoproj/argocd:v3.4.4"),
    ("registry.k8s.io/metrics-server/metrics-server:v0.8.0", f"{REG}/k8s/metrics-server/metrics-server:v0.8.0"),
    ("redis:7.4-alpine", f"{REG}/docker-hub/library/redis:7.4-alpine"),
    ("pgvector/pgvector:0.8.0-pg16", f"{REG}/docker-hub/pgvector/pgvector:0.8.0-pg16"),
    ("ecr-public.aws.com/docker/library/redis:8.2", f"{REG}/ecr-public/docker/library/redis:8.2"),
    ("public.ecr.aws/karpenter/controller:1.6.1", f"{REG}/ecr-public/karpenter/controller:1.6.1"),
    (f"{REG}/agentic-platform:abc", f"{REG}/agentic-platform:abc"),
])
def test_public_images_map_to_the_pull_through_cache(image: str, expected: str) -> None:
    assert mirror_image(image, REG, ALL) == expected


def test_an_upstream_without_a_rule_is_left_alone() -> None:
    assert mirror_image("ghcr.io/dexidp/dex:v2.45.1", REG, ("quay",)) == "ghcr.io/dexidp/dex:v2.45.1"
    assert mirror_image("redis:7", REG, ("quay",)) == "redis:7"


def test_lifecycle_expires_untagged_first_and_keeps_the_newest_builds() -> None:
    rules = json.loads(lifecycle_policy(200, 7))["rules"]
    assert [r["rulePriority"] for r in rules] == [1, 2]
    assert rules[0]["selection"] == {"tagStatus": "untagged", "countType": "sinceImagePushed",
                                     "countUnit": "days", "countNumber": 7}
    # ECR requires the `any` rule to have the highest priority number.
    assert rules[-1]["selection"] == {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 200}


def test_nodes_may_create_only_cached_repositories() -> None:
    doc = json.loads(node_pull_through_policy("eu-west-1", "111122223333", ["quay", "k8s"]))
    (st,) = doc["Statement"]
    assert st["Action"] == ["ecr:CreateRepository", "ecr:BatchImportUpstreamImage"]
    assert st["Resource"] == ["arn:aws:ecr:eu-west-1:111122223333:repository/k8s/*",
                              "arn:aws:ecr:eu-west-1:111122223333:repository/quay/*"]


def test_oidc_trust_is_one_repository_and_one_protected_environment() -> None:
    doc = github_trust_policy("arn:aws:iam::1:oidc-provider/token.actions.githubusercontent.com", "acme/platform",
                              "production")
    cond = doc["Statement"][0]["Condition"]
    assert cond == {"StringEquals": {
        "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
        "token.actions.githubusercontent.com:sub": "repo:acme/platform:environment:production"}}
    assert "StringLike" not in cond  # no wildcard subject: a branch or a fork cannot match


def test_deploy_rights_stay_in_the_stack_regions_and_fit_a_managed_policy() -> None:
    regions = ["us-east-1", "eu-west-1", "ap-southeast-1", "eu-central-1"]
    doc = deploy_policy("777788889999", "agentic-platform-prod", regions)
    text = json.dumps(doc, separators=(",", ":"))
    assert len(text) <= 6144, "IAM managed policies are limited to 6,144 characters"
    by_sid = {s["Sid"]: s for s in doc["Statement"]}
    assert by_sid["RegionalWrites"]["Resource"][:4] == [f"arn:aws:*:{r}:*" for r in regions]
    assert all(a.split(":")[1].startswith(("Describe", "List", "Get")) for a in by_sid["Read"]["Action"])
    assert by_sid["UnscopedCreates"]["Condition"] == {"StringEquals": {"aws:RequestedRegion": regions}}
    assert by_sid["OwnIam"]["Resource"][0] == "arn:aws:iam::777788889999:role/agentic-platform-prod-*"
    assert by_sid["NoUsers"]["Effect"] == "Deny" and "iam:CreateAccessKey" in by_sid["NoUsers"]["Action"]
    assert not any(s["Action"] in ("*", ["*"]) for s in doc["Statement"])


def test_push_role_reaches_only_the_project_repositories() -> None:
    doc = push_policy("1", ["us-east-1", "eu-west-1"], ["agentic-platform"])
    push = next(s for s in doc["Statement"] if s["Sid"] == "Push")
    assert push["Resource"] == ["arn:aws:ecr:us-east-1:1:repository/agentic-platform",
                                "arn:aws:ecr:eu-west-1:1:repository/agentic-platform"]


def test_runner_label_is_unique_per_job_run() -> None:
    assert runner_label("agentic-platform-prod-use1") == (
        "codebuild-agentic-platform-prod-use1-runner-${{ github.run_id }}-${{ github.run_attempt }}")


def test_image_ref_pins_the_digest_and_keeps_the_tag_readable() -> None:
    assert image_ref("r/app", "abc") == "r/app:abc"
    assert image_ref("r/app", "abc", "sha256:" + "0" * 64) == "r/app:abc@sha256:" + "0" * 64


def test_canary_steps_pause_between_weights_and_end_at_full() -> None:
    assert canary_steps((10, 25, 50, 100), 120) == [
        {"setWeight": 10}, {"pause": {"duration": "120s"}}, {"setWeight": 25}, {"pause": {"duration": "120s"}},
        {"setWeight": 50}, {"pause": {"duration": "120s"}}]
    assert canary_steps((50, 100), 0) == [{"setWeight": 50}, {"pause": {}}]  # manual promotion


def test_analysis_fails_on_error_ratio_or_p99_above_the_limits() -> None:
    spec = analysis_template_spec(RolloutSpec(strategy="canary", max_error_ratio=0.02, max_p99_seconds=1.5,
                                              failure_limit=3, interval_seconds=30))
    by_name = {m["name"]: m for m in spec["metrics"]}
    assert set(by_name) == {"error-ratio", "latency-p99"}
    assert by_name["error-ratio"]["successCondition"].endswith("result[0] <= 0.02")
    assert by_name["latency-p99"]["successCondition"].endswith("result[0] <= 1.5")
    assert 'status_code=~"5.."' in by_name["error-ratio"]["provider"]["prometheus"]["query"]
    assert "histogram_quantile(0.99" in by_name["latency-p99"]["provider"]["prometheus"]["query"]
    assert {m["failureLimit"] for m in spec["metrics"]} == {3}
    assert {m["interval"] for m in spec["metrics"]} == {"30s"}


def test_blue_green_waits_for_analysis_before_promotion() -> None:
    spec = rollout_spec(RolloutSpec(strategy="blue-green"), replicas=3)
    bg = spec["strategy"]["blueGreen"]
    assert bg["activeService"] == "api" and bg["previewService"] == "api-preview"
    assert bg["prePromotionAnalysis"] == {"templates": [{"templateName": "api-health"}]}
    assert bg["autoPromotionEnabled"] is False
    assert spec["workloadRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "api",
                                   "scaleDown": "never"}


def test_application_syncs_automatically_and_leaves_autoscaled_replicas() -> None:
    spec = application_spec("https://github.com/a/b.git", "main", "deploy/gitops/dev/us-east-1")
    assert spec["syncPolicy"]["automated"] == {"prune": True, "selfHeal": True}
    assert "RespectIgnoreDifferences=true" in spec["syncPolicy"]["syncOptions"]
    assert {"group": "argoproj.io", "kind": "Rollout", "jsonPointers": ["/spec/replicas"]} in spec["ignoreDifferences"]
    assert set(subscriptions("q")) == {f"notifications.argoproj.io/subscribe.{t}.awssqs"
                                       for t in ("on-sync-failed", "on-health-degraded", "on-deployed")}


# --- config ---

def _parse(stack: str, edit: dict[str, Any]) -> None:
    ns, region = stack_namespace(stack)
    ns = copy.deepcopy(ns)
    for key, value in edit.items():
        section, _, field = key.partition(".")
        if field:
            ns.setdefault(section, {})
            cur = ns[section]
            *path, last = field.split(".")
            for p in path:
                cur = cur.setdefault(p, {})
            cur[last] = value
        else:
            ns[section] = value
    parse(ns, stack=stack, aws_region=region)


def refused(stack: str, edit: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as info:
        _parse(stack, edit)
    return str(info.value)


def test_canary_weights_must_rise_to_100() -> None:
    msg = refused("dev", {"app.rollout": {"canary_steps": [10, 50, 25]}})
    assert "agentic-platform:app.rollout.canary_steps" in msg and "end at 100" in msg
    assert "agentic-platform:app.rollout.canary_steps" in refused("dev", {"app.rollout": {"canary_steps": [10, 50]}})


def test_credentialed_upstreams_need_an_ecr_pullthroughcache_secret() -> None:
    msg = refused("dev", {"delivery.registry.pull_through": ["quay", "docker-hub"]})
    assert "agentic-platform:delivery.registry.pull_through[1]" in msg and "upstream_credentials.docker-hub" in msg
    msg = refused("dev", {"delivery.registry.pull_through": ["docker-hub"],
                          "delivery.registry.upstream_credentials": {
                              "docker-hub": "arn:aws:secretsmanager:us-east-1:1:secret:dockerhub"}})
    assert "agentic-platform:delivery.registry.upstream_credentials.docker-hub" in msg
    _parse("dev", {"delivery.registry.pull_through": ["docker-hub"], "delivery.registry.upstream_credentials": {
        "docker-hub": "arn:aws:secretsmanager:us-east-1:1:secret:ecr-pullthroughcache/dockerhub-AbC"}})


def test_credentialed_upstreams_make_their_login_secrets_necessary() -> None:
    """Like the origin-pull secrets: needed only when a config enables the upstream without an ARN,
    so the harness and the preview stand in test values and report them unset."""
    staging, _ = stack_namespace("staging", secrets={})
    assert conditional_secrets(staging) == ["dockerhub_username", "dockerhub_access_token",
                                            "github_username", "github_access_token"]
    dev, _ = stack_namespace("dev", secrets={})
    assert conditional_secrets(dev) == []
    arn = "arn:aws:secretsmanager:us-east-1:1:secret:ecr-pullthroughcache/dockerhub-AbC"
    with_arn = {**staging, "delivery": {"registry": {"pull_through": ["docker-hub", "github"],
                                                     "upstream_credentials": {"docker-hub": arn}}}}
    assert conditional_secrets(with_arn) == ["github_username", "github_access_token"]
    off = {**staging, "delivery": {"registry": {"enabled": False, "pull_through": ["docker-hub"]}}}
    assert conditional_secrets(off) == []
    assert conditional_secrets({**staging, "environment": "local"}) == []


def test_unknown_upstream_is_refused_with_the_known_ones() -> None:
    msg = refused("dev", {"delivery.registry.pull_through": ["gcr"]})
    assert "agentic-platform:delivery.registry.pull_through" in msg and "ecr-public" in msg


def test_gitops_needs_a_cluster_and_no_global_traffic() -> None:
    assert "agentic-platform:app.delivery" in refused("prod", {"app.delivery": "gitops"})
    assert "agentic-platform:app.delivery" in refused("local", {"app.delivery": "gitops"})
    _parse("staging", {"app.delivery": "gitops"})
