"""HTTP policy in one place: retries, ``Retry-After``, rate limiting, redaction, and the drivers.

Providers are sans-IO: their verbs are plans (see :mod:`crmbridge.provider`). :class:`SyncDriver` and
:class:`AsyncDriver` run those plans over an httpx client and own everything that is not CRM
knowledge:

* **Auth**: ``provider.auth_headers()`` is added to each request just before it is sent, so plans,
  dry runs and request logs never hold credentials.
* **Rate limiting**: a client-side token bucket per kind (read/write), configured from the provider's
  documented limits (``Capabilities.read_rate`` / ``write_rate``). Both drivers ask the same
  thread-safe :class:`TokenBucket` for a delay and sleep it their own way.
* **Retries** (stamina, not a hand-written loop): a 429 is always retried, waiting what
  ``Retry-After`` asked for — as seconds *or* as an HTTP-date (Attio sends dates, docs/reference/attio.md
  §6); 5xx and network errors are retried only for idempotent requests (``provider.is_retryable``);
  attempts and total time are bounded (:class:`RetryPolicy`). Tests make waits instant with
  ``stamina.set_testing(True)``.
* **Errors**: a response with status ≥ 400 becomes ``provider.decode_error(response)``, stamped with
  the provider name, the request id header and a redacted ``METHOD url`` summary.
* **Redaction**: :func:`redact_headers` for anything that logs or records headers.
"""

from __future__ import annotations

import asyncio
import collections
import contextvars
import datetime as dt
import email.utils
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

import attrs
import httpx
import stamina

from . import heap, jsondecode, socket_deadline
from .errors import (
    AuthError,
    ConfigError,
    Conflict,
    CRMError,
    NotFound,
    PermissionDenied,
    ProviderError,
    RateLimited,
    TransportError,
    ValidationError,
)
from .provider import DECODE, EXPECT, IDEMPOTENT, KIND, Plan, Provider

__all__ = [
    "AMBIGUOUS_WRITE",
    "SENSITIVE_HEADERS",
    "AsyncDriver",
    "RateLimiter",
    "RetryPolicy",
    "SyncDriver",
    "TokenBucket",
    "check_same_origin",
    "describe",
    "error_for_status",
    "parse_retry_after",
    "pool_limits",
    "redact_headers",
    "sensitive_headers",
]

log = logging.getLogger("crmbridge.http")
T = TypeVar("T")

#: Set to ``True`` (in the current thread or task) when a write request got no answer — the
#: connection dropped, so the write may or may not have been done — and was then retried. Callers
#: that report what a write did (the migration engine) read it to tell "created by the lost
#: attempt" from "updated".
AMBIGUOUS_WRITE: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "crmbridge_ambiguous_write", default=False
)

#: The HTTP headers that carry credentials whatever the CRM (RFC 9110 §11.6, RFC 6265); lower
#: case. Each provider adds its own: :meth:`Provider.sensitive_headers`.
SENSITIVE_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie"})


def sensitive_headers(providers: Iterable[type[Provider]] | None = None) -> frozenset[str]:
    """:data:`SENSITIVE_HEADERS` and the ``sensitive_headers()`` of ``providers`` (default: every
    registered provider; a plugin that failed to load adds nothing)."""
    if providers is None:
        from .plugins import providers as registered

        providers = [info.cls for info in registered().values()]
    names = set(SENSITIVE_HEADERS)
    for cls in providers:
        names |= cls.sensitive_headers()
    return frozenset(names)


def redact_headers(
    headers: Mapping[str, str] | Iterable[tuple[str, str]],
    sensitive: Iterable[str] | None = None,
) -> dict[str, str]:
    """A copy of ``headers`` with every credential replaced by ``[redacted]``: the names in
    ``sensitive`` (default: :func:`sensitive_headers`, any case)."""
    names = sensitive_headers() if sensitive is None else {n.lower() for n in sensitive}
    items = headers.items() if isinstance(headers, Mapping) else headers
    return {k: ("[redacted]" if k.lower() in names else v) for k, v in items}


