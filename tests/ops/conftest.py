"""Fixtures for the ops tests: fake credentials always, a moto account on request."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from moto import mock_aws
from ops_world import build_world, offline_aws


@pytest.fixture(autouse=True)
def _offline_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    offline_aws(monkeypatch)


@pytest.fixture(autouse=True)
def _outside_the_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`verify` looks for ./Pulumi.<env>.yaml; tests choose their stack file explicitly."""
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def world() -> Iterator[dict[str, Any]]:
    with mock_aws():
        yield build_world()
