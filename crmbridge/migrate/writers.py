"""How many of the migration engine's writers write at once: a fixed number, or an adaptive one.

A target that publishes a write limit is paced by the client's token bucket, and a fixed pool
sized from that limit fills it (crmbridge/migrate/engine.py). A target whose provider declares
``Capabilities.concurrency_ceiling`` publishes none (Kizen: docs/reference/kizen.md §10): there
the engine starts ``ceiling`` writer tasks and lets :class:`~crmbridge.aimd.AIMD` decide how many
of them may write at once, from the target's answers to its writes — every attempt, the driver's
retries included, since a 409 or 429 the driver retried is still the server asking for less
(issue 24). The answers are watched through httpx's event hooks on the target's client, for the
run only. ``concurrency=`` (``--concurrency``) always keeps a fixed pool.

Such a target may still enforce a rate limit it does not publish. AIMD limits writes in flight,
not writes per second, and oscillates around a rate limit (issue 24: 434 429s in 5,000 writes
over HTTP). So the adaptive writers also find the rate (:class:`~crmbridge.pacing.RateFinder`):
at the first 429s that say the server's window is full (a run of them, or a share above the
one it refuses anyway: a server refusing at random sets no pace) a token bucket is put in the
target's limiter for the run, paced just under the rate the server accepted and moved as the
finder probes. A write refused with 429 or 503 gives its place in the pool back while the
driver waits its ``Retry-After``, and takes one again to send the retry. From then on a 429 says the pace is
high, not that too many writes are in flight (crmbridge/aimd.py, ``paced``): the pool is not
cut for it (latency, 409 and 503 still cut it). The bucket does not drain for a
``Retry-After``: the refused write waits it (the driver's retry), the others are slowed by the
lower pace (docs/decisions.md, "pace").
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar
from typing import Any

import httpx

from ..aimd import AIMD, BACKOFF_STATUSES
from ..bridge import AsyncBridge
from ..http import RateLimiter, TokenBucket
from ..pacing import RateFinder
from ..provider import KIND

__all__ = ["Writers"]

#: Request extension: when the request was sent (``time.monotonic()``), for its latency.
_SENT = "crmbridge_sent"
#: Answers the driver retries after a wait (crmbridge/http.py): the write gives its place back.
_WAITS = frozenset({429, 503})


class _Place:
    """One writer's place in the adaptive pool: whether it holds it now."""

    __slots__ = ("held",)

    def __init__(self) -> None:
        self.held = False


#: The place of the writer whose request this task is sending (the event hooks run in its task).
_HELD: ContextVar[_Place | None] = ContextVar("crmbridge_writer_place", default=None)


class _FoundPace(TokenBucket):
    """The target's write bucket at a rate found from its 429s (:class:`RateFinder`): a
    :class:`TokenBucket` (its smoothing and slack keep the sends as even as the server's count
    needs), but it does not drain for a ``Retry-After``.

    Limiting by the one-second window alone (no smoothing, no slack) was tried: under load it
    caught up after the engine's gaps (0.76 -> 0.81 at load ~6.5), but on a quieter machine the
    window filled in half a second and emptied a second later, every second — bursts of 450-500
    writes/s, a 429 burst every 2 s, 52-66 429s a run and 0.82 where the told limit ran 0.94
    (docs/benchmarks.md §9)."""

    def penalize(self, seconds: float) -> None:
        """A ``Retry-After`` does not pause every writer here: the refused write waits it (the
        driver's retry) and the finder has lowered the pace under what the server accepted; the
        window the server still counts is in :meth:`admit`'s (:meth:`TokenBucket.remember`).
        Draining the bucket for it (as for a published limit) left a second with no write
        after every cut: Kizen's ``Retry-After`` is whole seconds, rounded up."""


