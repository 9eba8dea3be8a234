"""Second benchmark floor: the real run's resource types, one input each, no logic.

Each registration of the real program is replayed flat, in order, under its own type token and
with as many properties as its provider class declares (all unset but one), so the SDK does the
per-type work it does for the real resource: a future set and an Output per property, and the
mock answers with that type's realistic state. What it leaves out is exactly what the program
adds on top: real nested inputs, Args-name translation, parents, providers, dependencies and
the Output plumbing between resources. The worker passes the types in a JSON file
(`agentic-platform:floor_types_file`: [[type, custom], ...]).
"""

import json
from pathlib import Path

import pulumi

from stacks.bench_types import property_names
from stacks.gc_tuning import defer_full_collections

defer_full_collections()
entries = json.loads(Path(pulumi.Config().require("floor_types_file")).read_text())
for i, (typ, custom) in enumerate(entries):
    name = f"typed-{i}"
    if custom:
        props: dict[str, str | None] = {**dict.fromkeys(property_names(typ)), "value": name}
        pulumi.CustomResource(typ, name, props)
    else:
        pulumi.ComponentResource(typ, name, {"value": name})
