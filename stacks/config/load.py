"""Read the stack's config once, parse it into the frozen model, refuse it with clear errors.

This is the only module that calls `pulumi.Config`; everything below `stacks/` receives typed
values. Structured values arrive from the engine as JSON strings (`pulumi config set --path`
or YAML objects in `Pulumi.<stack>.yaml`), scalars as plain strings.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from typing import Any

import pulumi
from pulumi.runtime.config import CONFIG
from pydantic import ValidationError

from stacks.config.errors import NAMESPACE, ConfigError, ConfigIssue, key_path
from stacks.config.known_keys import unknown_key_issues
from stacks.config.models import PlatformConfig, SecretsConfig
from stacks.config.pattern_words import pattern_in_words
from stacks.config.shapes import booleans_for_numbers, check_values, config_warnings, fields_at
from stacks.config.validate import validate
from stacks.versions.support import support_warnings

SECRET_KEYS = tuple(SecretsConfig.model_fields)
# Keys whose values are plain strings, never JSON (a tag such as `1234` must stay a string).
STRING_KEYS = frozenset({"environment", "cost_center", "owner"})
TOP_LEVEL_KEYS = frozenset(PlatformConfig.model_fields) - {"project", "stack", "aws_region", "secrets"}


def _decode(key: str, raw: str) -> Any:
    if key in STRING_KEYS or key in SECRET_KEYS:
        return raw
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return raw


def _describe(err: Mapping[str, Any]) -> str:
    kind = err["type"]
    if kind == "extra_forbidden":
        loc = tuple(err["loc"])
        close = difflib.get_close_matches(str(loc[-1]), fields_at(loc), n=1, cutoff=0.6) if loc else []
        hint = f"did you mean '{close[0]}'? " if close else ""
        return f"unknown key; {hint}remove it or fix its spelling (see the config reference in README.md)"
    if kind == "missing":
        return "required but not set"
    if kind == "string_pattern_mismatch":
        return f"{pattern_in_words(str((err.get('ctx') or {}).get('pattern', '')))} (got {err['input']!r})"
    msg = str(err["msg"]).removeprefix("Value error, ")
    loc = err["loc"]
    if loc and loc[0] == "secrets":
        return msg
    return f"{msg} (got {err['input']!r})"


def _tenant_prefix(data: Mapping[str, Any], loc: tuple[Any, ...]) -> str:
    """"tenant 'acme': " for an error inside a tenant entry, so the message names the tenant."""
    tenants = data.get("tenants")
    if len(loc) > 1 and loc[0] == "tenants" and isinstance(loc[1], int) and isinstance(tenants, list):
        entry = tenants[loc[1]] if loc[1] < len(tenants) else None
        if isinstance(entry, Mapping) and isinstance(entry.get("id"), str):
            return f"tenant '{entry['id']}': "
    return ""


def parse(namespace: Mapping[str, Any], *, stack: str, aws_region: str | None = None,
          project: str = NAMESPACE) -> PlatformConfig:
    """Parse already-decoded namespace values (keys without the `agentic-platform:` prefix)."""
    issues: list[ConfigIssue] = []
    data: dict[str, Any] = {"project": project, "stack": stack, "aws_region": aws_region}
    secrets: dict[str, Any] = {}
    for key, value in namespace.items():
        if key in SECRET_KEYS:
            secrets[key] = value
        elif key in TOP_LEVEL_KEYS:
            data[key] = value
        else:
            known = sorted(TOP_LEVEL_KEYS | set(SECRET_KEYS))
            close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
            hint = f"did you mean '{key_path((close[0],))}'? " if close else ""
            issues.append(ConfigIssue(key_path((key,)), f"unknown key; {hint}remove it or fix its spelling "
                                      f"(known keys: {', '.join(known)})"))
    data["secrets"] = secrets
    issues += booleans_for_numbers(PlatformConfig, data)
    try:
        cfg = PlatformConfig.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            loc = tuple(err["loc"])
            if loc and loc[0] == "aws_region":
                loc = ("aws:region", *loc[1:])
            elif loc and loc[0] == "secrets":
                loc = loc[1:]
            issues.append(ConfigIssue(key_path(loc), _tenant_prefix(data, loc) + _describe(err)))
        raise ConfigError(issues) from None
    issues += validate(cfg)
    issues += check_values(cfg)
    if issues:
        raise ConfigError(issues)
    return cfg


def load_config() -> PlatformConfig:
    """The running stack's config, as the engine (or the offline harness) hands it over."""
    prefix = f"{NAMESPACE}:"
    everything: dict[str, Any] = dict(CONFIG.get())
    namespace = {k[len(prefix):]: _decode(k[len(prefix):], str(v))
                 for k, v in everything.items() if k.startswith(prefix)}
    aws_region = everything.get("aws:region")
    unknown = unknown_key_issues(everything, TOP_LEVEL_KEYS | set(SECRET_KEYS))
    try:
        cfg = parse(namespace, stack=pulumi.get_stack(), aws_region=aws_region, project=pulumi.get_project())
    except ConfigError as exc:
        raise ConfigError([*unknown, *exc.issues]) from None
    if unknown:
        raise ConfigError(unknown)
    for warning in (*config_warnings(cfg), *support_warnings(cfg)):  # support: what staging/prod would refuse
        pulumi.log.warn(warning)
    return cfg
