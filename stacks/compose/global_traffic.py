"""Global pieces: Cloudflare load balancing per public hostname, cross-region peering.

Pure helpers decide pool order and the EU hostname's pools (EU regions only, so an EU-resident
tenant's requests never terminate outside the EU); the components only create what they say.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pulumi

from components.cloudflare_edge import ZoneEdge, ZoneEdgeArgs
from components.cloudflare_lb import (
    ApiRateLimit,
    ApiRateLimitArgs,
    GlobalLoadBalancer,
    GlobalLoadBalancerArgs,
    MonitorSpec,
    OriginPoolSpec,
    slug,
)
from components.network import Network
from components.peering import PeerSide, VpcPeering, VpcPeeringArgs, peer_pairs
from stacks.cells import hostname_cells
from stacks.compose.types import RegionContext, RegionWorkload
from stacks.config import PlatformConfig
from stacks.config.regions import short_region

if TYPE_CHECKING:
    import pulumi_cloudflare as cloudflare

EU = "eu"


def failover_order(cfg: PlatformConfig, regions: list[str], fallback: str) -> list[str]:
    """`default_pools` order: the fallback (primary-DB region) first, active regions in config
    order next, warm standbys last (they run small until promoted)."""
    rest = [r for r in cfg.region_names if r in regions and r != fallback]
    active = [r for r in rest if not cfg.region(r).standby]
    standby = [r for r in rest if cfg.region(r).standby]
    return [fallback, *active, *standby]


def hostname_plan(cfg: PlatformConfig, with_origin: set[str]) -> dict[str, dict[str, Any]]:
    """Per hostname: residency, pool regions in failover order, geo map, fallback (pure).

    Only regions with an origin (`with_origin`) can get a pool. The EU hostname keeps only the
    EU data domain's regions, in the domain's order (primary first).
    """
    gt = cfg.global_traffic
    out: dict[str, dict[str, Any]] = {}
    # Only regions holding a cell of a domain served on the API hostname (stacks/cells.py): the
    # EU-only standby region has no global cell, so the API hostname gets no pool there.
    served = {c.region for c in hostname_cells(cfg).get(cfg.app.hostname, [])}
    regions = [r for r in cfg.region_names if r in with_origin and r in served]
    if regions:
        fallback = gt.fallback_region if gt.fallback_region in regions else regions[0]
        out[cfg.app.hostname] = {
            "residency": "none",
            "regions": failover_order(cfg, regions, fallback),
            "geo": {g.code: [r for r in g.regions if r in regions] for g in gt.geo
                    if any(r in regions for r in g.regions)},
            "fallback": fallback,
        }
    if gt.eu_hostname is not None:
        eu_domain = next((d for d in cfg.data_domains if d.residency == EU), None)
        eu_regions = [r for r in (eu_domain.regions if eu_domain else ()) if r in with_origin]
        if eu_regions:
            out[gt.eu_hostname] = {
                "residency": EU,
                "regions": eu_regions,
                "geo": {g.code: [r for r in g.regions if r in eu_regions] for g in gt.geo
                        if any(r in eu_regions for r in g.regions)},
                "fallback": eu_regions[0],
            }
    return out


def cell_origins(workloads: dict[str, RegionWorkload]) -> dict[str, dict[str, Any]]:
    """Hostname -> region -> the ALB of the one cell serving that hostname there: a pool never
    points at another domain's cell."""
    out: dict[str, dict[str, Any]] = {}
    for region, wl in workloads.items():
        for cell in wl.cells.values():
            if cell.ingress_hostname is not None:
                out.setdefault(cell.cell.hostname, {})[region] = cell.ingress_hostname
    return out


def cloudflare_provider(cfg: PlatformConfig) -> cloudflare.Provider:
    """Explicit provider so the token is a Pulumi secret of this stack and nothing implicit.

    Set with `pulumi config set --secret cloudflare:apiToken <token>` (a least-privilege token:
    Load Balancing Monitors and Pools Write on the account, Load Balancers + DNS + Zone WAF
    + Zone Settings + SSL and Certificates + Cache Settings Write on the zone). Unset, the
    provider falls back to CLOUDFLARE_API_TOKEN.
    """
    import pulumi_cloudflare as cloudflare  # only when used: components/cloudflare_lb.py says why

    token = pulumi.Config("cloudflare").get_secret("apiToken")
    return cloudflare.Provider(f"cloudflare-{cfg.environment}", api_token=token)


