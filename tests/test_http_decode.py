"""A request's own body decoder (``Provider.build_request(decode=...)``, ``provider.DECODE``):
the driver decodes a success body with it instead of ``json.loads``, where a body cut short is
still retried for reads (crmbridge/http.py ``_parse``; used by Attio's undecoded pages, issue 24)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from toy_provider import ToyProvider

from crmbridge.errors import ProviderError
from crmbridge.http import SyncDriver
from crmbridge.jsondecode import loads
from crmbridge.provider import DECODE, KIND


def _run(handler: Any, decode: Any) -> tuple[Any, int]:
    calls = [0]

    def counted(request: httpx.Request) -> httpx.Response:
        calls[0] += 1
        return handler(request, calls[0])

    provider = ToyProvider.from_config(token="toy-secret-token")
    driver = SyncDriver(httpx.Client(transport=httpx.MockTransport(counted)), provider)

    def plan() -> Any:
        request = provider.build_request("POST", "/query", json={}, kind="read",
                                         idempotent=True, decode=decode)  # fmt: skip
        response = yield request
        return response.json()

    return driver.run(plan()), calls[0]


def test_the_request_decoder_reads_the_body() -> None:
    seen: list[bytes] = []

    def decode(content: bytes) -> Any:
        seen.append(content)
        return ("decoded", loads(content))

    ok = lambda request, n: httpx.Response(200, json={"data": [1]})  # noqa: E731
    assert _run(ok, decode) == (("decoded", {"data": [1]}), 1)
    assert len(seen) == 1
    assert loads(seen[0]) == {"data": [1]}


def test_without_one_json_loads_reads_it() -> None:
    ok = lambda request, n: httpx.Response(200, json={"data": [1]})  # noqa: E731
    assert _run(ok, None) == ({"data": [1]}, 1)


def test_a_body_the_decoder_refuses_is_a_cut_read_retried() -> None:
    def cut_once(request: httpx.Request, n: int) -> httpx.Response:
        body = b'{"data": [1, 2' if n == 1 else b'{"data": [1, 2]}'
        return httpx.Response(200, content=body, headers={"content-type": "application/json"})

    assert _run(cut_once, loads) == ({"data": [1, 2]}, 2)


def test_a_body_always_cut_is_the_truncated_error() -> None:
    cut = lambda request, n: httpx.Response(  # noqa: E731
        200, content=b'{"data": [', headers={"content-type": "application/json"}
    )
    with pytest.raises(ProviderError) as failed:
        _run(cut, loads)
    assert failed.value.code == "truncated_body"


def test_build_request_sets_the_extension_only_when_given() -> None:
    provider = ToyProvider.from_config(token="t")
    plain = provider.build_request("GET", "/x")
    assert DECODE not in plain.extensions
    assert plain.extensions[KIND] == "read"
    given = provider.build_request("GET", "/x", decode=loads)
    assert given.extensions[DECODE] is loads
