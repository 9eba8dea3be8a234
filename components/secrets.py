"""Secrets Manager secrets holding generated credentials and connection strings.

Values arrive as Pulumi secrets (pulumi-random results, config secrets, `Output.secret`
concatenations) and only ever travel as such; each secret is encrypted with the secrets key of
its own region. Replicas are allowed only into the regions the caller lists, which the
composition restricts to the secret's data domain.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws


@dataclass(frozen=True)
class SecretReplica:
    region: str
    kms_key_arn: pulumi.Input[str]
    """The secrets key of the replica region (keys are regional)."""


@dataclass
class SecretSetArgs:
    region: str
    path_prefix: str
    """Names are `<path_prefix>/<logical name>`, e.g. `agentic-platform/prod/app/database-url`."""
    kms_key_arn: pulumi.Input[str]
    values: Mapping[str, pulumi.Input[str]]
    """logical name -> value; every value is stored as a Pulumi secret whatever it arrives as."""
    replicas: Sequence[SecretReplica] = ()
    protect: bool = False
    recovery_window_in_days: int | None = None
    """None: 30 days when protected; 0 otherwise, so a torn-down dev stack can be rebuilt at once
    (a secret pending deletion blocks its name)."""
    tags: Mapping[str, str] = field(default_factory=dict)
    descriptions: Mapping[str, str] = field(default_factory=dict)


def replica_arn(primary_arn: pulumi.Input[str], primary_region: str, replica_region: str) -> pulumi.Output[str]:
    """A replica keeps the primary's name and random suffix; only the region part differs."""
    return pulumi.Output.from_input(primary_arn).apply(
        lambda a: a.replace(f":secretsmanager:{primary_region}:", f":secretsmanager:{replica_region}:"))


class SecretSet(pulumi.ComponentResource):
    """One Secret + SecretVersion per logical name; `arns[name]` for External Secrets and IAM."""

    arns: dict[str, pulumi.Output[str]]
    names: dict[str, str]

    def __init__(self, name: str, args: SecretSetArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("agentic:secrets:SecretSet", name, {"region": args.region}, opts)
        for rep in args.replicas:
            if rep.region == args.region:
                raise ValueError(f"SecretSetArgs.replicas: '{rep.region}' is the secret's own region")
        self.arns = {}
        self.names = {}
        recovery = args.recovery_window_in_days
        if recovery is None:
            recovery = 30 if args.protect else 0
        for logical, value in args.values.items():
            secret_name = f"{args.path_prefix}/{logical}"
            secret = aws.secretsmanager.Secret(
                f"{name}-{logical}",
                region=args.region,
                name=secret_name,
                description=args.descriptions.get(logical, f"{logical} (managed by Pulumi)"),
                kms_key_id=args.kms_key_arn,
                recovery_window_in_days=recovery,
                replicas=[aws.secretsmanager.SecretReplicaArgs(region=r.region, kms_key_id=r.kms_key_arn)
                          for r in args.replicas] or None,
                tags=dict(args.tags),
                opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
            )
            aws.secretsmanager.SecretVersion(
                f"{name}-{logical}-value",
                region=args.region,
                secret_id=secret.id,
                secret_string=pulumi.Output.secret(value),
                opts=pulumi.ResourceOptions(parent=self),
            )
            self.arns[logical] = secret.arn
            self.names[logical] = secret_name
        self.register_outputs({"arns": self.arns})
