"""Every policy of the pack, and the enforcement level each gets on a given stack.

Levels come from the stack's policy config file: its category levels (residency and
encryption mandatory everywhere; network, backups, deletion protection mandatory in staging
and prod, advisory in dev), then per-policy overrides; hardening policies marked
advisory-only never block unless a stack file names them.
"""

from __future__ import annotations

from pulumi_policy import EnforcementLevel

from . import (
    backups,
    delivery,
    encryption_at_rest,
    encryption_in_transit,
    hardening,
    iam,
    identity,
    kubernetes,
    logging_rules,
    network,
    paths,
    residency,
    tags,
)
from .config import Settings
from .spec import PackResourcePolicy, PackStackPolicy

Policy = PackResourcePolicy | PackStackPolicy

POLICIES: list[Policy] = [
    *residency.POLICIES,
    *encryption_at_rest.POLICIES,
    *encryption_in_transit.POLICIES,
    *network.POLICIES,
    *backups.POLICIES,
    *logging_rules.POLICIES,
    *iam.POLICIES,
    *identity.POLICIES,
    *tags.POLICIES,
    *kubernetes.POLICIES,
    *hardening.POLICIES,
    *paths.POLICIES,
    *delivery.POLICIES,
]

_names = [p.name for p in POLICIES]
if len(set(_names)) != len(_names):  # pragma: no cover - a programming error caught at import
    dupes = sorted({n for n in _names if _names.count(n) > 1})
    raise RuntimeError(f"duplicate policy names: {dupes}")

BY_NAME: dict[str, Policy] = {p.name: p for p in POLICIES}

LEVEL = {"advisory": EnforcementLevel.ADVISORY, "mandatory": EnforcementLevel.MANDATORY,
         "disabled": EnforcementLevel.DISABLED}


def level_name(policy: Policy, settings: Settings) -> str:
    m = policy.meta
    return settings.level(m.name, m.category, m.advisory_only)


def levels(settings: Settings) -> dict[str, EnforcementLevel]:
    return {p.name: LEVEL[level_name(p, settings)] for p in POLICIES}


def initial_config(settings: Settings) -> dict[str, EnforcementLevel | dict[str, object]]:
    """`PolicyPack(initial_config=...)`: each policy's level for this stack plus the shared settings."""
    shared = settings.to_config()
    return {p.name: {"enforcementLevel": LEVEL[level_name(p, settings)], **shared} for p in POLICIES}
