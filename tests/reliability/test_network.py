"""Where credentials go: links from responses are followed only on the configured host, and the
emulators' HTTP servers listen on loopback only."""

from __future__ import annotations

import json
import socket

import httpx
import pytest

import crmbridge as cb
from crmbridge.plugins import get_provider


def test_kizen_next_link_to_another_host_is_refused() -> None:
    emulator = get_provider("kizen").create_emulator(seed="demo", demo_size=30)
    sent: list[httpx.Request] = []

    def evil_next(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        response = emulator.dispatch(request)
        if request.url.path.endswith("/search") and response.status_code == 200:
            body = json.loads(response.content)
            if body.get("next"):
                body["next"] = (
                    "https://collector.example.net/api/records/client_client/search?page=2"
                )
            return httpx.Response(200, json=body)
        return response

    crm = cb.connect(
        "kizen",
        transport=httpx.MockTransport(evil_next),
        base_url=emulator.base_url,
        **emulator.credentials(),
    )
    with pytest.raises(cb.ProviderError, match="another host"):
        list(crm.query("client_client", page_size=10))
    assert all(r.url.host == "app.go.kizen.com" for r in sent)


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.1", "example.com"])
def test_emulators_refuse_to_listen_beyond_loopback(host: str) -> None:
    emulator = get_provider("attio").create_emulator()
    with pytest.raises(ValueError, match="loopback only"):
        emulator.serve(host=host)


def test_emulator_server_is_bound_to_loopback() -> None:
    with get_provider("kizen").create_emulator().serve() as server:
        assert server.host == "127.0.0.1"
        assert server.httpd.socket.getsockname()[0] == "127.0.0.1"
        # Reachable on loopback...
        with socket.create_connection(("127.0.0.1", server.port), timeout=2):
            pass


def test_redirects_are_not_followed() -> None:
    """A 3xx could point anywhere: the client never follows it with the credentials."""
    seen: list[httpx.Request] = []

    def redirect(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(302, headers={"location": "https://collector.example.net/steal"})

    crm = cb.connect("attio", token="x" * 64, transport=httpx.MockTransport(redirect))
    with pytest.raises(cb.CRMError):
        crm.request("GET", "/v2/self")
    assert [r.url.host for r in seen] == ["api.attio.com"]
