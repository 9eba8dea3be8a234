"""Database users for IAM authentication, and the SQL that creates them (pure, unit-tested).

No pod holds a database password. Pods connect as one of three users with a 15-minute IAM
token (`rds-db:connect`) through RDS Proxy, whose end-to-end IAM authentication
(`DefaultAuthScheme=IAM_AUTH`) also connects to the database with IAM, so the proxy reads no
secret either (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/rds-proxy-iam-migration.html).
Without a proxy the same users connect straight to the cluster with IAM database
authentication (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/UsingWithRDS.IAMDBAuth.html).

Pulumi's AWS provider cannot create PostgreSQL roles, so a bootstrap Job (namespace
`db-bootstrap`, never an app namespace) runs `bootstrap_sql()` once per domain with the master
credential: it creates the users, grants them `rds_iam` (IAM login only: a user with `rds_iam`
cannot log in with a password at all) and the privileges below. The master credential itself
stays in Secrets Manager for that Job and for break-glass use only.
"""

from __future__ import annotations

RUNTIME_USER = "agentic_app"
"""api and workers: reads and writes rows, no DDL (tables belong to the migration user)."""
MIGRATION_USER = "agentic_migrate"
"""The migration Job: owns the schema's objects (DDL), and the admin bootstrap rows."""
READONLY_USER = "agentic_readonly"
"""Readers on the read-only endpoint: SELECT only."""
USERS = (MIGRATION_USER, RUNTIME_USER, READONLY_USER)
BOOTSTRAP_NAMESPACE = "db-bootstrap"


def dbuser_arn(region: str, account_id: str, resource_id: str, user: str) -> str:
    """`rds-db:connect` resource: `dbuser:prx-<id>/<user>` (proxy) or `dbuser:cluster-<id>/<user>`."""
    return f"arn:aws:rds-db:{region}:{account_id}:dbuser:{resource_id}/{user}"


def connect_statement(sid: str, arns: list[str]) -> dict[str, object]:
    return {"Sid": sid, "Effect": "Allow", "Action": "rds-db:connect", "Resource": sorted(arns)}


def bootstrap_sql(database: str, schema: str = "public") -> str:
    """Idempotent: safe on every run, and on a database where the users already exist."""
    create = "\n".join(
        f"  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{u}') THEN CREATE ROLE {u} LOGIN; END IF;"
        for u in USERS)
    return f"""\\set ON_ERROR_STOP on
CREATE EXTENSION IF NOT EXISTS vector;
DO $$
BEGIN
{create}
END
$$;
GRANT rds_iam TO {", ".join(USERS)};
REVOKE ALL ON DATABASE {database} FROM PUBLIC;
GRANT CONNECT ON DATABASE {database} TO {", ".join(USERS)};
REVOKE CREATE ON SCHEMA {schema} FROM PUBLIC;
GRANT USAGE, CREATE ON SCHEMA {schema} TO {MIGRATION_USER};
GRANT USAGE ON SCHEMA {schema} TO {RUNTIME_USER}, {READONLY_USER};
ALTER DEFAULT PRIVILEGES FOR ROLE {MIGRATION_USER} IN SCHEMA {schema}
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {RUNTIME_USER};
ALTER DEFAULT PRIVILEGES FOR ROLE {MIGRATION_USER} IN SCHEMA {schema}
  GRANT USAGE, SELECT ON SEQUENCES TO {RUNTIME_USER};
ALTER DEFAULT PRIVILEGES FOR ROLE {MIGRATION_USER} IN SCHEMA {schema}
  GRANT SELECT ON TABLES TO {READONLY_USER};
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {RUNTIME_USER};
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {RUNTIME_USER};
GRANT SELECT ON ALL TABLES IN SCHEMA {schema} TO {READONLY_USER};
"""
