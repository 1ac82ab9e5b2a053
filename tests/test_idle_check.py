"""crmbridge.idle_check: the async client's cheaper check for idle connections the server closed."""

from __future__ import annotations

import asyncio
import socketserver
import threading
from collections.abc import Iterator

import httpx
import pytest

import crmbridge.idle_check as idle_check


class _AnswerThenHangUp(socketserver.BaseRequestHandler):
    """Answers one request as if the connection stayed open, then closes it: the client's pool
    must notice before it reuses the connection."""

    def handle(self) -> None:
        self.request.recv(65536)
        self.request.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        self.server.served += 1  # type: ignore[attr-defined]


@pytest.fixture
def hang_up_server() -> Iterator[str]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _AnswerThenHangUp)
    server.daemon_threads = True
    server.served = 0  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_connection_the_server_closed_is_not_reused(hang_up_server: str) -> None:
    async def main() -> list[int]:
        async with httpx.AsyncClient(base_url=hang_up_server) as client:
            assert idle_check.install(client)
            statuses = []
            for _ in range(3):
                statuses.append((await client.get("/")).status_code)
                await asyncio.sleep(0.05)  # the server's close reaches the client
            return statuses

    assert asyncio.run(main()) == [200, 200, 200]


def test_a_broken_check_would_fail_that_test(
    hang_up_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The test above can fail: with a check that never sees the close, the second request goes
    out on the dead connection."""
    monkeypatch.setattr(idle_check, "_readable", lambda sock: False)

    async def main() -> None:
        async with httpx.AsyncClient(base_url=hang_up_server) as client:
            idle_check.install(client)
            await client.get("/")
            await asyncio.sleep(0.05)
            await client.get("/")

    with pytest.raises(httpx.TransportError):
        asyncio.run(main())


def test_a_transport_the_caller_chose_is_left_alone() -> None:
    client = httpx.AsyncClient(transport=httpx.MockTransport(lambda r: httpx.Response(204)))
    assert not idle_check.install(client)
