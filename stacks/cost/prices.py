"""Load and check the price table (`prices.yaml`).

The table is data, so it is validated like config: every SKU must carry a unit, a category, a
source, a date, a trust level and a positive price for every region the program can deploy to.
A lookup that misses raises `UnknownSku` naming the SKU, the region and the resource that needed
it: an unpriced SKU must stop the estimate, because a silent zero looks like a cheap design.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from stacks.yaml_load import safe_load

PRICES_FILE = Path(__file__).with_name("prices.yaml")
GLOBAL = "global"
TRUST_LEVELS = frozenset({"P", "S", "U"})
CATEGORIES = frozenset({
    "kubernetes", "network", "data_transfer", "load_balancer", "database", "cache", "object_storage",
    "security", "monitoring", "backup", "global_traffic", "events",
})
_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
SPOT_PREFIX = "ec2.spot."


class PriceTableError(ValueError):
    """The price table itself is malformed (a missing source, a zero price, a missing region)."""


class UnknownSku(LookupError):
    """A line item needs a SKU (or a region of it) that the price table does not hold."""

    def __init__(self, sku: str, region: str, resource: str = ""):
        self.sku, self.region, self.resource = sku, region, resource
        where = f" for {resource}" if resource else ""
        super().__init__(
            f"no price for SKU '{sku}' in region '{region}'{where}; add it to stacks/cost/prices.yaml "
            "with its source and date (an unpriced SKU is an error, never a zero)")


@dataclass(frozen=True)
class Sku:
    name: str
    unit: str
    category: str
    description: str
    source: str
    url: str
    date: str
    trust: str
    prices: dict[str, float]
    regional: str = ""


@dataclass(frozen=True)
class PriceTable:
    skus: dict[str, Sku]
    regions: tuple[str, ...]
    hours_per_month: float
    spot_factor: float
    spot_source: str

    def sku(self, name: str, region: str = "", resource: str = "") -> Sku:
        base = name.removeprefix(SPOT_PREFIX)
        if name.startswith(SPOT_PREFIX):
            base = "ec2." + base
        found = self.skus.get(base)
        if found is None:
            raise UnknownSku(name, region, resource)
        return found

    def price(self, name: str, region: str, resource: str = "") -> float:
        """Unit price of `name` in `region` (`global` for Cloudflare). SPOT = on-demand x factor."""
        sku = self.sku(name, region, resource)
        if region not in sku.prices:
            raise UnknownSku(name, region, resource)
        value = sku.prices[region]
        return value * self.spot_factor if name.startswith(SPOT_PREFIX) else value


def _need(entry: dict[str, Any], key: str, where: str, problems: list[str]) -> Any:
    value = entry.get(key)
    if value in (None, ""):
        problems.append(f"{where}: '{key}' is required")
    return value


def parse_table(doc: dict[str, Any]) -> PriceTable:
    """Validate a loaded price document; raise PriceTableError listing every problem."""
    problems: list[str] = []
    regions = tuple(doc.get("regions") or ())
    if not regions:
        problems.append("'regions' must list the AWS regions every SKU is priced in")
    hours = float(doc.get("hours_per_month") or 0)
    if hours <= 0:
        problems.append("'hours_per_month' must be positive (730)")
    spot = (doc.get("modifiers") or {}).get("spot") or {}
    spot_factor = float(spot.get("factor") or 0)
    if not 0 < spot_factor <= 1:
        problems.append("modifiers.spot.factor must be in (0, 1]")
    skus: dict[str, Sku] = {}
    for name, entry in (doc.get("skus") or {}).items():
        where = f"skus.{name}"
        if not isinstance(entry, dict):
            problems.append(f"{where}: must be a mapping")
            continue
        fields = {k: _need(entry, k, where, problems)
                  for k in ("unit", "category", "description", "source", "url", "date", "trust", "prices")}
        if fields["category"] and fields["category"] not in CATEGORIES:
            problems.append(f"{where}: category '{fields['category']}' is not one of {sorted(CATEGORIES)}")
        if fields["trust"] and fields["trust"] not in TRUST_LEVELS:
            problems.append(f"{where}: trust '{fields['trust']}' must be P, S or U")
        if fields["date"] and not _DATE.match(str(fields["date"])):
            problems.append(f"{where}: date '{fields['date']}' must be YYYY, YYYY-MM or YYYY-MM-DD")
        prices = fields["prices"] if isinstance(fields["prices"], dict) else {}
        expected = (GLOBAL,) if GLOBAL in prices else regions
        for region in expected:
            value = prices.get(region)
            if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0:
                problems.append(f"{where}.prices.{region}: must be a positive number (got {value!r})")
        extra = set(prices) - set(expected)
        if extra:
            problems.append(f"{where}.prices: unexpected keys {sorted(extra)}")
        skus[name] = Sku(name=name, unit=str(fields["unit"]), category=str(fields["category"]),
                         description=str(fields["description"]), source=str(fields["source"]),
                         url=str(fields["url"]), date=str(fields["date"]), trust=str(fields["trust"]),
                         prices={k: float(v) for k, v in prices.items()},
                         regional=str(entry.get("regional") or ""))
    if problems:
        raise PriceTableError("invalid price table:\n  " + "\n  ".join(problems))
    return PriceTable(skus=skus, regions=regions, hours_per_month=hours, spot_factor=spot_factor,
                      spot_source=f"{spot.get('source')} ({spot.get('date')}, trust {spot.get('trust')})")


@cache
def load_prices(path: Path = PRICES_FILE) -> PriceTable:
    return parse_table(safe_load(path.read_text()))
