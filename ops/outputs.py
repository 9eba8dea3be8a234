"""The stack outputs contract, read from `pulumi stack output --json` (a file or stdin).

Parsed once into frozen dataclasses so commands never index raw JSON: a missing or mistyped
key fails here with its full path (`data_domains.eu.clusters`), before anything touches AWS.
Keys the tool does not use are ignored, so the program may export more than this contract.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from ops.errors import BadInput, MissingOutput

ARN_REGION = re.compile(r"^arn:aws[a-z-]*:[a-z0-9-]+:([a-z0-9-]*):")

# KMS key purposes, most likely name first, by the kind of store they encrypt.
KEY_PURPOSES: dict[str, tuple[str, ...]] = {
    "rds": ("rds", "aurora", "database", "db", "data"),
    "s3": ("s3", "storage", "bucket", "buckets", "data"),
}


def arn_region(arn: str | None) -> str | None:
    """Region of an ARN (`None` for IAM/S3-style ARNs without one or for non-ARNs)."""
    if not arn:
        return None
    m = ARN_REGION.match(arn)
    return (m.group(1) or None) if m else None


class _Reader:
    """Walks the JSON with a path, so every error names the exact output key."""

    def __init__(self, data: Any, path: str):
        self.data = data
        self.path = path

    def _key(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def _raw(self, key: str, required: bool) -> Any:
        if not isinstance(self.data, Mapping):
            raise MissingOutput(f"stack outputs: `{self.path or '<root>'}` must be an object")
        if key not in self.data or (required and self.data[key] is None):
            if required:
                raise MissingOutput(f"stack outputs: missing key `{self._key(key)}`"
                                    " (is the stack deployed with the current program?)")
            return None
        return self.data[key]

    def text(self, key: str) -> str:
        value = self._raw(key, True)
        if not isinstance(value, str) or not value:
            raise MissingOutput(f"stack outputs: `{self._key(key)}` must be a non-empty string, got {value!r}")
        return value

    def opt_str(self, key: str) -> str | None:
        value = self._raw(key, False)
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            raise MissingOutput(f"stack outputs: `{self._key(key)}` must be a string, got {value!r}")
        return value

    def opt_int(self, key: str) -> int | None:
        value = self._raw(key, False)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise MissingOutput(f"stack outputs: `{self._key(key)}` must be a number, got {value!r}")
        return int(value)

    def flag(self, key: str, default: bool = False) -> bool:
        value = self._raw(key, False)
        return default if value is None else bool(value)

    def texts(self, key: str, required: bool = True) -> tuple[str, ...]:
        value = self._raw(key, required)
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise MissingOutput(f"stack outputs: `{self._key(key)}` must be a list of strings, got {value!r}")
        return tuple(value)

    def obj(self, key: str, required: bool = True) -> _Reader | None:
        value = self._raw(key, required)
        if value is None:
            return None
        if not isinstance(value, Mapping):
            raise MissingOutput(f"stack outputs: `{self._key(key)}` must be an object, got {value!r}")
        return _Reader(value, self._key(key))

    def req_obj(self, key: str) -> _Reader:
        r = self.obj(key, True)
        assert r is not None
        return r

    def items(self) -> list[tuple[str, _Reader]]:
        assert isinstance(self.data, Mapping)
        return [(str(k), _Reader(v, self._key(str(k)))) for k, v in self.data.items()]

    def str_map(self, key: str, required: bool = True) -> dict[str, str]:
        r = self.obj(key, required)
        if r is None:
            return {}
        return {k: r.text(k) for k, _ in r.items()}

    def list_objs(self, key: str) -> list[_Reader]:
        value = self._raw(key, True)
        if not isinstance(value, list):
            raise MissingOutput(f"stack outputs: `{self._key(key)}` must be a list, got {value!r}")
        return [_Reader(v, f"{self._key(key)}[{i}]") for i, v in enumerate(value)]


@dataclass(frozen=True)
class Regional:
    region: str
    standby: bool
    vpc_id: str | None
    cluster_name: str | None
    db_cluster_identifier: str | None
    db_proxy_endpoint: str | None
    cache_endpoint: str | None
    queue_endpoint: str | None
    uploads_bucket: str | None
    kms_keys: dict[str, str]
    ingress_hostname: str | None


@dataclass(frozen=True)
class DataDomain:
    name: str
    residency: str
    primary: str
    replicas: tuple[str, ...]
    global_cluster_identifier: str | None
    clusters: dict[str, str]
    buckets: dict[str, str]
    backup_vaults: dict[str, str]
    kms_keys: dict[str, dict[str, str]]

    @property
    def regions(self) -> tuple[str, ...]:
        return (self.primary, *[r for r in self.replicas if r != self.primary])

    def describe(self) -> str:
        return f"data domain {self.name} ({', '.join(self.regions)})"


@dataclass(frozen=True)
class DatabaseStore:
    region: str
    cluster_identifier: str


@dataclass(frozen=True)
class BucketStore:
    region: str
    name: str
    prefix: str


@dataclass(frozen=True)
class TenantStores:
    database: DatabaseStore | None
    bucket: BucketStore | None
    secrets_region: str | None
    namespace: str | None


@dataclass(frozen=True)
class Tenant:
    id: str
    tier: str
    data_residency: str
    domain: str
    workload_regions: tuple[str, ...]
    stores: TenantStores


@dataclass(frozen=True)
class Pool:
    region: str
    origin: str | None
    pool_id: str


@dataclass(frozen=True)
class Hostname:
    name: str
    residency: str
    pools: tuple[Pool, ...]
    load_balancer_id: str
    zone_id: str
    account_id: str | None
    detection_seconds: int | None


@dataclass(frozen=True)
class RegionSwitchPlan:
    """`failover.region_switch.<domain>`: the domain's ARC Region switch plan."""

    domain: str
    plan_arn: str
    plan_name: str
    regions: tuple[str, ...]
    automatic: bool
    approval_required: bool


