"""Cloudflare global load balancing for one public hostname, and the API rate limit of a zone.

Monitors and pools are account-scoped, the load balancer zone-scoped (C42); one monitor per
hostname because the monitor must send that hostname's Host header so the ALB host rules and the
ACM certificate (SNI) match. The load balancer is proxied, so failover is decided at the edge
and never waits for a DNS TTL. Property names follow pulumi-cloudflare v6 (origins `header.hosts`,
`default_pools`/`fallback_pool`/`region_pools`, `adaptive_routing.failover_across_pools`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi

# Cloudflare health-check regions closest to each AWS region: probes from far away would add
# latency noise and multiply probe traffic for nothing (C43).
CHECK_REGIONS: dict[str, str] = {
    "us-east-1": "ENAM", "us-east-2": "ENAM", "ca-central-1": "ENAM",
    "us-west-1": "WNAM", "us-west-2": "WNAM", "ca-west-1": "WNAM", "mx-central-1": "WNAM",
    "sa-east-1": "SSAM",
    "eu-west-1": "WEU", "eu-west-2": "WEU", "eu-west-3": "WEU", "eu-south-2": "WEU",
    "eu-central-1": "WEU", "eu-central-2": "WEU", "eu-south-1": "WEU", "eu-north-1": "EEU",
    "me-south-1": "ME", "me-central-1": "ME", "il-central-1": "ME", "af-south-1": "SAF",
    "ap-south-1": "SAS", "ap-south-2": "SAS",
    "ap-southeast-1": "SEAS", "ap-southeast-3": "SEAS", "ap-southeast-5": "SEAS", "ap-southeast-7": "SEAS",
    "ap-east-1": "NEAS", "ap-east-2": "NEAS", "ap-northeast-1": "NEAS", "ap-northeast-2": "NEAS",
    "ap-northeast-3": "NEAS",
    "ap-southeast-2": "OC", "ap-southeast-4": "OC",
}


def check_region(aws_region: str) -> str:
    return CHECK_REGIONS.get(aws_region, "ENAM")


def slug(hostname: str) -> str:
    """`api.eu.example.com` -> `api-eu-example-com` (resource and pool names)."""
    return hostname.replace(".", "-")


def detection_seconds(interval_seconds: int, consecutive_down: int) -> int:
    """How long before the edge marks an origin down and steers away (guide target < 30 s)."""
    return interval_seconds * consecutive_down


@dataclass
class OriginPoolSpec:
    region: str
    address: pulumi.Input[str]
    """The region's ALB hostname."""


@dataclass
class MonitorSpec:
    path: str = "/health/ready"
    interval_seconds: int = 10
    consecutive_down: int = 3
    timeout_seconds: int = 5


@dataclass
class GlobalLoadBalancerArgs:
    account_id: str
    zone_id: str
    hostname: str
    pools: Sequence[OriginPoolSpec]
    """In default failover order: traffic no geo rule matches goes to the first healthy pool."""
    region_pools: Mapping[str, Sequence[str]]
    """Cloudflare geo region code -> AWS regions in preference order (only regions in `pools`)."""
    fallback_region: str
    """Pool used when every pool is unhealthy; also the last entry of the failover order."""
    monitor: MonitorSpec = field(default_factory=MonitorSpec)
    notification_email: str | None = None
    name_prefix: str = "agentic"
    """Prefix of the account-scoped names (monitor description, pool names): the environment."""


