"""Putting a network backend of crmbridge's under the connection pools httpx built.

httpcore runs every connect, read and write through a network backend
(https://www.encode.io/httpcore/network-backends/), but httpx builds its pools without a parameter
for it. So a client's pools get their backend wrapped after construction, by setting the pools'
``_network_backend`` (httpcore 1.x names it so; the pool hands it to every connection it opens),
on the client's own transport and on the proxy mounts httpx made from the environment (building a
transport of our own instead would have lost those). A transport the caller passed in (mocks,
recorders, emulators) has no such pool and is left as it is. tests/test_socket_deadline.py and
tests/test_idle_check.py fail if an httpx or httpcore release moves the attribute.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["wrap_pool_backends"]

B = TypeVar("B")


def wrap_pool_backends(
    client: Any, kind: type[B], wrapper: type[B], wrap: Callable[[B], B]
) -> bool:
    """Replace each pool's backend of class ``kind`` by ``wrap(backend)`` unless it is already
    a ``wrapper``; whether any pool of ``client`` has one now."""
    transports = [getattr(client, "_transport", None), *getattr(client, "_mounts", {}).values()]
    installed = False
    for transport in transports:
        pool = getattr(transport, "_pool", None)
        backend = getattr(pool, "_network_backend", None)
        if isinstance(backend, kind):
            if not isinstance(backend, wrapper):
                pool._network_backend = wrap(backend)  # type: ignore[union-attr]
            installed = True
    return installed