def describe(request: httpx.Request) -> str:
    """``"METHOD scheme://host/path"`` — no query string (it may carry ids), no headers."""
    url = request.url
    return f"{request.method} {url.scheme}://{url.netloc.decode('ascii')}{url.path}"


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header given as delta-seconds or as an HTTP-date
    (RFC 9110 §10.2.3). Attio sends HTTP-dates (docs/reference/attio.md §6); others send seconds.
    ``None`` if absent or unreadable; never negative."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    current = time.time() if now is None else now
    return max(when.timestamp() - current, 0.0)


def server_clock(response: httpx.Response) -> float | None:
    """The server's clock when it answered, from the response's ``Date`` header (RFC 9110
    §6.6.1); ``None`` if absent or unreadable. A ``Retry-After`` date is measured against it, not
    the local clock, which may be seconds off (issue 17: a client 5 s fast retried at once)."""
    value = response.headers.get("date")
    if not value:
        return None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.timestamp()


def check_same_origin(base_url: str, url: str, *, provider: str) -> str:
    """Return ``url`` if it is on the same scheme, host and port as ``base_url``; otherwise raise
    :class:`~crmbridge.ProviderError`. Used before following any URL a response gave (Kizen's
    ``next`` links), so credentials are never sent to another host."""
    base = httpx.URL(base_url)
    target = base.join(url)
    if (target.scheme, target.host, target.port) != (base.scheme, base.host, base.port):
        raise ProviderError(
            f"{provider} answered with a link to another host ({target.scheme}://{target.host}); "
            f"crmbridge only sends credentials to {base.scheme}://{base.host}",
            provider=provider,
            code="foreign_url",
        )
    return str(target)


_STATUS_ERRORS: dict[int, type[CRMError]] = {
    400: ValidationError,
    401: AuthError,
    403: PermissionDenied,
    404: NotFound,
    409: Conflict,
    422: ValidationError,
    429: RateLimited,
}


def error_class_for_status(status: int) -> type[CRMError]:
    """The error class a bare HTTP status maps to (docs/design.md §5)."""
    return _STATUS_ERRORS.get(status, ProviderError)


def response_body(response: httpx.Response) -> Any:
    """The body as parsed JSON, or as text when it is not JSON (HTML error pages, truncation)."""
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError, ValueError):
        return response.text


def error_for_status(
    provider: str, response: httpx.Response, *, message: str | None = None, code: str | None = None
) -> CRMError:
    """A generic error for ``response`` from its status alone."""
    cls = error_class_for_status(response.status_code)
    text = message or response.reason_phrase or f"HTTP {response.status_code}"
    return cls(
        text, provider=provider, status=response.status_code, code=code, raw=response_body(response)
    )


def pool_limits(concurrency: int | None = None) -> httpx.Limits:
    """Connection pool limits for a client that runs ``concurrency`` requests at once (default
    100, httpx's own maximum). Every connection may stay alive between requests: httpx keeps
    only 20 by default, so 32 tasks closed and reopened 12 connections per round (issue 24)."""
    size = max(int(concurrency or 100), 1)
    return httpx.Limits(max_connections=size, max_keepalive_connections=size)


@attrs.frozen
class RetryPolicy:
    """Bounds on one call, its retries included.

    * at most ``attempts`` tries, exponential backoff from ``wait_initial`` to ``wait_max`` with
      jitter; a ``Retry-After`` above ``retry_after_max`` is capped;
    * at most ``server_error_attempts`` of them answered with a 5xx: a server that failed
      that often on one request is not helped by more load (docs/decisions.md, "reliability");
    * ``timeout``: the whole call — every attempt, the waits between them, and the body of each
      answer — ends within this many seconds. A server that drips a byte every few seconds never
      trips httpx's per-read timeout; this deadline still ends the call (a ``TransportError``),
      in the blocking client too, headers included (:mod:`crmbridge.socket_deadline`);
    * ``max_body``: an answer larger than this many bytes (after decompression) is refused as a
      ``ProviderError`` without being read whole.
    """

    attempts: int = 6
    timeout: float = 120.0
    wait_initial: float = 0.25
    wait_max: float = 10.0
    wait_jitter: float = 0.5
    retry_after_max: float = 60.0
    server_error_attempts: int = 3
    max_body: int = 64 * 1024 * 1024


