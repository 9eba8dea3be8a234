"""Residency along a whole request path: hostname -> pool -> origin -> cell -> stores.

Every resource can pass the residency policies on its own while a path through them still
breaks the promise (a global hostname's pool on an EU cell, an EU cell reading the global
database). A domain cell (stacks/cells.py) declares itself in its `app-settings` ConfigMap
(DATA_DOMAIN, DATA_RESIDENCY, PUBLIC_HOSTNAME, DATABASE_HOST, DATABASE_READ_HOST, UPLOADS_BUCKET,
and with the event backbone EVENT_BUS_NAME, CACHE_INVALIDATION_QUEUE_URL); this module joins it
to what it reaches: its Ingress (origin and host rules), the database endpoint, the uploads
bucket, the event bus and queue, the Secrets Manager secrets of its namespace's ExternalSecrets,
the Cloudflare pools whose origin is its ALB, and (pod identity -> store) every event bus and SQS
queue of the stack that an IAM role bound to its namespace in its region is allowed to act on
(an Allow statement with an `events:`/`sqs:` action whose Resource matches the bus's or queue's
ARN, wildcards included). Pure over `Res` records, so the `path-residency` policy and the
preview's "request paths" section share one implementation.

Limits: the IAM join covers the event backbone's stores (buses, queues), not yet the bucket or
database grants; a policy document unknown in preview (a new resource's ARN in it) is skipped, as
an unknown ConfigMap value is.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

from .props import as_list, get, items, mapping, parse_json
from .spec import Meta, stack_policy

CONFIG_MAP = "kubernetes:core/v1:ConfigMap"
INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"
EXTERNAL_SECRET = "kubernetes:external-secrets.io/v1:ExternalSecret"
DB_TYPES = ("aws:rds/proxy:Proxy", "aws:rds/proxyEndpoint:ProxyEndpoint", "aws:rds/cluster:Cluster")
BUCKET = "aws:s3/bucket:Bucket"
SECRET = "aws:secretsmanager/secret:Secret"
CF_POOL = "cloudflare:index/loadBalancerPool:LoadBalancerPool"
EVENT_BUS = "aws:cloudwatch/eventBus:EventBus"
QUEUE = "aws:sqs/queue:Queue"
POD_IDENTITY = "aws:eks/podIdentityAssociation:PodIdentityAssociation"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ROLE_POLICY_ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
IAM_POLICY = "aws:iam/policy:Policy"
IAM_TYPES = (POD_IDENTITY, ROLE, ROLE_POLICY, ROLE_POLICY_ATTACHMENT, IAM_POLICY)
GRANTABLE = {EVENT_BUS: ("event bus", "events"), QUEUE: ("queue", "sqs")}
"""Stores reached through a role's grants: resource type -> (kind, IAM service prefix)."""
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
    """database, database (read-only), bucket, secret, event bus, queue, or `<kind> via <sa> role`
    (granted to a pod identity of the cell's namespace)."""
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


def _store(kind: str, name: str, r: Res | None) -> Store:
    """A domain-bound store; a reference to nothing of this stack has residency `unknown`."""
    return Store(kind, name, r.region if r else None, (r.residency or NONE) if r else "unknown", True)


def _documents(res: Iterable[Res]) -> dict[str, list[Any]]:
    """Role name or ARN -> its policy documents (inline, RolePolicy, attached managed Policy)."""
    by_type: dict[str, list[Res]] = {}
    for r in res:
        by_type.setdefault(r.type, []).append(r)
    managed = {_str(get(p.props, "arn")): parse_json(get(p.props, "policy")) for p in by_type.get(IAM_POLICY, [])}
    # A role is named by its ARN (associations) or its name (RolePolicy.role): one entry for both.
    roles: dict[str, list[Any]] = {}
    alias: dict[str, list[Any]] = {}
    for role in by_type.get(ROLE, []):
        docs = roles.setdefault(_str(get(role.props, "arn")) or role.urn, [])
        docs.extend(parse_json(get(i, "policy")) for i in items(role.props, "inlinePolicies"))
        for key in {_str(get(role.props, "name")), _str(get(role.props, "arn"))} - {""}:
            alias[key] = docs
    for rp in by_type.get(ROLE_POLICY, []):
        alias.setdefault(_str(get(rp.props, "role")), []).append(parse_json(get(rp.props, "policy")))
    for att in by_type.get(ROLE_POLICY_ATTACHMENT, []):
        alias.setdefault(_str(get(att.props, "role")), []).append(managed.get(_str(get(att.props, "policyArn"))))
    return alias


