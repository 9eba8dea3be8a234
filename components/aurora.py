"""One regional Aurora PostgreSQL cluster: standalone, or a member of an Aurora Global database.

Reused as-is for the database-per-tenant (enterprise) tier: a tenant cluster is this component
with its own identifier and its own KMS key. The same class builds the three roles of a global
database because they differ only in what AWS refuses (C1-C5): a secondary carries no
credentials or database name, depends on the primary's instances and ignores the members'
engine version and global cluster id, which are driven through the global cluster.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from components.db_users import USERS, connect_statement, dbuser_arn
from components.secrets import SecretSet, SecretSetArgs
from components.sg_rules import allow_port_from_groups

ENGINE = "aurora-postgresql"
PORT = 5432
PASSWORD_SPECIALS = "-_"
"""URL-safe specials only: the password goes into DATABASE_URL; RDS refuses / @ \" and space."""

GlobalRole = Literal["none", "primary", "secondary"]


def is_burstable(instance_class: str) -> bool:
    """db.t3/db.t4g: refused by Aurora Global (C3) and CPU-credit bound under load."""
    parts = instance_class.split(".")
    return len(parts) > 1 and parts[1].startswith("t")


def parameter_family(engine_version: str) -> str:
    """`16.6` -> `aurora-postgresql16` (the parameter group family follows the major)."""
    return f"{ENGINE}{engine_version.split('.', maxsplit=1)[0]}"


def generate_master_password(name: str, parent: pulumi.Resource, version: int = 1) -> random.RandomPassword:
    """A secret 40-character password; a new `version` generates a new one (rotation)."""
    return random.RandomPassword(
        name, length=40, special=True, override_special=PASSWORD_SPECIALS, keepers={"version": str(version)},
        min_upper=2, min_lower=2, min_numeric=2, min_special=1,
        opts=pulumi.ResourceOptions(parent=parent, additional_secret_outputs=["result"]),
    )


def credentials_json(username: str, password: pulumi.Input[str]) -> pulumi.Output[str]:
    """The {"username","password"} document RDS Proxy reads from Secrets Manager."""
    return pulumi.Output.secret(pulumi.Output.from_input(password).apply(
        lambda p: json.dumps({"username": username, "password": p, "engine": "postgres", "port": PORT})))


def database_url(username: str, password: pulumi.Input[str], host: pulumi.Input[str],
                 database: str, port: int = PORT) -> pulumi.Output[str]:
    """`postgresql://user:pass@host:port/db?sslmode=require`, always a Pulumi secret."""
    return pulumi.Output.secret(pulumi.Output.all(pulumi.Output.from_input(password), host).apply(
        lambda v: f"postgresql://{urllib.parse.quote(username)}:{urllib.parse.quote(str(v[0]), safe='')}"
                  f"@{v[1]}:{port}/{database}?sslmode=require"))


@dataclass
class DbCredentials:
    """Master credentials owned by the caller (Aurora Global: one password for every member, C2)."""

    username: str
    password: pulumi.Input[str]
    secret_arn: pulumi.Input[str]
    """Secret in the cluster's region with the credentials JSON (RDS Proxy auth)."""


