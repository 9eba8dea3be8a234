"""Each MCP server gets only the secrets its config entry lists, mounted alone in its own
directory, and never a database credential (config refuses it; none exists to mount)."""

from __future__ import annotations

import copy
import json

import pytest

from app.args import McpServer
from app.config_maps import MCP_SECRETS_DIR, mcp_config
from stacks.config import ConfigError, parse
from stacks.harness import Plan, run_stack
from stacks.harness.run import stack_namespace
from tests.variants import prod_opt_ins, with_mcp_servers

WANT = {"research": {"ANTHROPIC_API_KEY", "OPENAI_API_KEY"}, "queue-tools": {"REDIS_QUEUE_URL"}}


@pytest.fixture(scope="module", params=["dev", "prod"])
def plan(request: pytest.FixtureRequest) -> Plan:
    """dev with the servers alone; prod's servers ride along every other opt-in (tests/variants.py)."""
    if request.param == "prod":
        return run_stack("prod", prod_opt_ins())
    return run_stack("dev", overrides=with_mcp_servers("dev"))


def test_mcp_config_points_each_server_at_its_own_secrets() -> None:
    doc = json.loads(mcp_config([McpServer("research", ("OPENAI_API_KEY",)), "filesystem"], "/app/mcp")["servers.json"])
    assert doc["mcpServers"]["research"]["secretsDir"] == f"{MCP_SECRETS_DIR}/research"
    assert doc["mcpServers"]["research"]["secrets"] == ["OPENAI_API_KEY"]
    assert doc["mcpServers"]["filesystem"]["secretsDir"] is None and doc["mcpServers"]["filesystem"]["secrets"] == []


def test_each_server_mounts_exactly_its_secrets(plan: Plan) -> None:
    deploys = [d for d in plan.of_type("kubernetes:apps/v1:Deployment") if d.get("metadata.name") in ("api", "worker")]
    assert deploys
    for d in deploys:
        spec = d.get("spec.template.spec")
        vols = {v["name"]: v for v in spec["volumes"]}
        mounts = {m["name"]: m for m in spec["containers"][0]["volumeMounts"]}
        mcp = {n.removeprefix("mcp-").removesuffix("-secrets"): v for n, v in vols.items()
               if n.startswith("mcp-") and n.endswith("-secrets")}
        assert set(mcp) == set(WANT), d.name
        for server, vol in mcp.items():
            assert {i["key"] for i in vol["secret"]["items"]} == WANT[server]
            assert all(i["path"] == i["key"] for i in vol["secret"]["items"])
            m = mounts[f"mcp-{server}-secrets"]
            assert m["mountPath"] == f"{MCP_SECRETS_DIR}/{server}" and m["readOnly"] is True
            assert not any("DATABASE" in i["key"] for i in vol["secret"]["items"])
    for cm in plan.of_type("kubernetes:core/v1:ConfigMap"):
        if cm.get("metadata.name") == "mcp-servers":
            doc = json.loads(cm.get("data")["servers.json"])["mcpServers"]
            assert {k: set(v["secrets"]) for k, v in doc.items() if v["secrets"]} == WANT


@pytest.mark.parametrize(("servers", "path", "fragment"), [
    ([{"name": "pg", "secrets": ["DATABASE_URL"]}], "app.mcp_servers[0].secrets[0]", "never gets the database"),
    ([{"name": "x", "secrets": ["GITHUB_TOKEN"]}], "app.mcp_servers[0].secrets[0]", "not a known secret"),
    ([{"name": "x", "secrets": ["PINECONE_API_KEY"]}], "app", "vector_store is pgvector"),
    (["a", "a"], "app", "each server name once"),
    ([{"name": "x", "token": "y"}], "app.mcp_servers[0].token", "unknown key"),
])
def test_config_refuses_unknown_or_database_secrets(servers: list, path: str, fragment: str) -> None:
    ns, region = stack_namespace("dev")
    ns = copy.deepcopy(ns)
    ns["app"]["mcp_servers"] = servers
    with pytest.raises(ConfigError) as info:
        parse(ns, stack="dev", aws_region=region)
    issues = [i for i in info.value.issues if i.path == f"agentic-platform:{path}"]
    assert any(fragment in i.message for i in issues), [str(i) for i in info.value.issues]
