"""Shared machinery for the CRM emulators (docs/design.md §6): faults, latency, rate limits, transports.

A provider's emulator subclasses :class:`Emulator` and implements only the CRM: :meth:`Emulator.handle`
(a pure request → response function over in-memory state), :meth:`Emulator.credentials`, and the
CRM's own bodies for a 429 and a 5xx. This module adds what every emulator needs, in one place:

* **Faults**, all off by default: latency (fixed or a random range), the CRM's real rate limits
  answered with 429, random 5xx and dropped connections (``fail_rate`` splits evenly between the three;
  :class:`Faults` sets each). A 429 or an injected 5xx never changes state. A dropped connection
  happens before the request is handled or, half the time, *after* it (the write is done but the
  answer is lost) — the ambiguous failure that clients must not blindly retry. Hostile answers, each
  after the request was handled (so a write is done): a 5xx (``server_error_after``), a body cut
  mid-stream (``cut_body``: the connection closes before ``content-length`` bytes), a 200 whose JSON
  is cut but whose length is consistent (``truncated``), and a body sent one byte every
  ``drip_interval`` seconds (``drip``).
* **In-process**: :meth:`Emulator.transport` is an ``httpx.MockTransport`` that works for sync and
  async clients (latency uses ``asyncio.sleep`` under async, so concurrent clients overlap).
* **Over HTTP**: :meth:`Emulator.serve` serves the same state on ``127.0.0.1`` only
  (:mod:`crmbridge.emulation_server`).
"""

from __future__ import annotations

import abc
import asyncio
import email.utils
import json
import math
import random
import threading
import time
import uuid
from collections import Counter, deque
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from typing import Any, ClassVar

import attrs
import httpx

from crmbridge.emulation_server import FAULT, EmulatorServer

__all__ = [
    "Emulator",
    "EmulatorServer",
    "EmulatorTransport",
    "EncodedJSON",
    "Faults",
    "RateLimits",
    "json_bytes",
]

#: ``json.dumps(..., separators=(",", ":"), ensure_ascii=False)`` without its circular check.
_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, check_circular=False)


def json_bytes(body: Any) -> bytes:
    """``body`` as :meth:`Emulator.json_response` sends it: compact separators, UTF-8 unescaped.

    The encoding of a list is ``[`` + its items' encodings joined by ``,`` + ``]`` (no
    whitespace, no context: :class:`json.JSONEncoder` with these separators), so an emulator may
    build an answer from parts encoded apart (and kept: the Attio emulator's records) and send
    it as :class:`EncodedJSON`, byte for byte what encoding the whole would give."""
    return _ENCODER.encode(body).encode()


class EncodedJSON(bytes):
    """A JSON body already encoded (:func:`json_bytes`): :meth:`Emulator.json_response` sends it
    as it is."""


@attrs.frozen
class RateLimits:
    """Requests per second the emulator accepts before answering 429 (``None``: unlimited)."""

    reads: float | None = None
    writes: float | None = None

    def scaled(self, factor: float) -> RateLimits:
        return RateLimits(
            reads=None if self.reads is None else self.reads * factor,
            writes=None if self.writes is None else self.writes * factor,
        )