@dataclass
class AuroraClusterArgs:
    identifier: str
    """Physical cluster id, unique across regions (C9): carries env, domain or tenant, region."""
    region: str
    engine_version: str
    instance_class: str
    """An r-class or `db.serverless`; burstable classes are refused for global members (C3)."""
    kms_key_arn: pulumi.Input[str]
    """Storage and Performance Insights key, of this region (C4)."""
    logs_kms_key_arn: pulumi.Input[str]
    secrets_kms_key_arn: pulumi.Input[str]
    vpc_id: pulumi.Input[str]
    subnet_ids: Sequence[pulumi.Input[str]] = ()
    db_subnet_group_name: pulumi.Input[str] | None = None
    """None: a subnet group is created from `subnet_ids`."""
    allowed_security_group_ids: Sequence[pulumi.Input[str]] = ()
    """The only sources allowed to reach 5432 (the EKS cluster/node security group)."""
    readers: int = 1
    """Reader instances; a secondary has readers only (at least one, promotable)."""
    database_name: str = "agentic"
    master_username: str = "agentic_admin"
    credentials: DbCredentials | None = None
    """None (standalone clusters): a password and its secret are generated here."""
    credentials_version: int = 1
    """Bump to rotate a generated password (docs/data-tier.md, rotation)."""
    managed_master_password: bool = False
    """RDS generates the master password, keeps it in its own Secrets Manager secret (encrypted
    with `secrets_kms_key_arn`) and rotates it every 7 days; nothing in Pulumi state. Regional
    clusters only: Aurora refuses it for global database members
    (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/rds-secrets-manager.html,
    "Limitations"), which keep the generated password and `credentials_version`."""
    secret_path_prefix: str = ""
    """Generated credentials go to `<prefix>/master` (default prefix `agentic-platform/<identifier>`)."""
    global_role: GlobalRole = "none"
    joins_global: bool = False
    """A standalone cluster that became the primary of a global cluster created from it
    (`GlobalCluster(source_db_cluster_identifier=...)`): its `global_cluster_identifier` is then set
    by AWS and ignored here, so joining never replaces the cluster (an enterprise tenant's database)."""
    global_cluster_identifier: pulumi.Input[str] | None = None
    source_region: str | None = None
    write_forwarding: bool = False
    depends_on: Sequence[pulumi.Resource] = ()
    """A secondary passes the primary cluster and its instances here."""
    serverless_min_acu: float = 0.5
    serverless_max_acu: float = 4
    serverless_auto_pause_seconds: int | None = None
    """With `serverless_min_acu` 0: idle seconds before the cluster pauses (300-86400)."""
    backup_retention_days: int = 7
    performance_insights_retention_days: int = 7
    monitoring_interval: int = 60
    log_retention_days: int = 30
    reader_autoscaling_max: int = 0
    reader_autoscaling_cpu: float = 70
    slow_query_ms: int = 1000
    protected: bool = False
    """protect + retain, deletion protection (final snapshots are always taken)."""
    proxy: bool = True
    tags: Mapping[str, str] = field(default_factory=dict)


def validate_args(args: AuroraClusterArgs) -> None:
    """Refuse what AWS would refuse minutes into a deployment, naming the input."""
    if args.global_role != "none" and is_burstable(args.instance_class):
        raise ValueError(
            f"AuroraClusterArgs.instance_class '{args.instance_class}' is burstable and cluster "
            f"'{args.identifier}' is an Aurora Global member, which refuses burstable classes; "
            "use an r-class (db.r7g.large) or db.serverless")
    if args.global_role == "secondary":
        if args.global_cluster_identifier is None or not args.source_region:
            raise ValueError(f"AuroraClusterArgs: secondary '{args.identifier}' needs "
                             "global_cluster_identifier and source_region")
        if args.credentials is None and args.proxy:
            raise ValueError(f"AuroraClusterArgs.credentials: secondary '{args.identifier}' needs the "
                             "replicated credentials secret for its proxy")
        if args.readers < 1 and args.proxy:
            raise ValueError(f"AuroraClusterArgs.readers: secondary '{args.identifier}' has an RDS Proxy and "
                             "needs at least one instance behind it; a headless secondary (storage "
                             "replication only, readers=0) takes proxy=False")
    if args.serverless_min_acu == 0 and (args.proxy or args.global_role != "none"):
        raise ValueError(f"AuroraClusterArgs.serverless_min_acu: cluster '{args.identifier}' cannot pause at 0 ACU "
                         "behind an RDS Proxy or in a global database; set proxy=False on a regional cluster "
                         "or a minimum of 0.5")
    if args.managed_master_password and (args.global_role != "none" or args.credentials is not None):
        raise ValueError(f"AuroraClusterArgs.managed_master_password: cluster '{args.identifier}' is "
                         + ("an Aurora Global member, where RDS-managed master passwords are not supported; "
                            "rotate with credentials_version" if args.global_role != "none"
                            else "given caller-owned credentials"))
    if args.global_role == "primary" and args.global_cluster_identifier is None:
        raise ValueError(f"AuroraClusterArgs.global_cluster_identifier: primary '{args.identifier}' needs it")
    if args.proxy and len(args.subnet_ids) < 2:
        # RDS Proxy (and each of its endpoints) takes subnets in at least two AZs; `[]` fails
        # `pulumi up` with InvalidParameterValue minutes in:
        # https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-proxy-network-prereqs.html
        raise ValueError(f"AuroraClusterArgs.subnet_ids: cluster '{args.identifier}' has an RDS Proxy, which needs "
                         f"subnets in at least two Availability Zones (got {len(args.subnet_ids)}); pass the "
                         "region's private subnet ids")
    if args.db_subnet_group_name is None and len(args.subnet_ids) < 2:
        raise ValueError(f"AuroraClusterArgs.subnet_ids: cluster '{args.identifier}' creates its own DB subnet "
                         f"group, which needs subnets in at least two Availability Zones (got {len(args.subnet_ids)})"
                         "; pass them or an existing db_subnet_group_name")
    if len(args.identifier) > 50:
        raise ValueError(f"AuroraClusterArgs.identifier '{args.identifier}' is longer than 50 characters "
                         "(instance ids and role names append suffixes; RDS caps ids at 63)")


