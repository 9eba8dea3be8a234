"""Cross-field rules of the testing, on-call, cost-export and threat-detection keys."""

from __future__ import annotations

from collections.abc import Iterator

from stacks.config.errors import ConfigIssue, key_path
from stacks.config.models import PlatformConfig
from stacks.config.models_testing import practice_crons

PRACTICE = ("testing", "dr_drill", "region_switch_practice")


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
    yield from check_region_switch_practice(cfg)
    td = cfg.threat_detection
    for flag, on in (("runtime_monitoring", td.runtime_monitoring), ("malware_protection", td.malware_protection)):
        if on and not cfg.observability.guardduty:
            yield ConfigIssue(key_path(("threat_detection", flag)),
                              "needs the GuardDuty detector; set observability.guardduty: true or turn this off")


def check_region_switch_practice(cfg: PlatformConfig) -> Iterator[ConfigIssue]:
    """The practice runs the Region switch plans for real: they must exist, the owner must accept
    the data loss a failover can cause, and both legs must fall in one weekday window."""
    rsp = cfg.testing.dr_drill.region_switch_practice
    if not rsp.enabled:
        return
    if not cfg.failover.region_switch:
        yield ConfigIssue(key_path((*PRACTICE, "enabled")),
                          "practises the data domains' ARC Region switch plans, which this stack does not build; "
                          "set failover.region_switch: true (needs a data domain with a replica region) or remove "
                          "this key")
    if not rsp.accept_data_loss:
        yield ConfigIssue(key_path((*PRACTICE, "accept_data_loss")),
                          "required (true) to enable the practice: Region switch has no practice mode, so each run "
                          "really fails every global database of the domain over (FailoverGlobalCluster with "
                          "AllowDataLoss, even graceful) and back; set it only for a planned game day")
    if practice_crons(rsp.schedule, rsp.return_after_hours) is None:
        yield ConfigIssue(key_path((*PRACTICE, "schedule")),
                          f"'{rsp.schedule}' must be 'cron(M H ? MONTHS DAY[#n] *)' on one weekday (MON-FRI) with "
                          f"H + return_after_hours ({rsp.return_after_hours}) <= 23, so the return runs the same "
                          "day; e.g. cron(0 9 ? 1,4,7,10 TUE#2 *)")
