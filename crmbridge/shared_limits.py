"""Rate limits shared through Redis by every process that uses one CRM token (issue 22).

A CRM counts requests per token, not per process: two processes each holding the whole limit in
their own token bucket reach it together, get 429s and lose time to ``Retry-After`` pauses (two
uncoordinated processes reached 54% of Attio's write limit, issue 22). Here the processes draw
from one sliding window kept in Redis by PyrateLimiter's ``RedisBucket`` (a sorted set updated
by one Lua script, so concurrent processes cannot both take the last slot:
https://pyratelimiter.readthedocs.io/, https://github.com/vutran1710/PyrateLimiter).

The numbers stay the provider's (or the emulator's) — ``connect`` computes them exactly as for the
in-process :class:`~crmbridge.http.RateLimiter`; this module only chooses where they are counted.
The window is the in-process bucket's send window (:class:`~crmbridge.http.TokenBucket`):
``floor(rate)`` sends in ``floor(rate) / rate`` seconds plus its ``slack``, so a request that
reaches the CRM a few milliseconds late is not the window's ``rate + 1``-th. A CRM's 429 pauses
every process (a key with the ``Retry-After`` as its expiry), not only the one that got it.

PyrateLimiter was chosen over ``limits`` (the other well-kept Redis limiter) because its windows
are in milliseconds: ``limits`` counts whole seconds, so it cannot add the slack, and its
moving window then lets requests that left on time arrive 26 to a second (docs/decisions.md,
"scale"). The window is keyed by a digest of the provider, its public URL and its credential
headers: processes with one token share it, and nothing secret is stored in Redis. Timestamps are
each process's wall clock, so machines sharing a limit need synchronised clocks (NTP), and their
remaining skew belongs in ``RedisLimits(..., slack=…)``. Redis is
asked synchronously, from the async driver too: one round trip per request, well under a
millisecond on loopback or a LAN.
"""

from __future__ import annotations

import hashlib
import math
import threading
from typing import Any

import httpx

from .errors import ConfigError
from .http import RateLimiter, TokenBucket
from .provider import KIND, Provider
from .urls import without_password

__all__ = ["RedisLimits", "SharedRateLimiter"]

#: URL schemes redis-py connects to (https://redis.readthedocs.io/en/stable/connections.html).
SCHEMES = ("redis", "rediss", "unix")
_HINT = "pip install 'crmbridge[redis]'"


class RedisLimits:
    """Rate limits kept in the Redis server at ``url``: ``connect(..., limiter=RedisLimits(url))``
    (or ``limiter="redis://…"``, ``--rate-limit-store redis://…``). One instance (one connection
    pool) can serve every bridge of a process.

    ``slack``: seconds added to each window for what may pass between a request being admitted
    and the CRM counting it — the network, a paused thread, and the clock skew between the
    machines sharing the limit (default :attr:`TokenBucket.slack <crmbridge.http.TokenBucket>`).
    A larger slack costs throughput: the window then holds ``rate`` requests in ``1 + slack``
    seconds."""

    def __init__(
        self, url: str, *, prefix: str = "crmbridge:limits", slack: float | None = None
    ) -> None:
        if slack is None:
            slack = TokenBucket.slack
        elif isinstance(slack, bool) or not (isinstance(slack, int | float) and 0 <= slack < 1):
            raise ConfigError(
                f"slack must be a number of seconds from 0 to under 1, got {slack!r}",
                code="bad_rate_limit_store",
            )
        self.slack = float(slack)
        scheme = url.partition("://")[0].lower() if "://" in url else ""
        self.location = without_password(url)
        if scheme not in SCHEMES:
            raise ConfigError(
                f"no rate-limit store for {self.location!r}: give a redis:// URL",
                code="bad_rate_limit_store",
            )
        try:
            import pyrate_limiter  # noqa: F401  (the windows', imported when first used)
            import redis
        except ImportError:
            raise ConfigError(
                f"a redis:// rate-limit store needs redis and pyrate-limiter: {_HINT}",
                code="missing_dependency",
            ) from None
        self.prefix = prefix
        self.client: Any = redis.Redis.from_url(url, socket_timeout=10, socket_connect_timeout=10)
        try:
            self.client.ping()
        except redis.RedisError as exc:
            self.client.close()
            raise ConfigError(
                f"cannot reach the rate-limit store {self.location}: {type(exc).__name__}: "
                f"{_first_line(exc, url)}",
                code="bad_rate_limit_store",
            ) from None

    def __repr__(self) -> str:
        return f"RedisLimits({self.location!r})"

    def key(self, provider: Provider) -> str:
        """The Redis key of ``provider``'s token: the same for every process that uses it."""
        identity = [provider.name, provider.public_url, *sorted(provider.auth_headers().items())]
        digest = hashlib.sha256(repr(identity).encode()).hexdigest()[:32]
        return f"{self.prefix}:{digest}"

    def close(self) -> None:
        self.client.close()


