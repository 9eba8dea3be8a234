"""The small pieces under the commands: error translation, paging, HTTP, the hook runner, timings."""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from ops.aws import Clients
from ops.cloudflare import urllib_transport
from ops.context import subprocess_hook, urllib_get
from ops.errors import AwsFailure, BadInput, MissingPermission, describe_resource, iam_action, translate
from ops.report import Timings, table


def client_error(code: str, op: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "nope"}}, op)


@pytest.mark.parametrize(("service", "op", "action"), [
    ("s3", "GetBucketReplication", "s3:GetReplicationConfiguration"),
    ("s3", "ListObjectsV2", "s3:ListBucket"),
    ("rds", "FailoverGlobalCluster", "rds:FailoverGlobalCluster"),
    ("kms", "DescribeKey", "kms:DescribeKey"),
])
def test_iam_action_names(service, op, action):
    assert iam_action(service, op) == action


def test_translate_access_denied_and_other_errors():
    denied = translate(client_error("AccessDeniedException", "DescribeKey"), "kms", {"KeyId": "k1"}, "eu-west-1")
    assert isinstance(denied, MissingPermission)
    assert denied.message == "missing permission kms:DescribeKey for k1 in eu-west-1"
    other = translate(client_error("Throttling", "DescribeDBClusters"), "rds", {}, "us-east-1")
    assert isinstance(other, AwsFailure) and other.code == "Throttling"
    assert other.message == "rds DescribeDBClusters failed for us-east-1: Throttling: nope"
    assert describe_resource({"DBInstanceIdentifier": "i", "DBClusterIdentifier": "c"}, None) == "i"


def test_pages_translate_errors_raised_while_iterating():
    raw = boto3.client("elasticache", region_name="eu-west-1")
    stub = Stubber(raw)
    stub.add_response("describe_replication_groups", {"ReplicationGroups": [{"ReplicationGroupId": "a"}],
                                                      "Marker": "m"})
    stub.add_client_error("describe_replication_groups", service_error_code="AccessDenied", http_status_code=403)
    pages = Clients(overrides={("elasticache", "eu-west-1"): raw})("elasticache", "eu-west-1")
    with stub:
        iterator = pages.pages("describe_replication_groups")
        assert next(iterator)["ReplicationGroups"][0]["ReplicationGroupId"] == "a"
        with pytest.raises(MissingPermission, match="missing permission elasticache:DescribeReplicationGroups"
                                                    " for eu-west-1"):
            next(iterator)


class _Handler(BaseHTTPRequestHandler):
    def _reply(self) -> None:
        status = 503 if self.path.endswith("/ready") else 200
        body = json.dumps({"success": status == 200, "path": self.path, "method": self.command}).encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_PATCH = _reply

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = HTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_urllib_get_reports_status_and_unreachable(server):
    assert urllib_get(f"{server}/health", 5)[0] == 200
    assert urllib_get(f"{server}/health/ready", 5)[0] == 503
    status, reason = urllib_get("http://127.0.0.1:9/health", 2)
    assert status == 0 and reason


def test_urllib_transport_returns_error_bodies(server):
    status, body = urllib_transport("PATCH", f"{server}/zones/z/load_balancers/lb", {}, b"{}")
    assert status == 200 and json.loads(body)["method"] == "PATCH"
    status, body = urllib_transport("GET", f"{server}/x/ready", {}, None)
    assert status == 503 and json.loads(body)["success"] is False


def test_hook_runner_passes_env_and_exit_code():
    check = "import os, sys; sys.exit(0 if os.environ['DRILL_PORT'] == '5432' else 5)"
    code = subprocess_hook(f'{sys.executable} -c "{check}"', {"DRILL_PORT": "5432"})
    assert code == 0
    assert subprocess_hook(f"{sys.executable} -c \"raise SystemExit(7)\"", {}) == 7
    with pytest.raises(BadInput, match="command not found: /no/such/check"):
        subprocess_hook("/no/such/check --flag", {})
    with pytest.raises(BadInput, match="cannot be parsed"):
        subprocess_hook("psql -c 'unterminated", {})


def test_timings_and_table():
    ticks = iter([0.0, 2.0, 2.0, 7.5])
    t = Timings(clock=lambda: next(ticks))
    with t.step("a"):
        pass
    with t.step("b"):
        pass
    assert t.steps == [("a", 2.0), ("b", 5.5)] and t.total == 7.5
    assert table(("x", "long header"), [("1", None)]).splitlines() == ["x  long header", "-  -----------", "1"]


def test_no_credentials_is_one_line(monkeypatch, capsys, tmp_path):
    from ops_world import run_cli, sample_outputs, stdin_deps

    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    deps = stdin_deps(sample_outputs(), clients=Clients(session=boto3.Session()))
    res = run_cli(capsys, ["failover", "--outputs", "-", "--domain", "eu", "--to", "eu-central-1"], deps)
    assert res.code == 3
    assert res.err.strip() == "ops failover: no AWS credentials found (set AWS_PROFILE or run `aws sso login`)"
