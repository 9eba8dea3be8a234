"""Hardening over the real stacks: locked backups, the audit trail's WORM bucket and CIS alarms,
and who is cluster-admin on which environment."""

from __future__ import annotations

import json

import pytest

from components.backup import DENIED_ACTIONS
from components.deployer_rbac import DEPLOYER_GROUP, FORBIDDEN_SUBRESOURCES, deployer_rules
from components.trail_alarms import CIS_FILTERS, log_retention
from stacks.harness import Plan, run_stack

CLUSTER_ADMIN = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"


def cfg(plan: Plan, key: str) -> dict:
    return json.loads(plan.config[f"agentic-platform:{key}"])


@pytest.mark.parametrize(("stack", "changeable"), [("prod", 3), ("staging", None)])
def test_every_vault_is_locked_and_denies_recovery_point_deletion(stack: str, changeable: int | None) -> None:
    plan = run_stack(stack)
    vaults = plan.of_type("aws:backup/vault:Vault")
    locks = {r.parent: r for r in plan.of_type("aws:backup/vaultLockConfiguration:VaultLockConfiguration")}
    policies = {r.parent: r for r in plan.of_type("aws:backup/vaultPolicy:VaultPolicy")}
    retention = cfg(plan, "backup").get("retention_days", 30)
    assert vaults
    for v in vaults:
        lock, policy = locks[v.parent], policies[v.parent]
        assert lock.inputs["backupVaultName"] == v.outputs["name"]
        assert lock.inputs.get("changeableForDays") == changeable  # set = compliance, absent = governance
        assert lock.inputs["minRetentionDays"] == retention
        assert lock.options["protect"] is True
        st = json.loads(policy.inputs["policy"])["Statement"][0]
        assert st["Effect"] == "Deny" and st["Principal"] == {"AWS": "*"}
        assert "backup:DeleteRecoveryPoint" in st["Action"] and st["Resource"] == v.outputs["arn"]
    assert set(DENIED_ACTIONS) >= {"backup:DeleteRecoveryPoint", "backup:UpdateRecoveryPointLifecycle"}


def test_dev_vaults_have_the_deny_policy_but_no_lock() -> None:
    plan = run_stack("dev")
    assert plan.of_type("aws:backup/vaultLockConfiguration:VaultLockConfiguration") == []
    assert len(plan.of_type("aws:backup/vaultPolicy:VaultPolicy")) == len(plan.of_type("aws:backup/vault:Vault"))


@pytest.mark.parametrize(("stack", "mode"), [("prod", "COMPLIANCE"), ("staging", "GOVERNANCE"), ("dev", None)])
def test_audit_bucket_object_lock(stack: str, mode: str | None) -> None:
    plan = run_stack(stack)
    locks = plan.of_type("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration")
    if mode is None:
        assert locks == []
        return
    [lock] = locks
    trail = plan.of_type("aws:cloudtrail/trail:Trail")[0]
    assert lock.inputs["bucket"] == trail.inputs["s3BucketName"]
    days = cfg(plan, "observability").get("audit_log_retention_days", 365)
    assert lock.inputs["rule"]["defaultRetention"] == {"mode": mode, "days": days}


def test_trail_delivers_to_an_encrypted_log_group_with_cis_alarms_on_the_alert_topic() -> None:
    plan = run_stack("prod")
    trail = plan.of_type("aws:cloudtrail/trail:Trail")[0]
    group = plan.one("aws:cloudwatch/logGroup:LogGroup", "prod-us-east-1-audit-cw-log")
    assert trail.inputs["cloudWatchLogsGroupArn"] == f"{group.outputs['arn']}:*"
    logs_key = plan.one("aws:kms/key:Key", "prod-us-east-1-keys-logs-key")  # the data tier's regional logs key
    assert group.inputs["kmsKeyId"] == logs_key.outputs["arn"]
    assert group.inputs["retentionInDays"] == log_retention(365) == 365
    role = plan.one("aws:iam/role:Role", "prod-us-east-1-audit-cw-role")
    assert trail.inputs["cloudWatchLogsRoleArn"] == role.outputs["arn"]
    delivery = json.loads(plan.one("aws:iam/rolePolicy:RolePolicy", "prod-us-east-1-audit-cw-role-policy")
                          .inputs["policy"])["Statement"][0]
    assert delivery["Resource"] == f"{group.outputs['arn']}:log-stream:*"
    filters = {f.inputs["metricTransformation"]["name"]: f for f in
               plan.of_type("aws:cloudwatch/logMetricFilter:LogMetricFilter")}
    assert set(filters) == set(CIS_FILTERS)
    assert all(f.inputs["logGroupName"] == group.outputs["name"] for f in filters.values())
    topic = plan.one("aws:sns/topic:Topic", "prod-us-east-1-alerts-topic").outputs["arn"]
    alarms = {a.inputs["metricName"]: a for a in plan.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
              if a.inputs.get("namespace") == "CISBenchmark"}
    assert set(alarms) == set(CIS_FILTERS)
    assert all(a.inputs["alarmActions"] == [topic] and a.inputs["threshold"] == 1 for a in alarms.values())
    needed = {"CloudWatch.1", "CloudWatch.2", "CloudWatch.3", "CloudWatch.4", "CloudWatch.5", "CloudWatch.7",
              "CloudWatch.8", "CloudWatch.10", "CloudWatch.11", "CloudWatch.12", "CloudWatch.13", "CloudWatch.14"}
    assert needed <= {c for c, _ in CIS_FILTERS.values()}


