"""Shared test setup: make the project importable from every test folder."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import pytest  # noqa: E402

# Version support is judged on a day (stacks/versions): tests pin it so they do not start failing
# on the date a pinned version leaves support; the preview and `pulumi` use the real date.
os.environ.setdefault("AGENTIC_TODAY", "2026-12-03")

from stacks.harness import Plan, run_stack  # noqa: E402
from stacks.harness.run import stack_namespace as namespace  # noqa: E402 - kept for `tests.conftest` imports

__all__ = ["namespace"]


@pytest.fixture(scope="module")
def prod() -> Plan:
    """The prod stack's plan (run once per process by `run_stack`; each module gets its own copy)."""
    return run_stack("prod")


@pytest.fixture(scope="module")
def dev() -> Plan:
    return run_stack("dev")
