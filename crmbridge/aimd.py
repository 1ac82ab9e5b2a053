"""How many writes to keep in flight against a CRM that publishes no rate limit: AIMD.

A CRM with a published limit is paced by the client's token bucket (:mod:`crmbridge.http`); one
without (Kizen, docs/reference/kizen.md §10) gives nothing to pace by, and a fixed small pool of
writers leaves most of what the server could take unused (issue 24: 4 writers, ~70 records/s at
20 ms). So the limit is found the way TCP finds a path's capacity (additive increase,
multiplicative decrease: RFC 5681 §3.1; Netflix's concurrency-limits ``AIMDLimit`` applies it to
requests in flight, https://github.com/Netflix/concurrency-limits):

* until the first decrease, each clean and fast answer adds one writer: the limit doubles per
  round of answers (TCP's slow start, RFC 5681 §3.1), so a run reaches the server's capacity in
  a few round trips instead of one writer per round;
* after it, ``limit`` clean and fast answers add one writer (one per round of answers), and only while the writers actually use the limit (``in_flight`` at least half of it);
* an answer that says the server is overloaded — 429 or 503 (RFC 6585 §4, RFC 9110 §15.6.4) —
  multiplies the limit by ``backoff`` (TCP's half);
* a 409 (a record's write lock: docs/reference/kizen.md §9) says one record is contended, by our
  writers or by another client, not that the server is full: fewer writers make our own
  collisions rarer but cannot stop another client's. A latency well above the quietest seen
  (``tolerance`` times the baseline, smoothed so one slow answer is not a trend) is an early and
  noisy sign: measured by the client, it includes the client's own queueing. Both multiply the
  limit by the gentler ``gentle_backoff`` (Netflix's ``AIMDLimit`` default ratio, 0.9); a
  latency that stays high cuts again every round;
* one decrease per round: answers to requests sent before the last decrease were sent at the old
  limit and say nothing about the new one, so they cannot decrease it again;
* the limit stays between ``floor`` and ``ceiling``;
* once the writes are *paced* (a rate found from the server's 429s, :mod:`crmbridge.pacing`),
  a 429 says the pace is high, not that too many writes are in flight: the pace answers it,
  and halving the pool on it would only risk leaving the pace unfilled. Latency still counts:
  on the loaded bench machine a pool let grow to 32 under a 245/s pace saw 150-400 ms answers
  and wrote fewer records per second (~140) than the pool cut by latency (~180, issue 24) — the
  queueing is the client's and the servers' CPU, which more writers only add to.

Pure logic: the caller says when each request was sent and answered (seconds on one monotonic
clock) and what came back, so tests drive it with made-up times. Other answers (400, 404, 500…)
say nothing about load: they neither raise nor lower the limit.

Why not a library: docs/decisions.md, "Adaptive concurrency (aimd)".
"""

from __future__ import annotations

import math
from collections import deque

__all__ = ["AIMD", "BACKOFF_STATUSES"]

#: Statuses that ask the client to send less: throttled, unavailable, and a record locked by a
#: concurrent write (409: the gentler :attr:`AIMD.gentle_backoff`).
BACKOFF_STATUSES = frozenset({409, 429, 503})
CONFLICT = 409
THROTTLED = 429


