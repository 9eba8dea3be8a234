"""Shared test helpers: stack configs as the program sees them, and cached whole-stack plans."""

from __future__ import annotations

import copy
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from stacks.harness.run import stack_config  # noqa: E402

NS = "agentic-platform:"
TEST_SECRETS = {"anthropic_api_key": "test-anthropic", "openai_api_key": "test-openai"}


def namespace(stack: str) -> tuple[dict[str, Any], str | None]:
    """(`agentic-platform:` values without prefix, plus test secrets; `aws:region`) of a stack file."""
    raw = stack_config(stack)
    ns = {k[len(NS):]: copy.deepcopy(v) for k, v in raw.items() if k.startswith(NS)}
    ns.update(TEST_SECRETS)
    return ns, raw.get("aws:region")


@pytest.fixture
def prod_ns() -> dict[str, Any]:
    return namespace("prod")[0]
