"""Effective region and residency of a resource, as a policy can know them.

Effective AWS region: the resource's own `region` (pulumi-aws 7), else its provider's
`region`, else the stack's `aws:region` (settings.defaultRegion); otherwise undeterminable,
which residency policies treat as a violation (fail closed). Kubernetes objects take the
region their provider's name carries (the kubeconfig is secret or unknown in preview).
"""

from __future__ import annotations

from typing import Any

from .config import Settings
from .props import UNKNOWN, get, mapping

RESIDENCY_TAG = "data-residency"
DOMAIN_TAG = "data-domain"
"""The data domain (a set of regions replicating to each other) an AWS resource belongs to."""

# Services whose resources are global (no region): IAM and friends.
GLOBAL_PREFIXES = (
    "aws:iam/", "aws:organizations/", "aws:cloudfront/", "aws:budgets/", "aws:ce/", "aws:shield/",
    "aws:globalaccelerator/", "aws:account/", "aws:costexplorer/", "aws:route53/zone:", "aws:route53/record:",
    "aws:route53/healthCheck:", "aws:route53domains/", "aws:waf/",
)


def is_regional_aws(resource_type: str) -> bool:
    if not resource_type.startswith("aws:"):
        return False
    return not resource_type.startswith(GLOBAL_PREFIXES)


def _region_token(text: str, known: tuple[str, ...]) -> str | None:
    for region in sorted(known, key=len, reverse=True):
        if region in text:
            return region
    return None


def provider_region(provider: Any, settings: Settings) -> Any:
    """Region a provider resource deploys to: its `region` input, else (default provider) the stack default."""
    if provider is None:
        return None
    own = get(provider.props, "region")
    if own is UNKNOWN:
        return UNKNOWN
    if isinstance(own, str) and own:
        return own
    if str(getattr(provider, "resource_type", "")).startswith("pulumi:providers:kubernetes"):
        return _region_token(f"{provider.name} {provider.urn}", settings.regions)
    if str(getattr(provider, "name", "")).startswith("default"):
        return settings.default_region
    return None


def effective_region(resource_type: str, props: Any, provider: Any, settings: Settings) -> Any:
    """Region string, UNKNOWN, or None (undeterminable / not applicable)."""
    if resource_type.startswith("kubernetes:"):
        return provider_region(provider, settings) if provider is not None else None
    own = get(props, "region")
    if own is UNKNOWN:
        return UNKNOWN
    if isinstance(own, str) and own:
        return own
    if provider is not None:
        via = provider_region(provider, settings)
        if via is not None:
            return via
        # An explicit provider without a region: the environment decides, which a policy cannot see.
        if not str(getattr(provider, "name", "")).startswith("default"):
            return None
    return settings.default_region


def tag_of(props: Any, key: str) -> str | None:
    """An AWS resource's tag: its own `tags`, else the provider's default tags merged in `tagsAll`."""
    for field in ("tags", "tagsAll"):
        value = mapping(props, field).get(key)
        if isinstance(value, str):
            return value
    return None


def residency_of(resource_type: str, props: Any) -> str | None:
    """The residency class a resource declares: its `data-residency` tag (AWS) or label (Kubernetes)."""
    if resource_type.startswith("kubernetes:"):
        labels = mapping(props, "metadata.labels")
        for key, value in labels.items():
            if (key == RESIDENCY_TAG or key.endswith("/" + RESIDENCY_TAG)) and isinstance(value, str):
                return value
        return None
    return tag_of(props, RESIDENCY_TAG)
