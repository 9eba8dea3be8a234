"""Layer 3: the platform workload (app/) on a region's cluster, and the local stack.

Both call the same `PlatformWorkload`; only the sources differ. On AWS: secrets through
External Secrets from the region's Secrets Manager, an ALB Ingress with an ACM certificate,
KEDA on the queue Redis, Pod Identity roles for the uploads bucket and the environment's
secrets. Locally: in-cluster Postgres and Redis, a plain Secret built from Pulumi secrets, no
AWS resource at all, access by `kubectl port-forward`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import quote

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
import pulumi_random as random

from app.db_bootstrap import CLIENT_IMAGE, DbBootstrap, DbBootstrapArgs
from app.jobs import JOB_SERVICE_ACCOUNT
from app.local_stores import LocalStoresArgs, database_url, redis_url
from app.names import PLATFORM_CORE, SHARED_SERVICES
from app.observability import PROMETHEUS_URL, TRACES_ENDPOINT
from app.vpa import VpaRecommender
from app.workload import (
    AddonSupport,
    ExternalSecretsSource,
    InClusterSecrets,
    IngressSpec,
    McpServer,
    NetworkSpec,
    PlatformWorkload,
    QueueSpec,
    ResourceSpec,
    ScalingSpec,
    WorkloadArgs,
)
from components.db_users import BOOTSTRAP_NAMESPACE, MIGRATION_USER, READONLY_USER, RUNTIME_USER, dbuser_arn
from components.event_backbone import EVENT_SOURCE_PREFIX, BackboneRegion, consume_statements, publish_statement
from components.origin_trust import OriginTrustStore, OriginTrustStoreArgs
from components.pod_identity import pod_identity_trust_policy, role_name
from components.redis import AUTH_TOKEN_SPECIALS
from stacks.cells import Cell, region_cells
from stacks.compose import delivery
from stacks.compose.data import ALB_LOG_PREFIX, region_tags
from stacks.compose.events import EventsBuild
from stacks.compose.registry import base_mirror
from stacks.compose.secret_stores import store_role
from stacks.compose.types import (
    DbConnectTarget,
    DomainStores,
    RegionBase,
    RegionContext,
    RegionData,
    RegionWorkload,
)
from stacks.config import PlatformConfig
from stacks.config.models_app import Resources
from stacks.config.regions import short_region

# Env var -> logical name of its Secrets Manager secret in `RegionData.secret_arns`.
SECRET_ENV = {
    "REDIS_URL": "redis-url",
    "REDIS_QUEUE_URL": "queue-url",
    "SECRET_KEY": "secret-key",
    "JWT_SECRET": "jwt-secret",
    "ANTHROPIC_API_KEY": "anthropic-api-key",
    "OPENAI_API_KEY": "openai-api-key",
}
PINECONE_ENV = {"PINECONE_API_KEY": "pinecone-api-key", "PINECONE_ENVIRONMENT": "pinecone-environment"}
REQUIRED_ENV = ("REDIS_URL", "SECRET_KEY", "JWT_SECRET", "ANTHROPIC_API_KEY", "OPENAI_API_KEY")
QUEUE_PASSWORD_KEY = "REDIS_QUEUE_PASSWORD"
REDIS_PORT = 6379


def secret_env(vector_store: str) -> dict[str, str]:
    """Env vars the pods read from `platform-secrets` and the logical secret each comes from."""
    return {**SECRET_ENV, **(PINECONE_ENV if vector_store == "pinecone" else {})}


def secret_refs(vector_store: str, secret_arns: Mapping[str, Any]) -> dict[str, Any]:
    """Env var -> Secrets Manager ARN for each secret the data layer created."""
    return {env: secret_arns[logical] for env, logical in secret_env(vector_store).items() if logical in secret_arns}


def missing_secrets(vector_store: str, secret_arns: Mapping[str, Any]) -> list[str]:
    required = [*REQUIRED_ENV, *(PINECONE_ENV if vector_store == "pinecone" else ())]
    return [env for env in required if secret_env(vector_store)[env] not in secret_arns]


def queue_password_template(env_key: str) -> str:
    """ESO template (v2, sprig) that cuts the AUTH token out of `rediss://:<token>@host:port/db`.

    KEDA's Redis scaler takes host and password separately, not a URL. The data layer
    percent-encodes the token (`urllib.parse.quote(token, safe='')`); ElastiCache allows only
    `! & # $ ^ < > -` as specials (C12), so decoding exactly those restores the token.
    """
    decode = "".join(f' | replace "{quote(c, safe="")}" "{c}"' for c in AUTH_TOKEN_SPECIALS if quote(c, safe="") != c)
    return f'{{{{ .{env_key} | regexFind "//:[^@]*@" | trimPrefix "//:" | trimSuffix "@"{decode} }}}}'


def app_settings(cfg: PlatformConfig, location: str,
                 uploads_bucket: pulumi.Input[str] | None = None) -> dict[str, pulumi.Input[str]]:
    """The guide's `Application` and `MCP` settings plus where the pod runs; never a secret."""
    app = cfg.app
    out: dict[str, pulumi.Input[str]] = {
        "API_VERSION": app.api_version,
        "LOG_LEVEL": app.log_level,
        "MCP_SERVER_PATH": app.mcp_server_path,
        "VECTOR_STORE": app.vector_store,
        "ENVIRONMENT": cfg.environment,
        "REGION": location,
        "PUBLIC_HOSTNAME": app.hostname,
        "WORKER_QUEUE": app.worker.queue_list_name,
        "WORKER_METRICS_PORT": str(app.worker.metrics_port),
    }
    if location != "local":
        out["AWS_REGION"] = location
        out["OTEL_EXPORTER_OTLP_ENDPOINT"] = f"http://{TRACES_ENDPOINT}:4317"
        out["OTEL_EXPORTER_OTLP_PROTOCOL"] = "grpc"
    if uploads_bucket is not None:
        out["UPLOADS_BUCKET"] = uploads_bucket
    return out


