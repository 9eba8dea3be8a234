"""Data-tier components on their own, as the tenancy layer reuses them (case from config)."""

import pulumi

from components.aurora import AuroraCluster, AuroraClusterArgs
from components.aurora_global import AuroraGlobalArgs, AuroraGlobalDatabase, GlobalMember
from components.kms import KmsKey, KmsKeyArgs
from components.redis import Redis, RedisArgs

ACCOUNT = "111122223333"
case = pulumi.Config().require("case")


def key(region: str, purpose: str) -> str:
    return f"arn:aws:kms:{region}:{ACCOUNT}:key/{purpose}-{region}"


def redis(token: str | None, length: int = 64, version: int = 1) -> Redis:
    return Redis("t-cache", RedisArgs(
        identifier="t-cache", region="eu-west-1", role="cache", node_type="cache.r7g.large",
        engine_version="7.1", kms_key_arn=key("eu-west-1", "cache"), logs_kms_key_arn=key("eu-west-1", "logs"),
        vpc_id="vpc-1", subnet_ids=["subnet-1", "subnet-2"], allowed_security_group_ids=["sg-nodes"],
        auth_token=token, auth_token_length=length, auth_token_version=version))


def member(region: str, ident: str) -> GlobalMember:
    return GlobalMember(region=region, identifier=ident, vpc_id="vpc-1", kms_key_arn=key(region, "database"),
                        logs_kms_key_arn=key(region, "logs"), secrets_kms_key_arn=key(region, "secrets"),
                        subnet_ids=["subnet-1", "subnet-2"], allowed_security_group_ids=["sg-nodes"])


if case == "short-token":
    redis("short-token")
elif case == "bad-token-chars":
    redis("abcdefghijklmnop@qrstuvwxyz")
elif case == "short-token-length":
    redis(None, length=12)
elif case == "generated-token":
    r = redis(None)
    pulumi.export("url", r.url)
elif case == "rotated":
    redis(None, version=2)
    AuroraCluster("rot", AuroraClusterArgs(
        identifier="agentic-platform-test-rot-euw1", region="eu-west-1", engine_version="16.6",
        instance_class="db.r7g.large", kms_key_arn=key("eu-west-1", "database"),
        logs_kms_key_arn=key("eu-west-1", "logs"), secrets_kms_key_arn=key("eu-west-1", "secrets"),
        vpc_id="vpc-1", subnet_ids=["subnet-1", "subnet-2"], readers=0, credentials_version=3))
elif case == "burstable-global":
    AuroraGlobalDatabase("g", AuroraGlobalArgs(
        global_identifier="t-global", primary=member("us-east-1", "t-use1"),
        secondaries=[member("eu-west-1", "t-euw1")], engine_version="16.6", instance_class="db.t4g.medium",
        secret_path_prefix="agentic-platform/test/global/db"))
elif case == "tenant-cluster":
    tenant_key = KmsKey("t-key", KmsKeyArgs(region="eu-west-1", purpose="database",
                                           alias="agentic-platform/test/tenant-hanse/database",
                                           account_id=ACCOUNT, protect=True))
    c = AuroraCluster("t-hanse", AuroraClusterArgs(
        identifier="agentic-platform-test-t-hanse-euw1", region="eu-west-1", engine_version="16.6",
        instance_class="db.r7g.large", kms_key_arn=tenant_key.arn, logs_kms_key_arn=key("eu-west-1", "logs"),
        secrets_kms_key_arn=key("eu-west-1", "secrets"), vpc_id="vpc-1", subnet_ids=["subnet-1", "subnet-2"],
        allowed_security_group_ids=["sg-nodes"], readers=2, reader_autoscaling_max=4, protected=True,
        secret_path_prefix="agentic-platform/test/tenants/hanse/db", tags={"tenant": "hanse"}))
    pulumi.export("proxy_endpoint", c.proxy_endpoint)
    pulumi.export("cluster_identifier", c.cluster_identifier)
elif case == "proxy-without-subnets":
    AuroraCluster("nosub", AuroraClusterArgs(
        identifier="agentic-platform-test-nosub-euw1", region="eu-west-1", engine_version="16.6",
        instance_class="db.r7g.large", kms_key_arn=key("eu-west-1", "database"),
        logs_kms_key_arn=key("eu-west-1", "logs"), secrets_kms_key_arn=key("eu-west-1", "secrets"),
        vpc_id="vpc-1", db_subnet_group_name="db-group", readers=1))
else:
    raise ValueError(f"unknown case {case}")
