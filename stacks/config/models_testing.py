"""Testing in production and on-call: load tests, chaos, restore tests, DR drills, paging,
cost exports and GuardDuty runtime/malware protection.

Every switch that can hurt a live system (`testing.load`, `testing.chaos`, `testing.dr_drill`)
is `None` by default and resolves per environment: on in staging, off everywhere else. In prod it
only runs when the stack file says `enabled: true`, so nobody load-tests or breaks prod by
upgrading this program.
"""

from __future__ import annotations

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


class DrDrillConfig(Frozen):
    enabled: bool | None = None
    """Scheduled practice of the failover mechanism (FIS Aurora failover); None: staging only."""
    schedule: str = "cron(0 10 ? * WED#1 *)"
    """EventBridge Scheduler expression (UTC): the first Wednesday of each month, 10:00."""


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
