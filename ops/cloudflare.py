"""A tiny Cloudflare v4 client: read a load balancer and re-order its pools.

Only two calls are needed during a failover, so this stays on urllib instead of pulling in an
SDK; the transport is injectable so tests never reach the network. The token comes from
`CLOUDFLARE_API_TOKEN` and needs the zone permission "Load Balancers: Edit".
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from typing import Any

from ops.errors import AwsFailure, MissingPermission

API = "https://api.cloudflare.com/client/v4"
STEERING_LISTS = ("region_pools", "country_pools", "pop_pools")

Transport = Callable[[str, str, dict[str, str], bytes | None], tuple[int, bytes]]
"""(method, url, headers, body) -> (status, response body)."""


def urllib_transport(method: str, url: str, headers: dict[str, str], body: bytes | None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


class CloudflareError(AwsFailure):
    """A Cloudflare API failure (reported like an AWS one: one line, non-zero exit)."""


class Cloudflare:
    def __init__(self, token: str, transport: Transport | None = None, api: str = API):
        self._token = token
        self._transport = transport or urllib_transport
        self._api = api

    def _call(self, method: str, path: str, what: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self._token}", "Content-Type": "application/json"}
        data = json.dumps(body).encode() if body is not None else None
        try:
            status, raw = self._transport(method, f"{self._api}{path}", headers, data)
        except OSError as exc:
            raise CloudflareError(f"cloudflare {method} {what} failed: {exc}") from None
        try:
            payload = json.loads(raw or b"{}")
        except json.JSONDecodeError:
            payload = {}
        if status in (401, 403):
            raise MissingPermission(f"missing permission Load Balancers:Edit (Cloudflare token) for {what}")
        if status >= 400 or not payload.get("success", False):
            errors = "; ".join(f"{e.get('code')}: {e.get('message')}" for e in payload.get("errors", [])) or raw[:200]
            raise CloudflareError(f"cloudflare {method} {what} failed with HTTP {status}: {errors}")
        result = payload.get("result")
        return result if isinstance(result, dict) else {}

    def get_load_balancer(self, zone_id: str, lb_id: str) -> dict[str, Any]:
        return self._call("GET", f"/zones/{zone_id}/load_balancers/{lb_id}", f"load balancer {lb_id} in zone {zone_id}")

    def patch_load_balancer(self, zone_id: str, lb_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        return self._call("PATCH", f"/zones/{zone_id}/load_balancers/{lb_id}",
                          f"load balancer {lb_id} in zone {zone_id}", changes)


def _ahead_of(pools: Sequence[str], target: str, old: str) -> list[str]:
    """Move `target` just ahead of `old` (inserting it if absent); other pools keep their order."""
    rest = [p for p in pools if p != target]
    i = rest.index(old)
    return [*rest[:i], target, *rest[i:]]


def reorder(lb: dict[str, Any], target: str, old: str | None) -> dict[str, Any]:
    """The PATCH body that makes `target` the first choice instead of `old` (the former writer's pool).

    Default pools and the fallback pool put the target first. Geo steering lists that named the old
    writer's pool get the target just ahead of it; lists without it keep their order, so readers in
    healthy regions stay on their nearest pool (they reach the new writer through the global cluster).
    """
    changes: dict[str, Any] = {}
    default = [str(p) for p in lb.get("default_pools") or []]
    new_default = [target, *[p for p in default if p != target]]
    if new_default != default:
        changes["default_pools"] = new_default
    if lb.get("fallback_pool") != target:
        changes["fallback_pool"] = target
    if old is not None and old != target:
        for key in STEERING_LISTS:
            mapping = lb.get(key) or {}
            if not isinstance(mapping, dict):
                continue
            updated = {code: _ahead_of(pools, target, old) if old in pools else list(pools)
                       for code, pools in mapping.items()}
            if updated != mapping:
                changes[key] = updated
    return changes
