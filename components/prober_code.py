"""The PrimaryReachable prober: this file is the Lambda's `index.py`, shipped verbatim.

It runs in the standby region once a minute and, every `PROBE_PERIOD_SECONDS` for the rest of
the minute, asks the primary region's Aurora writer endpoint (across the VPC peering) for a
PostgreSQL SSLRequest answer, then publishes one high-resolution datapoint (1 = answered, 0 = not)
right away, so the trigger alarm sees each period within seconds.

Why the writer endpoint and not the primary cell's ALB: the plan fails over the *writer*, so the
question it must answer is "can the domain still write in the primary region?". The writer
endpoint resolves (Route 53) to the current writer instance, so an answer proves DNS, the peering
path, the primary VPC, the writer's host and its postmaster at once. The SSLRequest (8 bytes,
answered `S` or `N` by the postmaster before any authentication) needs no credentials and
touches no data, where a bare TCP accept could come from a hung server's listen backlog. The ALB
admits only Cloudflare's ranges, and Cloudflare's own monitors already steer traffic.

Standard library and boto3 only (both in the Lambda Python runtime). The functions below are
pure or take their effects as arguments, so tests drive them with a fake clock and socket.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import struct
from collections.abc import Callable
from typing import Any

NAMESPACE = "AgenticPlatform/DR"
METRIC = "PrimaryReachable"
SSL_REQUEST = struct.pack("!II", 8, 80877103)
"""PostgreSQL SSLRequest: length 8, code 80877103 = 1234 << 16 | 5679
(https://www.postgresql.org/docs/current/protocol-message-formats.html)."""
MARGIN_SECONDS = 3.0
"""Left of the invocation when the last probe must have finished (publish + shutdown)."""


def dimensions(domain: str, primary_region: str) -> dict[str, str]:
    """The metric's dimensions; the trigger alarm reads exactly these (one source for both)."""
    return {"Domain": domain, "Region": primary_region}


def postgres_answers(host: str, port: int, timeout: float,
                     connect: Callable[..., Any] = socket.create_connection) -> bool:
    """True when a PostgreSQL postmaster at host:port answers an SSLRequest within `timeout`."""
    try:
        with connect((host, port), timeout) as sock:
            sock.settimeout(timeout)
            sock.sendall(SSL_REQUEST)
            return sock.recv(1) in (b"S", b"N")
    except OSError:  # refused, unreachable, DNS failure, timeout
        return False


def datum(ok: bool, at: float, domain: str, primary_region: str) -> dict[str, Any]:
    """One high-resolution (StorageResolution 1) datapoint at epoch second `at`."""
    return {"MetricName": METRIC,
            "Dimensions": [{"Name": k, "Value": v} for k, v in dimensions(domain, primary_region).items()],
            "Timestamp": dt.datetime.fromtimestamp(at, tz=dt.UTC), "Value": 1.0 if ok else 0.0,
            "Unit": "Count", "StorageResolution": 1}


def probe_slots(budget_seconds: float, period: float, timeout: float) -> int:
    """How many probes fit in one invocation: each starts `period` after the previous one and must
    finish (`timeout`) before the budget ends; at least one."""
    return max(1, int((budget_seconds - timeout) // period) + 1) if budget_seconds > timeout else 1


def run(*, probe: Callable[[], bool], publish: Callable[[dict[str, Any]], None], clock: Callable[[], float],
        sleep: Callable[[float], None], period: float, timeout: float, budget_seconds: float,
        domain: str, primary_region: str, log: Callable[[str], None] = print) -> list[dict[str, Any]]:
    """Probe on a fixed grid (start, start + period, ...) and publish each result as it comes.

    A failed publish is logged and the loop goes on: a missing datapoint leaves the alarm where it
    is (missing data never fails over), a wrong one would not."""
    start = clock()
    sent: list[dict[str, Any]] = []
    for i in range(probe_slots(budget_seconds, period, timeout)):
        wait = start + i * period - clock()
        if wait > 0:
            sleep(wait)
        at = clock()
        d = datum(probe(), at, domain, primary_region)
        try:
            publish(d)
            sent.append(d)
        except Exception as exc:  # noqa: BLE001 - keep probing; the next period publishes again
            log(f"PutMetricData failed: {exc!r}")
        if d["Value"] == 0.0:
            log(f"{primary_region} writer did not answer within {timeout:g} s")
    return sent


def handler(event: Any, context: Any) -> dict[str, int]:  # pragma: no cover - runs in Lambda
    import time

    import boto3

    env = os.environ
    host, port = env["PROBE_HOST"], int(env.get("PROBE_PORT", "5432"))
    timeout, period = float(env.get("PROBE_TIMEOUT_SECONDS", "2")), float(env.get("PROBE_PERIOD_SECONDS", "10"))
    namespace = env.get("PROBE_NAMESPACE", NAMESPACE)
    cloudwatch = boto3.client("cloudwatch")  # the function's own region: the standby
    budget = context.get_remaining_time_in_millis() / 1000 - MARGIN_SECONDS
    sent = run(probe=lambda: postgres_answers(host, port, timeout),
               publish=lambda d: cloudwatch.put_metric_data(Namespace=namespace, MetricData=[d]),
               clock=time.time, sleep=time.sleep, period=period, timeout=timeout, budget_seconds=budget,
               domain=env["PROBE_DOMAIN"], primary_region=env["PROBE_PRIMARY_REGION"])
    return {"published": len(sent), "reachable": sum(int(d["Value"]) for d in sent)}
