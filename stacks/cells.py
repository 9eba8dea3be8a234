"""Domain cells: one workload cell per (region, data domain), and which hostname reaches which.

A region that belongs to two data domains (prod eu-west-1: replica of `global`, primary of `eu`)
runs two cells, each with its own namespace, Deployments, ConfigMaps, secrets, identity and ALB,
so a request can only ever reach the database and buckets of the domain its hostname belongs to.
Pure functions over the parsed config: the composition creates exactly the cells listed here, the
request-paths report and the path-residency policy check what they reach.

Shared stores, decided once (docs/workload.md "Domain cells"):
- Redis (cache, queue) is per region and shared by the region's cells: it lives in the region,
  so EU-resident data in it never leaves the EU; each cell has its own queue list (a job queued
  by the EU cell is never picked up by the global cell) and its own key prefix.
- Loki and the ALB access logs go to the region's log bucket: in-region, same argument.
- The ALB is NOT shared: one Ingress (hence one ALB) per cell, so each Cloudflare pool points at
  exactly one cell's origin and a hostname cannot land in another domain's cell.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.names import PLATFORM_CORE
from stacks.config import PlatformConfig
from stacks.config.models_infra import DataDomainConfig


@dataclass(frozen=True)
class Cell:
    region: str
    domain: str
    residency: str
    """`none` or the domain's residency (`eu`)."""
    home: bool
    """The region's home domain (the one it is primary of, else its first): keeps the historical
    names (`platform-core`, resource names without a domain) so single-cell stacks never change."""
    namespace: str
    hostname: str
    """The public hostname whose Cloudflare pools point at this cell."""
    tenants: tuple[str, ...]
    """Tenant ids of this domain: the only tenants the cell's app may serve."""
    queue_list: str

    @property
    def key(self) -> str:
        return f"{self.region}/{self.domain}"

    def resource_name(self, environment: str) -> str:
        """Logical name of the cell's workload component (unique per region and domain)."""
        base = f"{environment}-{self.region}"
        return base if self.home else f"{base}-{self.domain}"


def cell_namespace(domain: str, home: bool) -> str:
    return PLATFORM_CORE if home else f"platform-{domain}"


def domain_hostname(cfg: PlatformConfig, dom: DataDomainConfig) -> str:
    """A residency domain is served on the residency hostname when one is configured."""
    eu = cfg.global_traffic.eu_hostname
    if dom.residency == "eu" and eu:
        return eu
    return cfg.app.hostname


def domain_tenants(cfg: PlatformConfig, dom: DataDomainConfig) -> tuple[str, ...]:
    return tuple(sorted(t.id for t in cfg.tenants if t.data_residency == dom.residency))


def region_cells(cfg: PlatformConfig, region: str) -> list[Cell]:
    """The cells of one region, home cell first, then the other domains in config order."""
    home = cfg.domain_of_region(region)
    doms = [d for d in cfg.data_domains if region in d.regions]
    doms.sort(key=lambda d: 0 if home is not None and d.name == home.name else 1)
    out: list[Cell] = []
    for dom in doms:
        is_home = home is not None and dom.name == home.name
        queue = cfg.app.worker.queue_list_name
        out.append(Cell(region=region, domain=dom.name, residency=dom.residency, home=is_home,
                        namespace=cell_namespace(dom.name, is_home), hostname=domain_hostname(cfg, dom),
                        tenants=domain_tenants(cfg, dom),
                        queue_list=queue if is_home else f"{queue}-{dom.name}"))
    return out


def domain_cell_namespace(cfg: PlatformConfig, region: str, domain: str) -> str | None:
    """The namespace of `domain`'s cell in `region`; None when the region holds no such cell."""
    return next((c.namespace for c in region_cells(cfg, region) if c.domain == domain), None)


def cell_plan(cfg: PlatformConfig) -> list[Cell]:
    """Every cell of the stack, regions in config order."""
    return [c for r in cfg.region_names for c in region_cells(cfg, r)]


def hostname_cells(cfg: PlatformConfig) -> dict[str, list[Cell]]:
    """Hostname -> the cells its pools may point at (its domain's cells only)."""
    out: dict[str, list[Cell]] = {}
    for cell in cell_plan(cfg):
        out.setdefault(cell.hostname, []).append(cell)
    return out