def origin_pull_identity(cfg: PlatformConfig) -> tuple[pulumi.Output[str] | None, pulumi.Output[str] | None]:
    """The zone's origin-pull client certificate and key (Pulumi secrets), only with the CA that
    issued them configured: the ALB trust stores hold that CA (stacks/compose/workload.py), and a
    certificate the origin does not trust would lock Cloudflare out. Both stay secret outputs."""
    s = cfg.secrets
    if cfg.global_traffic.edge.origin_pull_ca_pem is None or s.origin_pull_certificate is None \
            or s.origin_pull_private_key is None:
        return None, None
    return (pulumi.Output.secret(s.origin_pull_certificate.get_secret_value()),
            pulumi.Output.secret(s.origin_pull_private_key.get_secret_value()))


def _acm_records(workloads: dict[str, RegionWorkload]) -> list[tuple[str, dict[str, Any]]]:
    """(region, record) for every ACM validation record the workload layer asks for.

    Expected shape: `extras["acm_validation"]` = list of {domain, name, type, value} (name/value
    may be Outputs). ACM gives the same CNAME for a domain in every region of an account, so one
    record per domain name is enough (and Cloudflare refuses a duplicate CNAME).
    """
    seen: set[str] = set()
    out: list[tuple[str, dict[str, Any]]] = []
    for region, wl in workloads.items():
        records = wl.extras.get("acm_validation") or []
        for rec in records:
            domain = str(rec.get("domain", ""))
            if domain in seen:
                continue
            seen.add(domain)
            out.append((region, rec))
    return out


class DomainPeerings:
    """Peering between the workload regions of each data domain (multi-region stacks only).

    Each pair is created as soon as the base layer has built both regions' networks (`add`, called
    per region in config order), not after the workloads: the deploy runner's path to a cluster
    reuses its region's domain peering (components/ci_peering.py), and that cluster's Kubernetes
    provider waits for the routes, so a first `pulumi up` needs no second run. Names and parents
    are those of the pair's first region, as before (same URNs).
    """

    def __init__(self, cfg: PlatformConfig) -> None:
        self.cfg = cfg
        self.pairs = peer_pairs({d.name: d.regions for d in cfg.data_domains}, list(cfg.region_names))
        self.contexts: dict[str, RegionContext] = {}
        self.networks: dict[str, Network] = {}
        self.peerings: dict[frozenset[str], VpcPeering] = {}

    def add(self, ctx: RegionContext, network: Network) -> list[VpcPeering]:
        """Register `ctx`'s network; create every domain pair whose two networks now exist."""
        self.contexts[ctx.name] = ctx
        self.networks[ctx.name] = network
        made: list[VpcPeering] = []
        for a, b in self.pairs:
            if ctx.name not in (a, b) or a not in self.networks or b not in self.networks:
                continue
            name = f"{self.cfg.environment}-peer-{short_region(a)}-{short_region(b)}"
            na, nb = self.networks[a], self.networks[b]
            peering = VpcPeering(name, VpcPeeringArgs(
                requester=PeerSide(region=a, vpc_id=na.vpc_id, cidr=na.vpc_cidr,
                                   route_table_ids=list(na.private_route_table_ids)),
                accepter=PeerSide(region=b, vpc_id=nb.vpc_id, cidr=nb.vpc_cidr,
                                  route_table_ids=list(nb.private_route_table_ids)),
                tags={**self.contexts[a].tags, "Name": name},
            ), opts=self.contexts[a].opts())
            self.peerings[frozenset((a, b))] = peering
            made.append(peering)
        return made

    def between(self, a: str, b: str) -> VpcPeering | None:
        """The domain peering joining regions `a` and `b`, once both networks are built."""
        return self.peerings.get(frozenset((a, b)))


