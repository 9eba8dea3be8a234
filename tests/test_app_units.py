"""Pure rules of the platform workload: names, budgets, ConfigMap guard, ALB annotations,
secret mapping and the queue-password template (no mocks)."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.args import IngressSpec
from app.config_maps import app_settings, assert_no_secret, logging_config, mcp_config
from app.ingress import alb_annotations
from app.names import dns_label, migration_job_name, pdb_budget
from app.security import psa_labels
from components.redis import AUTH_TOKEN_SPECIALS
from stacks.compose.workload import (
    app_settings as compose_settings,
)
from stacks.compose.workload import (
    missing_secrets,
    queue_password_template,
    region_hosts,
    scaling_spec,
    secret_refs,
)
from stacks.config.load import parse
from tests.conftest import namespace

DNS1123 = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


@given(st.text(min_size=1, max_size=200))
def test_dns_label_is_always_a_valid_label(value: str) -> None:
    label = dns_label(value)
    assert len(label) <= 63
    assert DNS1123.match(label), label


def test_migration_job_name_carries_the_tag_and_changes_with_it() -> None:
    assert migration_job_name("2026.11.20-3f9c1e2") == "migrate-2026-11-20-3f9c1e2"
    assert migration_job_name("a" * 120) != migration_job_name("a" * 119)
    assert migration_job_name("v1") != migration_job_name("v2")


@pytest.mark.parametrize(("replicas", "expected"), [
    (1, {"max_unavailable": 1}),
    (2, {"min_available": 1}),
    (3, {"min_available": 2}),
    (8, {"min_available": 6}),
    (20, {"min_available": 15}),
])
def test_pdb_never_blocks_drains_and_keeps_most_replicas(replicas: int, expected: dict[str, int]) -> None:
    assert pdb_budget(replicas) == expected


@given(st.integers(min_value=2, max_value=500))
def test_pdb_min_available_leaves_room_for_one_eviction(replicas: int) -> None:
    budget = pdb_budget(replicas)
    assert 1 <= int(budget["min_available"]) < replicas


def test_psa_labels_enforce_audit_and_warn_restricted() -> None:
    labels = psa_labels()
    for mode in ("enforce", "audit", "warn"):
        assert labels[f"pod-security.kubernetes.io/{mode}"] == "restricted"


@pytest.mark.parametrize("key", ["DATABASE_URL", "OPENAI_API_KEY", "JWT_SECRET", "DB_PASSWORD", "GITHUB_TOKEN"])
def test_configmap_guard_refuses_secret_keys(key: str) -> None:
    with pytest.raises(ValueError, match=f"key '{key}' looks like a secret"):
        assert_no_secret("app-settings", {key: "x"})


def test_configmap_guard_refuses_urls_with_credentials() -> None:
    with pytest.raises(ValueError, match="holds a URL with credentials"):
        assert_no_secret("app-settings", {"CACHE": "rediss://:tok@host:6379/0"})
    assert_no_secret("app-settings", {"DOCS": "https://example.com/a:b"})


def test_settings_and_file_configs_pass_the_guard() -> None:
    settings = app_settings({"API_VERSION": "v1", "LOG_LEVEL": "info", "MCP_SERVER_PATH": "/app/mcp-servers"})
    assert settings["MCP_CONFIG_PATH"] == "/etc/agentic/mcp/servers.json"
    for data in (settings, mcp_config(["github"], "/app/mcp-servers"), logging_config("info")):
        assert_no_secret("x", data)


def test_alb_annotations_follow_the_bar() -> None:
    spec = IngressSpec(hosts=["api.example.com"], certificate_arn="arn:cert",
                       ssl_policy="ELBSecurityPolicy-TLS13-1-2-2021-06",
                       allowed_cidrs=["173.245.48.0/20", "1.1.1.0/24"])
    ann = alb_annotations(spec, "arn:cert")
    p = "alb.ingress.kubernetes.io/"
    assert ann[p + "scheme"] == "internet-facing"
    assert ann[p + "target-type"] == "ip"
    assert ann[p + "certificate-arn"] == "arn:cert"
    assert "TLS13" in ann[p + "ssl-policy"]
    assert ann[p + "listen-ports"] == '[{"HTTP": 80}, {"HTTPS": 443}]'
    assert ann[p + "ssl-redirect"] == "443"
    assert ann[p + "healthcheck-path"] == "/health/ready"
    assert ann[p + "inbound-cidrs"] == "173.245.48.0/20,1.1.1.0/24"
    assert "deletion_protection.enabled=false" in ann[p + "load-balancer-attributes"]
    assert "access_logs" not in ann[p + "load-balancer-attributes"]
    logged = alb_annotations(IngressSpec(hosts=["h"], certificate_arn="c", ssl_policy="s", allowed_cidrs=["1.1.1.0/24"],
                                         deletion_protection=True), "c", "logs-bucket")
    attrs = logged[p + "load-balancer-attributes"].split(",")
    assert {"deletion_protection.enabled=true", "access_logs.s3.enabled=true", "access_logs.s3.bucket=logs-bucket",
            "access_logs.s3.prefix=alb"} <= set(attrs)


def test_secret_refs_map_env_vars_and_pinecone_only_when_chosen() -> None:
    arns = {n: f"arn:{n}" for n in ("database-url", "redis-url", "queue-url", "secret-key", "jwt-secret",
                                    "anthropic-api-key", "openai-api-key", "pinecone-api-key",
                                    "pinecone-environment")}
    refs = secret_refs("pgvector", arns)
    assert "DATABASE_URL" not in refs, "pods connect with IAM tokens, no database URL secret"
    assert refs["REDIS_QUEUE_URL"] == "arn:queue-url"
    assert not any(k.startswith("PINECONE") for k in refs)
    assert secret_refs("pinecone", arns)["PINECONE_API_KEY"] == "arn:pinecone-api-key"
    assert missing_secrets("pgvector", arns) == []
    assert missing_secrets("pinecone", {"database-url": "x"}) == [
        "REDIS_URL", "SECRET_KEY", "JWT_SECRET", "ANTHROPIC_API_KEY", "OPENAI_API_KEY",
        "PINECONE_API_KEY", "PINECONE_ENVIRONMENT"]


def _render(template: str, url: str) -> str:
    """Evaluate the template's pipeline (regexFind, trimPrefix, trimSuffix, replace) in Python."""
    body = template.removeprefix("{{ ").removesuffix(" }}")
    stages = [s.strip() for s in body.split(" | ")]
    assert stages[0] == ".REDIS_QUEUE_URL"
    value = url
    for stage in stages[1:]:
        fn, *args = re.findall(r'^\w+|"[^"]*"', stage)
        args = [a[1:-1] for a in args]
        if fn == "regexFind":
            m = re.search(args[0], value)
            value = m.group(0) if m else ""
        elif fn == "trimPrefix":
            value = value.removeprefix(args[0])
        elif fn == "trimSuffix":
            value = value.removesuffix(args[0])
        elif fn == "replace":
            value = value.replace(args[0], args[1])
        else:
            raise AssertionError(f"unexpected template function {fn}")
    return value