@attrs.frozen
class Faults:
    """Fractions of requests that get each injected fault."""

    rate_limit: float = 0.0
    server_error: float = 0.0
    drop: float = 0.0
    #: A 5xx *after* the request was handled: the write is done, the answer says it failed.
    server_error_after: float = 0.0
    #: The answer's body stops half way and the connection closes.
    cut_body: float = 0.0
    #: A 200 whose body is the first half of its JSON, with a consistent ``content-length``.
    truncated: float = 0.0
    #: The body is sent one byte every ``drip_interval`` seconds.
    drip: float = 0.0
    drip_interval: float = 5.0

    @classmethod
    def from_rate(cls, fail_rate: float) -> Faults:
        """``--fail-rate F``: a fraction F of requests gets one of the three, chosen at random."""
        if not 0.0 <= fail_rate <= 1.0:
            raise ValueError(f"fail_rate must be between 0 and 1, got {fail_rate}")
        return cls(fail_rate / 3, fail_rate / 3, fail_rate / 3)

    @classmethod
    def hostile(cls, fail_rate: float) -> Faults:
        """A fraction ``fail_rate`` of requests gets one of the seven faults (drip excluded:
        it only slows), chosen at random — the mix of issue 15's attack."""
        if not 0.0 <= fail_rate <= 1.0:
            raise ValueError(f"fail_rate must be between 0 and 1, got {fail_rate}")
        each = fail_rate / 6
        return cls(each, each, each, each, each, each)

    @property
    def any(self) -> bool:
        return bool(
            self.rate_limit
            or self.server_error
            or self.drop
            or self.server_error_after
            or self.cut_body
            or self.truncated
            or self.drip
        )


class _Window:
    """A one-second sliding window counter: the CRMs count requests per second."""

    def __init__(self, limit: float) -> None:
        self.limit = limit
        self.stamps: deque[float] = deque()

    def admit(self, now: float) -> float:
        """0 if the request is admitted (and counted); else seconds until it would be."""
        cutoff = now - 1.0
        stamps = self.stamps
        while stamps and stamps[0] <= cutoff:
            stamps.popleft()
        if len(stamps) < self.limit:
            stamps.append(now)
            return 0.0
        return max(stamps[0] + 1.0 - now, 0.001)


#: Called as ``watcher(emulator, request, response)`` for every 4xx answer an emulator's
#: :meth:`Emulator.handle` gives (injected faults and rate limits are not refusals): the testing
#: kit's strict mode (:mod:`crmbridge.testing.strict`) fails a test on refusals it did not expect.
refusal_watchers: list[Callable[[Emulator, httpx.Request, httpx.Response], None]] = []