def build_global_traffic(cfg: PlatformConfig, workloads: dict[str, RegionWorkload]) -> dict[str, Any]:
    """The Cloudflare LB per hostname (when enabled). Returns the `hostnames` export. (Domain
    peerings are built with the regions' bases, `DomainPeerings`; the mesh per region right after
    the base, in `stacks.platform`, so the injector exists before meshed pods start.)"""
    gt = cfg.global_traffic
    if not gt.enabled:
        return {}
    import pulumi_cloudflare as cloudflare  # only when used: components/cloudflare_lb.py says why

    origins = cell_origins(workloads)
    plan = hostname_plan(cfg, {r for by_region in origins.values() for r in by_region})
    plan = {h: {**spec, "regions": [r for r in spec["regions"] if r in origins.get(h, {})]}
            for h, spec in plan.items()}
    if not plan:
        pulumi.log.warn("global_traffic.enabled but no region exposes an ingress hostname yet: "
                        "no Cloudflare load balancer is created")
        return {}
    origins_cells = {h: {r: f"{r}/{c.cell.domain}" for r, wl in workloads.items() for c in wl.cells.values()
                         if c.cell.hostname == h} for h in plan}
    provider = cloudflare_provider(cfg)
    opts = pulumi.ResourceOptions(providers={"cloudflare": provider})
    monitor = MonitorSpec(path=gt.monitor.path, interval_seconds=gt.monitor.interval_seconds,
                          consecutive_down=gt.monitor.consecutive_failures,
                          timeout_seconds=gt.monitor.timeout_seconds)
    hostnames: dict[str, Any] = {}
    for hostname, spec in plan.items():
        lb = GlobalLoadBalancer(f"{cfg.environment}-edge-{slug(hostname)}", GlobalLoadBalancerArgs(
            account_id=gt.account_id,
            zone_id=gt.zone_id,
            hostname=hostname,
            pools=[OriginPoolSpec(region=r, address=origins[hostname][r]) for r in spec["regions"]],
            region_pools=spec["geo"],
            fallback_region=spec["fallback"],
            monitor=monitor,
            notification_email=cfg.observability.alert_email,
            name_prefix=cfg.environment,
        ), opts=opts)
        hostnames[hostname] = {
            "residency": spec["residency"],
            "pools": [{"region": r, "origin": origins[hostname][r], "pool_id": lb.pool_ids[r],
                       "cell": origins_cells[hostname][r]} for r in spec["regions"]],
            "load_balancer_id": lb.load_balancer_id,
            "zone_id": gt.zone_id,
            "account_id": gt.account_id,
            "detection_seconds": lb.detection_seconds,
        }
    ApiRateLimit(f"{cfg.environment}-edge-ratelimit", ApiRateLimitArgs(
        zone_id=gt.zone_id, hostnames=list(plan),
        requests_per_period=gt.rate_limit.requests_per_period,
        period_seconds=gt.rate_limit.period_seconds,
        mitigation_timeout_seconds=gt.rate_limit.mitigation_timeout_seconds,
    ), opts=opts)
    edge = gt.edge
    cert, key = origin_pull_identity(cfg)
    ZoneEdge(f"{cfg.environment}-edge-zone", ZoneEdgeArgs(
        zone_id=gt.zone_id, hostnames=list(plan), min_tls_version=edge.min_tls_version,
        managed_rulesets=edge.managed_waf_rulesets, static_path_prefixes=edge.static_path_prefixes,
        static_extensions=edge.static_extensions,
        origin_pull_certificate=cert, origin_pull_private_key=key,
    ), opts=opts)
    for region, rec in _acm_records(workloads):
        domain = str(rec.get("domain", ""))
        cloudflare.DnsRecord(
            f"{cfg.environment}-{region}-acm-{slug(domain)}",
            zone_id=gt.zone_id,
            name=rec["name"],
            type=rec.get("type") or "CNAME",
            content=rec["value"],
            ttl=1,  # automatic
            proxied=False,  # ACM must see the CNAME itself
            comment=f"ACM DNS validation for {domain}",
            opts=pulumi.ResourceOptions(provider=provider),
        )
    return hostnames
