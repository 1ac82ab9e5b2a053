"""Socket operations that end at the call's deadline, for the blocking client (issue 15).

httpx's timeouts are per socket operation: a server that sends its response *headers* one byte
every few seconds never trips the read timeout, so a blocking call could last as long as the server
liked. The async driver bounds the whole call with ``asyncio.timeout``; threads cannot be
interrupted that way. httpcore, under httpx, does every connect, read and write through a network
backend (https://www.encode.io/httpcore/network-backends/), so a backend that shortens each
operation's timeout to what is left of the call's deadline ends the call on time wherever the
server stalls: connecting, TLS, headers or body.

The deadline travels in a context variable set by :class:`crmbridge.http.SyncDriver` around one
attempt; outside it (another library sharing the client), the backend changes nothing.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from typing import Any

import httpcore
import httpx

from .pool_backends import wrap_pool_backends

_DEADLINE: ContextVar[float | None] = ContextVar("crmbridge_socket_deadline", default=None)


@contextlib.contextmanager
def deadline(at: float) -> Iterator[None]:
    """Every socket operation of this thread ends by ``at`` (``time.monotonic()``) inside."""
    token = _DEADLINE.set(at)
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def _bounded(timeout: float | None, overdue: type[Exception]) -> float | None:
    """``timeout`` shortened to what is left of the deadline; past it, ``overdue`` at once."""
    at = _DEADLINE.get()
    if at is None:
        return timeout
    left = at - time.monotonic()
    if left <= 0:
        raise overdue("the call's deadline passed")
    return left if timeout is None else min(timeout, left)


class _Stream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _bounded(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _bounded(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        bounded = _bounded(timeout, httpcore.ConnectTimeout)
        return _Stream(self._inner.start_tls(ssl_context, server_hostname, bounded))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class DeadlineBackend(httpcore.NetworkBackend):
    """Wraps httpcore's blocking backend; see the module's docstring."""

    def __init__(self, inner: httpcore.NetworkBackend) -> None:
        self._inner = inner

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        bounded = _bounded(timeout, httpcore.ConnectTimeout)
        return _Stream(self._inner.connect_tcp(host, port, bounded, local_address, socket_options))

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        bounded = _bounded(timeout, httpcore.ConnectTimeout)
        return _Stream(self._inner.connect_unix_socket(path, bounded, socket_options))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def install(client: httpx.Client) -> bool:
    """Put :class:`DeadlineBackend` under every connection pool of ``client``
    (:mod:`crmbridge.pool_backends`); whether any pool took it."""
    return wrap_pool_backends(client, httpcore.NetworkBackend, DeadlineBackend, DeadlineBackend)
