"""Replay floor for the benchmark: the run's own resource graph registered again, with no program.

Each registration of the real program is replayed in order as data: the same type token and name,
the same parent, provider and dependencies (so the same URNs), the protect/retain/ignore-changes
options, every property the provider class declares (what the generated class hands the SDK) and
the inputs the engine received (wire form: camelCase, nested as sent), so the SDK serialises the
same values and the mock answers with the same state. Each goes through a subclass's `__init__`,
as every provider class does, so the SDK records a stack trace per registration as it does for
the program and the trivial floor (it skips the trace for a bare `CustomResource`).

What it leaves out is the program itself: computing the values from config, the typed `Args`
classes and the `Output` links that carry values and dependencies between resources. Unknown
values and resource references in the recorded inputs are replayed as null. The worker passes
the plan's registrations in a JSON file (`agentic-platform:floor_replay_file`, see
`stacks.bench.worker.replay_entries`).
"""

import json
from pathlib import Path
from typing import Any

import pulumi

from stacks.bench.provider_types import property_names
from stacks.gc_tuning import defer_full_collections

PROVIDER_PREFIX = "pulumi:providers:"


class Replayed(pulumi.CustomResource):
    def __init__(self, typ: str, name: str, props: dict[str, Any], opts: pulumi.ResourceOptions) -> None:
        super().__init__(typ, name, {**dict.fromkeys(property_names(typ)), **props}, opts)


class ReplayedProvider(pulumi.ProviderResource):
    def __init__(self, typ: str, name: str, props: dict[str, Any], opts: pulumi.ResourceOptions) -> None:
        super().__init__(typ.removeprefix(PROVIDER_PREFIX), name, props, opts)


class ReplayedComponent(pulumi.ComponentResource):
    def __init__(self, typ: str, name: str, props: dict[str, Any], opts: pulumi.ResourceOptions,
                 remote: bool = False) -> None:
        super().__init__(typ, name, props, opts, remote=remote)


def replay(entries: list[dict[str, Any]]) -> None:
    made: dict[str, pulumi.Resource] = {}
    for e in entries:
        provider = made.get(e["provider"].rsplit("::", 1)[0]) if e["provider"] else None
        opts = pulumi.ResourceOptions(
            parent=made.get(e["parent"]), provider=provider if isinstance(provider, pulumi.ProviderResource) else None,
            depends_on=[made[u] for u in e["depends_on"] if u in made], protect=e["protect"],
            retain_on_delete=e["retain_on_delete"], ignore_changes=e["ignore_changes"] or None)
        typ = e["type"]
        if not e["custom"]:
            # A component with a provider was implemented by that provider (remote, e.g.
            # kubernetes:yaml/v2:ConfigFile): replay it the same way so the engine records it alike.
            made[e["urn"]] = ReplayedComponent(typ, e["name"], e["inputs"], opts, remote=bool(e["provider"]))
            continue
        cls = ReplayedProvider if typ.startswith(PROVIDER_PREFIX) else Replayed
        made[e["urn"]] = cls(typ, e["name"], e["inputs"], opts)


defer_full_collections()
replay(json.loads(Path(pulumi.Config().require("floor_replay_file")).read_text()))
