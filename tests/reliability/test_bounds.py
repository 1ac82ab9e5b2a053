"""Hostile or broken servers are bounded (issue 15): an overall deadline per call, a maximum body
size, JSON nesting, pagination cycles and malformed ``next`` links — each a crmbridge error, never
a call that hangs, a body read whole, a bare ``RecursionError`` or a read that ends early."""

from __future__ import annotations

import asyncio
import json
import socketserver
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

import crmbridge as cb
from crmbridge.emulation import Emulator, Faults
from crmbridge.plugins import get_provider

PEOPLE = {"attio": "people", "kizen": "client_client"}


def _dripping(name: str) -> tuple[Emulator, cb.RetryPolicy]:
    """An emulator whose every answer comes one byte per 50 ms (a few hundred bytes: seconds,
    each byte well inside httpx's read timeout), and a policy with a 0.5 s deadline."""
    emulator = get_provider(name).create_emulator(faults=Faults(drip=1.0, drip_interval=0.05))
    return emulator, cb.RetryPolicy(timeout=0.5, attempts=1)


@pytest.mark.parametrize("name", ["attio", "kizen"])
def test_a_dripping_server_is_cut_off_at_the_deadline_in_process(name: str) -> None:
    emulator, policy = _dripping(name)
    crm = cb.connect(name, emulator=emulator, retry=policy)
    with pytest.raises(cb.TransportError) as info:
        crm.schema(PEOPLE[name])
    assert info.value.code == "deadline"
    assert "RetryPolicy.timeout" in str(info.value)


@pytest.mark.parametrize("name", ["attio", "kizen"])
def test_a_dripping_server_is_cut_off_at_the_deadline_over_http(name: str) -> None:
    emulator, policy = _dripping(name)
    with emulator.serve() as server:
        crm = cb.connect(name, base_url=server.url, retry=policy, **emulator.credentials())
        with pytest.raises(cb.TransportError) as info:
            crm.schema(PEOPLE[name])
        crm.close()
    assert info.value.code == "deadline"


def test_a_dripping_server_is_cut_off_at_the_deadline_async() -> None:
    emulator, policy = _dripping("kizen")

    async def main() -> None:
        async with cb.connect_async("kizen", emulator=emulator, retry=policy) as crm:
            await crm.schema("client_client")

    with pytest.raises(cb.TransportError) as info:
        asyncio.run(main())
    assert info.value.code == "deadline"


class _HeaderDripper(socketserver.BaseRequestHandler):
    """Answers every connection with a status line, then one header byte every 20 ms for ever: no
    single read waits long, so only a deadline over the whole call can end it."""

    def handle(self) -> None:
        self.request.recv(65536)
        self.request.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: ")
        try:
            while not self.server.stopping:  # type: ignore[attr-defined]
                self.request.sendall(b"a")
                time.sleep(0.02)
        except OSError:
            return  # the client gave up: what the test wants


@pytest.fixture
def header_dripper() -> Iterator[str]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _HeaderDripper)
    server.daemon_threads = True
    server.stopping = False  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.stopping = True  # type: ignore[attr-defined]
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("name", ["attio", "kizen"])
def test_a_server_dripping_its_headers_is_cut_off_at_the_deadline(
    name: str, header_dripper: str
) -> None:
    """The blocking client's deadline covers the response headers too, not only the body between
    chunks (issue 15): each socket read is shortened to what is left of the call."""
    emulator = get_provider(name).create_emulator()
    crm = cb.connect(
        name,
        base_url=header_dripper,
        retry=cb.RetryPolicy(timeout=0.5, attempts=1),
        **emulator.credentials(),
    )
    outcome: list[BaseException] = []

    def call() -> None:
        try:
            crm.schema(PEOPLE[name])
        except BaseException as exc:  # handed to the test's thread
            outcome.append(exc)

    caller = threading.Thread(target=call, daemon=True)
    caller.start()
    caller.join(timeout=20)  # without the deadline: h11's 16 KB header cap, ~6 minutes away
    crm.close()
    assert not caller.is_alive(), "the call outlived its deadline by 20 s"
    assert len(outcome) == 1
    assert isinstance(outcome[0], cb.TransportError), outcome
    assert outcome[0].code == "deadline"


class _Endless(httpx.SyncByteStream):
    """A JSON array that would be ``chunks`` KB long; counts what was read of it."""

    def __init__(self, chunks: int) -> None:
        self.chunks, self.sent = chunks, 0

    def __iter__(self) -> Iterator[bytes]:
        yield b"["
        for i in range(self.chunks):
            self.sent += 1
            yield (b'"' + b"x" * 1000 + b'",') if i + 1 < self.chunks else b"1]"


