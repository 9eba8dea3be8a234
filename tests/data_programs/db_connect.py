"""A cluster with and without RDS Proxy, and what a cell's pods get from each (IAM connect target)."""

import pulumi

from components.aurora import AuroraCluster, AuroraClusterArgs
from components.db_users import MIGRATION_USER, READONLY_USER, RUNTIME_USER
from stacks.compose.data import connect_target
from stacks.compose.workload import db_settings, db_user_arns


def key(purpose: str) -> str:
    return f"arn:aws:kms:eu-west-1:111122223333:key/{purpose}"


proxy = pulumi.Config("agentic-platform").require_bool("proxy")
cluster = AuroraCluster("c", AuroraClusterArgs(
    identifier="agentic-platform-test-eu-euw1", region="eu-west-1", engine_version="16.6",
    instance_class="db.r7g.large", kms_key_arn=key("database"), logs_kms_key_arn=key("logs"),
    secrets_kms_key_arn=key("secrets"), vpc_id="vpc-1", subnet_ids=["subnet-1", "subnet-2"], readers=1,
    proxy=proxy))
target = connect_target(cluster, "eu-west-1")
pulumi.export("kind", target.kind)
pulumi.export("settings", db_settings(target))
pulumi.export("app_users", db_user_arns(target, (RUNTIME_USER, READONLY_USER)))
pulumi.export("migrate_users", db_user_arns(target, (MIGRATION_USER,)))
pulumi.export("iam_auth_enabled", cluster.cluster.iam_database_authentication_enabled)
