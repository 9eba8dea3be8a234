"""Data tier: pure policy/naming functions, components on their own, and config refusals."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from components.aurora import is_burstable, parameter_family
from components.bucket_replication import replication_policy
from components.kms import PURPOSES, key_policy
from components.redis import AUTH_TOKEN_SPECIALS, check_auth_token
from components.redis import parameter_family as redis_family
from components.secure_bucket import bucket_policy
from stacks.compose import data
from stacks.config import ConfigError, PlatformConfig, parse
from stacks.harness import Plan
from stacks.harness.run import run_program
from stacks.harness.run import stack_namespace as namespace

PROGRAM = Path(__file__).parent / "data_programs" / "components.py"
ACCOUNT = "111122223333"


def cfg_of(stack: str, **changes: Any) -> PlatformConfig:
    ns, region = namespace(stack)
    ns = copy.deepcopy(ns)
    ns.update(changes)
    return parse(ns, stack=stack, aws_region=region)


def refusal(stack: str, **changes: Any) -> str:
    with pytest.raises(ConfigError) as info:
        cfg_of(stack, **changes)
    return str(info.value)


# --- KMS key policies ---

@pytest.mark.parametrize("purpose", PURPOSES)
def test_key_policy_keeps_account_admin_and_scopes_services(purpose: str) -> None:
    policy = key_policy(ACCOUNT, "eu-west-1", purpose, "arn:aws:iam::*:role/agentic-platform-prod-*-s3-repl")
    sids = {s["Sid"]: s for s in policy["Statement"]}
    assert sids["AccountAdministration"]["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}
    via = sids["AccountPrincipalsThroughService"]["Condition"]["StringEquals"]["kms:ViaService"]
    assert all(v.endswith(".eu-west-1.amazonaws.com") for v in via)
    assert ("RdsServices" in sids) == (purpose == "database")
    assert ("CloudWatchLogs" in sids) == (purpose == "logs")
    assert ("S3ReplicationRole" in sids) == (purpose == "storage")
    if purpose == "logs":
        assert sids["CloudWatchLogs"]["Principal"] == {"Service": "logs.eu-west-1.amazonaws.com"}
    if purpose == "database":
        assert set(sids["RdsServices"]["Principal"]["Service"]) == {"rds.amazonaws.com",
                                                                    "monitoring.rds.amazonaws.com"}


def test_storage_key_without_replication_role_has_no_role_statement() -> None:
    policy = key_policy(ACCOUNT, "us-east-1", "storage")
    assert "S3ReplicationRole" not in {s["Sid"] for s in policy["Statement"]}


# --- bucket and replication policies ---

def test_kms_bucket_policy_denies_plain_http_and_other_keys() -> None:
    key = "arn:aws:kms:eu-west-1:111122223333:key/k"
    policy = bucket_policy("arn:aws:s3:::b", key, ACCOUNT)
    sids = {s["Sid"]: s for s in policy["Statement"]}
    assert sids["DenyInsecureTransport"]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert sids["DenyWrongKmsKey"]["Condition"]["StringNotEqualsIfExists"][
        "s3:x-amz-server-side-encryption-aws-kms-key-id"] == key
    assert all(s["Effect"] == "Deny" for s in policy["Statement"])


def test_log_bucket_policy_admits_only_this_accounts_log_delivery() -> None:
    policy = bucket_policy("arn:aws:s3:::logs", None, ACCOUNT)
    allow = [s for s in policy["Statement"] if s["Effect"] == "Allow"]
    assert allow == [{"Sid": "AllowServerAccessLogDelivery", "Effect": "Allow",
                      "Principal": {"Service": "logging.s3.amazonaws.com"}, "Action": "s3:PutObject",
                      "Resource": "arn:aws:s3:::logs/*",
                      "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}}}]


def test_log_bucket_accepts_alb_logs_from_the_regions_elb_account() -> None:
    old = bucket_policy("arn:aws:s3:::logs", None, ACCOUNT, "eu-west-1", "alb")
    alb = next(s for s in old["Statement"] if s["Sid"] == "AllowAlbAccessLogDelivery")
    assert alb["Principal"] == {"AWS": "arn:aws:iam::156460612806:root"}
    assert alb["Resource"] == f"arn:aws:s3:::logs/alb/AWSLogs/{ACCOUNT}/*"
    new = bucket_policy("arn:aws:s3:::logs", None, ACCOUNT, "ap-southeast-5", "alb")
    alb = next(s for s in new["Statement"] if s["Sid"] == "AllowAlbAccessLogDelivery")
    assert alb["Principal"] == {"Service": "logdelivery.elasticloadbalancing.amazonaws.com"}


def test_replication_policy_has_kms_on_both_sides() -> None:
    policy = replication_policy("arn:aws:s3:::src", "us-east-1", "arn:aws:kms:us-east-1:1:key/src",
                                [("eu-west-1", "arn:aws:s3:::dst", "arn:aws:kms:eu-west-1:1:key/dst")])
    sids = {s["Sid"]: s for s in policy["Statement"]}
    assert sids["DecryptSource"]["Resource"] == "arn:aws:kms:us-east-1:1:key/src"
    assert sids["EncryptReplica0"]["Resource"] == "arn:aws:kms:eu-west-1:1:key/dst"
    assert sids["EncryptReplica0"]["Condition"]["StringLike"]["kms:ViaService"] == "s3.eu-west-1.amazonaws.com"
    assert "s3:GetObjectVersionForReplication" in sids["SourceObjects"]["Action"]
    assert sids["ReplicaObjects"]["Resource"] == ["arn:aws:s3:::dst/*"]


# --- small pure helpers ---

@pytest.mark.parametrize(("token", "fragment"), [
    ("short-token", "16-128 characters"),
    ("x" * 129, "16-128 characters"),
    ("abcdefghijklmnop@qrst", "only letters, digits"),
    ("abcdefghijklmnop qrst", "only letters, digits"),
])
def test_bad_auth_tokens_refused(token: str, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment) as info:
        check_auth_token(token)
    assert "RedisArgs.auth_token" in str(info.value)


def test_good_auth_token_accepted() -> None:
    token = "Abcdefgh1234" + AUTH_TOKEN_SPECIALS
    assert check_auth_token(token) == token


def test_families_and_burstable() -> None:
    assert parameter_family("16.6") == "aurora-postgresql16"
    assert redis_family("7.1") == "redis7"
    assert is_burstable("db.t4g.medium") and not is_burstable("db.r7g.large")
    assert not is_burstable("db.serverless")


def test_naming_and_placement_helpers() -> None:
    prod = cfg_of("prod")
    assert data.cluster_identifier(prod, "eu", "eu-west-1") == "agentic-platform-prod-eu-euw1"
    home = data.home_domain(prod, "eu-west-1")
    assert home is not None and home.name == "eu"  # primary of eu beats replica of global
    assert [d.name for d in data.domains_of_region(prod, "eu-west-1")] == ["global", "eu"]
    assert data.region_residency(prod, "eu-central-1") == "eu"
    assert data.region_residency(prod, "us-east-1") is None
    assert data.backup_copy_region(prod, prod.domain("eu")) == "eu-central-1"
    assert data.replica_readers(prod, "eu-central-1") == 1
    staging = cfg_of("staging")
    assert data.backup_copy_region(staging, staging.domain("global")) is None
    no_copy = cfg_of("prod", backup={"retention_days": 30, "cross_region_copy": False})
    assert data.backup_copy_region(no_copy, no_copy.domain("eu")) is None
    assert data.replication_role_name(prod, "global", "us-east-1") == "agentic-platform-prod-global-use1-s3-repl"


# --- config refusals (stacks/config/validate.py) ---

def test_burstable_global_class_refused_with_clear_message() -> None:
    ns = namespace("prod")[0]
    message = refusal("prod", database={**ns["database"], "instance_class": "db.t4g.medium"})
    assert "agentic-platform:database.instance_class" in message
    assert "burstable" in message and "Aurora Global" in message


def test_replica_outside_its_domain_refused() -> None:
    ns = namespace("prod")[0]
    domains = copy.deepcopy(ns["data_domains"])
    domains[1]["replicas"] = ["us-east-1"]
    message = refusal("prod", data_domains=domains)
    assert "agentic-platform:data_domains[1].replicas[0]" in message
    assert "outside residency 'eu'" in message


def test_sharded_queue_refused() -> None:
    ns = namespace("prod")[0]
    redis = copy.deepcopy(ns["redis"])
    redis["queue"]["shards"] = 2
    message = refusal("prod", redis=redis)
    assert "agentic-platform:redis.queue.shards" in message and "cluster mode disabled" in message


def test_staging_redis_without_replica_refused() -> None:
    ns = namespace("staging")[0]
    redis = copy.deepcopy(ns["redis"])
    redis["cache"]["replicas_per_shard"] = 0
    redis["queue"]["snapshot_retention_days"] = 0
    message = refusal("staging", redis=redis)
    assert "agentic-platform:redis.cache.replicas_per_shard" in message and "Multi-AZ" in message
    assert "agentic-platform:redis.queue.snapshot_retention_days" in message


def test_dev_redis_without_replica_allowed() -> None:
    assert cfg_of("dev").redis.cache.replicas_per_shard == 0


# --- components on their own, under the harness ---

def run_case(case: str) -> Plan:
    return run_program("data-components", {"agentic-platform:case": case}, program=PROGRAM)


@pytest.mark.parametrize(("case", "fragment"), [
    ("short-token", "RedisArgs.auth_token: 11 characters"),
    ("bad-token-chars", "RedisArgs.auth_token: only letters"),
    ("short-token-length", "RedisArgs.auth_token_length: 12"),
    ("burstable-global", "AuroraGlobalArgs.instance_class 'db.t4g.medium' is burstable"),
    ("proxy-without-subnets", r"AuroraClusterArgs.subnet_ids: cluster 'agentic-platform-test-nosub-euw1' has an "
                              r"RDS Proxy, which needs subnets in at least two Availability Zones \(got 0\)"),
])
def test_components_refuse_bad_inputs(case: str, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        run_case(case)


def test_generated_auth_token_fits_elasticache_rules() -> None:
    plan = run_case("generated-token")
    pw = plan.one("random:index/randomPassword:RandomPassword", "t-cache-auth-token")
    assert 16 <= pw.inputs["length"] <= 128
    assert set(pw.inputs["overrideSpecial"]) <= set(AUTH_TOKEN_SPECIALS)
    group = plan.one("aws:elasticache/replicationGroup:ReplicationGroup", "t-cache-group")
    assert group.inputs["authToken"] == pw.outputs["result"] and "authToken" in group.secret_paths
    assert plan.secret_outputs == ["url"]


def test_tenant_cluster_reuses_the_component_with_its_own_key() -> None:
    plan = run_case("tenant-cluster")
    key = plan.one("aws:kms/key:Key", "t-key-key")
    cluster = plan.one("aws:rds/cluster:Cluster", "t-hanse-cluster")
    assert cluster.inputs["kmsKeyId"] == key.outputs["arn"]
    assert cluster.inputs["clusterIdentifier"] == "agentic-platform-test-t-hanse-euw1"
    assert cluster.tags["tenant"] == "hanse"
    assert cluster.options["protect"] and cluster.inputs["deletionProtection"] is True
    assert key.options["protect"] and key.options["retainOnDelete"]
    instances = plan.of_type("aws:rds/clusterInstance:ClusterInstance")
    assert len(instances) == 3
    assert all(i.inputs["performanceInsightsKmsKeyId"] == key.outputs["arn"] for i in instances)
    secret = plan.one("aws:secretsmanager/secret:Secret", "t-hanse-credentials-master")
    assert secret.inputs["name"] == "agentic-platform/test/tenants/hanse/db/master"
    version = plan.one("aws:secretsmanager/secretVersion:SecretVersion", "t-hanse-credentials-master-value")
    assert "secretString" in version.secret_paths
    assert json.loads(version.inputs["secretString"])["username"] == "agentic_admin"
    target = plan.one("aws:appautoscaling/target:Target", "t-hanse-readers")
    assert (target.inputs["minCapacity"], target.inputs["maxCapacity"]) == (2, 4)
    assert plan.outputs["proxy_endpoint"].endswith(".eu-west-1.rds.amazonaws.com")


def test_rotation_versions_regenerate_credentials() -> None:
    plan = run_case("rotated")
    token = plan.one("random:index/randomPassword:RandomPassword", "t-cache-auth-token")
    password = plan.one("random:index/randomPassword:RandomPassword", "rot-master-password")
    assert token.inputs["keepers"] == {"version": "2"}
    assert password.inputs["keepers"] == {"version": "3"}
    group = plan.one("aws:elasticache/replicationGroup:ReplicationGroup", "t-cache-group")
    assert group.inputs["authTokenUpdateStrategy"] == "ROTATE"  # old token valid while pods roll
    assert plan.of_type("aws:rds/proxyEndpoint:ProxyEndpoint") == []  # no readers, no read-only endpoint
