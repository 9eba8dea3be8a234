"""IAM narrowed where AWS offers resource-level permissions: the Load Balancer Controller,
Karpenter's instance-profile reads, Pod Identity trust, and Grafana's sidecar RBAC."""

from __future__ import annotations

import json
from typing import Any

from components.charts_iam import karpenter_controller_policy, lb_controller_policy
from components.pod_identity import pod_identity_trust_policy
from stacks.harness import run_stack

REGION, ACCOUNT, VPC, CLUSTER = "eu-west-1", "111122223333", "vpc-0abc", "agentic-platform-prod-euw1"
READ_PREFIXES = ("Describe", "Get", "List")


def _lbc() -> list[dict[str, Any]]:
    return lb_controller_policy(CLUSTER, region=REGION, account_id=ACCOUNT, vpc_id=VPC)["Statement"]


def _actions(st: dict[str, Any]) -> list[str]:
    return [st["Action"]] if isinstance(st["Action"], str) else st["Action"]


def _resources(st: dict[str, Any]) -> list[str]:
    return [st["Resource"]] if isinstance(st["Resource"], str) else st["Resource"]


def test_lb_controller_has_no_waf_or_shield_actions() -> None:
    actions = [a for st in _lbc() for a in _actions(st)]
    assert not [a for a in actions if a.split(":")[0] in ("wafv2", "waf-regional", "shield", "waf")]
    assert "elasticloadbalancing:SetWebAcl" not in actions


def test_lb_controller_writes_stay_in_its_region_vpc_and_tagged_resources() -> None:
    for st in _lbc():
        writes = [a for a in _actions(st) if not a.split(":")[1].startswith(READ_PREFIXES)]
        if not writes or st["Sid"] == "ElbServiceLinkedRole":
            continue
        resources = _resources(st)
        assert "*" not in resources, st["Sid"]
        assert all(f":{REGION}:{ACCOUNT}:" in r for r in resources), st["Sid"]
        cond = json.dumps(st.get("Condition", {}))
        scoped_by = ("elbv2.k8s.aws/cluster" in cond or "ec2:Vpc" in cond or "CreateAction" in cond
                     or resources == [f"arn:aws:ec2:{REGION}:{ACCOUNT}:vpc/{VPC}"] or st["Sid"] == "ListenersAndRules")
        assert scoped_by, st["Sid"]
    read = next(st for st in _lbc() if st["Sid"] == "Read")
    assert read["Condition"] == {"StringEquals": {"aws:RequestedRegion": REGION}}


def test_lb_controller_security_group_changes_need_the_vpc() -> None:
    rules = next(st for st in _lbc() if st["Sid"] == "SecurityGroupRulesInVpc")
    assert rules["Condition"] == {"ArnEquals": {"ec2:Vpc": f"arn:aws:ec2:{REGION}:{ACCOUNT}:vpc/{VPC}"}}


def test_karpenter_reads_only_its_own_instance_profiles() -> None:
    doc = karpenter_controller_policy(cluster=CLUSTER, cluster_arn="arn:c", region=REGION, account_id=ACCOUNT,
                                      node_role_arn="arn:node", queue_arn="arn:q")
    get = [st for st in doc["Statement"] if "iam:GetInstanceProfile" in _actions(st)]
    assert len(get) == 1 and _actions(get[0]) == ["iam:GetInstanceProfile"]
    assert get[0]["Resource"] == [f"arn:aws:iam::{ACCOUNT}:instance-profile/{CLUSTER}_*",
                                  f"arn:aws:iam::{ACCOUNT}:instance-profile/karpenter/{REGION}/{CLUSTER}/*"]


def test_pod_identity_trust_names_the_namespace_and_service_account() -> None:
    st = pod_identity_trust_policy(ACCOUNT, "arn:aws:eks:eu-west-1:1:cluster/c", "monitoring", "loki")["Statement"][0]
    assert st["Condition"]["StringEquals"] == {
        "aws:SourceAccount": ACCOUNT, "aws:RequestTag/kubernetes-namespace": "monitoring",
        "aws:RequestTag/kubernetes-service-account": "loki"}


def test_every_pod_identity_role_in_prod_trusts_only_its_association() -> None:
    plan = run_stack("prod")
    roles = {r.outputs["arn"]: r for r in plan.of_type("aws:iam/role:Role")
             if "pods.eks.amazonaws.com" in r.inputs["assumeRolePolicy"]}
    assocs = plan.of_type("aws:eks/podIdentityAssociation:PodIdentityAssociation")
    assert len(assocs) > 20
    for a in assocs:
        cond = json.loads(roles[a.inputs["roleArn"]].inputs["assumeRolePolicy"])["Statement"][0]["Condition"]
        assert cond["StringEquals"]["aws:RequestTag/kubernetes-namespace"] == a.inputs["namespace"], a.name
        assert cond["StringEquals"]["aws:RequestTag/kubernetes-service-account"] == a.inputs["serviceAccount"]
    for addon in plan.of_type("aws:eks/addon:Addon"):
        for pia in addon.inputs.get("podIdentityAssociations") or []:
            cond = json.loads(roles[pia["roleArn"]].inputs["assumeRolePolicy"])["Statement"][0]["Condition"]
            assert cond["StringEquals"]["aws:RequestTag/kubernetes-service-account"] == pia["serviceAccount"]


def test_prod_charts_run_with_the_narrowed_settings() -> None:
    plan = run_stack("prod")
    releases = plan.of_type("kubernetes:helm.sh/v3:Release")
    lbcs = [r for r in releases if r.inputs["chart"] == "aws-load-balancer-controller"]
    assert len(lbcs) == 4
    assert all({k: r.inputs["values"][k] for k in ("enableWaf", "enableWafv2", "enableShield")}
               == dict.fromkeys(("enableWaf", "enableWafv2", "enableShield"), False) for r in lbcs)
    policies = {p.name: json.loads(p.inputs["policy"]) for p in plan.of_type("aws:iam/rolePolicy:RolePolicy")
                if p.name.endswith("-lb-controller-policy")}
    assert len(policies) == 4
    for doc in policies.values():
        assert not any(a.startswith(("wafv2:", "shield:")) for st in doc["Statement"] for a in _actions(st))
    grafana = [r for r in releases if r.inputs["chart"] == "kube-prometheus-stack"]
    assert grafana and all(r.inputs["values"]["grafana"]["rbac"] == {"namespaced": True} for r in grafana)
    assert all(r.inputs["values"]["grafana"]["sidecar"]["dashboards"]["searchNamespace"]
               == r.inputs["namespace"] for r in grafana)
