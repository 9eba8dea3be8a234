"""Database identity: IAM-only users created by the db-bootstrap Job, the proxy on IAM end to
end, each role able to connect only as its own user."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from components.db_users import MIGRATION_USER, READONLY_USER, RUNTIME_USER, USERS, bootstrap_sql, dbuser_arn
from stacks.harness import Plan, run_stack
from stacks.harness.run import run_program
from tests.variants import CREDENTIALS_VERSION, prod_opt_ins

JOB = "kubernetes:batch/v1:Job"
PROGRAM = Path(__file__).parent / "data_programs" / "db_connect.py"


@pytest.fixture(scope="module")
def prod() -> Plan:
    return run_stack("prod")


def test_bootstrap_sql_creates_iam_only_users_and_splits_ddl_from_dml() -> None:
    sql = bootstrap_sql("agentic")
    for user in USERS:
        assert f"IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{user}') THEN CREATE ROLE {user} LOGIN;" in sql
    assert f"GRANT rds_iam TO {MIGRATION_USER}, {RUNTIME_USER}, {READONLY_USER};" in sql
    assert f"GRANT USAGE, CREATE ON SCHEMA public TO {MIGRATION_USER};" in sql
    assert "REVOKE CREATE ON SCHEMA public FROM PUBLIC;" in sql
    assert f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {RUNTIME_USER};" in sql
    assert f"GRANT SELECT ON TABLES TO {READONLY_USER};" in sql
    assert "CREATE" not in sql.split(f"TO {RUNTIME_USER}")[0].split("GRANT USAGE ON SCHEMA")[-1]
    assert "PASSWORD" not in sql.upper(), "IAM-only users have no password"
    assert bootstrap_sql("agentic") == sql, "deterministic"


def test_dbuser_arn_shapes_for_proxy_and_cluster() -> None:
    assert dbuser_arn("eu-west-1", "111122223333", "prx-0abc", "agentic_app") == \
        "arn:aws:rds-db:eu-west-1:111122223333:dbuser:prx-0abc/agentic_app"
    arn = dbuser_arn("us-east-1", "1", "cluster-XYZ", "agentic_migrate")
    assert arn.endswith(":dbuser:cluster-XYZ/agentic_migrate")


def test_proxies_are_iam_only_and_connect_as_the_app_users(prod: Plan) -> None:
    proxies = prod.of_type("aws:rds/proxy:Proxy")
    assert proxies
    for proxy in proxies:
        assert proxy.get("defaultAuthScheme") == "IAM_AUTH" and not proxy.get("auths"), proxy.name
        assert proxy.get("requireTls") is True
    connects = [r for r in prod.of_type("aws:iam/rolePolicy:RolePolicy") if r.name.endswith("-proxy-connect")]
    assert len(connects) == len(proxies)
    for pol in connects:
        (st,) = json.loads(pol.get("policy"))["Statement"]
        assert st["Action"] == "rds-db:connect"
        assert sorted(r.rsplit("/", 1)[1] for r in st["Resource"]) == sorted(USERS)
        assert all(":dbuser:cluster-" in r for r in st["Resource"])
    assert not [r for r in prod.of_type("aws:iam/rolePolicy:RolePolicy") if r.name.endswith("-proxy-secret")]


def test_bootstrap_job_runs_once_per_domain_in_its_writer_region_before_migrations(prod: Plan) -> None:
    jobs = [j for j in prod.of_type(JOB) if str(j.get("metadata.namespace")).startswith("db-bootstrap-")]
    assert sorted((j.get("metadata.namespace"), j.region) for j in jobs) == [
        ("db-bootstrap-eu", "eu-west-1"), ("db-bootstrap-global", "us-east-1")]
    migrations = [j for j in prod.of_type(JOB) if j.name.endswith("-job-migrate")]
    for boot in jobs:
        c = boot.get("spec.template.spec.containers.0")
        # psql of the databases' major version, through the region's ECR pull-through cache
        assert c["image"].endswith("/ecr-public/docker/library/postgres:16.13"), c["image"]
        assert ".dkr.ecr." in c["image"]
        assert "-f /etc/db-bootstrap/bootstrap.sql" in c["command"][2]
        assert {"name": "PGSSLMODE", "value": "require"} in c["env"]
        assert ".cluster-" in next(e["value"] for e in c["env"] if e["name"] == "PGHOST"), "writer, not the proxy"
        assert not c.get("envFrom"), "the credential is a mounted file"
        cell = boot.name.removesuffix("-db-bootstrap-job")
        (migration,) = [m for m in migrations if m.name == f"{cell}-job-migrate"]
        assert boot.urn in migration.options["dependsOn"], "users exist before the schema is migrated"
    sql_maps = [c for c in prod.of_type("kubernetes:core/v1:ConfigMap") if c.get("metadata.name") == "bootstrap-sql"]
    assert {c.get("data")["bootstrap.sql"] for c in sql_maps} == {bootstrap_sql("agentic")}
    masters = [e for e in prod.of_type("kubernetes:external-secrets.io/v1:ExternalSecret")
               if "/db/master" in json.dumps(e.get("spec"))]
    assert masters and all(str(e.get("metadata.namespace")).startswith("db-bootstrap-") for e in masters)
    for e in masters:
        assert all(d["remoteRef"]["key"].startswith(f"arn:aws:secretsmanager:{e.region}:") for d in e.get("spec.data"))


@pytest.mark.parametrize("proxy", [True, False])
def test_pods_connect_with_iam_with_or_without_a_proxy(proxy: bool) -> None:
    """A stack without RDS Proxy (`database.proxy: false`) still hands pods no password: they
    connect to the cluster with IAM database authentication as the same users."""
    plan = run_program("db-connect", {"agentic-platform:proxy": proxy}, program=PROGRAM)
    out = plan.outputs
    prefix = "arn:aws:rds-db:eu-west-1:111122223333:dbuser:"
    assert out["kind"] == ("proxy" if proxy else "cluster")
    assert out["iam_auth_enabled"] is True
    kind = "prx-" if proxy else "cluster-"
    assert [a.rsplit("/", 1)[1] for a in out["app_users"]] == ["agentic_app", "agentic_readonly"]
    assert all(a.startswith(prefix + kind) for a in [*out["app_users"], *out["migrate_users"]])
    assert out["migrate_users"][0].endswith("/agentic_migrate")
    settings = out["settings"]
    assert settings["DATABASE_VIA"] == out["kind"] and settings["DATABASE_AUTH"] == "iam"
    host = ".proxy-" if proxy else ".cluster-"
    assert host in settings["DATABASE_HOST"]
    assert ".endpoint.proxy-" in settings["DATABASE_READ_HOST"] if proxy else ".cluster-ro-" in settings[
        "DATABASE_READ_HOST"]
    assert not plan.of_type("aws:rds/proxy:Proxy") if not proxy else plan.of_type("aws:rds/proxy:Proxy")
    assert not any("password" in k.lower() for k in settings)


def test_schema_migrations_run_only_in_each_domain_writer_region(prod: Plan) -> None:
    """A global secondary is read-only: its cells run no migration or admin Job and get no
    migration identity; each domain migrates exactly once, in its primary region."""
    cells = {(c.region, c.get("metadata.namespace")): c.get("data")["DATA_DOMAIN"]
             for c in prod.of_type("kubernetes:core/v1:ConfigMap")
             if c.get("metadata.name") == "app-settings" and "DATA_DOMAIN" in (c.get("data") or {})}
    writers = {"global": "us-east-1", "eu": "eu-west-1"}
    expected = sorted(k for k, dom in cells.items() if writers[dom] == k[0])
    assert len(cells) > len(expected), "prod has replica cells"
    for command in (["alembic", "upgrade", "head"], ["python", "scripts/create_admin.py"]):
        jobs = [j for j in prod.of_type(JOB) if j.get("spec.template.spec.containers.0.command") == command]
        assert sorted((j.region, j.get("metadata.namespace")) for j in jobs) == expected, command
    for dep in prod.of_type("kubernetes:apps/v1:Deployment"):
        key = (dep.region, dep.get("metadata.namespace"))
        if key in cells and key not in expected:
            assert not any(":batch/v1:Job::" in d for d in dep.options.get("dependsOn", [])), dep.name
    jobs_roles = [r for r in prod.of_type("aws:iam/role:Role") if r.get("description", "").endswith("/platform-jobs")]
    assert len(jobs_roles) == len(expected), [r.name for r in jobs_roles]


# --- master password rotation ------------------------------------------------------------------

CLUSTER = "aws:rds/cluster:Cluster"


def _bootstrap_refs(plan: Plan) -> dict[str, set[str]]:
    """db-bootstrap namespace -> the secret ARNs its ExternalSecrets read."""
    out: dict[str, set[str]] = {}
    for e in plan.of_type("kubernetes:external-secrets.io/v1:ExternalSecret"):
        ns = str(e.get("metadata.namespace"))
        if ns.startswith("db-bootstrap-"):
            out.setdefault(ns, set()).update(d["remoteRef"]["key"] for d in e.get("spec.data"))
    return out


@pytest.mark.parametrize("stack", ["dev", "staging"])
def test_regional_clusters_use_rds_managed_master_passwords(stack: str) -> None:
    """Regional clusters: RDS generates, stores (under the region's secrets key) and rotates the
    master password; the program holds none, and db-bootstrap reads RDS's own secret."""
    plan = run_stack(stack)
    keys = {k.outputs["arn"] for k in plan.of_type("aws:kms/key:Key") if k.name.endswith("-secrets-key")}
    clusters = [c for c in plan.of_type(CLUSTER) if not c.get("globalClusterIdentifier")]
    assert clusters
    for c in clusters:
        assert c.get("manageMasterUserPassword") is True, c.name
        assert not c.get("masterPassword"), c.name
        assert c.get("masterUserSecretKmsKeyId") in keys, c.name
    assert not [s for s in plan.of_type("aws:secretsmanager/secret:Secret") if "/db/master" in str(s.get("name"))]
    managed = {c.outputs["masterUserSecrets"][0]["secretArn"] for c in clusters}
    refs = _bootstrap_refs(plan)
    assert refs and all(len(r) == 1 and r <= managed for r in refs.values()), (refs, managed)


def test_global_members_keep_the_generated_password_rotated_by_credentials_version(prod: Plan) -> None:
    """Aurora Global members cannot use RDS-managed passwords: the primary gets the generated one
    (its secret replicated in the domain), db-bootstrap reads that secret, and bumping
    `database.credentials_version` regenerates it."""
    members = [c for c in prod.of_type(CLUSTER) if c.get("globalClusterIdentifier")]
    assert members and not any(c.get("manageMasterUserPassword") for c in members)
    primaries = [c for c in members if c.get("masterUsername")]
    assert primaries and all("masterPassword" in c.secret_paths for c in primaries)
    refs = _bootstrap_refs(prod)
    assert {ns: {k.split(":secret:")[1] for k in r} for ns, r in refs.items()} == {
        "db-bootstrap-global": {"agentic-platform/prod/global/db/master"},
        "db-bootstrap-eu": {"agentic-platform/prod/eu/db/master"}}
    bumped = run_stack("prod", prod_opt_ins())  # credentials_version 7 among every opt-in (tests/variants.py)
    passwords = [p for p in bumped.of_type("random:index/randomPassword:RandomPassword")
                 if p.name.endswith("-db-master-password")]
    assert len(passwords) == 2 and all(p.get("keepers") == {"version": str(CREDENTIALS_VERSION)} for p in passwords)


def test_managed_password_is_refused_on_global_members() -> None:
    from components.aurora import AuroraClusterArgs, validate_args
    args = AuroraClusterArgs(identifier="g", region="eu-west-1", engine_version="16.6",
                             instance_class="db.r7g.large", kms_key_arn="k", logs_kms_key_arn="k",
                             secrets_kms_key_arn="k", vpc_id="v", subnet_ids=["a", "b"], global_role="primary",
                             global_cluster_identifier="gid", managed_master_password=True)
    with pytest.raises(ValueError, match="not supported"):
        validate_args(args)
