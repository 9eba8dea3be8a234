"""Pure naming and sizing rules shared by the workload modules (unit-tested without mocks)."""

from __future__ import annotations

import hashlib
import re

PLATFORM_CORE = "platform-core"
SHARED_SERVICES = "shared-services"
PLATFORM_NAMESPACES = (PLATFORM_CORE, SHARED_SERVICES)

PART_OF = "agentic-platform"
HTTP_PORT = 8000
LIVE_PATH = "/health/live"
READY_PATH = "/health/ready"
MIGRATION_USER = "agentic_migrate"
"""Database user of the migration Jobs (components/db_users.py creates it; same name)."""
SECRETS_DIR = "/var/run/secrets/agentic"
"""Where the app reads each secret as a file named after its key (SECRETS_DIR/JWT_SECRET, ...)."""
APP_SECRET = "platform-secrets"
"""The one Kubernetes Secret the pods read (filled by External Secrets, or by Pulumi locally)."""

_DNS1123_MAX = 63


def dns_label(value: str, max_len: int = _DNS1123_MAX) -> str:
    """A DNS-1123 label from any string; too long values keep a hash so they stay unique."""
    label = re.sub(r"[^a-z0-9-]+", "-", value.lower()).strip("-") or "x"
    if len(label) <= max_len:
        return label
    digest = hashlib.sha1(value.encode()).hexdigest()[:8]
    return f"{label[: max_len - 9].rstrip('-')}-{digest}"


def migration_job_name(tag: str) -> str:
    """The migration Job carries the image tag: a new tag is a new Job, run before the roll.

    Job specs are immutable, so a per-tag name also lets the new Job be created before the
    old one is deleted (create-before-replace) instead of failing on a name conflict.
    """
    return dns_label(f"migrate-{tag}")


def pdb_budget(replicas: int) -> dict[str, int | str]:
    """Disruption budget that protects capacity without blocking node drains.

    One replica with `minAvailable: 1` would make every drain hang forever, so a single
    replica gets `maxUnavailable: 1`; two or more keep all but one (at most a quarter) up.
    """
    if replicas <= 1:
        return {"max_unavailable": 1}
    return {"min_available": max(1, replicas - max(1, replicas // 4))}


def labels(component: str, environment: str, version: str | None = None) -> dict[str, str]:
    """Recommended Kubernetes labels; `app` stays the selector key (stable across versions)."""
    out = {
        "app": component,
        "app.kubernetes.io/name": component,
        "app.kubernetes.io/part-of": PART_OF,
        "app.kubernetes.io/managed-by": "pulumi",
        "agentic.io/environment": environment,
    }
    if version is not None:
        out["app.kubernetes.io/version"] = dns_label(version)
    return out


def selector(component: str) -> dict[str, str]:
    return {"app": component}
