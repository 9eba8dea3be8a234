"""Secrets identities per namespace: each SecretStore assumes its own IAM role, which reads exactly
the secrets that namespace's ExternalSecrets reference; the External Secrets controller's own
role reads nothing and may only assume its cluster's store roles; a tenant's API key is readable
only from that tenant's namespace, a domain's master credential only from its db-bootstrap one."""

from __future__ import annotations

import json
from collections import defaultdict
from fnmatch import fnmatchcase

import pytest

from components.secret_store_role import secret_store_read_policy, secret_store_trust_policy, store_role_name
from stacks.harness import Plan, run_stack

STORE = "kubernetes:external-secrets.io/v1:SecretStore"
EXTERNAL = "kubernetes:external-secrets.io/v1:ExternalSecret"
ROLE = "aws:iam/role:Role"
POLICY = "aws:iam/rolePolicy:RolePolicy"
SECRET = "aws:secretsmanager/secret:Secret"


@pytest.fixture(scope="module", params=["dev", "staging", "prod"])
def plan(request: pytest.FixtureRequest) -> Plan:
    return run_stack(request.param)


def _roles(plan: Plan) -> dict[str, tuple[dict, list[dict]]]:
    """role ARN -> (trust document, inline policy statements)."""
    by_id = {r.urn: r for r in plan.of_type(ROLE)}
    statements: dict[str, list[dict]] = defaultdict(list)
    for pol in plan.of_type(POLICY):
        owner = next((r for r in by_id.values() if pol.get("role") in (r.outputs.get("id"), r.get("name"))), None)
        if owner is not None:
            statements[owner.outputs["arn"]] += json.loads(pol.get("policy"))["Statement"]
    return {r.outputs["arn"]: (json.loads(r.get("assumeRolePolicy")), statements[r.outputs["arn"]])
            for r in by_id.values()}


def _reads(statements: list[dict]) -> set[str]:
    out: set[str] = set()
    for st in statements:
        actions = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
        if any(a.startswith("secretsmanager:") for a in actions):
            res = st["Resource"]
            out |= set(res if isinstance(res, list) else [res])
    return out


def _stores(plan: Plan) -> dict[tuple[str | None, str], str]:
    """(region, namespace) -> role ARN of its SecretStore."""
    return {(s.region, s.get("metadata.namespace")): s.get("spec.provider.aws.role") for s in plan.of_type(STORE)}


def _referenced(plan: Plan, region: str | None, namespace: str) -> set[str]:
    """Secret ARNs (or, for secrets made outside the program, names) the namespace's ExternalSecrets read."""
    by_name = {s.get("name"): s.outputs["arn"] for s in plan.of_type(SECRET) if s.region == region}
    keys = {d["remoteRef"]["key"] for e in plan.of_type(EXTERNAL)
            if e.region == region and e.get("metadata.namespace") == namespace for d in e.get("spec.data")}
    return {by_name.get(k, k) for k in keys}


def test_pure_policies_read_only_what_they_list() -> None:
    trust = secret_store_trust_policy("arn:aws:iam::1:role/c-external-secrets")
    (st,) = trust["Statement"]
    assert st["Principal"] == {"AWS": "arn:aws:iam::1:role/c-external-secrets"}
    doc = secret_store_read_policy("eu-west-1", "1", ["arn:b", "arn:a", "arn:a"])
    assert doc["Statement"][0]["Resource"] == ["arn:a", "arn:b"]
    via = doc["Statement"][1]["Condition"]["StringEquals"]["kms:ViaService"]
    assert via == "secretsmanager.eu-west-1.amazonaws.com"
    long = store_role_name("agentic-platform-prod-euw1", "tenant-" + "x" * 32)
    assert len(long) <= 64 and long.startswith("agentic-platform-prod-euw1-ss-")


def test_controller_reads_nothing_and_assumes_only_its_store_roles(plan: Plan) -> None:
    controllers = [r for r in plan.of_type(ROLE)
                   if r.get("description") == "Pod Identity: external-secrets/external-secrets"]
    assert controllers
    roles = _roles(plan)
    for c in controllers:
        _, statements = roles[c.outputs["arn"]]
        assert statements and all(st["Action"] == ["sts:AssumeRole", "sts:TagSession"] for st in statements)
        prefix = c.get("name").removesuffix("-external-secrets")
        assert all(st["Resource"].endswith(f":role/{prefix}-ss-*") for st in statements)
        assert not _reads(statements)


def test_every_store_assumes_its_own_role_reading_exactly_its_namespace_secrets(plan: Plan) -> None:
    roles = _roles(plan)
    stores = _stores(plan)
    assert stores
    assert len(set(stores.values())) == len(stores), "one role per (region, namespace)"
    for (region, ns), arn in stores.items():
        assert arn, f"SecretStore in {region}/{ns} has no role"
        trust, statements = roles[arn]
        (st,) = trust["Statement"]
        assert st["Principal"]["AWS"].endswith("-external-secrets"), (ns, st["Principal"])
        assert arn.split("/")[-1].startswith(st["Principal"]["AWS"].split("/")[-1].removesuffix("external-secrets")
                                             + "ss-")
        reads = _reads(statements)
        wanted = _referenced(plan, region, ns)
        assert wanted, f"{region}/{ns} has a store but no ExternalSecret"
        for ref in wanted:
            assert any(fnmatchcase(ref if ref.startswith("arn:") else f"x:{ref}-abcdef", r if ref.startswith("arn:")
                                   else "x:" + r.split(":secret:", 1)[1]) for r in reads), (ns, ref, reads)
        assert len(reads) == len(wanted), (ns, reads, wanted)


def test_no_store_reads_another_domain_or_tenant_secret(plan: Plan) -> None:
    roles = _roles(plan)
    for (region, ns), arn in _stores(plan).items():
        reads = _reads(roles[arn][1])
        names = [r.split(":secret:", 1)[1] for r in reads]
        assert all(f":secretsmanager:{region}:" in r for r in reads), (ns, reads)
        if ns.startswith("tenant-"):
            assert all(n.split("/")[2:4] == ["tenants", ns.removeprefix("tenant-")] for n in names), (ns, names)
        elif ns.startswith("db-bootstrap-"):
            domain = ns.removeprefix("db-bootstrap-")
            assert all(n.split("/")[2:4] == [domain, "db"] or n.startswith("rds!") for n in names), (ns, names)
        elif ns == "istio-system":
            assert [n.rsplit("/", 2)[-2:] for n in names] == [["istio", "cacerts-??????"]], names
        else:
            assert not any("/tenants/" in n or "/db/" in n or n.startswith("rds!") for n in names), (ns, names)


def test_tenant_api_key_reaches_only_its_own_namespace(prod: Plan) -> None:
    keys = [e for e in prod.of_type(EXTERNAL) if e.get("metadata.name") == "tenant-api-key"]
    assert keys
    for e in keys:
        (d,) = e.get("spec.data")
        assert f"/tenants/{e.get('metadata.namespace').removeprefix('tenant-')}/api-key" in d["remoteRef"]["key"]
    for e in prod.of_type(EXTERNAL):
        if not str(e.get("metadata.namespace")).startswith("tenant-"):
            assert "/tenants/" not in json.dumps(e.get("spec")), e.name
