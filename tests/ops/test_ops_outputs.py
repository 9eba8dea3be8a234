"""Stack outputs: parsed into the contract, or refused with the missing key's full path."""

from __future__ import annotations

import io
import json

import pytest
from ops_world import make_deps, run_cli, sample_outputs, stdin_deps, write_outputs

from ops.errors import BadInput, MissingOutput
from ops.outputs import load_outputs, parse_outputs


def test_sample_outputs_parse_into_the_contract():
    out = parse_outputs(sample_outputs())
    assert out.environment == "prod" and out.protected
    eu = out.domain("eu")
    assert eu.regions == ("eu-west-1", "eu-central-1")
    assert out.tenant("hanse-eu").stores.database is not None
    assert out.hostnames["api.eu.agentic.example.com"].pools[1].region == "eu-central-1"
    assert out.kms_key(eu, "eu-central-1", "rds").endswith("key/database-euc1")
    assert out.detection_seconds == 30


def test_preview_plan_json_is_accepted():
    """`python -m stacks preview prod --json plan.json` wraps the same outputs under `outputs`."""
    assert parse_outputs({"outputs": sample_outputs(), "resources": []}).environment == "prod"


@pytest.mark.parametrize(("path", "message"), [
    (("data_domains", "eu", "primary"), "missing key `data_domains.eu.primary`"),
    (("tenants", "hanse-eu", "stores"), "missing key `tenants.hanse-eu.stores`"),
    (("hostnames", "api.eu.agentic.example.com", "load_balancer_id"),
     "missing key `hostnames.api.eu.agentic.example.com.load_balancer_id`"),
    (("regional",), "missing key `regional`"),
])
def test_missing_key_is_named(path, message):
    data = sample_outputs()
    node = data
    for key in path[:-1]:
        node = node[key]
    del node[path[-1]]
    with pytest.raises(MissingOutput, match=message.replace(".", r"\.").replace("`", "`")):
        parse_outputs(data)


def test_wrong_types_are_named():
    data = sample_outputs()
    data["data_domains"]["eu"]["replicas"] = "eu-central-1"
    with pytest.raises(MissingOutput, match=r"`data_domains\.eu\.replicas` must be a list of strings"):
        parse_outputs(data)


def test_unknown_domain_and_tenant_list_the_known_ones():
    out = parse_outputs(sample_outputs())
    with pytest.raises(BadInput, match=r"unknown data domain 'us' \(stack outputs have: eu, global\)"):
        out.domain("us")
    with pytest.raises(BadInput, match="unknown tenant 'nope'"):
        out.tenant("nope")


def test_missing_kms_key_is_named():
    data = sample_outputs()
    data["data_domains"]["eu"]["kms_keys"]["eu-central-1"] = {"logs": "a", "secrets": "b"}
    data["regional"]["eu-central-1"]["kms_keys"] = {}
    out = parse_outputs(data)
    with pytest.raises(MissingOutput, match=r"no KMS key for rds in eu-central-1 under `data_domains\.eu\.kms_keys"):
        out.kms_key(out.domain("eu"), "eu-central-1", "rds")


def test_load_from_file_and_stdin(tmp_path):
    path = write_outputs(tmp_path, sample_outputs())
    assert load_outputs(path).default_region == "us-east-1"
    assert load_outputs("-", io.StringIO(json.dumps(sample_outputs()))).regions[-1] == "eu-central-1"


@pytest.mark.parametrize(("text", "message"), [
    ("", "are empty"),
    ("{not json", "are not JSON"),
    ("[]", "`<root>` must be an object"),
])
def test_cli_bad_outputs_end_with_one_line(capsys, text, message):
    deps = make_deps()
    deps.stdin = io.StringIO(text)
    res = run_cli(capsys, ["verify", "--outputs", "-"], deps)
    assert res.code == 2
    assert message in res.err
    assert len(res.err.strip().splitlines()) == 1 and "Traceback" not in res.err
    assert res.out == ""


def test_cli_missing_file(capsys, tmp_path):
    res = run_cli(capsys, ["failover", "--outputs", str(tmp_path / "nope.json"), "--domain", "eu",
                           "--to", "eu-central-1"])
    assert res.code == 2
    assert res.err.strip() == (f"ops failover: stack outputs file not found: {tmp_path / 'nope.json'}"
                               f" (write it with `pulumi stack output --json > {tmp_path / 'nope.json'}`)")


def test_cli_missing_output_key(capsys):
    data = sample_outputs()
    del data["data_domains"]["eu"]["clusters"]
    res = run_cli(capsys, ["restore-drill", "--outputs", "-", "--domain", "eu"], stdin_deps(data))
    assert res.code == 2
    assert "missing key `data_domains.eu.clusters`" in res.err and "Traceback" not in res.err


def test_cli_usage_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as exc:
        run_cli(capsys, ["failover", "--outputs", "x.json"])
    assert exc.value.code == 2
    assert "--domain" in capsys.readouterr().err
