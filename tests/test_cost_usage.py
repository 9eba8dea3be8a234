"""Usage files: defaults, per-stack, per-region and per-resource overrides; bad values refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from stacks.cost.usage import UsageError, load_usage


def write(tmp: Path, name: str, text: str) -> None:
    (tmp / name).write_text(text)


def test_stack_file_overrides_defaults_key_by_key(tmp_path: Path) -> None:
    write(tmp_path, "defaults.yaml", "defaults:\n  s3: {storage_gb: 50, put_thousands: 1}\nregions: {}\n")
    write(tmp_path, "x.yaml", "defaults:\n  s3: {storage_gb: 5}\n")
    u = load_usage("x", directory=tmp_path)
    assert u.value("s3", "storage_gb", "b") == 5
    assert u.value("s3", "put_thousands", "b") == 1
    assert u.used == {"s3.storage_gb": 5, "s3.put_thousands": 1}


def test_region_value_falls_back_to_default_region(tmp_path: Path) -> None:
    write(tmp_path, "defaults.yaml",
          "regions:\n  default: {internet_egress_gb: 10}\n  eu-west-1: {internet_egress_gb: 3}\n")
    u = load_usage("x", directory=tmp_path)
    assert u.region("eu-west-1", "internet_egress_gb") == 3
    assert u.region("us-east-1", "internet_egress_gb") == 10
    with pytest.raises(UsageError, match=r"regions\.default\.inter_az_gb"):
        u.region("us-east-1", "inter_az_gb")


def test_first_matching_resource_pattern_wins(tmp_path: Path) -> None:
    write(tmp_path, "defaults.yaml", "defaults:\n  logs: {ingest_gb: 1}\nresources:\n"
                                     "  '*flow*': {logs: {ingest_gb: 20}}\n  '*': {logs: {ingest_gb: 2}}\n")
    u = load_usage("x", directory=tmp_path)
    assert u.value("logs", "ingest_gb", "prod-us-east-1-flow-logs") == 20
    assert u.value("logs", "ingest_gb", "prod-us-east-1-app") == 2


def test_negative_or_non_numeric_values_are_refused(tmp_path: Path) -> None:
    write(tmp_path, "defaults.yaml", "defaults:\n  s3: {storage_gb: -1, put_thousands: lots}\n")
    u = load_usage("x", directory=tmp_path)
    with pytest.raises(UsageError, match="must be a number >= 0"):
        u.value("s3", "storage_gb", "b")
    with pytest.raises(UsageError, match="'lots'"):
        u.value("s3", "put_thousands", "b")


def test_unknown_top_level_key_is_refused(tmp_path: Path) -> None:
    write(tmp_path, "defaults.yaml", "default: {}\n")
    with pytest.raises(UsageError, match="unknown top-level keys"):
        load_usage("x", directory=tmp_path)


@pytest.mark.parametrize("stack", ["local", "dev", "staging", "prod"])
def test_shipped_usage_files_load(stack: str) -> None:
    u = load_usage(stack)
    assert u.region("us-east-1", "internet_egress_gb") >= 0
