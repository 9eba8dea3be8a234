"""Fixtures for the ops tests: fake credentials always, a moto account on request."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import moto.kms.models
import pytest
from moto import mock_aws
from ops_world import build_world, fast_private_keys, use_fake_credentials


@pytest.fixture(autouse=True)
def _fast_kms_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(moto.kms.models, "generate_private_key", fast_private_keys)


@pytest.fixture(autouse=True)
def _fake_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    use_fake_credentials(monkeypatch)


@pytest.fixture(autouse=True)
def _outside_the_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`verify` looks for ./Pulumi.<env>.yaml; tests choose their stack file explicitly."""
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def world() -> Iterator[dict[str, Any]]:
    with mock_aws():
        yield build_world()
