"""Policy configuration: one schema, one file per stack (`policy/config/<stack>.json`).

Every policy receives the same settings as its policy config (the CLI validates them against
`SCHEMA`), so regions, residency map, thresholds and exemptions live in one reviewed file per
stack. `__main__.py` picks the file from `PULUMI_STACK` and hands it over as `initial_config`;
the offline preview does the same for `plan.stack`.
"""

from __future__ import annotations

import copy
import fnmatch
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

CONFIG_DIR = Path(__file__).resolve().parent.parent / "config"

LEVELS = ("advisory", "mandatory", "disabled")
CATEGORIES = (
    "residency", "encryption-at-rest", "encryption-in-transit", "network", "backups",
    "deletion-protection", "logging", "iam", "tags", "kubernetes",
)

# JSON-Schema fragments for `PolicyConfigSchema` (the engine validates them; offline we check
# them in `Settings.from_mapping`). `enforcementLevel` is reserved by the engine.
SCHEMA: dict[str, dict[str, Any]] = {
    "stack": {"type": "string", "description": "Stack these settings belong to."},
    "defaultRegion": {"type": "string",
                      "description": "The stack's aws:region (last fallback of the effective region)."},
    "regions": {"type": "array", "items": {"type": "string"}, "minItems": 1,
                "description": "AWS regions this stack may use at all."},
    "residencies": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}},
                    "description": "Residency class (value of the data-residency tag) -> regions allowed to hold it."},
    "residencyHostnames": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}},
                           "description": "Residency class -> hostnames whose Cloudflare pools must stay inside it."},
    "requiredTags": {"type": "array", "items": {"type": "string"}},
    "minBackupRetentionDays": {"type": "integer", "minimum": 1},
    "minLogRetentionDays": {"type": "integer", "minimum": 1},
    "minKmsDeletionWindowDays": {"type": "integer", "minimum": 7, "maximum": 30},
    "minDbInstances": {"type": "integer", "minimum": 1},
    "publicIngressPorts": {"type": "array", "items": {"type": "integer"},
                           "description": "Ports a security group may open to 0.0.0.0/0 (none by default)."},
    "backupVaultLock": {"type": "string", "enum": ["none", "governance", "compliance"],
                        "description": "Vault Lock mode every AWS Backup vault of this stack must carry (at least)."},
    "clusterAdminPrincipals": {"type": "array", "items": {"type": "string"},
                               "description": "The only IAM principals (ARNs) an EKS access entry may make "
                                              "cluster-admin; absent: not restricted."},
    "enforcement": {"type": "object", "additionalProperties": {"type": "string", "enum": list(LEVELS)},
                    "description": "Category -> enforcement level for this stack."},
    "policies": {"type": "object", "additionalProperties": {"type": "string", "enum": list(LEVELS)},
                 "description": "Policy name -> enforcement level (overrides its category)."},
    "exemptions": {"type": "array", "items": {
        "type": "object", "required": ["policy", "resource", "reason"],
        "properties": {"policy": {"type": "string"}, "resource": {"type": "string"}, "reason": {"type": "string"}}},
        "description": "Waivers: policy name (glob) + resource name or URN (glob) + why."},
}
REQUIRED = ["stack", "regions", "residencies", "enforcement"]


class SettingsError(ValueError):
    """A policy config file or mapping that does not match the schema (the message names the key)."""


@dataclass(frozen=True)
class Exemption:
    policy: str
    resource: str
    reason: str

    def matches(self, policy: str, urn: str | None, name: str | None) -> bool:
        if not fnmatch.fnmatchcase(policy, self.policy):
            return False
        return any(v and fnmatch.fnmatchcase(v, self.resource) for v in (urn, name))


