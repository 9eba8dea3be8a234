"""The program's real stack outputs (offline harness) satisfy the contract ops reads.

If a layer renames an export, this fails here instead of during an incident. Plans come from
`run_stack`, which caches per process, so the suite pays for each stack once.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from ops.outputs import StackOutputs, arn_region, parse_outputs
from ops.restore_drill import drill_name
from ops.tenant_migrate import target_identifier
from stacks.harness import run_stack

RDS_ID = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")


@pytest.fixture(scope="module", params=["dev", "staging", "prod"])
def outputs(request: pytest.FixtureRequest) -> StackOutputs:
    return parse_outputs(run_stack(request.param).outputs)


def test_every_domain_region_has_its_own_keys_and_cluster(outputs: StackOutputs):
    assert outputs.data_domains
    for domain in outputs.data_domains.values():
        for region in domain.regions:
            for kind in ("rds", "s3"):
                assert arn_region(outputs.kms_key(domain, region, kind)) == region
            assert region in domain.clusters
            assert RDS_ID.match(drill_name(domain.clusters[region], datetime.now(UTC)))


def test_every_tenant_store_is_inside_its_domain(outputs: StackOutputs):
    for tenant in outputs.tenants.values():
        domain = outputs.domain(tenant.domain)
        assert tenant.data_residency == domain.residency
        for store in (tenant.stores.database, tenant.stores.bucket):
            assert store is None or store.region in domain.regions, tenant.id
        if tenant.tier == "enterprise":
            db = tenant.stores.database
            assert db is not None
            for region in domain.regions:
                if region != db.region:
                    new = target_identifier(db.cluster_identifier, db.region, region)
                    assert new != db.cluster_identifier and RDS_ID.match(new) and len(new) <= 63


def test_hostnames_belong_to_a_domain_and_have_a_pool_per_region(outputs: StackOutputs):
    residencies = {d.residency for d in outputs.data_domains.values()}
    for host in outputs.hostnames.values():
        assert host.residency in residencies
        domain = next(d for d in outputs.data_domains.values() if d.residency == host.residency)
        pooled = {p.region for p in host.pools}
        assert set(domain.regions) <= pooled, host.name
        if host.residency != "none":
            assert pooled <= set(domain.regions), f"{host.name} has pools outside its residency"
