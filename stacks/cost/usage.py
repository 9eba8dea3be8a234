"""Usage assumptions: what a plan cannot know (GB stored and moved, requests, log volume).

`usage/defaults.yaml` documents every key with its default; `usage/<stack>.yaml` overrides keys
per stack, per region (`regions:`) and per resource (`resources:`, fnmatch on the Pulumi name).
A key found nowhere is an error: a usage cost must rest on a stated assumption.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from stacks.yaml_load import safe_load

USAGE_DIR = Path(__file__).with_name("usage")


class UsageError(LookupError):
    """A usage key is missing or malformed."""


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise UsageError(f"{where}: must be a number >= 0 (got {value!r})")
    return float(value)


@dataclass
class UsageProfile:
    """Merged usage for one stack; records which assumptions an estimate actually used."""

    stack: str
    defaults: dict[str, dict[str, Any]]
    regions: dict[str, dict[str, Any]]
    resources: dict[str, dict[str, dict[str, Any]]]
    used: dict[str, float] = field(default_factory=dict)

    def value(self, kind: str, key: str, resource_name: str = "") -> float:
        """`kind.key` for a resource: first matching `resources:` pattern, else `defaults:`."""
        for pattern, kinds in self.resources.items():
            if resource_name and fnmatchcase(resource_name, pattern) and key in (kinds.get(kind) or {}):
                where = f"usage/{self.stack}.yaml resources.{pattern}.{kind}.{key}"
                result = _number(kinds[kind][key], where)
                self.used[f"resources[{pattern}].{kind}.{key}"] = result
                return result
        section = self.defaults.get(kind) or {}
        if key not in section:
            raise UsageError(f"no usage value '{kind}.{key}' (needed by '{resource_name or kind}'); "
                             f"set it in stacks/cost/usage/defaults.yaml or usage/{self.stack}.yaml")
        result = _number(section[key], f"usage {kind}.{key}")
        self.used[f"{kind}.{key}"] = result
        return result

    def region(self, region: str, key: str) -> float:
        """Region-level traffic: `regions.<region>.<key>`, else `regions.default.<key>`."""
        for name in (region, "default"):
            section = self.regions.get(name) or {}
            if key in section:
                result = _number(section[key], f"usage regions.{name}.{key}")
                self.used[f"regions.{name}.{key}"] = result
                return result
        raise UsageError(f"no usage value 'regions.{region}.{key}' or 'regions.default.{key}'; "
                         f"set it in stacks/cost/usage/defaults.yaml or usage/{self.stack}.yaml")


def _read(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    doc = safe_load(path.read_text()) or {}
    if not isinstance(doc, dict):
        raise UsageError(f"{path.name}: must be a mapping with defaults/regions/resources")
    unknown = set(doc) - {"defaults", "regions", "resources"}
    if unknown:
        raise UsageError(f"{path.name}: unknown top-level keys {sorted(unknown)}")
    return {k: v or {} for k, v in doc.items()}


def load_usage(stack: str, directory: Path = USAGE_DIR,
               extra: dict[str, Any] | None = None) -> UsageProfile:
    """Defaults, then the stack's file, then `extra` (tests and what-if runs)."""
    merged = _merge(_read(directory / "defaults.yaml"), _read(directory / f"{stack}.yaml"))
    if extra:
        merged = _merge(merged, extra)
    return UsageProfile(stack=stack, defaults=dict(merged.get("defaults") or {}),
                        regions=dict(merged.get("regions") or {}),
                        resources=dict(merged.get("resources") or {}))
