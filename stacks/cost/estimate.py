"""Monthly cost of a plan: per stack, region, component, tenant and category.

cost = quantity x unit price for every line item of every priced resource, plus per-region
traffic that belongs to no single resource (internet egress, cross-AZ, cross-region). Missing
prices, missing usage values and unclassified resource types are gathered and raised together:
an estimate with a hole in it is refused rather than shown low.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any

from stacks.cost.prices import GLOBAL, PriceTable, UnknownSku, load_prices
from stacks.cost.skus import LineItem, SkuContext, line_items, unmodelled_reason
from stacks.cost.usage import UsageError, UsageProfile, load_usage
from stacks.harness.plan import Plan, PlannedResource

SHARED = "shared"
"""Tenant bucket of everything not tagged with a tenant (platform costs all tenants share)."""
TRANSFER_COMPONENT = "data-transfer"

# The deployment guide's "Cost Estimation" bands (USD/month).
GUIDE_BUDGETS: dict[str, tuple[float, float]] = {
    "dev": (200, 350),
    "staging": (500, 850),
    "prod-small": (1200, 2000),
    "prod": (3800, 6350),
}
GUIDE_BUDGET_LABELS = {"dev": "Development", "staging": "Staging", "prod-small": "Production (Small Scale)",
                       "prod": "Production (Multi-Region)"}

# The guide's line items per stack, and which price-table categories each one covers. Categories
# the guide does not list (network, security, backup) are compared against nothing: they are
# where most of the difference between the guide and a secure-by-default build comes from.
GUIDE_LINES: dict[str, list[tuple[str, tuple[float, float], tuple[str, ...]]]] = {
    "dev": [("Small K8s cluster", (100, 200), ("kubernetes",)),
            ("Managed PostgreSQL", (50, 100), ("database",)),
            ("Redis", (30, 50), ("cache",))],
    "staging": [("Medium K8s cluster", (300, 500), ("kubernetes",)),
                ("Managed PostgreSQL", (150, 250), ("database",)),
                ("Redis", (50, 100), ("cache",))],
    "prod-small": [("K8s cluster (3 nodes)", (500, 800), ("kubernetes",)),
                   ("Managed PostgreSQL", (300, 500), ("database",)),
                   ("Redis cluster", (150, 250), ("cache",)),
                   ("Object storage", (50, 100), ("object_storage",)),
                   ("Load balancer", (50, 100), ("load_balancer",)),
                   ("Monitoring", (100, 200), ("monitoring",))],
    "prod": [("3 regional K8s clusters", (1500, 2400), ("kubernetes",)),
             ("Multi-region database", (1000, 1500), ("database",)),
             ("Redis clusters", (450, 750), ("cache",)),
             ("Object storage + CDN", (200, 400), ("object_storage",)),
             ("Load balancers", (150, 300), ("load_balancer", "global_traffic")),
             ("Monitoring", (300, 500), ("monitoring",)),
             ("Data transfer", (200, 500), ("data_transfer",))],
}


class EstimateError(LookupError):
    """Everything that kept the estimate from being complete, in one message."""

    def __init__(self, stack: str, problems: list[str]):
        self.stack, self.problems = stack, problems
        super().__init__(f"cost estimate of stack '{stack}' is incomplete:\n  " + "\n  ".join(problems))


@dataclass(frozen=True)
class CostLine:
    resource: str
    type: str
    region: str
    component: str
    tenant: str
    sku: str
    category: str
    quantity: float
    unit: str
    unit_price: float
    monthly: float
    note: str = ""


@dataclass
class Estimate:
    stack: str
    lines: list[CostLine]
    usage: dict[str, float] = field(default_factory=dict)
    currency: str = "USD"
    unmodelled: dict[str, dict[str, Any]] = field(default_factory=dict)
    """type -> {count, reason}: resources whose load-driven cost the total leaves out."""

    @property
    def total(self) -> float:
        return sum(line.monthly for line in self.lines)

    def by(self, attr: str) -> dict[str, float]:
        out: dict[str, float] = defaultdict(float)
        for line in self.lines:
            out[str(getattr(line, attr))] += line.monthly
        return dict(sorted(out.items(), key=lambda kv: (-kv[1], kv[0])))

    def by_region_component(self) -> dict[str, dict[str, float]]:
        out: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        for line in self.lines:
            out[line.region][line.component] += line.monthly
        return {r: dict(sorted(c.items(), key=lambda kv: -kv[1])) for r, c in sorted(out.items())}

    def to_dict(self) -> dict[str, Any]:
        rnd = lambda d: {k: round(v, 2) for k, v in d.items()}  # noqa: E731
        return {
            "stack": self.stack,
            "currency": self.currency,
            "monthly_total": round(self.total, 2),
            "by_region": rnd(self.by("region")),
            "by_component": rnd(self.by("component")),
            "by_tenant": rnd(self.by("tenant")),
            "by_category": rnd(self.by("category")),
            "by_sku": rnd(self.by("sku")),
            "by_region_component": {r: rnd(c) for r, c in self.by_region_component().items()},
            "usage_assumptions": dict(sorted(self.usage.items())),
            "not_modelled": self.unmodelled,
            "lines": [asdict(line) for line in self.lines],
        }


def tenant_of(r: PlannedResource) -> str:
    """The `tenant` tag (AWS) or label (Kubernetes); untagged resources are shared."""
    tenant = r.tags.get("tenant") or (r.get("metadata.labels") or {}).get("tenant")
    return str(tenant) if tenant else SHARED


def region_of(r: PlannedResource) -> str:
    if r.type.startswith("cloudflare:"):
        return GLOBAL
    return r.region or GLOBAL


def short_component(component: str, typ: str) -> str:
    """`agentic:network:Network` -> `network:Network`; a resource with no component is its own."""
    if not component or component == typ:
        return "(ungrouped)"
    return component.removeprefix("agentic:")


def az_count(plan: Plan) -> int:
    raw = plan.config.get("agentic-platform:network")
    try:
        return int(json.loads(raw).get("az_count", 3)) if isinstance(raw, str) else 3
    except (json.JSONDecodeError, AttributeError, TypeError, ValueError):
        return 3


def aws_regions(plan: Plan) -> list[str]:
    """Regions where the plan creates billable AWS infrastructure (they carry traffic)."""
    return sorted({r.region for r in plan.custom_resources if r.type.startswith("aws:") and r.region})


@dataclass(frozen=True)
class _Where:
    resource: str
    type: str
    region: str
    component: str
    tenant: str


def _price_line(where: _Where, item: LineItem, prices: PriceTable) -> CostLine:
    r_name, region = where.resource, where.region
    sku = prices.sku(item.sku, region, r_name)
    unit_price = prices.price(item.sku, region, r_name)
    if item.unit != sku.unit:
        raise ValueError(f"{r_name}: line item for '{item.sku}' is in '{item.unit}' but the price is per "
                         f"'{sku.unit}'")
    return CostLine(resource=r_name, type=where.type, region=region, component=where.component,
                    tenant=where.tenant, sku=item.sku,
                    category=sku.category, quantity=item.quantity, unit=item.unit, unit_price=unit_price,
                    monthly=item.quantity * unit_price, note=item.note)


def estimate(plan: Plan, prices: PriceTable | None = None, usage: UsageProfile | None = None) -> Estimate:
    prices = prices or load_prices()
    usage = usage or load_usage(plan.stack)
    ctx = SkuContext(hours=prices.hours_per_month, usage=usage, plan=plan, az_count=az_count(plan))
    lines: list[CostLine] = []
    problems: list[str] = []
    unclassified: dict[str, str] = {}
    unmodelled: dict[str, dict[str, Any]] = {}
    for r in plan.custom_resources:
        label = f"{r.type} '{r.name}'"
        reason = unmodelled_reason(r.type)
        if reason is not None and r.region:
            entry = unmodelled.setdefault(r.type, {"count": 0, "reason": reason})
            entry["count"] += 1
        try:
            items = line_items(r, ctx)
        except (UsageError, LookupError) as exc:
            problems.append(f"{label}: {exc}")
            continue
        if items is None:
            unclassified.setdefault(r.type, r.name)
            continue
        region = region_of(r)
        for item in items:
            try:
                where = _Where(label, r.type, region, short_component(r.component, r.type), tenant_of(r))
                lines.append(_price_line(where, item, prices))
            except UnknownSku as exc:
                problems.append(str(exc))
    for region in aws_regions(plan):
        for key, sku in (("internet_egress_gb", "transfer.internet_egress"), ("inter_az_gb", "transfer.inter_az"),
                         ("inter_region_gb", "transfer.inter_region")):
            try:
                gb = usage.region(region, key)
                if gb:
                    where = _Where(f"region '{region}' traffic", "usage", region, TRANSFER_COMPONENT, SHARED)
                    lines.append(_price_line(where, LineItem(sku, gb, "GB", key), prices))
            except (UsageError, UnknownSku) as exc:
                problems.append(str(exc))
    for typ, example in sorted(unclassified.items()):
        problems.append(f"no pricing rule for resource type {typ} (e.g. '{example}'): add a pricer in "
                        "stacks/cost/skus.py or list it in FREE with the reason it costs nothing")
    if problems:
        raise EstimateError(plan.stack, problems)
    return Estimate(stack=plan.stack, lines=lines, usage=dict(usage.used), unmodelled=unmodelled)


def guide_breakdown(est: Estimate) -> list[dict[str, Any]]:
    """The estimate per guide line item, plus the categories the guide has no line for."""
    by_category = est.by("category")
    rows: list[dict[str, Any]] = []
    covered: set[str] = set()
    for label, (lo, hi), categories in GUIDE_LINES.get(est.stack, []):
        value = sum(by_category.get(c, 0.0) for c in categories)
        covered.update(categories)
        verdict = "below" if value < lo else "above" if value > hi else "within"
        rows.append({"guide_line": label, "categories": list(categories), "estimate": round(value, 2),
                     "guide_low": lo, "guide_high": hi, "verdict": verdict})
    for category, value in by_category.items():
        if category not in covered:
            rows.append({"guide_line": None, "categories": [category], "estimate": round(value, 2),
                         "guide_low": None, "guide_high": None, "verdict": "not in the guide"})
    return rows


def budget_verdict(stack: str, total: float) -> tuple[str, tuple[float, float] | None]:
    """'within', 'below' or 'above' the guide's band for the stack; 'n/a' without a band."""
    band = GUIDE_BUDGETS.get(stack)
    if band is None:
        return "n/a", None
    lo, hi = band
    return ("below" if total < lo else "above" if total > hi else "within"), band
