"""Residency along a whole request path: hostname -> pool -> origin -> cell -> stores.

Every resource can pass the residency policies on its own while a path through them still
breaks the promise (a global hostname's pool on an EU cell, an EU cell reading the global
database). A domain cell (stacks/cells.py) declares itself in its `app-settings` ConfigMap
(DATA_DOMAIN, DATA_RESIDENCY, PUBLIC_HOSTNAME, DATABASE_HOST, DATABASE_READ_HOST, UPLOADS_BUCKET);
this module joins it to what it reaches: its Ingress (origin and host rules), the database
endpoint, the uploads bucket, the Secrets Manager secrets of its namespace's ExternalSecrets,
and the Cloudflare pools whose origin is its ALB. Pure over `Res` records, so the
`path-residency` policy and the preview's "request paths" section share one implementation.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from .props import get, items, mapping
from .spec import Meta, stack_policy

CONFIG_MAP = "kubernetes:core/v1:ConfigMap"
INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"
EXTERNAL_SECRET = "kubernetes:external-secrets.io/v1:ExternalSecret"
DB_TYPES = ("aws:rds/proxy:Proxy", "aws:rds/proxyEndpoint:ProxyEndpoint", "aws:rds/cluster:Cluster")
BUCKET = "aws:s3/bucket:Bucket"
SECRET = "aws:secretsmanager/secret:Secret"
CF_POOL = "cloudflare:index/loadBalancerPool:LoadBalancerPool"
NONE = "none"


@dataclass(frozen=True)
class Res:
    urn: str
    type: str
    props: Any
    region: str | None
    residency: str | None


@dataclass(frozen=True)
class Store:
    kind: str
    """database, database (read-only), bucket, secret."""
    name: str
    region: str | None
    residency: str
    domain_bound: bool
    """Database and bucket belong to one domain: residency must match exactly. Secrets are
    region-shared (LLM keys, signing keys): only an EU cell is restricted to EU-resident ones."""


@dataclass
class CellPath:
    region: str
    namespace: str
    domain: str
    residency: str
    hostname: str
    urn: str
    origin: str = ""
    host_rules: list[str] = field(default_factory=list)
    pools: list[str] = field(default_factory=list)
    """Hostnames of the Cloudflare load balancers with a pool on this cell's origin."""
    stores: list[Store] = field(default_factory=list)


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _host_of(endpoint: str) -> str:
    return endpoint.split(":", maxsplit=1)[0]


def cell_paths(resources: Iterable[Res]) -> list[CellPath]:
    res = list(resources)
    by_type: dict[str, list[Res]] = {}
    for r in res:
        by_type.setdefault(r.type, []).append(r)
    endpoints: dict[str, Res] = {}
    for t in DB_TYPES:
        for r in by_type.get(t, []):
            for key in ("endpoint", "readerEndpoint"):
                host = _host_of(_str(get(r.props, key)))
                if host and (host not in endpoints or t != "aws:rds/cluster:Cluster"):
                    endpoints[host] = r
    buckets = {_str(get(r.props, "bucket")): r for r in by_type.get(BUCKET, []) if _str(get(r.props, "bucket"))}
    secrets: dict[str, Res] = {}
    for r in by_type.get(SECRET, []):
        for key in ("arn", "name", "id"):
            if _str(get(r.props, key)):
                secrets[_str(get(r.props, key))] = r
    # A pool's origin carries the Host header of its load balancer's hostname (the monitor and
    # the ALB's host rules need it): origin address -> hostnames whose traffic reaches it.
    pool_hosts: dict[str, list[str]] = {}
    for pool in by_type.get(CF_POOL, []):
        for origin in items(pool.props, "origins"):
            hosts = [_str(h) for h in items(origin, "header.hosts")]
            pool_hosts.setdefault(_str(get(origin, "address")), []).extend(hosts)

    out: list[CellPath] = []
    for cm in by_type.get(CONFIG_MAP, []):
        data = mapping(cm.props, "data")
        if get(cm.props, "metadata.name") != "app-settings" or "DATA_RESIDENCY" not in data:
            continue
        ns = _str(get(cm.props, "metadata.namespace"))
        path = CellPath(region=cm.region or "?", namespace=ns, domain=_str(data.get("DATA_DOMAIN")),
                        residency=_str(data.get("DATA_RESIDENCY")) or NONE,
                        hostname=_str(data.get("PUBLIC_HOSTNAME")), urn=cm.urn)
        for ing in by_type.get(INGRESS, []):
            if ing.region == cm.region and get(ing.props, "metadata.namespace") == ns:
                path.host_rules += [_str(get(rule, "host")) for rule in items(ing.props, "spec.rules")]
                path.origin = _str(get(ing.props, "status.loadBalancer.ingress.0.hostname")) or path.origin
        path.pools = sorted(set(pool_hosts.get(path.origin, []))) if path.origin else []
        for kind, key in (("database", "DATABASE_HOST"), ("database (read-only)", "DATABASE_READ_HOST")):
            host = _host_of(_str(data.get(key)))
            if host:
                db = endpoints.get(host)
                path.stores.append(Store(kind, host, db.region if db else None,
                                         (db.residency or NONE) if db else "unknown", True))
        bucket = _str(data.get("UPLOADS_BUCKET"))
        if bucket:
            b = buckets.get(bucket)
            path.stores.append(Store("bucket", bucket, b.region if b else None,
                                     (b.residency or NONE) if b else "unknown", True))
        for es in by_type.get(EXTERNAL_SECRET, []):
            if es.region != cm.region or get(es.props, "metadata.namespace") != ns:
                continue
            for d in items(es.props, "spec.data"):
                key = _str(get(d, "remoteRef.key"))
                s = secrets.get(key)
                name = _str(get(s.props, "name")) if s else key
                path.stores.append(Store("secret", name, s.region if s else None,
                                         (s.residency or NONE) if s else "unknown", False))
        out.append(path)
    return sorted(out, key=lambda p: (p.hostname, p.region, p.domain))


