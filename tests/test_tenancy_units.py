"""Pure rules of tenancy: quotas, the workload role's ABAC policy, budget filters and policies."""

from __future__ import annotations

import json

from app.tenant_namespace import NamespaceQuota, operator_group, quota_hard, tenant_storage_policy
from app.tenant_quotas import TenantAppQuota, render_quotas
from components.budgets import alert_key_policy, tag_filter, topic_policy
from stacks.compose.tenants import enterprise_cluster_identifier, secret_prefix, tenant_resource_name


def test_quota_hard_caps_requests_limits_and_public_services() -> None:
    hard = quota_hard(NamespaceQuota(cpu="8", memory="16Gi", pods=40, storage="200Gi"))
    assert hard == {"requests.cpu": "8", "limits.cpu": "8", "requests.memory": "16Gi", "limits.memory": "16Gi",
                    "pods": "40", "requests.storage": "200Gi", "persistentvolumeclaims": "40",
                    "services.loadbalancers": "0", "services.nodeports": "0"}


def test_storage_policy_is_scoped_to_the_prefix_and_session_tags() -> None:
    doc = json.loads(tenant_storage_policy(
        bucket_arns=["arn:aws:s3:::b-primary", "arn:aws:s3:::b-replica"], tenant_id="acme",
        namespace="tenant-acme", cluster_name="c1", kms_key_arns=["arn:aws:kms:eu-west-1:1:key/k"],
        secret_arns=["arn:aws:secretsmanager:eu-west-1:1:secret:s"]))
    by_sid = {s["Sid"]: s for s in doc["Statement"]}
    assert by_sid["TenantObjects"]["Resource"] == ["arn:aws:s3:::b-primary/tenants/acme/*",
                                                   "arn:aws:s3:::b-replica/tenants/acme/*"]
    tags = {"aws:PrincipalTag/kubernetes-namespace": "tenant-acme", "aws:PrincipalTag/eks-cluster-name": "c1"}
    for sid in ("TenantObjects", "TenantListing", "OwnApiKey"):
        assert by_sid[sid]["Condition"]["StringEquals"] == tags
    assert by_sid["TenantListing"]["Condition"]["StringLike"]["s3:prefix"] == ["tenants/acme/", "tenants/acme/*"]
    assert "s3:*" not in json.dumps(doc) and '"*"' not in json.dumps(doc)
    minimal = json.loads(tenant_storage_policy(bucket_arns=["arn:aws:s3:::b"], tenant_id="x",
                                               namespace="tenant-x", cluster_name="c"))
    assert {s["Sid"] for s in minimal["Statement"]} == {"TenantObjects", "TenantListing"}


def test_quotas_render_as_configured() -> None:
    data = render_quotas([
        TenantAppQuota("zeta", "shared", "none", 10, 20, 30, "5Gi"),
        TenantAppQuota("alpha", "dedicated", "eu", 1, 2, 3, "1Gi"),
    ])
    doc = json.loads(data["quotas.json"])
    assert list(doc) == ["alpha", "zeta"]
    assert doc["zeta"] == {"tier": "shared", "data_residency": "none", "api_calls_per_day": 10,
                           "tokens_per_month": 20, "agent_execution_minutes_per_day": 30, "storage": "5Gi"}


def test_budget_filter_and_policies() -> None:
    assert tag_filter("tenant", "acme") == "user:tenant$acme"
    key = alert_key_policy("123456789012")
    budgets = next(s for s in key["Statement"] if s["Sid"] == "BudgetsPublish")
    assert budgets["Principal"] == {"Service": "budgets.amazonaws.com"}
    assert budgets["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}
    topic = topic_policy("arn:aws:sns:us-east-1:123456789012:t", "123456789012")
    assert topic["Statement"][0]["Condition"]["ArnLike"] == {"aws:SourceArn": "arn:aws:budgets::123456789012:*"}
    assert topic["Statement"][1]["Effect"] == "Deny"


def test_names_carry_environment_region_and_tenant() -> None:
    from stacks.config import parse
    from stacks.harness.run import stack_namespace as namespace

    ns, region = namespace("staging")
    cfg = parse(ns, stack="staging", aws_region=region)
    assert tenant_resource_name(cfg, "us-east-1", "globex") == "staging-us-east-1-tenant-globex"
    long_id = "a" * 32
    ident = enterprise_cluster_identifier(cfg, "ap-southeast-1", long_id)
    assert len(ident) <= 50 and ident.startswith("staging-aps1-t-")
    assert secret_prefix(cfg, "globex") == "agentic-platform/staging/tenants/globex"
    assert operator_group("globex") == "tenant-globex-operators"