def resource_spec(r: Resources) -> ResourceSpec:
    return ResourceSpec(cpu_request=r.cpu_request, memory_request=r.memory_request,
                        cpu_limit=r.cpu_limit, memory_limit=r.memory_limit)


def scaling_spec(cfg: PlatformConfig, standby: bool = False) -> ScalingSpec:
    """Replicas and autoscaling bounds; a warm standby runs the `cluster.standby` floors under the
    same maxima (StandbyScaleConfig says why)."""
    api, worker = cfg.app.api, cfg.app.worker
    api_min, api_replicas = api.hpa.min_replicas, max(api.replicas, api.hpa.min_replicas)
    worker_replicas = worker.replicas
    if standby and cfg.cluster is not None:
        api_min = api_replicas = cfg.cluster.standby.api_replicas
        worker_replicas = cfg.cluster.standby.worker_replicas
    return ScalingSpec(
        api_replicas=api_replicas, api_min_replicas=api_min,
        api_max_replicas=api.hpa.max_replicas, api_cpu_percent=api.hpa.cpu_percent,
        api_memory_percent=api.hpa.memory_percent, worker_replicas=worker_replicas,
        worker_max_replicas=worker.max_replicas, queue_length_target=worker.queue_length_target,
        queue_list_name=worker.queue_list_name, api_requests_per_second=api.hpa.requests_per_second)


def region_hosts(cfg: PlatformConfig, region: str) -> list[str]:
    """Hostnames this region's ALB serves: the API, plus the EU hostname in EU-resident regions."""
    hosts = [cfg.app.hostname]
    eu = cfg.global_traffic.eu_hostname
    if eu and any(d.residency == "eu" and region in d.regions for d in cfg.data_domains):
        hosts.append(eu)
    return hosts


def db_user_arns(db: DbConnectTarget | None, users: Sequence[str]) -> pulumi.Output[list[str]] | None:
    """`rds-db:connect` resources for `users` on the cell's database target (proxy or cluster)."""
    if db is None:
        return None
    return pulumi.Output.all(db.account_id, db.resource_id).apply(
        lambda v: [dbuser_arn(db.region, str(v[0]), str(v[1]), u) for u in users])


def db_settings(db: DbConnectTarget | None) -> dict[str, pulumi.Input[str]]:
    """How the app reaches its domain's database (docs/workload.md, "Database access"): host,
    read-only host, users, IAM auth. Nothing here is a secret: the password is a 15-minute IAM
    token the app generates with its pod role (`rds.generate_db_auth_token`)."""
    if db is None:
        return {}
    return {
        "DATABASE_HOST": db.endpoint,
        "DATABASE_READ_HOST": db.reader_endpoint if db.reader_endpoint is not None else db.endpoint,
        "DATABASE_PORT": str(db.port),
        "DATABASE_NAME": db.database,
        "DATABASE_USER": RUNTIME_USER,
        "DATABASE_READ_USER": READONLY_USER,
        "DATABASE_AUTH": "iam",
        "DATABASE_SSLMODE": "require",
        "DATABASE_VIA": db.kind,
    }


