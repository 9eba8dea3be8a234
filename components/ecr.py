"""The image registry of one region: ECR repositories, pull-through cache rules, enhanced scanning.

Pods pull only from ECR: the app image from this account's repositories (pushed once by the
build, replicated by ECR into every workload region so a region never pulls across regions),
public add-on images through pull-through cache rules, so nodes never hit a public registry's
rate limit (https://docs.aws.amazon.com/AmazonECR/latest/userguide/pull-through-cache.html).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.kms_policies import root_statement
from components.secrets import SecretSet, SecretSetArgs
from stacks.config.models_delivery import PULL_THROUGH_UPSTREAMS

CREDENTIAL_PREFIX = "ecr-pullthroughcache/"
"""ECR reads an upstream credential only from a secret named with this prefix, in the rule's own
account and region (https://docs.aws.amazon.com/AmazonECR/latest/userguide/pull-through-cache-creating-rule.html);
its service-linked role may `secretsmanager:GetSecretValue` on `secret:ecr-pullthroughcache/*` only
(https://docs.aws.amazon.com/AmazonECR/latest/userguide/slr-pullthroughcache.html)."""

DOCKER_HUB_HOSTS = ("docker.io", "registry-1.docker.io", "index.docker.io")
HOST_ALIASES = {"ecr-public.aws.com": "public.ecr.aws"}
"""Other names of an upstream (argo-helm's charts pull Redis from ecr-public.aws.com)."""


def registry_host(account_id: str, region: str) -> str:
    return f"{account_id}.dkr.ecr.{region}.amazonaws.com"


def lifecycle_policy(keep_tagged: int, untagged_days: int) -> str:
    """Untagged layers go after a few days; only the newest `keep_tagged` images stay, so the
    rollback window (`ops rollback --to`) is the last `keep_tagged` builds."""
    return json.dumps({"rules": [
        {"rulePriority": 1, "description": f"untagged images after {untagged_days} days",
         "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days",
                       "countNumber": untagged_days},
         "action": {"type": "expire"}},
        {"rulePriority": 2, "description": f"keep the newest {keep_tagged} images",
         "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": keep_tagged},
         "action": {"type": "expire"}},
    ]}, sort_keys=True)


def split_image(image: str) -> tuple[str, str]:
    """(registry host, repository path with tag/digest), Docker's rules for the implicit host:
    `redis` and `docker.io/redis` are both Docker Hub's official `library/redis`."""
    first, _, rest = image.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        if first in DOCKER_HUB_HOSTS and "/" not in rest:
            return first, f"library/{rest}"
        return first, rest
    return "docker.io", image if rest else f"library/{image}"


def upstream_rule(image: str) -> str | None:
    """The pull-through cache prefix (`PULL_THROUGH_UPSTREAMS` key) whose upstream serves `image`;
    None for a registry ECR cannot cache from (gcr.io, a private host, ECR itself)."""
    host = split_image(image)[0]
    host = HOST_ALIASES.get(host, host)
    if host in DOCKER_HUB_HOSTS:
        return "docker-hub"
    return {v: k for k, v in PULL_THROUGH_UPSTREAMS.items()}.get(host)


def mirror_image(image: str, registry: str, enabled: Sequence[str]) -> str:
    """The pull-through-cache address of a public image (`quay.io/x/y:1` -> `<registry>/quay/x/y:1`).

    The one mapping the charts and the workload call for every image they pull. An image whose
    upstream has no rule in `enabled` (or that is already in `registry`) is returned unchanged,
    so a caller can tell it was not mirrored. Docker Hub official images keep the `library/`
    the cache needs (`docker.io/busybox` -> `<registry>/docker-hub/library/busybox`).
    """
    host, path = split_image(image)
    if host == registry:
        return image
    prefix = upstream_rule(image)
    if prefix is None or prefix not in enabled:
        return image
    return f"{registry}/{prefix}/{path}"


def credential_secret_value(username: pulumi.Input[str], access_token: pulumi.Input[str]) -> pulumi.Output[str]:
    """The secret string ECR expects: JSON with `username` and `accessToken`, the same two keys for
    Docker Hub and GitHub Container Registry
    (https://docs.aws.amazon.com/AmazonECR/latest/userguide/pull-through-cache-creating-secret.html)."""
    return pulumi.Output.secret(pulumi.Output.all(username, access_token).apply(
        lambda v: json.dumps({"username": v[0], "accessToken": v[1]}, sort_keys=True)))


