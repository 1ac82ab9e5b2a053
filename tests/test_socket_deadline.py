"""crmbridge.socket_deadline: the blocking client's socket operations end at the call's deadline."""

from __future__ import annotations

import time

import httpcore
import httpx
import pytest

from crmbridge import socket_deadline
from crmbridge.socket_deadline import DeadlineBackend


class _Recorder(httpcore.NetworkBackend):
    """Records the timeout each connect is given."""

    def __init__(self) -> None:
        self.timeouts: list[float | None] = []

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):  # type: ignore[no-untyped-def]
        self.timeouts.append(timeout)
        raise httpcore.ConnectError("recorded")


def test_install_wraps_the_pools_httpx_made_and_proxy_mounts_too() -> None:
    client = httpx.Client(mounts={"http://proxied.example": httpx.HTTPTransport()})
    assert socket_deadline.install(client)
    pools = [client._transport._pool, *(m._pool for m in client._mounts.values())]  # type: ignore[attr-defined,union-attr]
    assert pools
    assert all(isinstance(pool._network_backend, DeadlineBackend) for pool in pools)
    assert socket_deadline.install(client)  # a second call does not wrap twice
    assert not isinstance(client._transport._pool._network_backend._inner, DeadlineBackend)  # type: ignore[attr-defined]
    client.close()


def test_a_transport_the_caller_chose_is_left_alone() -> None:
    client = httpx.Client(transport=httpx.MockTransport(lambda request: httpx.Response(204)))
    assert not socket_deadline.install(client)
    client.close()


def test_each_operation_gets_what_is_left_of_the_deadline_and_none_after_it() -> None:
    recorder = _Recorder()
    backend = DeadlineBackend(recorder)
    with pytest.raises(httpcore.ConnectError):
        backend.connect_tcp("example.com", 80, timeout=30.0)  # no deadline: unchanged
    with socket_deadline.deadline(time.monotonic() + 2.0), pytest.raises(httpcore.ConnectError):
        backend.connect_tcp("example.com", 80, timeout=30.0)
    assert recorder.timeouts[0] == 30.0
    assert recorder.timeouts[1] is not None
    assert 0 < recorder.timeouts[1] <= 2.0
    with (
        socket_deadline.deadline(time.monotonic() - 0.1),
        pytest.raises(httpcore.ConnectTimeout, match="deadline"),
    ):
        backend.connect_tcp("example.com", 80, timeout=30.0)
    assert len(recorder.timeouts) == 2  # past the deadline nothing reached the socket
