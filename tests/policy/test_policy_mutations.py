# ruff: noqa: E501
"""The whole pack over every stack's real plan, and over mutated copies of it.

Integration: the pack runs in-process over each stack's full plan from the harness (as the
offline preview does) and finds no mandatory violation beyond the known findings listed below,
each one a real gap reported to its owner (the test fails when one is fixed, so the list shrinks).
Mutations: one insecure change to the real prod plan, and the right policy names that resource.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Callable
from typing import Any

import pytest
from policy_helpers import MEMO, fresh, own, plan_for

from policy.agentic_policies.runner import Result
from stacks.harness import Plan, PlannedResource
from stacks.reports.policy import report, run_plan

STACKS = ["local", "dev", "staging", "prod"]

# (policy, resource-name glob) mandatory violations that are real findings in others' areas, by
# stack, each reported to its owner. Empty now: the earlier findings (PodIdentityRole on the default
# provider, monitoring namespace without default-deny, ALB access logs off, unprotected staging keys)
# were fixed. The test fails when a listed finding disappears, so the list only shrinks.
KNOWN_FINDINGS: dict[str, set[tuple[str, str]]] = {"local": set(), "dev": set(), "staging": set(), "prod": set()}

_RESULTS: dict[str, Result] = {}
DELETION, VIA_ESO, POOLS = "rds-cluster-deletion-protection", "k8s-secrets-via-external-secrets", "residency-cloudflare-pools"


def baseline(stack: str) -> Result:
    if stack not in _RESULTS:
        _RESULTS[stack] = run_plan(plan_for(stack), memo=MEMO)
    return _RESULTS[stack]


def _names(plan: Plan) -> dict[str, str]:
    return {r.urn: r.name for r in plan.resources}


@pytest.mark.parametrize("stack", STACKS)
def test_real_plan_has_no_mandatory_violation_beyond_known_findings(stack: str) -> None:
    names = _names(plan_for(stack))
    found = {(v.policy, names.get(v.urn, v.urn)) for v in baseline(stack).mandatory}

    def known(policy: str, name: str) -> bool:
        return any(policy == p and fnmatch.fnmatchcase(name, glob) for p, glob in KNOWN_FINDINGS[stack])

    unexpected = sorted(f for f in found if not known(*f))
    assert not unexpected, "new mandatory violations:\n" + "\n".join(
        f"  {p} on {n}: " + next(v.message for v in baseline(stack).mandatory if v.policy == p)
        for p, n in unexpected)
    fixed = sorted(k for k in KNOWN_FINDINGS[stack]
                   if not any(p == k[0] and fnmatch.fnmatchcase(n, k[1]) for p, n in found))
    assert not fixed, f"known findings now fixed, remove them from KNOWN_FINDINGS: {fixed}"


def test_preview_report_groups_violations_and_fails_on_mandatory() -> None:
    plan = fresh("dev")
    cluster = next(r for r in plan.of_type("aws:rds/cluster:Cluster"))
    _set(cluster, "storageEncrypted", False)
    rep = report(plan)
    assert rep.failed
    assert any(line.startswith("[mandatory] rds-cluster-storage-encrypted") for line in rep.lines)
    assert any(v["policy"] == "rds-cluster-storage-encrypted" and v["urn"] == cluster.urn
               for v in rep.data["violations"])
    json.dumps(rep.data)  # the preview writes it into its JSON


# --- mutations ------------------------------------------------------------------------------------

def _set(r: PlannedResource, path: str, value: Any) -> None:
    """Set a dotted path in the resource's inputs and outputs (the mock state mirrors inputs)."""
    own(r)
    for tree in (r.inputs, r.outputs):
        cur: Any = tree
        parts = path.split(".")
        for part in parts[:-1]:
            cur = cur[int(part)] if isinstance(cur, list) else cur.setdefault(part, {})
        if isinstance(cur, list):
            cur[int(parts[-1])] = value
        else:
            cur[parts[-1]] = value


