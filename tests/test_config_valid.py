"""Every committed stack file parses into the typed model with the shape the README describes."""

from __future__ import annotations

import pytest

from stacks.config import parse
from stacks.config.models import PlatformConfig
from stacks.harness.run import stack_namespace as namespace


def load(stack: str) -> PlatformConfig:
    ns, region = namespace(stack)
    return parse(ns, stack=stack, aws_region=region)


@pytest.mark.parametrize("stack", ["local", "dev", "staging", "prod"])
def test_stack_files_parse(stack: str) -> None:
    cfg = load(stack)
    assert cfg.environment == stack


def test_prod_shape_matches_design() -> None:
    cfg = load("prod")
    assert cfg.region_names == ("us-east-1", "eu-west-1", "ap-southeast-1", "eu-central-1")
    assert [r.name for r in cfg.regions if r.standby] == ["eu-central-1"]
    domains = {d.name: d for d in cfg.data_domains}
    assert domains["global"].regions == ("us-east-1", "eu-west-1", "ap-southeast-1")
    assert domains["eu"].regions == ("eu-west-1", "eu-central-1")
    assert domains["eu"].residency == "eu"
    tiers = {t.tier for t in cfg.tenants}
    assert tiers == {"shared", "dedicated", "enterprise"}
    assert any(t.data_residency == "eu" for t in cfg.tenants)


def test_dev_and_staging_are_single_region() -> None:
    dev, staging = load("dev"), load("staging")
    assert len(dev.regions) == len(staging.regions) == 1
    assert dev.network.nat_gateways == "single"
    assert staging.network.nat_gateways == "per_az"
    assert not dev.protected and staging.protected


def test_local_has_no_aws_shape() -> None:
    cfg = load("local")
    assert cfg.is_local and cfg.regions == () and cfg.cluster is None


def test_model_is_frozen() -> None:
    cfg = load("dev")
    with pytest.raises(Exception, match="frozen"):
        cfg.environment = "prod"  # type: ignore[misc]


def test_secrets_are_masked_in_repr() -> None:
    cfg = load("dev")
    assert "test-anthropic" not in repr(cfg)
    assert cfg.secrets.anthropic_api_key is not None
    assert cfg.secrets.anthropic_api_key.get_secret_value() == "test-anthropic"


def test_domain_lookup_helpers() -> None:
    cfg = load("prod")
    assert cfg.domain_for_residency("eu").name == "eu"
    eu_west, ap_south = cfg.domain_of_region("eu-west-1"), cfg.domain_of_region("ap-southeast-1")
    assert eu_west is not None and eu_west.name == "eu"  # primary wins over replica
    assert ap_south is not None and ap_south.name == "global"
    assert cfg.default_region == "us-east-1"
