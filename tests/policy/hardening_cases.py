"""Unit cases (compliant, non-compliant) of the hardening resource policies, in the format of
`test_policy_units.CASES`, which includes them so every resource policy keeps a case."""

from __future__ import annotations

import json
from typing import Any

from policy.agentic_policies.config import Settings

BREAK_GLASS = "arn:aws:iam::111122223333:role/platform-break-glass"
CI = "arn:aws:iam::111122223333:role/github-actions-deploy"
ADMIN = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
PROD_LIKE = Settings.from_mapping({"stack": "test", "regions": ["us-east-1"], "residencies": {},
                                   "enforcement": {}, "clusterAdminPrincipals": [BREAK_GLASS]})

def trust(condition: dict[str, Any]) -> dict[str, Any]:
    return {"assumeRolePolicy": json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "pods.eks.amazonaws.com"},
        "Action": ["sts:AssumeRole", "sts:TagSession"], "Condition": condition}]})}


SCOPED = {"StringEquals": {"aws:SourceAccount": "111122223333", "aws:RequestTag/kubernetes-namespace": "monitoring",
                           "aws:RequestTag/kubernetes-service-account": "loki"}}

CASES: list[tuple[str, str, dict[str, Any], dict[str, Any], str, dict[str, Any]]] = [
    ("subnet-lists-filled", "aws:rds/proxy:Proxy", {"vpcSubnetIds": ["subnet-a", "subnet-b"]},
     {"vpcSubnetIds": []}, "vpcSubnetIds lists 0 subnet(s); it needs at least 2 in different Availability Zones", {}),
    ("subnet-lists-filled", "aws:rds/proxyEndpoint:ProxyEndpoint", {"vpcSubnetIds": ["subnet-a", "subnet-b"]},
     {"vpcSubnetIds": ["subnet-a"]}, "needs at least 2", {}),
    ("subnet-lists-filled", "aws:elasticache/subnetGroup:SubnetGroup", {"subnetIds": ["s-a", "s-b", "s-c"]},
     {}, "subnetIds lists 0 subnet(s)", {}),
    ("subnet-lists-filled", "aws:eks/nodeGroup:NodeGroup", {"subnetIds": ["s-a"]}, {"subnetIds": []},
     "it needs at least 1 (AWS refuses it", {}),
    ("eks-cluster-admin-break-glass-only", "aws:eks/accessPolicyAssociation:AccessPolicyAssociation",
     {"policyArn": ADMIN, "principalArn": BREAK_GLASS, "accessScope": {"type": "cluster"}},
     {"policyArn": ADMIN, "principalArn": CI, "accessScope": {"type": "cluster"}},
     f"{CI} gets AmazonEKSClusterAdminPolicy; on this stack only the break-glass", {"settings": PROD_LIKE}),
    ("pod-identity-trust-scoped", "aws:iam/role:Role", trust(SCOPED),
     trust({"StringEquals": {"aws:SourceAccount": "111122223333"}}),
     "require aws:RequestTag/kubernetes-namespace, aws:RequestTag/kubernetes-service-account", {}),
]
