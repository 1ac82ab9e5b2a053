"""A cheaper "has the server closed this idle connection?" for the async client (issue 24).

Before every request it queues, httpcore's connection pool asks each idle keep-alive connection
whether its socket is readable (a server-side close). Under asyncio that question goes through
anyio's typed attributes, which rebuild a mapping of every attribute of the stream on each call:
in a profile of a migration over HTTP (bench/migration_http.py, docs/benchmarks.md §9) the pool's
bookkeeping took a third of the client's CPU, most of it there. This network backend keeps each
stream's socket from the start and answers that one question with a single ``poll``; everything
else is the wrapped backend's (https://www.encode.io/httpcore/network-backends/).
"""

from __future__ import annotations

import select
import socket
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx

from .pool_backends import wrap_pool_backends

__all__ = ["install"]

_POLL = getattr(select, "poll", None)


def _readable(sock: socket.socket | None) -> bool:
    """Whether ``sock`` has something to read, or was closed, without blocking (as httpcore's
    own check: https://github.com/encode/httpcore/blob/master/httpcore/_utils.py)."""
    if sock is None or sock.fileno() == -1:
        return True
    if _POLL is None:  # Windows: no poll()
        return bool(select.select([sock], [], [], 0)[0])
    poller = _POLL()
    poller.register(sock, select.POLLIN)
    return bool(poller.poll(0))


class _Stream(httpcore.AsyncNetworkStream):
    __slots__ = ("_inner", "_socket")

    def __init__(self, inner: httpcore.AsyncNetworkStream) -> None:
        self._inner = inner
        self._socket: socket.socket | None = inner.get_extra_info("socket")

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return await self._inner.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self._inner.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.AsyncNetworkStream:
        return _Stream(await self._inner.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable":
            return _readable(self._socket)
        return self._inner.get_extra_info(info)


class _Backend(httpcore.AsyncNetworkBackend):
    def __init__(self, inner: httpcore.AsyncNetworkBackend) -> None:
        self._inner = inner

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        stream = await self._inner.connect_tcp(host, port, timeout, local_address, socket_options)
        return _Stream(stream)

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        return _Stream(await self._inner.connect_unix_socket(path, timeout, socket_options))

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def install(client: httpx.AsyncClient) -> bool:
    """Put the backend under every connection pool of ``client`` (:mod:`crmbridge.pool_backends`,
    as :func:`crmbridge.socket_deadline.install` does for the blocking client); whether any pool
    took it."""
    return wrap_pool_backends(client, httpcore.AsyncNetworkBackend, _Backend, _Backend)