class TokenBucket:
    """A thread-safe token bucket that lets at most ``rate`` requests through in any one-second
    window, with bursts up to ``burst`` (default ``rate / 50``, at least 1).

    CRMs count requests per second (the emulators in a one-second sliding window), so the bucket
    refills at ``rate - burst`` per second: a full burst plus one second of refill is exactly
    ``rate``. (Refilling at ``rate`` would let ``rate + burst`` through in some second and get a
    429 — whose ``Retry-After``, an HTTP-date on Attio, pauses every caller for up to a second.)
    Below 2 requests per second it refills at ``rate / 2``.

    :meth:`reserve` takes a token now and returns how long the caller must wait before using it,
    so the sync driver can ``time.sleep`` and the async driver ``asyncio.sleep`` the same answer.

    A caller that wakes up late (a busy event loop, a paused thread) would send together with
    the callers that reserved after it, and a burst of late senders exceeds the server's window.
    So :meth:`admit`, asked just before sending, also keeps the send times of the last second and
    answers how long to wait if ``rate`` requests already went out in it: the limit holds at the
    moment requests actually leave, not only when their tokens were reserved.
    """

    #: Seconds added to :meth:`admit`'s window: what may pass between a request leaving the
    #: limiter and the server counting it (building it, a GC pause, network jitter). Without it,
    #: a request that is a few ms late on the server's clock is the window's ``rate + 1``-th.
    slack: float = 0.03

    def __init__(self, rate: float, burst: float | None = None) -> None:
        self._lock = threading.Lock()
        self._sent: collections.deque[float] = collections.deque()
        self._burst_given = burst
        self._configure(rate)
        self._tokens = self.burst
        self._updated = time.monotonic()

    def _configure(self, rate: float) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.burst = self._burst_given if self._burst_given is not None else max(1.0, rate / 50)
        #: Tokens added per second.
        self.refill = max(rate - self.burst, rate / 2)
        #: At most ``_capacity`` sends in any ``_window`` seconds (``rate`` per second, less
        #: the slack).
        self._capacity = max(1, int(rate))
        self._window = self._capacity / rate + self.slack

    def set_rate(self, rate: float) -> None:
        """Pace at ``rate`` from now on, keeping the sends already counted: a rate found from
        the server's answers moves as it is probed (:mod:`crmbridge.pacing`)."""
        with self._lock:
            now = time.monotonic()
            self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.refill)
            self._updated = now
            self._configure(rate)
            self._tokens = min(self._tokens, self.burst)

    def remember(self, sent: Iterable[float]) -> None:
        """Count sends made before this bucket paced them (``time.monotonic()`` times) in
        :meth:`admit`'s window, so that a bucket made after a 429 starts as full as the
        server's window."""
        with self._lock:
            self._sent = collections.deque(sorted([*self._sent, *sent]))

    def admit(self) -> float:
        """0 if a request may leave now (and it is counted as sent); else seconds to wait."""
        with self._lock:
            now = time.monotonic()
            sent = self._sent
            cutoff = now - self._window
            while sent and sent[0] <= cutoff:
                sent.popleft()
            if len(sent) < self._capacity:
                sent.append(now)
                return 0.0
            return max(sent[0] - cutoff, 0.001)

    def reserve(self) -> float:
        with self._lock:
            now = time.monotonic()
            self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.refill)
            self._updated = now
            self._tokens -= 1.0
            if self._tokens >= 0:
                return 0.0
            return -self._tokens / self.refill

    def penalize(self, seconds: float) -> None:
        """The server said wait: drain the bucket so every caller backs off, not just one."""
        with self._lock:
            self._tokens = min(self._tokens, -seconds * self.refill)


