# ruff: noqa: E501  (stack builders read better one resource per line)
"""Every stack policy on a compliant and a non-compliant small stack, built as AnalyzeStack builds it.

Joins are exercised both ways the engine offers them: by identifier values (a deployed stack's
outputs) and by `property_dependencies` with unknown values (a preview of new resources).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from policy_helpers import check_stack, key_arn, sres
from pulumi_policy import PolicyResource
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from policy.agentic_policies.registry import POLICIES
from policy.agentic_policies.spec import PackStackPolicy

U = UNKNOWN_STRING_VALUE
EU, EU2, US = "eu-west-1", "eu-central-1", "us-east-1"
EU_TAG = {"data-residency": "eu"}


def bucket(name: str, region: str, tags: dict[str, str] | None = None) -> PolicyResource:
    return sres("aws:s3/bucket:Bucket", {"bucket": name, "id": name, "arn": f"arn:aws:s3:::{name}", "region": region,
                                         "tags": tags or {}}, name, region=region)


def side(rtype: str, name: str, bucket_name: str, region: str, **props: Any) -> PolicyResource:
    return sres(rtype, {"bucket": bucket_name, "region": region, **props}, name, region=region)


def aurora_global(member_region: str) -> list[PolicyResource]:
    gc = sres("aws:rds/globalCluster:GlobalCluster", {"globalClusterIdentifier": "eu-db", "id": "eu-db",
                                                      "tags": EU_TAG}, "eu-global", region=EU)
    primary = sres("aws:rds/cluster:Cluster", {"globalClusterIdentifier": "eu-db", "region": EU, "tags": EU_TAG},
                   "eu-primary", region=EU)
    # the secondary refers to the global cluster through an unknown value + property dependency (preview)
    secondary = sres("aws:rds/cluster:Cluster", {"globalClusterIdentifier": U, "region": member_region},
                     "eu-secondary", region=member_region, deps={"globalClusterIdentifier": [gc]})
    return [gc, primary, secondary]


def s3_replication(dest_region: str, key_region: str) -> list[PolicyResource]:
    src = bucket("eu-src", EU, EU_TAG)
    dst = bucket("eu-dst", dest_region)
    rc = sres("aws:s3/bucketReplicationConfig:BucketReplicationConfig", {
        "bucket": "eu-src", "region": EU, "rules": [{"destination": {
            "bucket": "arn:aws:s3:::eu-dst",
            "encryptionConfiguration": {"replicaKmsKeyId": key_arn(key_region)}}}]}, "eu-crr", region=EU)
    return [src, dst, rc]


def backups(dest_region: str) -> list[PolicyResource]:
    db = sres("aws:rds/cluster:Cluster", {"arn": "arn:aws:rds:eu-west-1:1:cluster:eu-db", "region": EU,
                                          "tags": EU_TAG}, "eu-db", region=EU)
    plan = sres("aws:backup/plan:Plan", {"id": "plan-1", "region": EU, "rules": [{"ruleName": "daily", "copyActions": [
        {"destinationVaultArn": f"arn:aws:backup:{dest_region}:1:backup-vault:copy"}]}]}, "eu-plan", region=EU)
    sel = sres("aws:backup/selection:Selection", {"planId": "plan-1", "region": EU,
                                                  "resources": ["arn:aws:rds:eu-west-1:1:cluster:eu-db"]},
               "eu-sel", region=EU)
    return [db, plan, sel]


def secret(replica_region: str) -> list[PolicyResource]:
    key = sres("aws:kms/key:Key", {"arn": key_arn(EU), "region": EU, "tags": EU_TAG}, "eu-key", region=EU)
    s = sres("aws:secretsmanager/secret:Secret", {"kmsKeyId": key_arn(EU), "region": EU, "replicas": [
        {"region": replica_region, "kmsKeyId": key_arn(replica_region)}]}, "eu-secret", region=EU)
    return [key, s]


def kms_replica(region: str) -> list[PolicyResource]:
    key = sres("aws:kms/key:Key", {"arn": key_arn(EU), "region": EU, "multiRegion": True, "tags": EU_TAG}, "eu-key",
               region=EU)
    rep = sres("aws:kms/replicaKey:ReplicaKey", {"primaryKeyArn": key_arn(EU), "region": region}, "eu-key-replica",
               region=region)
    return [key, rep]


def datastore(member_region: str) -> list[PolicyResource]:
    primary = sres("aws:elasticache/replicationGroup:ReplicationGroup",
                   {"replicationGroupId": "eu-cache", "region": EU, "tags": EU_TAG}, "eu-cache", region=EU)
    grg = sres("aws:elasticache/globalReplicationGroup:GlobalReplicationGroup",
               {"primaryReplicationGroupId": "eu-cache", "id": "g-eu", "region": EU}, "eu-global-cache", region=EU)
    member = sres("aws:elasticache/replicationGroup:ReplicationGroup",
                  {"globalReplicationGroupId": "g-eu", "region": member_region}, "eu-cache-2", region=member_region)
    return [primary, grg, member]


def cloudflare(extra_pool_region: str) -> list[PolicyResource]:
    def pool(region: str) -> PolicyResource:
        return sres("cloudflare:index/loadBalancerPool:LoadBalancerPool", {
            "id": f"pool-{region}", "name": f"api-eu-{region}",
            "origins": [{"address": f"k8s-abc.{region}.elb.amazonaws.com"}]}, f"pool-{region}", region=None)
    pools = [pool(EU), pool(extra_pool_region)]
    lb = sres("cloudflare:index/loadBalancer:LoadBalancer", {
        "name": "api.eu.example.com", "defaultPools": [p.props["id"] for p in pools], "fallbackPool": f"pool-{EU}"},
        "eu-lb", region=None)
    return [*pools, lb]


def zone_edge(*settings: str) -> list[PolicyResource]:
    """A zone's load balancer and the zone settings set in code (components/cloudflare_edge.py)."""
    lb = sres("cloudflare:index/loadBalancer:LoadBalancer", {"name": "api.example.com", "zoneId": "zone-1"}, "lb",
              region=None)
    return [lb, *(sres("cloudflare:index/zoneSetting:ZoneSetting", {"zoneId": "zone-1", "settingId": k, "value": "on"},
                       f"zone-{k}", region=None) for k in settings)]