class _SharedWindow:
    """One kind's window (reads or writes) in Redis, and its 429 pause."""

    #: Old entries are trimmed from the sorted set every this many admitted requests.
    leak_every = 256

    def __init__(self, client: Any, key: str, rate: float, slack: float) -> None:
        from pyrate_limiter import Rate, RedisBucket

        capacity = max(1, int(rate))
        window_ms = math.ceil((capacity / rate + slack) * 1000)
        rates = [Rate(capacity, window_ms)]
        burst = capacity // 10
        if burst >= 1:  # at most a tenth of the window at once (no rounding past the window)
            rates.insert(0, Rate(burst, burst * window_ms // capacity))
        self.client = client
        self.pause_key = f"{key}:pause"
        self.bucket: Any = RedisBucket.init(rates, client, key)
        self._lock = threading.Lock()  # the bucket keeps its last decision on itself
        self._admitted = 0

    def admit(self) -> float:
        from pyrate_limiter import RateItem

        paused_ms = int(self.client.pttl(self.pause_key))
        if paused_ms > 0:
            return paused_ms / 1000
        with self._lock:
            now = int(self.bucket.now())
            decision = self.bucket.put_decision(RateItem("request", now))
            if decision.allowed:
                self._admitted += 1
                if self._admitted % self.leak_every == 0:
                    self.bucket.leak(now)
                return 0.0
        wait_ms = decision.retry_after_ms or 1
        return max(int(wait_ms), 1) / 1000

    def penalize(self, seconds: float) -> None:
        """The CRM said wait: every process sharing the window waits (the longer pause wins)."""
        wait_ms = max(1, int(seconds * 1000))
        if int(self.client.pttl(self.pause_key)) < wait_ms:
            self.client.set(self.pause_key, b"1", px=wait_ms)


class SharedRateLimiter(RateLimiter):
    """A :class:`~crmbridge.http.RateLimiter` whose windows are in Redis (built by
    :func:`shared_limiter`). Every request is admitted by Redis just before it is sent, so
    :meth:`delay` reserves nothing."""

    def __init__(
        self,
        client: Any,
        key: str,
        read_rate: float | None,
        write_rate: float | None,
        *,
        slack: float = TokenBucket.slack,
    ) -> None:
        super().__init__(None, None)
        self.key = key
        self.windows: dict[str, _SharedWindow] = {}
        if read_rate:
            self.windows["read"] = _SharedWindow(client, f"{key}:read", read_rate, slack)
        if write_rate:
            self.windows["write"] = _SharedWindow(client, f"{key}:write", write_rate, slack)

    def delay(self, request: httpx.Request) -> float:
        return 0.0

    def admit(self, request: httpx.Request) -> float:
        window = self.windows.get(request.extensions.get(KIND, "write"))
        return window.admit() if window else 0.0

    def penalize(self, request: httpx.Request, seconds: float) -> None:
        window = self.windows.get(request.extensions.get(KIND, "write"))
        if window:
            window.penalize(seconds)


def shared_limiter(
    spec: str | RedisLimits, provider: Provider, read_rate: float | None, write_rate: float | None
) -> RateLimiter:
    """``connect``'s ``limiter=`` (a :class:`RedisLimits`, or a URL to open one) holding the
    limits ``connect`` computed for ``provider``."""
    if isinstance(spec, str):
        spec = RedisLimits(spec)
    elif not isinstance(spec, RedisLimits):
        raise ConfigError(
            f"limiter must be a redis:// URL or a RedisLimits, got {type(spec).__name__}",
            code="bad_rate_limit_store",
        )
    return SharedRateLimiter(
        spec.client, spec.key(provider), read_rate, write_rate, slack=spec.slack
    )


def _first_line(exc: Exception, url: str) -> str:
    text = (str(exc).strip().splitlines() or [""])[0]
    password = httpx.URL(url).password if "://" in url else ""
    return text.replace(password, "***") if password else text
