"""Tenancy on the whole program: onboarding adds exactly one tenant's resources, EU tenants stay in
the EU, isolation objects and quotas are what the catalog says, budgets follow the tiers."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from stacks.cells import cell_plan
from stacks.dr.report import platform_config
from stacks.harness import Plan, PlannedResource, run_stack
from stacks.harness.run import stack_config

NS = "agentic-platform:"
GLOBAL_SERVICES = ("iam", "budgets", "costexplorer")
"""AWS services without regions: their resources resolve to the provider's default region."""

NEW_TENANT = {
    "id": "zeta-eu", "display_name": "Zeta EU", "tier": "dedicated", "data_residency": "eu",
    "primary_region": "eu-west-1", "allowed_regions": ["eu-west-1", "eu-central-1"], "cost_center": "cc-zeta",
    "compliance_requirements": ["gdpr"], "operators": ["arn:aws:iam::777788889999:role/zeta-operators"],
    "quotas": {"cpu": "6", "memory": "12Gi", "pods": 30, "storage": "100Gi"}, "monthly_budget_usd": 700,
}


@pytest.fixture(scope="module")
def prod_plus_tenant() -> Plan:
    tenants = copy.deepcopy(stack_config("prod")[f"{NS}tenants"])
    return run_stack("prod", overrides={f"{NS}tenants": [*tenants, NEW_TENANT]})


def of_tenant(plan: Plan, tenant_id: str) -> list[PlannedResource]:
    """Custom resources named after the tenant (every tenant resource carries its id)."""
    return [r for r in plan.custom_resources if f"tenant-{tenant_id}-" in r.name or r.name.endswith(
        f"tenant-{tenant_id}") or f"-t-{tenant_id}" in str(r.inputs.get("clusterIdentifier", ""))]


def regional(r: PlannedResource) -> bool:
    return r.type.startswith("kubernetes:") or (
        r.type.startswith("aws:") and r.type.split(":")[1].split("/")[0] not in GLOBAL_SERVICES)


def test_adding_a_tenant_adds_exactly_its_resources(prod: Plan, prod_plus_tenant: Plan) -> None:
    before = {r.urn for r in prod.resources}
    after = {r.urn for r in prod_plus_tenant.resources}
    assert before <= after, f"URNs disappeared: {sorted(before - after)[:5]}"
    added = after - before
    assert added, "the new tenant created nothing"
    assert all("zeta-eu" in urn for urn in added), [u for u in added if "zeta-eu" not in u][:5]
    kinds = {urn.split("::")[2].rsplit("$", 1)[-1] for urn in added}
    for expected in ("kubernetes:core/v1:Namespace", "kubernetes:core/v1:ResourceQuota",
                     "kubernetes:networking.k8s.io/v1:NetworkPolicy", "kubernetes:rbac.authorization.k8s.io/v1:Role",
                     "aws:eks/accessEntry:AccessEntry", "aws:eks/accessPolicyAssociation:AccessPolicyAssociation",
                     "aws:secretsmanager/secret:Secret", "aws:budgets/budget:Budget",
                     "aws:eks/podIdentityAssociation:PodIdentityAssociation"):
        assert expected in kinds, expected


def test_new_tenant_is_exported_with_its_placement(prod_plus_tenant: Plan) -> None:
    t = prod_plus_tenant.outputs["tenants"]["zeta-eu"]
    assert t["domain"] == "eu" and t["workload_regions"] == ["eu-west-1", "eu-central-1"]
    assert t["stores"]["namespace"] == "tenant-zeta-eu"
    assert t["stores"]["bucket"]["prefix"] == "tenants/zeta-eu/"
    assert t["stores"]["secrets_region"] == "eu-west-1"


@pytest.mark.parametrize("tenant_id", ["eurobank", "hanse-eu"])
def test_every_resource_of_an_eu_tenant_is_in_the_eu(prod: Plan, tenant_id: str) -> None:
    mine = [r for r in of_tenant(prod, tenant_id) if regional(r)]
    kinds = {r.type for r in mine}
    assert {"kubernetes:core/v1:Namespace", "aws:secretsmanager/secret:Secret"} <= kinds
    if tenant_id == "hanse-eu":
        assert {"aws:rds/cluster:Cluster", "aws:kms/key:Key"} <= kinds
    outside = [(r.name, r.region) for r in mine if not (r.region or "").startswith("eu-")]
    assert not outside, outside
    for secret in [r for r in mine if r.type == "aws:secretsmanager/secret:Secret"]:
        for replica in secret.inputs.get("replicas") or []:
            assert replica["region"].startswith("eu-"), (secret.name, replica)


