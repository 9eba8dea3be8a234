"""Value shapes a type alone does not catch: hostnames, e-mails, ARNs, instance types, sizes.

Each of these was once accepted silently and failed only at deploy time (or never): a hostname
with spaces, an alert address without `@`, a role name where an ARN belongs, `readers: true`
read as 1, a node group of 100,000 nodes, an x86 type on arm64 nodes, an instance-type typo.
Pure functions over the parsed model (and, for booleans, the raw values), returning every issue.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Iterator, Mapping
from typing import Any

from pydantic import BaseModel

from stacks.config.errors import ConfigIssue, key_path
from stacks.config.models import PlatformConfig
from stacks.config.regions import AWS_REGIONS

MAX_NODES_PER_MANAGED_NODE_GROUP = 450
"""EKS quota "Nodes per managed node group" (L-BD136A63), 450 by default:
https://docs.aws.amazon.com/eks/latest/userguide/service-quotas.html"""

_LABEL = r"(?!-)[a-z0-9-]{1,63}(?<!-)"
HOSTNAME = re.compile(rf"^(?=.{{4,253}}$){_LABEL}(\.{_LABEL})+$")
"""RFC 1123 host name with at least one dot (a public DNS name), lower case."""
LOCAL_HOSTNAME = re.compile(rf"^{_LABEL}(\.{_LABEL})*$")
EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+$")
IAM_ROLE_ARN = re.compile(r"^arn:aws(-[a-z]+)*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$")
GRAVITON_FAMILY = re.compile(r"^[a-z]+\d+g[a-z]*$")
"""EC2 families with `g` right after the generation (m7g, c7gn, r8g, t4g, im4gn, x2gd) are AWS
Graviton (arm64); every other current family is x86_64: https://aws.amazon.com/ec2/graviton/"""


def _issue(parts: tuple[str | int, ...], message: str) -> ConfigIssue:
    return ConfigIssue(key_path(parts), message)


def ec2_arch(instance_type: str) -> str:
    """arm64 for Graviton families (and a1), x86_64 otherwise."""
    family = instance_type.split(".", 1)[0]
    return "arm64" if family == "a1" or GRAVITON_FAMILY.match(family) else "x86_64"


def _number_annotation(annotation: Any) -> bool:
    args = typing.get_args(annotation) if isinstance(annotation, types.UnionType) or \
        typing.get_origin(annotation) is typing.Union else (annotation,)
    return any(a in (int, float) for a in args)


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    found: list[type[BaseModel]] = []
    for arg in (annotation, *typing.get_args(annotation)):
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            found.append(arg)
    return found


def booleans_for_numbers(model: type[BaseModel], data: Any,
                         path: tuple[str | int, ...] = ()) -> Iterator[ConfigIssue]:
    """`readers: true` must not become 1: YAML `true`/`false` where the model wants a number."""
    if not isinstance(data, Mapping):
        return
    for key, value in data.items():
        field = model.model_fields.get(str(key))
        if field is None:
            continue
        here = (*path, str(key))
        if isinstance(value, bool) and _number_annotation(field.annotation):
            yield _issue(here, f"{str(value).lower()} is a boolean, not a number; write a number such as 1")
            continue
        for sub in _models_in(field.annotation):
            if isinstance(value, Mapping):
                yield from booleans_for_numbers(sub, value, here)
            elif isinstance(value, list):
                for i, item in enumerate(value):
                    yield from booleans_for_numbers(sub, item, (*here, i))