def registry_key_policy(account_id: str, region: str) -> str:
    """The region's ECR key, also encrypting the pull-through credential secrets.

    Secrets Manager decrypts a secret with the caller's own KMS rights
    (https://docs.aws.amazon.com/secretsmanager/latest/userguide/security-encryption.html); the
    caller here is ECR's pull-through service-linked role, whose managed policy grants
    `secretsmanager:GetSecretValue` but no KMS action
    (https://docs.aws.amazon.com/AmazonECR/latest/userguide/slr-pullthroughcache.html). So the key
    policy itself lets principals of this account decrypt, only through Secrets Manager of this
    region and only for `ecr-pullthroughcache/` secrets (the encryption context Secrets Manager
    sends names the secret). The same shape as the AWS managed aws/secretsmanager key, without
    naming the service-linked role (it exists only once the first rule is created, and a key
    policy naming a missing principal is refused). ECR's own use of the key for the
    repositories goes through the account-root statement, as before.
    """
    return json.dumps({"Version": "2012-10-17", "Statement": [
        root_statement(account_id),
        {"Sid": "PullThroughCredentialsViaSecretsManager", "Effect": "Allow", "Principal": {"AWS": "*"},
         "Action": ["kms:Decrypt", "kms:DescribeKey"], "Resource": "*",
         "Condition": {
             "StringEquals": {"kms:CallerAccount": account_id,
                              "kms:ViaService": f"secretsmanager.{region}.amazonaws.com"},
             "StringLike": {"kms:EncryptionContext:SecretARN":
                            f"arn:aws:secretsmanager:{region}:{account_id}:secret:{CREDENTIAL_PREFIX}*"}}},
    ]}, sort_keys=True)


def node_pull_through_policy(region: str, account_id: str, prefixes: Sequence[str]) -> str:
    """The first pull of a cached image creates its repository and imports it: nodes need
    `ecr:CreateRepository` and `ecr:BatchImportUpstreamImage` on those repositories only
    (https://docs.aws.amazon.com/AmazonECR/latest/userguide/pull-through-cache-iam.html)."""
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "PullThroughCache", "Effect": "Allow",
        "Action": ["ecr:CreateRepository", "ecr:BatchImportUpstreamImage"],
        "Resource": [f"arn:aws:ecr:{region}:{account_id}:repository/{p}/*" for p in sorted(prefixes)],
    }]}, sort_keys=True)


@dataclass
class RegistryArgs:
    region: str
    account_id: str
    name_prefix: str
    """Physical prefix of this region (`agentic-platform-prod-use1`), for the key alias."""
    repositories: Sequence[str]
    keep_tagged_images: int
    untagged_expire_days: int
    pull_through: Sequence[str] = ()
    upstream_credentials: Mapping[str, str] = field(default_factory=dict)
    """prefix -> ARN of an existing `ecr-pullthroughcache/` secret in this region."""
    upstream_logins: Mapping[str, tuple[pulumi.Input[str], pulumi.Input[str]]] = field(default_factory=dict)
    """prefix -> (username, access token), for the credentialed upstreams without an ARN: stored
    here in `ecr-pullthroughcache/<name_prefix>/<prefix>`, encrypted with the registry's key."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags of the credential secrets (residency of the region)."""
    replicate_to: Sequence[str] = ()
    """Set on the build region only: ECR copies every pushed image to these regions."""
    protect: bool = False


