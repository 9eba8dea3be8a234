"""Hand-built plans for the cost and DR tests: tiny, explicit, using the real provider input names."""

from __future__ import annotations

import json
from typing import Any

from stacks.harness.plan import Plan, PlannedResource

STACK_URN = "urn:pulumi:t::agentic-platform::pulumi:pulumi:Stack::agentic-platform-t"


def res(typ: str, name: str, /, at: str | None = "us-east-1", component: str = "agentic:test:Thing",
        provider: str = "", **inputs: Any) -> PlannedResource:
    return PlannedResource(urn=f"urn:pulumi:t::agentic-platform::{typ}::{name}", type=typ, name=name, custom=True,
                           parent=STACK_URN, provider=provider, region=at, inputs=inputs, outputs={},
                           id=f"{name}-id", options={}, component=component)


def plan(*resources: PlannedResource, stack: str = "t", config: dict[str, Any] | None = None) -> Plan:
    cfg = {f"agentic-platform:{k}": (v if isinstance(v, str) else json.dumps(v)) for k, v in (config or {}).items()}
    return Plan(stack=stack, project="agentic-platform", config=cfg, resources=list(resources), outputs={})
