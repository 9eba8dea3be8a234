"""The prop-reading helpers on engine-shaped values (proxies, unknowns, nullable bools, JSON strings)."""

from __future__ import annotations

import json

import pytest
from pulumi_policy.proxy import UNKNOWN_BOOLEAN_VALUE, UNKNOWN_STRING_VALUE, unknown_checking_proxy

from policy.agentic_policies.config import SettingsError, settings_from
from policy.agentic_policies.props import (
    MISSING,
    UNKNOWN,
    arn_region,
    get,
    is_set,
    items,
    mapping,
    parse_json,
    truthy,
)


def test_get_walks_proxies_and_reports_missing_and_unknown() -> None:
    props = unknown_checking_proxy({"vpcConfig": {"endpointPublicAccess": False, "subnetIds": ["a", "b"]},
                                    "region": UNKNOWN_STRING_VALUE, "rules": [{"id": "x"}], "nothing": None})
    assert get(props, "vpcConfig.endpointPublicAccess") is False
    assert get(props, "vpcConfig.subnetIds.1") == "b"
    assert get(props, "vpcConfig.subnetIds.5") is MISSING
    assert get(props, "region") is UNKNOWN
    assert get(props, "nothing") is MISSING  # null is the AWS default, like an absent key
    assert get(props, "rules.0.id") == "x"


def test_items_accepts_lists_and_flattened_objects() -> None:
    props = unknown_checking_proxy({"rules": [{"a": 1}], "rule": {"a": 2}, "later": UNKNOWN_STRING_VALUE})
    assert [get(r, "a") for r in items(props, "rules")] == [1]
    assert [get(r, "a") for r in items(props, "rule")] == [2]  # pulumi-aws 7 MaxItemsOne flattening
    assert items(props, "absent") == []
    assert items(props, "later") == [UNKNOWN]


def test_nullable_bools_and_unknown_flags() -> None:
    assert truthy(True) and truthy("true") and truthy("TRUE")
    assert not truthy(False) and not truthy("false") and not truthy(MISSING) and not truthy(UNKNOWN)
    assert not truthy(UNKNOWN_BOOLEAN_VALUE)  # a raw sentinel is never 'true'
    assert is_set(UNKNOWN) and not is_set(MISSING) and not is_set("") and not is_set([])


def test_maps_and_json_documents() -> None:
    provider = unknown_checking_proxy({"defaultTags": json.dumps({"tags": {"cost-center": "cc"}})})
    assert mapping(mapping(provider, "defaultTags"), "tags") == {"cost-center": "cc"}  # JSON string (#15477)
    assert parse_json(unknown_checking_proxy({"a": [1]})) == {"a": [1]}
    assert parse_json("not json") is None


def test_arn_region() -> None:
    assert arn_region("arn:aws:kms:eu-west-1:111122223333:key/abc") == "eu-west-1"
    assert arn_region("arn:aws:s3:::bucket") is None  # S3 ARNs carry no region
    assert arn_region("arn:aws:iam::aws:policy/AdministratorAccess") is None
    assert arn_region(UNKNOWN) is None


def test_settings_come_from_the_stack_file_when_no_config_is_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PULUMI_STACK", "myorg/agentic-platform/prod")
    assert settings_from(None).stack == "prod"
    monkeypatch.delenv("PULUMI_STACK")
    with pytest.raises(SettingsError, match="PULUMI_STACK is not set"):
        settings_from({})
    monkeypatch.setenv("PULUMI_STACK", "qa")
    with pytest.raises(SettingsError, match="no policy config for stack 'qa'"):
        settings_from(None)