def _one(plan: Plan, rtype: str, pred: Callable[[PlannedResource], Any]) -> PlannedResource:
    found = [r for r in plan.of_type(rtype) if pred(r)]
    assert found, f"no {rtype} matches in the {plan.stack} plan"
    return found[0]


def _eu(r: PlannedResource) -> bool:
    return (r.inputs.get("tags") or {}).get("data-residency") == "eu"


def m_unencrypted_aurora(plan: Plan) -> PlannedResource:
    r = _one(plan, "aws:rds/cluster:Cluster", _eu)
    _set(r, "storageEncrypted", False)
    return r


def m_bucket_sse_s3(plan: Plan) -> PlannedResource:
    crr = _one(plan, "aws:s3/bucketReplicationConfig:BucketReplicationConfig", lambda r: True)
    src = crr.inputs["bucket"]
    sse = _one(plan, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
               lambda r: r.inputs.get("bucket") == src)
    _set(sse, "rules", [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}])
    return _one(plan, "aws:s3/bucket:Bucket", lambda r: r.outputs.get("bucket") == src)


def m_eu_member_in_us(plan: Plan) -> PlannedResource:
    r = _one(plan, "aws:rds/cluster:Cluster",
             lambda r: _eu(r) and r.inputs.get("globalClusterIdentifier") and r.region != "eu-west-1")
    _set(r, "region", "us-east-1")
    return r


def m_secret_replica_outside_eu(plan: Plan) -> PlannedResource:
    r = _one(plan, "aws:secretsmanager/secret:Secret", lambda r: _eu(r) and r.inputs.get("replicas"))
    _set(r, "replicas.0.region", "us-east-1")
    return r


def m_replication_to_us(plan: Plan) -> PlannedResource:
    r = _one(plan, "aws:s3/bucketReplicationConfig:BucketReplicationConfig", lambda r: r.region == "eu-west-1")
    us_bucket = _one(plan, "aws:s3/bucket:Bucket", lambda b: b.region == "us-east-1" and not _eu(b))
    _set(r, "rules.0.destination.bucket", us_bucket.outputs["arn"])
    return r


def m_backup_copy_to_us(plan: Plan) -> PlannedResource:
    r = _one(plan, "aws:backup/plan:Plan", _eu)
    _set(r, "rules.0.copyActions.0.destinationVaultArn", "arn:aws:backup:us-east-1:111122223333:backup-vault:x")
    return r