def path_violations(path: CellPath, residency_regions: Mapping[str, Iterable[str]],
                    residency_hosts: Mapping[str, Iterable[str]]) -> Iterator[str]:
    """Why this cell's paths leave its residency (empty: they do not)."""
    where = f"cell {path.domain} ({path.residency}) in {path.region}/{path.namespace}"
    host_class = {h: c for c, hosts in residency_hosts.items() for h in hosts}
    allowed = set(residency_regions.get(path.residency, ())) if path.residency != NONE else None
    if allowed is not None and path.region not in allowed:
        yield f"{where} runs outside its residency's regions ({', '.join(sorted(allowed))})"
    for host in sorted({*path.host_rules, *path.pools}):
        cls = host_class.get(host, NONE)
        if cls != path.residency and (cls != NONE or host_class):
            yield f"{where} serves hostname {host} of residency {cls}"
    for s in path.stores:
        if s.residency == "unknown":
            yield f"{where} reaches {s.kind} {s.name}, which is not a store of this stack (residency unprovable)"
        elif s.domain_bound and s.residency != path.residency:
            yield f"{where} reaches {s.kind} {s.name} of residency {s.residency}"
        elif not s.domain_bound and path.residency not in (NONE, s.residency):
            yield f"{where} reads {s.kind} {s.name} of residency {s.residency}"
        if allowed is not None and s.region is not None and s.region not in allowed:
            yield f"{where} reaches {s.kind} {s.name} in {s.region}, outside its residency"


# --- the stack policy -----------------------------------------------------------------------------

def _records(view: Any) -> list[Res]:
    wanted = {CONFIG_MAP, INGRESS, EXTERNAL_SECRET, *DB_TYPES, BUCKET, SECRET, CF_POOL}
    return [Res(r.urn, r.resource_type, r.props, _region_str(view.region(r)), view.residency(r))
            for r in view.resources if r.resource_type in wanted]


def _region_str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _path_residency(view: Any) -> Iterator[tuple[str, str | None]]:
    s = view.settings
    for path in cell_paths(_records(view)):
        for message in path_violations(path, s.residencies, s.residency_hostnames):
            yield message, path.urn


path_residency = stack_policy(
    Meta("path-residency", "residency",
         "Every request path stays in one residency: a domain cell's hostname, Cloudflare pools, database "
         "endpoints, uploads bucket and secrets all belong to the cell's data domain (an EU cell only ever "
         "reaches EU-resident stores in EU regions)."),
    _path_residency)

POLICIES = [path_residency]
