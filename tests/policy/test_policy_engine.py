"""The pack as the engine drives it: the real `__main__.py` over gRPC, and the SDK's analyzer servicer.

`pulumi preview --policy-pack policy` starts `policy/__main__.py`, which serves the Analyzer gRPC
API; here the same process is started with PULUMI_STACK set and called with the requests the
engine sends (GetAnalyzerInfo, Configure, Analyze, AnalyzeStack).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import grpc
import pytest
import yaml
from google.protobuf import empty_pb2, struct_pb2
from policy_helpers import rargs, sres
from pulumi.runtime import proto
from pulumi.runtime.proto import analyzer_pb2_grpc
from pulumi_policy import EnforcementLevel, ResourceValidationPolicy
from pulumi_policy.policy import _PolicyAnalyzerServicer  # pyright: ignore[reportPrivateUsage]

from policy.agentic_policies.config import CATEGORIES, Settings, SettingsError, load_stack_settings
from policy.agentic_policies.props import plain
from policy.agentic_policies.registry import POLICIES, initial_config, level_name
from policy.agentic_policies.runner import ResourceInput, run_pack
from policy.agentic_policies.spec import Meta

ROOT = Path(__file__).resolve().parents[2]
STACKS = ["local", "dev", "staging", "prod"]


def struct(values: dict[str, Any]) -> struct_pb2.Struct:
    s = struct_pb2.Struct()
    s.update(values)
    return s


@pytest.fixture(scope="module")
def pack_server() -> Any:
    """The real pack process for prod, as the CLI starts it; yields an Analyzer stub."""
    env = {**os.environ, "PULUMI_STACK": "prod", "PULUMI_PROJECT": "agentic-platform"}
    proc = subprocess.Popen([sys.executable, "-u", str(ROOT / "policy" / "__main__.py")], cwd=ROOT / "policy",
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        port = proc.stdout.readline().strip()
        assert port.isdigit(), f"the pack did not print its port: {port!r} {proc.stderr.read() if proc.stderr else ''}"
        channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        yield analyzer_pb2_grpc.AnalyzerStub(channel)
        channel.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_pack_boots_and_describes_its_policies_with_prod_levels(pack_server: Any) -> None:
    info = pack_server.GetAnalyzerInfo(empty_pb2.Empty())
    assert info.name == "agentic-platform-guardrails"
    assert info.supportsConfig
    assert len(info.policies) == len(POLICIES) >= 40
    prod = load_stack_settings("prod")
    for p in POLICIES:
        cfg = info.initialConfig[p.name]
        want = {"mandatory": proto.MANDATORY, "advisory": proto.ADVISORY, "disabled": proto.DISABLED}[
            level_name(p, prod)]
        assert cfg.enforcementLevel == want, p.name
        assert dict(cfg.properties)["stack"] == "prod"


def test_pack_over_grpc_flags_an_eu_bucket_in_the_us(pack_server: Any) -> None:
    prod = load_stack_settings("prod")
    pack_server.Configure(proto.ConfigureAnalyzerRequest(policyConfig={
        "residency-tagged-resource-in-residency": proto.PolicyConfig(enforcementLevel=proto.MANDATORY,
                                                                     properties=struct(prod.to_config()))}))
    request = proto.AnalyzeRequest(
        type="aws:s3/bucket:Bucket", urn="urn:pulumi:prod::agentic-platform::aws:s3/bucket:Bucket::eu-data",
        name="eu-data", properties=struct({"region": "us-east-1", "tags": {"data-residency": "eu"}}),
        provider=proto.AnalyzerProviderResource(
            type="pulumi:providers:aws", urn="urn:pulumi:prod::agentic-platform::pulumi:providers:aws::aws-prod",
            name="aws-prod", properties=struct({"region": "us-east-1", "defaultTags": json.dumps({"tags": {
                "environment": "prod", "project": "p", "managed-by": "pulumi", "cost-center": "cc"}})})))
    response = pack_server.Analyze(request)
    hits = [d for d in response.diagnostics if d.policyName == "residency-tagged-resource-in-residency"]
    assert hits and hits[0].enforcementLevel == proto.MANDATORY
    assert "placed in us-east-1" in hits[0].message
    # the same resource in the EU passes
    request.properties.CopyFrom(struct({"region": "eu-west-1", "tags": {"data-residency": "eu"}}))
    ok = pack_server.Analyze(request)
    assert not [d for d in ok.diagnostics if d.policyName == "residency-tagged-resource-in-residency"]


def test_servicer_stack_analysis_follows_property_dependencies() -> None:
    """AnalyzeStack with unknown ARNs (preview) still finds an Aurora Global member outside the EU."""
    settings = load_stack_settings("prod")
    servicer = _PolicyAnalyzerServicer("agentic-platform-guardrails", "0.1.0", list(POLICIES),
                                       EnforcementLevel.MANDATORY, initial_config(settings))
    servicer.Configure(proto.ConfigureAnalyzerRequest(policyConfig={
        p.name: proto.PolicyConfig(enforcementLevel=proto.MANDATORY, properties=struct(settings.to_config()))
        for p in POLICIES}), None)
    gc_urn = "urn:pulumi:prod::agentic-platform::aws:rds/globalCluster:GlobalCluster::eu"
    unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
    resources = [
        proto.AnalyzerResource(type="aws:rds/globalCluster:GlobalCluster", urn=gc_urn, name="eu",
                               properties=struct({"tags": {"data-residency": "eu"}, "region": "eu-west-1"})),
        proto.AnalyzerResource(type="aws:rds/cluster:Cluster", urn=gc_urn.replace("globalCluster:GlobalCluster::eu",
                                                                                   "cluster:Cluster::eu-us"),
                               name="eu-us", properties=struct({"globalClusterIdentifier": unknown,
                                                                "region": "us-east-1"}),
                               propertyDependencies={"globalClusterIdentifier": proto.AnalyzerPropertyDependencies(
                                   urns=[gc_urn])}),
    ]
    response = servicer.AnalyzeStack(proto.AnalyzeStackRequest(resources=resources), None)
    hits = [d for d in response.diagnostics if d.policyName == "residency-aurora-global-members"]
    assert hits and hits[0].urn.endswith("::eu-us") and hits[0].enforcementLevel == proto.MANDATORY


def test_in_process_runner_agrees_with_the_servicer() -> None:
    """The offline preview's runner reports what the SDK's Analyze reports, at the same levels."""
    settings = load_stack_settings("dev")
    props = {"storageEncrypted": False, "engine": "aurora-postgresql", "region": "us-east-1"}
    args = rargs("aws:rds/cluster:Cluster", props, settings=settings)
    assert args.provider is not None
    ours = run_pack([ResourceInput(args.resource_type, args.props, args.urn, args.name, args.opts, args.provider)], [],
                    settings)
    servicer = _PolicyAnalyzerServicer("agentic-platform-guardrails", "0.1.0", list(POLICIES),
                                       EnforcementLevel.MANDATORY, initial_config(settings))
    servicer.Configure(proto.ConfigureAnalyzerRequest(policyConfig={
        p.name: proto.PolicyConfig(enforcementLevel={"mandatory": proto.MANDATORY, "advisory": proto.ADVISORY,
                                                     "disabled": proto.DISABLED}[level_name(p, settings)],
                                   properties=struct(settings.to_config())) for p in POLICIES}), None)
    response = servicer.Analyze(proto.AnalyzeRequest(
        type=args.resource_type, urn=args.urn, name=args.name, properties=struct(props),
        provider=proto.AnalyzerProviderResource(type="pulumi:providers:aws", urn="urn:p", name="aws-dev",
                                                properties=struct(plain(args.provider.props)))), None)
    level = {proto.MANDATORY: "mandatory", proto.ADVISORY: "advisory"}
    theirs = sorted((d.policyName, level[d.enforcementLevel], d.message) for d in response.diagnostics)
    assert theirs == sorted((v.policy, v.level, v.engine_message) for v in ours.violations)
    assert ("rds-cluster-deletion-protection", "advisory") in {(n, lv) for n, lv, _ in theirs}  # dev: advisory


def test_unknown_value_downgrades_to_advisory_like_the_engine() -> None:
    from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

    def touch(args: Any, report: Any) -> None:
        if args.props["engine"] == "x":  # touching an unknown raises UnknownValueError
            report("never")

    policy = ResourceValidationPolicy("touches-unknown", "reads engine", touch)
    policy.meta = Meta("touches-unknown", "iam", "reads engine")  # type: ignore[attr-defined]
    args = rargs("aws:rds/cluster:Cluster", {"engine": UNKNOWN_STRING_VALUE})
    result = run_pack([ResourceInput(args.resource_type, args.props, args.urn, args.name, args.opts, args.provider)],
                      [], load_stack_settings("prod"), policies=[policy])  # type: ignore[list-item]
    assert [(v.level, "during preview" in v.message) for v in result.violations] == [("advisory", True)]


# --- metadata, config files -------------------------------------------------------------------------

CHECKOV = re.compile(r"^CKV2?_(AWS|K8S)_\d+$")
SECURITY_HUB = re.compile(r"^[A-Za-z0-9]+\.\d+$")


def test_at_least_forty_policies_each_described_with_its_counterparts() -> None:
    assert len(POLICIES) >= 40
    for p in POLICIES:
        m = p.meta
        assert m.category in CATEGORIES, p.name
        assert len(m.description) > 20, p.name
        assert all(CHECKOV.match(c) for c in m.checkov), (p.name, m.checkov)
        assert all(SECURITY_HUB.match(c) for c in m.security_hub), (p.name, m.security_hub)
        assert m.counterparts in p.description
    with_counterpart = [p for p in POLICIES if p.meta.checkov or p.meta.security_hub]
    assert len(with_counterpart) >= 60


def _stack_yaml(stack: str) -> dict[str, Any]:
    return (yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text()) or {})["config"]


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_policy_config_matches_the_stack_file(stack: str) -> None:
    cfg = _stack_yaml(stack)
    settings = load_stack_settings(stack)
    assert list(settings.regions) == [r["name"] for r in cfg["agentic-platform:regions"]]
    assert settings.default_region == cfg["aws:region"]
    domains = {d["residency"]: [d["primary"], *d.get("replicas", [])] for d in cfg["agentic-platform:data_domains"]
               if d["residency"] != "none"}
    assert {k: sorted(v) for k, v in settings.residencies.items()} == {k: sorted(v) for k, v in domains.items()}
    eu_host = (cfg.get("agentic-platform:global_traffic") or {}).get("eu_hostname")
    if eu_host:
        assert eu_host in settings.residency_hostnames["eu"]
    db = cfg["agentic-platform:database"]
    assert settings.min_backup_retention_days <= db["backup_retention_days"]


@pytest.mark.parametrize("stack", STACKS)
def test_enforcement_per_stack(stack: str) -> None:
    s = load_stack_settings(stack)
    assert s.level("aws-resource-region-allowed", "residency") == "mandatory"
    expected = "advisory" if stack in ("dev", "local") else "mandatory"
    for category in ("network", "backups", "deletion-protection"):
        assert s.level("x", category) == expected, (stack, category)
    if stack != "local":
        assert s.level("x", "encryption-at-rest") == "mandatory"


def test_settings_errors_name_the_key() -> None:
    base = json.loads((ROOT / "policy" / "config" / "prod.json").read_text())
    with pytest.raises(SettingsError, match="'regions' is required"):
        Settings.from_mapping({k: v for k, v in base.items() if k != "regions"})
    with pytest.raises(SettingsError, match=r"'residencies.eu' lists us-west-2"):
        Settings.from_mapping({**base, "residencies": {"eu": ["us-west-2"]}})
    with pytest.raises(SettingsError, match=r"'enforcement.network' must be one of"):
        Settings.from_mapping({**base, "enforcement": {"network": "blocking"}})
    with pytest.raises(SettingsError, match=r"'exemptions\[0\]' needs"):
        Settings.from_mapping({**base, "exemptions": [{"policy": "x", "resource": "y"}]})


def test_stack_resource_props_are_proxies_like_the_engine() -> None:
    r = sres("aws:s3/bucket:Bucket", {"tags": {"a": "b"}}, "b")
    assert not isinstance(r.props["tags"], dict)  # pitfall 2: the engine hands proxies, not dicts


def test_docs_list_every_policy_with_its_levels() -> None:
    text = (ROOT / "docs" / "policy.md").read_text()
    stacks = {s: load_stack_settings(s) for s in STACKS}
    short = {"mandatory": "M", "advisory": "A", "disabled": "-"}
    for p in POLICIES:
        row = next((line for line in text.splitlines() if line.startswith(f"| `{p.name}` |")), None)
        assert row, f"docs/policy.md does not list {p.name}"
        assert row.rstrip().endswith("/".join(short[level_name(p, stacks[s])] for s in STACKS) + " |"), p.name


def test_settings_follow_each_config_even_when_the_caller_changes_it_in_place() -> None:
    """`settings_from` answers a repeated config from its last-seen copy: a different config, or the
    same dict changed in place after the call, must still give that config's settings."""
    from policy.agentic_policies.config import CONFIG_DIR, settings_from

    prod = json.loads((CONFIG_DIR / "prod.json").read_text())
    dev = json.loads((CONFIG_DIR / "dev.json").read_text())
    assert settings_from(prod).stack == "prod"
    assert settings_from(dev).stack == "dev"
    assert settings_from(prod).stack == "prod"
    prod["minBackupRetentionDays"] += 5
    assert settings_from(prod).min_backup_retention_days == prod["minBackupRetentionDays"]
    prod["regions"].append("sa-east-1")  # nested, in place
    assert "sa-east-1" in settings_from(prod).regions