@dataclass(frozen=True)
class Settings:
    stack: str
    regions: tuple[str, ...]
    residencies: Mapping[str, tuple[str, ...]]
    enforcement: Mapping[str, str]
    default_region: str | None = None
    residency_hostnames: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    required_tags: tuple[str, ...] = ("environment", "project", "managed-by", "cost-center")
    min_backup_retention_days: int = 7
    min_log_retention_days: int = 14
    min_kms_deletion_window_days: int = 7
    min_db_instances: int = 1
    public_ingress_ports: tuple[int, ...] = ()
    backup_vault_lock: str = "none"
    cluster_admin_principals: tuple[str, ...] | None = None
    policies: Mapping[str, str] = field(default_factory=dict)
    exemptions: tuple[Exemption, ...] = ()

    def residency_regions(self, residency: str | None) -> tuple[str, ...] | None:
        """Regions allowed for a residency class; `none`/absent -> all stack regions; unknown class -> None."""
        if residency is None or residency in {"", "none"}:
            return self.regions
        if residency in self.residencies:
            return self.residencies[residency]
        return None

    def exempt(self, policy: str, urn: str | None, name: str | None = None) -> Exemption | None:
        for ex in self.exemptions:
            if ex.matches(policy, urn, name):
                return ex
        return None

    def level(self, policy: str, category: str, advisory_only: bool = False) -> str:
        if policy in self.policies:
            return self.policies[policy]
        level = self.enforcement.get(category, "mandatory")
        if advisory_only and level == "mandatory":
            return "advisory"
        return level

    def to_config(self) -> dict[str, Any]:
        """The policy-config mapping (what the engine hands every policy)."""
        return {
            "stack": self.stack,
            **({"defaultRegion": self.default_region} if self.default_region else {}),
            "regions": list(self.regions),
            "residencies": {k: list(v) for k, v in self.residencies.items()},
            "residencyHostnames": {k: list(v) for k, v in self.residency_hostnames.items()},
            "requiredTags": list(self.required_tags),
            "minBackupRetentionDays": self.min_backup_retention_days,
            "minLogRetentionDays": self.min_log_retention_days,
            "minKmsDeletionWindowDays": self.min_kms_deletion_window_days,
            "minDbInstances": self.min_db_instances,
            "publicIngressPorts": list(self.public_ingress_ports),
            "backupVaultLock": self.backup_vault_lock,
            **({"clusterAdminPrincipals": list(self.cluster_admin_principals)}
               if self.cluster_admin_principals is not None else {}),
            "enforcement": dict(self.enforcement),
            "policies": dict(self.policies),
            "exemptions": [{"policy": e.policy, "resource": e.resource, "reason": e.reason} for e in self.exemptions],
        }

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], source: str = "policy config") -> Settings:
        def fail(key: str, why: str) -> SettingsError:
            return SettingsError(f"{source}: '{key}' {why}")

        for key in REQUIRED:
            if key not in data:
                raise fail(key, "is required")
        unknown = sorted(set(data) - set(SCHEMA))
        if unknown:
            raise fail(unknown[0], f"is not a known setting (known: {', '.join(sorted(SCHEMA))})")

        def strings(key: str, value: Any) -> tuple[str, ...]:
            if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
                raise fail(key, "must be a list of strings")
            return tuple(value)

        def ints(key: str, default: int) -> int:
            value = data.get(key, default)
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            if not isinstance(value, int) or isinstance(value, bool):
                raise fail(key, "must be an integer")
            return value

        def str_map(key: str) -> dict[str, tuple[str, ...]]:
            value = data.get(key, {})
            if not isinstance(value, Mapping):
                raise fail(key, "must be an object")
            return {str(k): strings(f"{key}.{k}", v) for k, v in value.items()}

        def levels(key: str, allowed: tuple[str, ...] | None) -> dict[str, str]:
            value = data.get(key, {})
            if not isinstance(value, Mapping):
                raise fail(key, "must be an object")
            for k, v in value.items():
                if v not in LEVELS:
                    raise fail(f"{key}.{k}", f"must be one of {', '.join(LEVELS)}, got {v!r}")
                if allowed is not None and k not in allowed:
                    raise fail(f"{key}.{k}", f"is not a category (one of {', '.join(allowed)})")
            return {str(k): str(v) for k, v in value.items()}

        regions = strings("regions", data["regions"])
        residencies = str_map("residencies")
        for res, regs in residencies.items():
            outside = [r for r in regs if r not in regions]
            if outside:
                raise fail(f"residencies.{res}", f"lists {outside[0]} which is not one of the stack regions")
        exemptions: list[Exemption] = []
        raw_ex = data.get("exemptions", [])
        if not isinstance(raw_ex, list | tuple):
            raise fail("exemptions", "must be a list")
        for i, ex in enumerate(raw_ex):
            if not isinstance(ex, Mapping) or not all(isinstance(ex.get(k), str) and ex.get(k) for k in
                                                      ("policy", "resource", "reason")):
                raise fail(f"exemptions[{i}]", "needs non-empty policy, resource and reason")
            exemptions.append(Exemption(ex["policy"], ex["resource"], ex["reason"]))
        lock = data.get("backupVaultLock", "none")
        if lock not in ("none", "governance", "compliance"):
            raise fail("backupVaultLock", f"'{lock}' is not one of none, governance, compliance")
        admins = data.get("clusterAdminPrincipals")
        default_region = data.get("defaultRegion")
        if default_region is not None and default_region not in regions:
            raise fail("defaultRegion", f"{default_region} is not one of the stack regions")
        return cls(
            stack=str(data["stack"]),
            regions=regions,
            residencies=residencies,
            enforcement=levels("enforcement", CATEGORIES),
            default_region=default_region,
            residency_hostnames=str_map("residencyHostnames"),
            required_tags=strings("requiredTags", data.get("requiredTags",
                                                           ["environment", "project", "managed-by", "cost-center"])),
            min_backup_retention_days=ints("minBackupRetentionDays", 7),
            min_log_retention_days=ints("minLogRetentionDays", 14),
            min_kms_deletion_window_days=ints("minKmsDeletionWindowDays", 7),
            min_db_instances=ints("minDbInstances", 1),
            public_ingress_ports=tuple(int(p) for p in data.get("publicIngressPorts", [])),
            backup_vault_lock=str(lock),
            cluster_admin_principals=None if admins is None else strings("clusterAdminPrincipals", admins),
            policies=levels("policies", None),
            exemptions=tuple(exemptions),
        )


