"""Replay floor for the benchmark: the real run's registrations, with their real inputs, and no program.

Each registration of the real program is replayed flat and in order: the same type token, every
property its provider class declares (what the generated class hands the SDK), the inputs the
engine received for it (wire form: camelCase, nested as sent), so the SDK serialises the same
values and the mock answers with the same state. It goes through a subclass's `__init__`, as every
provider class does, so the SDK records a stack trace per registration exactly as for the trivial
floor (the SDK skips the trace for a bare `CustomResource`). What it leaves out is what the program
adds on top of its own output: building the values, parents, providers, dependencies, `Args`
classes and the `Output` links between resources. Unknown values and resource references in the
recorded inputs are replayed as null. The worker passes the entries in a JSON file
(`agentic-platform:floor_replay_file`: [[type, custom, inputs], ...]).
"""

import json
from pathlib import Path
from typing import Any

import pulumi

from stacks.bench_types import property_names
from stacks.gc_tuning import defer_full_collections


class Replayed(pulumi.CustomResource):
    def __init__(self, typ: str, name: str, props: dict[str, Any]) -> None:
        super().__init__(typ, name, {**dict.fromkeys(property_names(typ)), **props})


class ReplayedComponent(pulumi.ComponentResource):
    def __init__(self, typ: str, name: str, props: dict[str, Any]) -> None:
        super().__init__(typ, name, props)


defer_full_collections()
entries = json.loads(Path(pulumi.Config().require("floor_replay_file")).read_text())
for i, (typ, custom, inputs) in enumerate(entries):
    (Replayed if custom else ReplayedComponent)(typ, f"replay-{i}", inputs)
