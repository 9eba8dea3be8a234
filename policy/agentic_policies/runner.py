"""Run the pack in-process the way the policy analyzer does (`Analyze` + `AnalyzeStack`).

Mirrors pulumi_policy's `_PolicyAnalyzerServicer`: disabled policies are skipped, each policy
gets its config, awaitables run on a fresh loop, an `UnknownValueError` becomes an ADVISORY
"can't run policy ... during preview" diagnostic, `not_applicable` is recorded, and a violation
message is the description, a newline, then the message.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from inspect import isawaitable
from typing import Any

from pulumi_policy import (
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.policy import _NotApplicableError  # pyright: ignore[reportPrivateUsage]
from pulumi_policy.proxy import UnknownValueError

from .config import Settings
from .registry import POLICIES, Policy, level_name

PACK = "agentic-platform-guardrails"


@dataclass(frozen=True)
class Violation:
    policy: str
    level: str
    """mandatory | advisory"""
    category: str
    urn: str
    message: str
    """The policy's own message (without the description)."""
    description: str

    @property
    def engine_message(self) -> str:
        """What the engine prints: description, newline, message."""
        return f"{self.description}\n{self.message}" if self.message else self.description

    def to_dict(self) -> dict[str, str]:
        return {"policy": self.policy, "level": self.level, "category": self.category, "urn": self.urn,
                "message": self.message}


@dataclass(frozen=True)
class ResourceInput:
    """What `Analyze` receives for one resource (props are the proxied inputs)."""

    resource_type: str
    props: Mapping[str, Any]
    urn: str
    name: str
    opts: PolicyResourceOptions
    provider: PolicyProviderResource | None


@dataclass
class Result:
    violations: list[Violation]
    not_applicable: list[tuple[str, str, str]]
    """(policy, urn, reason)"""

    @property
    def mandatory(self) -> list[Violation]:
        return [v for v in self.violations if v.level == "mandatory"]

    def of(self, policy: str) -> list[Violation]:
        return [v for v in self.violations if v.policy == policy]


def _run(result: Any) -> None:
    if isawaitable(result):
        loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(result if asyncio.iscoroutine(result) else _await(result))
        finally:
            loop.close()


async def _await(result: Awaitable[Any]) -> Any:
    return await result


def _call(policy: Policy, level: str, urn: str, invoke: Callable[[Callable[[str, str | None], None]], Any],
          out: Result) -> None:
    def report(message: str, report_urn: str | None = None) -> None:
        out.violations.append(Violation(policy.name, level, policy.meta.category, report_urn or urn, message or "",
                                        policy.description))
    try:
        _run(invoke(report))
    except UnknownValueError as exc:
        out.violations.append(Violation(
            policy.name, "advisory", policy.meta.category, "",
            f"can't run policy '{policy.name}' from policy pack '{PACK}' during preview: {exc.message}",
            policy.description))
    except _NotApplicableError as exc:
        out.not_applicable.append((policy.name, urn, exc.reason or ""))


def run_pack(resources: Iterable[ResourceInput], stack_resources: list[PolicyResource], settings: Settings,
             policies: Iterable[Policy] = POLICIES) -> Result:
    """Every enabled resource policy on every resource, then every stack policy on the stack."""
    out = Result([], [])
    config = settings.to_config()
    enabled = [(p, level_name(p, settings)) for p in policies]
    enabled = [(p, lvl) for p, lvl in enabled if lvl != "disabled"]
    res_list = list(resources)
    for policy, level in enabled:
        if not isinstance(policy, ResourceValidationPolicy):
            continue
        types = getattr(policy, "types", None)
        for r in res_list:
            if types is not None and r.resource_type not in types:
                continue  # the engine would call and the policy would return at once
            args = ResourceValidationArgs(r.resource_type, r.props, r.urn, r.name, r.opts, r.provider, dict(config))
            _call(policy, level, r.urn, lambda rep, a=args, p=policy: p.validate(a, rep), out)
    for policy, level in enabled:
        if not isinstance(policy, StackValidationPolicy):
            continue
        args = StackValidationArgs(stack_resources, dict(config))
        _call(policy, level, "", lambda rep, a=args, p=policy: p.validate(a, rep), out)
    return out
