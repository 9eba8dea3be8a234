"""Pricing rules of the testing, on-call, cost-export and threat-detection resources.

Merged into `stacks.cost.skus` (PRICERS, FREE) at import; kept apart so these rules read together.
"""

from __future__ import annotations

from stacks.cost.skus import LineItem, SkuContext
from stacks.harness.plan import PlannedResource

_NODE_VCPUS = {"medium": 2, "large": 2, "xlarge": 4, "2xlarge": 8, "4xlarge": 16, "8xlarge": 32,
               "12xlarge": 48, "16xlarge": 64}


def node_vcpus(ctx: SkuContext, region: str | None) -> int:
    """vCPUs of the region's node groups at their desired size (what Runtime Monitoring covers)."""
    total = 0
    for ng in ctx.by_type("aws:eks/nodeGroup:NodeGroup"):
        if ng.region != region:
            continue
        types = ng.get("instanceTypes") or []
        size = str(types[0]).rsplit(".", 1)[-1] if types else "large"
        total += int(ng.get("scalingConfig.desiredSize") or 0) * _NODE_VCPUS.get(size, 2)
    return total


def fis_template(r: PlannedResource, ctx: SkuContext) -> list[LineItem]:
    """FIS bills action-minutes of experiments actually run (the DR drill, hand-run experiments)."""
    minutes = ctx.usage.value("fis", "action_minutes_per_template", r.name)
    return [LineItem("fis.action_minute", minutes, "action-minute")]


def restore_test(r: PlannedResource, ctx: SkuContext) -> list[LineItem]:
    """The restored Aurora cluster's storage for its validation window, each test of the month."""
    hours = float(r.get("validationWindowHours") or 4)
    runs = ctx.usage.value("backup", "restore_tests_per_month", r.name)
    gb = ctx.usage.value("aurora", "storage_gb", r.name)
    return [LineItem("aurora.storage", gb * hours * runs / ctx.hours, "GB-month",
                     f"{runs:g} restore test(s) x {hours:g} h x {gb:g} GB")]


def guardduty_feature(r: PlannedResource, ctx: SkuContext) -> list[LineItem]:
    """Runtime Monitoring per monitored vCPU-month; Malware Protection per GB scanned. The other
    protection plans stay in the estimate's not-modelled list."""
    if r.get("status") != "ENABLED":
        return []
    name = r.get("name")
    if name in ("RUNTIME_MONITORING", "EKS_RUNTIME_MONITORING"):
        vcpus = node_vcpus(ctx, r.region)
        return [LineItem("guardduty.runtime_vcpu", vcpus, "vCPU-month", f"{vcpus} node vCPUs at desired size")]
    if name == "EBS_MALWARE_PROTECTION":
        return [LineItem("guardduty.malware_scan_gb", ctx.usage.value("guardduty", "malware_scanned_gb", r.name),
                         "GB")]
    return []


PRICERS = {
    "aws:fis/experimentTemplate:ExperimentTemplate": fis_template,
    "aws:backup/restoreTestingSelection:RestoreTestingSelection": restore_test,
    "aws:guardduty/detectorFeature:DetectorFeature": guardduty_feature,
}

FREE = {t: reason for reason, types in {
    "configuration only (what it starts is priced: restore tests, experiments, exported files in S3)": (
        "aws:backup/restoreTestingPlan:RestoreTestingPlan", "aws:bcmdata/export:Export"),
    "within the AWS free allowance at this scale (14M Scheduler invocations; API destinations at "
    "$0.20 per million events: paging volume rounds to zero)": (
        "aws:scheduler/schedule:Schedule", "aws:cloudwatch/eventConnection:EventConnection",
        "aws:cloudwatch/eventApiDestination:EventApiDestination"),
}.items() for t in types}
