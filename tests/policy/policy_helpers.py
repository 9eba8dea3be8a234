"""Helpers for the policy-pack tests: SDK argument bags built as the engine builds them, and plans.

Props are wrapped in pulumi_policy's `unknown_checking_proxy` (so dict/list assumptions fail as
they would in the engine), providers are real `PolicyProviderResource`s, options real
`PolicyResourceOptions`, and the policy config is the stack settings mapping.
"""

from __future__ import annotations

import asyncio
import copy
from inspect import isawaitable
from typing import Any

from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    StackValidationArgs,
)
from pulumi_policy.proxy import unknown_checking_proxy

from policy.agentic_policies.config import Settings
from policy.agentic_policies.registry import BY_NAME
from stacks.harness import Plan, PlannedResource, run_stack

SETTINGS = Settings.from_mapping({
    "stack": "test",
    "defaultRegion": "us-east-1",
    "regions": ["us-east-1", "eu-west-1", "eu-central-1"],
    "residencies": {"eu": ["eu-west-1", "eu-central-1"]},
    "residencyHostnames": {"eu": ["api.eu.example.com"]},
    "minBackupRetentionDays": 7,
    "minLogRetentionDays": 14,
    "minKmsDeletionWindowDays": 7,
    "minDbInstances": 2,
    "backupVaultLock": "compliance",
    "enforcement": {"residency": "mandatory"},
})
ACCOUNT = "111122223333"


def key_arn(region: str, n: int = 1) -> str:
    return f"arn:aws:kms:{region}:{ACCOUNT}:key/0000000{n}-1234-4abc-8def-000000000000"


def opts(protect: bool = False) -> PolicyResourceOptions:
    return PolicyResourceOptions(protect, [], None, [], PolicyCustomTimeouts(0, 0, 0), [])


def aws_provider(region: str | None = "us-east-1", name: str = "aws-test", default_tags: dict[str, str] | None = None,
                 ) -> PolicyProviderResource:
    """An explicit AWS provider as the engine sends it: inputs, non-strings JSON-encoded."""
    import json

    props: dict[str, Any] = {"version": "7.51.1"}
    if region:
        props["region"] = region
    if default_tags is not None:
        props["defaultTags"] = json.dumps({"tags": default_tags})
    return PolicyProviderResource("pulumi:providers:aws", unknown_checking_proxy(props),
                                  f"urn:pulumi:test::p::pulumi:providers:aws::{name}", name)


def k8s_provider(region: str = "us-east-1") -> PolicyProviderResource:
    return PolicyProviderResource("pulumi:providers:kubernetes", unknown_checking_proxy({"version": "4.34.2"}),
                                  f"urn:pulumi:test::p::pulumi:providers:kubernetes::test-{region}-k8s",
                                  f"test-{region}-k8s")


def provider_for(rtype: str, region: str | None) -> PolicyProviderResource | None:
    if rtype.startswith("kubernetes:"):
        return k8s_provider(region or "us-east-1")
    if rtype.startswith("pulumi:providers:"):
        return None
    if rtype.startswith("aws:"):
        return aws_provider(region, default_tags={"environment": "test", "project": "p", "managed-by": "pulumi",
                                                  "cost-center": "cc"})
    return None


def rargs(rtype: str, props: dict[str, Any], *, region: str | None = "us-east-1", name: str = "r",
          protect: bool = False, provider: PolicyProviderResource | str | None = "auto",
          settings: Settings = SETTINGS) -> ResourceValidationArgs:
    prov = provider_for(rtype, region) if provider == "auto" else provider
    assert not isinstance(prov, str)
    urn = f"urn:pulumi:test::p::{rtype}::{name}"
    return ResourceValidationArgs(rtype, unknown_checking_proxy(copy.deepcopy(props)), urn, name, opts(protect), prov,
                                  settings.to_config())


def sres(rtype: str, props: dict[str, Any], name: str, *, region: str | None = "us-east-1",
         deps: dict[str, list[PolicyResource]] | None = None, protect: bool = False) -> PolicyResource:
    """A stack resource (outputs) as AnalyzeStack builds it."""
    urn = f"urn:pulumi:test::p::{rtype}::{name}"
    return PolicyResource(rtype, unknown_checking_proxy(copy.deepcopy(props)), urn, name, opts(protect),
                          provider_for(rtype, region), None, [], dict(deps or {}))


def _run(result: Any) -> None:
    if isawaitable(result):
        loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(result)  # type: ignore[arg-type]
        finally:
            loop.close()


def check(policy: str, args: ResourceValidationArgs) -> list[str]:
    """Messages a resource policy reports (through `policy.validate`, as the engine calls it)."""
    messages: list[str] = []
    _run(BY_NAME[policy].validate(args, lambda m, u=None: messages.append(m)))  # type: ignore[arg-type]
    return messages


def check_stack(policy: str, resources: list[PolicyResource], settings: Settings = SETTINGS) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    args = StackValidationArgs(resources, settings.to_config())
    _run(BY_NAME[policy].validate(args, lambda m, u=None: out.append((m, u or ""))))  # type: ignore[arg-type]
    return out


_PLANS: dict[str, Plan] = {}


def plan_for(stack: str) -> Plan:
    """The real program's plan for a stack, run once per test session (a prod run takes seconds)."""
    if stack not in _PLANS:
        _PLANS[stack] = run_stack(stack)
    return _PLANS[stack]


def fresh(stack: str) -> Plan:
    """A copy of a stack's plan to mutate: resources are copied, their props copied on first write (`own`)."""
    base = plan_for(stack)
    return Plan(stack=base.stack, project=base.project, config=dict(base.config),
                resources=[copy.copy(r) for r in base.resources], outputs=base.outputs,
                secret_outputs=base.secret_outputs)


def own(r: PlannedResource) -> PlannedResource:
    """Give a copied resource its own props before changing them (the base plan stays intact)."""
    if not getattr(r, "_owned", False):
        r.inputs = copy.deepcopy(r.inputs)
        r.outputs = copy.deepcopy(r.outputs)
        r._owned = True  # type: ignore[attr-defined]
    return r


MEMO: dict[int, tuple[Any, Any]] = {}
"""Engine props already converted, shared by all runs over (copies of) the same plans."""