def workload_policy(bucket_arn: pulumi.Input[str] | None, secret_arns: Sequence[pulumi.Input[str]],
                    kms_keys: Sequence[pulumi.Input[str]],
                    db_users: pulumi.Input[list[str]] | None = None,
                    events: Sequence[dict[str, Any]] = ()) -> pulumi.Output[str] | None:
    """Least privilege for api/worker pods: the uploads bucket, the cell's secrets, their keys,
    `rds-db:connect` as their own database users only, and (`events`, from `event_statements`)
    the cell's own event bus and queue."""
    statements: list[dict[str, Any]] = []
    if db_users is not None:
        statements.append({"Sid": "ConnectAsOwnDbUser", "Effect": "Allow", "Action": "rds-db:connect",
                           "Resource": db_users})
    if bucket_arn is not None:
        arn = pulumi.Output.from_input(bucket_arn)
        statements.append({"Sid": "UploadsList", "Effect": "Allow", "Action": ["s3:ListBucket"], "Resource": arn})
        statements.append({"Sid": "UploadsObjects", "Effect": "Allow",
                           "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"],
                           "Resource": pulumi.Output.concat(arn, "/*")})
    if secret_arns:
        statements.append({"Sid": "EnvSecrets", "Effect": "Allow",
                           "Action": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
                           "Resource": list(secret_arns)})
    if kms_keys and statements:
        statements.append({"Sid": "Keys", "Effect": "Allow",
                           "Action": ["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"],
                           "Resource": list(kms_keys)})
    statements.extend(events)
    if not statements:
        return None
    return pulumi.Output.json_dumps({"Version": "2012-10-17", "Statement": statements})


EVENT_PUBLISHERS = ("api", "worker")
EVENT_CONSUMERS = ("worker",)


def event_statements(component: str, backbone: BackboneRegion | None) -> list[dict[str, Any]]:
    """What one workload of a cell may do on the event backbone: only its own data domain's bus and
    queue in its own region (`EventsBuild.for_cell`), nothing when events are off.

    - api and worker publish (`events:PutEvents` on that one bus, `source` under
      EVENT_SOURCE_PREFIX): both write tenant data (requests, jobs), so both must announce
      `cache.invalidate` and tenant changes after a write.
    - only the worker consumes the cache-invalidation queue (receive/delete/get-attributes, and
      kms:Decrypt of the queue's key through SQS in this region): it is the long-running consumer
      that evicts keys in this region's Redis; the api serves requests and never polls.
    - the migration Jobs (`platform-jobs`) get nothing: schema changes emit no events.
    Publishing needs no KMS permission (EventBridge encrypts the bus as its service principal) and
    no SendMessage on the queue (only the bus's rule fills it).
    """
    if backbone is None:
        return []
    out: list[dict[str, Any]] = []
    if component in EVENT_PUBLISHERS:
        out.append(publish_statement(backbone.bus_arn))
    if component in EVENT_CONSUMERS:
        out.extend(consume_statements(backbone.region, backbone.queue_arn, backbone.key_arn))
    return out


def event_settings(backbone: BackboneRegion | None) -> dict[str, pulumi.Input[str]]:
    """The app's side of the backbone (nothing when events are off): the bus to publish to (a
    name: same account and region as the pod's `AWS_REGION`), the queue the worker polls, and the
    prefix every event's `source` must carry (the role's condition and the rules match it); the
    app sets `detail.origin_region` to `AWS_REGION` so the domain's other regions get one copy."""
    if backbone is None:
        return {}
    return {"EVENT_BUS_NAME": backbone.bus_name, "CACHE_INVALIDATION_QUEUE_URL": backbone.queue_url,
            "EVENT_SOURCE_PREFIX": EVENT_SOURCE_PREFIX}


