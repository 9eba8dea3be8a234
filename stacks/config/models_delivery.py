"""Typed config for delivery: image registry, CI runners inside the VPCs, GitOps, progressive delivery.

`app.delivery` and `app.rollout` say how the workload reaches a cluster; the top-level
`delivery` section holds the AWS side (ECR, CodeBuild-hosted GitHub Actions runners, the GitHub
OIDC roles) and the Argo charts, pinned here rather than beside the base charts.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Literal

from pydantic import Field, field_validator

from stacks.config.models_infra import Frozen

PULL_THROUGH_UPSTREAMS = {
    "ecr-public": "public.ecr.aws",
    "k8s": "registry.k8s.io",
    "quay": "quay.io",
    "docker-hub": "registry-1.docker.io",
    "github": "ghcr.io",
}
"""ECR pull-through cache prefix -> upstream registry (https://docs.aws.amazon.com/AmazonECR/latest/
userguide/pull-through-cache-creating-rule.html). Docker Hub and GHCR need a credential secret."""
CREDENTIALED_UPSTREAMS = ("docker-hub", "github")


class CanaryAnalysisConfig(Frozen):
    """Prometheus checks that abort a canary (and roll it back) while it runs."""

    max_error_ratio: float = Field(default=0.01, gt=0, lt=1)
    """5xx share of the api's requests above which a measurement fails."""
    max_p99_seconds: float = Field(default=2.0, gt=0)
    interval_seconds: int = Field(default=60, ge=10, le=3600)
    failure_limit: int = Field(default=2, ge=0, le=10)
    """Failed measurements tolerated before the rollout aborts."""


class RolloutConfig(Frozen):
    """How a new api image replaces the old one (Argo Rollouts on EKS stacks; `local` always rolls)."""

    strategy: Literal["canary", "blue-green", "rolling"] = "canary"
    canary_steps: tuple[int, ...] = (10, 25, 50, 100)
    """Traffic weights in percent, strictly increasing, ending at 100."""
    step_pause_seconds: int = Field(default=120, ge=0, le=86400)
    analysis: CanaryAnalysisConfig = CanaryAnalysisConfig()
    blue_green_auto_promote_seconds: int | None = Field(default=None, ge=0)
    """Blue-green: promote the preview after this long when its analysis passed; None: manual
    (`kubectl argo rollouts promote api -n platform-core`)."""

    @field_validator("canary_steps")
    @classmethod
    def _steps(cls, v: tuple[int, ...]) -> tuple[int, ...]:
        if not v or v[-1] != 100 or any(b <= a for a, b in pairwise(v)) or v[0] < 1:
            raise ValueError(f"{list(v)}: weights must rise strictly from 1 or more and end at 100, "
                             "e.g. [10, 25, 50, 100]")
        return v


class GitHubConfig(Frozen):
    repository: str = Field(default="example/agentic-platform", pattern=r"^[A-Za-z0-9-]+/[A-Za-z0-9._-]+$")
    """owner/name of this repository: the only one the OIDC roles and runners trust."""
    build_environment: str = "build"
    """Protected GitHub environment (main only) whose jobs may push images."""
    deploy_environment: str | None = None
    """Protected GitHub environment whose jobs may deploy this stack; None: the stack's environment
    name (`production` for prod, as the deploy workflow names it)."""
    create_oidc_provider: bool = True
    """False when another stack of the same AWS account already created
    token.actions.githubusercontent.com (IAM allows one per URL per account)."""


class RegistryConfig(Frozen):
    enabled: bool = True
    repositories: tuple[str, ...] = ("agentic-platform",)
    keep_tagged_images: int = Field(default=200, ge=10)
    untagged_expire_days: int = Field(default=7, ge=1)
    pull_through: tuple[str, ...] = ("ecr-public", "k8s", "quay")
    upstream_credentials: dict[str, str] = Field(default_factory=dict)
    """docker-hub / github -> Secrets Manager ARN named `ecr-pullthroughcache/...` (username + accessToken)."""
    scan_gate_severity: Literal["CRITICAL", "HIGH", "MEDIUM"] = "HIGH"
    """The build fails when the image has more than `scan_gate_max_findings` findings at this
    severity or above."""
    scan_gate_max_findings: int = Field(default=0, ge=0)

    @field_validator("pull_through")
    @classmethod
    def _known(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        bad = [u for u in v if u not in PULL_THROUGH_UPSTREAMS]
        if bad:
            raise ValueError(f"unknown upstream(s) {bad}; use some of {sorted(PULL_THROUGH_UPSTREAMS)}")
        return v


class RunnersConfig(Frozen):
    enabled: bool = True
    compute_type: str = "BUILD_GENERAL1_MEDIUM"
    image: str = "aws/codebuild/amazonlinux-x86_64-standard:5.0"
    build_timeout_minutes: int = Field(default=120, ge=5, le=2160)
    connection_arn: str | None = None
    """CodeConnections connection to GitHub used by the runner projects; None: the account's
    CodeBuild source credential for GitHub (set once, `aws codebuild import-source-credentials`)."""


class ArgoConfig(Frozen):
    argo_cd_chart: str = "10.1.1"
    """argo-helm `argo-cd` (Argo CD v3.4.4)."""
    argo_rollouts_chart: str = "2.41.0"
    """argo-helm `argo-rollouts` (Argo Rollouts v1.9.0)."""
    repo_url: str = "https://github.com/example/agentic-platform.git"
    target_revision: str = "main"
    path_root: str = "deploy/gitops"


class DeliveryConfig(Frozen):
    github: GitHubConfig = GitHubConfig()
    registry: RegistryConfig = RegistryConfig()
    runners: RunnersConfig = RunnersConfig()
    argo: ArgoConfig = ArgoConfig()
    post_deploy_watch_minutes: int = Field(default=30, ge=0, le=1440)
    """After prod, the deploy waits this long with every alarm quiet, else it rolls back."""