def event_forwarding(dest_region: str, dest_domain: str = "eu", foreign: bool = False) -> list[PolicyResource]:
    """An EU bus's rule forwarding to a bus in `dest_region` of `dest_domain` (as the event backbone
    does in-domain); `foreign`: the destination bus is not one of the stack's resources."""
    src_arn = f"arn:aws:events:{EU}:1:event-bus/eu-events-src"
    dst_arn = f"arn:aws:events:{dest_region}:1:event-bus/eu-events-dst"
    src = sres("aws:cloudwatch/eventBus:EventBus", {"name": "eu-events-src", "id": "eu-events-src", "arn": src_arn,
                                                    "region": EU, "tags": {**EU_TAG, "data-domain": "eu"}},
               "eu-bus-src", region=EU)
    dst = sres("aws:cloudwatch/eventBus:EventBus", {"name": "eu-events-dst", "id": "eu-events-dst", "arn": dst_arn,
                                                    "region": dest_region, "tags": {"data-domain": dest_domain}},
               "eu-bus-dst",
               region=dest_region)
    rule = sres("aws:cloudwatch/eventRule:EventRule", {"name": "eu-fwd", "id": "eu-fwd", "region": EU,
                                                        "eventBusName": "eu-events-src", "tags": EU_TAG},
                "eu-fwd-rule", region=EU)
    target = sres("aws:cloudwatch/eventTarget:EventTarget", {"rule": "eu-fwd", "eventBusName": "eu-events-src",
                                                              "arn": dst_arn, "region": EU}, "eu-fwd-target", region=EU)
    return [src, rule, target] if foreign else [src, dst, rule, target]