def _own_pod_identity(ctx: RegionContext, base: RegionBase) -> Callable[..., pulumi.Output[str]] | None:
    """Fallback when the base offers no helper: role + association, only with a real cluster."""
    if base.cluster_name is None:
        return None
    cluster_arn = base.extras.get("cluster_arn")
    account = str(base.extras.get("account_id") or aws.get_caller_identity(
        opts=pulumi.InvokeOptions(provider=ctx.aws_provider)).account_id)
    physical = f"{ctx.cfg.project}-{ctx.cfg.environment}-{short_region(ctx.name)}"

    def make(name: str, namespace: str, service_account: str, policy_json: pulumi.Input[str]) -> pulumi.Output[str]:
        opts = ctx.opts()
        fallback_arn = f"arn:aws:eks:{ctx.name}:{account}:cluster/*"
        trust = pulumi.Output.from_input(cluster_arn or "").apply(
            lambda arn: json.dumps(pod_identity_trust_policy(account, arn or fallback_arn, namespace, service_account)))
        role = aws.iam.Role(f"{ctx.cfg.environment}-{ctx.name}-{name}", name=role_name(physical, name),
                            assume_role_policy=trust, opts=opts)
        grant = aws.iam.RolePolicy(f"{ctx.cfg.environment}-{ctx.name}-{name}-policy", role=role.id,
                                   policy=policy_json, opts=opts)
        assoc = aws.eks.PodIdentityAssociation(
            f"{ctx.cfg.environment}-{ctx.name}-{name}-association", region=ctx.name,
            cluster_name=base.cluster_name or "", namespace=namespace, service_account=service_account,
            role_arn=role.arn, opts=ctx.opts(depends_on=[grant]))
        return assoc.role_arn
    return make


def _bind(identity: Callable[..., Any], name: str, service_account: str, policy: pulumi.Input[str],
          opts: pulumi.ResourceOptions, *, namespace: str = PLATFORM_CORE) -> Any:
    """Role for one service account; the whole PodIdentityRole (role + association) when the
    base's factory offers it, so pods start only once the association exists."""
    role = getattr(identity, "role", None)
    if callable(role):
        return role(name, namespace, service_account, policy, opts=opts)
    return identity(name, namespace, service_account, policy)


def certificate(ctx: RegionContext, hosts: list[str],
                suffix: str = "") -> tuple[pulumi.Input[str], list[dict[str, Any]]]:
    """The ALB's certificate: configured, or requested here with DNS validation.

    The validation records go to Cloudflare (global traffic layer) from
    `RegionWorkload.extras["acm_validation"]`; the ALB controller attaches the certificate once
    ACM has issued it.
    """
    if ctx.cfg.ingress.certificate_arn:
        return ctx.cfg.ingress.certificate_arn, []
    cert = aws.acm.Certificate(
        f"{ctx.cfg.environment}-{ctx.name}{suffix}-api-cert",
        region=ctx.name,
        domain_name=hosts[0],
        subject_alternative_names=hosts[1:] or None,
        validation_method="DNS",
        key_algorithm="EC_prime256v1",
        options=aws.acm.CertificateOptionsArgs(certificate_transparency_logging_preference="ENABLED"),
        tags={**ctx.tags, "Name": f"{ctx.cfg.project}-{ctx.cfg.environment}-{short_region(ctx.name)}{suffix}-api"},
        opts=ctx.opts(),
    )
    records: list[dict[str, Any]] = []
    for host in hosts:
        option = cert.domain_validation_options.apply(
            lambda opts, h=host: next((o for o in opts if o.domain_name == h), None))
        records.append({
            "domain": host,
            "name": option.apply(lambda o: o.resource_record_name if o else ""),
            "type": option.apply(lambda o: o.resource_record_type if o else "CNAME"),
            "value": option.apply(lambda o: o.resource_record_value if o else ""),
        })
    return cert.arn, records


def _app_fields(cfg: PlatformConfig, location: str, settings: Any, standby: bool = False,
                base: RegionBase | None = None) -> dict[str, Any]:
    """WorkloadArgs fields that come from `app` config alike on a cloud region and locally."""
    return {
        "environment": cfg.environment,
        "location": location,
        "image": delivery.app_image(cfg, location, base),
        "tag": cfg.app.tag,
        "digest": cfg.app.digest,
        "settings": settings,
        "mcp_server_path": cfg.app.mcp_server_path,
        "mcp_servers": [McpServer(name=s.name, secrets=s.secrets) for s in cfg.app.mcp_servers],
        "log_level": cfg.app.log_level,
        "api_resources": resource_spec(cfg.app.api.resources),
        "worker_resources": resource_spec(cfg.app.worker.resources),
        "scaling": scaling_spec(cfg, standby),
        "worker_grace_seconds": cfg.app.worker.termination_grace_seconds,
        "worker_command": cfg.app.worker.command,
        "worker_metrics_port": cfg.app.worker.metrics_port,
    }