def test_log_retention_rounds_up_to_an_accepted_value() -> None:
    assert (log_retention(90), log_retention(100), log_retention(366), log_retention(5000)) == (90, 120, 400, 3653)


def _admins(plan: Plan) -> set[str]:
    return {a.inputs["principalArn"] for a in plan.of_type("aws:eks/accessPolicyAssociation:AccessPolicyAssociation")
            if a.inputs["policyArn"] == CLUSTER_ADMIN}


def test_prod_ci_role_is_not_cluster_admin_and_deploys_through_the_rbac_group() -> None:
    plan = run_stack("prod")
    cluster = cfg(plan, "cluster")
    assert _admins(plan) == {cluster["admin_role_arn"]}
    ci_entries = [e for e in plan.of_type("aws:eks/accessEntry:AccessEntry")
                  if e.inputs["principalArn"] == cluster["ci_role_arn"]]
    assert len(ci_entries) == len(plan.of_type("aws:eks/cluster:Cluster")) == 4
    assert all(e.inputs["kubernetesGroups"] == [DEPLOYER_GROUP] for e in ci_entries)
    bindings = plan.of_type("kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding")
    assert len(bindings) == 4
    assert all(b.inputs["subjects"] == [{"kind": "Group", "name": DEPLOYER_GROUP,
                                         "apiGroup": "rbac.authorization.k8s.io"}] for b in bindings)
    role = plan.of_type("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole")[0]
    resources = {res for rule in role.inputs["rules"] for res in rule["resources"]}
    assert "*" not in resources and not resources & set(FORBIDDEN_SUBRESOURCES)
    assert not any("impersonate" in rule["verbs"] for rule in role.inputs["rules"])
    assert role.inputs["rules"] == deployer_rules()


def _plural(kind: str) -> str:
    lower = kind.lower().removesuffix("patch")  # a NamespacePatch needs rights on namespaces
    if lower.endswith("y") and lower[-2:-1] not in "aeiou":
        return lower[:-1] + "ies"
    return lower + ("es" if lower.endswith(("s", "x")) else "s")


def test_deployer_role_names_every_kind_the_prod_program_creates() -> None:
    """A kind missing from the ClusterRole fails the first CI `pulumi up` on prod with 403."""
    plan = run_stack("prod")
    granted = {(g, res) for rule in deployer_rules() for g in rule["apiGroups"] for res in rule["resources"]}
    missing = set()
    for r in plan.resources:
        if not r.type.startswith("kubernetes:") or r.type.startswith(("kubernetes:helm", "kubernetes:yaml")):
            continue  # charts and CRD bundles: their kinds are in CRD_KINDS by hand (no rendering offline)
        group_version, kind = r.type.removeprefix("kubernetes:").rsplit(":", 1)
        if group_version.startswith("apiextensions.k8s.io") and kind == "CustomResource":
            group_version, kind = str(r.inputs["apiVersion"]), str(r.inputs["kind"])
        group = group_version.rsplit("/", 1)[0] if "/" in group_version else ""
        group = "" if group == "core" else group
        if (group, _plural(kind)) not in granted:
            missing.add(f"{group}/{kind}")
    assert not missing, f"deployer ClusterRole lacks: {sorted(missing)}"


@pytest.mark.parametrize("stack", ["dev", "staging"])
def test_ci_stays_cluster_admin_outside_prod(stack: str) -> None:
    plan = run_stack(stack)
    cluster = cfg(plan, "cluster")
    assert _admins(plan) == {cluster["admin_role_arn"], cluster["ci_role_arn"]}
    assert plan.of_type("kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding") == []
