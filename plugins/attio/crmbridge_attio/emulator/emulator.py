"""``AttioEmulator``: the Attio REST API v2 over in-memory state (docs/design.md §6).

This module only joins the parts: authentication (docs/reference/attio.md §7; 401 body recorded in
``errors/rbeene_401_auth_error.json``), JSON parsing, routing (:mod:`.routes`), Attio's error, 429 and
5xx bodies (docs/reference/attio.md §5-§6; 429 body and HTTP-date ``Retry-After`` from the rate-limiting docs
example in ``documented_examples.json``), which requests count as reads (``POST …/query`` does,
docs/reference/attio.md §6), and direct state access for tests and seeding. Faults, latency, rate limiting and the
transports come from :class:`crmbridge.emulation.Emulator`.
"""

from __future__ import annotations

import base64
import email.utils
import json
import time
from typing import Any, ClassVar, Literal

import httpx

from crmbridge.emulation import Emulator, Faults, RateLimits
from crmbridge.errors import ConfigError

from . import errors
from .access import StateAccess
from .demo import DEFAULT_DEMO_SIZE, generate_demo
from .handlers import Call
from .ids import IdFactory, execution_id, now_timestamp, timestamp_at_ms
from .routes import Router
from .seeds import (
    SCHEMA_CREATED_AT,
    install_standard,
)
from .store import Workspace
from .webhooks import WebhookHub

__all__ = ["DEFAULT_TOKEN", "AttioEmulator"]

#: The default API token: 64 characters, like a real Attio key (the recorded 401 says keys are 64
#: characters long).
DEFAULT_TOKEN = "crmbridge-attio-emulator-token-" + "0" * 33

_WRONG_LENGTH = (
    "The API Key provided was invalid because it was the wrong length (API Keys should be 64 "
    "characters long). You might not have copied the entire API key from your Admin panel?"
)