def check_names(cfg: PlatformConfig) -> Iterator[ConfigIssue]:
    """Hostnames, e-mail addresses and IAM role ARNs."""
    hosts: list[tuple[tuple[str | int, ...], str | None]] = [
        (("app", "hostname"), cfg.app.hostname),
        (("global_traffic", "eu_hostname"), cfg.global_traffic.eu_hostname),
        (("global_traffic", "zone_name"), cfg.global_traffic.zone_name),
    ]
    for parts, host in hosts:
        if cfg.is_local and parts[0] == "app" and host and LOCAL_HOSTNAME.match(host):
            continue  # `localhost` or a single-label name is fine on a laptop cluster
        if (host or parts[0] == "app") and not HOSTNAME.match(host or ""):
            yield _issue(parts, f"{host!r} is not a DNS host name: lower-case labels of letters, digits and "
                                "hyphens (not at either end), joined by dots, e.g. api.example.com")
    emails: list[tuple[tuple[str | int, ...], str]] = []
    if cfg.observability.alert_email is not None:
        emails.append((("observability", "alert_email"), cfg.observability.alert_email))
    if cfg.budget is not None:
        if not cfg.budget.alert_emails:
            yield _issue(("budget", "alert_emails"), "is empty, so the budget alerts nobody; list at least one "
                                                     "address, e.g. [finops@example.com]")
        emails += [(("budget", "alert_emails", i), e) for i, e in enumerate(cfg.budget.alert_emails)]
    for parts, email in emails:
        if not EMAIL.match(email):
            yield _issue(parts, f"{email!r} is not an e-mail address; write e.g. oncall@example.com")
    arns: list[tuple[tuple[str | int, ...], str | None]] = []
    if cfg.cluster is not None:
        arns += [(("cluster", "admin_role_arn"), cfg.cluster.admin_role_arn),
                 (("cluster", "ci_role_arn"), cfg.cluster.ci_role_arn)]
    for i, t in enumerate(cfg.tenants):
        arns += [(("tenants", i, "operators", j), arn) for j, arn in enumerate(t.operators)]
    for parts, arn in arns:
        if arn is not None and not IAM_ROLE_ARN.match(arn):
            yield _issue(parts, f"{arn!r} is not an IAM role ARN; write the full ARN, e.g. "
                                "arn:aws:iam::123456789012:role/platform-break-glass")


def check_node_groups(cfg: PlatformConfig) -> Iterator[ConfigIssue]:
    """Sizes within the EKS quota; instance types of the cluster's architecture."""
    if cfg.cluster is None:
        return
    arch = cfg.cluster.arch
    for name in ("system", "api", "workers"):
        group = getattr(cfg.cluster.node_groups, name)
        parts = ("cluster", "node_groups", name)
        if group.max_size > MAX_NODES_PER_MANAGED_NODE_GROUP:
            yield _issue((*parts, "max_size"),
                         f"{group.max_size} is above the EKS limit of {MAX_NODES_PER_MANAGED_NODE_GROUP} nodes per "
                         "managed node group; use at most 450 (or split the capacity into more groups)")
        for i, itype in enumerate(group.instance_types):
            if ec2_arch(itype) != arch:
                fix = "a Graviton type such as m7g.large" if arch == "arm64" else "an x86 type such as m7i.large"
                yield _issue((*parts, "instance_types", i),
                             f"'{itype}' is an {ec2_arch(itype)} instance type but agentic-platform:cluster.arch is "
                             f"{arch}; use {fix}, or set cluster.arch to {ec2_arch(itype)}")


def _close(name: str, candidates: list[str]) -> str:
    close = difflib.get_close_matches(name, candidates, n=3, cutoff=0.6)
    return f"did you mean {' or '.join(repr(c) for c in close)}? " if close else ""


