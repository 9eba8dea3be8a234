"""Every version a stack pins, with the config key it comes from and its support window.

One list feeds config validation, the preview's "versions" section and the EKS upgrade policy,
so a new pin is added in one place and shows up (or fails) everywhere.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from stacks.config.models import PlatformConfig
from stacks.versions.calendar import Status, SupportWindow, load_calendar, window


@dataclass(frozen=True)
class Pin:
    key: tuple[str | int, ...]
    """Config key parts, e.g. ('cluster', 'version')."""
    label: str
    version: str
    product: str | None = None
    """Calendar product; None for pins without a vendor support window (Helm charts, add-ons)."""
    calendar_version: str | None = None
    """The calendar entry this pin falls under (Istio 1.31.0 -> 1.31)."""

    @property
    def window(self) -> SupportWindow | None:
        if self.product is None:
            return None
        return window(self.product, self.calendar_version or self.version)

    def status(self, day: dt.date) -> Status | None:
        """None: no support window applies; 'unknown': the calendar has no entry for this version."""
        if self.product is None:
            return None
        w = self.window
        return w.status(day) if w else "unknown"


def _minor(version: str) -> str:
    return ".".join(version.split(".")[:2])


def pinned_versions(cfg: PlatformConfig) -> list[Pin]:
    """The stack's pins in a stable order: supported-window pins first, then charts and add-ons."""
    if cfg.is_local:
        return []
    pins: list[Pin] = []
    cluster = cfg.cluster
    if cluster is not None:
        pins.append(Pin(("cluster", "version"), "EKS Kubernetes", cluster.version, "eks"))
    pins.append(Pin(("database", "engine_version"), "Aurora PostgreSQL", cfg.database.engine_version,
                    "aurora-postgresql"))
    engine = cfg.redis.engine
    pins.append(Pin(("redis", "engine_version"), f"ElastiCache {'Valkey' if engine == 'valkey' else 'Redis OSS'}",
                    cfg.redis.engine_version, f"elasticache-{engine}"))
    if cluster is not None:
        if cfg.mesh.enabled:
            pins.append(Pin(("cluster", "charts", "istio"), "Istio (ambient)", cluster.charts.istio, "istio",
                            _minor(cluster.charts.istio)))
        for name, version in cluster.addons.model_dump().items():
            pins.append(Pin(("cluster", "addons", name), f"EKS add-on {name}", str(version)))
        unused = {"istio", "cluster_autoscaler" if cluster.autoscaler == "karpenter" else "karpenter"}
        for name, version in cluster.charts.model_dump().items():
            if name in unused:
                continue
            pins.append(Pin(("cluster", "charts", name), f"Helm chart {name}", str(version)))
    return pins


def versions_in_standard_support(product: str, day: dt.date) -> list[str]:
    """Calendar versions of `product` in standard support on `day`, newest first (for fix hints)."""
    found = [w for (p, _), w in load_calendar().items() if p == product and w.status(day) == "standard"]
    return [w.version for w in sorted(found, key=lambda w: tuple(int(x) for x in w.version.split(".")),
                                      reverse=True)]