def test_eu_resident_data_stays_in_the_eu(prod: Plan) -> None:
    """Domain stores holding EU tenants' data (database, buckets, backups, replicas) are EU-only."""
    eu = [r for r in prod.custom_resources if r.tags.get("data-residency") == "eu" and regional(r)]
    assert {"aws:rds/cluster:Cluster", "aws:s3/bucket:Bucket"} <= {r.type for r in eu}
    outside = [(r.type, r.name, r.region) for r in eu if not (r.region or "").startswith("eu-")]
    assert not outside, outside[:5]


def test_quota_configmaps_list_only_tenants_placed_in_their_region(prod: Plan) -> None:
    maps = {r.region: json.loads(r.inputs["data"]["quotas.json"]) for r in prod.of_type("kubernetes:core/v1:ConfigMap")
            if r.name.endswith("-tenant-quotas")}
    assert set(maps["us-east-1"]) == {"acme", "globex", "initech"}
    assert set(maps["eu-west-1"]) == {"muller-eu", "eurobank", "hanse-eu", "globex", "initech"}
    assert set(maps["eu-central-1"]) == {"eurobank", "hanse-eu"}
    assert "ap-southeast-1" not in maps
    for region, doc in maps.items():
        if not str(region).startswith("eu-"):
            assert not any(v["data_residency"] == "eu" for v in doc.values()), region
    muller = maps["eu-west-1"]["muller-eu"]
    assert muller == {"tier": "shared", "data_residency": "eu", "api_calls_per_day": 100000,
                      "tokens_per_month": 10000000, "agent_execution_minutes_per_day": 600, "storage": "50Gi"}
    assert maps["eu-west-1"]["eurobank"]["tokens_per_month"] == 100_000_000
    # Each cell's api (where the quotas are enforced) sees exactly its own domain's tenants.
    cfg = platform_config(prod)
    per_cell = [cm for cm in prod.of_type("kubernetes:core/v1:ConfigMap")
                if "-tenant-quotas-" in cm.name and cm.get("metadata.namespace") != "shared-services"]
    seen = set()
    for cell in cell_plan(cfg):
        own = {t: v for t, v in maps.get(cell.region, {}).items() if t in cell.tenants}
        cms = [cm for cm in per_cell if cm.region == cell.region and cm.get("metadata.namespace") == cell.namespace]
        if not own:
            assert not cms, cell
            continue
        assert len(cms) == 1
        assert json.loads(cms[0].inputs["data"]["quotas.json"]) == own
        seen.add(cms[0].urn)
    assert seen == {cm.urn for cm in per_cell}
    assert {"globex", "initech"} <= set(json.loads(next(
        cm for cm in per_cell if cm.get("metadata.namespace") == "platform-global").inputs["data"]["quotas.json"]))


def test_resource_quota_renders_the_catalog(prod: Plan) -> None:
    quota = prod.one("kubernetes:core/v1:ResourceQuota", "prod-eu-west-1-tenant-eurobank-quota")
    hard = quota.get("spec.hard")
    assert hard["requests.cpu"] == "12" and hard["limits.memory"] == "24Gi"
    assert hard["pods"] == "50" and hard["requests.storage"] == "300Gi"
    assert hard["services.loadbalancers"] == "0" and hard["services.nodeports"] == "0"
    assert quota.get("metadata.namespace") == "tenant-eurobank"


