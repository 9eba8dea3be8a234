"""Reading engine props safely: camelCase paths through proxies, unknowns, nullable bools.

The engine hands policies `_DictProxy`/`_ListProxy` values (not dicts or lists), raises
`UnknownValueError` on any touch of an unknown, sends numbers as floats, and leaves AWS-side
defaults absent. Every policy reads props through these helpers so none of that is forgotten.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from pulumi_policy.proxy import UnknownValueError


class _Marker:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name

    def __bool__(self) -> bool:
        return False


MISSING: Any = _Marker("MISSING")
"""The property is absent (so the AWS default applies)."""
UNKNOWN: Any = _Marker("UNKNOWN")
"""The property exists but is unknown during preview."""


def is_mapping(value: Any) -> bool:
    return isinstance(value, Mapping)


def is_list(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, str | bytes)


def get(props: Any, path: str, default: Any = MISSING) -> Any:
    """Dotted lookup (`vpcConfig.endpointPublicAccess`, `rules.0.destination`) -> value, MISSING or UNKNOWN."""
    cur = props
    for part in path.split("."):
        try:
            if is_mapping(cur):
                if part not in cur:  # Mapping.__contains__ reads the value: unknown -> UnknownValueError
                    return default
                cur = cur[part]
            elif is_list(cur) and part.isdigit():
                if int(part) >= len(cur):
                    return default
                cur = cur[int(part)]
            else:
                return default
        except UnknownValueError:
            return UNKNOWN
    if cur is None:
        return default
    return cur


def items(props: Any, path: str) -> list[Any]:
    """The elements of a list property (absent -> []); unknown elements come back as UNKNOWN.

    pulumi-aws 7 flattened many MaxItemsOne lists into objects; a lone object is returned as [object].
    """
    value = get(props, path) if path else props
    if value is MISSING:
        return []
    if value is UNKNOWN:
        return [UNKNOWN]
    if is_mapping(value):
        return [value]
    if not is_list(value):
        return [value]
    out: list[Any] = []
    for i in range(len(value)):
        try:
            out.append(value[i])
        except UnknownValueError:
            out.append(UNKNOWN)
    return out


def mapping(props: Any, path: str) -> dict[str, Any]:
    """A map property (tags, labels) as a plain dict; unknown entries are dropped. JSON strings are parsed."""
    value = get(props, path) if path else props
    if isinstance(value, str):
        value = parse_json(value)
    if not is_mapping(value):
        return {}
    out: dict[str, Any] = {}
    for key in value:
        try:
            out[str(key)] = value[key]
        except UnknownValueError:
            out[str(key)] = UNKNOWN
    return out


def truthy(value: Any) -> bool:
    """True for True and the TF nullable-bool string "true"; unknown or absent is not true."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return False


def falsy_explicit(value: Any) -> bool:
    """Explicitly false (False or "false"); absent or unknown is not explicitly false."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, str):
        return value.strip().lower() == "false"
    return False


def is_set(value: Any) -> bool:
    """A non-empty value was given (an unknown ARN of a key created in the same deployment counts)."""
    if value is UNKNOWN:
        return True
    if value is MISSING or value is None:
        return False
    if isinstance(value, str):
        return value != ""
    if is_list(value) or is_mapping(value):
        return len(value) > 0
    return True


def number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def plain(value: Any) -> Any:
    """Proxies -> plain dicts/lists (unknowns -> UNKNOWN), for json.dumps and equality."""
    if is_mapping(value):
        out: dict[str, Any] = {}
        for key in value:
            try:
                out[str(key)] = plain(value[key])
            except UnknownValueError:
                out[str(key)] = UNKNOWN
        return out
    if is_list(value):
        return [plain(v) for v in items(value, "")]
    return value


def parse_json(value: Any) -> Any:
    """A JSON document given as a string (IAM/bucket/key policies, provider defaultTags) -> value, else None."""
    if is_mapping(value) or is_list(value):
        return plain(value)
    if not isinstance(value, str) or value is UNKNOWN:
        return None
    try:
        return json.loads(value)
    except (json.JSONDecodeError, TypeError):
        return None


_ARN = re.compile(r"^arn:(aws[a-zA-Z-]*):([a-z0-9-]+):([a-z0-9-]*):([^:]*):(.*)$")


def arn_region(value: Any) -> str | None:
    """The region field of an ARN (4th `:` field); None for non-ARNs and region-less ARNs (S3, IAM)."""
    if not isinstance(value, str):
        return None
    m = _ARN.match(value)
    if not m or not m.group(3):
        return None
    return m.group(3)


def arn_service(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    m = _ARN.match(value)
    return m.group(2) if m else None


def walk(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """Every (camelCase path, leaf) in a props tree; unknown leaves are yielded as UNKNOWN."""
    if is_mapping(value):
        for key in list(value.keys()):
            try:
                child = value[key]
            except UnknownValueError:
                yield (f"{path}.{key}" if path else str(key)), UNKNOWN
                continue
            yield from walk(child, f"{path}.{key}" if path else str(key))
    elif is_list(value):
        for i, child in enumerate(items(value, "")):
            yield from walk(child, f"{path}.{i}" if path else str(i))
    else:
        yield path, value


def as_list(value: Any) -> list[Any]:
    """A policy-document field that may be a string or a list -> list."""
    if value is None or value is MISSING:
        return []
    if isinstance(value, str):
        return [value]
    if is_list(value):
        return list(value)
    return [value]
