"""Cross-field rules of the delivery config (registry upstreams, GitOps mode)."""

from __future__ import annotations

from collections.abc import Iterator

from stacks.config.errors import ConfigIssue, key_path
from stacks.config.models import PlatformConfig
from stacks.config.models_delivery import CREDENTIALED_UPSTREAMS, PULL_THROUGH_UPSTREAMS
from stacks.config.secret_needs import PULL_THROUGH_SECRETS


def _config_secrets_fix(upstream: str) -> str:
    user, token = PULL_THROUGH_SECRETS[upstream]
    return (f"`pulumi config set {key_path((user,))} <username>` and `pulumi config set --secret "
            f"{key_path((token,))} <access token>` (the program stores them in an `ecr-pullthroughcache/` "
            "secret in every region; docs/delivery.md)")


def _credential_fix(upstream: str) -> str:
    return (f"{_config_secrets_fix(upstream)}, or set delivery.registry.upstream_credentials.{upstream} "
            "to the ARN of such a secret")


def check_pull_through_credentials(cfg: PlatformConfig) -> Iterator[ConfigIssue]:
    """Docker Hub and GHCR rules need a credential: the config secrets, or one existing secret.

    ECR reads it only from a secret named `ecr-pullthroughcache/...` in the rule's own account and
    region (https://docs.aws.amazon.com/AmazonECR/latest/userguide/pull-through-cache-creating-rule.html),
    so one ARN serves a single-region stack only."""
    reg = cfg.delivery.registry
    if cfg.is_local or not reg.enabled:
        return
    s = cfg.secrets
    for i, upstream in enumerate(reg.pull_through):
        if upstream not in CREDENTIALED_UPSTREAMS or upstream in reg.upstream_credentials:
            continue
        user, token = PULL_THROUGH_SECRETS[upstream]
        present = {k: getattr(s, k) is not None for k in (user, token)}
        if not any(present.values()):
            yield ConfigIssue(key_path(("delivery", "registry", "pull_through", i)),
                              f"'{upstream}' ({PULL_THROUGH_UPSTREAMS[upstream]}) needs a credential: set "
                              + _credential_fix(upstream) + "; or remove it")
            continue
        for k in (user, token):
            if not present[k]:
                yield ConfigIssue(key_path((k,)), f"missing (delivery.registry.pull_through has '{upstream}'): "
                                  + _credential_fix(upstream))
    for name in sorted(reg.upstream_credentials):
        arn = reg.upstream_credentials[name]
        path = key_path(("delivery", "registry", "upstream_credentials", name))
        if name not in CREDENTIALED_UPSTREAMS:
            yield ConfigIssue(path, f"'{name}' takes no credential; only {', '.join(CREDENTIALED_UPSTREAMS)} do")
        elif ":secret:ecr-pullthroughcache/" not in arn:
            yield ConfigIssue(path, f"'{arn}' is not a Secrets Manager secret named `ecr-pullthroughcache/...` "
                              "(ECR reads upstream credentials only from that prefix)")
        else:
            parts = arn.split(":")
            arn_region = parts[3] if len(parts) > 3 else ""
            others = [r for r in cfg.region_names if r != arn_region]
            if others:
                yield ConfigIssue(path, f"'{arn}' is in '{arn_region}' but the rule is also created in "
                                  f"{', '.join(others)}; ECR reads the secret only in the rule's own region: "
                                  f"remove this ARN and set {_config_secrets_fix(name)}")


def check_delivery(cfg: PlatformConfig) -> Iterator[ConfigIssue]:
    yield from check_pull_through_credentials(cfg)
    if cfg.app.delivery == "gitops":
        if cfg.is_local:
            yield ConfigIssue(key_path(("app", "delivery")), "'gitops' needs Argo CD on an EKS cluster; the local "
                              "stack applies with Pulumi: use 'pulumi'")
        elif cfg.global_traffic.enabled:
            yield ConfigIssue(key_path(("app", "delivery")),
                              "'gitops' leaves the api Ingress to Argo CD, so Pulumi never learns the ALB "
                              "hostname the Cloudflare pools point at (global_traffic.enabled is true); use "
                              "'pulumi' on this stack")
