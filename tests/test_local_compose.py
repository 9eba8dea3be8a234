"""docker-compose.yml and .env.example: generated from the local stack's config, checked in, valid
against the Compose Specification's JSON schema; the local Pulumi stack gets the same dev setup."""

from __future__ import annotations

import json
import re
from typing import Any

import jsonschema
import pytest
import yaml

from stacks.harness import Plan, run_stack
from stacks.harness.run import ROOT
from stacks.local_compose import compose_document, generated_files, local_config, required

SCHEMA = json.loads((ROOT / "stacks" / "local_compose" / "compose-spec.json").read_text())


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_checked_in_files_match_the_generator() -> None:
    for rel, content in generated_files(local_config()).items():
        assert (ROOT / rel).read_text() == content, f"{rel} is stale: run `python -m stacks compose`"


def test_compose_file_is_valid_against_the_compose_spec_schema(doc: dict[str, Any]) -> None:
    jsonschema.validate(doc, SCHEMA)


def test_the_schema_refuses_what_compose_would_refuse(doc: dict[str, Any]) -> None:
    bad = json.loads(json.dumps(doc))
    bad["services"]["api"]["depends_on"]["migrate"]["condition"] = "service_finished"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, SCHEMA)


def test_services_images_and_order_follow_the_local_stack(doc: dict[str, Any]) -> None:
    cfg = local_config()
    s = doc["services"]
    assert set(s) == {"postgres", "redis", "migrate", "create-admin", "seed", "api", "worker", "nginx"}
    assert s["postgres"]["image"] == cfg.local.postgres_image and s["redis"]["image"] == cfg.local.redis_image
    assert {s[n]["image"] for n in ("migrate", "create-admin", "seed", "api", "worker")} == {
        f"{cfg.app.image}:{cfg.app.tag}"}
    assert s["migrate"]["command"] == ["alembic", "upgrade", "head"]
    assert s["create-admin"]["command"] == ["python", "scripts/create_admin.py"]
    for one_shot in ("migrate", "create-admin", "seed"):
        assert s[one_shot]["restart"] == "no"
    for after in ("api", "worker", "create-admin", "seed"):
        assert s[after]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
    assert s["nginx"]["profiles"] == ["nginx"]  # optional


def test_health_checks_are_the_guides(doc: dict[str, Any]) -> None:
    s = doc["services"]
    assert "pg_isready" in s["postgres"]["healthcheck"]["test"][1]
    assert "ping" in s["redis"]["healthcheck"]["test"][1]
    for app in ("api", "worker"):  # both serve the health endpoints their Kubernetes probes use
        assert any("/health/ready" in part for part in s[app]["healthcheck"]["test"]), app
    assert "/health" in s["nginx"]["healthcheck"]["test"][1]
    assert s["api"]["depends_on"]["postgres"] == {"condition": "service_healthy"}
    one_shot = {"migrate", "create-admin", "seed"}
    assert {name for name, svc in s.items() if "healthcheck" not in svc} == one_shot


def test_pgvector_is_enabled_on_first_start(doc: dict[str, Any]) -> None:
    mount = doc["services"]["postgres"]["configs"][0]
    assert mount["target"].startswith("/docker-entrypoint-initdb.d/")
    assert doc["configs"][mount["source"]]["content"] == "CREATE EXTENSION IF NOT EXISTS vector;\n"


def test_guide_environment_and_no_secret_in_the_files(doc: dict[str, Any]) -> None:
    env = doc["services"]["api"]["environment"]
    for name in ("DATABASE_URL", "REDIS_URL", "ANTHROPIC_API_KEY", "OPENAI_API_KEY", "SECRET_KEY", "JWT_SECRET",
                 "API_VERSION", "LOG_LEVEL", "MCP_SERVER_PATH"):
        assert name in env, name
    for name in ("ANTHROPIC_API_KEY", "OPENAI_API_KEY", "SECRET_KEY", "JWT_SECRET"):
        assert env[name] == f"${{{name}:?set {name} in .env (cp .env.example .env)}}"  # from .env, never a literal
    assert "${POSTGRES_PASSWORD:?" in env["DATABASE_URL"]
    example = (ROOT / ".env.example").read_text()
    referenced = {line.split("=", 1)[0] for line in example.splitlines() if "=" in line and not line.startswith("#")}
    text = (ROOT / "docker-compose.yml").read_text()
    assert all(f"${{{name}:?" in text for name in referenced)
    # Compose refuses to start with any of them unset: no bare `${NAME}` that would run as empty.
    assert not re.findall(r"\$\{[A-Z_]+\}", text)
    assert ".env" in (ROOT / ".gitignore").read_text().split()


def test_pinecone_adds_its_keys_only_when_chosen() -> None:
    cfg = local_config()
    assert "PINECONE_API_KEY" not in compose_document(cfg)["services"]["api"]["environment"]
    pine = cfg.model_copy(update={"app": cfg.app.model_copy(update={"vector_store": "pinecone"})})
    assert compose_document(pine)["services"]["api"]["environment"]["PINECONE_API_KEY"] == required("PINECONE_API_KEY")


def test_seed_carries_the_sample_tenants_and_agents(doc: dict[str, Any]) -> None:
    cmd = doc["services"]["seed"]["command"]
    assert cmd[:3] == ["python", "scripts/seed_dev_data.py", "--tenants"]
    tenants = json.loads(cmd[3])
    assert [t["id"] for t in tenants] == [t.id for t in local_config().tenants]
    assert all(t["agents"] for t in tenants)


@pytest.fixture(scope="module")
def local() -> Plan:
    return run_stack("local")


def test_local_stack_enables_pgvector_and_seeds_the_same_data(local: Plan, doc: dict[str, Any]) -> None:
    (cm,) = [c for c in local.of_type("kubernetes:core/v1:ConfigMap") if c.get("metadata.name") == "postgres-initdb"]
    assert cm.get("data") == {"01-vector.sql": "CREATE EXTENSION IF NOT EXISTS vector;\n"}
    (pg,) = [s for s in local.of_type("kubernetes:apps/v1:StatefulSet") if s.get("metadata.name") == "postgres"]
    mounts = pg.get("spec.template.spec.containers.0.volumeMounts")
    assert {"name": "initdb", "mountPath": "/docker-entrypoint-initdb.d", "readOnly": True} in mounts
    (seed,) = [j for j in local.of_type("kubernetes:batch/v1:Job") if j.get("metadata.name") == "seed-dev-data"]
    assert seed.get("spec.template.spec.containers.0.command") == doc["services"]["seed"]["command"]
    jobs = local.of_type("kubernetes:batch/v1:Job")
    migrate = next(j for j in jobs if str(j.get("metadata.name")).startswith("migrate"))
    assert migrate.urn in seed.options["dependsOn"]


def test_cloud_stacks_have_no_seed_job() -> None:
    dev = run_stack("dev")
    assert not [j for j in dev.of_type("kubernetes:batch/v1:Job") if j.get("metadata.name") == "seed-dev-data"]
