"""Secrets a stack needs because of its other config, read from the raw stack-file values.

`Pulumi.yaml` declares the secrets every stack needs (a real `pulumi preview` stops without
them). Some are needed only by some configs: the origin-pull client certificate and key once
`global_traffic.edge.origin_pull_ca_pem` is set behind an enabled edge. Declaring those in
`Pulumi.yaml` would make every stack (local and dev too) require them, so the offline preview
learns them here and stands in test values for them exactly as for the declared ones
(stacks/harness/run.py, stacks/reports/config.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

ORIGIN_PULL_SECRETS = ("origin_pull_certificate", "origin_pull_private_key")


def _obj(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def conditional_secrets(namespace: Mapping[str, Any]) -> list[str]:
    """Secret keys (no `agentic-platform:` prefix) the values in `namespace` (keys without the
    prefix, YAML values) make necessary beyond the declared ones."""
    out: list[str] = []
    gt = _obj(namespace.get("global_traffic"))
    if gt.get("enabled") is True and _obj(gt.get("edge")).get("origin_pull_ca_pem"):
        out += ORIGIN_PULL_SECRETS
    return out
