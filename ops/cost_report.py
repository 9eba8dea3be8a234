"""`python -m ops cost-report --month YYYY-MM`: one month's cost per tenant, service and region.

Reads Cost Explorer (its API lives in us-east-1 for every account) grouped by the `tenant` cost
allocation tag the program puts on every tenant-owned resource. Pods of many tenants share the
`platform-core` and `shared-services` nodes; EKS split cost allocation data (turned on by the
Data Export, components/cost_exports.py) attributes node cost to Kubernetes namespaces through the
AWS-generated `aws:eks:namespace` tag. A dedicated tenant's `tenant-<id>` namespace is its own;
the shared namespaces' cost is divided among tenants in proportion to their directly tagged cost
(equally when no tenant has any), so the shares add up to the shared total.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ops.context import Deps
from ops.errors import BadInput

CE_REGION = "us-east-1"
NAMESPACE_TAG = "aws:eks:namespace"
SHARED_NAMESPACES = ("platform-core", "shared-services")
UNTAGGED = "(untagged)"
METRIC = "UnblendedCost"


def month_period(month: str, today: date) -> tuple[str, str]:
    """'2026-11' -> ('2026-11-01', '2026-12-01'); only finished months (Cost Explorer's End is exclusive)."""
    m = re.fullmatch(r"(\d{4})-(\d{2})", month)
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise BadInput(f"--month must be YYYY-MM, e.g. 2026-11 (got {month!r})")
    year, mon = int(m.group(1)), int(m.group(2))
    start = date(year, mon, 1)
    end = date(year + mon // 12, mon % 12 + 1, 1)
    if end > today:
        raise BadInput(f"--month {month} is not finished yet (today is {today.isoformat()}); "
                       "pick an earlier month")
    return start.isoformat(), end.isoformat()


def _groups(deps: Deps, period: tuple[str, str], group_by: list[dict[str, str]]) -> Iterator[tuple[list[str], float]]:
    ce = deps.clients("ce", CE_REGION)
    token: str | None = None
    while True:
        params: dict[str, Any] = {"TimePeriod": {"Start": period[0], "End": period[1]}, "Granularity": "MONTHLY",
                                  "Metrics": [METRIC], "GroupBy": group_by}
        if token:
            params["NextPageToken"] = token
        page = ce.get_cost_and_usage(**params)
        for result in page.get("ResultsByTime", []):
            for g in result.get("Groups", []):
                yield list(g["Keys"]), float(g["Metrics"][METRIC]["Amount"])
        token = page.get("NextPageToken")
        if not token:
            return


def tag_value(key: str) -> str:
    """Cost Explorer tag keys come back as 'tenant$acme' ('tenant$' when untagged)."""
    value = key.split("$", 1)[1] if "$" in key else key
    return value or UNTAGGED


@dataclass
class TenantCost:
    services: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    regions: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    shared_compute: dict[str, float] = field(default_factory=lambda: defaultdict(float))

    @property
    def direct(self) -> float:
        return sum(self.services.values())

    @property
    def total(self) -> float:
        return self.direct + sum(self.shared_compute.values())


def share_out(shared: dict[str, float], weights: dict[str, float]) -> dict[str, dict[str, float]]:
    """Each shared namespace's cost split by weight (equal split when every weight is 0)."""
    tenants = sorted(weights)
    total = sum(weights.values())
    out: dict[str, dict[str, float]] = {t: {} for t in tenants}
    for ns, cost in shared.items():
        for t in tenants:
            out[t][ns] = cost * (weights[t] / total if total > 0 else 1 / len(tenants))
    return out


def build_report(deps: Deps, month: str, tag_key: str, shared_namespaces: tuple[str, ...]) -> dict[str, Any]:
    period = month_period(month, deps.now().date())
    tenants: dict[str, TenantCost] = defaultdict(TenantCost)
    for (tkey, service), cost in _groups(deps, period, [{"Type": "TAG", "Key": tag_key},
                                                        {"Type": "DIMENSION", "Key": "SERVICE"}]):
        tenants[tag_value(tkey)].services[service] += cost
    for (tkey, region), cost in _groups(deps, period, [{"Type": "TAG", "Key": tag_key},
                                                       {"Type": "DIMENSION", "Key": "REGION"}]):
        tenants[tag_value(tkey)].regions[region or "global"] += cost
    namespaces: dict[str, float] = defaultdict(float)
    for (nkey,), cost in _groups(deps, period, [{"Type": "TAG", "Key": NAMESPACE_TAG}]):
        namespaces[tag_value(nkey)] += cost
    shared = {ns: namespaces[ns] for ns in shared_namespaces if namespaces.get(ns)}
    named = [t for t in tenants if t != UNTAGGED]
    if shared and named:
        for t, parts in share_out(shared, {t: tenants[t].direct for t in named}).items():
            for ns, cost in parts.items():
                tenants[t].shared_compute[ns] += cost
    rows = {t: {"total": round(c.total, 2), "direct": round(c.direct, 2),
                "shared_compute": {k: round(v, 2) for k, v in sorted(c.shared_compute.items())},
                "services": {k: round(v, 2) for k, v in sorted(c.services.items()) if round(v, 2)},
                "regions": {k: round(v, 2) for k, v in sorted(c.regions.items()) if round(v, 2)}}
            for t, c in sorted(tenants.items())}
    return {"month": month, "period": {"start": period[0], "end": period[1]}, "tag_key": tag_key,
            "currency": "USD", "tenants": rows,
            "namespaces": {k: round(v, 2) for k, v in sorted(namespaces.items())},
            "shared_namespaces": list(shared_namespaces),
            "note": None if namespaces.keys() - {UNTAGGED} else
            f"no cost carries `{NAMESPACE_TAG}`: turn on EKS split cost allocation data and activate the tag "
            "as a cost allocation tag (docs/operations.md); shared compute is not split this month"}


def render(report: dict[str, Any]) -> list[str]:
    lines = [f"cost per tenant for {report['month']} (USD, unblended; tag `{report['tag_key']}`)",
             f"{'tenant':<20} {'total':>10} {'direct':>10} {'shared':>10}  top services / regions"]
    for t, row in report["tenants"].items():
        shared = sum(row["shared_compute"].values())
        services = sorted(row["services"].items(), key=lambda kv: (-kv[1], kv[0]))[:3]
        regions = ", ".join(f"{r} {v:.2f}" for r, v in row["regions"].items())
        lines.append(f"{t:<20} {row['total']:>10.2f} {row['direct']:>10.2f} {shared:>10.2f}  "
                     + "; ".join(f"{s} {v:.2f}" for s, v in services) + (f" | {regions}" if regions else ""))
    if report["note"]:
        lines.append(f"note: {report['note']}")
    return lines


def run(deps: Deps, *, month: str, tag_key: str = "tenant",
        shared_namespaces: tuple[str, ...] = SHARED_NAMESPACES, as_json: bool = False) -> int:
    report = build_report(deps, month, tag_key, shared_namespaces)
    if as_json:
        deps.say(json.dumps(report, indent=2, sort_keys=True))
    else:
        for line in render(report):
            deps.say(line)
    return 0
