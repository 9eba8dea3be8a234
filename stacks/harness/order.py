"""One registration order per config, whatever order asyncio resolved the program's outputs in.

The engine receives registrations as the program's `Output`s resolve, which varies from run to
run; every report built from that order (cost lines, policy violations, DR hostnames, the plan
JSON) varied with it. The plan keeps a dependency-respecting order instead: each resource after
its parent, provider and dependencies (as the engine requires), ties broken by URN, so the same
config always gives the same plan.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from typing import Any, Protocol, TypeVar


class _Node(Protocol):
    urn: str
    parent: str
    provider: str
    options: dict[str, Any]


T = TypeVar("T", bound=_Node)


def prerequisites(r: _Node) -> set[str]:
    """URNs `r` waits for: its parent, its provider, `dependsOn` and property dependencies."""
    deps = {r.parent, r.provider.rsplit("::", 1)[0] if r.provider else ""}
    deps.update(str(d) for d in (r.options.get("dependsOn") or []))
    for urns in (r.options.get("propertyDependencies") or {}).values():
        deps.update(str(u) for u in urns)
    deps.discard("")
    deps.discard(r.urn)
    return deps


def waits_for(items: Sequence[T], urn: str) -> set[str]:
    """Every URN the resource `urn` waits for before the engine creates it, transitively (the
    edges of `prerequisites`: parent, provider, dependsOn, property dependencies)."""
    by_urn = {r.urn: r for r in items}
    seen: set[str] = set()
    todo = [urn]
    while todo:
        node = by_urn.get(todo.pop())
        if node is None:
            continue
        for dep in prerequisites(node) - seen:
            seen.add(dep)
            todo.append(dep)
    seen.discard(urn)
    return seen


def stable_order(items: Sequence[T]) -> list[T]:
    """`items` topologically sorted on parent/provider/dependsOn, smallest URN first among ready ones."""
    by_urn = {r.urn: r for r in items}
    waiting: dict[str, int] = {}
    dependents: dict[str, list[str]] = {}
    for r in items:
        deps = {d for d in prerequisites(r) if d in by_urn}
        waiting[r.urn] = len(deps)
        for d in deps:
            dependents.setdefault(d, []).append(r.urn)
    ready = [urn for urn, n in waiting.items() if n == 0]
    heapq.heapify(ready)
    out: list[T] = []
    while ready:
        urn = heapq.heappop(ready)
        out.append(by_urn[urn])
        for nxt in dependents.get(urn, ()):
            waiting[nxt] -= 1
            if waiting[nxt] == 0:
                heapq.heappush(ready, nxt)
    if len(out) != len(by_urn):  # a cycle cannot come from a real program; keep the rest as recorded
        seen = {r.urn for r in out}
        out += [r for r in items if r.urn not in seen]
    return out
