"""Plans of the regional base (tests/programs/regional_base.py), cached per process.

Only the base layer runs, so these plans are fast and fail only for reasons of the base.
Overrides deep-merge into the stack file's `agentic-platform:` values.
"""

from __future__ import annotations

import copy
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from stacks.harness.plan import Plan, PlannedResource
from stacks.harness.run import run_program, stack_config

PROGRAM = Path(__file__).resolve().parent / "programs" / "regional_base.py"
NS = "agentic-platform:"


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


@lru_cache(maxsize=16)
def _plan(stack: str, overrides_json: str) -> Plan:
    config = stack_config(stack)
    for key, value in json.loads(overrides_json).items():
        full = NS + key
        current = config.get(full)
        config[full] = _merge(current, value) if isinstance(current, dict) and isinstance(value, dict) else value
    return run_program(stack, config, program=PROGRAM)


def base_plan(stack: str, **overrides: Any) -> Plan:
    """`base_plan("dev", cluster={"arch": "x86_64"})`: the base of `stack` with config replaced."""
    return _plan(stack, json.dumps(overrides, sort_keys=True))


def named(plan: Plan, typ: str, suffix: str) -> list[PlannedResource]:
    """Resources of `typ` whose name ends with `suffix` (one per region)."""
    return [r for r in plan.of_type(typ) if r.name.endswith(suffix)]


def by_id(plan: Plan) -> dict[str, PlannedResource]:
    return {r.id: r for r in plan.custom_resources if r.id}


def dep_names(r: PlannedResource) -> set[str]:
    return {urn.rsplit("::", 1)[-1] for urn in r.options["dependsOn"]}