class RateLimiter:
    """One bucket for reads and one for writes (``None``: unlimited)."""

    def __init__(self, read_rate: float | None, write_rate: float | None) -> None:
        self.buckets: dict[str, TokenBucket] = {}
        if read_rate:
            self.buckets["read"] = TokenBucket(read_rate)
        if write_rate:
            self.buckets["write"] = TokenBucket(write_rate)

    @classmethod
    def for_provider(cls, provider: Provider, scale: float = 1.0) -> RateLimiter:
        return cls(*cls.rates(provider, scale))

    @staticmethod
    def rates(provider: Provider, scale: float = 1.0) -> tuple[float | None, float | None]:
        """``(reads, writes)`` per second: the provider's documented limits times ``scale``."""
        caps = provider.capabilities
        return (
            caps.read_rate * scale if caps.read_rate else None,
            caps.write_rate * scale if caps.write_rate else None,
        )

    def delay(self, request: httpx.Request) -> float:
        """Reserve a token for ``request``: seconds to wait before asking :meth:`admit`."""
        bucket = self.buckets.get(request.extensions.get(KIND, "write"))
        return bucket.reserve() if bucket else 0.0

    def admit(self, request: httpx.Request) -> float:
        """Just before sending: 0 to send now, else seconds to wait and ask again."""
        bucket = self.buckets.get(request.extensions.get(KIND, "write"))
        return bucket.admit() if bucket else 0.0

    def penalize(self, request: httpx.Request, seconds: float) -> None:
        bucket = self.buckets.get(request.extensions.get(KIND, "write"))
        if bucket:
            bucket.penalize(seconds)


#: Exceptions a codec raises on a body it cannot read (JSON errors are ValueErrors; a body nested
#: deeper than the interpreter recurses is a RecursionError); crmbridge's own errors (some are
#: ValueErrors or LookupErrors too) pass through unchanged.
UNREADABLE = (
    KeyError,
    TypeError,
    ValueError,
    AttributeError,
    IndexError,
    LookupError,
    RecursionError,
)

#: From this many bytes, an answer's parse is followed by giving the C heap's free pages back
#: (crmbridge/heap.py): the chunks the body was read in and the text ``json.loads`` decoded it
#: to, each the size of the body (a page of records: MBs), are free by then. Measured (issue 24,
#: bench/memory_probe.py, docs/benchmarks.md "Third pass"): peak 91 vs 95 MB at 30k records,
#: beside the engine's once per page; ~0.5 ms per call.
_LARGE_BODY = 1 << 20

#: ``ProviderError.code`` of a success answer whose JSON ends early (a body cut mid-stream by a
#: proxy or a dying server): retried for idempotent requests, like a dropped connection.
TRUNCATED = "truncated_body"


