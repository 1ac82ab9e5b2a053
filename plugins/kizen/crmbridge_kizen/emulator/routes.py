"""Routing, authentication and responses.

* Base path ``/api``; no trailing slashes — Kizen's router does not redirect, a trailing slash or an
  unknown path is Django's HTML 404 (docs/reference/kizen.md §0, §9, §11). That 404 comes before
  authentication, as URL resolution precedes DRF's authentication.
* Auth: ``X-API-KEY``, ``X-USER-ID``, ``X-BUSINESS-ID`` on every request (header names are
  case-insensitive); missing ⇒ 401 ``not_authenticated``, wrong ⇒ 401 ``authentication_failed``
  in DRF's ``{"detail", "code"}`` shape (docs/reference/kizen.md §2).
* A known path with another method ⇒ 405 ``method_not_allowed``.
* Every response carries ``X-Request-ID`` (docs/reference/kizen.md §2 [KZ app-engine]).
* An unexpected error inside the emulator answers Django's HTML 500 (and is logged), as a server bug
  would on Kizen, instead of raising into the client's transport.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

import httpx

from crmbridge.emulation import Emulator

from . import admin, field_creation
from .activities import ActivitiesApi
from .errors import HTML_NOT_FOUND, HTML_SERVER_ERROR, ApiError, detail
from .handlers import Handlers, Result

__all__ = ["Credentials", "Router"]

log = logging.getLogger(__name__)


_S = r"([^/]+)"
#: Handler of a route: ``(router, method, request, *path groups) -> (status, body)``.
Route = Callable[..., Result]
#: (methods, path pattern under ``/api/``, handler), first match wins: the same form as the Attio
#: emulator's route table (``crmbridge_attio.emulator.routes.ROUTES``); rows from
#: docs/reference/kizen.md §3, §4 and the admin endpoints (:mod:`.admin`).
ROUTES: list[tuple[tuple[str, ...], str, Route]] = [
    # activities (issue 21; .activities names the sources): the fixed paths before {id}
    (("GET", "POST"), r"activities/scheduled-activity",
     lambda r, m, q: r.activities.schedule(r.handlers, q) if m == "POST"
     else r.activities.list_scheduled(q, search=False)),
    (("GET",), r"activities/scheduled-activity/search",
     lambda r, m, q: r.activities.list_scheduled(q, search=True)),
    (("GET", "DELETE"), rf"activities/scheduled-activity/{_S}",
     lambda r, m, q, i: r.activities.delete(i) if m == "DELETE" else r.activities.get(i)),
    (("GET",), rf"activities/logged/{_S}", lambda r, m, q, i: r.activities.logged.read(i)),
    (("POST",), rf"activities/{_S}/responses",
     lambda r, m, q, a: r.activities.logged.responses(r.handlers, a, q)),
    (("GET",), rf"activities/{_S}", lambda r, m, q, a: r.activities.get_type(a)),
    (("GET",), r"custom-objects", lambda r, m, q: r.handlers.list_objects(q)),
    (("GET",), rf"custom-objects/{_S}", lambda r, m, q, o: r.handlers.get_object(o)),
    (("GET", "POST"), rf"custom-objects/{_S}/fields",
     lambda r, m, q, o: field_creation.create_field(r.handlers, o, q) if m == "POST"
     else r.handlers.list_fields(o)),
    (("GET",), rf"custom-objects/{_S}/categories",
     lambda r, m, q, o: field_creation.list_categories(r.handlers, o)),
    (("POST",), rf"custom-objects/{_S}/bulk-archive-entity-record",
     lambda r, m, q, o: r.handlers.bulk_archive(o, q)),
    (("GET",), rf"custom-objects/{_S}/fields/settings-search",
     lambda r, m, q, o: admin.settings_search(r.handlers, o)),
    (("POST",), rf"custom-objects/{_S}/fields/{_S}/options",
     lambda r, m, q, o, f: admin.add_option(r.handlers, o, f, q)),
    (("GET",), r"team", lambda r, m, q: admin.list_team(r.handlers)),
    (("GET",), rf"client/fields/{_S}/tags",
     lambda r, m, q, f: admin.field_tags(r.handlers, None, f, q)),
    (("POST",), rf"pipelines/{_S}/stages", lambda r, m, q, o: admin.add_stage(r.handlers, o, q)),
    (("GET",), rf"pipelines/{_S}/fields/{_S}/tags",
     lambda r, m, q, o, f: admin.field_tags(r.handlers, o, f, q)),
    (("GET",), r"client/custom-object", lambda r, m, q: r.handlers.contact_object()),
    (("GET",), rf"records/{_S}/field-values/{_S}",
     lambda r, m, q, a, b: r.handlers.field_values(a, b, q)),
    (("POST",), rf"records/{_S}/add", lambda r, m, q, o: r._record_verb("add", o, q)),
    (("GET",), rf"records/{_S}/lookup", lambda r, m, q, o: r._record_verb("lookup", o, q)),
    (("POST",), rf"records/{_S}/search", lambda r, m, q, o: r._record_verb("search", o, q)),
    (("POST",), rf"records/{_S}/upsert", lambda r, m, q, o: r._record_verb("upsert", o, q)),
    (("GET", "PUT", "PATCH", "DELETE"), rf"records/{_S}/{_S}",
     lambda r, m, q, o, i: r._record(m, o, i, q)),
    (("PATCH",), rf"records/{_S}/{_S}/(unarchive|move)",
     lambda r, m, q, o, i, a: r._record_action(a, o, i, q)),
]  # fmt: skip
_TABLE = [(methods, re.compile(f"^{pattern}$"), handler) for methods, pattern, handler in ROUTES]


class Credentials:
    """The three header values the emulator accepts."""

    def __init__(self, api_key: str, user_id: str, business_id: str) -> None:
        self.api_key = api_key
        self.user_id = user_id
        self.business_id = business_id

    def check(self, headers: httpx.Headers) -> None:
        given = (headers.get("x-api-key"), headers.get("x-user-id"), headers.get("x-business-id"))
        if any(v is None for v in given):
            raise detail(401, "Authentication credentials were not provided.", "not_authenticated")
        if given != (self.api_key, self.user_id, self.business_id):
            raise detail(401, "Invalid API key, user or business.", "authentication_failed")


def _method_not_allowed(method: str) -> ApiError:
    return detail(405, f'Method "{method}" not allowed.', "method_not_allowed")


def _raiser(exc: ApiError) -> Callable[[], Result]:
    def call() -> Result:
        raise exc

    return call


class Router:
    """Maps a request to a handler and renders the result."""

    def __init__(
        self, handlers: Handlers, credentials: Credentials, activities: ActivitiesApi
    ) -> None:
        self.handlers = handlers
        self.activities = activities
        self.credentials = credentials
        self._request_counter = 0

    def _resolve(self, method: str, parts: list[str], request: httpx.Request
                 ) -> Callable[[], Result] | None:  # fmt: skip
        """The handler for this path from :data:`ROUTES` (the first whose pattern matches), a
        405 raiser for another method, or ``None`` for an unknown path (HTML 404)."""
        path = "/".join(parts)
        for allowed, pattern, handler in _TABLE:
            match = pattern.match(path)
            if match is None:
                continue
            if method not in allowed:
                return _raiser(_method_not_allowed(method))
            groups = match.groups()
            return lambda: handler(self, method, request, *groups)
        return None

    def _record_verb(self, verb: str, object_id: str, request: httpx.Request) -> Result:
        h = self.handlers
        state = h.object(object_id)
        if verb == "add":
            return h.add(state, request)
        if verb == "lookup":
            return h.lookup(state, request)
        if verb == "search":
            return h.search(state, request, self.credentials.user_id)
        return h.upsert(state, request)

    def _record(self, method: str, object_id: str, record_id: str, request: httpx.Request
                ) -> Result:  # fmt: skip
        h = self.handlers
        state = h.object(object_id)
        if method == "GET":
            return h.get(state, record_id, request)
        if method == "DELETE":
            return h.archive(state, record_id)
        return h.update(state, record_id, request, put=method == "PUT")

    def _record_action(self, action: str, object_id: str, record_id: str,
                       request: httpx.Request) -> Result:  # fmt: skip
        h = self.handlers
        state = h.object(object_id)
        if action == "unarchive":
            return h.unarchive(state, record_id)
        return h.move(state, record_id, request)

    def request_id(self) -> str:
        self._request_counter += 1
        return f"emu-{self._request_counter:012x}"

    def route(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        headers = {"x-request-id": self.request_id()}
        call = None
        if path.startswith("/api/") and not path.endswith("/"):
            parts = path[len("/api/") :].split("/")
            if all(parts):
                call = self._resolve(request.method, parts, request)
        try:
            if call is None:
                raise ApiError(404, html=HTML_NOT_FOUND)
            self.credentials.check(request.headers)
            status, body = call()
        except ApiError as exc:
            if exc.html is not None:
                return httpx.Response(
                    exc.status,
                    content=exc.html.encode(),
                    headers={"content-type": "text/html; charset=utf-8", **headers},
                )
            status, body = exc.status, exc.body
        except Exception:  # an emulator bug answers like a server bug, and is logged
            log.exception("kizen emulator: unhandled error on %s %s", request.method, path)
            return httpx.Response(
                500,
                content=HTML_SERVER_ERROR.encode(),
                headers={"content-type": "text/html; charset=utf-8", **headers},
            )
        return render(status, body, headers)


def render(status: int, body: Any, headers: dict[str, str]) -> httpx.Response:
    if status == 204 or body is None:
        return httpx.Response(status, headers=headers)
    return Emulator.json_response(status, body, headers)
