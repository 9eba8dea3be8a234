"""Plain-text tables and step timings: output an operator can paste into an incident channel."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TextIO


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    cells = [[str(c) for c in headers], *[["" if c is None else str(c) for c in row] for row in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(cells[0]), rule, *(line(r) for r in cells[1:])])


@dataclass
class Timings:
    """How long each step took, so the run can be compared with the RTO/failover targets."""

    clock: Callable[[], float] = time.monotonic
    steps: list[tuple[str, float]] = field(default_factory=list)

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        start = self.clock()
        try:
            yield
        finally:
            self.steps.append((name, self.clock() - start))

    @property
    def total(self) -> float:
        return sum(seconds for _, seconds in self.steps)

    def render(self) -> str:
        rows = [(name, f"{seconds:.1f}") for name, seconds in self.steps]
        rows.append(("total", f"{self.total:.1f}"))
        return table(("step", "seconds"), rows)


@dataclass
class Plan:
    """The ordered actions a command will take; printed as-is in a dry run."""

    title: str
    actions: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, action: str) -> None:
        self.actions.append(action)

    def note(self, note: str) -> None:
        self.notes.append(note)

    def render(self) -> str:
        lines = [self.title]
        lines += [f"  {i}. {a}" for i, a in enumerate(self.actions, 1)]
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)

    def print(self, out: TextIO, apply: bool) -> None:
        print(self.render(), file=out)
        if not apply:
            print("dry run: nothing changed; re-run with --apply to execute this plan", file=out)
