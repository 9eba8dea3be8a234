"""A Redis replication group for one role: `cache` (allkeys-lru, may shard) or `queue`.

The queue is a separate group because a cache evicts and a queue must not (C16), and queue
libraries cannot use cluster mode (C15). Both are TLS-only, encrypted at rest with the region's
cache key, authenticated with a generated AUTH token, and reachable only from the EKS cluster.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from components.sg_rules import allow_port_from_groups

PORT = 6379
AUTH_TOKEN_SPECIALS = "!&#$^<>-"
"""The only specials ElastiCache accepts in an AUTH token (C12)."""
_TOKEN_RE = re.compile(r"^[A-Za-z0-9!&#$^<>\-]{16,128}$")

Role = Literal["cache", "queue"]
EVICTION: dict[str, str] = {"cache": "allkeys-lru", "queue": "noeviction"}


def check_auth_token(token: str, field_name: str = "RedisArgs.auth_token") -> str:
    """Refuse a token ElastiCache would refuse at create time (C12), naming the input."""
    if not 16 <= len(token) <= 128:
        raise ValueError(f"{field_name}: {len(token)} characters; ElastiCache AUTH tokens need 16-128 "
                         "characters")
    if not _TOKEN_RE.match(token):
        raise ValueError(f"{field_name}: only letters, digits and the specials {AUTH_TOKEN_SPECIALS} are "
                         "allowed in an ElastiCache AUTH token")
    return token


def check_token_length(length: int, field_name: str = "RedisArgs.auth_token_length") -> int:
    if not 16 <= length <= 128:
        raise ValueError(f"{field_name}: {length}; ElastiCache AUTH tokens need 16-128 characters")
    return length


def parameter_family(engine_version: str, engine: str = "redis") -> str:
    """`7.1` -> `redis7`; Valkey `8.2` -> `valkey8`."""
    return f"{engine}{engine_version.split('.', maxsplit=1)[0]}"


def redis_url(token: pulumi.Input[str], host: pulumi.Input[str], port: int = PORT, db: int = 0) -> pulumi.Output[str]:
    """`rediss://:<token>@host:port/db` (TLS), always a Pulumi secret."""
    return pulumi.Output.secret(pulumi.Output.all(pulumi.Output.from_input(token), host).apply(
        lambda v: f"rediss://:{urllib.parse.quote(str(v[0]), safe='')}@{v[1]}:{port}/{db}"))


@dataclass
class RedisArgs:
    identifier: str
    """Replication group id (<= 40 chars, unique per region)."""
    region: str
    role: Role
    node_type: str
    engine_version: str
    kms_key_arn: pulumi.Input[str]
    logs_kms_key_arn: pulumi.Input[str]
    vpc_id: pulumi.Input[str]
    subnet_ids: Sequence[pulumi.Input[str]] = ()
    subnet_group_name: pulumi.Input[str] | None = None
    allowed_security_group_ids: Sequence[pulumi.Input[str]] = ()
    shards: int = 1
    replicas_per_shard: int = 1
    snapshot_retention_days: int = 1
    multi_az: bool = True
    """Multi-AZ with automatic failover; needs at least one replica per shard."""
    auth_token: pulumi.Input[str] | None = None
    """None: generated (pulumi-random, secret). A plain string is checked against C12 here."""
    auth_token_length: int = 64
    auth_token_version: int = 1
    """Bump to rotate a generated token; ROTATE keeps the previous token valid while pods roll."""
    log_retention_days: int = 30
    protected: bool = False
    maintenance_window: str = "sun:06:00-sun:07:00"
    snapshot_window: str = "04:00-05:00"
    tags: Mapping[str, str] = field(default_factory=dict)
    engine: Literal["valkey", "redis"] = "redis"
    """Valkey (7.2+) keeps TLS, AUTH tokens, the eviction policies and Multi-AZ of Redis OSS."""


def validate_args(args: RedisArgs) -> None:
    if len(args.identifier) > 40:
        raise ValueError(f"RedisArgs.identifier '{args.identifier}' exceeds 40 characters")
    check_token_length(args.auth_token_length)
    if isinstance(args.auth_token, str):
        check_auth_token(args.auth_token)
    if args.role == "queue" and args.shards != 1:
        raise ValueError(f"RedisArgs.shards: {args.shards} for queue '{args.identifier}'; the queue runs with "
                         "cluster mode disabled (Celery/BullMQ need single-slot keys), use 1")
    if args.subnet_group_name is None and len(args.subnet_ids) < 2:
        raise ValueError(f"RedisArgs.subnet_ids: '{args.identifier}' creates its own subnet group, which needs "
                         f"subnets in at least two Availability Zones for Multi-AZ (got {len(args.subnet_ids)}); "
                         "pass them or an existing subnet_group_name")
    if args.multi_az and args.replicas_per_shard < 1:
        raise ValueError(f"RedisArgs.replicas_per_shard: Multi-AZ '{args.identifier}' needs at least one replica")


class Redis(pulumi.ComponentResource):
    """Replication group + parameter group + subnet group + security group + log groups."""

    replication_group: aws.elasticache.ReplicationGroup
    endpoint: pulumi.Output[str]
    """Primary endpoint, or the configuration endpoint when sharded (cluster mode)."""
    reader_endpoint: pulumi.Output[str]
    auth_token: pulumi.Output[str]
    url: pulumi.Output[str]
    security_group_id: pulumi.Output[str]
    cluster_mode: bool

    def __init__(self, name: str, args: RedisArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("agentic:redis:Redis", name, {"region": args.region, "role": args.role}, opts)
        validate_args(args)
        child = pulumi.ResourceOptions(parent=self)
        tags = {**args.tags, "role": args.role}
        ident = args.identifier
        self.cluster_mode = args.role == "cache" and args.shards > 1

        if args.auth_token is None:
            token = random.RandomPassword(
                f"{name}-auth-token", length=args.auth_token_length, special=True,
                override_special=AUTH_TOKEN_SPECIALS, min_special=1, min_numeric=2, min_upper=2, min_lower=2,
                keepers={"version": str(args.auth_token_version)},
                opts=pulumi.ResourceOptions(parent=self, additional_secret_outputs=["result"]))
            self.auth_token = token.result
        else:
            self.auth_token = pulumi.Output.secret(args.auth_token)

        subnet_group = args.subnet_group_name
        if subnet_group is None:
            subnet_group = aws.elasticache.SubnetGroup(
                f"{name}-subnets", region=args.region, name=ident, subnet_ids=list(args.subnet_ids),
                description=f"{ident} subnets", tags=tags, opts=child).name
        sg = aws.ec2.SecurityGroup(
            f"{name}-sg", region=args.region, vpc_id=args.vpc_id, name=f"{ident}-redis",
            description=f"Redis {ident}: 6379 from the EKS cluster only", revoke_rules_on_delete=True,
            tags={**tags, "Name": f"{ident}-redis"}, opts=child)
        allow_port_from_groups(f"{name}-sg-in", region=args.region, security_group_id=sg.id, port=PORT,
                               sources=args.allowed_security_group_ids,
                               description="Redis from the EKS cluster", tags=tags, opts=child)
        self.security_group_id = sg.id

        parameters = [aws.elasticache.ParameterGroupParameterArgs(name="maxmemory-policy",
                                                                  value=EVICTION[args.role])]
        if self.cluster_mode:
            parameters.append(aws.elasticache.ParameterGroupParameterArgs(name="cluster-enabled", value="yes"))
        params = aws.elasticache.ParameterGroup(
            f"{name}-params", region=args.region, name=f"{ident}-params",
            family=parameter_family(args.engine_version, args.engine),
            description=f"{ident}: {EVICTION[args.role]}", parameters=parameters, tags=tags, opts=child)

        log_groups = {
            kind: aws.cloudwatch.LogGroup(
                f"{name}-{kind}", region=args.region, name=f"/aws/elasticache/{ident}/{kind}",
                retention_in_days=args.log_retention_days, kms_key_id=args.logs_kms_key_arn, tags=tags, opts=child)
            for kind in ("slow-log", "engine-log")
        }
        stateful = pulumi.ResourceOptions(parent=self, protect=args.protected, retain_on_delete=args.protected,
                                          depends_on=list(log_groups.values()))
        cm = self.cluster_mode
        self.replication_group = aws.elasticache.ReplicationGroup(
            f"{name}-group",
            region=args.region,
            replication_group_id=ident,
            description=f"{args.role} ({EVICTION[args.role]}) {ident}",
            engine=args.engine,
            engine_version=args.engine_version,
            node_type=args.node_type,
            port=PORT,
            parameter_group_name=params.name,
            subnet_group_name=subnet_group,
            security_group_ids=[sg.id],
            at_rest_encryption_enabled=True,
            kms_key_id=args.kms_key_arn,
            transit_encryption_enabled=True,
            transit_encryption_mode="required",
            auth_token=self.auth_token,
            auth_token_update_strategy="ROTATE",
            multi_az_enabled=args.multi_az,
            automatic_failover_enabled=args.multi_az or self.cluster_mode,
            snapshot_retention_limit=args.snapshot_retention_days,
            snapshot_window=args.snapshot_window,
            final_snapshot_identifier=f"{ident}-final" if args.protected or args.snapshot_retention_days else None,
            maintenance_window=args.maintenance_window,
            auto_minor_version_upgrade=True,
            apply_immediately=not args.protected,
            log_delivery_configurations=[
                aws.elasticache.ReplicationGroupLogDeliveryConfigurationArgs(
                    destination=log_groups[kind].name, destination_type="cloudwatch-logs",
                    log_format="json", log_type=kind)
                for kind in ("slow-log", "engine-log")],
            cluster_mode="enabled" if cm else "disabled",
            num_node_groups=args.shards if cm else None,
            replicas_per_node_group=args.replicas_per_shard if cm else None,
            num_cache_clusters=None if cm else 1 + args.replicas_per_shard,
            tags=tags,
            opts=stateful,
        )
        rg = self.replication_group
        self.endpoint = rg.configuration_endpoint_address if self.cluster_mode else rg.primary_endpoint_address
        self.reader_endpoint = rg.configuration_endpoint_address if self.cluster_mode else rg.reader_endpoint_address
        self.url = redis_url(self.auth_token, self.endpoint)
        self.register_outputs({"endpoint": self.endpoint})
