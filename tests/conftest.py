"""Shared test setup: make the project importable from every test folder."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from stacks.harness.run import stack_namespace as namespace  # noqa: E402 - kept for `tests.conftest` imports

__all__ = ["namespace"]
