"""Typed config for version support: the one switch that accepts a paid support phase."""

from __future__ import annotations

from stacks.config.models_infra import Frozen


class VersionsConfig(Frozen):
    allow_extended_support: bool = False
    """Staging and prod refuse a pinned EKS, Aurora or ElastiCache version past its end of standard
    support (stacks/versions/calendar.yaml). True accepts it: EKS clusters then keep the
    EXTENDED upgrade policy (instead of being auto-upgraded) and the cost estimate prices the
    extended-support control plane. Meant for a bounded upgrade window, not as a default."""
