"""Secrets a stack needs because of its other config, read from the raw stack-file values.

`Pulumi.yaml` declares the secrets every stack needs (a real `pulumi preview` stops without
them). Some are needed only by some configs: the origin-pull client certificate and key once
`global_traffic.edge.origin_pull_ca_pem` is set behind an enabled edge, the Docker Hub / GitHub
username and access token once `delivery.registry.pull_through` enables `docker-hub` / `github`
without an ARN in `upstream_credentials` (the program then stores them in an
`ecr-pullthroughcache/` secret per region, components/ecr.py). Declaring those in
`Pulumi.yaml` would make every stack (local and dev too) require them, so the offline preview
learns them here and stands in test values for them exactly as for the declared ones
(stacks/harness/run.py, stacks/reports/config.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

ORIGIN_PULL_SECRETS = ("origin_pull_certificate", "origin_pull_private_key")
PULL_THROUGH_SECRETS = {
    "docker-hub": ("dockerhub_username", "dockerhub_access_token"),
    "github": ("github_username", "github_access_token"),
}
"""Credentialed pull-through upstream -> (username key, access-token key). The username may be set
plain (`pulumi config set`), the token only with `--secret`; both are read as secrets."""


def _obj(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def conditional_secrets(namespace: Mapping[str, Any]) -> list[str]:
    """Secret keys (no `agentic-platform:` prefix) the values in `namespace` (keys without the
    prefix, YAML values) make necessary beyond the declared ones."""
    out: list[str] = []
    gt = _obj(namespace.get("global_traffic"))
    if gt.get("enabled") is True and _obj(gt.get("edge")).get("origin_pull_ca_pem"):
        out += ORIGIN_PULL_SECRETS
    out += pull_through_secrets(namespace)
    return out


def pull_through_secrets(namespace: Mapping[str, Any]) -> list[str]:
    """The username/token keys of every credentialed upstream the registry enables without an
    explicit `upstream_credentials` ARN (none on `local`, which has no registry)."""
    if namespace.get("environment") == "local":
        return []
    reg = _obj(_obj(namespace.get("delivery")).get("registry"))
    if reg.get("enabled") is False:
        return []
    enabled = reg.get("pull_through")
    arns = _obj(reg.get("upstream_credentials"))
    if not isinstance(enabled, list | tuple):
        return []
    return [k for upstream, keys in PULL_THROUGH_SECRETS.items()
            if upstream in enabled and upstream not in arns for k in keys]