class Registry(pulumi.ComponentResource):
    """ECR of one region. Repositories are immutable (a tag is one digest forever), encrypted with
    a key of this region, scanned on push and continuously (Amazon Inspector enhanced scanning)."""

    repository_urls: dict[str, pulumi.Output[str]]
    host: str
    pull_through: list[pulumi.Resource]
    """The cache rules and the repository creation template: what a first pull through the cache needs."""
    credential_arns: dict[str, pulumi.Output[str]]
    """prefix -> ARN of the credential secret this component created (not the given ARNs)."""

    def __init__(self, name: str, args: RegistryArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("agentic:components:Registry", name, {"region": args.region}, opts)
        child = pulumi.ResourceOptions(parent=self)
        keep = pulumi.ResourceOptions(parent=self, protect=args.protect)
        region = args.region
        self.host = registry_host(args.account_id, region)

        logins = {p: args.upstream_logins[p] for p in args.pull_through
                  if p in args.upstream_logins and p not in args.upstream_credentials}
        key = aws.kms.Key(f"{name}-ecr-key", region=region,
                          description=f"ECR images of {args.name_prefix}"
                          + (" and its pull-through credentials" if logins else ""),
                          policy=registry_key_policy(args.account_id, region) if logins else None,
                          enable_key_rotation=True, deletion_window_in_days=30, opts=keep)
        aws.kms.Alias(f"{name}-ecr-key-alias", region=region, name=f"alias/{args.name_prefix}-ecr",
                      target_key_id=key.key_id, opts=child)

        self.repository_urls = {}
        for repo in args.repositories:
            r = aws.ecr.Repository(
                f"{name}-repo-{repo}", region=region, name=repo, image_tag_mutability="IMMUTABLE",
                encryption_configurations=[aws.ecr.RepositoryEncryptionConfigurationArgs(
                    encryption_type="KMS", kms_key=key.arn)],
                image_scanning_configuration=aws.ecr.RepositoryImageScanningConfigurationArgs(scan_on_push=True),
                force_delete=False, opts=keep)
            aws.ecr.LifecyclePolicy(f"{name}-repo-{repo}-lifecycle", region=region, repository=r.name,
                                    policy=lifecycle_policy(args.keep_tagged_images, args.untagged_expire_days),
                                    opts=child)
            self.repository_urls[repo] = r.repository_url

        aws.ecr.RegistryScanningConfiguration(
            f"{name}-scanning", region=region, scan_type="ENHANCED",
            rules=[aws.ecr.RegistryScanningConfigurationRuleArgs(
                scan_frequency="CONTINUOUS_SCAN",
                repository_filters=[aws.ecr.RegistryScanningConfigurationRuleRepositoryFilterArgs(
                    filter="*", filter_type="WILDCARD")])],
            opts=child)

        self.pull_through = []
        self.credential_arns = {}
        if logins:
            creds = SecretSet(f"{name}-pull-through-credentials", SecretSetArgs(
                region=region, path_prefix=f"{CREDENTIAL_PREFIX}{args.name_prefix}", kms_key_arn=key.arn,
                values={p: credential_secret_value(*login) for p, login in logins.items()},
                protect=args.protect, tags=dict(args.tags),
                descriptions={p: f"{PULL_THROUGH_UPSTREAMS[p]} login of the `{p}` pull-through cache rule "
                                 "(username + accessToken)" for p in logins}), opts=child)
            self.credential_arns = dict(creds.arns)
            self.pull_through.append(creds)
        for prefix in args.pull_through:
            self.pull_through.append(aws.ecr.PullThroughCacheRule(
                f"{name}-cache-{prefix}", region=region, ecr_repository_prefix=prefix,
                upstream_registry_url=PULL_THROUGH_UPSTREAMS[prefix],
                credential_arn=self.credential_arns.get(prefix, args.upstream_credentials.get(prefix)),
                opts=child))
        if args.pull_through:
            # Cached repositories are created on first pull; the template gives them the same
            # lifecycle. Tags stay mutable: the cache follows upstream tags it re-syncs.
            self.pull_through.append(aws.ecr.RepositoryCreationTemplate(
                f"{name}-cache-template", region=region, prefix="ROOT", applied_fors=["PULL_THROUGH_CACHE"],
                description="pull-through cache repositories", image_tag_mutability="MUTABLE",
                lifecycle_policy=lifecycle_policy(args.keep_tagged_images, args.untagged_expire_days),
                encryption_configurations=[aws.ecr.RepositoryCreationTemplateEncryptionConfigurationArgs(
                    encryption_type="AES256")],
                opts=child))

        if args.replicate_to:
            aws.ecr.ReplicationConfiguration(
                f"{name}-replication", region=region,
                replication_configuration=aws.ecr.ReplicationConfigurationReplicationConfigurationArgs(
                    rules=[aws.ecr.ReplicationConfigurationReplicationConfigurationRuleArgs(
                        destinations=[aws.ecr.ReplicationConfigurationReplicationConfigurationRuleDestinationArgs(
                            region=dest, registry_id=args.account_id) for dest in args.replicate_to],
                        repository_filters=[
                            aws.ecr.ReplicationConfigurationReplicationConfigurationRuleRepositoryFilterArgs(
                                filter=repo, filter_type="PREFIX_MATCH") for repo in args.repositories],
                    )]),
                opts=child)
        self.register_outputs({"host": self.host, "repository_urls": self.repository_urls})