class AIMD:
    """An additive-increase, multiplicative-decrease limit on requests in flight.

    ``initial``: the limit to start from (a provider's ``Capabilities.concurrency``);
    ``ceiling``: the most it may reach; ``backoff``: the factor of a decrease on 429 and 503,
    ``gentle_backoff`` on a 409 and on rising latency; ``tolerance``:
    how many times the baseline latency the smoothed latency may reach before it counts as
    overload; ``window``: how many recent fast answers the baseline (their minimum) is taken
    over, so that it follows a server that became slower for good; ``smoothing``: the weight of
    a new latency in the smoothed one.
    """

    def __init__(
        self,
        *,
        initial: int,
        ceiling: int,
        floor: int = 1,
        backoff: float = 0.5,
        gentle_backoff: float = 0.9,
        tolerance: float = 2.0,
        window: int = 500,
        smoothing: float = 0.1,
    ) -> None:
        if not 1 <= floor <= ceiling:
            raise ValueError(f"need 1 <= floor <= ceiling, got floor={floor}, ceiling={ceiling}")
        for name, factor in (("backoff", backoff), ("gentle_backoff", gentle_backoff)):
            if not 0 < factor < 1:
                raise ValueError(f"{name} must be between 0 and 1, got {factor}")
        if tolerance <= 1:
            raise ValueError(f"tolerance must be above 1, got {tolerance}")
        self.floor = floor
        self.ceiling = ceiling
        self.backoff = backoff
        self.gentle_backoff = gentle_backoff
        self.tolerance = tolerance
        self.smoothing = smoothing
        self._limit = min(max(initial, floor), ceiling)
        #: Clean, fast answers since the limit last changed: ``limit`` of them add one.
        self._credit = 0
        #: The highest limit reached.
        self.highest = self._limit
        #: Growing by one per answer, until the first decrease.
        self.slow_start = True
        #: When the last decrease happened: answers to requests sent before it are ignored.
        self._decreased_at = -math.inf
        self._smoothed: float | None = None
        #: (sample number, latency), increasing latencies: the window's minimum is the first.
        self._quiet: deque[tuple[int, float]] = deque()
        self._samples = 0
        self._window = window
        #: How many decreases, by cause (for reports and tests).
        self.decreases: dict[str, int] = {"conflict": 0, "throttled": 0, "latency": 0}

    @property
    def limit(self) -> int:
        """Requests that may be in flight now."""
        return self._limit

    @property
    def baseline(self) -> float | None:
        """The quietest latency among the recent clean answers (``None`` before the first)."""
        return self._quiet[0][1] if self._quiet else None

    def observe(
        self,
        *,
        sent: float,
        answered: float,
        status: int | None,
        in_flight: int,
        paced: bool = False,
    ) -> None:
        """Learn from one answer: HTTP ``status`` (``None``: no answer, which says nothing
        here — the transport's retries deal with it), to a request sent at ``sent`` and
        answered at ``answered``, with ``in_flight`` requests out when it was answered;
        ``paced``: the writes are held to a rate, so a 429 does not decrease."""
        if status == CONFLICT:
            self._decrease(sent, answered, "conflict", self.gentle_backoff)
            return
        if status == THROTTLED and paced:
            return
        if status in BACKOFF_STATUSES:
            self._decrease(sent, answered, "throttled", self.backoff)
            return
        if status is None or not 200 <= status < 300:
            return
        latency = max(answered - sent, 0.0)
        self._remember(latency)
        if sent < self._decreased_at:
            return
        if self._smoothed is None:
            self._smoothed = latency
        else:
            self._smoothed += self.smoothing * (latency - self._smoothed)
        baseline = self.baseline
        if baseline is not None and self._smoothed > self.tolerance * max(baseline, 1e-3):
            self._decrease(sent, answered, "latency", self.gentle_backoff)
            return
        if in_flight * 2 >= self._limit:
            self._credit += 1
            if self._credit >= (1 if self.slow_start else self._limit):
                self._limit = min(self._limit + 1, self.ceiling)
                self._credit = 0
                self.highest = max(self.highest, self._limit)

    def _remember(self, latency: float) -> None:
        """Keep the window's minimum latency (a monotonic deque: O(1) per sample)."""
        self._samples += 1
        while self._quiet and self._quiet[-1][1] >= latency:
            self._quiet.pop()
        self._quiet.append((self._samples, latency))
        while self._quiet[0][0] <= self._samples - self._window:
            self._quiet.popleft()

    def _decrease(self, sent: float, answered: float, cause: str, factor: float) -> None:
        if sent < self._decreased_at:
            return  # sent at the old limit: already answered for
        self._limit = max(int(self._limit * factor), self.floor)
        self.slow_start = False
        self._credit = 0
        self._decreased_at = answered
        self._smoothed = None
        self.decreases[cause] += 1
