"""`ops smoke` against a small fake API served on 127.0.0.1 (real HTTP, real timeouts)."""

from __future__ import annotations

import contextlib
import io
import json
import sys
import threading
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
import yaml
from moto import mock_aws
from ops_world import client as moto_client

from ops.__main__ import main
from ops.context import Deps
from ops.smoke import CONTRACT, load_contract

KEY = "sk-smoke-test-tenant"


class FakeApi(BaseHTTPRequestHandler):
    """The contract's endpoints; `behaviour` switches one of them to fail or hang."""

    behaviour: ClassVar[dict[str, Any]] = {}
    release: ClassVar[threading.Event] = threading.Event()
    timeout = 5  # a client that connects and never sends cannot hold server_close (threads are joined)
    seen: ClassVar[list[tuple[str, str, str | None]]] = []
    agents: ClassVar[dict[str, dict[str, Any]]] = {}
    polls = 0

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(self, status: int, body: Any = None) -> None:
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _handle(self, method: str) -> None:
        cls = type(self)
        length = int(self.headers.get("Content-Length") or 0)
        body: dict[str, Any] = json.loads(self.rfile.read(length)) if length else {}
        cls.seen.append((method, self.path, self.headers.get("Authorization")))
        if self.path == cls.behaviour.get("hang"):
            cls.release.wait(2)  # set at the fixture's teardown: no handler outlives its test
        if self.path == cls.behaviour.get("fail"):
            return self._send(500, {"error": "database unavailable"})
        if self.path.startswith("/health"):
            return self._send(200, {"status": "ok"})
        if self.headers.get("Authorization") != f"Bearer {KEY}":
            return self._send(401, {"error": "bad key"})
        if (method, self.path) == ("POST", "/api/v1/agents"):
            cls.agents["a1"] = body
            return self._send(201, {"id": "a1", **body})
        if (method, self.path) == ("GET", "/api/v1/agents"):
            return self._send(200, {"items": [{"id": k} for k in cls.agents]})
        if (method, self.path) == ("DELETE", "/api/v1/agents/a1"):
            cls.agents.pop("a1", None)
            return self._send(204)
        if (method, self.path) == ("POST", "/api/v1/agents/a1/runs"):
            return self._send(202, {"id": "r1", "status": "queued"})
        if (method, self.path) == ("GET", "/api/v1/runs/r1"):
            cls.polls += 1
            final = cls.behaviour.get("run_status", "completed")
            return self._send(200, {"id": "r1", "status": final if cls.polls >= 2 else "running"})
        if (method, self.path) == ("POST", "/api/v1/knowledge/query"):
            return self._send(200, {"results": [{"text": "x"}]})
        return self._send(404, {"error": "not found"})

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_DELETE(self) -> None:
        self._handle("DELETE")


class FakeServer(ThreadingHTTPServer):
    """Handler threads are joined at `server_close`, and a client that gave up on a reply (the
    hang test's timeout) is not an error: otherwise the hung handler woke later, wrote into the
    closed socket, and its traceback landed in whatever test the worker was running by then."""

    daemon_threads = False
    block_on_close = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


@contextlib.contextmanager
def serve() -> Iterator[str]:
    """The fake API on a free port; at the end, hung handlers are released and joined."""
    FakeApi.behaviour, FakeApi.seen, FakeApi.agents, FakeApi.polls = {}, [], {}, 0
    FakeApi.release = threading.Event()
    server = FakeServer(("127.0.0.1", 0), FakeApi)
    # shutdown() waits for the loop's next poll: 0.5 s by default, at every test's teardown
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        FakeApi.release.set()
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def api() -> Iterator[str]:
    with serve() as url:
        yield url


def test_a_hung_request_ends_with_its_server_and_prints_nothing(capfd: pytest.CaptureFixture[str]) -> None:
    before = set(threading.enumerate())
    with serve() as url:
        FakeApi.behaviour = {"hang": "/health/live"}
        with pytest.raises(OSError):  # the client's timeout (TimeoutError or URLError)
            urllib.request.urlopen(f"{url}/health/live", timeout=0.2)
    assert set(threading.enumerate()) <= before, "a handler thread outlived its server"
    assert capfd.readouterr().err == ""


