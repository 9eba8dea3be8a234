"""`ops verify` against a moto account: a healthy estate passes, each broken promise fails.

The account is built once for this module (`estate`) and only read by `verify`; each test gets its
own copy of the outputs to break. A test that writes to the account would leak into the others:
those belong in test_ops_verify_broken.py, where each gets a fresh account.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ops_world import estate_account, make_deps, rows_with, run_cli, stdin_deps, write_outputs

from ops.verify import configured_retention


@pytest.fixture(scope="module")
def estate() -> Iterator[dict[str, Any]]:
    """One moto account for the module (a build is ~0.2 s; `verify` never writes to it)."""
    with estate_account() as outputs:
        yield outputs


@pytest.fixture
def world(estate: dict[str, Any]) -> dict[str, Any]:
    """This test's copy of the estate's outputs (the account itself is shared and left as built)."""
    return copy.deepcopy(estate)


def test_healthy_estate_passes_every_check(world, tmp_path, capsys):
    seen: list[str] = []

    def http_get(url: str, timeout: float) -> tuple[int, str]:
        seen.append(url)
        return 200, "ok"

    res = run_cli(capsys, ["verify", "--outputs", write_outputs(tmp_path, world), "--url", "https://api.example/"],
                  make_deps(http_get=http_get))
    assert res.code == 0, res.out
    assert rows_with(res.out, "FAIL") == []
    assert seen == ["https://api.example/health", "https://api.example/health/live", "https://api.example/health/ready"]
    for check in ("rds.encryption", "rds.deletion_protection", "rds.backup_retention", "redis.cache.encryption",
                  "redis.queue.transit_encryption", "s3.versioning", "s3.encryption", "residency.replication",
                  "s3.replication_coverage", "residency.tenant", "residency.global_members", "backup.vault",
                  "kms.rotation", "health"):
        assert check in res.out
    assert res.out.strip().endswith("passed (prod)")


def test_reads_outputs_from_stdin(world, capsys):
    res = run_cli(capsys, ["verify", "--outputs", "-"], stdin_deps(world))
    assert res.code == 0
    assert "check" in res.out.splitlines()[0] and "result" in res.out.splitlines()[0]


def test_retention_threshold_follows_the_flag(world, tmp_path, capsys):
    res = run_cli(capsys, ["verify", "--outputs", write_outputs(tmp_path, world), "--min-backup-retention-days", "35",
                           "--only-problems"])
    assert res.code == 1
    lines = res.out.strip().splitlines()
    assert all("PASS" not in line for line in lines)
    clusters = 3 + 2 + 2  # global and eu domain members + two enterprise tenants (regional ids repeat them)
    assert sum("30 days (required >= 35, --min-backup-retention-days)" in line for line in lines) == clusters
    assert lines[-1].startswith(f"verify: {clusters} of ")


def test_tenant_store_outside_its_domain_fails(world, tmp_path, capsys):
    world["tenants"]["muller-eu"]["stores"]["secrets_region"] = "us-east-1"
    world["tenants"]["muller-eu"]["workload_regions"] = ["eu-west-1", "us-east-1"]
    res = run_cli(capsys, ["verify", "--outputs", write_outputs(tmp_path, world)])
    assert res.code == 1
    failed = rows_with(res.out, "FAIL")
    assert any("muller-eu secrets" in r and "outside data domain eu" in r for r in failed)
    assert any("muller-eu workloads" in r and "us-east-1" in r for r in failed)


def test_missing_cluster_and_cache_endpoint_fail(world, tmp_path, capsys):
    world["regional"]["eu-central-1"]["cache_endpoint"] = "master.gone.abc.euc1.cache.amazonaws.com:6379"
    world["tenants"]["initech"]["stores"]["database"]["cluster_identifier"] = "prod-tenant-gone-use1"
    res = run_cli(capsys, ["verify", "--outputs", write_outputs(tmp_path, world)])
    assert res.code == 1
    failed = "\n".join(rows_with(res.out, "FAIL"))
    assert "cluster not found in us-east-1" in failed
    assert "no replication group with this endpoint" in failed


@pytest.mark.parametrize(("status", "body", "detail"),
                         [(503, "", "HTTP 503"), (0, "connection refused", "unreachable")])
def test_unhealthy_endpoint_fails(world, tmp_path, capsys, status, body, detail):
    def http_get(url: str, timeout: float) -> tuple[int, str]:
        return (status, body) if url.endswith("/ready") else (200, "ok")

    res = run_cli(capsys, ["verify", "--outputs", write_outputs(tmp_path, world), "--url", "https://api.example"],
                  make_deps(http_get=http_get))
    assert res.code == 1
    failed = rows_with(res.out, "FAIL")
    assert len(failed) == 1 and "/health/ready" in failed[0] and detail in failed[0]


def test_resident_hostname_with_a_pool_outside_its_domain_fails(world, tmp_path, capsys):
    eu_host = world["hostnames"]["api.eu.agentic.example.com"]
    eu_host["pools"].append({"region": "us-east-1", "origin": "k8s-use1", "pool_id": "pool-eu-use1"})
    res = run_cli(capsys, ["verify", "--outputs", write_outputs(tmp_path, world), "--only-problems"])
    assert res.code == 1
    (row,) = rows_with(res.out, "FAIL")
    assert "residency.hostname" in row and "pools outside data domain eu (eu-west-1, eu-central-1): us-east-1" in row


def test_retention_threshold_comes_from_the_stack_file(world, tmp_path, capsys):
    """Each stack configures its own retention; verify reads the same file `pulumi up` used."""
    (tmp_path / "Pulumi.prod.yaml").write_text("config:\n  agentic-platform:database:\n    backup_retention_days: 35\n")
    res = run_cli(capsys, ["verify", "--outputs", write_outputs(tmp_path, world), "--only-problems"])
    assert res.code == 1
    assert "30 days (required >= 35, Pulumi.prod.yaml)" in res.out


def test_repo_stack_files_give_their_retention():
    root = Path(__file__).resolve().parents[2]
    assert configured_retention("staging", str(root / "Pulumi.staging.yaml")) == (14, "Pulumi.staging.yaml")
    assert configured_retention("dev", None, search=root) == (7, "Pulumi.dev.yaml")
    assert configured_retention("local", None, search=root)[0] == 30


@pytest.mark.parametrize(("text", "message"), [
    ("config:\n  agentic-platform:database:\n    backup_retention_days: soon\n", "must be a positive integer"),
    ("config: [unclosed\n", "is not valid YAML"),
])
def test_bad_stack_file_is_one_line(world, tmp_path, capsys, text, message):
    (tmp_path / "stack.yaml").write_text(text)
    res = run_cli(capsys, ["verify", "--outputs", write_outputs(tmp_path, world), "--stack-config",
                           str(tmp_path / "stack.yaml")])
    assert res.code == 2 and message in res.err and len(res.err.strip().splitlines()) == 1


def test_missing_stack_file_and_bad_threshold(world, tmp_path, capsys):
    res = run_cli(capsys, ["verify", "--outputs", write_outputs(tmp_path, world), "--stack-config", "nope.yaml"])
    assert res.code == 2 and "--stack-config file not found: nope.yaml" in res.err
    res = run_cli(capsys, ["verify", "--outputs", write_outputs(tmp_path, world), "--min-backup-retention-days", "0"])
    assert res.code == 2 and "must be at least 1" in res.err
