"""`ops rollback` and `ops watch`: put a previous image back, and the post-deploy alarm watch.

Image: `rollback --to <tag|sha256:digest>` finds the image in the build region's ECR repository,
checks ECR replicated it to every region of the stack, and deploys it the normal way (set
`app.tag` and `app.digest`, `pulumi up`): Argo Rollouts then runs the old image through the same
canary and analysis as any release. A canary still in flight is faster to stop with
`kubectl argo rollouts abort api -n platform-core` (the stable pods never left).

Schema: images roll back, schemas do not. Migrations must stay backward compatible for one
release (expand, then contract); when one is not, restore the `predeploy-<tag>` cluster snapshot
the deploy workflow took before migrating, or a point in time before the deploy
(`python -m ops restore-drill --domain <d> --point-in-time <ISO>` shows the restore), then roll
the image back. docs/delivery.md walks through both.
"""

from __future__ import annotations

import re
import shlex

from ops.context import Deps
from ops.errors import AwsFailure, BadInput, OperationFailed
from ops.outputs import StackOutputs

DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")


def _image_id(to: str) -> dict[str, str]:
    if DIGEST.match(to):
        return {"imageDigest": to}
    if TAG.match(to) and to != "latest":
        return {"imageTag": to}
    raise BadInput(f"--to {to!r} is neither an image tag nor a digest (sha256:<64 hex>); `latest` is never deployed")


NOT_FOUND = ("ImageNotFoundException", "RepositoryNotFoundException")


def _describe(deps: Deps, region: str, repository: str, image_id: dict[str, str]) -> list[dict[str, object]]:
    """The image's details in `region`, [] when the image (or the repository) is not there."""
    try:
        return list(deps.clients("ecr", region).describe_images(
            repositoryName=repository, imageIds=[image_id]).get("imageDetails", []))
    except AwsFailure as exc:
        if exc.code in NOT_FOUND:
            return []
        raise


def resolve(outputs: StackOutputs, deps: Deps, repository: str, to: str) -> tuple[str, str]:
    """(tag, digest) of `to` in the build region, present in every region of the stack."""
    images = _describe(deps, outputs.default_region, repository, _image_id(to))
    if not images:
        raise BadInput(f"{to} is not in {repository} in {outputs.default_region} (expired by the lifecycle rule?)")
    detail = images[0]
    digest = str(detail["imageDigest"])
    raw_tags = detail.get("imageTags")
    tags = sorted(str(t) for t in raw_tags) if isinstance(raw_tags, list) else []
    tag = to if to in tags else next((t for t in tags if t != "latest"), "")
    if not tag:
        raise BadInput(f"{digest} has no tag; pods are labelled by tag: give the build's tag instead")
    for region in outputs.regions:
        if region == outputs.default_region:
            continue
        if not _describe(deps, region, repository, {"imageDigest": digest}):
            raise OperationFailed(f"{digest} is not replicated to {region} yet; wait for ECR replication and retry")
    return tag, digest


def commands(stack: str, tag: str, digest: str) -> list[str]:
    return [f"pulumi config set --path app.tag {tag} --stack {stack}",
            f"pulumi config set --path app.digest {digest} --stack {stack}",
            f"pulumi up --yes --stack {stack} --policy-pack policy "
            f"--policy-pack-config policy/config/{stack}.json"]


def run(outputs: StackOutputs, deps: Deps, *, to: str, stack: str | None, repository: str, apply: bool) -> int:
    stack = stack or outputs.environment
    tag, digest = resolve(outputs, deps, repository, to)
    deps.say(f"rollback {stack}: image {repository}:{tag}@{digest} (present in {', '.join(outputs.regions)})")
    plan = commands(stack, tag, digest)
    for cmd in plan:
        deps.say(f"  {'run' if apply else 'would run'}: {cmd}")
    deps.say("  schema: unchanged; if the failed release ran a non-compatible migration, restore the "
             "predeploy snapshot first (docs/delivery.md, Rollback)")
    if not apply:
        deps.say("dry run: nothing changed; add --apply to deploy this image")
        return 0
    for cmd in plan:
        code = deps.run_hook(cmd, dict(deps.env))
        if code != 0:
            raise OperationFailed(f"`{shlex.split(cmd)[0]} {shlex.split(cmd)[1]}` exited {code}; the stack keeps "
                                  "the image it had; fix and re-run the same command")
    deps.say(f"rollback {stack}: deployed {tag}")
    return 0


def firing(outputs: StackOutputs, deps: Deps) -> list[str]:
    """Alarms of this stack (named `<env>-<region>-...`) in ALARM now, region by region."""
    out: list[str] = []
    for region in outputs.regions:
        cw = deps.clients("cloudwatch", region)
        for page in cw.pages("describe_alarms", AlarmNamePrefix=f"{outputs.environment}-{region}-",
                             StateValue="ALARM"):
            out += [f"{region}/{a['AlarmName']}" for a in page.get("MetricAlarms", [])
                    if a.get("StateValue") == "ALARM"]
    return sorted(out)


def watch(outputs: StackOutputs, deps: Deps, *, minutes: float) -> int:
    """Fails as soon as any alarm of the stack fires within `minutes`; the deploy workflow then
    runs `ops rollback --to <previous> --apply`."""
    limit = minutes * 60
    start = deps.clock()
    while True:
        alarms = firing(outputs, deps)
        if alarms:
            raise OperationFailed(f"{len(alarms)} alarm(s) fired during the post-deploy watch: {', '.join(alarms)}")
        elapsed = deps.clock() - start
        if elapsed >= limit:
            deps.say(f"watch {outputs.environment}: no alarm in {minutes:g} min; release kept")
            return 0
        deps.sleep(min(deps.poll_seconds, limit - elapsed))