def stack_name(raw: str | None) -> str | None:
    """`org/project/stack` or `stack` -> `stack`."""
    if not raw:
        return None
    return raw.rsplit("/", 1)[-1]


@cache
def load_stack_settings(stack: str, config_dir: Path = CONFIG_DIR) -> Settings:
    path = config_dir / f"{stack}.json"
    if not path.exists():
        known = sorted(p.stem for p in config_dir.glob("*.json"))
        raise SettingsError(f"no policy config for stack '{stack}' ({path}); known: {', '.join(known)}")
    return Settings.from_mapping(json.loads(path.read_text()), source=str(path.name))


def settings_from(config: Mapping[str, Any] | None) -> Settings:
    """Settings from a policy's config; without one, from the current stack's file (PULUMI_STACK)."""
    if config:
        seen, settings = _LAST
        if seen is not None and config == seen:  # every policy on every resource gets equal configs
            return settings
        settings = _cached_from_json(json.dumps(dict(config), sort_keys=True, default=str))
        _LAST[:] = [copy.deepcopy(dict(config)), settings]
        return settings
    stack = stack_name(os.environ.get("PULUMI_STACK"))
    if not stack:
        raise SettingsError("no policy config given and PULUMI_STACK is not set: "
                            "cannot choose policy/config/<stack>.json")
    return load_stack_settings(stack)


_LAST: list[Any] = [None, None]
"""The last config seen (a private deep copy) and its settings: comparing a config with it is a
fraction of the canonical JSON text `_cached_from_json` is keyed on, which was ~3 s of CPU per test
session (one text per policy per resource). The comparison is Python's `==`, so `1`, `1.0` and
`True` match each other: a config differing from the last only so would reuse its settings instead
of being refused. No config reaching a policy differs so: the engine validates policy config
against `SCHEMA` before any policy runs, and offline every config is `Settings.to_config()`."""


@cache
def _cached_from_json(text: str) -> Settings:
    return Settings.from_mapping(json.loads(text))
