"""Authenticated origin pulls, origin side: config refusals, the trust store component, the ALB
annotation and the preview's stand-in secrets (the prod plan checks are in test_cloudflare_edge.py)."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from app.args import IngressSpec
from app.ingress import ALB, alb_annotations
from components.charts_iam import lb_controller_policy
from components.origin_trust import OriginTrustStoreArgs, check_args
from stacks.config import ConfigError, parse
from stacks.config.secret_needs import conditional_secrets
from stacks.harness.run import TEST_SECRET_PREFIX, engine_config, stack_config, stack_namespace

PEM_KEY = "agentic-platform:global_traffic.edge.origin_pull_ca_pem"


def _prod(mutate: Callable[[dict[str, Any]], None], secrets: dict[str, str] | None = None) -> ConfigError | None:
    ns, region = stack_namespace("prod", secrets=secrets)
    ns = copy.deepcopy(ns)
    mutate(ns)
    try:
        parse(ns, stack="prod", aws_region=region)
    except ConfigError as exc:
        return exc
    return None


def _messages(err: ConfigError | None, path: str) -> list[str]:
    assert err is not None, "config was accepted"
    return [i.message for i in err.issues if i.path == path]


def _drop_ca(ns: dict[str, Any]) -> None:
    ns["global_traffic"]["edge"].pop("origin_pull_ca_pem")


def test_prod_without_ca_is_refused_with_the_fix() -> None:
    msgs = _messages(_prod(_drop_ca), PEM_KEY)
    assert msgs and "required in prod" in msgs[0]
    assert "generate a CA of your own" in msgs[0] and "origin_pull_certificate" in msgs[0]
    assert "shared origin-pull certificate is not supported" in msgs[0]


def test_ca_that_is_not_pem_or_holds_a_key_is_refused() -> None:
    def set_pem(value: str) -> Callable[[dict[str, Any]], None]:
        def mutate(ns: dict[str, Any]) -> None:
            ns["global_traffic"]["edge"]["origin_pull_ca_pem"] = value
        return mutate
    assert any("not a PEM certificate" in m for m in _messages(_prod(set_pem("hello")), PEM_KEY))
    key = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"
    assert any("private key" in m for m in _messages(_prod(set_pem(key)), PEM_KEY))


def test_ca_without_client_certificate_names_the_secret() -> None:
    err = _prod(lambda ns: None, secrets={"anthropic_api_key": "a", "openai_api_key": "o"})
    for secret in ("origin_pull_certificate", "origin_pull_private_key"):
        msgs = _messages(err, f"agentic-platform:{secret}")
        assert msgs and f"pulumi config set --secret agentic-platform:{secret}" in msgs[0]


def test_client_certificate_without_ca_is_refused() -> None:
    def mutate(ns: dict[str, Any]) -> None:
        _drop_ca(ns)
        ns["environment"] = "staging"  # outside prod the CA is optional, but not next to a certificate
    msgs = _messages(_prod(mutate), PEM_KEY)
    assert any("required with origin_pull_certificate" in m for m in msgs)


def test_prod_stack_file_passes_with_test_secrets() -> None:
    ns, region = stack_namespace("prod")
    assert {"origin_pull_certificate", "origin_pull_private_key"} <= set(ns)
    cfg = parse(ns, stack="prod", aws_region=region)
    assert cfg.global_traffic.edge.origin_pull_ca_pem is not None
    assert "PRIVATE KEY" not in json.dumps(stack_config("prod"))


def test_preview_stands_in_the_origin_pull_secrets_like_declared_ones() -> None:
    raw = stack_config("prod")
    values, secret_keys = engine_config(raw)
    for short in ("origin_pull_certificate", "origin_pull_private_key"):
        assert values[f"agentic-platform:{short}"] == TEST_SECRET_PREFIX + short
        assert f"agentic-platform:{short}" in secret_keys
    assert conditional_secrets({"global_traffic": {"enabled": False, "edge": {"origin_pull_ca_pem": "x"}}}) == []
    dev_values, _ = engine_config(stack_config("dev"))
    assert "agentic-platform:origin_pull_certificate" not in dev_values


def _spec() -> IngressSpec:
    return IngressSpec(hosts=["api.example.com"], certificate_arn="arn:cert",
                       ssl_policy="ELBSecurityPolicy-TLS13-1-2-2021-06", allowed_cidrs=["173.245.48.0/20"])


def test_annotation_runs_verify_with_the_trust_store() -> None:
    arn = "arn:aws:elasticloadbalancing:us-east-1:1:truststore/prod-use1-origin-pull/abc"
    ann = alb_annotations(_spec(), "arn:cert", trust_store_arn=arn)
    assert json.loads(ann[f"{ALB}/mutual-authentication"]) == [
        {"port": 443, "mode": "verify", "trustStore": arn, "ignoreClientCertificateExpiry": False}]
    assert f"{ALB}/mutual-authentication" not in alb_annotations(_spec(), "arn:cert")


def test_trust_store_args_are_checked() -> None:
    good = OriginTrustStoreArgs(region="us-east-1", bucket_name="b", trust_store_name="prod-use1-origin-pull",
                                ca_pem="-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n",
                                kms_key_arn="arn:key")
    check_args(good)
    with pytest.raises(ValueError, match="32 alphanumerics"):
        check_args(OriginTrustStoreArgs(**{**good.__dict__, "trust_store_name": "x" * 33}))
    with pytest.raises(ValueError, match="private key"):
        check_args(OriginTrustStoreArgs(**{**good.__dict__, "ca_pem": good.ca_pem + "-----BEGIN PRIVATE KEY-----"}))


def test_lb_controller_may_describe_trust_stores() -> None:
    """The controller resolves `trustStore` with DescribeTrustStores (covered by Describe*)."""
    doc = lb_controller_policy("c", region="us-east-1", account_id="1", vpc_id="vpc-1")
    actions = [a for st in doc["Statement"]
               for a in ([st["Action"]] if isinstance(st["Action"], str) else st["Action"])]
    assert any(a in ("elasticloadbalancing:DescribeTrustStores", "elasticloadbalancing:Describe*") for a in actions)
