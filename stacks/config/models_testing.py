"""Testing in production and on-call: load tests, chaos, restore tests, DR drills, paging,
cost exports and GuardDuty runtime/malware protection.

Every switch that can hurt a live system (`testing.load`, `testing.chaos`, `testing.dr_drill`)
is `None` by default and resolves per environment: on in staging, off everywhere else. In prod it
only runs when the stack file says `enabled: true`, so nobody load-tests or breaks prod by
upgrading this program.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field

from stacks.config.models_infra import Frozen

ON_BY_DEFAULT = frozenset({"staging"})
"""Environments where the risky switches are on unless the stack file turns them off."""


def resolve(enabled: bool | None, environment: str) -> bool:
    """`None` -> on in staging only; an explicit value always wins (prod needs `true`)."""
    return environment in ON_BY_DEFAULT if enabled is None else enabled


class LoadTestingConfig(Frozen):
    enabled: bool | None = None
    """k6 operator and the scenarios as TestRuns; None: staging only."""
    k6_operator_chart: str = Field(default="3.14.2", pattern=r"^\d+\.\d+\.\d+$")
    """grafana/k6-operator chart (https://github.com/grafana/helm-charts/tree/main/charts/k6-operator)."""
    target_url: str | None = None
    """Base URL the scripts hit; None: https://<app.hostname>."""
    parallelism: int = Field(default=2, ge=1, le=20)
    """k6 runner pods per TestRun (the scenario's VUs are split across them)."""


class ChaosConfig(Frozen):
    enabled: bool | None = None
    """Chaos Mesh experiments and AWS FIS templates; None: staging only."""
    chaos_mesh_chart: str = Field(default="2.8.2", pattern=r"^\d+\.\d+\.\d+$")
    """chaos-mesh/chaos-mesh chart (https://chaos-mesh.org/docs/production-installation-using-helm/)."""
    schedule: str = "0 10 * * 3"
    """Cron (cluster time, UTC) of the in-cluster experiments: Wednesday 10:00, office hours."""
    latency_ms: int = Field(default=200, ge=1, le=10000)
    duration_minutes: int = Field(default=5, ge=1, le=60)


class RestoreTestingConfig(Frozen):
    enabled: bool | None = None
    """AWS Backup restore testing of the databases; None: on wherever AWS Backup runs."""
    schedule: str = "cron(0 5 1 * ? *)"
    """AWS Backup schedule expression (UTC): the 1st of each month, 05:00."""
    validation_window_hours: int = Field(default=4, ge=1, le=168)
    """How long a restored cluster is kept for validation before AWS Backup deletes it."""


PRACTICE_CRON = re.compile(
    r"^cron\((?P<minute>[0-5]?\d) (?P<hour>[01]?\d|2[0-3]) \? (?P<months>[0-9A-Z,*/-]+) "
    r"(?P<weekday>(MON|TUE|WED|THU|FRI)(#[1-5]|L)?) \*\)$")
"""`cron(M H ? MONTHS DAY[#n] *)` on one weekday (MON-FRI): the form a maintenance window takes."""


def practice_crons(schedule: str, return_after_hours: int) -> tuple[str, str] | None:
    """(go, back): the schedule and the same one `return_after_hours` later on the same day, or None
    when the schedule is not a weekday cron or the return would pass midnight (pure)."""
    m = PRACTICE_CRON.match(schedule)
    if m is None or int(m["hour"]) + return_after_hours > 23:
        return None
    back = f"cron({int(m['minute'])} {int(m['hour']) + return_after_hours} ? {m['months']} {m['weekday']} *)"
    return schedule, back


class RegionSwitchPracticeConfig(Frozen):
    """A scheduled round trip through each data domain's ARC Region switch plan (prod's only way to
    practise the regional failover: staging has one region).

    Region switch has no practice or dry-run mode: StartPlanExecution takes `mode` graceful or
    ungraceful only (https://docs.aws.amazon.com/arc-region-switch/latest/api/API_StartPlanExecution.html),
    so every run really fails the domain's global databases over to the standby and, hours later,
    back. Off unless the stack file says so, and refused without `accept_data_loss` (see there)."""

    enabled: bool = False
    """One Scheduler pair per plan (components/region_switch_practice.py); needs failover.region_switch."""
    schedule: str = "cron(0 9 ? 1,4,7,10 TUE#2 *)"
    """When the standby is activated (UTC, EventBridge Scheduler cron on one weekday): quarterly, the
    second Tuesday of January, April, July and October, 09:00."""
    return_after_hours: int = Field(default=2, ge=1, le=8)
    """When the primary is activated again: this many hours after `schedule`, the same day."""
    accept_data_loss: bool = False
    """The plan's Aurora steps use behavior `failover` (FailoverGlobalCluster with AllowDataLoss, even
    in a graceful execution: https://docs.aws.amazon.com/arc-region-switch/latest/api/API_GlobalAuroraConfiguration.html),
    so each leg can lose writes not yet replicated; `true` is the owner's acknowledgement, like
    `ops failover --accept-data-loss`."""


class DrDrillConfig(Frozen):
    enabled: bool | None = None
    """Scheduled practice of the failover mechanism (FIS Aurora failover); None: staging only."""
    schedule: str = "cron(0 10 ? * WED#1 *)"
    """EventBridge Scheduler expression (UTC): the first Wednesday of each month, 10:00."""
    region_switch_practice: RegionSwitchPracticeConfig = RegionSwitchPracticeConfig()
    """The regional failover's practice through prod's Region switch plans (off by default)."""


class TestingConfig(Frozen):
    load: LoadTestingConfig = LoadTestingConfig()
    chaos: ChaosConfig = ChaosConfig()
    restore: RestoreTestingConfig = RestoreTestingConfig()
    dr_drill: DrDrillConfig = DrDrillConfig()


class OnCallConfig(Frozen):
    provider: Literal["none", "pagerduty"] = "none"
    """`none`: alarms only e-mail the region's SNS topic. `pagerduty`: alarms at `page_severities`
    page through PagerDuty Events API v2 (EventBridge API destinations), `source` = region so
    PagerDuty routes them to that region's schedule; P0s of every region also page as `global-p0`.
    The routing key is the secret `agentic-platform:pagerduty_routing_key`."""
    page_severities: tuple[Literal["P0", "P1", "P2", "P3"], ...] = ("P0", "P1")
    """Alarm severities that page; the rest stay e-mail only."""


class CostExportsConfig(Frozen):
    enabled: bool | None = None
    """AWS Data Exports (CUR 2.0, split cost allocation) to an encrypted bucket; None: staging and prod."""
    retention_days: int = Field(default=730, ge=90, le=3653)


class ThreatDetectionConfig(Frozen):
    """GuardDuty protection plans on top of `observability.guardduty`."""

    runtime_monitoring: bool = False
    """EKS Runtime Monitoring with the GuardDuty agent add-on managed by GuardDuty."""
    malware_protection: bool = False
    """Malware Protection for EC2 (EBS volumes of flagged nodes are scanned)."""
