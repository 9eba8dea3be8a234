"""Domain cells (stacks/cells.py): one cell per (region, data domain), each hostname on its own
domain's cells, and the config rule that gives an EU domain its own hostname."""

from __future__ import annotations

import pytest

from stacks.cells import cell_plan, hostname_cells, region_cells
from stacks.config import ConfigError, PlatformConfig, parse
from stacks.harness.run import stack_namespace


def cfg_of(stack: str) -> PlatformConfig:
    ns, region = stack_namespace(stack)
    return parse(ns, stack=stack, aws_region=region)


def test_prod_runs_one_cell_per_region_and_domain() -> None:
    cells = {c.key: c for c in cell_plan(cfg_of("prod"))}
    assert list(cells) == ["us-east-1/global", "eu-west-1/eu", "eu-west-1/global", "ap-southeast-1/global",
                           "eu-central-1/eu"]
    home, other = cells["eu-west-1/eu"], cells["eu-west-1/global"]
    assert home.home and home.namespace == "platform-core" and home.hostname == "api.eu.agentic.example.com"
    assert not other.home and other.namespace == "platform-global" and other.hostname == "api.agentic.example.com"
    assert home.queue_list == "agent-jobs" and other.queue_list == "agent-jobs-global"
    assert home.tenants == ("eurobank", "hanse-eu", "muller-eu")
    assert "muller-eu" not in other.tenants and "acme" in other.tenants


def test_each_hostname_maps_to_its_domain_cells_only() -> None:
    by_host = hostname_cells(cfg_of("prod"))
    assert {c.residency for c in by_host["api.eu.agentic.example.com"]} == {"eu"}
    assert {c.domain for c in by_host["api.agentic.example.com"]} == {"global"}
    assert all(c.region.startswith("eu-") for c in by_host["api.eu.agentic.example.com"])


@pytest.mark.parametrize("stack", ["dev", "staging"])
def test_single_domain_stacks_keep_one_home_cell_per_region(stack: str) -> None:
    cfg = cfg_of(stack)
    for region in cfg.region_names:
        (cell,) = region_cells(cfg, region)
        assert cell.home and cell.namespace == "platform-core" and cell.resource_name(cfg.environment) == \
            f"{cfg.environment}-{region}"


def test_an_eu_domain_beside_another_needs_its_own_hostname() -> None:
    ns, region = stack_namespace("prod")
    gt = {k: v for k, v in ns["global_traffic"].items() if k != "eu_hostname"}
    with pytest.raises(ConfigError) as err:
        parse({**ns, "global_traffic": gt}, stack="prod", aws_region=region)
    assert "agentic-platform:global_traffic.eu_hostname: required when an 'eu' data domain" in str(err.value)
