"""Support calendar, version validation by date, the preview's versions section, EKS pricing by support status."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import pytest

from stacks.config import ConfigError, PlatformConfig, parse
from stacks.cost.estimate import estimate
from stacks.cost.prices import load_prices
from stacks.harness.plan import Plan, PlannedResource
from stacks.harness.run import stack_namespace as namespace
from stacks.reports import versions as versions_report
from stacks.versions.calendar import CalendarError, load_calendar, parse_calendar, today
from stacks.versions.pins import pinned_versions
from stacks.versions.support import support_issues, support_warnings

TODAY = dt.date(2026, 12, 3)


def cfg_for(stack: str, **changes: Any) -> PlatformConfig:
    ns, region = namespace(stack)
    ns = copy.deepcopy(ns)
    for key, value in changes.items():
        section, field = key.split("__")
        ns.setdefault(section, {})[field] = value
    return parse(ns, stack=stack, aws_region=region)


def test_calendar_entries_carry_a_source_and_ordered_dates() -> None:
    cal = load_calendar()
    assert ("eks", "1.36") in cal and ("aurora-postgresql", "16.13") in cal and ("istio", "1.31") in cal
    for w in cal.values():
        assert w.source.startswith("https://"), w
    with pytest.raises(CalendarError, match="has no source"):
        parse_calendar({"eks": {"1.99": {"released": "2027-01-01"}}})
    with pytest.raises(CalendarError, match="out of order"):
        parse_calendar({"eks": {"1.99": {"released": "2027-01-01", "end_of_standard_support": "2026-01-01",
                                         "source": "https://example.com"}}})


def test_status_and_days_left_follow_the_day() -> None:
    eks = load_calendar()[("eks", "1.34")]
    assert eks.status(dt.date(2026, 12, 1)) == "standard" and eks.days_left(dt.date(2026, 12, 1)) == 1
    # billing for extended support starts at the start of the end-of-standard-support day
    assert eks.status(dt.date(2026, 12, 2)) == "extended"
    assert eks.days_left(dt.date(2026, 12, 2)) == (dt.date(2027, 12, 2) - dt.date(2026, 12, 2)).days
    assert eks.status(dt.date(2027, 12, 2)) == "end-of-life"


def test_today_is_injectable_and_checked() -> None:
    assert today({"AGENTIC_TODAY": "2027-01-31"}) == dt.date(2027, 1, 31)
    with pytest.raises(CalendarError, match="AGENTIC_TODAY='31/01/2027' is not a date"):
        today({"AGENTIC_TODAY": "31/01/2027"})


def test_every_stack_pins_versions_in_standard_support_today() -> None:
    for stack in ("dev", "staging", "prod"):
        cfg = cfg_for(stack)
        rows = [p for p in pinned_versions(cfg) if p.product is not None]
        assert {p.key for p in rows} >= {("cluster", "version"), ("database", "engine_version"),
                                         ("redis", "engine_version")}
        assert all(p.status(TODAY) == "standard" for p in rows), [(p.label, p.status(TODAY)) for p in rows]


def test_prod_refuses_an_eks_version_past_standard_support_naming_key_date_and_fix(monkeypatch) -> None:
    monkeypatch.setenv("AGENTIC_TODAY", TODAY.isoformat())
    ns, region = namespace("prod")
    ns = copy.deepcopy(ns)
    ns["cluster"]["version"] = "1.34"
    with pytest.raises(ConfigError) as info:
        parse(ns, stack="prod", aws_region=region)
    issue = next(i for i in info.value.issues if i.path == "agentic-platform:cluster.version")
    assert "1.34 left standard support on 2026-12-02" in issue.message
    assert "upgrade to 1.36" in issue.message
    assert "agentic-platform:versions.allow_extended_support: true" in issue.message


def test_allow_extended_support_accepts_it_keeps_the_cluster_on_extended_and_prices_it(monkeypatch) -> None:
    monkeypatch.setenv("AGENTIC_TODAY", TODAY.isoformat())
    cfg = cfg_for("prod", cluster__version="1.34", versions__allow_extended_support=True)
    assert not list(support_issues(cfg, TODAY))
    assert any("paid extended support since 2026-12-02" in w for w in support_warnings(cfg, TODAY))
    from stacks.compose.base import eks_support_type
    assert eks_support_type(cfg, "1.34") == "EXTENDED"
    assert eks_support_type(cfg_for("prod"), "1.36") == "STANDARD"


def test_nothing_accepts_a_version_past_extended_support() -> None:
    cfg = cfg_for("prod", versions__allow_extended_support=True)
    issues = list(support_issues(cfg, dt.date(2028, 9, 1)))
    eks = next(i for i in issues if i.path == "agentic-platform:cluster.version")
    assert "past the end of its support on 2028-08-02" in eks.message


def test_unknown_versions_are_refused_in_staging_and_warned_about_in_dev() -> None:
    staging = cfg_for("staging")
    staging = staging.model_copy(update={"database": staging.database.model_copy(update={"engine_version": "16.6"})})
    issue = next(i for i in support_issues(staging, TODAY) if i.path == "agentic-platform:database.engine_version")
    assert "16.6 is not in the support calendar" in issue.message and "upgrade to 16.13" in issue.message
    dev = cfg_for("dev")
    dev = dev.model_copy(update={"cluster": dev.cluster.model_copy(update={"version": "1.33"})} if dev.cluster else {})
    assert not list(support_issues(dev, TODAY))
    warnings = support_warnings(dev, TODAY)
    assert any(w.startswith("agentic-platform:cluster.version: EKS Kubernetes 1.33 left standard support")
               and w.endswith("(refused in staging and prod)") for w in warnings)


def test_staging_and_prod_need_an_image_digest_and_prod_a_pinned_ami() -> None:
    ns, region = namespace("prod")
    ns = copy.deepcopy(ns)
    del ns["app"]["digest"]
    ns["cluster"]["karpenter_ami_alias"] = "al2023@latest"
    with pytest.raises(ConfigError) as info:
        parse(ns, stack="prod", aws_region=region)
    paths = {i.path: i.message for i in info.value.issues}
    assert "required in prod: the image digest" in paths["agentic-platform:app.digest"]
    assert "pin a release, e.g. al2023@v" in paths["agentic-platform:cluster.karpenter_ami_alias"]
    ns["app"]["digest"] = "sha256:abc"
    with pytest.raises(ConfigError) as info:
        parse(ns, stack="prod", aws_region=region)
    assert any(i.path == "agentic-platform:app.digest" and "sha256:" in i.message for i in info.value.issues)


def test_valkey_and_redis_versions_must_match_their_engine() -> None:
    ns, region = namespace("dev")
    ns = copy.deepcopy(ns)
    ns["redis"]["engine"] = "redis"
    with pytest.raises(ConfigError) as info:
        parse(ns, stack="dev", aws_region=region)
    assert any(i.path.startswith("agentic-platform:redis") and "Redis OSS on ElastiCache ends at 7.1" in i.message
               for i in info.value.issues)


def test_versions_section_is_computed_from_config_and_date(prod: Plan) -> None:
    rep = versions_report.report(prod, day=TODAY)
    rows = {r["key"]: r for r in rep.data["pins"]}
    eks = rows["agentic-platform:cluster.version"]
    assert (eks["version"], eks["status"], eks["days_left"]) == ("1.36", "standard", 242)
    assert rows["agentic-platform:cluster.charts.istio"]["status"] == "standard"
    assert rows["agentic-platform:cluster.charts.keda"]["status"] == "pinned"
    assert any("EKS Kubernetes 1.36: standard support, 242 days left (until 2027-08-02)" in line for line in rep.lines)
    later = versions_report.report(prod, day=dt.date(2027, 9, 1))
    eks_later = next(r for r in later.data["pins"] if r["key"] == "agentic-platform:cluster.version")
    assert eks_later["status"] == "extended"
    assert later.lines[-1].startswith("outside standard support: ") and not later.lines[-1].endswith("(none)")
    assert versions_report.report(prod, day=TODAY).lines == rep.lines  # same day, same output


def _eks(version: str | None, support: str | None) -> PlannedResource:
    inputs: dict[str, Any] = {}
    if version:
        inputs["version"] = version
    if support:
        inputs["upgradePolicy"] = {"supportType": support}
    return PlannedResource(urn=f"urn:pulumi:t::p::aws:eks/cluster:Cluster::c{version}{support}",
                           type="aws:eks/cluster:Cluster", name=f"c{version}{support}", custom=True, parent="",
                           provider="", region="us-east-1", inputs=inputs, outputs={}, id="", options={})


@pytest.mark.parametrize("version, support, day, sku", [
    ("1.36", "EXTENDED", TODAY, "eks.cluster.standard"),      # in standard support: standard price
    ("1.34", "EXTENDED", TODAY, "eks.cluster.extended"),      # past it, extended policy: 6x
    ("1.34", None, TODAY, "eks.cluster.extended"),            # unset = the API default EXTENDED
    ("1.34", "STANDARD", TODAY, "eks.cluster.standard"),      # past it, STANDARD: auto-upgraded
    ("1.34", "EXTENDED", dt.date(2026, 12, 1), "eks.cluster.standard"),
])
def test_eks_control_plane_is_priced_by_support_status_on_the_estimate_date(monkeypatch, version, support, day,
                                                                            sku) -> None:
    monkeypatch.setenv("AGENTIC_TODAY", day.isoformat())
    plan = Plan(stack="t", project="p", config={}, resources=[_eks(version, support)], outputs={})
    prices = load_prices()
    eks = [line for line in estimate(plan, prices).lines if line.sku.startswith("eks.")]
    assert [line.sku for line in eks] == [sku]
    assert eks[0].monthly == pytest.approx(prices.price(sku, "us-east-1") * prices.hours_per_month)
    assert prices.price("eks.cluster.extended", "us-east-1") == pytest.approx(6 * prices.price(
        "eks.cluster.standard", "us-east-1"))
