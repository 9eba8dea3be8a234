"""Application settings, MCP server configs and logging config as ConfigMaps (never a secret).

Secrets reach pods only through the `platform-secrets` Secret; `assert_no_secret` refuses a
ConfigMap that would carry one, so a careless setting fails at preview instead of leaking.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence

import pulumi
import pulumi_kubernetes as k8s

from app.args import McpServer
from app.names import PLATFORM_CORE, labels

SECRET_ENV_NAMES = frozenset({
    "DATABASE_URL", "REDIS_URL", "REDIS_QUEUE_URL", "SECRET_KEY", "JWT_SECRET",
    "ANTHROPIC_API_KEY", "OPENAI_API_KEY", "PINECONE_API_KEY", "PINECONE_ENVIRONMENT",
})
_SECRETISH_KEY = re.compile(r"(PASSWORD|SECRET|TOKEN|API_KEY|PRIVATE_KEY|CREDENTIAL)", re.I)
_CREDENTIAL_URL = re.compile(r"://[^/@\s]*:[^/@\s]+@")

MCP_CONFIG_DIR = "/etc/agentic/mcp"
MCP_SECRETS_DIR = "/var/run/secrets/mcp"
"""`<dir>/<server>/<KEY>`: each MCP server's own secret files (its config entry's `secrets`)."""
LOGGING_CONFIG_DIR = "/etc/agentic/logging"


def assert_no_secret(name: str, data: Mapping[str, pulumi.Input[str]]) -> None:
    """Raise when a ConfigMap key names a secret or a value embeds credentials.

    Values known only after deploy (bucket names) are checked by key; they are never secrets.
    """
    for key, value in data.items():
        if key in SECRET_ENV_NAMES or _SECRETISH_KEY.search(key):
            raise ValueError(f"ConfigMap '{name}' key '{key}' looks like a secret; "
                             "secrets reach pods through External Secrets only")
        if isinstance(value, str) and _CREDENTIAL_URL.search(value):
            raise ValueError(f"ConfigMap '{name}' key '{key}' holds a URL with credentials")


def app_settings(settings: Mapping[str, pulumi.Input[str]]) -> dict[str, pulumi.Input[str]]:
    data = dict(settings)
    data.setdefault("PORT", "8000")
    data["MCP_CONFIG_PATH"] = f"{MCP_CONFIG_DIR}/servers.json"
    data["LOG_CONFIG_PATH"] = f"{LOGGING_CONFIG_DIR}/logging.json"
    return data


def mcp_servers(servers: Sequence[McpServer | str]) -> list[McpServer]:
    """Bare names (no secrets) and full entries alike."""
    return [s if isinstance(s, McpServer) else McpServer(name=s) for s in servers]


def mcp_secrets_dir(server: str) -> str:
    return f"{MCP_SECRETS_DIR}/{server}"


def mcp_config(servers: Sequence[McpServer | str], server_path: str) -> dict[str, str]:
    """MCP servers run as stdio subprocesses from the image. Each gets its own secrets directory
    holding only the secrets its config entry lists (one file per key): the app starts the server
    with SECRETS_DIR set to `secretsDir`, never the pod's full SECRETS_DIR, and with no secret in
    its environment (the environment is inherited by every child process)."""
    doc = {"mcpServers": {
        s.name: {"command": f"{server_path.rstrip('/')}/{s.name}/run", "args": [], "transport": "stdio",
                 "secretsDir": mcp_secrets_dir(s.name) if s.secrets else None, "secrets": sorted(s.secrets)}
        for s in mcp_servers(servers)
    }}
    return {"servers.json": json.dumps(doc, indent=2, sort_keys=True)}


def logging_config(level: str) -> dict[str, str]:
    """Structured JSON logs on stdout: Fluent Bit ships them, nothing writes to the read-only root."""
    doc = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "pythonjsonlogger.jsonlogger.JsonFormatter",
                                "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
        "handlers": {"stdout": {"class": "logging.StreamHandler", "formatter": "json",
                                "stream": "ext://sys.stdout"}},
        "root": {"level": level.upper(), "handlers": ["stdout"]},
        "loggers": {"uvicorn.access": {"level": "WARNING" if level != "debug" else "INFO"}},
    }
    return {"logging.json": json.dumps(doc, indent=2, sort_keys=True)}


def config_maps(prefix: str, environment: str, *, settings: Mapping[str, pulumi.Input[str]],
                servers: Sequence[McpServer | str],
                server_path: str, log_level: str,
                opts: pulumi.ResourceOptions, namespace: str = PLATFORM_CORE) -> dict[str, k8s.core.v1.ConfigMap]:
    """app-settings (env), mcp-servers and logging (mounted files) in platform-core."""
    wanted: dict[str, dict[str, pulumi.Input[str]]] = {
        "app-settings": app_settings(settings),
        "mcp-servers": dict(mcp_config(servers, server_path)),
        "logging": dict(logging_config(log_level)),
    }
    out: dict[str, k8s.core.v1.ConfigMap] = {}
    for cm_name, data in wanted.items():
        assert_no_secret(cm_name, data)
        out[cm_name] = k8s.core.v1.ConfigMap(
            f"{prefix}-cm-{cm_name}",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=cm_name, namespace=namespace,
                                                labels=labels("config", environment)),
            data=data,
            opts=opts,
        )
    return out
