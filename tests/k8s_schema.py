"""`kubernetes_validate.validate`, with each schema loaded and compiled once per session.

The library reads and parses the version's `_definitions.json` (several MB of JSON) on every call;
over prod's few hundred objects that was most of the test's time (and its garbage). Same schemas,
same validator class and registry, same errors.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import jsonschema
from kubernetes_validate import ValidationError
from kubernetes_validate.utils import SchemaNotFoundError, all_versions, major_minor, schema_contents
from referencing import Registry, Resource


def validate(manifest: dict[str, Any], desired_version: str) -> None:
    """Strict validation (unknown fields fail) against the newest schema not newer than the version."""
    minor = major_minor(desired_version.removeprefix("v"))
    api_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", manifest["apiVersion"])
    validator = _validator(minor, manifest["kind"].lower(), api_version, manifest["apiVersion"], manifest["kind"])
    try:
        validator.validate(manifest)
    except jsonschema.ValidationError as exc:
        raise ValidationError(exc, version=minor) from exc


@cache
def _definitions(schema_dir: str, minor: str) -> Resource:
    return Resource.from_contents(schema_contents(f"kubernetes-json-schema/{schema_dir}/_definitions.json", minor))


@cache
def _validator(minor: str, kind: str, api_version: str, raw_api_version: str, raw_kind: str) -> Any:
    version = [v for v in all_versions() if major_minor(v) <= minor][-1]
    schema_dir = f"v{version}-local-strict"
    try:
        schema = schema_contents(f"kubernetes-json-schema/{schema_dir}/{kind}-{api_version}.json", minor)
    except FileNotFoundError:
        raise SchemaNotFoundError(version=minor, kind=raw_kind, api_version=raw_api_version) from None
    registry: Registry = Resource.from_contents(schema) @ Registry()
    registry = _definitions(schema_dir, minor) @ registry
    return jsonschema.Draft202012Validator(schema, registry=registry)
