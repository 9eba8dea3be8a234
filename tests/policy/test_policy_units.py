# ruff: noqa: E501  (a table of resource props reads better one case per line)
"""Every resource policy on a compliant and a non-compliant resource, built as the engine builds them.

Props use the provider's camelCase names, wrapped in pulumi_policy's proxies; numbers are floats
as the engine sends them; providers are real provider resources.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest
from hardening_cases import CASES as HARDENING_CASES
from policy_helpers import SETTINGS, aws_provider, check, key_arn, rargs

from policy.agentic_policies.config import Exemption
from policy.agentic_policies.registry import POLICIES
from policy.agentic_policies.spec import PackResourcePolicy

K1 = key_arn("us-east-1")
K_EU = key_arn("eu-west-1")


def doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def pod(spec: dict[str, Any], kind: str = "Deployment") -> dict[str, Any]:
    if kind == "Pod":
        return {"metadata": {"name": "p", "namespace": "app"}, "spec": spec}
    return {"metadata": {"name": "w", "namespace": "app"}, "spec": {"template": {"spec": spec}}}


SECURE_CONTAINER = {
    "name": "api", "image": "ghcr.io/example/api:2026.11.20",
    "securityContext": {"allowPrivilegeEscalation": False, "runAsNonRoot": True, "runAsUser": 10001.0,
                        "readOnlyRootFilesystem": True, "capabilities": {"drop": ["ALL"]},
                        "seccompProfile": {"type": "RuntimeDefault"}},
    "resources": {"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"cpu": "1", "memory": "1Gi"}},
    "readinessProbe": {"httpGet": {"path": "/health/ready", "port": 8000.0}},
    "livenessProbe": {"httpGet": {"path": "/health/live", "port": 8000.0}},
}


def secure_pod(**container: Any) -> dict[str, Any]:
    c = {**SECURE_CONTAINER, **container}
    return pod({"serviceAccountName": "api", "securityContext": {"runAsNonRoot": True}, "containers": [c]})


AURORA = {"engine": "aurora-postgresql", "storageEncrypted": True, "kmsKeyId": K1, "deletionProtection": True,
          "finalSnapshotIdentifier": "final", "masterUsername": "app", "backupRetentionPeriod": 7.0,
          "enabledCloudwatchLogsExports": ["postgresql"], "region": "us-east-1"}
REDIS = {"atRestEncryptionEnabled": True, "kmsKeyId": K1, "transitEncryptionEnabled": True,
         "transitEncryptionMode": "required", "authToken": "x" * 32, "authTokenUpdateStrategy": "ROTATE",
         "subnetGroupName": "cache-private", "snapshotRetentionLimit": 1.0, "automaticFailoverEnabled": True,
         "multiAzEnabled": True, "logDeliveryConfigurations": [{"destinationType": "cloudwatch-logs"}]}
LT = {"blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": {"encrypted": "true", "kmsKeyId": K1}}],
      "metadataOptions": {"httpTokens": "required", "httpPutResponseHopLimit": 2.0},
      "networkInterfaces": [{"associatePublicIpAddress": "false"}]}
EKS = {"encryptionConfig": {"resources": ["secrets"], "provider": {"keyArn": K1}},
       "vpcConfig": {"endpointPrivateAccess": True, "endpointPublicAccess": False},
       "enabledClusterLogTypes": ["api", "audit", "authenticator", "controllerManager", "scheduler"]}
INGRESS = {"metadata": {"name": "api", "namespace": "app", "annotations": {
    "alb.ingress.kubernetes.io/scheme": "internet-facing",
    "alb.ingress.kubernetes.io/ssl-policy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
    "alb.ingress.kubernetes.io/listen-ports": '[{"HTTP": 80}, {"HTTPS": 443}]',
    "alb.ingress.kubernetes.io/ssl-redirect": "443",
    "alb.ingress.kubernetes.io/certificate-arn": "arn:aws:acm:us-east-1:111122223333:certificate/abc",
    "alb.ingress.kubernetes.io/inbound-cidrs": "173.245.48.0/20",
    "alb.ingress.kubernetes.io/load-balancer-attributes":
        "deletion_protection.enabled=true,access_logs.s3.enabled=true,access_logs.s3.bucket=logs"}},
    "spec": {"ingressClassName": "alb"}}


def with_(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    out = json.loads(json.dumps(base))
    for path, value in changes.items():
        cur = out
        parts = path.split("__")
        for part in parts[:-1]:
            cur = cur[int(part)] if isinstance(cur, list) else cur.setdefault(part, {})
        if value is DROP:
            cur.pop(parts[-1], None)
        else:
            cur[parts[-1]] = value
    return out


DROP = object()
ALB_ANN = "metadata__annotations__alb.ingress.kubernetes.io/"

# (policy, type, compliant props, non-compliant props, fragment expected in a message, extra rargs kwargs)
Case = tuple[str, str, dict[str, Any], dict[str, Any], str, dict[str, Any]]
CASES: list[Case] = [
    # residency
    ("aws-provider-region-allowed", "pulumi:providers:aws", {"region": "eu-west-1"}, {"region": "ap-south-1"},
     "not one of this stack's regions", {"provider": None}),
    ("aws-provider-region-allowed", "pulumi:providers:aws", {"region": "us-east-1"}, {}, "environment", {"provider": None}),
    ("aws-resource-region-allowed", "aws:sqs/queue:Queue", {"region": "eu-central-1"}, {"region": "us-west-2"},
     "outside the stack's regions", {}),
    ("residency-tagged-resource-in-residency", "aws:s3/bucket:Bucket",
     {"region": "eu-west-1", "tags": {"data-residency": "eu"}}, {"region": "us-east-1", "tags": {"data-residency": "eu"}},
     "allowed: eu-west-1, eu-central-1", {}),
    ("residency-tagged-resource-in-residency", "kubernetes:core/v1:Namespace",
     {"metadata": {"name": "t", "labels": {"agentic.io/data-residency": "eu"}}},
     {"metadata": {"name": "t", "labels": {"agentic.io/data-residency": "eu"}}}, "placed in us-east-1", {"region": "__k8s__"}),
    ("residency-tagged-resource-in-residency", "aws:s3/bucket:Bucket",
     {"region": "eu-west-1", "tags": {"data-residency": "none"}}, {"region": "eu-west-1", "tags": {"data-residency": "apac"}},
     "not a residency this stack knows", {}),
    ("residency-ecr-replication", "aws:ecr/replicationConfiguration:ReplicationConfiguration",
     {"replicationConfiguration": {"rules": [{"destinations": [{"region": "eu-west-1", "registryId": "1"}]}]}},
     {"replicationConfiguration": {"rules": [{"destinations": [{"region": "sa-east-1", "registryId": "1"}]}]}},
     "sa-east-1", {}),
    # encryption at rest
    ("rds-cluster-storage-encrypted", "aws:rds/cluster:Cluster", AURORA, with_(AURORA, storageEncrypted=DROP),
     "storageEncrypted must be true", {}),
    ("rds-cluster-customer-key", "aws:rds/cluster:Cluster", AURORA, with_(AURORA, kmsKeyId=DROP), "kmsKeyId", {}),
    ("rds-global-cluster-encrypted", "aws:rds/globalCluster:GlobalCluster", {"storageEncrypted": True},
     {"storageEncrypted": False}, "global cluster", {}),
    ("rds-instance-encrypted", "aws:rds/instance:Instance", {"storageEncrypted": True, "kmsKeyId": K1},
     {"storageEncrypted": True}, "customer-managed", {}),
    ("rds-performance-insights-encrypted", "aws:rds/clusterInstance:ClusterInstance",
     {"performanceInsightsEnabled": True, "performanceInsightsKmsKeyId": K1}, {"performanceInsightsEnabled": True},
     "performanceInsightsKmsKeyId", {}),
    ("elasticache-encrypted-at-rest", "aws:elasticache/replicationGroup:ReplicationGroup", REDIS,
     with_(REDIS, atRestEncryptionEnabled=DROP), "atRestEncryptionEnabled", {}),
    ("s3-encryption-config-kms",
     "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
     {"bucket": "b", "rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": K1},
                                "bucketKeyEnabled": True}]},
     {"bucket": "b", "rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms"}}]},
     "AWS-managed key", {}),
    ("ec2-launch-template-volumes-encrypted", "aws:ec2/launchTemplate:LaunchTemplate", LT,
     with_(LT, blockDeviceMappings=[{"deviceName": "/dev/xvda", "ebs": {"encrypted": "false"}}]), "encrypted must be true", {}),
    ("karpenter-node-volumes-encrypted", "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass",
     {"spec": {"blockDeviceMappings": [{"ebs": {"encrypted": True, "kmsKeyID": K1}}]}},
     {"spec": {"blockDeviceMappings": [{"ebs": {"volumeSize": "50Gi"}}]}}, "encrypted must be true", {}),
    ("eks-secrets-encrypted", "aws:eks/cluster:Cluster", EKS, with_(EKS, encryptionConfig=DROP), "secrets", {}),
    ("cloudwatch-log-group-kms", "aws:cloudwatch/logGroup:LogGroup", {"kmsKeyId": K1, "retentionInDays": 30.0},
     {"retentionInDays": 30.0}, "kmsKeyId", {}),
    ("sqs-queue-encrypted", "aws:sqs/queue:Queue", {"sqsManagedSseEnabled": True}, {"sqsManagedSseEnabled": False},
     "kmsMasterKeyId", {}),
    ("secretsmanager-secret-customer-key", "aws:secretsmanager/secret:Secret",
     {"kmsKeyId": K_EU, "replicas": [{"region": "eu-central-1", "kmsKeyId": key_arn("eu-central-1")}]},
     {"kmsKeyId": K_EU, "replicas": [{"region": "eu-central-1"}]}, "replica in eu-central-1", {}),
    ("backup-vault-customer-key", "aws:backup/vault:Vault", {"kmsKeyArn": K1}, {}, "kmsKeyArn", {}),
    ("kms-key-rotation", "aws:kms/key:Key", {"enableKeyRotation": True}, {"enableKeyRotation": False}, "enableKeyRotation", {}),
    ("sns-topic-encrypted", "aws:sns/topic:Topic", {"kmsMasterKeyId": K1}, {}, "kmsMasterKeyId", {}),
    ("ebs-volume-encrypted", "aws:ebs/volume:Volume", {"encrypted": True}, {"encrypted": False}, "encrypted", {}),
    # encryption in transit
    ("elasticache-transit-encryption-required", "aws:elasticache/replicationGroup:ReplicationGroup", REDIS,
     with_(REDIS, transitEncryptionMode="preferred"), "'preferred' still accepts plaintext", {}),
    ("elasticache-auth-required", "aws:elasticache/replicationGroup:ReplicationGroup", REDIS,
     with_(REDIS, authToken=DROP, authTokenUpdateStrategy=DROP), "without AUTH", {}),
    ("rds-proxy-require-tls", "aws:rds/proxy:Proxy", {"requireTls": True}, {"requireTls": False}, "requireTls", {}),
    ("ingress-alb-tls-policy", "kubernetes:networking.k8s.io/v1:Ingress", INGRESS,
     with_(INGRESS, **{ALB_ANN + "ssl-policy": "ELBSecurityPolicy-2016-08"}), "offering TLS 1.3", {}),
    ("lb-listener-tls", "aws:lb/listener:Listener",
     {"protocol": "HTTP", "defaultActions": [{"type": "redirect", "redirect": {"protocol": "HTTPS"}}]},
     {"protocol": "HTTP", "defaultActions": [{"type": "forward"}]}, "plaintext", {}),
    ("cloudflare-zone-tls", "cloudflare:index/zoneSetting:ZoneSetting", {"settingId": "min_tls_version", "value": "1.2"},
     {"settingId": "min_tls_version", "value": "1.0"}, "< 1.2", {}),
    ("cloudflare-zone-tls", "cloudflare:index/zoneSetting:ZoneSetting", {"settingId": "tls_1_3", "value": "on"},
     {"settingId": "tls_1_3", "value": "off"}, "tls_1_3 is off", {}),
    ("cloudflare-zone-tls", "cloudflare:index/zoneSetting:ZoneSetting", {"settingId": "automatic_https_rewrites", "value": "on"},
     {"settingId": "automatic_https_rewrites", "value": "off"}, "automatic_https_rewrites is off", {}),
    ("ingress-alb-tls-policy", "kubernetes:networking.k8s.io/v1:Ingress", INGRESS,
     with_(INGRESS, **{ALB_ANN + "ssl-policy": "ELBSecurityPolicy-TLS13-1-0-2021-06"}), "offering TLS 1.3", {}),
    ("ingress-alb-tls-policy", "kubernetes:networking.k8s.io/v1:Ingress", INGRESS,
     with_(INGRESS, **{ALB_ANN + "ssl-policy": "ELBSecurityPolicy-TLS-1-2-2017-01"}), "offering TLS 1.3", {}),
    # network
    ("security-group-no-public-ingress", "aws:ec2/securityGroup:SecurityGroup",
     {"ingress": [{"protocol": "tcp", "fromPort": 443.0, "toPort": 443.0, "cidrBlocks": ["10.0.0.0/8"]}]},
     {"ingress": [{"protocol": "tcp", "fromPort": 22.0, "toPort": 22.0, "cidrBlocks": ["0.0.0.0/0"]}]},
     "to the internet", {}),
    ("security-group-no-public-ingress", "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
     {"ipProtocol": "tcp", "fromPort": 5432.0, "toPort": 5432.0, "referencedSecurityGroupId": "sg-1"},
     {"ipProtocol": "-1", "cidrIpv6": "::/0"}, "to the internet", {}),
    ("rds-not-publicly-accessible", "aws:rds/clusterInstance:ClusterInstance", {"publiclyAccessible": False},
     {"publiclyAccessible": True}, "publiclyAccessible", {}),
    ("subnet-no-public-ip-on-launch", "aws:ec2/subnet:Subnet",
     {"mapPublicIpOnLaunch": True, "tags": {"kubernetes.io/role/elb": "1"}}, {"mapPublicIpOnLaunch": True},
     "not tagged as public", {}),
    ("launch-template-no-public-ip", "aws:ec2/launchTemplate:LaunchTemplate", LT,
     with_(LT, networkInterfaces=[{"associatePublicIpAddress": "true"}]), "associatePublicIpAddress", {}),
    ("imdsv2-required", "aws:ec2/launchTemplate:LaunchTemplate", LT,
     with_(LT, metadataOptions={"httpTokens": "optional"}), "IMDSv2", {}),
    ("eks-nodegroup-no-open-ssh", "aws:eks/nodeGroup:NodeGroup", {"remoteAccess": {"sourceSecurityGroupIds": ["sg-1"]}},
     {"remoteAccess": {"ec2SshKey": "k"}}, "SSH", {}),
    ("elasticache-custom-subnet-group", "aws:elasticache/replicationGroup:ReplicationGroup", REDIS,
     with_(REDIS, subnetGroupName="default"), "subnetGroupName", {}),
    ("eks-endpoint-not-public", "aws:eks/cluster:Cluster",
     with_(EKS, vpcConfig={"endpointPrivateAccess": True, "publicAccessCidrs": ["203.0.113.0/24"]}),
     with_(EKS, vpcConfig={"endpointPrivateAccess": True}), "public to the internet", {}),
    ("k8s-no-public-loadbalancer-service", "kubernetes:core/v1:Service",
     {"metadata": {"name": "s", "namespace": "app", "annotations": {
         "service.beta.kubernetes.io/aws-load-balancer-scheme": "internal"}}, "spec": {"type": "LoadBalancer"}},
     {"metadata": {"name": "s", "namespace": "app"}, "spec": {"type": "LoadBalancer"}}, "internet-facing", {}),
    ("ingress-alb-inbound-cidrs", "kubernetes:networking.k8s.io/v1:Ingress", INGRESS,
     with_(INGRESS, **{ALB_ANN + "inbound-cidrs": "0.0.0.0/0"}), "any source", {}),
    # backups / deletion protection
    ("rds-cluster-deletion-protection", "aws:rds/cluster:Cluster", AURORA,
     with_(AURORA, deletionProtection=False, skipFinalSnapshot=True), "deletionProtection", {}),
    ("rds-global-cluster-deletion-protection", "aws:rds/globalCluster:GlobalCluster", {"deletionProtection": True},
     {}, "deletionProtection", {}),
    ("rds-backup-retention", "aws:rds/cluster:Cluster", AURORA, with_(AURORA, backupRetentionPeriod=1.0),
     "requires at least 7", {}),
    ("elasticache-snapshots-and-failover", "aws:elasticache/replicationGroup:ReplicationGroup", REDIS,
     with_(REDIS, snapshotRetentionLimit=0.0), "snapshotRetentionLimit", {}),
    ("kms-key-deletion-window", "aws:kms/key:Key", {"deletionWindowInDays": 30.0}, {"deletionWindowInDays": 7.0,
                                                                                     "isEnabled": False},
     "disabled", {"settings": replace(SETTINGS, min_kms_deletion_window_days=30)}),
    ("stateful-resources-protected", "aws:s3/bucket:Bucket", {"bucket": "b"}, {"bucket": "b"}, "protect",
     {"protect": "__good_only__"}),
    ("lb-deletion-protection", "aws:lb/loadBalancer:LoadBalancer", {"enableDeletionProtection": True}, {},
     "enableDeletionProtection", {}),
    ("ingress-alb-deletion-protection", "kubernetes:networking.k8s.io/v1:Ingress", INGRESS,
     with_(INGRESS, **{ALB_ANN + "load-balancer-attributes": "idle_timeout.timeout_seconds=60"}),
     "deletion_protection", {}),
    ("backup-plan-retention", "aws:backup/plan:Plan",
     {"rules": [{"ruleName": "daily", "lifecycle": {"deleteAfter": 35.0}}]},
     {"rules": [{"ruleName": "daily", "lifecycle": {"deleteAfter": 3.0}}]}, "3 days", {}),
    # logging
    ("eks-control-plane-logging", "aws:eks/cluster:Cluster", with_(EKS, enabledClusterLogTypes=["api", "audit", "authenticator"]),
     with_(EKS, enabledClusterLogTypes=["api"]),
     "audit", {}),
    ("aurora-postgres-log-export", "aws:rds/cluster:Cluster", AURORA, with_(AURORA, enabledCloudwatchLogsExports=[]),
     "postgresql", {}),
    ("cloudwatch-log-retention", "aws:cloudwatch/logGroup:LogGroup", {"retentionInDays": 30.0}, {}, "retentionInDays",
     {}),
    ("ingress-alb-access-logs", "kubernetes:networking.k8s.io/v1:Ingress", INGRESS,
     with_(INGRESS, **{ALB_ANN + "load-balancer-attributes": "deletion_protection.enabled=true"}), "access logs", {}),
    ("lb-access-logs", "aws:lb/loadBalancer:LoadBalancer", {"accessLogs": {"enabled": True, "bucket": "logs"}},
     {"accessLogs": {"enabled": False}}, "accessLogs", {}),
    ("cloudtrail-hardened", "aws:cloudtrail/trail:Trail",
     {"enableLogFileValidation": True, "kmsKeyId": K1, "isMultiRegionTrail": True},
     {"enableLogFileValidation": True, "isMultiRegionTrail": True}, "kmsKeyId", {}),
    ("elasticache-log-delivery", "aws:elasticache/replicationGroup:ReplicationGroup", REDIS,
     with_(REDIS, logDeliveryConfigurations=[]), "logDeliveryConfigurations", {}),
    # iam
    ("iam-no-wildcard-admin", "aws:iam/rolePolicy:RolePolicy",
     {"policy": doc({"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "arn:aws:s3:::b/*"})},
     {"policy": doc({"Effect": "Allow", "Action": "*", "Resource": "*"})}, "full administrator", {}),
    ("iam-no-wildcard-admin", "aws:iam/role:Role",
     {"inlinePolicies": [{"name": "p", "policy": doc({"Effect": "Deny", "Action": "*", "Resource": "*"})}]},
     {"inlinePolicies": [{"name": "p", "policy": doc({"Effect": "Allow", "Action": ["*"], "Resource": ["*"]})}]},
     "inlinePolicies[0]", {}),
    ("iam-no-service-wildcard-on-all", "aws:iam/policy:Policy",
     {"policy": doc({"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::b"})},
     {"policy": doc({"Effect": "Allow", "Action": "s3:*", "Resource": "*"})}, "s3:*", {}),
    ("iam-no-kms-decrypt-on-all-keys", "aws:iam/policy:Policy",
     {"policy": doc({"Effect": "Allow", "Action": "kms:Decrypt", "Resource": K1})},
     {"policy": doc({"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"})}, "kms:Decrypt", {}),
    ("iam-no-admin-managed-policy", "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
     {"policyArn": "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy"},
     {"policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}, "AdministratorAccess", {}),
    ("iam-no-user-attached-policies", "aws:iam/userPolicy:UserPolicy", None, {"policy": doc()}, "IAM user", {}),
    ("iam-trust-policy-narrow", "aws:iam/role:Role",
     {"assumeRolePolicy": doc({"Effect": "Allow", "Principal": {"Federated": "arn:aws:iam::1:oidc-provider/oidc.eks/id/X"},
                               "Action": "sts:AssumeRoleWithWebIdentity",
                               "Condition": {"StringEquals": {"oidc.eks/id/X:sub": "system:serviceaccount:a:b"}}})},
     {"assumeRolePolicy": doc({"Effect": "Allow", "Principal": {"Federated": "arn:aws:iam::1:oidc-provider/oidc.eks/id/X"},
                               "Action": "sts:AssumeRoleWithWebIdentity"})}, "does not pin", {}),
    ("kms-key-policy-safe", "aws:kms/key:Key",
     {"policy": doc({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::1:root"}, "Action": "kms:*", "Resource": "*"})},
     {"policy": doc({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:*", "Resource": "*"})},
     "any principal", {}),
    # tags
    ("aws-required-tags", "aws:s3/bucket:Bucket",
     {"tags": {"environment": "x", "project": "p", "managed-by": "pulumi", "cost-center": "cc"}},
     {"tags": {"environment": "x"}}, "cost-center", {"provider": aws_provider(default_tags=None)}),
    ("tenant-resources-tagged", "aws:s3/bucket:Bucket",
     {"tags": {"tenant": "acme", "data-residency": "none", "cost-center": "cc-acme"}}, {"tags": {"tenant": "acme"}},
     "data-residency", {}),
    # kubernetes
    ("k8s-no-privileged-containers", "kubernetes:apps/v1:Deployment", secure_pod(),
     secure_pod(securityContext={**SECURE_CONTAINER["securityContext"], "privileged": True}), "privileged", {}),
    ("k8s-no-host-namespaces", "kubernetes:apps/v1:DaemonSet", secure_pod(),
     with_(secure_pod(), spec__template__spec__hostNetwork=True), "hostNetwork", {}),
    ("k8s-run-as-non-root", "kubernetes:apps/v1:Deployment", secure_pod(),
     secure_pod(securityContext={"runAsUser": 0.0}), "UID 0", {}),
    ("k8s-drop-all-capabilities", "kubernetes:apps/v1:StatefulSet", secure_pod(),
     secure_pod(securityContext={**SECURE_CONTAINER["securityContext"], "capabilities": {"add": ["SYS_ADMIN"]}}),
     "SYS_ADMIN", {}),
    ("k8s-resource-requests-limits", "kubernetes:apps/v1:Deployment", secure_pod(),
     secure_pod(resources={"requests": {"cpu": "100m"}}), "limits.memory", {}),
    ("k8s-liveness-readiness-probes", "kubernetes:apps/v1:Deployment", secure_pod(),
     secure_pod(livenessProbe=None), "livenessProbe", {}),
    ("k8s-read-only-root-filesystem", "kubernetes:batch/v1:Job", secure_pod(),
     secure_pod(securityContext={"readOnlyRootFilesystem": False}), "writable", {}),
    ("k8s-seccomp-runtime-default", "kubernetes:core/v1:Pod",
     pod({"containers": [SECURE_CONTAINER]}, "Pod"),
     pod({"containers": [{**SECURE_CONTAINER, "securityContext": {"runAsNonRoot": True}}]}, "Pod"), "seccomp", {}),
    ("k8s-image-pinned", "kubernetes:apps/v1:Deployment", secure_pod(),
     secure_pod(image="ghcr.io/example/api:latest"), ":latest", {}),
    ("k8s-image-from-ecr", "kubernetes:apps/v1:Deployment",
     secure_pod(image="111122223333.dkr.ecr.us-east-1.amazonaws.com/agentic-platform:2026.11.20"),
     secure_pod(), "not in this account's ECR", {}),
    ("k8s-image-from-ecr", "kubernetes:batch/v1:Job",
     secure_pod(image="111122223333.dkr.ecr.us-east-1.amazonaws.com/quay/argoproj/argocd:v3.4.4"),
     secure_pod(image="111122223333.dkr.ecr.sa-east-1.amazonaws.com/agentic-platform:2026.11.20"),
     "outside the stack's regions", {}),
    ("k8s-no-default-namespace", "kubernetes:core/v1:ConfigMap", {"metadata": {"name": "c", "namespace": "app"}},
     {"metadata": {"name": "c"}}, "default namespace", {}),
    ("k8s-namespace-pod-security", "kubernetes:core/v1:Namespace",
     {"metadata": {"name": "t-acme", "labels": {"tenant": "acme", "pod-security.kubernetes.io/enforce": "restricted"}}},
     {"metadata": {"name": "t-acme", "labels": {"tenant": "acme", "pod-security.kubernetes.io/enforce": "baseline"}}},
     "restricted", {}),
    ("k8s-no-plaintext-secrets", "kubernetes:core/v1:ConfigMap",
     {"metadata": {"name": "c", "namespace": "app"}, "data": {"LOG_LEVEL": "info", "dashboard-tokens.json": '{"a": 1}'}},
     {"metadata": {"name": "c", "namespace": "app"}, "data": {"DATABASE_URL": "postgresql://app:hunter22@db:5432/app"}},
     "looks like a secret", {}),
    ("k8s-secrets-via-external-secrets", "kubernetes:core/v1:Secret",
     {"metadata": {"name": "s", "namespace": "app"}, "type": "Opaque"},
     {"metadata": {"name": "s", "namespace": "app"}, "stringData": {"admin-password": "x"}}, "admin-password", {}),
    ("k8s-rbac-least-privilege", "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole",
     {"rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]}]},
     {"rules": [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["list"]}]}, "secrets cluster-wide", {}),
    ("k8s-no-default-service-account-token", "kubernetes:apps/v1:Deployment", secure_pod(),
     pod({"containers": [SECURE_CONTAINER]}), "automountServiceAccountToken", {}),
    *HARDENING_CASES,
    # identity along the data path
    ("rds-proxy-iam-auth", "aws:rds/proxy:Proxy", {"engineFamily": "POSTGRESQL", "defaultAuthScheme": "IAM_AUTH"},
     {"engineFamily": "POSTGRESQL", "auths": [{"authScheme": "SECRETS", "iamAuth": "DISABLED", "secretArn": "arn:s"}]},
     "iamAuth is DISABLED", {}),
    ("rds-proxy-iam-auth", "aws:rds/proxy:Proxy",
     {"engineFamily": "POSTGRESQL", "auths": [{"authScheme": "SECRETS", "iamAuth": "REQUIRED", "secretArn": "arn:s"}]},
     {"engineFamily": "POSTGRESQL"}, "defaultAuthScheme must be IAM_AUTH", {}),
    ("k8s-no-database-password-in-pods", "kubernetes:external-secrets.io/v1:ExternalSecret",
     {"metadata": {"name": "s", "namespace": "platform-core"},
      "spec": {"data": [{"secretKey": "JWT_SECRET", "remoteRef": {"key": "arn:aws:secretsmanager:us-east-1:1:secret:p/app/jwt-secret"}}]}},
     {"metadata": {"name": "s", "namespace": "platform-core"},
      "spec": {"data": [{"secretKey": "DATABASE_URL", "remoteRef": {"key": "arn:aws:secretsmanager:us-east-1:1:secret:p/app/database-url"}}]}},
     "connect with IAM", {}),
    ("k8s-no-database-password-in-pods", "kubernetes:external-secrets.io/v1:ExternalSecret",
     {"metadata": {"name": "s", "namespace": "db-bootstrap-eu"},
      "spec": {"data": [{"secretKey": "PGPASSWORD", "remoteRef": {"key": "p/prod/eu/db/master", "property": "password"}}]}},
     {"metadata": {"name": "s", "namespace": "tenant-acme"},
      "spec": {"dataFrom": [{"extract": {"key": "p/prod/eu/db/master"}}]}},
     "extracts the database credential", {}),
    ("k8s-secretstore-role", "kubernetes:external-secrets.io/v1:SecretStore",
     {"metadata": {"name": "aws-secrets-manager", "namespace": "tenant-acme"},
      "spec": {"provider": {"aws": {"service": "SecretsManager", "region": "eu-west-1", "role": "arn:aws:iam::1:role/c-ss-tenant-acme"}}}},
     {"metadata": {"name": "aws-secrets-manager", "namespace": "tenant-acme"},
      "spec": {"provider": {"aws": {"service": "SecretsManager", "region": "eu-west-1"}}}},
     "spec.provider.aws.role is not set", {}),
    ("k8s-secretstore-role", "kubernetes:external-secrets.io/v1:ClusterSecretStore",
     {"metadata": {"name": "s"}, "spec": {"provider": {"aws": {"service": "SecretsManager", "region": "eu-west-1", "role": "arn:aws:iam::1:role/c-ss-x"}}}},
     {"metadata": {"name": "s"}, "spec": {"provider": {"aws": {"service": "SecretsManager", "region": "eu-west-1", "role": "arn:aws:iam::1:role/c-ss-x",
                                                                "auth": {"secretRef": {"accessKeyIDSecretRef": {"name": "k", "key": "id"}}}}}}},
     "static access keys", {}),
    ("k8s-secrets-as-files", "kubernetes:apps/v1:Deployment",
     secure_pod(envFrom=[{"configMapRef": {"name": "app-settings"}}],
                volumeMounts=[{"name": "secrets", "mountPath": "/var/run/secrets/agentic", "readOnly": True}]),
     secure_pod(envFrom=[{"configMapRef": {"name": "app-settings"}}, {"secretRef": {"name": "platform-secrets"}}]),
     "mount it as a read-only volume", {}),
    ("k8s-secrets-as-files", "kubernetes:batch/v1:Job", pod({"containers": [SECURE_CONTAINER]}, kind="Job"),
     pod({"containers": [{**SECURE_CONTAINER, "env": [
         {"name": "OPENAI_API_KEY", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}]}]}, kind="Job"),
     "OPENAI_API_KEY comes from a Secret", {}),
]


def _args(rtype: str, props: dict[str, Any], extra: dict[str, Any], protect: bool = False):
    kwargs: dict[str, Any] = {}
    if "provider" in extra:
        kwargs["provider"] = extra["provider"]
    if extra.get("region") == "__k8s__":
        kwargs["region"] = "us-east-1"
    if "settings" in extra:
        kwargs["settings"] = extra["settings"]
    if rtype.startswith("aws:") and "region" not in props and "provider" not in extra:
        kwargs["region"] = "us-east-1"
    return rargs(rtype, props, protect=protect, **kwargs)


@pytest.mark.parametrize("case", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_policy_passes_compliant_and_flags_non_compliant(case: Case) -> None:
    name, rtype, good, bad, fragment, extra = case
    if extra.get("region") == "__k8s__":  # residency label on a cluster in the EU vs in the US
        assert check(name, rargs(rtype, good, region="eu-west-1")) == []
        messages = check(name, rargs(rtype, bad, region="us-east-1"))
    elif extra.get("protect") == "__good_only__":
        assert check(name, _args(rtype, good, {}, protect=True)) == []
        messages = check(name, _args(rtype, bad, {}, protect=False))
    else:
        if good is not None:
            assert check(name, _args(rtype, good, extra)) == [], f"{name} flagged a compliant {rtype}"
        messages = check(name, _args(rtype, bad, extra))
    assert messages, f"{name} did not flag a non-compliant {rtype}"
    assert any(fragment in m for m in messages), messages


def test_every_resource_policy_has_a_unit_case() -> None:
    covered = {c[0] for c in CASES}
    resource_policies = {p.name for p in POLICIES if isinstance(p, PackResourcePolicy)}
    assert resource_policies - covered == set()


def test_policies_ignore_other_types() -> None:
    """A type filter keeps a policy off unrelated resources (it must not fire on a bucket)."""
    assert check("rds-cluster-storage-encrypted", rargs("aws:s3/bucket:Bucket", {})) == []


def test_required_tags_come_from_provider_default_tags() -> None:
    tags = {"environment": "prod", "project": "p", "managed-by": "pulumi", "cost-center": "cc"}
    assert check("aws-required-tags", rargs("aws:sqs/queue:Queue", {}, provider=aws_provider(default_tags=tags))) == []
    msgs = check("aws-required-tags", rargs("aws:sqs/queue:Queue", {}, provider=aws_provider(default_tags=None)))
    assert msgs and "cost-center" in msgs[0]


def test_effective_region_falls_back_to_provider_then_stack_default() -> None:
    # no own region: the provider's region decides
    assert check("aws-resource-region-allowed", rargs("aws:sqs/queue:Queue", {}, provider=aws_provider("ap-south-1")))
    assert check("aws-resource-region-allowed", rargs("aws:sqs/queue:Queue", {}, provider=aws_provider("eu-west-1"))) == []
    # own region wins over the provider's
    assert check("aws-resource-region-allowed",
                 rargs("aws:sqs/queue:Queue", {"region": "eu-west-1"}, provider=aws_provider("ap-south-1"))) == []
    # an explicit provider without region: the environment decides -> fail closed
    msgs = check("aws-resource-region-allowed", rargs("aws:sqs/queue:Queue", {}, provider=aws_provider(None)))
    assert msgs and "undeterminable" in msgs[0]
    # the engine's default provider without region: the stack's aws:region (settings.defaultRegion)
    default = aws_provider(None, name="default_7_51_1")
    assert check("aws-resource-region-allowed", rargs("aws:sqs/queue:Queue", {}, provider=default)) == []
    # IAM is global: never judged by region
    assert check("aws-resource-region-allowed", rargs("aws:iam/role:Role", {}, provider=aws_provider("ap-south-1"))) == []


def test_unknown_values_do_not_pass_silently() -> None:
    from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

    msgs = check("aws-resource-region-allowed", rargs("aws:sqs/queue:Queue", {"region": UNKNOWN_STRING_VALUE}))
    assert msgs and "unknown region" in msgs[0]
    # an unknown key ARN (the key is created in the same deployment) counts as set
    assert check("rds-cluster-customer-key", rargs("aws:rds/cluster:Cluster", {**AURORA, "kmsKeyId": UNKNOWN_STRING_VALUE})) == []


def test_snake_case_keys_are_not_read() -> None:
    """Pitfall 1: a resource written with snake_case keys is not taken as encrypted."""
    msgs = check("rds-cluster-storage-encrypted", rargs("aws:rds/cluster:Cluster", {"storage_encrypted": True}))
    assert msgs


def test_exemption_silences_one_resource_only() -> None:
    settings = replace(SETTINGS, exemptions=(Exemption("sqs-queue-*", "legacy-*", "EventBridge cannot use the CMK"),))
    assert check("sqs-queue-encrypted", rargs("aws:sqs/queue:Queue", {}, name="legacy-events", settings=settings)) == []
    assert check("sqs-queue-encrypted", rargs("aws:sqs/queue:Queue", {}, name="jobs", settings=settings))
