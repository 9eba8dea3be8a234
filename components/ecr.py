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

from stacks.config.models_delivery import PULL_THROUGH_UPSTREAMS

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
    host = HOST_ALIASES.get(split_image(image)[0], split_image(image)[0])
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

    def __init__(self, name: str, args: RegistryArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("agentic:components:Registry", name, {"region": args.region}, opts)
        child = pulumi.ResourceOptions(parent=self)
        keep = pulumi.ResourceOptions(parent=self, protect=args.protect)
        region = args.region
        self.host = registry_host(args.account_id, region)

        key = aws.kms.Key(f"{name}-ecr-key", region=region, description=f"ECR images of {args.name_prefix}",
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
        for prefix in args.pull_through:
            self.pull_through.append(aws.ecr.PullThroughCacheRule(
                f"{name}-cache-{prefix}", region=region, ecr_repository_prefix=prefix,
                upstream_registry_url=PULL_THROUGH_UPSTREAMS[prefix],
                credential_arn=args.upstream_credentials.get(prefix), opts=child))
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
