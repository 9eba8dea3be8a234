"""The namespaces the platform owns, labelled for Pod Security Admission `restricted`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pulumi
import pulumi_kubernetes as k8s

from app.names import PART_OF, PLATFORM_NAMESPACES
from app.security import psa_labels


def platform_namespaces(prefix: str, environment: str, annotations: Mapping[str, str],
                        opts: pulumi.ResourceOptions, *, namespaces: Sequence[str] = PLATFORM_NAMESPACES,
                        cell_labels: Mapping[str, str] | None = None) -> dict[str, k8s.core.v1.Namespace]:
    """platform-core (api, worker, jobs) and shared-services (shared in-cluster services); a
    second domain cell of a region brings only its own `platform-<domain>` namespace, labelled
    with its domain and residency (`cell_labels`) so mesh and network policies can select it."""
    out: dict[str, k8s.core.v1.Namespace] = {}
    for ns in namespaces:
        out[ns] = k8s.core.v1.Namespace(
            f"{prefix}-ns-{ns}",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=ns,
                labels={**psa_labels(), "app.kubernetes.io/part-of": PART_OF,
                        "agentic.io/environment": environment, "agentic.io/platform": "true",
                        **(dict(cell_labels or {}) if ns not in PLATFORM_NAMESPACES[1:] else {})},
                annotations=dict(annotations) or None,
            ),
            opts=opts,
        )
    return out