def _reaches(st: dict[str, Any], service: str, arn: str) -> bool:
    """Whether one Allow statement grants some action of `service` on `arn`. NotAction and
    NotResource grant everything they do not list, so they are read that way (fail closed)."""
    if "NotAction" in st:
        excluded = {str(a) for a in as_list(st.get("NotAction"))}
        acts = "*" not in excluded and f"{service}:*" not in excluded
    else:
        acts = bool({str(a).split(":", maxsplit=1)[0] for a in as_list(st.get("Action"))} & {service, "*"})
    if not acts:
        return False
    if "NotResource" in st:
        return not any(fnmatchcase(arn, str(p)) for p in as_list(st.get("NotResource")))
    return any(fnmatchcase(arn, str(p)) for p in as_list(st.get("Resource")))


def _granted(docs: Iterable[Any], targets: Iterable[tuple[str, str, Res]]) -> list[tuple[str, Res]]:
    """(arn, store) of `targets` ((service, arn, res)) some Allow statement of `docs` reaches: an
    action of the store's service (or `*`) on a Resource pattern matching its ARN, wildcards too."""
    wanted = list(targets)
    found: dict[str, tuple[str, Res]] = {}
    for doc in docs:
        if not isinstance(doc, dict):
            continue
        for st in as_list(doc.get("Statement")):
            if not isinstance(st, dict) or st.get("Effect") != "Allow":
                continue
            for service, arn, r in wanted:
                if _reaches(st, service, arn):
                    found[arn] = (arn, r)
    return sorted(found.values(), key=lambda v: v[0])


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

    buses = {(r.region, _str(get(r.props, "name"))): r for r in by_type.get(EVENT_BUS, [])}
    queues = {_str(get(r.props, "url")): r for r in by_type.get(QUEUE, []) if _str(get(r.props, "url"))}
    grantable = {t: [(service, _str(get(r.props, "arn")), r) for r in by_type.get(t, []) if _str(get(r.props, "arn"))]
                 for t, (_, service) in GRANTABLE.items()}
    role_docs = _documents(r for t in IAM_TYPES for r in by_type.get(t, [])) if any(grantable.values()) else {}

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
        bus = _str(data.get("EVENT_BUS_NAME"))
        if bus:
            path.stores.append(_store("event bus", bus, buses.get((cm.region, bus))))
        queue = _str(data.get("CACHE_INVALIDATION_QUEUE_URL"))
        if queue:
            path.stores.append(_store("queue", queue, queues.get(queue)))
        if role_docs:
            for assoc in by_type.get(POD_IDENTITY, []):
                if assoc.region != cm.region or get(assoc.props, "namespace") != ns:
                    continue
                sa = _str(get(assoc.props, "serviceAccount"))
                docs = role_docs.get(_str(get(assoc.props, "roleArn")), [])
                for t, (kind, _) in GRANTABLE.items():
                    for arn, r in _granted(docs, grantable[t]):
                        path.stores.append(_store(f"{kind} via {sa} role", arn, r))
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
    wanted = {CONFIG_MAP, INGRESS, EXTERNAL_SECRET, *DB_TYPES, BUCKET, SECRET, CF_POOL, *GRANTABLE, *IAM_TYPES}
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
         "endpoints, uploads bucket, secrets, event bus and queue, and every bus or queue its pod identities "
         "are granted, all belong to the cell's data domain (an EU cell only ever reaches EU-resident stores "
         "in EU regions)."),
    _path_residency)

POLICIES = [path_residency]