class AttioEmulator(StateAccess, Emulator):
    """A stateful Attio: standard objects, optional demo data, Attio's wire format."""

    name = "attio"
    base_url = "https://api.attio.com"
    real_rate_limits = RateLimits(reads=100, writes=25)
    #: ``render_cache`` when not given (the Attio emulator tests set ``"verify"``).
    render_cache_default: ClassVar[bool | Literal["verify"]] = False

    def __init__(
        self,
        *,
        seed: str | None = None,
        random_seed: int = 0,
        demo_size: int | None = None,
        token: str | None = None,
        latency_ms: float | tuple[float, float] = 0.0,
        rate_limits: RateLimits | bool | None = None,
        fail_rate: float = 0.0,
        faults: Faults | None = None,
        render_cache: bool | Literal["verify"] | None = None,
    ) -> None:
        """``render_cache``: records queries answer each record's JSON as encoded for an earlier
        answer while nothing changed (store.py says how and why; off by default, so that code
        that changes ``workspace`` objects directly, as tests may, never reads stale JSON).
        Every change made through a request or :class:`~.access.StateAccess` counts; a direct
        change to the workspace's objects must call ``workspace.changed()``. A served emulator
        is changed by requests only, so it may always turn it on. ``"verify"``: on, and each
        use checked against a fresh rendering (a stale answer raises). ``None``:
        :attr:`render_cache_default`."""
        super().__init__(
            latency_ms=latency_ms,
            rate_limits=rate_limits,
            fail_rate=fail_rate,
            faults=faults,
            random_seed=random_seed,
        )
        if seed not in (None, "demo"):
            raise ConfigError(f"unknown seed {seed!r}: use None or 'demo'")
        self.token = token or DEFAULT_TOKEN
        #: The ``Date`` header of the current second (``_headers``).
        self._date: tuple[int, str] = (-1, "")
        self.workspace = Workspace(IdFactory(random_seed), SCHEMA_CREATED_AT)
        cache = self.render_cache_default if render_cache is None else render_cache
        self.workspace.render_cache = bool(cache)
        self.workspace.verify_cache = cache == "verify"
        install_standard(self.workspace)
        self.router = Router(self.workspace)
        self.webhooks = WebhookHub(self.workspace)
        self._data = self.router.data
        if seed == "demo":
            generate_demo(self, DEFAULT_DEMO_SIZE if demo_size is None else demo_size, random_seed)

    # --- Emulator contract -------------------------------------------------------------------

    def handle(self, request: httpx.Request) -> httpx.Response:
        try:
            return self._handle(request)
        finally:
            # Every request but a read (a GET, a query or search: ``is_write``) may change what
            # a record renders to (a write, a schema change, an option renamed in place): kept
            # record JSON is then stale (store.py). Failed ones too: a write may fail half done.
            if self.is_write(request):
                self.workspace.changed()

    def _handle(self, request: httpx.Request) -> httpx.Response:
        try:
            self._authenticate(request)
            body: Any = None
            content = request.content
            if content and content.strip():
                try:
                    body = json.loads(content)
                except ValueError:
                    raise errors.body_invalid(
                        [
                            errors.zod(
                                "invalid_type",
                                [],
                                "Invalid JSON",
                                expected="object",
                                received="string",
                            )
                        ]
                    ) from None
            call = Call(
                method=request.method,
                path=request.url.path,
                query=dict(request.url.params),
                body=body,
                now=now_timestamp(),
            )
            prior = self.webhooks.before(call)
            reply = self.webhooks.route(call) or self.router.route(call)
            self.webhooks.observe(call, reply, prior)
        except errors.AttioError as error:
            return self.json_response(error.status_code, error.body(), self._headers())
        return self.json_response(reply.status, reply.body, self._headers(reply.headers))

    def _headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        """The headers every live answer carries (companies_query.yaml and every cassette):
        ``Date`` (an HTTP-date), ``x-accurate-at`` (when the data was read, nine fraction
        digits) and ``x-attio-execution-id``. Code that reads them (a ``Retry-After`` date
        measured against ``Date``, an upsert telling created from updated) then behaves here as
        it will live."""
        now = time.time()
        second = int(now)
        date = self._date  # (second, HTTP-date): one tuple, so threads never see a torn pair
        if date[0] != second:
            date = self._date = (second, email.utils.formatdate(second, usegmt=True))
        return {
            "Date": date[1],
            "x-accurate-at": timestamp_at_ms(int(now * 1000)),
            "x-attio-execution-id": execution_id(),
            **(extra or {}),
        }

    def _authenticate(self, request: httpx.Request) -> None:
        """``Authorization: Bearer <token>``, or Basic with the token as user name (docs/reference/attio.md §7)."""
        header = request.headers.get("authorization", "")
        scheme, _, value = header.partition(" ")
        token = None
        if scheme.lower() == "bearer":
            token = value.strip()
        elif scheme.lower() == "basic":
            try:
                token = base64.b64decode(value.strip()).decode().partition(":")[0]
            except (ValueError, UnicodeDecodeError):
                token = None
        if token == self.token:
            return
        if token is not None and len(token) != 64:
            message = _WRONG_LENGTH
        elif token is None:
            message = 'Missing Authorization header: use "Authorization: Bearer <API key>".'
        else:
            message = "The API Key provided was invalid."
        raise errors.AttioError(401, "auth_error", "unauthorized", message)

    def credentials(self) -> dict[str, str]:
        return {"token": self.token}

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def rate_limited_response(self, retry_after: float) -> httpx.Response:
        body = {
            "status_code": 429,
            "type": "rate_limit_error",
            "code": "rate_limit_exceeded",
            "message": "Rate limit exceeded, please try again later",
        }
        return self.json_response(
            429, body, self._headers({"Retry-After": self.http_date(retry_after)})
        )

    def server_error_response(self) -> httpx.Response:
        """Attio's 5xx body is not documented or recorded; the usual four keys are assumed."""
        body = {
            "status_code": 500,
            "type": "internal_server_error",
            "code": "internal_server_error",
            "message": "An unexpected error occurred. Please try again later.",
        }
        return self.json_response(500, body, self._headers())

    def is_write(self, request: httpx.Request) -> bool:
        """``POST …/query`` and search are reads (docs/reference/attio.md §6)."""
        path = request.url.path
        if request.method == "POST" and (
            path.endswith("/query") or path == "/v2/objects/records/search"
        ):
            return False
        return super().is_write(request)
