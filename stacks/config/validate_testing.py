"""Cross-field rules of the testing, on-call, cost-export and threat-detection keys."""

from __future__ import annotations

from collections.abc import Iterator

from stacks.config.errors import ConfigIssue, key_path
from stacks.config.models import PlatformConfig


def check_testing(cfg: PlatformConfig) -> Iterator[ConfigIssue]:
    if cfg.is_local:
        aws_only = {("testing", "load"): cfg.testing.load.enabled, ("testing", "chaos"): cfg.testing.chaos.enabled,
                    ("testing", "restore"): cfg.testing.restore.enabled,
                    ("testing", "dr_drill"): cfg.testing.dr_drill.enabled, ("cost_exports",): cfg.cost_exports.enabled}
        for parts, enabled in aws_only.items():
            if enabled:
                yield ConfigIssue(key_path((*parts, "enabled")),
                                  "the local stack has no AWS account or monitoring stack to run this against; "
                                  "remove the key (it runs in staging by default)")
        if cfg.oncall.provider != "none":
            yield ConfigIssue(key_path(("oncall", "provider")),
                              f"'{cfg.oncall.provider}' pages from CloudWatch alarms, which the local stack has "
                              "none of; use 'none'")
    if cfg.oncall.provider == "pagerduty" and cfg.secrets.pagerduty_routing_key is None:
        yield ConfigIssue(key_path(("pagerduty_routing_key",)),
                          "missing (oncall.provider is 'pagerduty'); set it with `pulumi config set --secret "
                          "agentic-platform:pagerduty_routing_key <Events API v2 integration key>`")
    td = cfg.threat_detection
    for flag, on in (("runtime_monitoring", td.runtime_monitoring), ("malware_protection", td.malware_protection)):
        if on and not cfg.observability.guardduty:
            yield ConfigIssue(key_path(("threat_detection", flag)),
                              "needs the GuardDuty detector; set observability.guardduty: true or turn this off")