class _DriverBase:
    def __init__(
        self,
        provider: Provider,
        *,
        policy: RetryPolicy | None = None,
        limiter: RateLimiter | None = None,
        on_request: Callable[[httpx.Request], None] | None = None,
    ) -> None:
        self.provider = provider
        self.policy = policy or RetryPolicy()
        self.limiter = limiter if limiter is not None else RateLimiter.for_provider(provider)
        #: Called with every request actually sent (request counting, benchmarks, tests).
        self.on_request = on_request
        self._auth = provider.auth_headers()
        for name, value in self._auth.items():
            if not value.isascii():  # httpx would fail at the first request, inside httpcore
                raise ConfigError(
                    f"{provider.name}: the credential sent as {name} holds a non-ASCII "
                    "character, which HTTP headers cannot carry: check it was copied whole",
                    provider=provider.name,
                    code="credential_not_ascii",
                )

    def _prepare(self, request: httpx.Request) -> None:
        request.headers.update(self._auth)
        if self.on_request is not None:
            self.on_request(request)

    def _check(
        self, request: httpx.Request, response: httpx.Response, *, lost: bool = False
    ) -> None:
        """Raise the provider's error for an unexpected error status. ``lost``: an earlier attempt
        of this request got no answer — a DELETE that then finds nothing (404) did its work the
        first time, so that 404 is a success (RFC 9110 §9.2.2: DELETE is idempotent)."""
        status = response.status_code
        if status < 300:
            self._parse(request, response)
            return
        if status in request.extensions.get(EXPECT, ()):
            return
        if lost and status == 404 and request.method == "DELETE":
            return
        if status < 400:
            # Redirects are never followed: they could carry the credentials to another host.
            where = response.headers.get("location", "?")
            raise ProviderError(
                f"{self.provider.name} answered with a redirect ({status}) to {where!r}, which "
                "crmbridge does not follow; check base_url",
                provider=self.provider.name,
                status=status,
                code="redirect",
                request=describe(request),
                raw=response_body(response),
            )
        error = self.provider.decode_error(response)
        error.provider = error.provider or self.provider.name
        error.status = error.status or status
        error.request = describe(request)
        header = self.provider.request_id_header
        if header and not error.request_id:
            error.request_id = response.headers.get(header)
        if isinstance(error, RateLimited) or status == 429:
            wait = parse_retry_after(
                response.headers.get("retry-after"), now=server_clock(response)
            )
            if not isinstance(error, RateLimited):
                error = RateLimited(
                    error.message,
                    provider=error.provider,
                    status=status,
                    code=error.code,
                    request_id=error.request_id,
                    raw=error.raw,
                    request=error.request,
                )
            if wait is not None:
                error.retry_after = wait
        raise error

    def _parse(self, request: httpx.Request, response: httpx.Response) -> None:
        """Parse a JSON success body once, here, where a bad one can still be retried.

        A body that is not whole JSON is an answer cut short: for a write it is as ambiguous as
        a dropped connection (the write may be done; :data:`AMBIGUOUS_WRITE`, and a
        :class:`~crmbridge.TransportError` so callers that resolve lost answers by reading back —
        the migration engine's upsert retry — do so); for a read it is a ``ProviderError``
        (code :data:`TRUNCATED`, the raw body kept) that is retried when the request is
        idempotent. Bodies that say they are not JSON are left to the provider's codec.
        The parsed value is what ``response.json()`` returns afterwards (parsed once)."""
        content = response.content
        # The body is read: httpx's bound stream, which points back at the response, is done
        # with. Replacing it breaks that reference cycle, so the response (its body, and the
        # parsed JSON attached below) is freed as soon as nothing uses it, not at the next full
        # run of the cyclic collector — a migration's pages piled up until then (issue 24,
        # bench/engine_memory.py; httpx 0.28 _client.py ``BoundAsyncStream(..., response=...)``).
        response.stream = httpx.ByteStream(content)
        ctype = response.headers.get("content-type", "")
        if not content or (ctype and "json" not in ctype.lower()):
            return
        try:
            # json.loads's value (by orjson when it can), or the plan's own decoder's (DECODE)
            data = request.extensions.get(DECODE, jsondecode.loads)(content)
            if len(content) >= _LARGE_BODY:
                heap.return_free_memory()
        except RecursionError:
            raise ProviderError(
                f"{self.provider.name} sent JSON nested deeper than crmbridge reads "
                f"({len(content)} bytes)",
                provider=self.provider.name,
                status=response.status_code,
                request=describe(request),
                code="too_deep",
            ) from None
        except ValueError:  # JSONDecodeError, UnicodeDecodeError
            if request.extensions.get(KIND) == "write":
                AMBIGUOUS_WRITE.set(True)
                raise TransportError(
                    f"{self.provider.name}'s answer to {describe(request)} was cut short "
                    f"({len(content)} bytes, not whole JSON): the write may have been done",
                    provider=self.provider.name,
                    status=response.status_code,
                    request=describe(request),
                    raw=response_body(response),
                    code=TRUNCATED,
                ) from None
            raise ProviderError(
                f"{self.provider.name} sent a response crmbridge cannot read "
                f"(not whole JSON: {len(content)} bytes, cut short?)",
                provider=self.provider.name,
                status=response.status_code,
                request=describe(request),
                raw=response_body(response),
                code=TRUNCATED,
            ) from None
        response.json = lambda **_: data  # type: ignore[method-assign]

    def _enrich(self, exc: CRMError, response: httpx.Response | None) -> CRMError:
        """A codec's :class:`ProviderError` about a response gets that response's body, status and
        request, so nothing the CRM said is lost and the error says where it came from."""
        if isinstance(exc, ProviderError) and response is not None and exc.raw is None:
            exc.raw = response_body(response)
            exc.status = exc.status or response.status_code
            exc.request = exc.request or describe(response.request)
        exc.provider = exc.provider or self.provider.name
        return exc

    def _unreadable(self, response: httpx.Response | None, exc: BaseException) -> CRMError:
        """A response the provider's codec could not read: a :class:`ProviderError` that keeps
        the body, instead of a ``KeyError`` from deep inside the codec."""
        if isinstance(exc, CRMError):
            return exc
        if response is None:  # the plan failed before any request: a bug in the plan itself
            raise exc
        what = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        return ProviderError(
            f"{self.provider.name} sent a response crmbridge cannot read "
            f"({type(exc).__name__}: {what})",
            provider=self.provider.name,
            status=response.status_code,
            raw=response_body(response),
            request=describe(response.request),
            request_id=response.headers.get(self.provider.request_id_header or "x-request-id"),
            code="unreadable_response",
        )

    def _transport_error(
        self, request: httpx.Request, exc: httpx.TransportError | TimeoutError
    ) -> TransportError:
        if request.extensions.get(KIND) == "write":
            AMBIGUOUS_WRITE.set(True)
        kind = type(exc).__name__
        url = request.url
        where = f"{url.scheme}://{url.host}" + (f":{url.port}" if url.port else "")
        return TransportError(
            f"no answer from {self.provider.name} at {where}: {kind}",
            provider=self.provider.name,
            request=describe(request),
            code=kind,
        )

    def _overdue(self, request: httpx.Request) -> TransportError:
        """The call's deadline (``RetryPolicy.timeout``) passed before its answer was whole."""
        if request.extensions.get(KIND) == "write":
            AMBIGUOUS_WRITE.set(True)
        return TransportError(
            f"{self.provider.name} did not answer {describe(request)} within "
            f"{self.policy.timeout:g} s (RetryPolicy.timeout)",
            provider=self.provider.name,
            request=describe(request),
            code="deadline",
        )

    def _too_large(self, request: httpx.Request, size: int) -> ProviderError:
        return ProviderError(
            f"{self.provider.name}'s answer to {describe(request)} is larger than "
            f"{self.policy.max_body:,} bytes (at least {size:,}; RetryPolicy.max_body): not read",
            provider=self.provider.name,
            request=describe(request),
            code="body_too_large",
        )

    def _declared_size(self, request: httpx.Request, response: httpx.Response) -> None:
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.policy.max_body:
            raise self._too_large(request, int(declared))

    def _backoff(self, request: httpx.Request) -> Callable[[BaseException], bool | float]:
        """stamina's backoff hook: retry 429 honouring Retry-After; a truncated answer to an
        idempotent request; others as the provider says, at most ``server_error_attempts``
        5xx answers. A write retried after a 5xx may have been done by the failed attempt
        (the server can fail after applying it): :data:`AMBIGUOUS_WRITE`."""
        policy = self.policy
        server_errors = 0

        def hook(exc: BaseException) -> bool | float:
            nonlocal server_errors
            if isinstance(exc, RateLimited):
                wait = exc.retry_after
                if wait is None:
                    return True
                wait = min(wait, policy.retry_after_max)
                self.limiter.penalize(request, wait)
                return wait
            if not isinstance(exc, CRMError):
                return False
            if isinstance(exc, ProviderError) and exc.code == TRUNCATED:
                return bool(request.extensions.get(IDEMPOTENT, False))
            if (exc.status or 0) >= 500:
                server_errors += 1
                if server_errors >= policy.server_error_attempts:
                    return False
            retry = self.provider.is_retryable(exc, request)
            if retry and (exc.status or 0) >= 500 and request.extensions.get(KIND) == "write":
                AMBIGUOUS_WRITE.set(True)
            return retry

        return hook

    def _retrying(self, request: httpx.Request, deadline: float) -> Any:
        p = self.policy
        return stamina.retry_context(
            on=self._backoff(request),
            attempts=p.attempts,
            timeout=max(deadline - time.monotonic(), 0.001),
            wait_initial=p.wait_initial,
            wait_max=p.wait_max,
            wait_jitter=p.wait_jitter,
        )