def test_tenant_namespace_is_isolated(prod: Plan) -> None:
    ns = prod.one("kubernetes:core/v1:Namespace", "prod-eu-west-1-tenant-eurobank-ns")
    assert ns.get("metadata.labels")["pod-security.kubernetes.io/enforce"] == "restricted"
    deny = prod.one("kubernetes:networking.k8s.io/v1:NetworkPolicy",
                    "prod-eu-west-1-tenant-eurobank-netpol-default-deny")
    assert deny.get("spec.podSelector") == {} and sorted(deny.get("spec.policyTypes")) == ["Egress", "Ingress"]
    assoc = prod.one("aws:eks/accessPolicyAssociation:AccessPolicyAssociation",
                     "prod-eu-west-1-tenant-eurobank-operator-0-view")
    assert assoc.get("accessScope") == {"type": "namespace", "namespaces": ["tenant-eurobank"]}
    entry = prod.one("aws:eks/accessEntry:AccessEntry", "prod-eu-west-1-tenant-eurobank-operator-0")
    assert entry.get("kubernetesGroups") == ["tenant-eurobank-operators"]
    assert entry.get("principalArn") == "arn:aws:iam::777788889999:role/eurobank-operators"
    binding = prod.one("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
                       "prod-eu-west-1-tenant-eurobank-operator-binding")
    assert binding.get("subjects.0.name") == "tenant-eurobank-operators"


def test_workload_role_reaches_only_the_tenant_prefix(prod: Plan) -> None:
    policy = json.loads(prod.one("aws:iam/rolePolicy:RolePolicy", "prod-eu-west-1-tenant-eurobank-policy")
                        .inputs["policy"])
    objects = next(s for s in policy["Statement"] if s["Sid"] == "TenantObjects")
    assert objects["Resource"] and all(r.endswith("/tenants/eurobank/*") for r in objects["Resource"])
    assert all(":::agentic-platform-prod-eu-" in r for r in objects["Resource"])
    cond = objects["Condition"]["StringEquals"]
    assert cond["aws:PrincipalTag/kubernetes-namespace"] == "tenant-eurobank"
    assert "aws:PrincipalTag/eks-cluster-name" in cond
    assoc = prod.one("aws:eks/podIdentityAssociation:PodIdentityAssociation",
                     "prod-eu-west-1-tenant-eurobank-association")
    assert assoc.get("namespace") == "tenant-eurobank" and assoc.get("serviceAccount") == "tenant-workload"


def test_tenant_workload_role_carries_the_tenant_tags(prod: Plan) -> None:
    role = prod.one("aws:iam/role:Role", "prod-eu-west-1-tenant-eurobank-role")
    assoc = prod.one("aws:eks/podIdentityAssociation:PodIdentityAssociation",
                     "prod-eu-west-1-tenant-eurobank-association")
    for res in (role, assoc):
        assert res.tags.get("tenant") == "eurobank", res.tags
        assert res.tags.get("data-residency") == "eu", res.tags


def test_api_key_is_a_secret_replicated_only_inside_the_domain(prod: Plan) -> None:
    secret = prod.one("aws:secretsmanager/secret:Secret", "prod-eu-west-1-tenant-eurobank-secrets-api-key")
    assert secret.region == "eu-west-1"
    assert [r["region"] for r in secret.inputs["replicas"]] == ["eu-central-1"]
    assert secret.get("name") == "agentic-platform/prod/tenants/eurobank/api-key"
    value = prod.one("aws:secretsmanager/secretVersion:SecretVersion",
                     "prod-eu-west-1-tenant-eurobank-secrets-api-key-value")
    assert "secretString" in value.secret_paths
    globex = prod.one("aws:secretsmanager/secret:Secret", "prod-us-east-1-tenant-globex-secrets-api-key")
    assert [r["region"] for r in globex.inputs["replicas"]] == ["eu-west-1"]  # its allowed regions only


