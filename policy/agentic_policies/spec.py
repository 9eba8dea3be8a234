"""How a policy of this pack is declared: metadata, type filter, exemptions, settings.

A check is a plain function yielding violation messages, so policies stay short and the
SDK wrapper (type filter, settings from the policy config, exemptions) is written once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from .config import REQUIRED, SCHEMA, Settings, settings_from
from .stack import StackView


@dataclass(frozen=True)
class Meta:
    name: str
    category: str
    description: str
    checkov: tuple[str, ...] = ()
    security_hub: tuple[str, ...] = ()
    advisory_only: bool = False
    """Hardening beyond the bar: never blocks unless a stack file says so per policy."""
    severity: Severity = Severity.HIGH

    @property
    def counterparts(self) -> str:
        parts = []
        if self.checkov:
            parts.append("Checkov " + ", ".join(self.checkov))
        if self.security_hub:
            parts.append("Security Hub " + ", ".join(self.security_hub))
        return "; ".join(parts) if parts else "no Checkov/Security Hub counterpart"

    @property
    def full_description(self) -> str:
        return f"{self.description} [{self.counterparts}]"


ResourceCheck = Callable[[ResourceValidationArgs, Settings], Iterable[str]]
StackCheck = Callable[[StackView], Iterable[tuple[str, str | None]]]

CONFIG_SCHEMA = PolicyConfigSchema(properties=SCHEMA, required=REQUIRED)


class PackResourcePolicy(ResourceValidationPolicy):
    meta: Meta
    types: frozenset[str] | None


class PackStackPolicy(StackValidationPolicy):
    meta: Meta


def _tags(meta: Meta) -> list[str]:
    return [meta.category, *meta.checkov, *meta.security_hub]


def resource_policy(meta: Meta, types: Iterable[str] | None, check: ResourceCheck) -> PackResourcePolicy:
    """A resource policy running `check` on resources of `types` (None: every resource)."""
    wanted = frozenset(types) if types is not None else None

    def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
        if wanted is not None and args.resource_type not in wanted:
            return
        settings = settings_from(args.get_config())
        if settings.exempt(meta.name, args.urn, args.name):
            return
        for message in check(args, settings):
            report(message, None)

    policy = PackResourcePolicy(
        name=meta.name, description=meta.full_description, validate=validate,
        enforcement_level=EnforcementLevel.ADVISORY if meta.advisory_only else EnforcementLevel.MANDATORY,
        config_schema=CONFIG_SCHEMA, severity=meta.severity, tags=_tags(meta))
    policy.meta = meta
    policy.types = wanted
    return policy


def stack_policy(meta: Meta, check: StackCheck) -> PackStackPolicy:
    """A stack policy: `check` sees every resource (outputs) and yields (message, urn)."""

    def validate(args: StackValidationArgs, report: ReportViolation) -> None:
        settings = settings_from(args.get_config())
        view = StackView(args.resources, settings)
        for message, urn in check(view):
            res = view.by_urn.get(urn) if urn else None
            if settings.exempt(meta.name, urn, res.name if res is not None else None):
                continue
            report(message, urn)

    policy = PackStackPolicy(
        name=meta.name, description=meta.full_description, validate=validate,
        enforcement_level=EnforcementLevel.ADVISORY if meta.advisory_only else EnforcementLevel.MANDATORY,
        config_schema=CONFIG_SCHEMA, severity=meta.severity, tags=_tags(meta))
    policy.meta = meta
    return policy
