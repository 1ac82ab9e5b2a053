"""``KizenEmulator``: the stateful Kizen records API (docs/design.md §6), in-process or over loopback HTTP.

Faults, latency, rate limiting and both transports come from :class:`crmbridge.emulation.Emulator`;
this class wires the Kizen pieces together; :class:`.access.StateAccess` adds direct state access for
tests (``records``, ``add_object``, ``add_field``, ``seed_record``, ...). Kizen publishes no rate limits
(docs/reference/kizen.md §10), so ``real_rate_limits`` is unlimited and ``rate_limits=`` is opt-in.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import time
import uuid
from collections.abc import Callable
from typing import ClassVar

import httpx

from crmbridge.emulation import Emulator, Faults, RateLimits
from crmbridge.errors import ConfigError

from .access import StateAccess
from .activities import ActivitiesApi
from .demo import build_demo
from .demo_activities import seed_demo_activities
from .errors import HTML_SERVER_ERROR, ApiError, detail
from .handlers import Handlers
from .ids import stable_id, utc_now
from .locks import RecordLocks
from .routes import Credentials, Router
from .search import Searcher
from .seeds import build_standard
from .serialize import Serializer
from .store import Store
from .writes import Writer

__all__ = ["DEFAULT_API_KEY", "DEFAULT_BUSINESS_ID", "DEFAULT_USER_ID", "KizenEmulator"]

DEFAULT_API_KEY = "kizen-emulator-api-key"
DEFAULT_USER_ID = stable_id("employee", "api-user")
DEFAULT_BUSINESS_ID = stable_id("business", "emulated")
SEEDS = (None, "demo")


class KizenEmulator(StateAccess, Emulator):
    """A stateful emulator of Kizen's records API (see docs/emulators/kizen.md)."""

    name: ClassVar[str] = "kizen"
    base_url: ClassVar[str] = "https://app.go.kizen.com"
    # unpublished (docs/reference/kizen.md §10)
    real_rate_limits: ClassVar[RateLimits] = RateLimits()

    def __init__(
        self,
        *,
        seed: str | None = None,
        random_seed: int = 0,
        demo_size: int | None = None,
        api_key: str | None = None,
        user_id: str | None = None,
        business_id: str | None = None,
        latency_ms: float | tuple[float, float] = 0.0,
        rate_limits: RateLimits | bool | None = None,
        fail_rate: float = 0.0,
        faults: Faults | None = None,
        clock: Callable[[], dt.datetime] | None = None,
    ) -> None:
        if seed not in SEEDS:
            raise ConfigError(f"unknown Kizen emulator seed {seed!r}; known: None, 'demo'")
        super().__init__(
            latency_ms=latency_ms,
            rate_limits=rate_limits,
            fail_rate=fail_rate,
            faults=faults,
            random_seed=random_seed,
        )
        self.api_key = api_key or DEFAULT_API_KEY
        self.user_id = user_id or DEFAULT_USER_ID
        self.business_id = business_id or DEFAULT_BUSINESS_ID
        self._clock = clock or utc_now
        self._ids = random.Random(f"kizen-ids:{random_seed}")
        self.store = Store()
        build_standard(self.store, self.user_id)
        if seed == "demo":
            build_demo(self.store, size=demo_size, random_seed=random_seed)
        self.writer = Writer(self.store, self._now, lambda: self.user_id, self._new_id)
        self.serializer = Serializer(self.store)
        handlers = Handlers(self.store, self.writer, Searcher(self.store), self.serializer)
        #: Activity types and scheduled activities (:mod:`.activities`, issue 21).
        self.activities = ActivitiesApi(self.store, self._new_id)
        if seed == "demo":
            seed_demo_activities(self.activities, random_seed)
        self.router = Router(
            handlers, Credentials(self.api_key, self.user_id, self.business_id), self.activities
        )
        #: Records held by writes in flight: a concurrent write to one answers 409 (.locks).
        self.locks = RecordLocks(self.store)

    def _now(self) -> dt.datetime:
        return self._clock()

    def _new_id(self) -> str:
        return str(uuid.UUID(int=self._ids.getrandbits(128), version=4))

    # --- the Emulator contract --------------------------------------------------------------

    def handle(self, request: httpx.Request) -> httpx.Response:
        if self.locks.refused(request) and self._authenticated(request):
            error = detail(409, "This record is being written by another request.", "conflict")
            return self.json_response(
                409, error.body, headers={"x-request-id": self.router.request_id()}
            )
        return self.router.route(request)

    def _authenticated(self, request: httpx.Request) -> bool:
        try:
            self.router.credentials.check(request.headers)
        except ApiError:
            return False
        return True

    def admit(self, request: httpx.Request) -> float:
        """Also: a write holds its record from its arrival to its answer (:mod:`.locks`)."""
        with self.lock:
            wait = super().admit(request)
            if not wait and self.is_write(request):
                self.locks.arrive(request, time.monotonic())
            return wait

    def dispatch(self, request: httpx.Request, *, rate_wait: float | None = None) -> httpx.Response:
        try:
            return super().dispatch(request, rate_wait=rate_wait)
        finally:
            with self.lock:
                self.locks.release(request)

    def credentials(self) -> dict[str, str]:
        return {"api_key": self.api_key, "user_id": self.user_id, "business_id": self.business_id}

    def auth_headers(self) -> dict[str, str]:
        """The three headers every request carries (docs/reference/kizen.md §2)."""
        return {"X-API-KEY": self.api_key, "X-USER-ID": self.user_id,
                "X-BUSINESS-ID": self.business_id}  # fmt: skip

    def rate_limited_response(self, retry_after: float) -> httpx.Response:
        """DRF's throttled answer: 429, ``Retry-After`` in whole seconds (docs/reference/kizen.md §10, §13.12)."""
        seconds = max(1, math.ceil(retry_after))
        return self.json_response(
            429,
            {"detail": f"Request was throttled. Expected available in {seconds} seconds.",
             "code": "throttled"},
            headers={"Retry-After": str(seconds), "x-request-id": self.router.request_id()},
        )  # fmt: skip

    def server_error_response(self) -> httpx.Response:
        """Django's HTML 500 page, what an unhandled server error looks like (docs/reference/kizen.md §9)."""
        return httpx.Response(
            500,
            content=HTML_SERVER_ERROR.encode(),
            headers={"content-type": "text/html; charset=utf-8",
                     "x-request-id": self.router.request_id()},
        )  # fmt: skip

    def is_write(self, request: httpx.Request) -> bool:
        """``POST …/search`` reads (docs/reference/kizen.md §8), as does ``POST
        /api/activities/{id}/responses`` (:mod:`.activities_logged`)."""
        if request.method == "POST" and request.url.path.endswith(("/search", "/responses")):
            return False
        return super().is_write(request)
