"""Where a benchmark run's time goes: our own code, the Pulumi SDKs, the mock engine, Python.

The floor ratio alone cannot say whether a slow run is our logic or the SDK's per-resource work
for real provider types (a future and an Output per output property, input-name translation, a
stack trace per registration), which no program can avoid. A profiled run answers it: every
function's self time is charged to the layer its file belongs to; time in builtins and the
standard library (asyncio, typing, traceback) is charged to the layer of its callers, in
proportion to the time spent on each call edge, so `sorted()` called by our code counts as ours.
"""

from __future__ import annotations

import cProfile
import pstats
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

LAYERS = ("own", "sdk", "harness", "python")
T = TypeVar("T")

FuncKey = tuple[str, int, str]


def layer_of(filename: str, root: Path) -> str | None:
    """Layer of a source file; None for builtins and the standard library (charged to callers)."""
    if "site-packages" in filename:
        return "sdk"
    path = Path(filename)
    if not path.is_absolute():  # `~` (builtins), `<frozen ...>`, `<string>`
        return None
    try:
        rel = path.resolve().relative_to(root)
    except ValueError:
        return None
    if rel.parts[:2] in {("stacks", "harness"), ("stacks", "bench")}:
        return "harness"
    if rel.parts[0] in {"stacks", "components", "app", "__main__.py"}:
        return "own"
    return "harness"


def attribute(stats: dict[FuncKey, Any], root: Path) -> dict[str, float]:
    """Seconds of self time per layer, unclassified time redistributed to its callers (2 levels)."""
    totals: dict[str, float] = dict.fromkeys(LAYERS, 0.0)
    cache: dict[str, str | None] = {}

    def layer(key: FuncKey) -> str | None:
        if key[0] not in cache:
            cache[key[0]] = layer_of(key[0], root)
        return cache[key[0]]

    def charge(key: FuncKey, seconds: float, depth: int) -> None:
        own = layer(key)
        if own is not None:
            totals[own] += seconds
            return
        callers = stats[key][4] if key in stats else {}
        edge_time = {c: edge[2] + 1e-9 for c, edge in callers.items()}
        total = sum(edge_time.values())
        if depth == 0 or not total:
            totals["python"] += seconds
            return
        for caller, t in edge_time.items():
            charge(caller, seconds * t / total, depth - 1)

    for key, (_cc, _nc, tottime, _ct, _callers) in stats.items():
        charge(key, tottime, 2)
    return totals


def profiled(fn: Callable[[], T], root: Path) -> tuple[T, dict[str, float]]:
    """Run `fn` under cProfile; its result and each layer's share of the run (0..1)."""
    profiler = cProfile.Profile()
    result = profiler.runcall(fn)
    stats: dict[FuncKey, Any] = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    seconds = attribute(stats, root)
    total = sum(seconds.values()) or 1.0
    return result, {k: v / total for k, v in seconds.items()}