def s3_stack(sse: dict[str, Any] | None = None, pab: dict[str, Any] | None = None, acl: str | None = None,
             versioning: str = "Enabled", tls: bool = True, logging: bool = True) -> list[PolicyResource]:
    b = bucket("data", US)
    logs = bucket("logs", US)
    out = [b, logs]
    kms = {"rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": key_arn(US)},
                      "bucketKeyEnabled": True}]}
    for name in ("data", "logs"):
        rules = sse if (sse is not None and name == "data") else (
            {"rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}]} if name == "logs" else kms)
        out.append(side("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
                        f"{name}-sse", name, US, **rules))
        block = {k: True for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")}
        out.append(side("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", f"{name}-pab", name, US,
                        **(pab if (pab is not None and name == "data") else block)))
        out.append(side("aws:s3/bucketOwnershipControls:BucketOwnershipControls", f"{name}-own", name, US,
                        rule={"objectOwnership": "BucketOwnerEnforced"}))
        out.append(side("aws:s3/bucketVersioning:BucketVersioning", f"{name}-ver", name, US,
                        versioningConfiguration={"status": versioning if name == "data" else "Enabled"}))
        statement = {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*",
                     "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
        if tls or name == "logs":
            out.append(side("aws:s3/bucketPolicy:BucketPolicy", f"{name}-policy", name, US,
                            policy=json.dumps({"Statement": [statement]})))
    if logging:
        out.append(side("aws:s3/bucketLogging:BucketLogging", "data-logging", "data", US, targetBucket="logs"))
    else:
        out.append(side("aws:s3/bucketLogging:BucketLogging", "other-logging", "other", US, targetBucket="logs"))
    if acl:
        out.append(side("aws:s3/bucketAcl:BucketAcl", "data-acl", "data", US, acl=acl))
    return out


def nodegroups(with_template: bool) -> list[PolicyResource]:
    lt = sres("aws:ec2/launchTemplate:LaunchTemplate", {"id": "lt-1", "region": US}, "lt", region=US)
    ng = sres("aws:eks/nodeGroup:NodeGroup", {"launchTemplate": {"id": "lt-1", "version": "1"}} if with_template
              else {"region": US}, "ng", region=US)
    return [lt, ng]


def key_region(resource_key_region: str) -> list[PolicyResource]:
    key = sres("aws:kms/key:Key", {"arn": U, "region": resource_key_region}, "k", region=resource_key_region)
    log = sres("aws:cloudwatch/logGroup:LogGroup", {"kmsKeyId": U, "region": US}, "lg", region=US,
               deps={"kmsKeyId": [key]})
    q = sres("aws:sqs/queue:Queue", {"kmsMasterKeyId": key_arn(resource_key_region), "region": US}, "q", region=US)
    return [key, log, q]


def force_ssl(value: str) -> list[PolicyResource]:
    pg = sres("aws:rds/clusterParameterGroup:ClusterParameterGroup", {"id": "pg", "name": "pg",
                                                                      "family": "aurora-postgresql16",
                                                                      "parameters": [{"name": "rds.force_ssl",
                                                                                      "value": value}]}, "pg")
    c = sres("aws:rds/cluster:Cluster", {"engine": "aurora-postgresql", "dbClusterParameterGroupName": "pg"}, "c")
    return [pg, c]


def vpc(default_sg_rules: bool, flow: str | None) -> list[PolicyResource]:
    v = sres("aws:ec2/vpc:Vpc", {"id": "vpc-1", "region": US}, "vpc")
    out = [v, sres("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
                   {"vpcId": "vpc-1", "ingress": [{"protocol": "-1", "self": True}] if default_sg_rules else []}, "dsg")]
    if flow:
        out.append(sres("aws:ec2/flowLog:FlowLog", {"vpcId": "vpc-1", "trafficType": flow}, "flow"))
    return out


def db_instances(n: int) -> list[PolicyResource]:
    c = sres("aws:rds/cluster:Cluster", {"clusterIdentifier": "db", "masterUsername": "app"}, "db")
    return [c, *[sres("aws:rds/clusterInstance:ClusterInstance", {"clusterIdentifier": "db"}, f"db-{i}")
                 for i in range(n)]]


def namespaces(deny: bool) -> list[PolicyResource]:
    ns = sres("kubernetes:core/v1:Namespace", {"metadata": {"name": "tenant-acme"}}, "ns")
    np = sres("kubernetes:networking.k8s.io/v1:NetworkPolicy", {
        "metadata": {"name": "default-deny", "namespace": "tenant-acme"},
        "spec": {"podSelector": {} if deny else {"matchLabels": {"app": "api"}}, "policyTypes": ["Ingress"]}}, "np")
    return [ns, np]


def eu_cell(db_residency: str) -> list[PolicyResource]:
    """An EU cell in eu-west-1 whose DATABASE_HOST is a proxy of `db_residency`."""
    cm = sres("kubernetes:core/v1:ConfigMap", {"metadata": {"name": "app-settings", "namespace": "platform-core"},
                                               "data": {"DATA_DOMAIN": "eu", "DATA_RESIDENCY": "eu",
                                                        "PUBLIC_HOSTNAME": "api.eu.example.com",
                                                        "DATABASE_HOST": "db.proxy.eu-west-1.rds.amazonaws.com"}},
              "cell", region=EU)
    proxy = sres("aws:rds/proxy:Proxy", {"endpoint": "db.proxy.eu-west-1.rds.amazonaws.com", "region": EU,
                                         "tags": {"data-residency": db_residency}}, "proxy", region=EU)
    return [cm, proxy]


def origin_mtls(mode: str | None, store_region: str = US) -> list[PolicyResource]:
    """A Cloudflare-fronted stack: origin pulls on, a trust store in `store_region`, and an
    internet-facing ALB Ingress in us-east-1 whose HTTPS listener runs mutual TLS `mode` (None: none)."""
    arn = f"arn:aws:elasticloadbalancing:{store_region}:1:truststore/prod-origin-pull/0123456789abcdef"
    ann = {"alb.ingress.kubernetes.io/scheme": "internet-facing",
           "alb.ingress.kubernetes.io/listen-ports": json.dumps([{"HTTP": 80}, {"HTTPS": 443}])}
    if mode is not None:
        ann["alb.ingress.kubernetes.io/mutual-authentication"] = json.dumps(
            [{"port": 443, "mode": mode, "trustStore": arn}])
    return [
        sres("cloudflare:index/authenticatedOriginPullsSettings:AuthenticatedOriginPullsSettings",
             {"zoneId": "z", "enabled": True}, "aop", region=None),
        sres("aws:lb/trustStore:TrustStore", {"arn": arn, "name": "prod-origin-pull", "region": store_region},
             "trust", region=store_region),
        sres("kubernetes:networking.k8s.io/v1:Ingress", {
            "metadata": {"name": "api", "namespace": "platform-core", "annotations": ann},
            "spec": {"ingressClassName": "alb"}}, "ingress", region=US),
    ]


Build = Callable[[], list[PolicyResource]]
# policy, compliant stack, non-compliant stack, fragment in a message
def vaults(lock: dict[str, Any] | None, deny: bool = True) -> list[PolicyResource]:
    """A backup vault, its lock (changeableForDays = compliance) and its access policy, joined by name."""
    out = [sres("aws:backup/vault:Vault", {"name": "v1", "id": "v1", "arn": "arn:aws:backup:eu-west-1:1:backup-vault:v1"},
                "vault", region=EU)]
    if lock is not None:
        out.append(sres("aws:backup/vaultLockConfiguration:VaultLockConfiguration",
                        {"backupVaultName": "v1", "minRetentionDays": 30.0, **lock}, "vault-lock", region=EU))
    statement = {"Effect": "Deny" if deny else "Allow", "Principal": {"AWS": "*"},
                 "Action": ["backup:DeleteRecoveryPoint"], "Resource": "arn:aws:backup:eu-west-1:1:backup-vault:v1"}
    out.append(sres("aws:backup/vaultPolicy:VaultPolicy", {"backupVaultName": "v1", "policy": json.dumps(
        {"Version": "2012-10-17", "Statement": [statement]})}, "vault-policy", region=EU))
    return out


def ci_peering(dest: str, *, back: str = "10.40.152.0/26", purpose: str = "ci-deploy",
               dns: bool = False) -> list[PolicyResource]:
    """The deploy runner's peering us-east-1 -> eu-central-1, one route there (to `dest`) and one
    back (to `back`), joined through the accepter by property dependency and unknown id, as in a
    preview. The runner sits in us-east-1's ci tier (10.40.152.0/26), its nodes in 10.40.0.0/19."""
    cluster = sres("aws:ec2/subnet:Subnet", {"id": "subnet-c", "cidrBlock": "10.43.0.0/19", "region": EU2,
                                             "tags": {"tier": "private"}}, "euc1-private-0", region=EU2)
    data = sres("aws:ec2/subnet:Subnet", {"id": "subnet-d", "cidrBlock": "10.43.144.0/24", "region": EU2,
                                          "tags": {"tier": "database"}}, "euc1-database-0", region=EU2)
    runner = sres("aws:ec2/subnet:Subnet", {"id": "subnet-r", "cidrBlock": "10.40.152.0/26", "region": US,
                                            "tags": {"tier": "ci"}}, "use1-ci-0", region=US)
    nodes = sres("aws:ec2/subnet:Subnet", {"id": "subnet-n", "cidrBlock": "10.40.0.0/19", "region": US,
                                           "tags": {"tier": "private"}}, "use1-private-0", region=US)
    conn = sres("aws:ec2/vpcPeeringConnection:VpcPeeringConnection", {
        "id": "pcx-ci", "vpcId": "vpc-use1", "peerVpcId": "vpc-euc1", "peerRegion": EU2, "region": US,
        "tags": {"purpose": purpose}}, "ci-peer-use1-euc1", region=US)
    acc = sres("aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter", {
        "vpcPeeringConnectionId": "pcx-ci", "region": EU2, "tags": {"purpose": purpose}}, "ci-peer-accept", region=EU2)
    route = sres("aws:ec2/route:Route", {"routeTableId": "rtb-use1", "destinationCidrBlock": dest,
                                         "vpcPeeringConnectionId": U, "region": US}, "ci-peer-route", region=US,
                 deps={"vpcPeeringConnectionId": [acc]})
    route_back = sres("aws:ec2/route:Route", {"routeTableId": "rtb-euc1", "destinationCidrBlock": back,
                                              "vpcPeeringConnectionId": U, "region": EU2}, "ci-peer-route-back",
                      region=EU2, deps={"vpcPeeringConnectionId": [acc]})
    out = [cluster, data, runner, nodes, conn, acc, route, route_back]
    if dns:
        out.append(sres("aws:ec2/peeringConnectionOptions:PeeringConnectionOptions", {
            "vpcPeeringConnectionId": "pcx-ci", "requester": {"allowRemoteVpcDnsResolution": True}, "region": US},
            "ci-peer-options", region=US))
    return out


def ci_cluster_rule(source: str, *, port: int = 443, by_value: bool = False) -> list[PolicyResource]:
    """eu-central-1's EKS cluster security group admitting `source` on `port` (the runner's path,
    whether over a CI or a reused domain peering); joined to the cluster by property dependency and
    unknown id (preview) or by the deployed group id."""
    vpcs = [sres("aws:ec2/vpc:Vpc", {"id": f"vpc-{r}", "cidrBlock": c, "region": r}, f"vpc-{r}", region=r)
            for r, c in ((US, "10.40.0.0/16"), (EU2, "10.43.0.0/16"))]
    subnets = [sres("aws:ec2/subnet:Subnet", {"id": f"subnet-{t}", "cidrBlock": c, "region": US, "tags": {"tier": t}},
                    f"use1-{t}-0", region=US) for t, c in (("ci", "10.40.152.0/26"), ("private", "10.40.0.0/19"))]
    cluster = sres("aws:eks/cluster:Cluster", {"id": "euc1", "region": EU2, "vpcConfig": {
        "clusterSecurityGroupId": "sg-euc1" if by_value else U}}, "euc1-cluster", region=EU2)
    rule = sres("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", {
        "securityGroupId": "sg-euc1" if by_value else U, "cidrIpv4": source, "ipProtocol": "tcp",
        "fromPort": float(port), "toPort": float(port), "region": EU2}, "euc1-api-from-runner", region=EU2,
        deps={} if by_value else {"securityGroupId": [cluster]})
    local = sres("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", {
        "securityGroupId": "sg-euc1" if by_value else U, "cidrIpv4": "10.43.0.0/16", "ipProtocol": "-1",
        "region": EU2}, "euc1-api-from-own-vpc", region=EU2, deps={} if by_value else {"securityGroupId": [cluster]})
    return [*vpcs, *subnets, cluster, rule, local]


STACK_CASES: list[tuple[str, Build, Build, str]] = [
    ("backup-vault-locked", lambda: vaults({"changeableForDays": 3.0}), lambda: vaults({}), "governance mode"),
    ("backup-vault-locked", lambda: vaults({"changeableForDays": 3.0}), lambda: vaults(None), "has no Vault Lock"),
    ("backup-vault-locked", lambda: vaults({"changeableForDays": 3.0}),
     lambda: vaults({"changeableForDays": 3.0}, deny=False), "denying backup:DeleteRecoveryPoint"),
    ("residency-aurora-global-members", lambda: aurora_global(EU2), lambda: aurora_global(US), "eu-secondary"),
    ("residency-s3-replication", lambda: s3_replication(EU2, EU2), lambda: s3_replication(US, US), "eu-dst in us-east-1"),
    ("residency-s3-replication", lambda: s3_replication(EU2, EU2), lambda: s3_replication(EU2, EU), "replica KMS key"),
    ("residency-backup-copies", lambda: backups(EU2), lambda: backups(US), "vault in us-east-1"),
    ("residency-secret-replicas", lambda: secret(EU2), lambda: secret(US), "replicated to us-east-1"),
    ("residency-kms-replicas", lambda: kms_replica(EU2), lambda: kms_replica(US), "is in us-east-1"),
    ("residency-elasticache-global-datastore", lambda: datastore(EU2), lambda: datastore(US), "eu-cache-2"),
    ("residency-cloudflare-pools", lambda: cloudflare(EU2), lambda: cloudflare(US), "pool-us-east-1 in us-east-1"),
    ("cloudflare-zone-settings-in-code", lambda: zone_edge("ssl", "min_tls_version", "tls_1_3", "always_use_https"),
     lambda: zone_edge("ssl", "min_tls_version", "always_use_https"), "sets no tls_1_3 in code"),
    ("residency-event-forwarding", lambda: event_forwarding(EU2), lambda: event_forwarding(US),
     "eu-bus-dst in us-east-1"),
    ("residency-event-forwarding", lambda: event_forwarding(EU2), lambda: event_forwarding(EU2, "global"),
     "forwards events of data domain eu to bus eu-bus-dst of data domain global"),
    ("residency-event-forwarding", lambda: event_forwarding(EU2), lambda: event_forwarding(EU2, foreign=True),
     "which is not a bus of this stack"),
    ("residency-ci-peering-scope", lambda: ci_peering("10.43.0.0/19"), lambda: ci_peering("10.43.144.0/24"),
     "not a cluster (tier=private) subnet"),
    ("residency-ci-peering-scope", lambda: ci_peering("10.43.0.0/19"), lambda: ci_peering("10.43.0.0/16"),
     "goes to 10.43.0.0/16"),
    ("residency-ci-peering-scope", lambda: ci_peering("10.43.0.0/16", purpose="domain"),
     lambda: ci_peering("10.43.0.0/19", dns=True), "remote VPC DNS resolution"),
    ("residency-ci-peering-scope", lambda: ci_peering("10.43.0.0/19"), lambda: ci_peering("10.43.0.0/19", back="10.40.0.0/19"),
     "not a CI runner (tier=ci) subnet of us-east-1"),
    ("residency-ci-peering-scope", lambda: ci_peering("10.43.0.0/19"), lambda: ci_peering("10.43.0.0/19", back="10.40.0.0/16"),
     "goes back to 10.40.0.0/16"),
    ("residency-ci-peering-scope", lambda: ci_cluster_rule("10.40.152.0/26"), lambda: ci_cluster_rule("10.40.0.0/19"),
     "admits 10.40.0.0/19 (tcp 443-443) from us-east-1"),
    ("residency-ci-peering-scope", lambda: ci_cluster_rule("10.40.152.0/26", by_value=True),
     lambda: ci_cluster_rule("10.40.0.0/16", by_value=True), "never a node tier or a whole VPC"),
    ("residency-ci-peering-scope", lambda: ci_cluster_rule("10.40.152.0/26"), lambda: ci_cluster_rule("10.40.152.0/26", port=22),
     "admits 10.40.152.0/26 (tcp 22-22)"),
    ("s3-bucket-sse-kms-customer-key", s3_stack,
     lambda: s3_stack(sse={"rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}]}), "AES256"),
    ("eks-node-volumes-encrypted", lambda: nodegroups(True), lambda: nodegroups(False), "neither a launch template"),
    ("kms-key-same-region", lambda: key_region(US), lambda: key_region(EU), "in eu-west-1"),
    ("aurora-postgres-force-ssl", lambda: force_ssl("1"), lambda: force_ssl("0"), "rds.force_ssl=1"),
    ("s3-deny-insecure-transport", s3_stack, lambda: s3_stack(tls=False), "aws:SecureTransport"),
    ("vpc-default-security-group-closed", lambda: vpc(False, "ALL"), lambda: vpc(True, "ALL"), "has rules"),
    ("s3-block-public-access", s3_stack, lambda: s3_stack(pab={"blockPublicAcls": False}), "blockPublicPolicy"),
    ("s3-no-public-acls", s3_stack, lambda: s3_stack(acl="public-read"), "public-read"),
    ("rds-cluster-multi-az", lambda: db_instances(2), lambda: db_instances(1), "has 1 instance"),
    ("s3-versioning-enabled", s3_stack, lambda: s3_stack(versioning="Suspended"), "versioning"),
    ("vpc-flow-logs", lambda: vpc(False, "ALL"), lambda: vpc(False, "REJECT"), "trafficType ALL"),
    ("s3-access-logging", s3_stack, lambda: s3_stack(logging=False), "bucket data has no server access logging"),
    ("k8s-namespace-default-deny", lambda: namespaces(True), lambda: namespaces(False), "default-deny"),
    ("path-residency", lambda: eu_cell("eu"), lambda: eu_cell("none"), "reaches database db.proxy.eu-west-1"),
    ("alb-origin-mtls", lambda: origin_mtls("verify"), lambda: origin_mtls(None), "any Cloudflare zone"),
    ("alb-origin-mtls", lambda: origin_mtls("verify"), lambda: origin_mtls("passthrough"), "mutual-authentication"),
    ("alb-origin-mtls", lambda: origin_mtls("verify"), lambda: origin_mtls("verify", EU), "not in the Ingress's region"),
]


@pytest.mark.parametrize("case", STACK_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(STACK_CASES)])
def test_stack_policy_passes_compliant_and_flags_non_compliant(case: tuple[str, Build, Build, str]) -> None:
    name, good, bad, fragment = case
    assert check_stack(name, good()) == []
    found = check_stack(name, bad())
    assert found, f"{name} did not flag the non-compliant stack"
    assert any(fragment in m for m, _ in found), found
    assert all(urn for _, urn in found), "stack violations name the offending resource"


def test_every_stack_policy_has_a_unit_case() -> None:
    covered = {c[0] for c in STACK_CASES}
    assert {p.name for p in POLICIES if isinstance(p, PackStackPolicy)} - covered == set()


def test_log_target_bucket_may_use_sse_s3_only_because_it_receives_logs() -> None:
    """The access-log bucket uses AES256 (S3 cannot deliver logs to SSE-KMS); any other bucket may not."""
    stack = s3_stack(logging=False)
    stack = [r for r in stack if r.resource_type != "aws:s3/bucketLogging:BucketLogging"]
    found = check_stack("s3-bucket-sse-kms-customer-key", stack)
    assert [m for m, _ in found if "bucket logs" in m], found
