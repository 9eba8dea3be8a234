"""AWS Backup: a KMS-encrypted vault and a daily plan, with copies kept inside the data domain.

Aurora's own automated backups live in the cluster's region; the plan adds recovery points that
survive the cluster's deletion and, through copy actions, the loss of the region. The caller
passes copy destinations: the composition only offers vaults in other regions of the same data
domain, so a residency's recovery points never leave its regions.

Recovery points must outlive a compromised account: each vault gets an access policy denying
their deletion to every principal, and AWS Backup Vault Lock (WORM). Compliance mode cannot be
removed by anyone, root included, once its grace time (`changeable_for_days`, at least 3) ends;
governance mode can be lifted by a principal holding backup:DeleteBackupVaultLockConfiguration
(https://docs.aws.amazon.com/aws-backup/latest/devguide/vault-lock.html).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import pulumi
import pulumi_aws as aws

LockMode = Literal["none", "governance", "compliance"]
LOCK_BY_ENVIRONMENT: dict[str, LockMode] = {"prod": "compliance", "staging": "governance"}


@dataclass
class BackupVaultArgs:
    name: str
    region: str
    kms_key_arn: pulumi.Input[str]
    protected: bool = False
    lock: LockMode = "none"
    min_retention_days: int = 1
    """The lock refuses recovery points kept for less (the plans' retention)."""
    changeable_for_days: int = 3
    """Compliance mode only: grace time before the lock becomes immutable (AWS minimum 3)."""
    tags: Mapping[str, str] = field(default_factory=dict)


DENIED_ACTIONS = ("backup:DeleteRecoveryPoint", "backup:UpdateRecoveryPointLifecycle")
"""Not the vault or its policy: Pulumi must still be able to update the policy and tear down an
empty dev vault; tamper-proofing of the vault itself is Vault Lock's job (prod, staging)."""


def vault_policy(vault_arn: str) -> str:
    """Deny deleting or shortening recovery points to every principal; lifecycle expiry by AWS
    Backup itself still runs."""
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "DenyRecoveryPointDeletion", "Effect": "Deny", "Principal": {"AWS": "*"},
        "Action": list(DENIED_ACTIONS), "Resource": vault_arn}]}, sort_keys=True)


def lock_mode_for(environment: str) -> LockMode:
    """prod: compliance (immutable); staging: governance (liftable by a named role); dev/local: none."""
    return LOCK_BY_ENVIRONMENT.get(environment, "none")


class BackupVault(pulumi.ComponentResource):
    vault: aws.backup.Vault
    name: pulumi.Output[str]
    arn: pulumi.Output[str]
    region: str

    def __init__(self, name: str, args: BackupVaultArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("agentic:backup:BackupVault", name, {"region": args.region}, opts)
        self.region = args.region
        self.vault = aws.backup.Vault(
            f"{name}-vault", region=args.region, name=args.name, kms_key_arn=args.kms_key_arn,
            force_destroy=False, tags=dict(args.tags),
            opts=pulumi.ResourceOptions(parent=self, protect=args.protected, retain_on_delete=args.protected))
        child = pulumi.ResourceOptions(parent=self)
        aws.backup.VaultPolicy(
            f"{name}-policy", region=args.region, backup_vault_name=self.vault.name,
            policy=self.vault.arn.apply(vault_policy), opts=child)
        if args.lock != "none":
            if args.changeable_for_days < 3:
                raise ValueError(f"BackupVaultArgs.changeable_for_days: {args.changeable_for_days} for vault "
                                 f"'{args.name}'; AWS Backup requires at least 3")
            aws.backup.VaultLockConfiguration(
                f"{name}-lock", region=args.region, backup_vault_name=self.vault.name,
                min_retention_days=args.min_retention_days,
                changeable_for_days=args.changeable_for_days if args.lock == "compliance" else None,
                opts=pulumi.ResourceOptions(parent=self, protect=args.protected, retain_on_delete=args.protected))
        self.name = self.vault.name
        self.arn = self.vault.arn
        self.register_outputs({"name": self.name, "arn": self.arn})


@dataclass(frozen=True)
class BackupCopy:
    region: str
    vault_arn: pulumi.Input[str]


@dataclass
class BackupPlanArgs:
    name: str
    """Plan, selection and IAM role name (IAM is global: carry env, domain, region)."""
    region: str
    vault_name: pulumi.Input[str]
    resources: Sequence[pulumi.Input[str]]
    """ARNs of what is backed up (Aurora clusters of this region)."""
    retention_days: int
    schedule: str = "cron(0 3 * * ? *)"
    copies: Sequence[BackupCopy] = ()
    tags: Mapping[str, str] = field(default_factory=dict)


class BackupPlan(pulumi.ComponentResource):
    plan: aws.backup.Plan

    def __init__(self, name: str, args: BackupPlanArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("agentic:backup:BackupPlan", name, {"region": args.region}, opts)
        for c in args.copies:
            if c.region == args.region:
                raise ValueError(f"BackupPlanArgs.copies: '{c.region}' is the plan's own region; a copy "
                                 "belongs in another region of the same data domain")
        child = pulumi.ResourceOptions(parent=self)
        lifecycle = aws.backup.PlanRuleLifecycleArgs(delete_after=args.retention_days)
        self.plan = aws.backup.Plan(
            f"{name}-plan", region=args.region, name=args.name,
            rules=[aws.backup.PlanRuleArgs(
                rule_name="daily", target_vault_name=args.vault_name, schedule=args.schedule,
                start_window=60, completion_window=480, lifecycle=lifecycle,
                copy_actions=[aws.backup.PlanRuleCopyActionArgs(
                    destination_vault_arn=c.vault_arn,
                    lifecycle=aws.backup.PlanRuleCopyActionLifecycleArgs(delete_after=args.retention_days))
                    for c in args.copies] or None,
            )],
            tags=dict(args.tags), opts=child)
        role = aws.iam.Role(
            f"{name}-role", name=f"{args.name}-backup",
            assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"Service": "backup.amazonaws.com"}, "Action": "sts:AssumeRole"}]}),
            tags=dict(args.tags), opts=child)
        attachments = [
            aws.iam.RolePolicyAttachment(
                f"{name}-role-{suffix}", role=role.name,
                policy_arn=f"arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyFor{suffix.title()}",
                opts=child)
            for suffix in ("backup", "restores")
        ]
        aws.backup.Selection(
            f"{name}-selection", region=args.region, name=args.name, plan_id=self.plan.id,
            iam_role_arn=role.arn, resources=list(args.resources),
            opts=pulumi.ResourceOptions(parent=self, depends_on=attachments))
        self.register_outputs({"plan": self.plan.id})