@pytest.fixture
def secret() -> Iterator[str]:
    with mock_aws():
        moto_client("secretsmanager", "eu-west-1").create_secret(
            Name="agentic-platform/staging/smoke/api-key", SecretString=json.dumps({"api_key": KEY}))
        yield "agentic-platform/staging/smoke/api-key"


def smoke(url: str, secret: str, *extra: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    deps = Deps(out=out, sleep=lambda s: None)
    import contextlib

    with contextlib.redirect_stderr(err):
        code = main(["smoke", "--url", url, "--api-key-secret", secret, "--region", "eu-west-1", *extra], deps)
    return code, out.getvalue(), err.getvalue()


def test_every_step_passes_with_the_key_from_secrets_manager(api: str, secret: str):
    code, out, err = smoke(api, secret)
    assert code == 0, err
    names = [line.split()[1] for line in out.splitlines() if line.startswith("ok")]
    assert names == [s.name for s in load_contract().steps]
    assert all(line.rstrip().endswith("ms") for line in out.splitlines() if line.startswith("ok"))
    authed = [a for m, p, a in FakeApi.seen if p.startswith("/api/")]
    assert authed and set(authed) == {f"Bearer {KEY}"}
    assert FakeApi.agents == {}  # the agent the run created was deleted
    assert FakeApi.polls == 2  # polled until the task completed


def test_a_failing_step_stops_the_run_names_the_step_and_still_cleans_up(api: str, secret: str):
    FakeApi.behaviour = {"fail": "/api/v1/knowledge/query"}
    code, _out, err = smoke(api, secret)
    assert code == 1
    assert "step 'query-knowledge-base' failed: HTTP 500, expected 200" in err
    assert "database unavailable" in err
    assert not any(p == "/api/v1/agents" and m == "GET" for m, p, _ in FakeApi.seen)  # list-agents skipped
    assert ("DELETE", "/api/v1/agents/a1", f"Bearer {KEY}") in FakeApi.seen


def test_a_hung_endpoint_fails_on_the_request_timeout(api: str, secret: str, tmp_path: Path):
    contract = yaml.safe_load(CONTRACT.read_text())
    contract["timeout_seconds"] = 0.5
    path = tmp_path / "contract.yaml"
    path.write_text(yaml.safe_dump(contract))
    FakeApi.behaviour = {"hang": "/health/live"}
    code, out, err = smoke(api, secret, "--contract", str(path))
    assert code == 1
    assert "step 'health-live' failed" in err and "timed out after 0.5 s" in err
    assert "ok    health " in out and "create-agent" not in out


def test_a_task_that_fails_is_reported_with_its_state(api: str, secret: str):
    FakeApi.behaviour = {"run_status": "failed"}
    code, _, err = smoke(api, secret)
    assert code == 1 and "step 'task-completes' failed: `status` is 'failed'" in err


def test_an_unreachable_api_fails_on_the_first_step(secret: str):
    code, _, err = smoke("http://127.0.0.1:9", secret)
    assert code == 1 and "step 'health' failed" in err


def test_bad_url_and_missing_secret_are_bad_input(api: str):
    code, _, err = smoke("api.example.com", "x")
    assert code == 2 and "--url must be an http(s) URL" in err
    with mock_aws():
        code, _, err = smoke(api, "agentic-platform/staging/smoke/api-key")
    assert code == 4 and "ResourceNotFoundException" in err


def test_a_broken_contract_names_the_field(tmp_path: Path, api: str, secret: str):
    path = tmp_path / "c.yaml"
    path.write_text("version: 1\ntimeout_seconds: 5\ntotal_timeout_seconds: 10\nsteps:\n"
                    "  - {name: x, method: FETCH, path: /health}\n")
    code, _, err = smoke(api, secret, "--contract", str(path))
    assert code == 2 and "steps.0.method" in err
