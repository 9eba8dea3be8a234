"""The names the policies read exist in the installed provider SDKs (pitfalls 1, 6 and 7).

A misspelt type token or property name makes a policy silently never fire, so every token a
policy filters on is looked up in pulumi-aws 7 / pulumi-kubernetes / pulumi-cloudflare 6, and
the camelCase properties each policy reads are looked up in that resource's generated class.
"""

from __future__ import annotations

import importlib.util
import re
from functools import cache
from pathlib import Path

import pytest

from policy.agentic_policies.registry import POLICIES
from policy.agentic_policies.spec import PackResourcePolicy


def _package_dir(name: str) -> Path:
    """The installed package's folder, found without importing it (pulumi_cloudflare's import alone
    takes 2 s: its package loads every resource module)."""
    spec = importlib.util.find_spec(name)
    assert spec is not None and spec.origin is not None, f"{name} is not installed"
    return Path(spec.origin).parent


PACKAGES = {"aws": _package_dir("pulumi_aws"), "kubernetes": _package_dir("pulumi_kubernetes"),
            "cloudflare": _package_dir("pulumi_cloudflare")}
CRDS = {"kubernetes:karpenter.k8s.aws/v1:EC2NodeClass",  # custom resources: no SDK class
        "kubernetes:external-secrets.io/v1:ExternalSecret", "kubernetes:external-secrets.io/v1:SecretStore",
        "kubernetes:external-secrets.io/v1:ClusterSecretStore"}
NOT_IN_SDK = {
    # token aliases AWSGuard also matches; pulumi-aws 7 ships only aws:lb/* and aws:alb/*
    "aws:elasticloadbalancingv2/listener:Listener", "aws:applicationloadbalancing/listener:Listener",
}


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def module_of(token: str) -> Path:
    pkg, mod, cls = token.split(":")
    base = PACKAGES[pkg]
    if pkg == "kubernetes":
        group, version = mod.rsplit("/", 1)
        group = group.replace(".k8s.io", "").replace("rbac.authorization", "rbac").replace(".", "_")
        return base / group / version / f"{cls}.py"
    folder, res = mod.split("/")
    return (base / folder if folder != "index" else base) / f"{_snake(res)}.py"


@cache
def source(token: str) -> str:
    path = module_of(token)
    return path.read_text() if path.exists() else ""


def has_property(token: str, prop: str) -> bool:
    text = source(token)
    return f'getter(name="{prop}")' in text or (prop.isalpha() and prop.islower() and f"def {prop}(self)" in text)


def test_every_type_token_exists_in_the_installed_sdks() -> None:
    tokens = {t for p in POLICIES if isinstance(p, PackResourcePolicy) and p.types for t in p.types
              if not t.startswith("pulumi:")}
    missing = sorted(t for t in tokens - CRDS - NOT_IN_SDK if f"'{t}'" not in source(t) and f'"{t}"' not in source(t))
    assert not missing, f"type tokens not found in the installed SDKs: {missing}"