class Writers:
    """``size`` writer tasks; with ``aimd``, only ``aimd.limit`` of them write at once, paced by
    ``pace`` once the target's 429s said its window was full."""

    def __init__(self, size: int, aimd: AIMD | None = None, pace: RateFinder | None = None) -> None:
        self.size = max(1, size)
        self.aimd = aimd
        self.pace = pace if pace is not None or aimd is None else RateFinder()
        self._limiter: RateLimiter | None = None
        self._bucket: _FoundPace | None = None
        #: When the pace was put in the limiter: writes sent after it were paced.
        self._paced_at = 0.0
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
            "paced": self._paced(),
        }

    def _paced(self) -> dict[str, Any] | None:
        """The write rate found from the target's 429s (``None``: it refused none)."""
        pace = self.pace
        if pace is None or pace.found is None or pace.rate is None:
            return None
        return {"found": round(pace.found, 1), "rate": round(pace.rate, 1), "cuts": pace.cuts}

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold one of the ``limit`` places while writing (no wait in a fixed pool: its tasks
        are its limit). A write refused with 429 or 503 gives its place back while it waits
        to be retried, and takes one again when the retry is sent (:meth:`_sent`)."""
        if self.aimd is None:
            yield
            return
        place = _Place()
        token = _HELD.set(place)
        await self._take(place)
        try:
            yield
        finally:
            _HELD.reset(token)
            if place.held:
                await self._give_back(place)

    async def _take(self, place: _Place) -> None:
        aimd = self.aimd
        assert aimd is not None
        async with self._changed:
            await self._changed.wait_for(lambda: self._in_flight < aimd.limit)
            self._in_flight += 1
            place.held = True

    async def _give_back(self, place: _Place) -> None:
        async with self._changed:
            self._in_flight -= 1
            place.held = False
            self._changed.notify(1)  # one place freed: wake one writer, not all of them

    @contextmanager
    def watching(self, target: AsyncBridge) -> Iterator[None]:
        """Feed the target's answers to writes to the controller while the block runs."""
        client = getattr(target.driver, "client", None)
        if self.aimd is None or not isinstance(client, httpx.AsyncClient):
            yield
            return
        limiter = target.driver.limiter
        # Only the process's own buckets: a limiter shared through Redis admits elsewhere.
        if type(limiter) is RateLimiter and "write" not in limiter.buckets:
            self._limiter = limiter
        hooks = client.event_hooks
        hooks["request"].append(self._sent)
        hooks["response"].append(self._answered)
        try:
            yield
        finally:
            hooks["request"].remove(self._sent)
            hooks["response"].remove(self._answered)
            found, bucket = self._limiter, self._bucket
            if found is not None and bucket is not None and found.buckets.get("write") is bucket:
                del found.buckets["write"]
            self._limiter = self._bucket = None

    async def _sent(self, request: httpx.Request) -> None:
        if request.extensions.get(KIND) == "write":
            place = _HELD.get()
            if place is not None and not place.held:
                await self._take(place)  # a retry after a 429 or 503: back in the pool first
            now = request.extensions[_SENT] = time.monotonic()
            if self.pace is not None:
                self.pace.sent(now)

    async def _answered(self, response: httpx.Response) -> None:
        sent: Any = response.request.extensions.get(_SENT)
        if sent is None or self.aimd is None:
            return
        status = response.status_code
        if status in BACKOFF_STATUSES:
            self.pushback[status] = self.pushback.get(status, 0) + 1
        answered = time.monotonic()
        paced = self._follow_pace(sent, answered, status)
        before = self.aimd.limit
        self.aimd.observe(
            sent=sent, answered=answered, status=status, in_flight=self._in_flight, paced=paced
        )
        if self.aimd.limit > before:
            async with self._changed:
                self._changed.notify(self.aimd.limit - before)
        place = _HELD.get()
        if status in _WAITS and place is not None and place.held:
            # The driver waits the answer's Retry-After before the retry: a place held through
            # it is a write the server is not doing. Holding it left the pool empty for a second
            # after the burst that found a limit (the refused writes held every place).
            await self._give_back(place)

    def _follow_pace(self, sent: float, answered: float, status: int) -> bool:
        """Tell the finder; put its pace in the target's limiter (the first 429) or move it
        there. Whether the write was sent under a pace (the 429 that found it was not)."""
        pace, limiter = self.pace, self._limiter
        if pace is None or limiter is None:
            return False
        pace.observe(sent=sent, answered=answered, status=status)
        rate = pace.rate
        bucket = self._bucket
        if rate is None:
            return False
        if bucket is None:
            bucket = self._bucket = _FoundPace(rate)
            bucket.remember(pace.recent_sends(answered, within=pace.window + bucket.slack))
            limiter.buckets["write"] = bucket
            self._paced_at = answered
            return False
        if abs(rate - bucket.rate) >= 0.002 * bucket.rate:
            bucket.set_rate(rate)
        return sent > self._paced_at
