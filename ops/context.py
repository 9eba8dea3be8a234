"""What commands need from the outside world, in one injectable place (clients, clock, I/O)."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TextIO

from ops.aws import Clients
from ops.cloudflare import Transport
from ops.errors import BadInput, OperationFailed


def urllib_get(url: str, timeout: float) -> tuple[int, str]:
    """GET returning (status, body); connection errors give status 0 and the reason."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read(2048).decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(2048).decode("utf-8", "replace")
    except (urllib.error.URLError, OSError) as exc:
        return 0, str(getattr(exc, "reason", exc))


def subprocess_hook(command: str, env: Mapping[str, str]) -> int:
    """Run the check hook without a shell; the drill endpoint arrives in its environment."""
    try:
        argv = shlex.split(command)
    except ValueError as exc:
        raise BadInput(f"--check-hook cannot be parsed: {exc}") from None
    if not argv:
        raise BadInput("--check-hook is empty")
    try:
        return subprocess.run(argv, env={**os.environ, **env}, check=False, timeout=1800).returncode
    except FileNotFoundError:
        raise BadInput(f"--check-hook command not found: {argv[0]}") from None
    except subprocess.TimeoutExpired:
        raise OperationFailed(f"--check-hook did not finish within 30 minutes: {command}") from None


@dataclass
class Deps:
    clients: Clients = field(default_factory=Clients)
    out: TextIO = field(default_factory=lambda: sys.stdout)
    stdin: TextIO | None = None
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    http_get: Callable[[str, float], tuple[int, str]] = urllib_get
    cloudflare_transport: Transport | None = None
    run_hook: Callable[[str, Mapping[str, str]], int] = subprocess_hook
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    now: Callable[[], datetime] = field(default_factory=lambda: (lambda: datetime.now(UTC)))
    poll_seconds: float = 15.0
    timeout_seconds: float = 3600.0

    def say(self, line: str) -> None:
        print(line, file=self.out, flush=True)

    def wait_for(self, what: str, probe: Callable[[], Any], timeout: float | None = None) -> Any:
        """Poll `probe` until it returns a truthy value; a timeout is an OperationFailed."""
        limit = self.timeout_seconds if timeout is None else timeout
        start = self.clock()
        while True:
            result = probe()
            if result:
                return result
            if self.clock() - start >= limit:
                raise OperationFailed(f"timed out after {limit:.0f} s waiting for {what}")
            self.sleep(self.poll_seconds)
