"""An Aurora Global database: the global cluster, its primary and one secondary per region.

What makes a global database deploy (C1-C6 in docs/aws-constraints.md): the master password is ours, not
Secrets-Manager-managed (C2), generated once and replicated as a secret into every member region
(never further); secondaries get no username, password or database name (C1), their own regional
key (C4), `source_region`, an explicit dependency on the primary's instances, and ignore drift of
engine version and global cluster id (C5); burstable classes are refused (C3).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.aurora import (
    ENGINE,
    AuroraCluster,
    AuroraClusterArgs,
    DbCredentials,
    credentials_json,
    generate_master_password,
    is_burstable,
)
from components.secrets import SecretReplica, SecretSet, SecretSetArgs, replica_arn


@dataclass
class GlobalMember:
    """What one member region contributes: its network and its own keys."""

    region: str
    identifier: str
    vpc_id: pulumi.Input[str]
    kms_key_arn: pulumi.Input[str]
    logs_kms_key_arn: pulumi.Input[str]
    secrets_kms_key_arn: pulumi.Input[str]
    subnet_ids: Sequence[pulumi.Input[str]] = ()
    db_subnet_group_name: pulumi.Input[str] | None = None
    allowed_security_group_ids: Sequence[pulumi.Input[str]] = ()
    readers: int = 1
    opts: pulumi.ResourceOptions | None = None
    """Where the member's component sits in the tree (e.g. its region's grouping)."""


@dataclass
class AuroraGlobalArgs:
    global_identifier: str
    primary: GlobalMember
    secondaries: Sequence[GlobalMember]
    engine_version: str
    instance_class: str
    secret_path_prefix: str
    """The credentials secret is `<prefix>/master`, replicated to the secondaries' regions only."""
    database_name: str = "agentic"
    master_username: str = "agentic_admin"
    write_forwarding: bool = True
    credentials_version: int = 1
    """Bump to rotate the master password of every member (one password, C2/C6)."""
    serverless_min_acu: float = 0.5
    serverless_max_acu: float = 4
    backup_retention_days: int = 30
    performance_insights_retention_days: int = 7
    reader_autoscaling_max: int = 0
    protected: bool = False
    tags: Mapping[str, str] = field(default_factory=dict)


class AuroraGlobalDatabase(pulumi.ComponentResource):
    """`members[region]` is each region's AuroraCluster; `primary` is the writer."""

    global_cluster: aws.rds.GlobalCluster
    global_cluster_identifier: pulumi.Output[str]
    primary: AuroraCluster
    members: dict[str, AuroraCluster]
    master_username: str
    master_password: pulumi.Output[str]
    credentials_secret_arns: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: AuroraGlobalArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("agentic:aurora:AuroraGlobalDatabase", name,
                         {"primary": args.primary.region}, opts)
        if is_burstable(args.instance_class):
            raise ValueError(
                f"AuroraGlobalArgs.instance_class '{args.instance_class}' is burstable; Aurora Global "
                f"database '{args.global_identifier}' refuses burstable classes: use an r-class "
                "(db.r7g.large) or db.serverless")
        regions = [args.primary.region, *(s.region for s in args.secondaries)]
        if len(set(regions)) != len(regions):
            raise ValueError(f"AuroraGlobalArgs: one member per region (C9), got {', '.join(regions)}")
        tags = dict(args.tags)
        stateful = pulumi.ResourceOptions(parent=self, protect=args.protected, retain_on_delete=args.protected)
        primary_region = args.primary.region
        self.global_cluster = aws.rds.GlobalCluster(
            f"{name}-global", region=primary_region, global_cluster_identifier=args.global_identifier,
            engine=ENGINE, engine_version=args.engine_version, database_name=args.database_name,
            engine_lifecycle_support="open-source-rds-extended-support-disabled",
            storage_encrypted=True, deletion_protection=args.protected, force_destroy=False,
            tags=tags, opts=stateful)  # engine upgrades go through here; members ignore the version (C5)
        self.global_cluster_identifier = self.global_cluster.global_cluster_identifier

        # One password for the whole global database (C2, C6), replicated inside the domain only.
        password = generate_master_password(f"{name}-master-password", self, args.credentials_version)
        self.master_username = args.master_username
        self.master_password = password.result
        creds = SecretSet(f"{name}-credentials", SecretSetArgs(
            region=primary_region, path_prefix=args.secret_path_prefix,
            kms_key_arn=args.primary.secrets_kms_key_arn,
            values={"master": credentials_json(args.master_username, password.result)},
            descriptions={"master": f"master credentials of Aurora Global {args.global_identifier}"},
            replicas=[SecretReplica(s.region, s.secrets_kms_key_arn) for s in args.secondaries],
            protect=args.protected, tags=tags,
        ), opts=pulumi.ResourceOptions(parent=self))
        primary_secret = creds.arns["master"]
        self.credentials_secret_arns = {primary_region: primary_secret}
        for s in args.secondaries:
            self.credentials_secret_arns[s.region] = replica_arn(primary_secret, primary_region, s.region)

        def member_args(m: GlobalMember, role: str) -> AuroraClusterArgs:
            secondary = role == "secondary"
            return AuroraClusterArgs(
                identifier=m.identifier, region=m.region, engine_version=args.engine_version,
                instance_class=args.instance_class, kms_key_arn=m.kms_key_arn,
                logs_kms_key_arn=m.logs_kms_key_arn, secrets_kms_key_arn=m.secrets_kms_key_arn,
                vpc_id=m.vpc_id, subnet_ids=m.subnet_ids, db_subnet_group_name=m.db_subnet_group_name,
                allowed_security_group_ids=m.allowed_security_group_ids, readers=m.readers,
                database_name=args.database_name, master_username=args.master_username,
                credentials=DbCredentials(args.master_username, password.result,
                                          self.credentials_secret_arns[m.region]),
                global_role="secondary" if secondary else "primary",
                global_cluster_identifier=self.global_cluster.id,
                source_region=primary_region if secondary else None,
                write_forwarding=args.write_forwarding,
                depends_on=[self.primary.cluster, *self.primary.instances] if secondary else [creds],
                serverless_min_acu=args.serverless_min_acu, serverless_max_acu=args.serverless_max_acu,
                backup_retention_days=args.backup_retention_days,
                performance_insights_retention_days=args.performance_insights_retention_days,
                reader_autoscaling_max=args.reader_autoscaling_max,
                protected=args.protected, tags=tags,
            )

        def member_opts(m: GlobalMember) -> pulumi.ResourceOptions:
            return m.opts if m.opts is not None else pulumi.ResourceOptions(parent=self)

        self.primary = AuroraCluster(f"{name}-{primary_region}", member_args(args.primary, "primary"),
                                     opts=member_opts(args.primary))
        self.members = {primary_region: self.primary}
        for s in args.secondaries:
            self.members[s.region] = AuroraCluster(f"{name}-{s.region}", member_args(s, "secondary"),
                                                   opts=member_opts(s))
        self.register_outputs({"global_cluster_identifier": self.global_cluster_identifier})
