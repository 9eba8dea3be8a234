"""Realistic provider state for resources under mocks.

A mock that echoes inputs leaves ARNs, endpoints and kubeconfigs empty, so wiring bugs hide.
Each function here returns what the real provider would add after create: ARNs carrying the
resource's region, endpoints, EKS OIDC issuers and CA data, load balancer hostnames.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from typing import Any

ACCOUNT_ID = "111122223333"


def short_hash(*parts: str, n: int = 8) -> str:
    return hashlib.sha1("/".join(parts).encode()).hexdigest()[:n]


def physical_name(name: str, inputs: dict[str, Any]) -> str:
    for key in ("name", "bucket", "clusterIdentifier", "replicationGroupId", "globalClusterIdentifier",
                "identifier", "clusterName", "roleName", "functionName"):
        value = inputs.get(key)
        if isinstance(value, str) and value:
            return value
    return f"{name}-{short_hash(name, n=7)}"


def arn(service: str, region: str, resource: str) -> str:
    return f"arn:aws:{service}:{region}:{ACCOUNT_ID}:{resource}"


Extra = Callable[[str, dict[str, Any], str], dict[str, Any]]


def _eks_cluster(name: str, inputs: dict[str, Any], region: str) -> dict[str, Any]:
    cid = short_hash(name, region, n=32).upper()
    ca = base64.b64encode(f"-----BEGIN CERTIFICATE-----\nMOCK{cid}\n-----END CERTIFICATE-----".encode())
    return {
        "arn": arn("eks", region, f"cluster/{physical_name(name, inputs)}"),
        "endpoint": f"https://{cid}.gr7.{region}.eks.amazonaws.com",
        "certificateAuthority": {"data": ca.decode()},
        "identities": [{"oidcs": [{"issuer": f"https://oidc.eks.{region}.amazonaws.com/id/{cid}"}]}],
        "status": "ACTIVE",
        "platformVersion": "eks.10",
        "vpcConfig": {**(inputs.get("vpcConfig") or {}), "clusterSecurityGroupId": f"sg-{short_hash(name, 'c')}",
                      "vpcId": f"vpc-{short_hash(name)}"},
    }


def _rds_cluster(name: str, inputs: dict[str, Any], region: str) -> dict[str, Any]:
    ident = physical_name(name, inputs)
    host = f"{ident}.cluster-{short_hash(region, n=12)}.{region}.rds.amazonaws.com"
    managed = {}
    if inputs.get("manageMasterUserPassword"):
        # RDS names the secret `rds!cluster-<uuid>` and encrypts it with masterUserSecretKmsKeyId.
        secret = f"rds!cluster-{short_hash(name, n=8)}-{short_hash(ident, n=4)}-{short_hash(region, n=4)}"
        managed = {"masterUserSecrets": [{"secretArn": arn("secretsmanager", region, f"secret:{secret}-a1b2c3"),
                                          "kmsKeyId": inputs.get("masterUserSecretKmsKeyId"),
                                          "secretStatus": "active"}]}
    return {
        **managed,
        "arn": arn("rds", region, f"cluster:{ident}"),
        "clusterIdentifier": ident,
        "endpoint": host,
        "readerEndpoint": host.replace(".cluster-", ".cluster-ro-"),
        "port": inputs.get("port", 5432),
        "clusterResourceId": f"cluster-{short_hash(name, n=26).upper()}",
    }


def _rds_instance(name: str, inputs: dict[str, Any], region: str) -> dict[str, Any]:
    ident = physical_name(name, inputs)
    return {"arn": arn("rds", region, f"db:{ident}"), "identifier": ident,
            "endpoint": f"{ident}.{short_hash(region, n=12)}.{region}.rds.amazonaws.com:5432"}


def _rds_proxy(name: str, inputs: dict[str, Any], region: str) -> dict[str, Any]:
    ident = physical_name(name, inputs)
    return {"arn": arn("rds", region, f"db-proxy:prx-{short_hash(name, n=17)}"),
            "endpoint": f"{ident}.proxy-{short_hash(region, n=12)}.{region}.rds.amazonaws.com"}


def _rds_proxy_endpoint(name: str, inputs: dict[str, Any], region: str) -> dict[str, Any]:
    ident = str(inputs.get("dbProxyEndpointName") or name)
    return {"arn": arn("rds", region, f"db-proxy-endpoint:prx-endpoint-{short_hash(name, n=17)}"),
            "endpoint": f"{ident}.endpoint.proxy-{short_hash(region, n=12)}.{region}.rds.amazonaws.com",
            "isDefault": False}


def _global_cluster(name: str, inputs: dict[str, Any], region: str) -> dict[str, Any]:
    ident = physical_name(name, inputs)
    return {"arn": f"arn:aws:rds::{ACCOUNT_ID}:global-cluster:{ident}", "globalClusterIdentifier": ident,
            "globalClusterResourceId": f"cluster-{short_hash(name, n=16)}"}


def _replication_group(name: str, inputs: dict[str, Any], region: str) -> dict[str, Any]:
    ident = physical_name(name, inputs)
    base = f"{ident}.{short_hash(name, n=6)}.{region[:2]}{region.rsplit('-', maxsplit=1)[-1]}.cache.amazonaws.com"
    return {
        "arn": arn("elasticache", region, f"replicationgroup:{ident}"),
        "primaryEndpointAddress": f"master.{base}",
        "readerEndpointAddress": f"replica.{base}",
        "configurationEndpointAddress": f"clustercfg.{base}",
        "port": 6379,
    }


def _bucket(name: str, inputs: dict[str, Any], region: str) -> dict[str, Any]:
    bucket = physical_name(name, inputs)
    return {"bucket": bucket, "arn": f"arn:aws:s3:::{bucket}",
            "bucketRegionalDomainName": f"{bucket}.s3.{region}.amazonaws.com", "region": region}


def _kms_key(name: str, inputs: dict[str, Any], region: str) -> dict[str, Any]:
    key_id = f"{short_hash(name, region, n=8)}-1234-4abc-8def-{short_hash(name, n=12)}"
    return {"arn": arn("kms", region, f"key/{key_id}"), "keyId": key_id}


def _iam(kind: str) -> Extra:
    def extra(name: str, inputs: dict[str, Any], region: str) -> dict[str, Any]:
        phys = physical_name(name, inputs)
        return {"arn": f"arn:aws:iam::{ACCOUNT_ID}:{kind}/{phys}", "name": phys,
                "uniqueId": f"AROA{short_hash(name, n=17).upper()}"}
    return extra


def _oidc_provider(name: str, inputs: dict[str, Any], region: str) -> dict[str, Any]:
    url = str(inputs.get("url", "")).removeprefix("https://")
    return {"arn": f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/{url}"}


def _vpc(name: str, inputs: dict[str, Any], region: str) -> dict[str, Any]:
    return {"arn": arn("ec2", region, f"vpc/vpc-{short_hash(name)}"),
            "defaultSecurityGroupId": f"sg-{short_hash(name, 'default')}",
            "mainRouteTableId": f"rtb-{short_hash(name, 'main')}",
            "defaultRouteTableId": f"rtb-{short_hash(name, 'main')}",
            "defaultNetworkAclId": f"acl-{short_hash(name, 'acl')}"}


def _eip(name: str, inputs: dict[str, Any], region: str) -> dict[str, Any]:
    h = int(short_hash(name, region), 16)
    return {"publicIp": f"198.51.{h % 250}.{(h >> 8) % 250}", "allocationId": f"eipalloc-{short_hash(name)}"}


def _certificate(name: str, inputs: dict[str, Any], region: str) -> dict[str, Any]:
    domains = [inputs.get("domainName", "example.com"), *(inputs.get("subjectAlternativeNames") or [])]
    return {
        "arn": arn("acm", region, f"certificate/{short_hash(name, region, n=36)}"),
        "domainValidationOptions": [
            {"domainName": d, "resourceRecordName": f"_{short_hash(d)}.{d}.",
             "resourceRecordType": "CNAME", "resourceRecordValue": f"_{short_hash(d, 'v')}.acm-validations.aws."}
            for d in domains
        ],
    }


def _ingress(name: str, inputs: dict[str, Any], region: str) -> dict[str, Any]:
    host = f"k8s-{short_hash(name, n=20)}.{region}.elb.amazonaws.com"
    return {"status": {"loadBalancer": {"ingress": [{"hostname": host}]}}}


def _random_password(name: str, inputs: dict[str, Any], region: str) -> dict[str, Any]:
    length = int(inputs.get("length", 32))
    specials = str(inputs.get("overrideSpecial") or "!#$")
    base = (short_hash(name, n=40) * 4)[: max(length - 1, 1)]
    return {"result": (base + (specials[0] if inputs.get("special", True) else "x"))[:length],
            "bcryptHash": "$2a$10$" + short_hash(name, n=53)}


def _eks_node_group(name: str, inputs: dict[str, Any], region: str) -> dict[str, Any]:
    cluster = str(inputs.get("clusterName", ""))
    ng = inputs.get("nodeGroupName") or f"{inputs.get('nodeGroupNamePrefix', name + '-')}{short_hash(name, n=26)}"
    return {"nodeGroupName": ng, "status": "ACTIVE",
            "arn": arn("eks", region, f"nodegroup/{cluster}/{ng}/{short_hash(name, region, n=8)}"),
            "resources": [{"autoscalingGroups": [{"name": f"eks-{ng}-{short_hash(name, 'asg', n=8)}"}],
                           "remoteAccessSecurityGroupId": ""}]}


def _launch_template(name: str, inputs: dict[str, Any], region: str) -> dict[str, Any]:
    lt_id = "lt-" + short_hash("aws:ec2/launchTemplate:LaunchTemplate", name, n=17)
    return {"arn": arn("ec2", region, f"launch-template/{lt_id}"), "latestVersion": 1, "defaultVersion": 1}


def _eks_addon(name: str, inputs: dict[str, Any], region: str) -> dict[str, Any]:
    return {"arn": arn("eks", region, f"addon/{inputs.get('clusterName', '')}/{inputs.get('addonName', name)}/"
                                      f"{short_hash(name, n=8)}")}


def _pod_identity_association(name: str, inputs: dict[str, Any], region: str) -> dict[str, Any]:
    assoc = f"a-{short_hash(name, region, n=17)}"
    return {"associationId": assoc,
            "associationArn": arn("eks", region, f"podidentityassociation/{inputs.get('clusterName', '')}/{assoc}")}


def _trust_store(name: str, inputs: dict[str, Any], region: str) -> dict[str, Any]:
    phys = physical_name(name, inputs)
    return {"arn": arn("elasticloadbalancing", region, f"truststore/{phys}/{short_hash(name, region, n=16)}"),
            "name": phys}


def _region_switch_plan(name: str, inputs: dict[str, Any], region: str) -> dict[str, Any]:
    """Plans are global: `arn:aws:arc-region-switch::<account>:plan/<name>:<6 characters>` (the API's pattern)."""
    phys = physical_name(name, inputs)
    return {"arn": f"arn:aws:arc-region-switch::{ACCOUNT_ID}:plan/{phys}:{short_hash(name, n=6)}"}


def _sqs_queue(name: str, inputs: dict[str, Any], region: str) -> dict[str, Any]:
    """SQS returns the queue's URL (`https://sqs.<region>.amazonaws.com/<account>/<name>`) with its ARN."""
    phys = physical_name(name, inputs)
    return {"arn": arn("sqs", region, phys), "url": f"https://sqs.{region}.amazonaws.com/{ACCOUNT_ID}/{phys}"}


def _event_bus(name: str, inputs: dict[str, Any], region: str) -> dict[str, Any]:
    return {"arn": arn("events", region, f"event-bus/{physical_name(name, inputs)}")}


def _generic_arn(service: str, prefix: str) -> Extra:
    def extra(name: str, inputs: dict[str, Any], region: str) -> dict[str, Any]:
        return {"arn": arn(service, region, f"{prefix}{physical_name(name, inputs)}")}
    return extra


EXTRAS: dict[str, Extra] = {
    "aws:eks/cluster:Cluster": _eks_cluster,
    "aws:rds/cluster:Cluster": _rds_cluster,
    "aws:rds/clusterInstance:ClusterInstance": _rds_instance,
    "aws:rds/proxy:Proxy": _rds_proxy,
    "aws:rds/proxyEndpoint:ProxyEndpoint": _rds_proxy_endpoint,
    "aws:rds/globalCluster:GlobalCluster": _global_cluster,
    "aws:elasticache/replicationGroup:ReplicationGroup": _replication_group,
    "aws:s3/bucket:Bucket": _bucket,
    "aws:s3/bucketV2:BucketV2": _bucket,
    "aws:kms/key:Key": _kms_key,
    "aws:kms/replicaKey:ReplicaKey": _kms_key,
    "aws:iam/role:Role": _iam("role"),
    "aws:iam/policy:Policy": _iam("policy"),
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": _oidc_provider,
    "aws:ec2/vpc:Vpc": _vpc,
    "aws:ec2/eip:Eip": _eip,
    "aws:acm/certificate:Certificate": _certificate,
    "kubernetes:networking.k8s.io/v1:Ingress": _ingress,
    "random:index/randomPassword:RandomPassword": _random_password,
    "aws:secretsmanager/secret:Secret": _generic_arn("secretsmanager", "secret:"),
    "aws:sns/topic:Topic": _generic_arn("sns", ""),
    "aws:sqs/queue:Queue": _sqs_queue,
    "aws:cloudwatch/eventBus:EventBus": _event_bus,
    "aws:cloudwatch/logGroup:LogGroup": _generic_arn("logs", "log-group:"),
    "aws:eks/nodeGroup:NodeGroup": _eks_node_group,
    "aws:eks/addon:Addon": _eks_addon,
    "aws:eks/podIdentityAssociation:PodIdentityAssociation": _pod_identity_association,
    "aws:backup/vault:Vault": _generic_arn("backup", "backup-vault:"),
    "aws:backup/plan:Plan": _generic_arn("backup", "backup-plan:"),
    "aws:ec2/launchTemplate:LaunchTemplate": _launch_template,
    "aws:cloudtrail/trail:Trail": _generic_arn("cloudtrail", "trail/"),
    "aws:lb/trustStore:TrustStore": _trust_store,
    "aws:arcregionswitch/plan:Plan": _region_switch_plan,
}

# Prefixes of ids that real providers return, so ids look like the real thing in plans.
ID_PREFIX = {
    "aws:ec2/vpc:Vpc": "vpc-", "aws:ec2/subnet:Subnet": "subnet-", "aws:ec2/securityGroup:SecurityGroup": "sg-",
    "aws:ec2/natGateway:NatGateway": "nat-", "aws:ec2/internetGateway:InternetGateway": "igw-",
    "aws:ec2/routeTable:RouteTable": "rtb-", "aws:ec2/eip:Eip": "eipalloc-",
    "aws:ec2/vpcEndpoint:VpcEndpoint": "vpce-", "aws:ec2/launchTemplate:LaunchTemplate": "lt-",
    "aws:ec2/vpcPeeringConnection:VpcPeeringConnection": "pcx-",
}


def resource_id(typ: str, name: str, inputs: dict[str, Any]) -> str:
    prefix = ID_PREFIX.get(typ)
    if prefix:
        return prefix + short_hash(typ, name, n=17)
    if typ.startswith("kubernetes:"):
        meta = inputs.get("metadata") or {}
        ns = meta.get("namespace")
        nm = meta.get("name", name)
        return f"{ns}/{nm}" if ns else str(nm)
    return physical_name(name, inputs)


def state_for(typ: str, name: str, inputs: dict[str, Any], region: str) -> dict[str, Any]:
    """Inputs plus what the provider computes; never an empty dict."""
    state: dict[str, Any] = dict(inputs)
    if typ.startswith("kubernetes:"):
        meta = dict(inputs.get("metadata") or {})
        meta.setdefault("name", name)
        state["metadata"] = meta
    extra = EXTRAS.get(typ)
    if extra is not None:
        state.update(extra(name, inputs, region))
    elif typ.startswith("aws:") and "arn" not in state:
        service = typ.split(":")[1].split("/", maxsplit=1)[0]
        state["arn"] = arn(service, region, f"{typ.rsplit(':', maxsplit=1)[-1].lower()}/{physical_name(name, inputs)}")
    return state