@pytest.mark.parametrize("declared", [True, False])
def test_a_body_over_the_size_bound_is_not_read_whole(declared: bool) -> None:
    body = _Endless(10_000)  # 10 MB if read whole

    def handler(request: httpx.Request) -> httpx.Response:
        headers = {"content-type": "application/json"}
        if declared:
            headers["content-length"] = str(10_000 * 1003)
        return httpx.Response(200, headers=headers, stream=body)

    crm = cb.connect(
        "attio",
        token="x" * 64,
        transport=httpx.MockTransport(handler),
        retry=cb.RetryPolicy(max_body=100_000),
    )
    with pytest.raises(cb.ProviderError) as info:
        crm.request("GET", "/v2/self")
    assert info.value.code == "body_too_large"
    assert body.sent <= 101  # stopped at the bound, never the whole 10 MB
    assert cb.RetryPolicy().max_body <= 256 * 1024 * 1024  # bounded by default too


@pytest.mark.parametrize("name", ["attio", "kizen"])
def test_json_nested_deeper_than_python_recurses_is_a_provider_error(name: str) -> None:
    emulator = get_provider(name).create_emulator()
    deep = b"[" * 100_000 + b"]" * 100_000
    armed = {"on": False}

    def handler(request: httpx.Request) -> httpx.Response:
        if armed["on"]:
            return httpx.Response(200, content=deep, headers={"content-type": "application/json"})
        return emulator.dispatch(request)

    crm = cb.connect(
        name,
        transport=httpx.MockTransport(handler),
        base_url=emulator.base_url,
        **emulator.credentials(),
    )
    crm.schema(PEOPLE[name])
    armed["on"] = True
    with pytest.raises(cb.ProviderError, match="nested"):
        crm.get(PEOPLE[name], "00000000-0000-0000-0000-000000000001")


def _kizen_with_pages(rewrite: object) -> cb.Bridge:
    """Kizen's emulator (30 people) with each search answer passed through ``rewrite``."""
    emulator = get_provider("kizen").create_emulator(seed="demo", demo_size=30)

    def handler(request: httpx.Request) -> httpx.Response:
        response = emulator.dispatch(request)
        if request.url.path.endswith("/search") and response.status_code == 200:
            body = json.loads(response.content)
            rewrite(request, body)  # type: ignore[operator]
            return httpx.Response(200, json=body)
        return response

    return cb.connect(
        "kizen",
        transport=httpx.MockTransport(handler),
        base_url=emulator.base_url,
        **emulator.credentials(),
    )


def test_a_kizen_next_link_back_to_a_page_already_read_is_a_cycle() -> None:
    def back_to_page_2(request: httpx.Request, body: dict[str, object]) -> None:
        if body.get("next"):
            body["next"] = str(request.url.copy_set_param("page", 2))

    crm = _kizen_with_pages(back_to_page_2)
    with pytest.raises(cb.ProviderError, match="already read") as info:
        list(crm.query("client_client", page_size=10))
    assert info.value.code == "pagination_cycle"


def test_more_rows_than_kizen_announced_is_a_cycle() -> None:
    def fewer(request: httpx.Request, body: dict[str, object]) -> None:
        body["count"] = 15  # 30 rows come, in fresh pages: only the count tells

    crm = _kizen_with_pages(fewer)
    with pytest.raises(cb.ProviderError, match="announced 15") as info:
        list(crm.query("client_client", page_size=10))
    assert info.value.code == "pagination_cycle"


@pytest.mark.parametrize("bad", [3, ["https://app.go.kizen.com/x"], {"href": "x"}, True])
def test_a_kizen_next_that_is_not_a_string_is_a_provider_error(bad: object) -> None:
    def malformed(request: httpx.Request, body: dict[str, object]) -> None:
        if body.get("next"):
            body["next"] = bad

    crm = _kizen_with_pages(malformed)
    with pytest.raises(cb.ProviderError, match="not a link") as info:
        list(crm.query("client_client", page_size=10))
    assert info.value.code == "malformed_page"


def test_an_attio_server_that_ignores_the_offset_is_a_cycle() -> None:
    """Offsets never repeat, but a server answering the first page whatever the offset would be
    read for ever: a page starting with a record already seen stops it."""
    emulator = get_provider("attio").create_emulator(seed="demo", demo_size=30)

    def ignore_offset(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/records/query"):
            body = json.loads(request.content)
            body.pop("offset", None)
            request = httpx.Request(request.method, request.url, headers=request.headers, json=body)
        return emulator.dispatch(request)

    crm = cb.connect(
        "attio",
        transport=httpx.MockTransport(ignore_offset),
        base_url=emulator.base_url,
        **emulator.credentials(),
    )
    with pytest.raises(cb.ProviderError, match="again") as info:
        list(crm.query("people", page_size=10))
    assert info.value.code == "pagination_cycle"