class SyncDriver(_DriverBase):
    """Runs plans over an ``httpx.Client``."""

    def __init__(self, client: httpx.Client, provider: Provider, **kw: Any) -> None:
        super().__init__(provider, **kw)
        self.client = client

    def send(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` with auth, rate limiting, retries and error mapping.

        The first attempt runs without the retry machinery (most requests need none); only a
        failure enters stamina's loop, whose first round re-raises it so stamina's backoff and
        bounds apply to it as to any other. ``lost``: an earlier attempt got no whole answer."""
        deadline = time.monotonic() + self.policy.timeout
        try:
            return self._attempt(request, deadline, lost=False)
        except CRMError as exc:
            failed: CRMError | None = exc
        lost = isinstance(failed, TransportError)
        for attempt in self._retrying(request, deadline):
            with attempt:
                if failed is not None:
                    error, failed = failed, None
                    raise error
                try:
                    return self._attempt(request, deadline, lost=lost)
                except TransportError:
                    lost = True
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _attempt(self, request: httpx.Request, deadline: float, *, lost: bool) -> httpx.Response:
        # Reserve a token, then check the last second's sends just before sending.
        wait = self.limiter.delay(request) or self.limiter.admit(request)
        while wait:
            time.sleep(wait)
            wait = self.limiter.admit(request)
        if time.monotonic() >= deadline:
            raise self._overdue(request)
        self._prepare(request)
        try:
            with socket_deadline.deadline(deadline):
                response = self.client.send(request, stream=True)
                try:
                    self._read(request, response, deadline)
                finally:
                    response.close()
        except httpx.TransportError as exc:
            if time.monotonic() >= deadline:
                raise self._overdue(request) from None
            raise self._transport_error(request, exc) from None
        log.debug("%s -> %s", describe(request), response.status_code)
        self._check(request, response, lost=lost)
        return response

    def _read(self, request: httpx.Request, response: httpx.Response, deadline: float) -> None:
        """Read the body within the deadline and the size bound (``RetryPolicy``)."""
        self._declared_size(request, response)
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > self.policy.max_body:
                raise self._too_large(request, size)
            if time.monotonic() > deadline:
                raise self._overdue(request)
            chunks.append(chunk)
        response._content = b"".join(chunks)

    def run(self, plan: Plan[T]) -> T:
        """Drive ``plan`` to its result."""
        response: httpx.Response | None = None
        try:
            request = next(plan)
            while True:
                response = self.send(request)
                request = plan.send(response)
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]
        except CRMError as exc:
            raise self._enrich(exc, response) from None
        except UNREADABLE as exc:
            raise self._unreadable(response, exc) from exc


class AsyncDriver(_DriverBase):
    """Runs plans over an ``httpx.AsyncClient``."""

    def __init__(self, client: httpx.AsyncClient, provider: Provider, **kw: Any) -> None:
        super().__init__(provider, **kw)
        self.client = client

    async def send(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` with auth, rate limiting, retries and error mapping (see
        :meth:`SyncDriver.send`)."""
        deadline = time.monotonic() + self.policy.timeout
        try:
            return await self._attempt(request, deadline, lost=False)
        except CRMError as exc:
            failed: CRMError | None = exc
        lost = isinstance(failed, TransportError)
        async for attempt in self._retrying(request, deadline):
            with attempt:
                if failed is not None:
                    error, failed = failed, None
                    raise error
                try:
                    return await self._attempt(request, deadline, lost=lost)
                except TransportError:
                    lost = True
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    async def _attempt(
        self, request: httpx.Request, deadline: float, *, lost: bool
    ) -> httpx.Response:
        # Reserve a token, then check the last second's sends just before sending.
        wait = self.limiter.delay(request) or self.limiter.admit(request)
        while wait:
            await asyncio.sleep(wait)
            wait = self.limiter.admit(request)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise self._overdue(request)
        self._prepare(request)
        try:
            async with asyncio.timeout(remaining):
                response = await self.client.send(request, stream=True)
                try:
                    await self._read(request, response)
                finally:
                    await response.aclose()
        except TimeoutError:
            raise self._overdue(request) from None
        except httpx.TransportError as exc:
            raise self._transport_error(request, exc) from None
        log.debug("%s -> %s", describe(request), response.status_code)
        self._check(request, response, lost=lost)
        return response

    async def _read(self, request: httpx.Request, response: httpx.Response) -> None:
        """Read the body within the size bound (the deadline is the caller's ``timeout``)."""
        self._declared_size(request, response)
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > self.policy.max_body:
                raise self._too_large(request, size)
            chunks.append(chunk)
        response._content = b"".join(chunks)

    async def run(self, plan: Plan[T]) -> T:
        """Drive ``plan`` to its result."""
        response: httpx.Response | None = None
        try:
            request = next(plan)
            while True:
                response = await self.send(request)
                request = plan.send(response)
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]
        except CRMError as exc:
            raise self._enrich(exc, response) from None
        except UNREADABLE as exc:
            raise self._unreadable(response, exc) from exc
