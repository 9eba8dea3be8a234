"""The plan: what one run of the program registered, queryable and serialisable.

Shared by the offline preview, the whole-stack tests, the policy pack's integration tests and
the cost estimator, so all of them look at the same facts.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field, fields
from typing import Any

from pulumi.output import Unknown

UNKNOWN = "[unknown]"
"""How the plan JSON writes a value known only after deployment (an output of a resource the
preview has not created: an ARN, an endpoint), as `pulumi preview` shows `[unknown]`."""


def jsonable(value: Any) -> Any:
    """`value` with every unknown as `UNKNOWN`, tuples as lists and any other object as its type
    name: plain JSON data that is the same on every run."""
    if isinstance(value, Unknown):
        return UNKNOWN
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return f"<{type(value).__name__}>"  # never an object repr with a memory address


@dataclass
class PlannedResource:
    urn: str
    type: str
    name: str
    custom: bool
    parent: str
    provider: str
    region: str | None
    """Effective AWS region: the resource's `region`, else its provider's, else `aws:region`;
    for Kubernetes objects the region of the cluster behind their provider."""
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    id: str
    options: dict[str, Any]
    secret_paths: list[str] = field(default_factory=list)
    component: str = ""
    """Type of the outermost component holding this resource below the region/global grouping."""

    @property
    def tags(self) -> dict[str, str]:
        tags = self.inputs.get("tags")
        return dict(tags) if isinstance(tags, dict) else {}

    def get(self, path: str, default: Any = None) -> Any:
        """Dotted lookup into inputs: `vpcConfig.endpointPublicAccess`."""
        cur: Any = self.inputs
        for part in path.split("."):
            if isinstance(cur, dict) and part in cur:
                cur = cur[part]
            elif isinstance(cur, list) and part.isdigit() and int(part) < len(cur):
                cur = cur[int(part)]
            else:
                return default
        return cur


RESOURCE_FIELDS = fields(PlannedResource)


@dataclass
class Plan:
    stack: str
    project: str
    config: dict[str, Any]
    resources: list[PlannedResource]
    outputs: dict[str, Any]
    secret_outputs: list[str] = field(default_factory=list)

    def of_type(self, *types: str) -> list[PlannedResource]:
        return [r for r in self.resources if r.type in types]

    def one(self, typ: str, name: str) -> PlannedResource:
        found = [r for r in self.resources if r.type == typ and r.name == name]
        if len(found) != 1:
            raise KeyError(f"expected one {typ} named {name}, found {len(found)}")
        return found[0]

    def by_urn(self) -> dict[str, PlannedResource]:
        return {r.urn: r for r in self.resources}

    def children_of(self, urn: str) -> list[PlannedResource]:
        return [r for r in self.resources if r.parent == urn]

    def count_by_type(self) -> Counter[str]:
        return Counter(r.type for r in self.resources if r.custom)

    def count_by_region(self) -> Counter[str]:
        return Counter(r.region or "global" for r in self.resources if r.custom)

    def count_by_component(self) -> Counter[str]:
        return Counter(r.component for r in self.resources if r.custom)

    @property
    def custom_resources(self) -> list[PlannedResource]:
        return [r for r in self.resources if r.custom]

    def to_dict(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "project": self.project,
            "config": self.config,
            "outputs": jsonable(self.outputs),
            "secret_outputs": self.secret_outputs,
            # `jsonable` copies as it converts; `dataclasses.asdict` would deep-copy every value first.
            "resources": [jsonable({f.name: getattr(r, f.name) for f in RESOURCE_FIELDS}) for r in self.resources],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True, default=str)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Plan:
        return cls(stack=data["stack"], project=data["project"], config=data["config"],
                   outputs=data["outputs"], secret_outputs=data.get("secret_outputs", []),
                   resources=[PlannedResource(**r) for r in data["resources"]])