def check_instance_types(cfg: PlatformConfig) -> Iterator[ConfigIssue]:
    """Every EC2, Aurora and ElastiCache type must exist in the price table for its regions: an
    unknown type is almost always a typo (`m7g.lrage`), and an unpriced one cannot be estimated."""
    if cfg.is_local or not cfg.regions:
        return
    from stacks.cost.prices import load_prices  # the price table is data; import only when needed

    table = load_prices()

    def priced(prefixes: tuple[str, ...], itype: str, regions: tuple[str, ...]) -> list[str]:
        """Regions of `regions` where no `prefix + itype` SKU has a price."""
        skus = [table.skus.get(p + itype) for p in prefixes]
        return [r for r in regions if not any(s is not None and r in s.prices for s in skus)]

    def known(prefixes: tuple[str, ...]) -> list[str]:
        return sorted({n[len(p):] for n in table.skus for p in prefixes if n.startswith(p)})

    def issue(parts: tuple[str | int, ...], itype: str, prefixes: tuple[str, ...],
              regions: tuple[str, ...]) -> Iterator[ConfigIssue]:
        missing = priced(prefixes, itype, regions)
        if missing:
            yield _issue(parts, f"unknown instance type '{itype}' for {', '.join(missing)}; "
                                f"{_close(itype, known(prefixes))}use a type listed in stacks/cost/prices.yaml "
                                "(or add its price there, with its source)")

    regions = cfg.region_names
    ec2, aurora, cache = ("ec2.",), ("aurora.instance.",), ("elasticache.redis.", "elasticache.valkey.")
    if cfg.cluster is not None:
        for name in ("system", "api", "workers"):
            for i, itype in enumerate(getattr(cfg.cluster.node_groups, name).instance_types):
                yield from issue(("cluster", "node_groups", name, "instance_types", i), itype, ec2, regions)
    if cfg.database.instance_class != "db.serverless":
        yield from issue(("database", "instance_class"), cfg.database.instance_class, aurora, regions)
    for group in ("cache", "queue"):
        yield from issue(("redis", group, "node_type"), getattr(cfg.redis, group).node_type, cache, regions)
    for i, t in enumerate(cfg.tenants):
        if t.tier != "enterprise":
            continue
        where = (t.primary_region,) if t.primary_region in regions else regions
        yield from issue(("tenants", i, "enterprise", "instance_class"), t.enterprise.instance_class, aurora, where)
        if t.enterprise.redis:
            yield from issue(("tenants", i, "enterprise", "redis_node_type"), t.enterprise.redis_node_type,
                             cache, where)


def check_local_regions(cfg: PlatformConfig) -> Iterator[ConfigIssue]:
    """The local stack has no data domains to check tenant regions against; names must still be AWS
    regions, since the same catalog is promoted to the cloud stacks."""
    if not cfg.is_local:
        return
    names = sorted(AWS_REGIONS)
    for i, t in enumerate(cfg.tenants):
        regions = [(("tenants", i, "primary_region"), t.primary_region)]
        regions += [(("tenants", i, "allowed_regions", j), r) for j, r in enumerate(t.allowed_regions)]
        for parts, region in regions:
            if region != "local" and region not in AWS_REGIONS:
                yield _issue(parts, f"tenant '{t.id}': '{region}' is not an AWS region; {_close(region, names)}"
                                    "use `local` or a region name such as us-east-1 or eu-west-1")


def check_values(cfg: PlatformConfig) -> list[ConfigIssue]:
    """Every shape issue of the parsed `cfg` (booleans are checked on the raw values first)."""
    return [*check_names(cfg), *check_node_groups(cfg), *check_instance_types(cfg), *check_local_regions(cfg)]


def config_warnings(cfg: PlatformConfig) -> list[str]:
    """Valid but probably unintended: printed by the preview and `pulumi preview`, never fatal."""
    out: list[str] = []
    if cfg.environment == "prod" and not cfg.tenants:
        out.append(f"{key_path(('tenants',))} is empty in prod: no tenant is onboarded, so no tenant "
                   "namespace, quota, store or budget is created; add the tenant catalog")
    return out


def fields_at(loc: tuple[Any, ...]) -> list[str]:
    """The keys the model accepts at `loc`'s parent (`('cluster', 'node_groups', 'api', 'x')` ->
    the node group's fields), for a close match to a misspelt nested key."""
    model: type[BaseModel] = PlatformConfig
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(str(part))
        models = _models_in(field.annotation) if field is not None else []
        if not models:
            return []
        model = models[0]
    return sorted(model.model_fields)
