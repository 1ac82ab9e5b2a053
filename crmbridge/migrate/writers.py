"""How many of the migration engine's writers write at once: a fixed number, or an adaptive one.

A target that publishes a write limit is paced by the client's token bucket, and a fixed pool
sized from that limit fills it (crmbridge/migrate/engine.py). A target whose provider declares
``Capabilities.concurrency_ceiling`` publishes none (Kizen: docs/reference/kizen.md §10): there
the engine starts ``ceiling`` writer tasks and lets :class:`~crmbridge.aimd.AIMD` decide how many
of them may write at once, from the target's answers to its writes — every attempt, the driver's
retries included, since a 409 or 429 the driver retried is still the server asking for less
(issue 24). The answers are watched through httpx's event hooks on the target's client, for the
run only. ``concurrency=`` (``--concurrency``) always keeps a fixed pool.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import httpx

from ..aimd import AIMD, BACKOFF_STATUSES
from ..bridge import AsyncBridge
from ..provider import KIND

__all__ = ["Writers"]

#: Request extension: when the request was sent (``time.monotonic()``), for its latency.
_SENT = "crmbridge_sent"


class Writers:
    """``size`` writer tasks; with ``aimd``, only ``aimd.limit`` of them write at once."""

    def __init__(self, size: int, aimd: AIMD | None = None) -> None:
        self.size = max(1, size)
        self.aimd = aimd
        self._in_flight = 0
        self._changed = asyncio.Condition()
        #: Answers to writes that asked for less, by status (409, 429, 503): for reports, benches.
        self.pushback: dict[int, int] = {}

    @classmethod
    def for_target(
        cls, target: AsyncBridge, concurrency: int | None, rate: float | None
    ) -> Writers:
        """Fixed when ``concurrency`` is given, when the target's writes are paced (``rate``:
        writes per second, from the client's bucket or the provider's published limit) or when
        its provider declares no ceiling; adaptive otherwise."""
        caps = target.capabilities
        if concurrency is not None:
            return cls(concurrency)
        if rate:
            # Enough writes in flight to fill the write limit at ~100 ms per round trip.
            return cls(max(caps.concurrency, int(rate / 10) + 1))
        if caps.concurrency_ceiling is None:
            return cls(caps.concurrency)
        ceiling = max(caps.concurrency_ceiling, 1)
        return cls(ceiling, AIMD(initial=caps.concurrency, ceiling=ceiling))

    @property
    def limit(self) -> int:
        """Writers that may write now."""
        return self.aimd.limit if self.aimd is not None else self.size

    def summary(self) -> dict[str, Any]:
        """How the writers were sized, for the run's report: ``adaptive``, the ``limit`` at the
        end, the ``highest`` one, the ``decreases`` by cause and the ``pushback`` answers."""
        if self.aimd is None:
            return {"adaptive": False, "limit": self.size}
        return {
            "adaptive": True,
            "ceiling": self.size,
            "limit": self.aimd.limit,
            "highest": self.aimd.highest,
            "decreases": dict(self.aimd.decreases),
            "pushback": dict(self.pushback),
        }

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold one of the ``limit`` places while writing (no wait in a fixed pool: its tasks
        are its limit)."""
        if self.aimd is None:
            yield
            return
        aimd = self.aimd
        async with self._changed:
            await self._changed.wait_for(lambda: self._in_flight < aimd.limit)
            self._in_flight += 1
        try:
            yield
        finally:
            async with self._changed:
                self._in_flight -= 1
                self._changed.notify(1)  # one place freed: wake one writer, not all of them

    @contextmanager
    def watching(self, target: AsyncBridge) -> Iterator[None]:
        """Feed the target's answers to writes to the controller while the block runs."""
        client = getattr(target.driver, "client", None)
        if self.aimd is None or not isinstance(client, httpx.AsyncClient):
            yield
            return
        hooks = client.event_hooks
        hooks["request"].append(self._sent)
        hooks["response"].append(self._answered)
        try:
            yield
        finally:
            hooks["request"].remove(self._sent)
            hooks["response"].remove(self._answered)

    async def _sent(self, request: httpx.Request) -> None:
        if request.extensions.get(KIND) == "write":
            request.extensions[_SENT] = time.monotonic()

    async def _answered(self, response: httpx.Response) -> None:
        sent: Any = response.request.extensions.get(_SENT)
        if sent is None or self.aimd is None:
            return
        status = response.status_code
        if status in BACKOFF_STATUSES:
            self.pushback[status] = self.pushback.get(status, 0) + 1
        before = self.aimd.limit
        self.aimd.observe(
            sent=sent, answered=time.monotonic(), status=status, in_flight=self._in_flight
        )
        if self.aimd.limit > before:
            async with self._changed:
                self._changed.notify(self.aimd.limit - before)
