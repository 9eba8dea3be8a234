"""Support checks on the pinned versions: what config validation refuses and what it warns about.

Staging and prod refuse a version past its end of standard support (or one the calendar does
not know) unless `versions.allow_extended_support` accepts the paid phase; nothing accepts a
version past its end of extended support. Dev only warns: a sandbox may lag behind, but it
should say so on every run.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from stacks.config.errors import ConfigIssue, key_path
from stacks.config.models import PlatformConfig
from stacks.versions.calendar import CALENDAR_FILE, today
from stacks.versions.pins import Pin, pinned_versions, versions_in_standard_support

STRICT_ENVIRONMENTS = frozenset({"staging", "prod"})


def _fix(pin: Pin, day: dt.date) -> str:
    assert pin.product is not None
    current = versions_in_standard_support(pin.product, day)
    target = f"upgrade to {current[0]} (in standard support)" if current else "upgrade to a supported version"
    return f"{target}, docs/versions.md has the upgrade order"


def _problem(pin: Pin, day: dt.date, allow_extended: bool) -> str | None:
    """Why this pin is not acceptable on `day` in a strict environment (None: it is)."""
    status = pin.status(day)
    w = pin.window
    if status is None or status == "standard":
        return None
    if status == "unknown" or w is None:
        return (f"{pin.label} {pin.version} is not in the support calendar (stacks/versions/{CALENDAR_FILE.name}): "
                f"{_fix(pin, day)}, or add it there with its dates and their source")
    if status == "extended":
        if allow_extended:
            return None
        return (f"{pin.label} {pin.version} left standard support on {w.end_of_standard_support} "
                f"({w.source}); {_fix(pin, day)}, or set agentic-platform:versions.allow_extended_support: true "
                "to run (and pay for) extended support")
    ended = w.end_of_extended_support or w.end_of_standard_support
    return (f"{pin.label} {pin.version} is past the end of its support on {ended} ({w.source}); {_fix(pin, day)}")


def support_issues(cfg: PlatformConfig, day: dt.date | None = None) -> Iterator[ConfigIssue]:
    """Refusals for staging and prod."""
    if cfg.environment not in STRICT_ENVIRONMENTS:
        return
    day = day or today()
    for pin in pinned_versions(cfg):
        problem = _problem(pin, day, cfg.versions.allow_extended_support)
        if problem:
            yield ConfigIssue(key_path(pin.key), problem)


def support_warnings(cfg: PlatformConfig, day: dt.date | None = None) -> list[str]:
    """What dev would be refused for in staging/prod, and extended support accepted anywhere."""
    day = day or today()
    out: list[str] = []
    for pin in pinned_versions(cfg):
        if cfg.environment in STRICT_ENVIRONMENTS:
            if pin.status(day) == "extended" and cfg.versions.allow_extended_support and pin.window:
                out.append(f"{key_path(pin.key)}: {pin.label} {pin.version} runs on paid extended support since "
                           f"{pin.window.end_of_standard_support} (versions.allow_extended_support)")
            continue
        problem = _problem(pin, day, allow_extended=False)
        if problem:
            out.append(f"{key_path(pin.key)}: {problem} (refused in staging and prod)")
    return out


def pinned_artifact_issues(cfg: PlatformConfig) -> Iterator[ConfigIssue]:
    """Staging and prod run exactly what was reviewed: the app image by digest; prod also pins
    Karpenter's AMI release (with `@latest` every new EKS AMI rolls every node as drift)."""
    if cfg.environment in STRICT_ENVIRONMENTS and not cfg.app.digest:
        yield ConfigIssue(key_path(("app", "digest")),
                          f"required in {cfg.environment}: the image digest (sha256:<64 hex>) of "
                          f"{cfg.app.image}:{cfg.app.tag}, e.g. from `docker buildx imagetools inspect "
                          f"{cfg.app.image}:{cfg.app.tag}`; pods then run image:tag@digest")
    cluster = cfg.cluster
    if (cfg.environment == "prod" and cluster is not None and cluster.autoscaler == "karpenter"
            and cluster.karpenter_ami_alias.endswith("@latest")):
        family = cluster.karpenter_ami_alias.split("@", 1)[0]
        yield ConfigIssue(key_path(("cluster", "karpenter_ami_alias")),
                          f"'{cluster.karpenter_ami_alias}' rolls prod nodes onto every new AMI; pin a release, "
                          f"e.g. {family}@v20260903 (https://github.com/awslabs/amazon-eks-ami/releases)")


def check_versions(cfg: PlatformConfig) -> Iterator[ConfigIssue]:
    """Config-validation entry point (the run's date, or AGENTIC_TODAY)."""
    yield from support_issues(cfg)
    yield from pinned_artifact_issues(cfg)
