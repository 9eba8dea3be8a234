"""`python -m ops smoke`: the deployment guide's post-deploy smoke test against a live API.

The steps (health endpoints, create an agent, run a simple task, query the knowledge base, list
resources) live in `ops/smoke_contract.yaml` so the API's contract is reviewed in one place. Each
step is timed; the run stops at the first failure and names the step, so a deploy pipeline shows
what broke without reading logs. Every request and the whole run are bounded by timeouts: a hung
API fails the pipeline instead of blocking it.
"""

from __future__ import annotations

import json
import re
import secrets
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ops.context import Deps
from ops.errors import BadInput, OperationFailed

CONTRACT = Path(__file__).with_name("smoke_contract.yaml")
_VAR = re.compile(r"\{([a-z_]+)\}")


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Poll(_Strict):
    field: str
    until: tuple[str, ...]
    fail_on: tuple[str, ...] = ()
    interval_seconds: float = Field(default=2, gt=0, le=60)
    timeout_seconds: float = Field(default=60, gt=0, le=900)


class Step(_Strict):
    name: str
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"]
    path: str = Field(pattern=r"^/")
    auth: bool = True
    json_body: Any = Field(default=None, alias="json")
    expect_status: tuple[int, ...] = (200,)
    capture: dict[str, str] = Field(default_factory=dict)
    expect_list: bool = False
    poll: Poll | None = None
    cleanup: bool = False


class Contract(_Strict):
    version: Literal[1]
    timeout_seconds: float = Field(gt=0, le=120)
    total_timeout_seconds: float = Field(gt=0, le=3600)
    steps: tuple[Step, ...] = Field(min_length=1)


def load_contract(path: Path = CONTRACT) -> Contract:
    try:
        raw = yaml.safe_load(path.read_text())
        return Contract.model_validate(raw)
    except OSError as exc:
        raise BadInput(f"cannot read the smoke contract {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise BadInput(f"smoke contract {path} is not valid YAML: {exc}") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise BadInput(f"smoke contract {path}: {where}: {first['msg']}") from None


@dataclass(frozen=True)
class Response:
    status: int
    body: str


Send = Callable[[str, str, Mapping[str, str], bytes | None, float], Response]


def urllib_send(method: str, url: str, headers: Mapping[str, str], body: bytes | None, timeout: float) -> Response:
    """One HTTP request; a timeout raises TimeoutError, a refused connection OSError."""
    req = urllib.request.Request(url, data=body, method=method, headers=dict(headers))
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return Response(resp.status, resp.read(65536).decode("utf-8", "replace"))
    except urllib.error.HTTPError as exc:
        return Response(exc.code, exc.read(65536).decode("utf-8", "replace"))
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, socket.timeout | TimeoutError):
            raise TimeoutError(str(exc.reason)) from None
        raise OSError(str(exc.reason)) from None


def read_api_key(deps: Deps, secret_id: str, region: str) -> str:
    """The test tenant's API key: a plain secret string or JSON with an `api_key` field."""
    value = deps.clients("secretsmanager", region).get_secret_value(SecretId=secret_id).get("SecretString", "")
    try:
        parsed = json.loads(value)
    except ValueError:
        parsed = value
    key = parsed.get("api_key") if isinstance(parsed, dict) else parsed
    if not isinstance(key, str) or not key.strip():
        raise BadInput(f"secret {secret_id} in {region} holds no API key (a string, or JSON with `api_key`)")
    return key.strip()


def _fill(value: Any, variables: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        def sub(m: re.Match[str]) -> str:
            if m.group(1) not in variables:
                raise OperationFailed(f"needs `{m.group(1)}`, which no earlier step captured")
            return variables[m.group(1)]
        return _VAR.sub(sub, value)
    if isinstance(value, dict):
        return {k: _fill(v, variables) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, variables) for v in value]
    return value


