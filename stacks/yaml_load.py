"""YAML reading on libyaml when PyYAML has it (its wheels do).

The C parser reads the same documents with the same marks (line numbers in errors) about six times
faster than the pure-Python one; the program, the preview and the tests read the stack, price,
usage and calendar files on every run, and in the test suite that was ~9 s of CPU.
"""

from __future__ import annotations

from typing import IO, Any

import yaml

SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""`yaml.SafeLoader`'s behaviour (plain data only), on libyaml's parser when installed."""


def safe_load(stream: str | IO[str]) -> Any:
    """`yaml.safe_load`, faster."""
    return yaml.load(stream, Loader=SafeLoader)