def m_public_access_block_off(plan: Plan) -> PlannedResource:
    pab = _one(plan, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", lambda r: True)
    _set(pab, "blockPublicPolicy", False)
    return _one(plan, "aws:s3/bucket:Bucket", lambda r: r.outputs.get("bucket") == pab.inputs["bucket"])


def m_privileged_container(plan: Plan) -> PlannedResource:
    r = _one(plan, "kubernetes:apps/v1:Deployment", lambda r: r.name.endswith("deploy-api"))
    _set(r, "spec.template.spec.containers.0.securityContext.privileged", True)
    return r


def m_ssh_open_to_world(plan: Plan) -> PlannedResource:
    r = own(_one(plan, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", lambda r: True))
    for key in ("referencedSecurityGroupId", "cidrIpv4", "prefixListId"):
        r.inputs.pop(key, None)
        r.outputs.pop(key, None)
    _set(r, "cidrIpv4", "0.0.0.0/0")
    _set(r, "ipProtocol", "tcp")
    _set(r, "fromPort", 22)
    _set(r, "toPort", 22)
    return r


def m_redis_preferred_tls(plan: Plan) -> PlannedResource:
    r = _one(plan, "aws:elasticache/replicationGroup:ReplicationGroup", _eu)
    _set(r, "transitEncryptionMode", "preferred")
    return r


def m_admin_policy(plan: Plan) -> PlannedResource:
    r = _one(plan, "aws:iam/rolePolicy:RolePolicy", lambda r: True)
    _set(r, "policy", json.dumps({"Version": "2012-10-17",
                                  "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
    return r


def m_key_from_other_region(plan: Plan) -> PlannedResource:
    r = _one(plan, "aws:rds/cluster:Cluster", lambda r: _eu(r) and r.region == "eu-west-1")
    _set(r, "kmsKeyId", "arn:aws:kms:us-east-1:111122223333:key/00000000-1234-4abc-8def-000000000000")
    return r


def m_force_ssl_off(plan: Plan) -> PlannedResource:
    pg = _one(plan, "aws:rds/clusterParameterGroup:ClusterParameterGroup", _eu)
    params = [p for p in pg.inputs.get("parameters", []) if p.get("name") != "rds.force_ssl"]
    _set(pg, "parameters", [*params, {"name": "rds.force_ssl", "value": "0"}])
    return _one(plan, "aws:rds/cluster:Cluster",
                lambda c: c.inputs.get("dbClusterParameterGroupName") in (pg.inputs.get("name"), pg.id))


def m_no_deletion_protection(plan: Plan) -> PlannedResource:
    r = _one(plan, "aws:rds/cluster:Cluster", _eu)
    _set(r, "deletionProtection", False)
    return r


def m_public_eks_endpoint(plan: Plan) -> PlannedResource:
    r = _one(plan, "aws:eks/cluster:Cluster", lambda r: True)
    _set(r, "vpcConfig.endpointPublicAccess", True)
    _set(r, "vpcConfig.publicAccessCidrs", ["0.0.0.0/0"])
    return r


def m_ci_peering_whole_vpc(plan: Plan) -> PlannedResource:
    """The deploy runner's cross-domain peering routing eu-central-1's whole VPC (data subnets too)."""
    accepters = {a.id for a in plan.of_type("aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter")
                 if a.tags.get("purpose") == "ci-deploy"}
    r = _one(plan, "aws:ec2/route:Route", lambda r: r.get("vpcPeeringConnectionId") in accepters)
    _set(r, "destinationCidrBlock", "10.43.0.0/16")
    return r


def m_ci_route_back_to_node_tier(plan: Plan) -> PlannedResource:
    """eu-central-1's route back over the CI peering widened from the runner's ci subnet to
    us-east-1's node (private) subnet: every pod there could reach the EU cluster's endpoint."""
    accepters = {a.id for a in plan.of_type("aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter")
                 if a.tags.get("purpose") == "ci-deploy"}
    nodes = _one(plan, "aws:ec2/subnet:Subnet", lambda s: s.region == "us-east-1" and s.tags.get("tier") == "private")
    r = _one(plan, "aws:ec2/route:Route",
             lambda r: r.get("vpcPeeringConnectionId") in accepters and r.region == "eu-central-1")
    _set(r, "destinationCidrBlock", nodes.get("cidrBlock"))
    return r


def m_ci_cluster_rule_too_wide(plan: Plan) -> PlannedResource:
    """eu-west-1's cluster SG rule for the deploy runner (over the reused domain peering, so no
    ci-deploy connection is involved) widened to us-east-1's whole VPC."""
    r = _one(plan, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
             lambda r: r.region == "eu-west-1" and r.component == "agentic:network:CiPeering")
    _set(r, "cidrIpv4", "10.40.0.0/16")
    return r


def m_eu_bucket_in_us(plan: Plan) -> PlannedResource:
    r = _one(plan, "aws:s3/bucket:Bucket", _eu)
    _set(r, "region", "us-east-1")
    return r


def m_missing_cost_center(plan: Plan) -> PlannedResource:
    provider = _one(plan, "pulumi:providers:aws", lambda r: True)
    tags = json.loads(provider.inputs["defaultTags"])
    tags["tags"].pop("cost-center")
    _set(provider, "defaultTags", json.dumps(tags))
    return _one(plan, "aws:kms/key:Key", lambda r: "cost-center" not in (r.inputs.get("tags") or {}))


def m_eu_pool_in_us(plan: Plan) -> PlannedResource:
    lb = _one(plan, "cloudflare:index/loadBalancer:LoadBalancer", lambda r: r.inputs.get("name", "").startswith("api.eu."))
    us_pool = _one(plan, "cloudflare:index/loadBalancerPool:LoadBalancerPool",
                   lambda r: r.name.endswith("us-east-1") and "-eu-" not in r.name)
    _set(lb, "defaultPools", [*lb.inputs["defaultPools"], us_pool.outputs.get("id") or us_pool.id])
    return lb


def m_eu_tenant_namespace_on_us_cluster(plan: Plan) -> PlannedResource:
    ns = _one(plan, "kubernetes:core/v1:Namespace",
              lambda r: (r.inputs["metadata"].get("labels") or {}).get("agentic.io/data-residency") == "eu")
    us = _one(plan, "kubernetes:core/v1:Namespace", lambda r: r.region == "us-east-1")
    ns.provider = us.provider  # the same namespace, created through the us-east-1 cluster's provider
    return ns


def m_edge_ssl_flexible(plan: Plan) -> PlannedResource:
    r = _one(plan, "cloudflare:index/zoneSetting:ZoneSetting", lambda r: r.inputs.get("settingId") == "ssl")
    _set(r, "value", "flexible")  # Cloudflare -> origin in plaintext
    return r


def m_origin_mtls_off(plan: Plan) -> PlannedResource:
    r = _one(plan, "kubernetes:networking.k8s.io/v1:Ingress",
             lambda r: "alb.ingress.kubernetes.io/mutual-authentication" in r.inputs["metadata"]["annotations"])
    own(r)
    for tree in (r.inputs, r.outputs):  # any Cloudflare zone could reach this origin again
        tree["metadata"]["annotations"].pop("alb.ingress.kubernetes.io/mutual-authentication")
    return r


def m_edge_tls_1_0(plan: Plan) -> PlannedResource:
    r = _one(plan, "cloudflare:index/zoneSetting:ZoneSetting", lambda r: r.inputs.get("settingId") == "min_tls_version")
    _set(r, "value", "1.0")
    return r


def m_edge_setting_left_to_the_dashboard(plan: Plan) -> PlannedResource:
    """The zone's tls_1_3 ZoneSetting removed from the code: the zone's load balancer is reported."""
    setting = _one(plan, "cloudflare:index/zoneSetting:ZoneSetting", lambda r: r.inputs.get("settingId") == "tls_1_3")
    plan.resources.remove(setting)
    return _one(plan, "cloudflare:index/loadBalancer:LoadBalancer", lambda r: r.inputs.get("zoneId") == setting.inputs["zoneId"])


def m_secret_store_without_role(plan: Plan) -> PlannedResource:
    r = _one(plan, "kubernetes:external-secrets.io/v1:SecretStore",
             lambda r: str(r.inputs.get("metadata", {}).get("namespace")).startswith("tenant-"))
    own(r)
    for tree in (r.inputs, r.outputs):
        tree["spec"]["provider"]["aws"].pop("role", None)
    return r


MUTATIONS: list[tuple[str, Callable[[Plan], PlannedResource], str]] = [
    ("tenant SecretStore reading with the controller's identity", m_secret_store_without_role, "k8s-secretstore-role"),
    ("encryption off (Aurora)", m_unencrypted_aurora, "rds-cluster-storage-encrypted"),
    ("bucket back to SSE-S3", m_bucket_sse_s3, "s3-bucket-sse-kms-customer-key"),
    ("EU Aurora Global member in the US", m_eu_member_in_us, "residency-aurora-global-members"),
    ("EU Aurora Global member in the US (tag)", m_eu_member_in_us, "residency-tagged-resource-in-residency"),
    ("EU secret replica outside the EU", m_secret_replica_outside_eu, "residency-secret-replicas"),
    ("EU objects replicated to the US", m_replication_to_us, "residency-s3-replication"),
    ("EU backups copied to the US", m_backup_copy_to_us, "residency-backup-copies"),
    ("public bucket", m_public_access_block_off, "s3-block-public-access"),
    ("privileged container", m_privileged_container, "k8s-no-privileged-containers"),
    ("SSH open to the world", m_ssh_open_to_world, "security-group-no-public-ingress"),
    ("Redis TLS preferred", m_redis_preferred_tls, "elasticache-transit-encryption-required"),
    ("admin IAM policy", m_admin_policy, "iam-no-wildcard-admin"),
    ("KMS key from another region", m_key_from_other_region, "kms-key-same-region"),
    ("rds.force_ssl off", m_force_ssl_off, "aurora-postgres-force-ssl"),
    ("no deletion protection", m_no_deletion_protection, "rds-cluster-deletion-protection"),
    ("public EKS endpoint", m_public_eks_endpoint, "eks-endpoint-not-public"),
    ("CI peering routing a whole VPC", m_ci_peering_whole_vpc, "residency-ci-peering-scope"),
    ("CI peering answering the runner region's nodes", m_ci_route_back_to_node_tier, "residency-ci-peering-scope"),
    ("cluster SG admitting the runner's whole VPC", m_ci_cluster_rule_too_wide, "residency-ci-peering-scope"),
    ("EU bucket in the US", m_eu_bucket_in_us, "residency-tagged-resource-in-residency"),
    ("missing cost-center tag", m_missing_cost_center, "aws-required-tags"),
    ("EU hostname routed to a US pool", m_eu_pool_in_us, "residency-cloudflare-pools"),
    ("EU tenant namespace on the US cluster", m_eu_tenant_namespace_on_us_cluster,
     "residency-tagged-resource-in-residency"),
    ("edge SSL mode flexible", m_edge_ssl_flexible, "cloudflare-zone-tls"),
    ("edge minimum TLS 1.0", m_edge_tls_1_0, "cloudflare-zone-tls"),
    ("origin without mutual TLS", m_origin_mtls_off, "alb-origin-mtls"),
    ("edge tls_1_3 left to the dashboard", m_edge_setting_left_to_the_dashboard, "cloudflare-zone-settings-in-code"),
]


@pytest.mark.parametrize("mutation", MUTATIONS, ids=[m[0] for m in MUTATIONS])
def test_mutation_is_reported_by_the_right_policy(mutation: tuple[str, Callable[[Plan], PlannedResource], str]) -> None:
    _, mutate, policy = mutation
    plan = fresh("prod")
    target = mutate(plan)
    before = [v for v in baseline("prod").violations if v.policy == policy and v.urn == target.urn]
    assert not before, f"{policy} already reported {target.name} before the mutation: {before}"
    after = [v for v in run_plan(plan, memo=MEMO, only=[policy]).violations
             if v.policy == policy and v.urn == target.urn]
    assert after, f"{policy} did not report {target.name}"
    assert all(v.level == "mandatory" for v in after)


def test_same_mutation_is_advisory_in_dev_and_mandatory_in_prod() -> None:
    """Deletion protection is mandatory in staging/prod, advisory in dev (the stack files say so)."""
    for stack, level in (("dev", "advisory"), ("prod", "mandatory")):
        plan = fresh(stack)
        cluster = plan.of_type("aws:rds/cluster:Cluster")[0]
        _set(cluster, "deletionProtection", False)
        hits = [v for v in run_plan(plan, memo=MEMO, only=[DELETION]).of(DELETION) if v.urn == cluster.urn]
        assert hits and {v.level for v in hits} == {level}, (stack, hits)


# --- preview: what a first `pulumi preview` knows ----------------------------------------------------

def _blank(value: Any, computed: set[str]) -> Any:
    from pulumi.output import Unknown

    if isinstance(value, str) and value in computed:
        return Unknown()
    if isinstance(value, dict):
        return {k: _blank(v, computed) for k, v in value.items()}
    if isinstance(value, list):
        return [_blank(v, computed) for v in value]
    return value


def preview_of(plan: Plan) -> Plan:
    """The plan as a first preview sees it: provider-computed ARNs and ids are unknown everywhere.

    Names the program chooses (bucket names, identifiers) stay known; joins then rest on
    property dependencies, as in the engine.
    """
    computed: set[str] = set()
    for r in plan.resources:
        if not r.custom:
            continue
        given = {v for v in r.inputs.values() if isinstance(v, str)}
        for value in (r.outputs.get("arn"), r.outputs.get("keyId"), r.id):
            if isinstance(value, str) and value and value not in given:
                computed.add(value)
    for r in plan.resources:
        own(r)
        r.inputs = _blank(r.inputs, computed)
        r.outputs = _blank(r.outputs, computed)
    return plan


def test_preview_with_unknown_ids_finds_the_same_mandatory_violations() -> None:
    plan = preview_of(fresh("prod"))
    names = _names(plan)
    preview = {(v.policy, names[v.urn]) for v in run_plan(plan).mandatory if v.urn}
    deployed = {(v.policy, names[v.urn]) for v in baseline("prod").mandatory if v.urn}
    assert preview == deployed


def test_preview_still_catches_an_eu_member_outside_the_eu() -> None:
    plan = fresh("prod")
    target = m_eu_member_in_us(plan)
    preview_of(plan)
    assert target.inputs["kmsKeyId"].__class__.__name__ == "Unknown"  # the key ARN is not known yet
    hits = [v for v in run_plan(plan, only=["residency-aurora-global-members"]).of("residency-aurora-global-members") if v.urn == target.urn]
    assert hits and hits[0].level == "mandatory"


def test_offline_preview_exits_non_zero_on_a_mandatory_violation(monkeypatch: pytest.MonkeyPatch) -> None:
    import stacks.preview as preview_module

    plan = fresh("dev")
    _set(plan.of_type("aws:rds/cluster:Cluster")[0], "storageEncrypted", False)  # mandatory in dev too
    monkeypatch.setattr(preview_module, "run_stack", lambda stack: plan)
    lines: list[str] = []
    assert preview_module.preview("dev", echo=lines.append) == 1
    assert any("[mandatory] rds-cluster-storage-encrypted" in line for line in lines)
    assert lines[-1].startswith("stack dev: FAILED") and "policy" in lines[-1]


def test_local_exemption_waives_plain_secrets_there_and_only_by_its_file() -> None:
    from dataclasses import replace

    from policy.agentic_policies.config import load_stack_settings

    plan, settings = plan_for("local"), load_stack_settings("local")
    assert plan.of_type("kubernetes:core/v1:Secret"), "the local stack writes plain Secrets by design"
    assert not run_plan(plan, settings, memo=MEMO, only=[VIA_ESO]).of(VIA_ESO)
    assert run_plan(plan, replace(settings, exemptions=()), memo=MEMO, only=[VIA_ESO]).of(VIA_ESO)


def test_cloudflare_pools_resolve_through_the_ingress_when_hostnames_are_unknown() -> None:
    """In a first preview the ALB hostnames are unknown: the pool's region comes from its origin's Ingress."""
    from pulumi.output import Unknown

    def blank_origins(plan: Plan) -> None:
        for pool in plan.of_type("cloudflare:index/loadBalancerPool:LoadBalancerPool"):
            for i in range(len(pool.inputs["origins"])):
                _set(pool, f"origins.{i}.address", Unknown())
            assert pool.options["propertyDependencies"].get("origins"), "the harness records the Ingress edge"

    clean = fresh("prod")
    blank_origins(clean)
    assert not run_plan(clean, memo=MEMO, only=[POOLS]).of(POOLS)
    bad = fresh("prod")
    lb = m_eu_pool_in_us(bad)
    blank_origins(bad)
    hits = run_plan(bad, memo=MEMO, only=[POOLS]).of(POOLS)
    assert hits and all(v.urn == lb.urn for v in hits) and "in us-east-1" in hits[0].message


def test_only_runs_the_named_policies_and_refuses_an_unknown_name() -> None:
    plan = fresh("dev")
    cluster = plan.of_type("aws:rds/cluster:Cluster")[0]
    _set(cluster, "storageEncrypted", False)
    _set(cluster, "deletionProtection", False)
    assert {v.policy for v in run_plan(plan, memo=MEMO, only=[DELETION]).violations} == {DELETION}
    with pytest.raises(KeyError, match="rds-cluster-deletion-protektion"):
        run_plan(plan, only=["rds-cluster-deletion-protektion"])
