"""Config errors that name the full key path and the fix.

`ConfigError` subclasses `pulumi.RunError` so that `pulumi up`/`preview` print only the
message (no Python traceback) and exit non-zero; the offline preview does the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi

NAMESPACE = "agentic-platform"


def key_path(parts: Sequence[str | int]) -> str:
    """('tenants', 2, 'primary_region') -> 'agentic-platform:tenants[2].primary_region'."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    if out.startswith("aws:"):
        return out
    return f"{NAMESPACE}:{out}"


@dataclass(frozen=True)
class ConfigIssue:
    """One problem: where it is, what is wrong, how to fix it."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class ConfigError(pulumi.RunError):
    """Raised once with every issue found, so a user fixes a config in one pass."""

    def __init__(self, issues: Sequence[ConfigIssue]):
        self.issues = list(issues)
        lines = "\n".join(f"  - {i}" for i in self.issues)
        super().__init__(f"invalid stack configuration ({len(self.issues)} problem(s)):\n{lines}")