@dataclass
class CellWorkload:
    """One domain cell on a region's cluster: what the edge, the mesh and the reports need."""

    cell: Cell
    namespace: str
    ingress_hostname: pulumi.Output[str] | None
    workload: PlatformWorkload
    api_role_arn: pulumi.Output[str] | None = None
    worker_role_arn: pulumi.Output[str] | None = None
    workload_extras: dict[str, Any] = field(default_factory=dict)
    """ACM validation records and the certificate of the cell's ALB."""


def cell_settings(cfg: PlatformConfig, cell: Cell, uploads_bucket: pulumi.Input[str] | None,
                  db: DbConnectTarget | None = None,
                  backbone: BackboneRegion | None = None) -> dict[str, pulumi.Input[str]]:
    """The region's settings plus the cell's contract with the app (docs/workload.md, "Domain
    cells"): its domain and residency, the hostname it serves, the only tenants it may serve
    (the app answers 421 to any other tenant), its own queue list and cache key prefix, and (events
    on) its own domain's bus and queue in this region."""
    out = app_settings(cfg, cell.region, uploads_bucket)
    out.update(db_settings(db))
    out.update({
        "PUBLIC_HOSTNAME": cell.hostname,
        "DATA_DOMAIN": cell.domain,
        "DATA_RESIDENCY": cell.residency,
        "SERVED_TENANTS": ",".join(cell.tenants),
        "WORKER_QUEUE": cell.queue_list,
        "CACHE_KEY_PREFIX": f"{cell.domain}:",
    })
    out.update(event_settings(backbone))
    return out


def build_workload(ctx: RegionContext, base: RegionBase, data: RegionData,
                   events: EventsBuild | None = None) -> RegionWorkload:
    """One workload cell per data domain of the region (stacks/cells.py), home cell first; with the
    event backbone on, each cell gets its own domain's bus and queue in this region."""
    if base.k8s_provider is None:
        # Without the region's cluster there is nowhere to run; never fall back to the ambient context.
        pulumi.log.warn(f"{ctx.name}: no Kubernetes provider from the base layer; workload skipped")
        return RegionWorkload()
    cfg = ctx.cfg
    vpa = VpaRecommender(f"{cfg.environment}-{ctx.name}-vpa", cfg.cluster.charts.vpa if cfg.cluster else None,
                         opts=pulumi.ResourceOptions(parent=ctx.parent, provider=base.k8s_provider,
                                                     depends_on=[r for r in (base.extras.get("metrics_server"),)
                                                                 if r is not None]),
                         mirror=base_mirror(cfg, ctx.name, base))
    trust = origin_trust_store(ctx, base, data)
    trust_arn = trust.arn if trust is not None else None
    cells = {cell.domain: _build_cell(ctx, base, data, cell, vpa, trust_store_arn=trust_arn,
                                      backbone=events.for_cell(cell.domain, ctx.name) if events else None)
             for cell in region_cells(cfg, ctx.name)}
    if not cells:
        pulumi.log.warn(f"{ctx.name}: the region belongs to no data domain; workload skipped")
        return RegionWorkload()
    home = next(iter(cells.values()))
    validation = [rec for c in cells.values() for rec in c.workload_extras["acm_validation"]]
    return RegionWorkload(
        ingress_hostname=home.ingress_hostname,
        namespaces={k: v for c in cells.values() for k, v in c.workload.namespaces.items()},
        cells=cells,
        extras={
            "acm_validation": validation,
            "certificate_arn": home.workload_extras["certificate_arn"],
            "api_role_arn": home.api_role_arn,
            "worker_role_arn": home.worker_role_arn,
            "attach_service_monitors": lambda deps: [m for c in cells.values()
                                                     for m in c.workload.attach_service_monitors(deps)],
            "workload": home.workload,
            "origin_trust_store_arn": trust.arn if trust is not None else None,
        },
    )


