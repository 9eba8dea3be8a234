"""Cross-field rules of the delivery config (registry upstreams, GitOps mode)."""

from __future__ import annotations

from collections.abc import Iterator

from stacks.config.errors import ConfigIssue, key_path
from stacks.config.models import PlatformConfig
from stacks.config.models_delivery import CREDENTIALED_UPSTREAMS, PULL_THROUGH_UPSTREAMS


def check_delivery(cfg: PlatformConfig) -> Iterator[ConfigIssue]:
    reg = cfg.delivery.registry
    for i, upstream in enumerate(reg.pull_through):
        if upstream in CREDENTIALED_UPSTREAMS and upstream not in reg.upstream_credentials:
            yield ConfigIssue(key_path(("delivery", "registry", "pull_through", i)),
                              f"'{upstream}' ({PULL_THROUGH_UPSTREAMS[upstream]}) needs a credential: set "
                              f"delivery.registry.upstream_credentials.{upstream} to the ARN of a Secrets Manager "
                              "secret named `ecr-pullthroughcache/...`, or remove it")
    for name in sorted(reg.upstream_credentials):
        arn = reg.upstream_credentials[name]
        if name not in CREDENTIALED_UPSTREAMS:
            yield ConfigIssue(key_path(("delivery", "registry", "upstream_credentials", name)),
                              f"'{name}' takes no credential; only {', '.join(CREDENTIALED_UPSTREAMS)} do")
        elif ":secret:ecr-pullthroughcache/" not in arn:
            yield ConfigIssue(key_path(("delivery", "registry", "upstream_credentials", name)),
                              f"'{arn}' is not a Secrets Manager secret named `ecr-pullthroughcache/...` "
                              "(ECR reads upstream credentials only from that prefix)")
    if cfg.app.delivery == "gitops":
        if cfg.is_local:
            yield ConfigIssue(key_path(("app", "delivery")), "'gitops' needs Argo CD on an EKS cluster; the local "
                              "stack applies with Pulumi: use 'pulumi'")
        elif cfg.global_traffic.enabled:
            yield ConfigIssue(key_path(("app", "delivery")),
                              "'gitops' leaves the api Ingress to Argo CD, so Pulumi never learns the ALB "
                              "hostname the Cloudflare pools point at (global_traffic.enabled is true); use "
                              "'pulumi' on this stack")
