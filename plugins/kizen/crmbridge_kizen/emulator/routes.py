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
from collections.abc import Callable
from typing import Any

import httpx

from crmbridge.emulation import Emulator

from . import admin
from .errors import HTML_NOT_FOUND, HTML_SERVER_ERROR, ApiError, detail
from .handlers import Handlers, Result

__all__ = ["Credentials", "Router"]

log = logging.getLogger(__name__)

_RECORD_VERBS = {"add": "POST", "lookup": "GET", "search": "POST", "upsert": "POST"}


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

    def __init__(self, handlers: Handlers, credentials: Credentials) -> None:
        self.handlers = handlers
        self.credentials = credentials
        self._request_counter = 0

    def _resolve(self, method: str, parts: list[str], request: httpx.Request
                 ) -> Callable[[], Result] | None:  # fmt: skip
        """The handler for this path, or ``None`` for an unknown path (HTML 404)."""
        h = self.handlers
        n = len(parts)
        allowed: tuple[str, ...]
        call: Callable[[], Result]
        if parts[0] == "custom-objects":
            if n == 1:
                allowed, call = ("GET",), lambda: h.list_objects(request)
            elif n == 2:
                allowed, call = ("GET",), lambda: h.get_object(parts[1])
            elif n == 3 and parts[2] == "fields":
                allowed, call = ("GET",), lambda: h.list_fields(parts[1])
            elif n == 3 and parts[2] == "bulk-archive-entity-record":
                allowed, call = ("POST",), lambda: h.bulk_archive(parts[1], request)
            elif n == 4 and parts[2:] == ["fields", "settings-search"]:  # admin.py
                allowed, call = ("GET",), lambda: admin.settings_search(h, parts[1])
            elif n == 5 and parts[2] == "fields" and parts[4] == "options":  # admin.py
                allowed = ("POST",)
                call = lambda: admin.add_option(h, parts[1], parts[3], request)  # noqa: E731
            else:
                return None
        elif parts == ["team"]:  # admin.py
            allowed, call = ("GET",), lambda: admin.list_team(h)
        elif n == 4 and parts[:2] == ["client", "fields"] and parts[3] == "tags":  # admin.py
            allowed, call = ("GET",), lambda: admin.field_tags(h, None, parts[2], request)
        elif n == 3 and parts[0] == "pipelines" and parts[2] == "stages":  # admin.py
            allowed, call = ("POST",), lambda: admin.add_stage(h, parts[1], request)
        elif n == 5 and parts[0] == "pipelines" and parts[2] == "fields" and parts[4] == "tags":
            allowed = ("GET",)
            call = lambda: admin.field_tags(h, parts[1], parts[3], request)  # noqa: E731
        elif parts == ["client", "custom-object"]:
            allowed, call = ("GET",), h.contact_object
        elif parts[0] == "records" and n >= 3:
            if n == 4 and parts[2] == "field-values":
                allowed, call = ("GET",), lambda: h.field_values(parts[1], parts[3], request)
            elif n == 3 and parts[2] in _RECORD_VERBS:
                verb = parts[2]
                allowed = (_RECORD_VERBS[verb],)
                call = lambda: self._record_verb(verb, parts[1], request)  # noqa: E731
            elif n == 3:
                allowed = ("GET", "PUT", "PATCH", "DELETE")
                call = lambda: self._record(method, parts[1], parts[2], request)  # noqa: E731
            elif n == 4 and parts[3] in ("unarchive", "move"):
                allowed = ("PATCH",)
                call = lambda: self._record_action(parts[3], parts[1], parts[2], request)  # noqa: E731
            else:
                return None
        else:
            return None
        if method not in allowed:
            return _raiser(_method_not_allowed(method))
        return call

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