def test_enterprise_tenant_owns_protected_stores(prod: Plan) -> None:
    cluster = prod.one("aws:rds/cluster:Cluster", "prod-eu-west-1-tenant-hanse-eu-db-cluster")
    assert cluster.region == "eu-west-1" and cluster.options["protect"]
    assert cluster.get("deletionProtection") is True and cluster.get("storageEncrypted") is True
    key = prod.one("aws:kms/key:Key", "prod-eu-west-1-tenant-hanse-eu-keys-database-key")
    assert cluster.get("kmsKeyId") == key.outputs["arn"]
    assert key.options["protect"] and key.tags["tenant"] == "hanse-eu"
    assert cluster.tags == {**cluster.tags, "tenant": "hanse-eu", "data-residency": "eu", "cost-center": "cc-hanse"}
    vaults = {r.region: r for r in prod.of_type("aws:backup/vault:Vault") if "hanse-eu" in r.name}
    assert set(vaults) == {"eu-west-1", "eu-central-1"}  # its own vault + the copy inside the EU domain
    assert vaults["eu-west-1"].get("kmsKeyArn") == key.outputs["arn"]
    plan = next(r for r in prod.of_type("aws:backup/plan:Plan") if "hanse-eu" in r.name)
    copies = [c["destinationVaultArn"] for rule in plan.get("rules") for c in rule.get("copyActions") or []]
    assert copies == [vaults["eu-central-1"].outputs["arn"]]
    redis = [r for r in prod.of_type("aws:elasticache/replicationGroup:ReplicationGroup") if "initech" in r.name]
    assert len(redis) == 1 and redis[0].region == "us-east-1"
    assert not [r for r in prod.of_type("aws:elasticache/replicationGroup:ReplicationGroup") if "hanse" in r.name]


def test_budgets_per_environment_and_isolated_tenant(prod: Plan) -> None:
    budgets = {r.get("name"): r for r in prod.of_type("aws:budgets/budget:Budget")}
    assert set(budgets) == {"agentic-platform-prod", *(f"agentic-platform-prod-tenant-{t}"
                                                       for t in ("globex", "initech", "eurobank", "hanse-eu"))}
    assert budgets["agentic-platform-prod"].get("limitAmount") == "6350.00"
    eurobank = budgets["agentic-platform-prod-tenant-eurobank"]
    assert eurobank.get("costFilters") == [{"name": "TagKeyValue", "values": ["user:tenant$eurobank"]}]
    assert eurobank.get("limitAmount") == "1200.00"
    topic = next(r for r in prod.of_type("aws:sns/topic:Topic") if r.name.endswith("-budget-alerts")
                 or r.get("name") == "agentic-platform-prod-budget-alerts")
    assert topic.get("kmsMasterKeyId")
    for b in budgets.values():
        assert all(topic.outputs["arn"] in n["subscriberSnsTopicArns"] for n in b.get("notifications"))
    policy = json.loads(next(r for r in prod.of_type("aws:sns/topicPolicy:TopicPolicy")
                             if "cost" in r.name).inputs["policy"])
    assert policy["Statement"][0]["Principal"] == {"Service": "budgets.amazonaws.com"}
    tags = {r.get("tagKey") for r in prod.of_type("aws:costexplorer/costAllocationTag:CostAllocationTag")}
    assert tags == {"environment", "project", "managed-by", "cost-center", "tenant", "data-residency"}


def test_shared_only_stack_has_no_tenant_namespace() -> None:
    dev = run_stack("dev")
    assert not [r for r in dev.of_type("kubernetes:core/v1:Namespace") if "tenant-" in r.name]
    assert [r.get("name") for r in dev.of_type("aws:budgets/budget:Budget")] == ["agentic-platform-dev"]
    assert dev.outputs["tenants"]["acme"]["stores"]["namespace"] == "shared-services"


def _tenants_export_shape(export: dict[str, Any]) -> None:
    for tid, t in export.items():
        assert set(t) == {"tier", "data_residency", "domain", "workload_regions", "stores"}, tid
        assert set(t["stores"]) == {"database", "bucket", "secrets_region", "namespace"}, tid
        # `global`: the enterprise tenant's global database (its standby in the domain's replica region)
        assert set(t["stores"]["database"]) - {"global"} == {"region", "cluster_identifier"}
        assert set(t["stores"]["bucket"]) == {"region", "name", "prefix"}
        assert t["stores"]["database"]["cluster_identifier"], tid
        assert t["stores"]["bucket"]["name"], tid


def test_tenants_export_has_the_documented_shape(prod: Plan) -> None:
    _tenants_export_shape(prod.outputs["tenants"])
    assert prod.outputs["tenants"]["hanse-eu"]["stores"]["database"]["cluster_identifier"] == "prod-euw1-t-hanse-eu"