class GlobalLoadBalancer(pulumi.ComponentResource):
    """Monitor + one pool per region + a proxied geo-steered load balancer for one hostname."""

    load_balancer_id: pulumi.Output[str]
    pool_ids: dict[str, pulumi.Output[str]]
    monitor_id: pulumi.Output[str]
    detection_seconds: int

    def __init__(self, name: str, args: GlobalLoadBalancerArgs, opts: pulumi.ResourceOptions | None = None):
        # The Cloudflare SDK is imported where its resources are made, not at the top: its package
        # imports all of its ~840 modules (2-3 s), and this module's pure helpers serve stacks and
        # tests that never make a Cloudflare resource (local, dev, staging; the edge's unit tests).
        import pulumi_cloudflare as cloudflare

        super().__init__("agentic:cloudflare:GlobalLoadBalancer", name, {"hostname": args.hostname}, opts)
        regions = [p.region for p in args.pools]
        if not regions:
            raise ValueError(f"GlobalLoadBalancerArgs.pools is empty for {args.hostname}: nothing to balance")
        if args.fallback_region not in regions:
            raise ValueError(f"fallback region '{args.fallback_region}' has no pool for {args.hostname} "
                             f"(pools: {', '.join(regions)})")
        for code, wanted in args.region_pools.items():
            stray = [r for r in wanted if r not in regions]
            if stray:
                raise ValueError(f"geo code {code} of {args.hostname} names regions without a pool: {stray}")
        child = pulumi.ResourceOptions(parent=self)
        m = args.monitor
        monitor = cloudflare.LoadBalancerMonitor(
            f"{name}-monitor",
            account_id=args.account_id,
            description=f"{args.name_prefix} {args.hostname} readiness",
            type="https",
            method="GET",
            path=m.path,
            port=443,
            header={"Host": [args.hostname]},
            expected_codes="2xx",
            follow_redirects=False,
            allow_insecure=False,
            interval=m.interval_seconds,
            timeout=m.timeout_seconds,
            retries=1,
            consecutive_down=m.consecutive_down,
            consecutive_up=2,
            opts=child,
        )
        pools: dict[str, cloudflare.LoadBalancerPool] = {}
        for spec in args.pools:
            pools[spec.region] = cloudflare.LoadBalancerPool(
                f"{name}-pool-{spec.region}",
                account_id=args.account_id,
                name=f"{args.name_prefix}-{slug(args.hostname)}-{spec.region}",
                description=f"{args.hostname} origin in {spec.region}",
                enabled=True,
                minimum_origins=1,
                monitor=monitor.id,
                check_regions=[check_region(spec.region)],
                notification_email=args.notification_email,
                origins=[{
                    "name": spec.region,
                    "address": spec.address,
                    "enabled": True,
                    "weight": 1,
                    # The ALB routes and presents its certificate by the public hostname.
                    "header": {"hosts": [args.hostname]},
                }],
                opts=child,
            )
        lb = cloudflare.LoadBalancer(
            f"{name}-lb",
            zone_id=args.zone_id,
            name=args.hostname,
            description=f"{args.name_prefix} {args.hostname}: geo steering, ordered failover",
            proxied=True,
            enabled=True,
            steering_policy="geo",
            default_pools=[pools[r].id for r in regions],
            fallback_pool=pools[args.fallback_region].id,
            region_pools={code: [pools[r].id for r in wanted] for code, wanted in args.region_pools.items()},
            adaptive_routing={"failover_across_pools": True},
            session_affinity="none",
            opts=child,
        )
        self.monitor_id = monitor.id
        self.pool_ids = {r: p.id for r, p in pools.items()}
        self.load_balancer_id = lb.id
        self.detection_seconds = detection_seconds(m.interval_seconds, m.consecutive_down)
        self.register_outputs({"load_balancer_id": lb.id, "pool_ids": self.pool_ids})


@dataclass
class ApiRateLimitArgs:
    zone_id: str
    hostnames: Sequence[str]
    requests_per_period: int
    period_seconds: int
    mitigation_timeout_seconds: int


def rate_limit_expression(hostnames: Sequence[str]) -> str:
    hosts = " ".join(f'"{h}"' for h in hostnames)
    return f"(http.host in {{{hosts}}})"


class ApiRateLimit(pulumi.ComponentResource):
    """The zone's `http_ratelimit` entry-point ruleset: per client IP per Cloudflare colo.

    A zone has exactly one entry-point ruleset per phase, so every API hostname of the zone
    shares this one ruleset (one rule matching all of them).
    """

    ruleset_id: pulumi.Output[str]

    def __init__(self, name: str, args: ApiRateLimitArgs, opts: pulumi.ResourceOptions | None = None):
        import pulumi_cloudflare as cloudflare  # here, not at the top: see GlobalLoadBalancer

        super().__init__("agentic:cloudflare:ApiRateLimit", name, {}, opts)
        ruleset = cloudflare.Ruleset(
            f"{name}-ruleset",
            zone_id=args.zone_id,
            name="API rate limiting",
            description="Guide Phase 2/4: rate limiting at ingress, before the origin pays for it",
            kind="zone",
            phase="http_ratelimit",
            rules=[{
                "action": "block",
                "description": f"{args.requests_per_period} requests / {args.period_seconds}s per IP",
                "enabled": True,
                "expression": rate_limit_expression(args.hostnames),
                "ratelimit": {
                    "characteristics": ["cf.colo.id", "ip.src"],
                    "period": args.period_seconds,
                    "requests_per_period": args.requests_per_period,
                    "mitigation_timeout": args.mitigation_timeout_seconds,
                },
            }],
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.ruleset_id = ruleset.id
        self.register_outputs({"ruleset_id": ruleset.id})
