"""Cross-field rules that a single field cannot check.

Pure functions over the parsed model: each returns every issue it finds (with the full key
path, the bad value and what is allowed) so one run reports the whole config's problems.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator

from stacks.config.errors import ConfigIssue, key_path
from stacks.config.mesh_trust import PemError, certificate_fingerprints, sample_fingerprints
from stacks.config.models import PlatformConfig
from stacks.config.models_infra import NodeGroupConfig
from stacks.config.regions import RESIDENCY_REGIONS
from stacks.config.validate_delivery import check_delivery
from stacks.config.validate_testing import check_testing
from stacks.versions.support import check_versions

MAX_DETECTION_SECONDS_PROD = 20
"""Prod detection bound: the DR target (stacks/dr/durations.yaml targets.detection) that leaves the
automated write failover its 2 min; the guide itself asks for < 30 s."""
CLOUDFLARE_GEO_REGIONS = frozenset({"WNAM", "ENAM", "WEU", "EEU", "NSAM", "SSAM", "OC", "ME", "NAF", "SAF",
                                    "SAS", "SEAS", "NEAS"})
"""Cloudflare load-balancing geo regions (`region_pools` keys)."""


def _issue(parts: tuple[str | int, ...], message: str) -> ConfigIssue:
    return ConfigIssue(key_path(parts), message)


def is_burstable(instance_class: str) -> bool:
    """db.t3/db.t4g (and cache.t*) classes: refused by Aurora Global (C3)."""
    family = instance_class.split(".")[1] if "." in instance_class else instance_class
    return family.startswith("t")


def check_shape(cfg: PlatformConfig) -> Iterator[ConfigIssue]:
    """Which sections each environment needs."""
    if cfg.is_local:
        if cfg.regions:
            yield _issue(("regions",), "the local stack runs on your kube context; remove `regions`")
        return
    if not cfg.regions:
        yield _issue(("regions",), f"{cfg.environment} needs at least one region, e.g. "
                     "[{name: us-east-1, cidr: 10.10.0.0/16}]")
    if cfg.cluster is None:
        yield _issue(("cluster",), f"{cfg.environment} needs a `cluster` section (version, node_groups)")
    if not cfg.data_domains:
        yield _issue(("data_domains",), "at least one data domain is required, e.g. "
                     "[{name: global, primary: <first region>}]")


def check_regions(cfg: PlatformConfig) -> Iterator[ConfigIssue]:
    seen: dict[str, int] = {}
    nets: list[tuple[int, ipaddress.IPv4Network | ipaddress.IPv6Network]] = []
    for i, region in enumerate(cfg.regions):
        if region.name in seen:
            yield _issue(("regions", i, "name"),
                         f"'{region.name}' is listed twice (also regions[{seen[region.name]}]); "
                         "each region appears once")
        seen.setdefault(region.name, i)
        net = ipaddress.ip_network(region.cidr)
        for j, other in nets:
            if net.overlaps(other):
                yield _issue(("regions", i, "cidr"),
                             f"'{region.cidr}' overlaps regions[{j}].cidr '{other}'; "
                             "give every region its own /16 (they are peered)")
        nets.append((i, net))
    if cfg.aws_region and cfg.regions and cfg.aws_region not in seen:
        yield _issue(("aws:region",), f"'{cfg.aws_region}' is not one of the stack's regions "
                     f"({', '.join(cfg.region_names)}); set it to the primary region")


def check_domains(cfg: PlatformConfig) -> Iterator[ConfigIssue]:
    regions = set(cfg.region_names)
    names: set[str] = set()
    residencies: dict[str, int] = {}
    for i, dom in enumerate(cfg.data_domains):
        if dom.name in names:
            yield _issue(("data_domains", i, "name"), f"domain '{dom.name}' is defined twice")
        names.add(dom.name)
        if dom.residency in residencies:
            yield _issue(("data_domains", i, "residency"),
                         f"residency '{dom.residency}' already belongs to "
                         f"data_domains[{residencies[dom.residency]}]; each residency maps to exactly one domain")
        residencies.setdefault(dom.residency, i)
        if dom.primary not in regions:
            yield _issue(("data_domains", i, "primary"),
                         f"'{dom.primary}' is not one of the stack's regions ({', '.join(cfg.region_names)})")
        for j, rep in enumerate(dom.replicas):
            if rep not in regions:
                yield _issue(("data_domains", i, "replicas", j),
                             f"'{rep}' is not one of the stack's regions ({', '.join(cfg.region_names)})")
            if rep == dom.primary or dom.replicas.index(rep) != j:
                yield _issue(("data_domains", i, "replicas", j),
                             f"'{rep}' appears twice in domain '{dom.name}'; "
                             "Aurora Global allows one member per region")
        if dom.residency != "none":
            allowed = RESIDENCY_REGIONS.get(dom.residency)
            if allowed is None:
                yield _issue(("data_domains", i, "residency"),
                             f"unknown residency '{dom.residency}'; use 'none' or one of "
                             f"{', '.join(sorted(RESIDENCY_REGIONS))}")
            else:
                for j, reg in enumerate(dom.regions):
                    if reg not in allowed:
                        where = ("primary",) if j == 0 else ("replicas", j - 1)
                        yield _issue(("data_domains", i, *where),
                                     f"'{reg}' is outside residency '{dom.residency}'; "
                                     f"use a region in {', '.join(sorted(allowed))}")
        if dom.replicas and dom.global_database is False:
            yield _issue(("data_domains", i, "global_database"),
                         f"false, but domain '{dom.name}' has replicas ({', '.join(dom.replicas)}), which "
                         "only an Aurora Global database can serve; remove the setting or the replicas")
        if cfg.environment == "prod" and not dom.is_global:
            yield _issue(("data_domains", i, "global_database"),
                         f"domain '{dom.name}' is not global in prod; set global_database: true so that "
                         "adding or removing its replica regions never replaces the primary cluster")
        if dom.is_global and is_burstable(cfg.database.instance_class):
            yield _issue(("database", "instance_class"),
                         f"'{cfg.database.instance_class}' is burstable and domain '{dom.name}' is an Aurora "
                         "Global database, which refuses burstable classes; use an r-class "
                         "(db.r7g.large) or db.serverless")
    in_domain = {r for d in cfg.data_domains for r in d.regions}
    for i, region in enumerate(cfg.regions):
        if cfg.data_domains and region.name not in in_domain:
            yield _issue(("regions", i, "name"),
                         f"'{region.name}' belongs to no data domain; add it to a domain's replicas")


def _check_group(parts: tuple[str | int, ...], g: NodeGroupConfig) -> Iterator[ConfigIssue]:
    if not g.min_size <= g.desired_size <= g.max_size:
        yield _issue((*parts, "desired_size"),
                     f"min_size {g.min_size} <= desired_size {g.desired_size} <= max_size {g.max_size} "
                     "must hold")


def check_sizes(cfg: PlatformConfig) -> Iterator[ConfigIssue]:
    if cfg.cluster is not None:
        groups = cfg.cluster.node_groups
        for gname in ("system", "api", "workers"):
            yield from _check_group(("cluster", "node_groups", gname), getattr(groups, gname))
        sb = cfg.cluster.standby
        if sb.node_min > sb.node_desired:
            yield _issue(("cluster", "standby", "node_desired"),
                         f"node_min {sb.node_min} exceeds node_desired {sb.node_desired}")
        if sb.api_replicas > cfg.app.api.hpa.max_replicas:
            yield _issue(("cluster", "standby", "api_replicas"),
                         f"{sb.api_replicas} exceeds app.api.hpa.max_replicas {cfg.app.api.hpa.max_replicas}")
        if sb.worker_replicas > cfg.app.worker.max_replicas:
            yield _issue(("cluster", "standby", "worker_replicas"),
                         f"{sb.worker_replicas} exceeds app.worker.max_replicas {cfg.app.worker.max_replicas}")
    hpa = cfg.app.api.hpa
    if hpa.min_replicas > hpa.max_replicas:
        yield _issue(("app", "api", "hpa", "min_replicas"),
                     f"{hpa.min_replicas} exceeds max_replicas {hpa.max_replicas}")
    if cfg.environment == "prod":
        if hpa.min_replicas < 3:
            yield _issue(("app", "api", "hpa", "min_replicas"),
                         f"{hpa.min_replicas} is too low for prod: at least 3 (one per AZ)")
        if cfg.app.api.replicas < 3:
            yield _issue(("app", "api", "replicas"),
                         f"{cfg.app.api.replicas} is too low for prod: at least 3")
    w = cfg.app.worker
    if w.replicas > w.max_replicas:
        yield _issue(("app", "worker", "replicas"), f"{w.replicas} exceeds max_replicas {w.max_replicas}")
    db = cfg.database
    if db.serverless_min_acu > db.serverless_max_acu:
        yield _issue(("database", "serverless_min_acu"),
                     f"{db.serverless_min_acu} exceeds serverless_max_acu {db.serverless_max_acu}")
    global_domains = [d.name for d in cfg.data_domains if d.is_global]
    if not db.proxy and global_domains:
        yield _issue(("database", "proxy"),
                     f"false, but domain(s) {', '.join(global_domains)} are Aurora Global databases whose "
                     "secondaries are reached through their RDS Proxy; remove `proxy: false`")
    if db.instance_class == "db.serverless" and db.serverless_min_acu == 0 and db.proxy:
        yield _issue(("database", "serverless_min_acu"),
                     "0 (pause when idle) needs `database.proxy: false`: an RDS Proxy holds connections "
                     "open and the cluster never pauses; set proxy: false or a minimum of 0.5")
    if cfg.storage.log_expiration_days <= cfg.storage.log_transition_days:
        yield _issue(("storage", "log_expiration_days"),
                     f"{cfg.storage.log_expiration_days} must be later than log_transition_days "
                     f"{cfg.storage.log_transition_days}")
    yield from check_redis(cfg)


def check_redis(cfg: PlatformConfig) -> Iterator[ConfigIssue]:
    """The queue never shards (C15); from staging up both groups are Multi-AZ with a replica."""
    if cfg.redis.queue.shards != 1:
        yield _issue(("redis", "queue", "shards"),
                     f"{cfg.redis.queue.shards}: the queue runs with cluster mode disabled "
                     "(Celery/BullMQ keys must share one slot); use 1 and scale the node type")
    if not cfg.protected:
        return
    for role in ("cache", "queue"):
        group = getattr(cfg.redis, role)
        if group.replicas_per_shard < 1:
            yield _issue(("redis", role, "replicas_per_shard"),
                         f"0 in {cfg.environment}: Multi-AZ with automatic failover needs at least 1 replica")
    if cfg.redis.queue.snapshot_retention_days < 1:
        yield _issue(("redis", "queue", "snapshot_retention_days"),
                     f"0 in {cfg.environment}: keep at least 1 day of queue snapshots (jobs are state)")


def detection_seconds(cfg: PlatformConfig) -> int:
    """Time for Cloudflare to mark an origin down: interval x consecutive failures."""
    m = cfg.global_traffic.monitor
    return m.interval_seconds * m.consecutive_failures


def check_global_traffic(cfg: PlatformConfig) -> Iterator[ConfigIssue]:
    gt = cfg.global_traffic
    if not gt.enabled:
        return
    for key in ("account_id", "zone_id", "zone_name"):
        if not getattr(gt, key):
            yield _issue(("global_traffic", key), "required when global_traffic.enabled is true")
    zone = gt.zone_name.strip(".")
    for parts, host in ((("app", "hostname"), cfg.app.hostname), (("global_traffic", "eu_hostname"), gt.eu_hostname)):
        if host is not None and zone and not (host == zone or host.endswith(f".{zone}")):
            yield _issue(parts, f"'{host}' is not in the Cloudflare zone '{zone}' (global_traffic.zone_name); "
                         "the load balancer can only serve names of its zone")
    regions = set(cfg.region_names)
    for i, pool in enumerate(gt.geo):
        if pool.code not in CLOUDFLARE_GEO_REGIONS:
            yield _issue(("global_traffic", "geo", i, "code"),
                         f"'{pool.code}' is not a Cloudflare region code; use one of "
                         f"{', '.join(sorted(CLOUDFLARE_GEO_REGIONS))}")
        for j, reg in enumerate(pool.regions):
            if reg not in regions:
                yield _issue(("global_traffic", "geo", i, "regions", j),
                             f"'{reg}' is not one of the stack's regions ({', '.join(cfg.region_names)})")
    if gt.fallback_region is not None and gt.fallback_region not in regions:
        yield _issue(("global_traffic", "fallback_region"),
                     f"'{gt.fallback_region}' is not one of the stack's regions")
    if gt.eu_hostname is not None and not any(d.residency == "eu" for d in cfg.data_domains):
        yield _issue(("global_traffic", "eu_hostname"), "needs a data domain with residency 'eu'")
    detect = detection_seconds(cfg)
    if cfg.environment == "prod" and detect > MAX_DETECTION_SECONDS_PROD:
        m = gt.monitor
        yield _issue(("global_traffic", "monitor", "interval_seconds"),
                     f"detection {m.interval_seconds}s x {m.consecutive_failures} consecutive failures = "
                     f"{detect}s exceeds the {MAX_DETECTION_SECONDS_PROD}s target; lower interval_seconds "
                     "or consecutive_failures")


ORIGIN_PULL_FIX = ("generate a CA of your own, issue a client certificate from it, set the CA's public PEM "
                   "here and the certificate and key with `pulumi config set --secret "
                   "agentic-platform:origin_pull_certificate < client.pem` and `... origin_pull_private_key "
                   "< client.key` (docs/multi-region.md, 'Origin side of authenticated origin pulls')")


def check_origin_pulls(cfg: PlatformConfig) -> Iterator[ConfigIssue]:
    """Authenticated origin pulls with this platform's own CA (components/origin_trust.py).

    Prod behind Cloudflare needs the CA: without it the ALB cannot tell this zone's requests from
    any other Cloudflare zone's. The CA goes with the client certificate and key it issued; a
    certificate without a CA (or the reverse) would either not be enforced or lock Cloudflare out.
    """
    gt = cfg.global_traffic
    key = ("global_traffic", "edge", "origin_pull_ca_pem")
    pem = gt.edge.origin_pull_ca_pem
    s = cfg.secrets
    has_cert, has_key = s.origin_pull_certificate is not None, s.origin_pull_private_key is not None
    if pem is not None:
        if "PRIVATE KEY" in pem:
            yield _issue(key, "holds a private key; set only the CA's public certificate here (the client key "
                         "is the secret agentic-platform:origin_pull_private_key)")
            return
        try:
            certificate_fingerprints(pem)
        except PemError as exc:
            yield _issue(key, str(exc))
            return
    if not gt.enabled:
        return
    if pem is None:
        if cfg.environment == "prod":
            yield _issue(key, "required in prod when global_traffic.enabled: the origin must accept this zone only "
                         "(Cloudflare's shared origin-pull certificate is not supported); " + ORIGIN_PULL_FIX)
        if has_cert or has_key:
            yield _issue(key, "required with origin_pull_certificate: the ALB trust store must hold the CA "
                         "that issued it")
        return
    for secret, present in (("origin_pull_certificate", has_cert), ("origin_pull_private_key", has_key)):
        if not present:
            yield _issue((secret,), "missing (global_traffic.edge.origin_pull_ca_pem is set): set it with "
                         f"`pulumi config set --secret {key_path((secret,))} < <PEM file>`")


def check_mesh(cfg: PlatformConfig) -> Iterator[ConfigIssue]:
    """The mesh root: required, a PEM certificate, and never a repository sample in prod."""
    if not cfg.mesh.enabled or cfg.is_local:
        return
    pem = cfg.mesh.trust_anchor_pem
    key = ("mesh", "trust_anchor_pem")
    if not pem:
        yield _issue(key, "required when mesh.enabled: the public PEM of the mesh root CA, the same root as "
                     "`root-cert.pem` in Secrets Manager (docs/multi-region.md, 'Service mesh'); "
                     "or set mesh.enabled to false")
        return
    try:
        prints = certificate_fingerprints(pem)
    except PemError as exc:
        yield _issue(key, str(exc))
        return
    if cfg.environment == "prod" and set(prints) & sample_fingerprints():
        yield _issue(key, "is the example root shipped in this repository (its private key is public); "
                     "generate your own root CA, store it in Secrets Manager and set its public PEM here "
                     "(docs/multi-region.md, 'Service mesh')")


def check_tenants(cfg: PlatformConfig) -> Iterator[ConfigIssue]:
    ids: dict[str, int] = {}
    operators: dict[str, str] = {}
    for i, t in enumerate(cfg.tenants):
        if t.id in ids:
            yield _issue(("tenants", i, "id"),
                         f"tenant id '{t.id}' is already used by tenants[{ids[t.id]}]; ids are unique")
        ids.setdefault(t.id, i)
        for j, arn in enumerate(t.operators):
            # One EKS access entry per principal and cluster: a role shared by two tenants would
            # fail at deploy time (and would blur which tenant's namespace it may touch).
            if arn in operators and operators[arn] != t.id:
                yield _issue(("tenants", i, "operators", j),
                             f"tenant '{t.id}': '{arn}' already operates tenant '{operators[arn]}'; "
                             "give each tenant its own operator role")
            operators.setdefault(arn, t.id)
        if t.operators and t.tier == "shared":
            yield _issue(("tenants", i, "operators"),
                         f"tenant '{t.id}' is shared (no namespace of its own): operators need tier "
                         "dedicated or enterprise")
        if cfg.is_local:
            continue
        domains = [d for d in cfg.data_domains if d.residency == t.data_residency]
        if not domains:
            known = ", ".join(sorted({d.residency for d in cfg.data_domains})) or "none"
            yield _issue(("tenants", i, "data_residency"),
                         f"tenant '{t.id}': no data domain has residency '{t.data_residency}' in this "
                         f"stack (residencies: {known}); add a domain or change the residency")
            continue
        dom = domains[0]
        if t.primary_region not in dom.regions:
            yield _issue(("tenants", i, "primary_region"),
                         f"tenant '{t.id}': '{t.primary_region}' is outside its data domain '{dom.name}' "
                         f"({', '.join(dom.regions)}); use one of those regions")
        for j, reg in enumerate(t.allowed_regions):
            if reg not in dom.regions:
                yield _issue(("tenants", i, "allowed_regions", j),
                             f"tenant '{t.id}': '{reg}' is outside its data domain '{dom.name}' "
                             f"({', '.join(dom.regions)})")
        if t.allowed_regions and t.primary_region not in t.allowed_regions:
            yield _issue(("tenants", i, "allowed_regions"),
                         f"tenant '{t.id}': must include primary_region '{t.primary_region}'")
        if t.data_residency == "eu" and "gdpr" not in t.compliance_requirements:
            yield _issue(("tenants", i, "compliance_requirements"),
                         f"tenant '{t.id}' is EU-resident: list 'gdpr'")
        if t.tier == "enterprise" and cfg.protected and is_burstable(t.enterprise.instance_class):
            yield _issue(("tenants", i, "enterprise", "instance_class"),
                         f"tenant '{t.id}': burstable class '{t.enterprise.instance_class}' is not allowed "
                         f"in {cfg.environment} (CPU credits run out under load); use an r-class")


def check_secrets(cfg: PlatformConfig) -> Iterator[ConfigIssue]:
    required = ["anthropic_api_key", "openai_api_key"]
    if cfg.app.vector_store == "pinecone":
        required += ["pinecone_api_key", "pinecone_environment"]
    for key in required:
        if getattr(cfg.secrets, key) is None:
            yield _issue((key,), f"missing; set it with `pulumi config set --secret {key_path((key,))} <value>`")


RPO_MS = 15 * 60 * 1000
"""Recovery point objective (guide: 15 minutes) in the unit of AuroraGlobalDBReplicationLag."""


def check_observability(cfg: PlatformConfig) -> Iterator[ConfigIssue]:
    obs = cfg.observability
    lag = obs.alarms.aurora_replication_lag_ms
    if lag >= RPO_MS:
        yield _issue(("observability", "alarms", "aurora_replication_lag_ms"),
                     f"{lag:g} ms must be below the 15 min RPO budget ({RPO_MS} ms): the alarm has to fire "
                     "before the data a failover would lose exceeds the RPO; e.g. 60000")
    if obs.log_cold_days <= obs.log_hot_days:
        yield _issue(("observability", "log_cold_days"),
                     f"{obs.log_cold_days} must be later than log_hot_days {obs.log_hot_days} "
                     "(logs expire after log_cold_days, moving to cold storage at log_hot_days)")
    if obs.metrics_aggregation == "remote-write":
        yield _issue(("observability", "metrics_aggregation"),
                     "'remote-write' is not implemented; use 'per-region-datasource' (one Grafana with a "
                     "datasource per region, docs/observability.md)")


def check_cells(cfg: PlatformConfig) -> Iterator[ConfigIssue]:
    """Each data domain's cells need a hostname of their own (stacks/cells.py): with an `eu` domain
    beside another one, EU cells would otherwise share the API hostname with the other domain."""
    if cfg.is_local or len(cfg.data_domains) < 2 or cfg.global_traffic.eu_hostname:
        return
    if any(d.residency == "eu" for d in cfg.data_domains):
        yield _issue(("global_traffic", "eu_hostname"),
                     "required when an 'eu' data domain sits beside another domain: the EU cells are served "
                     "only on their own hostname (for example api.eu.<zone>), never on app.hostname")


def check_failover(cfg: PlatformConfig) -> Iterator[ConfigIssue]:
    """A plan needs a replica to switch to; an approval step needs someone allowed to approve."""
    fo = cfg.failover
    if fo.approval_required and not fo.approval_role_arn:
        yield _issue(("failover", "approval_role_arn"), "required when failover.approval_required is true "
                     "(the IAM role whose principals approve the Region switch step)")
    if (fo.automatic or fo.approval_required) and not fo.region_switch:
        yield _issue(("failover", "region_switch"), "automatic execution and approval belong to the Region "
                     "switch plan; set failover.region_switch: true")
    if (fo.region_switch or fo.enterprise_secondaries) and not any(d.replicas for d in cfg.data_domains):
        yield _issue(("failover", "region_switch" if fo.region_switch else "enterprise_secondaries"),
                     "no data domain has a replica region to fail over to; remove it or add replicas")


CHECKS = (check_failover, check_shape, check_regions, check_domains, check_sizes, check_global_traffic,
          check_origin_pulls, check_tenants, check_mesh, check_secrets, check_observability, check_versions,
          check_cells, check_testing, check_delivery)


def validate(cfg: PlatformConfig) -> list[ConfigIssue]:
    """Every cross-field issue of `cfg`, in a stable order."""
    return [issue for check in CHECKS for issue in check(cfg)]