class AuroraCluster(pulumi.ComponentResource):
    """Cluster, instances, parameter group, security groups, log group, monitoring, RDS Proxy."""

    cluster: aws.rds.Cluster
    instances: list[aws.rds.ClusterInstance]
    cluster_identifier: pulumi.Output[str]
    arn: pulumi.Output[str]
    endpoint: pulumi.Output[str]
    reader_endpoint: pulumi.Output[str]
    proxy_endpoint: pulumi.Output[str] | None
    """The app's endpoint: read/write on a writer cluster; on a secondary (no writer) the proxy's
    read-only endpoint, where write forwarding carries writes to the primary region."""
    proxy_reader_endpoint: pulumi.Output[str] | None
    security_group_id: pulumi.Output[str]
    credentials_secret_arn: pulumi.Output[str] | None
    master_username: str
    master_password: pulumi.Output[str] | None
    """Secret; None on a secondary (it has no credentials of its own)."""
    is_writer: bool

    def __init__(self, name: str, args: AuroraClusterArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("agentic:aurora:AuroraCluster", name, {"region": args.region}, opts)
        validate_args(args)
        child = pulumi.ResourceOptions(parent=self)
        stateful = pulumi.ResourceOptions(parent=self, protect=args.protected, retain_on_delete=args.protected)
        tags = dict(args.tags)
        ident = args.identifier
        secondary = args.global_role == "secondary"
        serverless = args.instance_class == "db.serverless"
        self.master_username = args.master_username
        self.is_writer = not secondary

        # --- credentials (never on a secondary cluster: C1) ---
        self.master_password = None
        self.credentials_secret_arn = None
        if args.credentials is not None:
            self.master_password = (None if secondary
                                    else pulumi.Output.secret(pulumi.Output.from_input(args.credentials.password)))
            self.credentials_secret_arn = pulumi.Output.from_input(args.credentials.secret_arn)
        elif not secondary and not args.managed_master_password:
            pw = generate_master_password(f"{name}-master-password", self, args.credentials_version)
            self.master_password = pw.result
            creds = SecretSet(f"{name}-credentials", SecretSetArgs(
                region=args.region, path_prefix=args.secret_path_prefix or f"agentic-platform/{ident}",
                kms_key_arn=args.secrets_kms_key_arn,
                values={"master": credentials_json(args.master_username, pw.result)},
                descriptions={"master": f"master credentials of Aurora cluster {ident} (RDS Proxy auth)"},
                protect=args.protected, tags=tags,
            ), opts=child)
            self.credentials_secret_arn = creds.arns["master"]

        # --- network ---
        subnet_group = args.db_subnet_group_name
        if subnet_group is None:
            subnet_group = aws.rds.SubnetGroup(
                f"{name}-subnets", region=args.region, name=ident, subnet_ids=list(args.subnet_ids),
                description=f"{ident} database subnets", tags=tags, opts=child).name
        db_sg = aws.ec2.SecurityGroup(
            f"{name}-sg", region=args.region, vpc_id=args.vpc_id, name=f"{ident}-db",
            description=f"Aurora {ident}: 5432 from the EKS cluster and the RDS Proxy only",
            revoke_rules_on_delete=True, tags={**tags, "Name": f"{ident}-db"}, opts=child)
        allow_port_from_groups(f"{name}-sg-in", region=args.region, security_group_id=db_sg.id, port=PORT,
                               sources=args.allowed_security_group_ids,
                               description="PostgreSQL from the EKS cluster", tags=tags, opts=child)
        self.security_group_id = db_sg.id

        # --- parameters, logs, monitoring ---
        params = aws.rds.ClusterParameterGroup(
            f"{name}-params", region=args.region, name=f"{ident}-cluster",
            family=parameter_family(args.engine_version),
            description=f"{ident}: TLS only, pg_stat_statements, slow-query log",
            parameters=[
                aws.rds.ClusterParameterGroupParameterArgs(name="rds.force_ssl", value="1"),
                aws.rds.ClusterParameterGroupParameterArgs(name="ssl_min_protocol_version", value="TLSv1.2"),
                aws.rds.ClusterParameterGroupParameterArgs(
                    name="shared_preload_libraries", value="pg_stat_statements", apply_method="pending-reboot"),
                aws.rds.ClusterParameterGroupParameterArgs(
                    name="log_min_duration_statement", value=str(args.slow_query_ms)),
                aws.rds.ClusterParameterGroupParameterArgs(name="log_lock_waits", value="1"),
            ],
            tags=tags, opts=child)
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-log", region=args.region, name=f"/aws/rds/cluster/{ident}/postgresql",
            retention_in_days=args.log_retention_days, kms_key_id=args.logs_kms_key_arn, tags=tags, opts=child)
        monitoring_role = aws.iam.Role(
            f"{name}-monitoring", name=f"{ident}-monitoring",
            assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"Service": "monitoring.rds.amazonaws.com"},
                "Action": "sts:AssumeRole"}]}),
            tags=tags, opts=child)
        monitoring_attach = aws.iam.RolePolicyAttachment(
            f"{name}-monitoring-policy", role=monitoring_role.name,
            policy_arn="arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole", opts=child)

        # --- the cluster ---
        ignore = ["engine_version", "global_cluster_identifier", "replication_source_identifier"] \
            if args.global_role != "none" else ["global_cluster_identifier"] if args.joins_global else []
        cluster_opts = pulumi.ResourceOptions.merge(stateful, pulumi.ResourceOptions(
            depends_on=[log_group, *args.depends_on], ignore_changes=ignore))
        self.cluster = aws.rds.Cluster(
            f"{name}-cluster",
            region=args.region,
            cluster_identifier=ident,
            engine=ENGINE,
            engine_version=args.engine_version,
            engine_lifecycle_support="open-source-rds-extended-support-disabled",
            allow_major_version_upgrade=False,
            global_cluster_identifier=args.global_cluster_identifier,
            source_region=args.source_region if secondary else None,
            enable_global_write_forwarding=args.write_forwarding if secondary else None,
            database_name=None if secondary else args.database_name,
            master_username=None if secondary else args.master_username,
            master_password=None if secondary else self.master_password,
            manage_master_user_password=True if args.managed_master_password else None,
            master_user_secret_kms_key_id=args.secrets_kms_key_arn if args.managed_master_password else None,
            storage_encrypted=True,
            kms_key_id=args.kms_key_arn,
            db_subnet_group_name=subnet_group,
            vpc_security_group_ids=[db_sg.id],
            db_cluster_parameter_group_name=params.name,
            iam_database_authentication_enabled=True,
            enabled_cloudwatch_logs_exports=["postgresql"],
            backup_retention_period=args.backup_retention_days,
            preferred_backup_window="03:00-04:00",
            preferred_maintenance_window="sun:05:00-sun:06:00",
            copy_tags_to_snapshot=True,
            delete_automated_backups=False,
            skip_final_snapshot=False,
            final_snapshot_identifier=f"{ident}-final",
            deletion_protection=args.protected,
            apply_immediately=not args.protected,
            serverlessv2_scaling_configuration=aws.rds.ClusterServerlessv2ScalingConfigurationArgs(
                min_capacity=args.serverless_min_acu, max_capacity=args.serverless_max_acu,
                seconds_until_auto_pause=args.serverless_auto_pause_seconds if args.serverless_min_acu == 0 else None)
            if serverless else None,
            tags=tags,
            opts=cluster_opts,
        )
        self.cluster_identifier = self.cluster.cluster_identifier
        if args.managed_master_password:
            # The secret RDS created (`rds!cluster-...`, JSON username/password) in this region.
            self.credentials_secret_arn = self.cluster.master_user_secrets.apply(
                lambda secrets: secrets[0].secret_arn if secrets else None)  # type: ignore[return-value]
        self.arn = self.cluster.arn
        self.endpoint = self.cluster.endpoint
        self.reader_endpoint = self.cluster.reader_endpoint

        # --- instances: a writer (not on a secondary) + readers ---
        count = args.readers if secondary else 1 + args.readers
        self.instances = []
        for i in range(count):
            self.instances.append(aws.rds.ClusterInstance(
                f"{name}-{i + 1}",
                region=args.region,
                identifier=f"{ident}-{i + 1}",
                cluster_identifier=self.cluster.id,
                engine=aws.rds.EngineType.AURORA_POSTGRESQL,
                instance_class=args.instance_class,
                db_subnet_group_name=subnet_group,
                publicly_accessible=False,
                promotion_tier=min(i, 15),
                auto_minor_version_upgrade=args.global_role == "none",  # not honoured on global (C5)
                ca_cert_identifier="rds-ca-rsa2048-g1",
                copy_tags_to_snapshot=True,
                performance_insights_enabled=True,
                performance_insights_kms_key_id=args.kms_key_arn,
                performance_insights_retention_period=args.performance_insights_retention_days,
                monitoring_interval=args.monitoring_interval,
                monitoring_role_arn=monitoring_role.arn,
                apply_immediately=not args.protected,
                tags=tags,
                opts=pulumi.ResourceOptions.merge(stateful, pulumi.ResourceOptions(
                    depends_on=[monitoring_attach], ignore_changes=["engine_version"] if ignore else None)),
            ))

        # --- reader auto scaling (target tracking on reader CPU) ---
        if args.reader_autoscaling_max > args.readers:
            target = aws.appautoscaling.Target(
                f"{name}-readers", region=args.region, service_namespace="rds",
                scalable_dimension="rds:cluster:ReadReplicaCount",
                resource_id=self.cluster.cluster_identifier.apply(lambda c: f"cluster:{c}"),
                min_capacity=max(args.readers, 1), max_capacity=args.reader_autoscaling_max,
                tags=tags, opts=pulumi.ResourceOptions(parent=self, depends_on=self.instances))
            aws.appautoscaling.Policy(
                f"{name}-readers-cpu", region=args.region, name=f"{ident}-reader-cpu",
                policy_type="TargetTrackingScaling", service_namespace=target.service_namespace,
                scalable_dimension=target.scalable_dimension, resource_id=target.resource_id,
                target_tracking_scaling_policy_configuration=(
                    aws.appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationArgs(
                        target_value=args.reader_autoscaling_cpu,
                        predefined_metric_specification=(
                            aws.appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecificationArgs(
                                predefined_metric_type="RDSReaderAverageCPUUtilization")),
                        scale_in_cooldown=300, scale_out_cooldown=300)),
                opts=child)

        # --- RDS Proxy: the pooled, TLS-only endpoint (the guide's PgBouncer) ---
        self.proxy_endpoint = None
        self.proxy_reader_endpoint = None
        self.proxy_arn: pulumi.Output[str] | None = None
        self.cluster_resource_id = self.cluster.cluster_resource_id
        if args.proxy:
            rw, ro = self._proxy(name, args, db_sg, tags)
            self.proxy_reader_endpoint = ro
            self.proxy_endpoint = ro if secondary else rw
        self.register_outputs({
            "cluster_identifier": self.cluster_identifier, "endpoint": self.endpoint,
            "reader_endpoint": self.reader_endpoint, "proxy_endpoint": self.proxy_endpoint,
            "proxy_reader_endpoint": self.proxy_reader_endpoint,
        })

    def _proxy(self, name: str, args: AuroraClusterArgs, db_sg: aws.ec2.SecurityGroup, tags: dict[str, str],
               ) -> tuple[pulumi.Output[str], pulumi.Output[str] | None]:
        """(read/write endpoint, read-only endpoint when the cluster has readers).

        End-to-end IAM authentication (`default_auth_scheme=IAM_AUTH`): clients need
        `rds-db:connect` on the proxy's `dbuser:prx-.../<user>`, the proxy connects to the cluster
        as the same user with its own role's `rds-db:connect` (components/db_users.py). The proxy
        reads no secret, so the master credential is for break-glass and the bootstrap Job only.
        """
        child = pulumi.ResourceOptions(parent=self)
        ident = args.identifier
        proxy_sg = aws.ec2.SecurityGroup(
            f"{name}-proxy-sg", region=args.region, vpc_id=args.vpc_id, name=f"{ident}-proxy",
            description=f"RDS Proxy {ident}: 5432 from the EKS cluster, to the database only",
            revoke_rules_on_delete=True, tags={**tags, "Name": f"{ident}-proxy"}, opts=child)
        allow_port_from_groups(f"{name}-proxy-sg-in", region=args.region, security_group_id=proxy_sg.id, port=PORT,
                               sources=args.allowed_security_group_ids,
                               description="PostgreSQL from the EKS cluster", tags=tags, opts=child)
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-proxy-sg-out", region=args.region, security_group_id=proxy_sg.id, ip_protocol="tcp",
            from_port=PORT, to_port=PORT, referenced_security_group_id=db_sg.id,
            description="to the Aurora cluster", tags=tags, opts=child)
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-sg-in-proxy", region=args.region, security_group_id=db_sg.id, ip_protocol="tcp",
            from_port=PORT, to_port=PORT, referenced_security_group_id=proxy_sg.id,
            description="PostgreSQL from the RDS Proxy", tags=tags, opts=child)
        role = aws.iam.Role(
            f"{name}-proxy-role", name=f"{ident}-proxy",
            assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"Service": "rds.amazonaws.com"}, "Action": "sts:AssumeRole"}]}),
            tags=tags, opts=child)
        users = pulumi.Output.all(self.cluster.arn, self.cluster.cluster_resource_id).apply(
            lambda v: [dbuser_arn(args.region, str(v[0]).split(":")[4], str(v[1]), u) for u in USERS])
        aws.iam.RolePolicy(
            f"{name}-proxy-connect", role=role.id,
            policy=users.apply(lambda arns: json.dumps({"Version": "2012-10-17", "Statement": [
                connect_statement("ConnectAsTheAppUsers", arns)]})), opts=child)
        proxy = aws.rds.Proxy(
            f"{name}-proxy", region=args.region, name=ident, engine_family="POSTGRESQL",
            role_arn=role.arn, vpc_subnet_ids=list(args.subnet_ids), vpc_security_group_ids=[proxy_sg.id],
            require_tls=True, idle_client_timeout=1800, debug_logging=False,
            default_auth_scheme="IAM_AUTH",
            tags=tags, opts=child)
        # Forwarded writes use their own share of the writer's connections
        # (aurora_fwd_writer_max_connections_pct, 10% by default): leave it to them.
        forwarding = args.global_role != "none" and args.write_forwarding
        group = aws.rds.ProxyDefaultTargetGroup(
            f"{name}-proxy-pool", region=args.region, db_proxy_name=proxy.name,
            connection_pool_config=aws.rds.ProxyDefaultTargetGroupConnectionPoolConfigArgs(
                max_connections_percent=80 if forwarding else 90, max_idle_connections_percent=50,
                connection_borrow_timeout=120),
            opts=child)
        aws.rds.ProxyTarget(
            f"{name}-proxy-target", region=args.region, db_proxy_name=proxy.name,
            target_group_name=group.name, db_cluster_identifier=self.cluster.cluster_identifier,
            opts=pulumi.ResourceOptions(parent=self, depends_on=self.instances))
        self.proxy_arn = proxy.arn
        has_readers = args.readers > 0
        if not has_readers:
            return proxy.endpoint, None
        reader = aws.rds.ProxyEndpoint(
            f"{name}-proxy-ro", region=args.region, db_proxy_name=proxy.name,
            db_proxy_endpoint_name=f"{ident}-ro", target_role="READ_ONLY",
            vpc_subnet_ids=list(args.subnet_ids), vpc_security_group_ids=[proxy_sg.id], tags=tags, opts=child)
        return proxy.endpoint, reader.endpoint