@dataclass(frozen=True)
class StackOutputs:
    environment: str
    default_region: str
    regions: tuple[str, ...]
    regional: dict[str, Regional]
    data_domains: dict[str, DataDomain]
    tenants: dict[str, Tenant]
    hostnames: dict[str, Hostname] = field(default_factory=dict)
    detection_seconds: int | None = None
    region_switch: dict[str, RegionSwitchPlan] = field(default_factory=dict)

    @property
    def protected(self) -> bool:
        """Staging and prod carry deletion protection (docs/data-tier.md)."""
        return self.environment not in ("local", "dev")

    def domain(self, name: str) -> DataDomain:
        if name not in self.data_domains:
            known = ", ".join(sorted(self.data_domains)) or "none"
            raise BadInput(f"unknown data domain '{name}' (stack outputs have: {known})")
        return self.data_domains[name]

    def tenant(self, tenant_id: str) -> Tenant:
        if tenant_id not in self.tenants:
            known = ", ".join(sorted(self.tenants)) or "none"
            raise BadInput(f"unknown tenant '{tenant_id}' (stack outputs have: {known})")
        return self.tenants[tenant_id]

    def kms_key(self, domain: DataDomain | None, region: str, kind: str) -> str:
        """The key of `kind` ("rds" or "s3") valid in `region`: the domain's, else the region's."""
        candidates: list[tuple[str, dict[str, str]]] = []
        if domain is not None and region in domain.kms_keys:
            candidates.append((f"data_domains.{domain.name}.kms_keys.{region}", domain.kms_keys[region]))
        if region in self.regional:
            candidates.append((f"regional.{region}.kms_keys", self.regional[region].kms_keys))
        for _, keys in candidates:
            for purpose in KEY_PURPOSES[kind]:
                if purpose in keys:
                    return keys[purpose]
            if len(keys) == 1:
                return next(iter(keys.values()))
        where = " or ".join(f"`{path}`" for path, _ in candidates) or f"`regional.{region}.kms_keys`"
        raise MissingOutput(f"stack outputs: no KMS key for {kind} in {region} under {where}"
                            f" (expected one of the purposes {', '.join(KEY_PURPOSES[kind])})")


def _regional(region: str, r: _Reader) -> Regional:
    return Regional(
        region=region, standby=r.flag("standby"), vpc_id=r.opt_str("vpc_id"), cluster_name=r.opt_str("cluster_name"),
        db_cluster_identifier=r.opt_str("db_cluster_identifier"), db_proxy_endpoint=r.opt_str("db_proxy_endpoint"),
        cache_endpoint=r.opt_str("cache_endpoint"), queue_endpoint=r.opt_str("queue_endpoint"),
        uploads_bucket=r.opt_str("uploads_bucket"), kms_keys=r.str_map("kms_keys", required=False),
        ingress_hostname=r.opt_str("ingress_hostname"),
    )


