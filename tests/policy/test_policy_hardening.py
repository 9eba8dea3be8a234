"""The hardening policies beyond their unit cases: the pack over the real plans and mutated copies.

Each mutation is the finding the policy exists for (an empty proxy subnet list, the CI role made
cluster-admin on prod, a vault without its lock or deny policy) and must fail the stack.
"""

from __future__ import annotations

from hardening_cases import ADMIN, BREAK_GLASS, CI, PROD_LIKE
from policy_helpers import MEMO, check, fresh, own, rargs

from policy.agentic_policies.config import load_stack_settings
from stacks.harness import Plan, PlannedResource
from stacks.reports.policy import run_plan


def _violations(plan: Plan, policy: str) -> list[tuple[str, str]]:
    return [(v.urn or "", v.message) for v in run_plan(plan, memo=MEMO, only=[policy]).mandatory if v.policy == policy]


def _vaults(plan: Plan) -> list[PlannedResource]:
    return plan.of_type("aws:backup/vault:Vault")


def test_cluster_admin_is_not_restricted_without_the_setting() -> None:
    props = {"policyArn": ADMIN, "principalArn": CI, "accessScope": {"type": "cluster"}}
    assert check("eks-cluster-admin-break-glass-only",
                 rargs("aws:eks/accessPolicyAssociation:AccessPolicyAssociation", props)) == []


def test_scoped_access_policies_are_not_cluster_admin() -> None:
    props = {"policyArn": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy", "principalArn": CI}
    assert check("eks-cluster-admin-break-glass-only", rargs(
        "aws:eks/accessPolicyAssociation:AccessPolicyAssociation", props, settings=PROD_LIKE)) == []
    assert BREAK_GLASS in PROD_LIKE.cluster_admin_principals  # type: ignore[operator]


def test_prod_ci_role_made_cluster_admin_fails_prod() -> None:
    plan = fresh("prod")
    assoc = plan.of_type("aws:eks/accessPolicyAssociation:AccessPolicyAssociation")[0]
    ci = load_stack_settings("prod").cluster_admin_principals
    assert ci is not None and assoc.inputs["principalArn"] in ci  # today: only break-glass
    own(assoc)
    ci_role = "arn:aws:iam::777788889999:role/github-actions-deploy"
    assoc.inputs["principalArn"] = assoc.outputs["principalArn"] = ci_role
    found = _violations(plan, "eks-cluster-admin-break-glass-only")
    assert [u for u, _ in found] == [assoc.urn]


def test_prod_vaults_are_locked_in_compliance_mode_and_deny_deletion() -> None:
    plan = fresh("prod")
    assert _vaults(plan) and _violations(plan, "backup-vault-locked") == []
    lock = plan.of_type("aws:backup/vaultLockConfiguration:VaultLockConfiguration")[0]
    own(lock)
    lock.inputs.pop("changeableForDays")
    lock.outputs.pop("changeableForDays", None)
    found = _violations(plan, "backup-vault-locked")
    assert len(found) == 1 and "governance mode" in found[0][1] and "requires compliance" in found[0][1]


def test_vault_without_lock_or_deny_policy_fails_staging() -> None:
    plan = fresh("staging")
    vault = _vaults(plan)[0]
    name = vault.inputs["name"]
    plan.resources = [r for r in plan.resources
                      if not (r.type in ("aws:backup/vaultLockConfiguration:VaultLockConfiguration",
                                         "aws:backup/vaultPolicy:VaultPolicy") and r.parent == vault.parent)]
    messages = [m for u, m in _violations(plan, "backup-vault-locked") if u == vault.urn]
    assert messages == [f"backup vault {vault.name} has no Vault Lock; this stack requires governance mode",
                        f"backup vault {vault.name} has no access policy denying backup:DeleteRecoveryPoint"], name


def test_empty_proxy_subnets_fail_prod() -> None:
    plan = fresh("prod")
    proxy = plan.of_type("aws:rds/proxyEndpoint:ProxyEndpoint")[0]
    own(proxy)
    proxy.inputs["vpcSubnetIds"] = proxy.outputs["vpcSubnetIds"] = []
    assert [u for u, _ in _violations(plan, "subnet-lists-filled")] == [proxy.urn]
