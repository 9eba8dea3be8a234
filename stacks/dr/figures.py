"""The numbers a DR estimate rests on, each with where it comes from.

Targets are the deployment guide's (Backup and Disaster Recovery; Regional Failover). Figures are
from /work/shared/reference/cost-and-dr-figures.md section 2-3 (trust P/S) or are stated
assumptions (U) about how fast people and rebuilds are; change them here, not in the report.
A target is met when the estimate is at most the target: the guide's "< 30 s" detection is read
as <= 30 s, the same bound config validation enforces for prod (stacks/config/validate.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field

TARGETS: dict[str, float] = {
    "rpo": 15 * 60,            # guide: RPO 15 minutes
    "rto": 60 * 60,            # guide: RTO 1 hour
    "detection": 30,           # guide: detection < 30 seconds
    "failover": 2 * 60,        # guide: failover < 2 minutes
    "full_recovery": 15 * 60,  # guide: full recovery < 15 minutes
}
TARGET_LABELS = {"rpo": "RPO", "rto": "RTO", "detection": "detection", "failover": "failover",
                 "full_recovery": "full recovery"}


@dataclass(frozen=True)
class DrFigures:
    aurora_global_lag_s: float = 1
    """Aurora Global replication lag, typically under 1 s (AWS prescriptive guidance, P)."""
    aurora_global_failover_s: float = 60
    """FailoverGlobalCluster / SwitchoverGlobalCluster: "about 1 min" reported, AWS says "order of minutes" (P/S)."""
    aurora_in_region_failover_s: float = 30
    """Multi-AZ failover to a reader in the same region: under 30 s (AWS FAQ, P)."""
    aurora_reader_create_s: float = 600
    """Adding a reader to a headless secondary or replacing the only instance: ~10 min (assumption, U)."""
    s3_rtc_rpo_s: float = 15 * 60
    """S3 Replication Time Control: 99.99% of objects within 15 min, SLA-backed (P)."""
    backup_interval_s: float = 24 * 3600
    """AWS Backup runs daily (`backup.schedule`), so a restored copy is up to a day old."""
    operator_trigger_s: float = 300
    """Page, decide and start `python -m ops failover`: 5 min (assumption, U). Aurora never promotes
    across regions by itself, so this human step sits on the write path."""
    app_reconnect_s: float = 30
    """Pods reconnect through the regional RDS Proxy once the cluster is writer (assumption, U)."""
    capacity_scale_up_s: float = 180
    """HPA + Karpenter bring a warm standby to full size: node launch ~1-2 min plus pod start (U)."""
    eks_cold_create_s: float = 21 * 60
    """A region without a cluster: EKS create averages <= 9 min, users report 14-21 min end to end (P/S)."""
    region_rebuild_s: float = 30 * 60
    """`pulumi up` of a whole region (EKS, Aurora, ElastiCache in parallel): ~30 min (U)."""
    snapshot_restore_s: float = 30 * 60
    """Restore Aurora from a copied snapshot: ~30 min for tens of GB (assumption, U)."""
    cloudflare_edge_s: float = 0
    """Proxied load balancers re-steer at the edge as soon as a pool is down: no DNS TTL (P)."""
    sources: dict[str, str] = field(default_factory=lambda: {
        "aurora_global_lag_s": "https://docs.aws.amazon.com/prescriptive-guidance/latest/aurora-replication-options/"
                               "aurora-global-database.html",
        "aurora_global_failover_s": "https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/"
                                    "aurora-global-database-disaster-recovery.html",
        "aurora_in_region_failover_s": "https://zatoima.github.io/en/aws-aurora-failover-time-test",
        "s3_rtc_rpo_s": "https://docs.aws.amazon.com/AmazonS3/latest/API/API_ReplicationTimeValue.html",
        "eks_cold_create_s": "https://github.com/aws/containers-roadmap/issues/1227",
        "cloudflare_edge_s": "https://developers.cloudflare.com/load-balancing/understand-basics/proxy-modes",
        "detection": "Cloudflare monitor interval x consecutive_down "
                     "(https://developers.cloudflare.com/load-balancing/monitors/)",
    })


FIGURES = DrFigures()
