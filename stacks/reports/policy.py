"""Preview section: the CrossGuard policy pack, run in-process on the recorded plan.

Each `PlannedResource` becomes what the engine would hand the analyzer: its inputs serialised
to a protobuf Struct (unknowns as the engine's sentinels, secrets as envelopes), deserialised
by pulumi_policy and wrapped in its unknown-checking proxy, with its provider (explicit, or the
default provider built from stack config as the engine does), options, parent and dependencies.
Stack policies get the outputs, as `AnalyzeStack` does. The stack's policy config is
`policy/config/<plan.stack>.json`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from google.protobuf import json_format, struct_pb2
from pulumi.output import Unknown
from pulumi.runtime import rpc
from pulumi_policy import PolicyCustomTimeouts, PolicyProviderResource, PolicyResource, PolicyResourceOptions
from pulumi_policy.deserialize import SPECIAL_SECRET_SIG, SPECIAL_SIG_KEY, deserialize_properties
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy

from policy.agentic_policies.config import Settings, load_stack_settings
from policy.agentic_policies.registry import BY_NAME, POLICIES
from policy.agentic_policies.runner import ResourceInput, Result, run_pack
from stacks.harness.plan import Plan, PlannedResource
from stacks.reports import Report

# Values the bridge keeps in a TF resource's outputs but the mock state leaves out.
BRIDGED = ("aws:", "cloudflare:", "random:")


def engine_value(value: Any) -> Any:
    """A harness value in wire form: unknowns -> sentinel, secrets -> envelope, assets -> text."""
    if isinstance(value, Unknown):
        return UNKNOWN_STRING_VALUE
    if rpc.is_rpc_secret(value):
        return {SPECIAL_SIG_KEY: SPECIAL_SECRET_SIG, "value": engine_value(rpc.unwrap_rpc_secret(value))}
    if isinstance(value, Mapping):
        return {str(k): engine_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [engine_value(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def engine_props(values: Mapping[str, Any]) -> Any:
    """What `Analyze` builds: Struct -> MessageToDict -> deserialize_properties -> unknown_checking_proxy."""
    struct = struct_pb2.Struct()
    struct.update({k: engine_value(v) for k, v in values.items() if v is not None})
    return unknown_checking_proxy(deserialize_properties(json_format.MessageToDict(struct)))


def _options(r: PlannedResource) -> PolicyResourceOptions:
    o = r.options
    return PolicyResourceOptions(
        bool(o.get("protect")), list(o.get("ignoreChanges") or []),
        bool(o["deleteBeforeReplace"]) if o.get("deleteBeforeReplace") else None,
        list(o.get("aliases") or []), PolicyCustomTimeouts(0, 0, 0), list(o.get("additionalSecretOutputs") or []),
        r.parent or None)


class _Providers:
    """Provider resources by reference; default providers synthesised from stack config like the engine."""

    def __init__(self, plan: Plan):
        self.plan = plan
        self.explicit = {r.urn: r for r in plan.resources if r.type.startswith("pulumi:providers:")}
        self.defaults: dict[str, PolicyProviderResource] = {}
        self.cache: dict[str, PolicyProviderResource] = {}

    def for_resource(self, r: PlannedResource) -> PolicyProviderResource | None:
        if r.type.startswith("pulumi:providers:") or not r.custom:
            return None
        urn = r.provider.rsplit("::", 1)[0] if r.provider else ""
        if urn in self.explicit:
            if urn not in self.cache:
                p = self.explicit[urn]
                self.cache[urn] = PolicyProviderResource(p.type, engine_props(p.inputs), p.urn, p.name)
            return self.cache[urn]
        pkg = r.type.split(":", 1)[0]
        if pkg not in self.defaults:
            inputs = {k.split(":", 1)[1]: v for k, v in self.plan.config.items()
                      if k.startswith(f"{pkg}:") and v != "[secret]"}
            inputs["version"] = "0.0.0"
            urn = f"urn:pulumi:{self.plan.stack}::{self.plan.project}::pulumi:providers:{pkg}::default"
            self.defaults[pkg] = PolicyProviderResource(f"pulumi:providers:{pkg}", engine_props(inputs), urn,
                                                        "default")
        return self.defaults[pkg]


def plan_inputs(plan: Plan, memo: dict[int, tuple[Any, Any]] | None = None,
                ) -> tuple[list[ResourceInput], list[PolicyResource]]:
    """The plan as `Analyze` requests (inputs) and `AnalyzeStack` resources (outputs).

    `memo` (id of a props dict -> (dict, engine props)) lets callers that run many variants of one
    plan convert only the resources they changed.
    """
    providers = _Providers(plan)

    def convert(values: dict[str, Any], extra: dict[str, Any] | None = None) -> Any:
        if memo is None:
            return engine_props({**values, **(extra or {})})
        hit = memo.get(id(values))
        if hit is None or hit[0] is not values:
            hit = (values, engine_props({**values, **(extra or {})}))
            memo[id(values)] = hit
        return hit[1]

    inputs: list[ResourceInput] = []
    stack: dict[str, PolicyResource] = {}
    for r in plan.resources:
        provider = providers.for_resource(r)
        opts = _options(r)
        inputs.append(ResourceInput(r.type, convert(r.inputs), r.urn, r.name, opts, provider))
        extra = {"id": r.id} if r.custom and r.type.startswith(BRIDGED) and r.id and "id" not in r.outputs else None
        stack[r.urn] = PolicyResource(r.type, convert(r.outputs, extra), r.urn, r.name, opts, provider, None, [], {})
    for r in plan.resources:
        res = stack[r.urn]
        res.parent = stack.get(r.parent)
        res.dependencies = [stack[d] for d in r.options.get("dependsOn") or [] if d in stack]
        for prop, urns in (r.options.get("propertyDependencies") or {}).items():
            if urns:  # the engine skips properties without dependencies
                res.property_dependencies[prop] = [stack[u] for u in urns if u in stack]
    return inputs, list(stack.values())


def run_plan(plan: Plan, settings: Settings | None = None, memo: dict[int, tuple[Any, Any]] | None = None,
             only: Iterable[str] | None = None) -> Result:
    """The pack over a plan; `only` (policy names) runs just those, as a test of one policy does."""
    inputs, resources = plan_inputs(plan, memo)
    policies = POLICIES
    if only is not None:
        wanted = set(only)
        unknown = sorted(wanted - BY_NAME.keys())
        if unknown:
            raise KeyError(f"no policy named {unknown} in the pack")
        policies = [p for p in POLICIES if p.name in wanted]
    return run_pack(inputs, resources, settings or load_stack_settings(plan.stack), policies)


NAMES_SHOWN = 5
"""Resources named on a collapsed line; the JSON lists every violation."""


def _collapsed(vs: list[Any], names: dict[str, str]) -> list[str]:
    """One line per distinct message: alone with its resource, or repeated with a count."""
    by_message: dict[str, list[str]] = defaultdict(list)
    for v in vs:
        by_message[v.message].append(names.get(v.urn, v.urn or "stack"))
    lines: list[str] = []
    for message, unsorted in sorted(by_message.items()):
        who = sorted(unsorted)
        if len(who) == 1:
            lines.append(f"    {who[0]}: {message}")
            continue
        more = len(who) - NAMES_SHOWN
        shown = ", ".join(who[:NAMES_SHOWN]) + (f", ... {more} more" if more > 0 else "")
        lines.append(f"    {len(who)} resources: {message} ({shown})")
    return lines


def report(plan: Plan) -> Report:
    settings = load_stack_settings(plan.stack)
    result = run_plan(plan, settings)
    names = {r.urn: r.name for r in plan.resources}
    violations = sorted(result.violations, key=lambda v: (v.policy, v.urn or "", v.message))
    grouped: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for v in violations:
        grouped[(v.policy, v.level)].append(v)
    mandatory = len(result.mandatory)
    advisory = len(result.violations) - mandatory
    lines = [f"policy pack on stack {plan.stack} (config policy/config/{plan.stack}.json): "
             f"{mandatory} mandatory, {advisory} advisory violation(s)"]
    for (policy, level), vs in sorted(grouped.items(), key=lambda kv: (kv[0][1] != "mandatory", kv[0][0])):
        lines.append(f"[{level}] {policy} ({len(vs)})")
        lines += _collapsed(vs, names)
    data = {
        "stack": plan.stack,
        "mandatory": mandatory,
        "advisory": advisory,
        "violations": [v.to_dict() for v in violations],
        "not_applicable": sorted(({"policy": p, "urn": u, "reason": why} for p, u, why in result.not_applicable),
                                 key=lambda d: (d["policy"], d["urn"] or "", d["reason"])),
    }
    return Report(name="policy", lines=lines, data=data, failed=mandatory > 0,
                  summary=f"{mandatory} mandatory, {advisory} advisory")