class Runner:
    def __init__(self, contract: Contract, base_url: str, api_key: str, deps: Deps, send: Send):
        self.contract, self.base, self.api_key = contract, base_url.rstrip("/"), api_key
        self.deps, self.send = deps, send
        self.vars: dict[str, str] = {"run": secrets.token_hex(4)}
        self.deadline = deps.clock() + contract.total_timeout_seconds

    def _request(self, step: Step) -> Response:
        remaining = self.deadline - self.deps.clock()
        if remaining <= 0:
            raise OperationFailed(f"the run exceeded total_timeout_seconds "
                                  f"({self.contract.total_timeout_seconds:g} s)")
        headers = {"Accept": "application/json", "User-Agent": "agentic-platform-smoke/1"}
        if step.auth:
            headers["Authorization"] = f"Bearer {self.api_key}"
        body = None
        if step.json_body is not None:
            headers["Content-Type"] = "application/json"
            body = json.dumps(_fill(step.json_body, self.vars)).encode()
        timeout = min(self.contract.timeout_seconds, remaining)
        url = self.base + _fill(step.path, self.vars)
        try:
            return self.send(step.method, url, headers, body, timeout)
        except TimeoutError:
            raise OperationFailed(f"{step.method} {url} timed out after {timeout:g} s") from None
        except OSError as exc:
            raise OperationFailed(f"{step.method} {url} failed: {exc}") from None

    def _check(self, step: Step, resp: Response) -> Any:
        if resp.status not in step.expect_status:
            raise OperationFailed(f"HTTP {resp.status}, expected {'/'.join(map(str, step.expect_status))}: "
                                  f"{' '.join(resp.body[:200].split())}")
        if not (step.capture or step.expect_list or step.poll):
            return None
        try:
            data = json.loads(resp.body)
        except ValueError:
            raise OperationFailed(f"response is not JSON: {resp.body[:120]!r}") from None
        if step.expect_list:
            items = data.get("items") if isinstance(data, dict) else data
            if not isinstance(items, list):
                raise OperationFailed("expected a JSON list (or an object with an `items` list)")
        for var, fld in step.capture.items():
            value = data.get(fld) if isinstance(data, dict) else None
            if value in (None, ""):
                raise OperationFailed(f"response has no `{fld}` to capture as `{var}`")
            self.vars[var] = str(value)
        return data

    def _poll(self, step: Step, poll: Poll) -> None:
        limit = self.deps.clock() + poll.timeout_seconds
        while True:
            data = self._check(step, self._request(step))
            state = str(data.get(poll.field)) if isinstance(data, dict) else None
            if state in poll.until:
                return
            if state in poll.fail_on:
                raise OperationFailed(f"`{poll.field}` is '{state}'")
            if self.deps.clock() + poll.interval_seconds > limit:
                raise OperationFailed(f"`{poll.field}` still '{state}' after {poll.timeout_seconds:g} s "
                                      f"(waiting for {'/'.join(poll.until)})")
            self.deps.sleep(poll.interval_seconds)

    def step(self, step: Step) -> float:
        start = time.perf_counter()
        if step.poll is not None:
            self._poll(step, step.poll)
        else:
            self._check(step, self._request(step))
        return time.perf_counter() - start

    def run(self) -> int:
        failure: tuple[str, str] | None = None
        for step in self.contract.steps:
            if failure is not None and not step.cleanup:
                continue
            if step.cleanup and any(v not in self.vars for v in _VAR.findall(step.path)):
                continue  # nothing was created for this cleanup to remove
            try:
                seconds = self.step(step)
                self.deps.say(f"ok    {step.name:<24} {seconds * 1000:8.0f} ms")
            except OperationFailed as exc:
                self.deps.say(f"FAIL  {step.name:<24} {exc.message}")
                if failure is None:
                    failure = (step.name, exc.message)
        if failure is not None:
            raise OperationFailed(f"step '{failure[0]}' failed: {failure[1]}")
        self.deps.say(f"smoke test passed: {len(self.contract.steps)} steps against {self.base}")
        return 0


def run(deps: Deps, *, url: str, api_key_secret: str | None, region: str, contract_path: Path | None = None,
        api_key: str | None = None, send: Send = urllib_send) -> int:
    if not re.match(r"^https?://[^/\s]+", url):
        raise BadInput(f"--url must be an http(s) URL such as https://api.example.com (got {url!r})")
    contract = load_contract(contract_path or CONTRACT)
    needs_key = any(s.auth for s in contract.steps)
    if needs_key and api_key is None:
        if not api_key_secret:
            raise BadInput("--api-key-secret is required: the Secrets Manager name of the test tenant's API key")
        api_key = read_api_key(deps, api_key_secret, region)
    return Runner(contract, url, api_key or "", deps, send).run()
