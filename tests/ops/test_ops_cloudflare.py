"""Pool re-ordering (pure) and the urllib Cloudflare client over a fake transport."""

from __future__ import annotations

import json

import pytest

from ops.cloudflare import Cloudflare, CloudflareError, reorder
from ops.errors import MissingPermission

USE1, EUW1, APSE1 = "p-use1", "p-euw1", "p-apse1"


def test_target_first_in_default_pools_and_fallback():
    lb = {"default_pools": [USE1, EUW1, APSE1], "fallback_pool": USE1}
    assert reorder(lb, EUW1, USE1) == {"default_pools": [EUW1, USE1, APSE1], "fallback_pool": EUW1}


def test_geo_lists_get_the_target_ahead_of_the_old_writer_only():
    lb = {"default_pools": [USE1, EUW1, APSE1], "fallback_pool": USE1,
          "region_pools": {"ENAM": [USE1, EUW1], "SEAS": [APSE1, USE1], "WEU": [EUW1, USE1], "OC": [APSE1]}}
    changes = reorder(lb, EUW1, USE1)
    assert changes["region_pools"] == {
        "ENAM": [EUW1, USE1],          # the old writer's list now prefers the target
        "SEAS": [APSE1, EUW1, USE1],   # nearest healthy pool stays first; target inserted before the old writer
        "WEU": [EUW1, USE1],           # already right
        "OC": [APSE1],                 # never named the old writer
    }
    assert "country_pools" not in changes


def test_already_ordered_load_balancer_needs_no_patch():
    lb = {"default_pools": [EUW1, USE1], "fallback_pool": EUW1, "region_pools": {"WEU": [EUW1, USE1]}}
    assert reorder(lb, EUW1, USE1) == {}
    assert reorder(lb, EUW1, None) == {}


def transport(status: int, payload: dict):
    calls = []

    def send(method, url, headers, body):
        calls.append((method, url, headers, body))
        return status, json.dumps(payload).encode()

    return send, calls


def test_client_sends_bearer_token_and_json_patch():
    send, calls = transport(200, {"success": True, "result": {"id": "lb"}})
    cf = Cloudflare("tok", send)
    assert cf.patch_load_balancer("z", "lb", {"fallback_pool": "p"}) == {"id": "lb"}
    method, url, headers, body = calls[0]
    assert (method, url) == ("PATCH", "https://api.cloudflare.com/client/v4/zones/z/load_balancers/lb")
    assert headers["Authorization"] == "Bearer tok" and json.loads(body) == {"fallback_pool": "p"}


@pytest.mark.parametrize("status", [401, 403])
def test_auth_errors_name_the_permission(status):
    send, _ = transport(status, {"success": False, "errors": [{"code": 10000, "message": "Authentication error"}]})
    with pytest.raises(MissingPermission,
                       match=r"missing permission Load Balancers:Edit .* for load balancer lb in zone z"):
        Cloudflare("tok", send).get_load_balancer("z", "lb")


def test_api_errors_carry_cloudflare_messages():
    send, _ = transport(400, {"success": False, "errors": [{"code": 1002, "message": "pool not found"}]})
    with pytest.raises(CloudflareError, match="HTTP 400: 1002: pool not found"):
        Cloudflare("tok", send).patch_load_balancer("z", "lb", {})


def test_network_errors_are_one_line():
    def broken(method, url, headers, body):
        raise OSError("connection reset")

    with pytest.raises(CloudflareError, match="connection reset"):
        Cloudflare("tok", broken).get_load_balancer("z", "lb")
