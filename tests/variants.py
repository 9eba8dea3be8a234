"""Shared configurations of the stacks that several test modules look at.

`prod_opt_ins()` switches on, in one prod run, every option the modules test separately: the
event backbone, the scheduled Region switch practice, chaos experiments, PagerDuty paging,
GuardDuty runtime and malware protection, a bumped database credentials version, failover
started by a person (`failover.automatic: false`) and MCP servers with secrets of their own. A
prod run is the suite's most expensive step; one run with them all (shared by every xdist worker
through the plan folder, tests/conftest.py) replaces seven, and shows the options build side by
side with unique URNs. Tests that compare against plain prod keep using it.

`prod_without_two_regions()` is prod without ap-southeast-1 and eu-central-1: the region-removal
tests compare it with prod.
"""

from __future__ import annotations

import copy
from typing import Any

from stacks.harness.run import stack_config, stack_namespace

NS = "agentic-platform:"

PAGING_KEY = "pd-routing-key-for-tests"
PRACTICE = {"enabled": True, "accept_data_loss": True}
CREDENTIALS_VERSION = 7
MCP_SERVERS = ["filesystem", {"name": "github", "secrets": []},
               {"name": "research", "secrets": ["OPENAI_API_KEY", "ANTHROPIC_API_KEY"]},
               {"name": "queue-tools", "secrets": ["REDIS_QUEUE_URL"]}]


def with_mcp_servers(stack: str) -> dict[str, Any]:
    """The stack's app config with `MCP_SERVERS` (each server mounts only its own secrets)."""
    ns, _ = stack_namespace(stack)
    return {f"{NS}app": {**ns["app"], "mcp_servers": MCP_SERVERS}}


def prod_opt_ins() -> dict[str, Any]:
    ns, _ = stack_namespace("prod")
    return {
        "agentic-platform:events": {"enabled": True},
        "agentic-platform:testing": {"chaos": {"enabled": True}, "dr_drill": {"region_switch_practice": PRACTICE}},
        "agentic-platform:oncall": {"provider": "pagerduty", "page_severities": ["P0", "P1"]},
        "agentic-platform:pagerduty_routing_key": PAGING_KEY,
        "agentic-platform:threat_detection": {"runtime_monitoring": True, "malware_protection": True},
        "agentic-platform:database": {**ns.get("database", {}), "credentials_version": CREDENTIALS_VERSION},
        "agentic-platform:failover": {**ns.get("failover", {}), "automatic": False},
        **with_mcp_servers("prod"),
    }


GONE = {"ap-southeast-1", "eu-central-1"}
"""Removed together in one run: a replica region of the global domain and the EU domain's only
replica (its standby), the two ways a region leaves prod. One run for both: a resource removed
in the wrong one of the two regions would pass (each removal alone was a run of its own)."""


def without_regions(config: dict[str, Any], gone: set[str]) -> dict[str, Any]:
    """The prod config with the `gone` regions removed everywhere they are named (regions,
    domains, tenants, geo)."""
    out: dict[str, Any] = {}
    out[f"{NS}regions"] = [r for r in config[f"{NS}regions"] if r["name"] not in gone]
    domains = copy.deepcopy(config[f"{NS}data_domains"])
    for d in domains:
        d["replicas"] = [r for r in d["replicas"] if r not in gone]
    out[f"{NS}data_domains"] = domains
    tenants = copy.deepcopy(config[f"{NS}tenants"])
    for t in tenants:
        if "allowed_regions" in t:
            t["allowed_regions"] = [r for r in t["allowed_regions"] if r not in gone]
    out[f"{NS}tenants"] = tenants
    gt = copy.deepcopy(config[f"{NS}global_traffic"])
    gt["geo"] = [{**g, "regions": [r for r in g["regions"] if r not in gone]} for g in gt["geo"]]
    out[f"{NS}global_traffic"] = gt
    return out


def prod_without_two_regions() -> dict[str, Any]:
    """prod as two regions, us-east-1 (global domain) and eu-west-1 (EU domain, no standby)."""
    return without_regions(stack_config("prod"), GONE)
