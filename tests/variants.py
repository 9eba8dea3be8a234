"""Shared configurations of the stacks that several test modules look at.

`prod_opt_ins()` switches on, in one prod run, every option the modules test separately: the
event backbone, the scheduled Region switch practice, chaos experiments, PagerDuty paging,
GuardDuty runtime and malware protection, a bumped database credentials version, failover
started by a person (`failover.automatic: false`) and MCP servers with secrets of their own. A
prod run is the suite's most expensive step; one run with them all (shared by every xdist worker
through the plan folder, tests/conftest.py) replaces seven, and shows the options build side by
side with unique URNs. Tests that compare against plain prod keep using it.
"""

from __future__ import annotations

from typing import Any

from stacks.harness.run import stack_namespace

PAGING_KEY = "pd-routing-key-for-tests"
PRACTICE = {"enabled": True, "accept_data_loss": True}
CREDENTIALS_VERSION = 7
MCP_SERVERS = ["filesystem", {"name": "github", "secrets": []},
               {"name": "research", "secrets": ["OPENAI_API_KEY", "ANTHROPIC_API_KEY"]},
               {"name": "queue-tools", "secrets": ["REDIS_QUEUE_URL"]}]


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
        "agentic-platform:app": {**ns["app"], "mcp_servers": MCP_SERVERS},
    }