def origin_trust_store(ctx: RegionContext, base: RegionBase, data: RegionData) -> OriginTrustStore | None:
    """The region's ELB trust store for authenticated origin pulls, when the ALBs sit behind
    Cloudflare (`global_traffic.enabled`) and the origin-pull CA is configured.

    One per region, shared by every cell's ALB there: the CA is the zone's, not a cell's. Without
    a CA (only outside prod: config validation refuses prod) the listeners keep plain TLS and the
    Cloudflare-only security group is the one gate; a warning says so.
    """
    cfg = ctx.cfg
    gt = cfg.global_traffic
    if not gt.enabled:
        return None
    pem = gt.edge.origin_pull_ca_pem
    if pem is None:
        pulumi.log.warn(f"{ctx.name}: global_traffic.edge.origin_pull_ca_pem is not set; the ALB accepts any "
                        "client from Cloudflare's ranges (no authenticated origin pulls at the origin)")
        return None
    storage_key = data.kms_keys.get("storage")
    if storage_key is None:
        raise ValueError(f"{ctx.name}: no storage KMS key from the data layer for the origin-pull CA bucket")
    account = base.extras.get("account_id") or aws.get_caller_identity_output(
        opts=pulumi.InvokeOutputOptions(parent=ctx.parent, provider=ctx.aws_provider)).account_id
    sr = short_region(ctx.name)
    return OriginTrustStore(f"{cfg.environment}-{ctx.name}-origin-trust", OriginTrustStoreArgs(
        region=ctx.name,
        bucket_name=pulumi.Output.concat(f"{cfg.project}-{cfg.environment}-originca-{sr}-", account),
        trust_store_name=f"{cfg.environment}-{sr}-origin-pull"[:32],
        ca_pem=pem, kms_key_arn=storage_key, log_bucket=data.log_bucket, protected=cfg.protected,
        tags={**ctx.tags, **region_tags(cfg, ctx.name), "Name": f"{cfg.project}-{cfg.environment}-{sr}-origin-pull"},
    ), opts=ctx.opts())


