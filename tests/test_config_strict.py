"""Config a new user got through silently: each case refused (or warned) by name, with its exit code."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from stacks.config.known_keys import provider_keys
from stacks.config.shapes import ec2_arch
from tests.stack_cli import edited_root, preview_cli

Edit = Callable[[dict[str, Any]], None]


def rename(old: str, new: str) -> Edit:
    def edit(cfg: dict[str, Any]) -> None:
        cfg[new] = cfg.pop(old)
    return edit


def put(key: str, path: str, value: Any) -> Edit:
    """Set `path` (dotted, [i] for list items) inside the stack-file key `key`."""
    def edit(cfg: dict[str, Any]) -> None:
        cur: Any = cfg[key]
        parts = [int(p) if p.isdigit() else p for p in path.replace("[", ".").replace("]", "").split(".")]
        for part in parts[:-1]:
            cur = cur[part]
        cur[parts[-1]] = value
    return edit


P = "agentic-platform:"
REFUSED: list[tuple[str, str, Edit, str]] = [
    ("misspelt namespace drops the tenants", "prod", rename(f"{P}tenants", "agentic-platfrom:tenants"),
     "agentic-platfrom:tenants: no part of the program or its providers reads this key; "
     "did you mean 'agentic-platform:tenants'?"),
    ("namespace without hyphen", "dev", rename(f"{P}environment", "agenticplatform:environment"),
     "agenticplatform:environment: no part of the program or its providers reads this key; "
     "did you mean 'agentic-platform:environment'?"),
    ("provider key typo", "dev", rename("aws:region", "aws:regoin"),
     "aws:regoin: no part of the program or its providers reads this key; did you mean 'aws:region'?"),
    ("hostname", "dev", put(f"{P}app", "hostname", "not a hostname!"),
     "agentic-platform:app.hostname: 'not a hostname!' is not a DNS host name"),
    ("alert e-mail", "dev", put(f"{P}observability", "alert_email", "not-an-email"),
     "agentic-platform:observability.alert_email: 'not-an-email' is not an e-mail address"),
    ("role ARN", "prod", put(f"{P}cluster", "admin_role_arn", "platform-break-glass"),
     "agentic-platform:cluster.admin_role_arn: 'platform-break-glass' is not an IAM role ARN; write the full ARN"),
    ("empty budget recipients", "dev", put(f"{P}budget", "alert_emails", []),
     "agentic-platform:budget.alert_emails: is empty, so the budget alerts nobody"),
    ("boolean for a number", "staging", put(f"{P}database", "readers", True),
     "agentic-platform:database.readers: true is a boolean, not a number"),
    ("node group beyond the EKS quota", "dev", put(f"{P}cluster", "node_groups.workers.max_size", 100000),
     "agentic-platform:cluster.node_groups.workers.max_size: 100000 is above the EKS limit of 450"),
    ("x86 type on arm64", "dev", put(f"{P}cluster", "node_groups.api.instance_types", ["m7i.large"]),
     "agentic-platform:cluster.node_groups.api.instance_types[0]: 'm7i.large' is an x86_64 instance type but "
     "agentic-platform:cluster.arch is arm64"),
    ("EC2 type typo", "dev", put(f"{P}cluster", "node_groups.api.instance_types", ["m7g.lrage"]),
     "agentic-platform:cluster.node_groups.api.instance_types[0]: unknown instance type 'm7g.lrage' for "
     "us-east-1; did you mean 'm7g.large'"),
    ("cache type typo", "dev", put(f"{P}redis", "cache.node_type", "cache.t4g.smal"),
     "agentic-platform:redis.cache.node_type: unknown instance type 'cache.t4g.smal' for us-east-1; "
     "did you mean 'cache.t4g.small'"),
    ("local tenant region", "local", put(f"{P}tenants", "0.primary_region", "mars-central-9"),
     "agentic-platform:tenants[0].primary_region: tenant 'sample': 'mars-central-9' is not an AWS region"),
]


@pytest.mark.parametrize(("stack", "edit", "message"), [c[1:] for c in REFUSED], ids=[c[0] for c in REFUSED])
def test_refused_with_the_key_and_exit_1(stack: str, edit: Edit, message: str, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = preview_cli(monkeypatch, capsys, edited_root(tmp_path, stack, edit), stack)
    assert code == 1
    assert message in out
    assert f"stack {stack}: CONFIG REFUSED" in out
    assert "Traceback" not in out


def test_duplicate_yaml_key_names_file_and_lines(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    text = "config:\n  aws:region: us-east-1\n  agentic-platform:environment: dev\n  aws:region: eu-west-1\n"
    code, out = preview_cli(monkeypatch, capsys, edited_root(tmp_path, "dev", text=text), "dev")
    assert code == 1
    assert "Pulumi.dev.yaml line 4: duplicate key 'aws:region' (first on line 2)" in out


def test_yaml_syntax_error_names_file_and_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    text = "config:\n  aws:region: us-east-1\n  agentic-platform:regions: [{name: us-east-1\n"
    code, out = preview_cli(monkeypatch, capsys, edited_root(tmp_path, "dev", text=text), "dev")
    assert code == 1
    assert "the stack file is unreadable: Pulumi.dev.yaml line 4:" in out


def test_prod_without_tenants_warns_in_the_preview(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """The warning belongs to the prod environment (prod-small is one: the same check, a fifth of the run)."""
    code, out = preview_cli(monkeypatch, capsys, edited_root(tmp_path, "prod-small", _no_tenants), "prod-small")
    assert code == 0
    assert "WARNING agentic-platform:tenants is empty in prod" in out
    assert "config: 1 warning(s)" in out  # the status line carries it too


def _no_tenants(cfg: dict[str, Any]) -> None:
    cfg[f"{P}tenants"] = []


def test_provider_keys_come_from_the_installed_sdks() -> None:
    assert {"aws:region", "aws:profile", "aws:defaultTags"} <= provider_keys("aws")
    assert {"kubernetes:context", "kubernetes:kubeconfig"} <= provider_keys("kubernetes")
    assert "cloudflare:apiToken" in provider_keys("cloudflare")
    assert "aws:regoin" not in provider_keys("aws")


@pytest.mark.parametrize(("itype", "arch"), [("m7g.large", "arm64"), ("c7gn.xlarge", "arm64"), ("t4g.small", "arm64"),
                                             ("im4gn.large", "arm64"), ("m7i.large", "x86_64"), ("g5.xlarge", "x86_64"),
                                             ("c6in.large", "x86_64"), ("t3.medium", "x86_64")])
def test_graviton_families_are_arm64(itype: str, arch: str) -> None:
    assert ec2_arch(itype) == arch


def test_misspelt_keys_inside_the_namespace_get_the_closest_key() -> None:
    from stacks.config import ConfigError, parse
    from stacks.harness.run import stack_namespace

    ns, region = stack_namespace("dev")
    ns["tenant"] = ns.pop("tenants")
    ns["cluster"]["node_groups"]["api"]["max_sise"] = 3
    with pytest.raises(ConfigError) as info:
        parse(ns, stack="dev", aws_region=region)
    text = str(info.value)
    assert "agentic-platform:tenant: unknown key; did you mean 'agentic-platform:tenants'?" in text
    assert "agentic-platform:cluster.node_groups.api.max_sise: unknown key; did you mean 'max_size'?" in text