# Properties the policies read, per type (top-level camelCase names of the provider schema).
READS: dict[str, list[str]] = {
    "aws:rds/cluster:Cluster": ["storageEncrypted", "kmsKeyId", "deletionProtection", "skipFinalSnapshot",
                                "finalSnapshotIdentifier", "backupRetentionPeriod", "enabledCloudwatchLogsExports",
                                "globalClusterIdentifier", "masterUsername", "dbClusterParameterGroupName",
                                "performanceInsightsEnabled", "performanceInsightsKmsKeyId", "sourceRegion",
                                "engine", "region", "tags", "tagsAll"],
    "aws:rds/globalCluster:GlobalCluster": ["storageEncrypted", "deletionProtection", "sourceDbClusterIdentifier"],
    "aws:rds/instance:Instance": ["storageEncrypted", "kmsKeyId", "replicateSourceDb", "publiclyAccessible",
                                  "deletionProtection", "backupRetentionPeriod"],
    "aws:rds/clusterInstance:ClusterInstance": ["publiclyAccessible", "performanceInsightsEnabled",
                                                "performanceInsightsKmsKeyId", "clusterIdentifier"],
    "aws:rds/clusterParameterGroup:ClusterParameterGroup": ["parameters", "family"],
    "aws:rds/proxy:Proxy": ["requireTls"],
    "aws:elasticache/replicationGroup:ReplicationGroup": [
        "atRestEncryptionEnabled", "kmsKeyId", "transitEncryptionEnabled", "transitEncryptionMode", "authToken",
        "authTokenUpdateStrategy", "userGroupIds", "subnetGroupName", "snapshotRetentionLimit",
        "automaticFailoverEnabled", "multiAzEnabled", "globalReplicationGroupId", "logDeliveryConfigurations"],
    "aws:elasticache/globalReplicationGroup:GlobalReplicationGroup": ["primaryReplicationGroupId"],
    "aws:s3/bucket:Bucket": ["bucket", "region", "serverSideEncryptionConfiguration", "versioning", "logging", "acl"],
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": ["bucket", "rules"],
    "aws:s3/bucketReplicationConfig:BucketReplicationConfig": ["bucket", "rules"],
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": ["blockPublicAcls", "blockPublicPolicy",
                                                               "ignorePublicAcls", "restrictPublicBuckets"],
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": ["rule"],
    "aws:s3/bucketVersioning:BucketVersioning": ["versioningConfiguration"],
    "aws:s3/bucketPolicy:BucketPolicy": ["policy"],
    "aws:s3/bucketLogging:BucketLogging": ["targetBucket"],
    "aws:s3/bucketAcl:BucketAcl": ["acl"],
    "aws:ec2/launchTemplate:LaunchTemplate": ["blockDeviceMappings", "metadataOptions", "networkInterfaces"],
    "aws:eks/cluster:Cluster": ["encryptionConfig", "vpcConfig", "enabledClusterLogTypes"],
    "aws:eks/nodeGroup:NodeGroup": ["launchTemplate", "remoteAccess"],
    "aws:ebs/encryptionByDefault:EncryptionByDefault": ["enabled"],
    "aws:ebs/volume:Volume": ["encrypted"],
    "aws:cloudwatch/logGroup:LogGroup": ["kmsKeyId", "retentionInDays"],
    "aws:sqs/queue:Queue": ["kmsMasterKeyId", "sqsManagedSseEnabled", "url", "arn"],
    "aws:cloudwatch/eventBus:EventBus": ["name", "arn"],
    "aws:eks/podIdentityAssociation:PodIdentityAssociation": ["namespace", "serviceAccount", "roleArn"],
    "aws:sns/topic:Topic": ["kmsMasterKeyId"],
    "aws:secretsmanager/secret:Secret": ["kmsKeyId", "replicas"],
    "aws:backup/vault:Vault": ["kmsKeyArn"],
    "aws:backup/plan:Plan": ["rules"],
    "aws:backup/selection:Selection": ["planId", "resources"],
    "aws:kms/key:Key": ["enableKeyRotation", "customerMasterKeySpec", "deletionWindowInDays", "isEnabled",
                        "bypassPolicyLockoutSafetyCheck", "policy", "multiRegion"],
    "aws:kms/replicaKey:ReplicaKey": ["primaryKeyArn", "deletionWindowInDays"],
    "aws:ec2/securityGroup:SecurityGroup": ["ingress"],
    "aws:ec2/securityGroupRule:SecurityGroupRule": ["type", "cidrBlocks", "ipv6CidrBlocks", "fromPort", "toPort",
                                                    "protocol"],
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": ["cidrIpv4", "cidrIpv6", "ipProtocol", "fromPort",
                                                                  "toPort"],
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": ["vpcId", "ingress", "egress"],
    "aws:ec2/subnet:Subnet": ["mapPublicIpOnLaunch"],
    "aws:ec2/flowLog:FlowLog": ["vpcId", "trafficType"],
    "aws:lb/loadBalancer:LoadBalancer": ["enableDeletionProtection", "accessLogs"],
    "aws:lb/listener:Listener": ["protocol", "sslPolicy", "defaultActions"],
    "aws:cloudtrail/trail:Trail": ["enableLogFileValidation", "kmsKeyId", "isMultiRegionTrail"],
    "aws:iam/role:Role": ["assumeRolePolicy", "inlinePolicies", "managedPolicyArns", "name", "arn"],
    "aws:iam/rolePolicy:RolePolicy": ["policy", "role"],
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": ["policyArn", "role"],
    "aws:iam/policy:Policy": ["policy", "arn"],
    "aws:ecr/replicationConfiguration:ReplicationConfiguration": ["replicationConfiguration"],
    "cloudflare:index/loadBalancer:LoadBalancer": ["name", "defaultPools", "fallbackPool", "regionPools",
                                                  "countryPools", "popPools", "rules"],
    "cloudflare:index/loadBalancerPool:LoadBalancerPool": ["origins", "name"],
    "cloudflare:index/zoneSetting:ZoneSetting": ["settingId", "value"],
}


@pytest.mark.parametrize("token", sorted(READS))
def test_properties_read_exist_on_the_resource(token: str) -> None:
    assert source(token), f"no SDK module for {token} at {module_of(token)}"
    missing = [p for p in READS[token] if not has_property(token, p)]
    assert not missing, f"{token}: not in the installed SDK: {missing}"


def test_nested_names_the_policies_read_exist() -> None:
    """Nested camelCase names (inputs classes) for the checks that dig into objects."""
    aws_inputs = "".join((PACKAGES["aws"] / m / "_inputs.py").read_text() for m in ("s3", "eks", "ec2", "backup"))
    for name in ("applyServerSideEncryptionByDefault", "sseAlgorithm", "kmsMasterKeyId", "bucketKeyEnabled",
                 "replicaKmsKeyId", "encryptionConfiguration", "endpointPublicAccess", "endpointPrivateAccess",
                 "publicAccessCidrs", "keyArn", "sourceSecurityGroupIds", "httpTokens", "httpPutResponseHopLimit",
                 "associatePublicIpAddress", "copyActions", "destinationVaultArn", "deleteAfter",
                 "objectOwnership"):
        assert f'getter(name="{name}")' in aws_inputs or f'"{name}"' in aws_inputs, name


def test_lookup_rejects_snake_case_and_misspellings() -> None:
    assert has_property("aws:rds/cluster:Cluster", "storageEncrypted")
    assert not has_property("aws:rds/cluster:Cluster", "storage_encrypted")
    assert not has_property("aws:rds/cluster:Cluster", "storageEncryption")