def _build_cell(ctx: RegionContext, base: RegionBase, data: RegionData, cell: Cell,
                vpa: VpaRecommender, *, trust_store_arn: pulumi.Output[str] | None = None,
                backbone: BackboneRegion | None = None) -> CellWorkload:
    cfg = ctx.cfg
    name = cell.resource_name(cfg.environment)
    suffix = "" if cell.home else f"-{cell.domain}"
    stores = data.domains.get(cell.domain)
    bucket = stores.uploads_bucket if stores is not None else data.uploads_bucket
    bucket_arn = stores.uploads_bucket_arn if stores is not None else data.uploads_bucket_arn
    vector_store = cfg.app.vector_store
    refs = secret_refs(vector_store, data.secret_arns)
    missing = missing_secrets(vector_store, data.secret_arns)
    if missing:
        pulumi.log.warn(f"{ctx.name}: no Secrets Manager secret for {', '.join(missing)}; "
                        "pods will start without them")

    identity: Callable[..., Any] | None = (
        base.pod_identity if callable(base.pod_identity) else _own_pod_identity(ctx, base))
    db = stores.db if stores is not None else None
    keys = [k for p, k in sorted(data.kms_keys.items()) if p in ("storage", "secrets")]
    app_users = db_user_arns(db, (RUNTIME_USER, READONLY_USER))
    # api and worker share the stores; the backbone grants differ (`event_statements`).
    policies = {c: workload_policy(bucket_arn, list(refs.values()), keys, app_users,
                                   events=event_statements(c, backbone))
                for c in ("api", "worker")}
    # Schema changes run where the domain's writer is; a global secondary is read-only (no Jobs,
    # no migration identity there): `WorkloadArgs.migrations`.
    writer = stores is None or stores.writer_endpoint is not None
    migrate_users = db_user_arns(db, (MIGRATION_USER,)) if writer else None
    # The Jobs' identity: DDL as the migration user, nothing else (no bucket, no secret).
    migrate_policy = None if migrate_users is None else pulumi.Output.json_dumps({
        "Version": "2012-10-17", "Statement": [{"Sid": "ConnectAsMigrationUser", "Effect": "Allow",
                                                "Action": "rds-db:connect", "Resource": migrate_users}]})
    roles: dict[str, pulumi.Output[str] | None] = {"api": None, "worker": None, "jobs": None}
    identity_resources: list[pulumi.Resource] = []
    if identity is not None:
        for component, sa, pol in (("api", "api", policies["api"]), ("worker", "worker", policies["worker"]),
                                   ("jobs", JOB_SERVICE_ACCOUNT, migrate_policy)):
            if pol is None:
                continue
            made = _bind(identity, f"workload{suffix}-{component}", sa, pol, ctx.opts(), namespace=cell.namespace)
            roles[component] = made if isinstance(made, pulumi.Output) else made.role_arn
            if isinstance(made, pulumi.Resource):
                identity_resources.append(made)

    hosts = [cell.hostname]
    cert_arn, validation = certificate(ctx, hosts, suffix=suffix)
    queue = None
    if data.queue_endpoint is not None:
        queue = QueueSpec(address=pulumi.Output.concat(data.queue_endpoint, f":{REDIS_PORT}"), tls=True,
                          password_secret_key=QUEUE_PASSWORD_KEY if "REDIS_QUEUE_URL" in refs else None)
    templates = {QUEUE_PASSWORD_KEY: queue_password_template("REDIS_QUEUE_URL")} if "REDIS_QUEUE_URL" in refs else {}
    addon_deps = [r for r in (base.extras.get("keda"), vpa.release) if r is not None]
    # Meshed namespaces: pods start after the mesh's CNI agent and ztunnel (stacks/compose/mesh.py).
    mesh = base.extras.get("mesh")
    mesh_deps = [mesh] if cfg.mesh.enabled and isinstance(mesh, pulumi.Resource) else []
    bootstrap = _db_bootstrap(ctx, base, cell, stores)
    fields = _app_fields(cfg, ctx.name, cell_settings(cfg, cell, bucket, db, backbone), ctx.region.standby, base)
    fields["scaling"] = replace(fields["scaling"], queue_list_name=cell.queue_list)
    workload = PlatformWorkload(name, WorkloadArgs(
        **fields,
        secrets=ExternalSecretsSource(
            region=ctx.name, refs=refs, templates=templates,
            depends_on=[base.external_secrets] if base.external_secrets is not None else [],
            store_role_arn=store_role(ctx, base, f"cell{suffix}", cell.namespace, list(refs.values()))),
        network=NetworkSpec(vpc_cidr=base.vpc_cidr, pod_identity_agent=True),
        k8s_provider=delivery.workload_provider(ctx, base),
        rollout=delivery.rollout_spec(cfg, base),
        # ServiceMonitors wait for kube-prometheus-stack (its CRDs): the observability layer
        # installs it later in this program and calls `attach_service_monitors` with the release.
        addons=AddonSupport(keda=True, prometheus_operator=False, vpa=True, depends_on=addon_deps,
                            prometheus_url=PROMETHEUS_URL),
        ingress=IngressSpec(hosts=hosts, certificate_arn=cert_arn, ssl_policy=cfg.ingress.ssl_policy,
                            allowed_cidrs=cfg.ingress.allowed_cidrs,
                            depends_on=[base.lb_controller] if base.lb_controller is not None else [],
                            tags={"environment": cfg.environment, "project": cfg.project,
                                  "data-domain": cell.domain},
                            access_logs_bucket=data.log_bucket, access_logs_prefix=ALB_LOG_PREFIX,
                            deletion_protection=cfg.protected if cfg.ingress.deletion_protection is None
                            else cfg.ingress.deletion_protection,
                            trust_store_arn=trust_store_arn),
        queue=queue,
        strict_zone_spread=cfg.network.az_count > 1 and not ctx.region.standby,
        api_role_arn=roles["api"],
        worker_role_arn=roles["worker"],
        jobs_role_arn=roles["jobs"],
        migrations=writer,
        depends_on=[*identity_resources, *mesh_deps, *([bootstrap.job] if bootstrap is not None else [])],
        namespace=cell.namespace,
        shared_namespace=cell.home,
        cell_labels={"agentic.io/data-domain": cell.domain, "agentic.io/data-residency": cell.residency},
    ), opts=pulumi.ResourceOptions(parent=ctx.parent))
    return CellWorkload(cell=cell, namespace=cell.namespace, ingress_hostname=workload.ingress_hostname,
                        workload=workload, api_role_arn=roles["api"], worker_role_arn=roles["worker"],
                        workload_extras={"acm_validation": validation, "certificate_arn": cert_arn})