@given(st.text(alphabet=st.sampled_from("abcXYZ0189" + AUTH_TOKEN_SPECIALS), min_size=16, max_size=64))
def test_queue_password_template_recovers_every_valid_auth_token(token: str) -> None:
    """The data layer writes `rediss://:<quote(token)>@host:port/0`; KEDA needs the raw token."""
    url = f"rediss://:{quote(token, safe='')}@master.q.abc.use1.cache.amazonaws.com:6379/0"
    assert _render(queue_password_template("REDIS_QUEUE_URL"), url) == token


def test_region_hosts_add_the_eu_hostname_only_in_eu_regions() -> None:
    ns, region = namespace("prod")
    cfg = parse(ns, stack="prod", aws_region=region)
    assert region_hosts(cfg, "us-east-1") == ["api.agentic.example.com"]
    assert region_hosts(cfg, "eu-west-1") == ["api.agentic.example.com", "api.eu.agentic.example.com"]
    assert region_hosts(cfg, "eu-central-1") == ["api.agentic.example.com", "api.eu.agentic.example.com"]
    assert region_hosts(cfg, "ap-southeast-1") == ["api.agentic.example.com"]


def test_scaling_and_settings_come_from_config() -> None:
    ns, region = namespace("prod")
    cfg = parse(ns, stack="prod", aws_region=region)
    s = scaling_spec(cfg)
    assert (s.api_replicas, s.api_min_replicas, s.api_max_replicas, s.api_cpu_percent, s.api_memory_percent) == (
        3, 3, 20, 70, 80)
    settings = compose_settings(cfg, "eu-west-1")
    assert settings["API_VERSION"] == "v1"
    assert settings["LOG_LEVEL"] == "info"
    assert settings["MCP_SERVER_PATH"] == "/app/mcp-servers"
    assert settings["AWS_REGION"] == "eu-west-1"
    assert_no_secret("app-settings", settings)