class Emulator(abc.ABC):
    """Base class of the stateful CRM emulators."""

    #: Provider name (``attio``, ``kizen``).
    name: ClassVar[str]
    #: The real service's base URL; in-process clients use it so recorded paths match.
    base_url: ClassVar[str]
    #: The CRM's documented limits (used when ``rate_limits=True``).
    real_rate_limits: ClassVar[RateLimits] = RateLimits()

    def __init__(
        self,
        *,
        latency_ms: float | tuple[float, float] = 0.0,
        rate_limits: RateLimits | bool | None = None,
        fail_rate: float = 0.0,
        faults: Faults | None = None,
        random_seed: int = 0,
    ) -> None:
        self.latency_ms = latency_ms
        if rate_limits is True:
            rate_limits = self.real_rate_limits
        self.rate_limits: RateLimits | None = rate_limits or None
        self.faults = faults if faults is not None else Faults.from_rate(fail_rate)
        self._fault_random = random.Random(random_seed)
        self._latency_random = random.Random(random_seed + 1)
        self.lock = threading.RLock()
        self._windows: dict[str, _Window] = {}
        #: Requests answered, by ``"METHOD /path"`` (for benchmarks and tests).
        self.requests: Counter[str] = Counter()
        #: Tells this emulator (and its data) from any other, e.g. in a migration's state file.
        self.instance = uuid.uuid4().hex[:12]

    # --- what a CRM emulator implements ------------------------------------------------------

    @abc.abstractmethod
    def handle(self, request: httpx.Request) -> httpx.Response:
        """Answer ``request`` from the in-memory state (called under :attr:`lock`)."""

    @abc.abstractmethod
    def credentials(self) -> dict[str, str]:
        """The ``connect()`` arguments that authenticate against this emulator."""

    @abc.abstractmethod
    def rate_limited_response(self, retry_after: float) -> httpx.Response:
        """The CRM's own 429 answer, asking the client to wait ``retry_after`` seconds."""

    @abc.abstractmethod
    def server_error_response(self) -> httpx.Response:
        """The CRM's own 5xx answer."""

    def is_write(self, request: httpx.Request) -> bool:
        """Whether ``request`` counts against the write limit (override for POST reads)."""
        return request.method not in ("GET", "HEAD", "OPTIONS")

    # --- shared behaviour --------------------------------------------------------------------

    def latency(self) -> float:
        """Seconds to wait before answering this request."""
        if isinstance(self.latency_ms, tuple):
            lo, hi = self.latency_ms
            with self.lock:
                return self._latency_random.uniform(lo, hi) / 1000.0
        return self.latency_ms / 1000.0

    def _check_rate(self, request: httpx.Request) -> float:
        if self.rate_limits is None:
            return 0.0
        bucket = "writes" if self.is_write(request) else "reads"
        limit = getattr(self.rate_limits, bucket)
        if limit is None:
            return 0.0
        window = self._windows.get(bucket)
        if window is None:
            window = self._windows[bucket] = _Window(limit)
        return window.admit(time.monotonic())

    def admit(self, request: httpx.Request) -> float:
        """Count ``request`` against the rate limit as it arrives: 0 if admitted, else the
        seconds the client should wait (:meth:`dispatch` then answers 429)."""
        with self.lock:
            return self._check_rate(request)

    def dispatch(self, request: httpx.Request, *, rate_wait: float | None = None) -> httpx.Response:
        """Faults and limits, then :meth:`handle`. Raises ``httpx.RemoteProtocolError`` for a
        dropped connection. ``rate_wait``: what :meth:`admit` answered when the request arrived
        (by default it is counted now)."""
        with self.lock:
            self.requests[f"{request.method} {request.url.path}"] += 1
            wait = self._check_rate(request) if rate_wait is None else rate_wait
            if wait:
                return self.rate_limited_response(wait)
            after: str | None = None
            if self.faults.any:
                roll = self._fault_random.random()
                f = self.faults
                if roll < f.rate_limit:
                    return self.rate_limited_response(1.0)
                roll -= f.rate_limit
                if roll < f.server_error:
                    return self.server_error_response()
                roll -= f.server_error
                if roll < f.drop:
                    if self._fault_random.random() >= 0.5:
                        raise httpx.RemoteProtocolError(
                            "Server disconnected without sending a response.", request=request
                        )
                    after = "drop"
                else:
                    roll -= f.drop
                    for name in ("server_error_after", "cut_body", "truncated", "drip"):
                        if roll < getattr(f, name):
                            after = name
                            break
                        roll -= getattr(f, name)
            response = self.handle(request)
            if 400 <= response.status_code < 500 and response.status_code != 429:
                for watcher in tuple(refusal_watchers):
                    watcher(self, request, response)
            if after == "drop":
                raise httpx.RemoteProtocolError(
                    "Server disconnected without sending a response.", request=request
                )
            if after == "server_error_after":
                return self.server_error_response()
            if after == "truncated" and response.content:
                content = response.content[: len(response.content) // 2]
                headers = {k: v for k, v in response.headers.items() if k != "content-length"}
                return httpx.Response(response.status_code, content=content, headers=headers)
            if after in ("cut_body", "drip") and response.content:
                response.extensions[FAULT] = after
            return response

    def transport(self) -> EmulatorTransport:
        """An httpx transport serving this emulator in-process, for sync and async clients."""
        return EmulatorTransport(self)

    def auth_headers(self) -> dict[str, str]:
        """The headers that authenticate against this emulator, as the CRM's clients send them."""
        return {}

    def client(self, *, auth: bool = True, **kwargs: Any) -> httpx.Client:
        """A raw httpx client on this emulator in-process, at the real service's base URL and
        (``auth``) with its credentials: for talking to it as the CRM's own API."""
        headers = {**(self.auth_headers() if auth else {}), **kwargs.pop("headers", {})}
        return httpx.Client(
            transport=self.transport(), base_url=self.base_url, headers=headers, **kwargs
        )

    def serve(self, host: str = "127.0.0.1", port: int = 0) -> EmulatorServer:
        """Start serving over HTTP on ``host`` (loopback only) in a background thread."""
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError(f"emulators bind to loopback only, not {host!r}")
        return EmulatorServer(self, host, port)

    # --- helpers for subclasses --------------------------------------------------------------

    @staticmethod
    def json_response(
        status: int, body: Any, headers: Mapping[str, str] | None = None
    ) -> httpx.Response:
        """A JSON response with compact separators, as the real services send. Without the
        encoder's circular-reference check (answers are trees built per request; the check cost
        ~14% of encoding a record, docs/benchmarks.md §11 "Attio values held compactly")."""
        content = body if isinstance(body, EncodedJSON) else json_bytes(body)
        hdrs = {"content-type": "application/json; charset=utf-8", **(headers or {})}
        return httpx.Response(status, content=content, headers=hdrs)

    @staticmethod
    def http_date(seconds_from_now: float) -> str:
        """An HTTP-date (RFC 9110 §5.6.7) ``seconds_from_now`` in the future, rounded up."""
        return email.utils.formatdate(math.ceil(time.time() + seconds_from_now), usegmt=True)


class EmulatorTransport(httpx.MockTransport):
    """``httpx.MockTransport`` over an :class:`Emulator`, with latency that does not block an
    event loop.

    A request counts against the rate limit when it is sent, before the emulated latency: in
    process, the latency timers share the client's event loop, and a busy loop (a page being
    decoded, a garbage collection) wakes many at once — counting them then would bunch requests
    the client had spaced out, and answer 429s that no network would cause."""

    def __init__(self, emulator: Emulator) -> None:
        super().__init__(emulator.dispatch)
        self.emulator = emulator

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        wait = self.emulator.admit(request)
        delay = self.emulator.latency()
        if delay:
            time.sleep(delay)
        return self._deliver(self.emulator.dispatch(request, rate_wait=wait), request)

    def _deliver(self, response: httpx.Response, request: httpx.Request) -> httpx.Response:
        """Apply a body fault (cut, drip) the way a socket would show it to the client."""
        fault = response.extensions.get(FAULT)
        if fault is None:
            return response
        stream = _FaultyBody(response.content, fault, request, self.emulator.faults.drip_interval)
        headers = {k: v for k, v in response.headers.items() if k != "content-length"}
        headers["content-length"] = str(len(response.content))
        return httpx.Response(response.status_code, headers=headers, stream=stream)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        wait = self.emulator.admit(request)
        delay = self.emulator.latency()
        if delay:
            await asyncio.sleep(delay)
        return self._deliver(self.emulator.dispatch(request, rate_wait=wait), request)


class _FaultyBody(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A body that stops half way with a protocol error (``cut_body``) or comes one byte every
    ``interval`` seconds (``drip``), for sync and async clients."""

    def __init__(self, content: bytes, fault: str, request: httpx.Request, interval: float) -> None:
        self.content, self.fault, self.request, self.interval = content, fault, request, interval

    def _cut(self) -> httpx.RemoteProtocolError:
        return httpx.RemoteProtocolError(
            "peer closed connection without sending complete message body", request=self.request
        )

    def __iter__(self) -> Iterator[bytes]:
        if self.fault == "cut_body":
            yield self.content[: len(self.content) // 2]
            raise self._cut()
        for i in range(len(self.content)):
            time.sleep(self.interval)
            yield self.content[i : i + 1]

    async def __aiter__(self) -> AsyncIterator[bytes]:
        if self.fault == "cut_body":
            yield self.content[: len(self.content) // 2]
            raise self._cut()
        for i in range(len(self.content)):
            await asyncio.sleep(self.interval)
            yield self.content[i : i + 1]
