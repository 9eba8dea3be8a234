"""A stack policy's view of the resources: lookups, regions, residency and joins.

Joins follow `property_dependencies` first (they exist in preview, when ARNs and IDs of new
resources are still unknown) and fall back to matching identifier values (id, arn, bucket,
key id...) in the outputs, which is what a deployed stack or an exported state offers.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pulumi_policy import PolicyResource

from .config import Settings
from .props import get, walk
from .regions import effective_region, residency_of

ID_KEYS = ("id", "arn", "bucket", "keyId", "clusterIdentifier", "globalClusterIdentifier",
           "replicationGroupId", "identifier")


# The analyzer hands every stack policy the same resources; index them once per resource list.
_LAST: list[Any] = [None, None]


class StackView:
    def __init__(self, resources: list[PolicyResource], settings: Settings) -> None:
        self.resources = resources
        self.settings = settings
        self.by_urn: dict[str, PolicyResource] = {r.urn: r for r in resources}
        self._ids: dict[str, list[PolicyResource]] | None = _LAST[1] if _LAST[0] is resources else None

    def of_type(self, *types: str) -> list[PolicyResource]:
        wanted = set(types)
        return [r for r in self.resources if r.resource_type in wanted]

    def region(self, res: PolicyResource) -> Any:
        return effective_region(res.resource_type, res.props, res.provider, self.settings)

    def residency(self, res: PolicyResource) -> str | None:
        return residency_of(res.resource_type, res.props)

    def _id_index(self) -> dict[str, list[PolicyResource]]:
        if self._ids is None:
            index: dict[str, list[PolicyResource]] = {}
            for r in self.resources:
                for key in ID_KEYS:
                    value = get(r.props, key)
                    if isinstance(value, str) and value:
                        index.setdefault(value, []).append(r)
            self._ids = index
            _LAST[0], _LAST[1] = self.resources, index
        return self._ids

    def refs(self, res: PolicyResource, prop: str, types: Iterable[str] | None = None,
             value: Any = None) -> list[PolicyResource]:
        """Resources that `res`'s property `prop` (top-level key) points at, optionally of `types`.

        `value` narrows the value match to one sub-value (e.g. one rule's destination).
        """
        wanted = set(types) if types is not None else None
        found: dict[str, PolicyResource] = {}
        if value is None:
            for dep in res.property_dependencies.get(prop.split(".", maxsplit=1)[0], []):
                if wanted is None or dep.resource_type in wanted:
                    found[dep.urn] = dep
        source = value if value is not None else get(res.props, prop)
        index = self._id_index()
        for _, leaf in walk(source):
            if isinstance(leaf, str):
                for target in index.get(leaf, []):
                    if target.urn != res.urn and (wanted is None or target.resource_type in wanted):
                        found[target.urn] = target
        return list(found.values())

    def referrers(self, target: PolicyResource, types: Iterable[str], prop: str) -> list[PolicyResource]:
        """Resources of `types` whose `prop` points at `target`."""
        return [r for r in self.of_type(*types) if any(t.urn == target.urn for t in self.refs(r, prop))]