def _domain(name: str, r: _Reader) -> DataDomain:
    keys = r.obj("kms_keys", required=False)
    return DataDomain(
        name=name, residency=r.text("residency"), primary=r.text("primary"), replicas=r.texts("replicas"),
        global_cluster_identifier=r.opt_str("global_cluster_identifier"), clusters=r.str_map("clusters"),
        buckets=r.str_map("buckets"), backup_vaults=r.str_map("backup_vaults", required=False),
        kms_keys={region: keys.str_map(region) for region, _ in keys.items()} if keys else {},
    )


def _tenant(tenant_id: str, r: _Reader) -> Tenant:
    s = r.req_obj("stores")
    db = s.obj("database", required=False)
    bucket = s.obj("bucket", required=False)
    return Tenant(
        id=tenant_id, tier=r.text("tier"), data_residency=r.opt_str("data_residency") or "none",
        domain=r.text("domain"),
        workload_regions=r.texts("workload_regions", required=False),
        stores=TenantStores(
            database=DatabaseStore(db.text("region"), db.text("cluster_identifier")) if db else None,
            bucket=(BucketStore(bucket.text("region"), bucket.text("name"), bucket.opt_str("prefix") or "")
                    if bucket else None),
            secrets_region=s.opt_str("secrets_region"), namespace=s.opt_str("namespace"),
        ),
    )


def _hostname(name: str, r: _Reader) -> Hostname:
    return Hostname(
        name=name, residency=r.opt_str("residency") or "none",
        pools=tuple(Pool(p.text("region"), p.opt_str("origin"), p.text("pool_id")) for p in r.list_objs("pools")),
        load_balancer_id=r.text("load_balancer_id"), zone_id=r.text("zone_id"), account_id=r.opt_str("account_id"),
        detection_seconds=r.opt_int("detection_seconds"),
    )


def _region_switch(domain: str, r: _Reader) -> RegionSwitchPlan:
    return RegionSwitchPlan(domain=domain, plan_arn=r.text("plan_arn"), plan_name=r.text("plan_name"),
                            regions=r.texts("regions"), automatic=r.flag("automatic"),
                            approval_required=r.flag("approval_required"))


def parse_outputs(data: Any) -> StackOutputs:
    """Validate decoded JSON against the contract (also accepts the offline preview's plan JSON)."""
    if isinstance(data, Mapping) and "environment" not in data and isinstance(data.get("outputs"), Mapping):
        data = data["outputs"]
    root = _Reader(data, "")
    regional = root.req_obj("regional")
    domains = root.req_obj("data_domains")
    tenants = root.req_obj("tenants")
    hostnames = root.obj("hostnames", required=False)
    failover = root.obj("failover", required=False)
    return StackOutputs(
        environment=root.text("environment"), default_region=root.text("default_region"), regions=root.texts("regions"),
        regional={region: _regional(region, r) for region, r in regional.items()},
        data_domains={name: _domain(name, r) for name, r in domains.items()},
        tenants={tid: _tenant(tid, r) for tid, r in tenants.items()},
        hostnames={name: _hostname(name, r) for name, r in hostnames.items()} if hostnames else {},
        detection_seconds=failover.opt_int("detection_seconds") if failover else None,
        region_switch=_plans(failover),
    )


def _plans(failover: _Reader | None) -> dict[str, RegionSwitchPlan]:
    plans = failover.obj("region_switch", required=False) if failover else None
    return {d: _region_switch(d, r) for d, r in plans.items()} if plans else {}


def load_outputs(source: str, stdin: IO[str] | None = None) -> StackOutputs:
    """`source` is a path or `-` for stdin (`pulumi stack output --json | python -m ops verify --outputs -`)."""
    if source == "-":
        text = (stdin or sys.stdin).read()
        origin = "stdin"
    else:
        path = Path(source)
        if not path.is_file():
            raise BadInput(f"stack outputs file not found: {source}"
                           f" (write it with `pulumi stack output --json > {source}`)")
        text = path.read_text(encoding="utf-8")
        origin = source
    if not text.strip():
        raise BadInput(f"stack outputs from {origin} are empty (run `pulumi stack output --json`)")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadInput(f"stack outputs from {origin} are not JSON: {exc.msg} at line {exc.lineno}") from None
    return parse_outputs(data)