def _db_bootstrap(ctx: RegionContext, base: RegionBase, cell: Cell,
                  stores: DomainStores | None) -> DbBootstrap | None:
    """In the domain's writer region only: create the IAM database users before any migration."""
    if stores is None or stores.writer_endpoint is None or stores.master_secret_arn is None:
        return None
    cfg = ctx.cfg
    return DbBootstrap(f"{cell.resource_name(cfg.environment)}-db-bootstrap", DbBootstrapArgs(
        environment=cfg.environment, region=ctx.name, domain=cell.domain,
        image=delivery.mirror(cfg, ctx.name, base, CLIENT_IMAGE),
        writer_endpoint=stores.writer_endpoint, master_secret=stores.master_secret_arn, vpc_cidr=base.vpc_cidr,
        # Its domain's master credential and nothing else.
        store_role_arn=store_role(ctx, base, f"db-bootstrap-{cell.domain}", f"{BOOTSTRAP_NAMESPACE}-{cell.domain}",
                                  [stores.master_secret_arn]),
        depends_on=tuple(r for r in (base.external_secrets,) if r is not None),
    ), opts=pulumi.ResourceOptions(parent=ctx.parent, providers={"kubernetes": base.k8s_provider}
                                   if base.k8s_provider is not None else None))


def local_provider(cfg: PlatformConfig) -> k8s.Provider:
    """The current kube context (or `local.kube_context`): kind, minikube, Docker Desktop."""
    return k8s.Provider("local-k8s", context=cfg.local.kube_context, enable_server_side_apply=True)


def _password(name: str) -> random.RandomPassword:
    # URL-safe: the values are embedded in DATABASE_URL/REDIS_URL.
    return random.RandomPassword(name, length=32, special=False)


SAMPLE_AGENTS = ("research-assistant", "support-triage")
"""Agents the development seed creates for every sample tenant (local stack and compose)."""


def seed_tenants(cfg: PlatformConfig) -> list[dict[str, Any]]:
    """The local catalog's tenants, each with the sample agents: the guide's development seed."""
    return [{"id": t.id, "display_name": t.display_name, "tier": t.tier, "agents": list(SAMPLE_AGENTS)}
            for t in cfg.tenants]


def build_local(cfg: PlatformConfig) -> dict[str, Any]:
    """The local stack: same app/, stores in-cluster, plain Secrets; returns stack outputs."""
    provider = local_provider(cfg)
    name = "local"
    pg_password, redis_password = _password("local-postgres-password"), _password("local-redis-password")
    values: dict[str, pulumi.Input[str]] = {
        "DATABASE_URL": database_url(pg_password.result),
        "REDIS_URL": redis_url(redis_password.result),
        "REDIS_QUEUE_URL": redis_url(redis_password.result),
        "SECRET_KEY": _password("local-secret-key").result,
        "JWT_SECRET": _password("local-jwt-secret").result,
    }
    s = cfg.secrets
    for env, secret in (("ANTHROPIC_API_KEY", s.anthropic_api_key), ("OPENAI_API_KEY", s.openai_api_key)):
        if secret is not None:
            values[env] = pulumi.Output.secret(secret.get_secret_value())
    if cfg.app.vector_store == "pinecone":
        for env, secret in (("PINECONE_API_KEY", s.pinecone_api_key), ("PINECONE_ENVIRONMENT", s.pinecone_environment)):
            if secret is not None:
                values[env] = pulumi.Output.secret(secret.get_secret_value())

    workload = PlatformWorkload(name, WorkloadArgs(
        **_app_fields(cfg, "local", app_settings(cfg, "local")),
        secrets=InClusterSecrets(values=values),
        network=NetworkSpec(vpc_cidr=None, store_namespace=SHARED_SERVICES),
        k8s_provider=provider,
        addons=AddonSupport(),
        local_stores=LocalStoresArgs(
            environment=cfg.environment, postgres_image=cfg.local.postgres_image,
            redis_image=cfg.local.redis_image, postgres_password=pg_password.result,
            redis_password=redis_password.result, storage_class=cfg.local.storage_class),
        seed_tenants=seed_tenants(cfg),
    ), opts=pulumi.ResourceOptions(provider=provider))
    return {
        "kube_context": cfg.local.kube_context or "(current context)",
        "namespaces": workload.namespaces,
        "api_port_forward": f"kubectl -n {PLATFORM_CORE} port-forward svc/api 8000:80",
        "postgres_port_forward": f"kubectl -n {SHARED_SERVICES} port-forward svc/postgres 5432:5432",
        "redis_port_forward": f"kubectl -n {SHARED_SERVICES} port-forward svc/redis 6379:6379",
    }
