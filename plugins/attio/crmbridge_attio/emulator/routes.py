"""Method + path → handler. Anything else is Attio's generic 404, recorded in
``errors/rbeene_404_not_found_endpoint.json`` and ``cassettes/companies_list.yaml``:
``Could not find endpoint "GET /v2/objects/companies/records".`` (path without the query string)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

from . import errors
from .handlers import Call, Reply
from .handlers_entries import EntriesApi
from .handlers_notes import NotesApi
from .handlers_notes import routes as note_routes
from .handlers_schema import SchemaApi
from .store import Workspace

__all__ = ["Router"]

_S = r"([^/]+)"
_T = r"(objects|lists)"
#: The one-segment groups a route pattern may hold (none can match a ``/``).
_SEGMENT = re.compile(r"\(\[\^/\]\+\)|\(objects\|lists\)")
ROUTES: list[tuple[str, str, str, str]] = [
    # (method, path pattern, handler group, handler name)
    ("GET", r"/v2/self", "schema", "self_"),
    ("GET", r"/v2/workspace_members", "schema", "members"),
    ("GET", rf"/v2/workspace_members/{_S}", "schema", "member"),
    ("GET", r"/v2/objects", "schema", "objects"),
    ("POST", r"/v2/objects/records/search", "records", "search"),
    ("POST", r"/v2/objects", "schema", "create_object"),
    ("GET", rf"/v2/objects/{_S}", "schema", "object_"),
    ("PATCH", rf"/v2/objects/{_S}", "schema", "update_object"),
    ("GET", rf"/v2/{_T}/{_S}/attributes", "schema", "attributes"),
    ("POST", rf"/v2/{_T}/{_S}/attributes", "schema", "create_attribute"),
    ("GET", rf"/v2/{_T}/{_S}/attributes/{_S}", "schema", "attribute_"),
    ("PATCH", rf"/v2/{_T}/{_S}/attributes/{_S}", "schema", "update_attribute"),
    ("PATCH", rf"/v2/{_T}/{_S}/attributes/{_S}/options/{_S}", "schema", "update_option"),
    ("PATCH", rf"/v2/{_T}/{_S}/attributes/{_S}/statuses/{_S}", "schema", "update_status"),
    ("GET", rf"/v2/{_T}/{_S}/attributes/{_S}/options", "schema", "options"),
    ("POST", rf"/v2/{_T}/{_S}/attributes/{_S}/options", "schema", "create_option"),
    ("GET", rf"/v2/{_T}/{_S}/attributes/{_S}/statuses", "schema", "statuses"),
    ("POST", rf"/v2/{_T}/{_S}/attributes/{_S}/statuses", "schema", "create_status"),
    ("POST", rf"/v2/objects/{_S}/records/query", "records", "query"),
    ("POST", rf"/v2/objects/{_S}/records", "records", "create"),
    ("PUT", rf"/v2/objects/{_S}/records", "records", "assert_"),
    ("GET", rf"/v2/objects/{_S}/records/{_S}", "records", "get"),
    ("PATCH", rf"/v2/objects/{_S}/records/{_S}", "records", "update"),
    ("PUT", rf"/v2/objects/{_S}/records/{_S}", "records", "update"),
    ("DELETE", rf"/v2/objects/{_S}/records/{_S}", "records", "delete"),
    ("GET", rf"/v2/objects/{_S}/records/{_S}/attributes/{_S}/values", "records", "values"),
    ("GET", rf"/v2/objects/{_S}/records/{_S}/entries", "records", "entries"),
    ("GET", r"/v2/lists", "schema", "lists"),
    ("POST", r"/v2/lists", "schema", "create_list"),
    ("GET", rf"/v2/lists/{_S}", "schema", "list_"),
    ("PATCH", rf"/v2/lists/{_S}", "schema", "update_list"),
    ("POST", rf"/v2/lists/{_S}/entries/query", "entries", "query_entries"),
    ("POST", rf"/v2/lists/{_S}/entries", "entries", "create_entry"),
    ("PUT", rf"/v2/lists/{_S}/entries", "entries", "assert_entry"),
    ("GET", rf"/v2/lists/{_S}/entries/{_S}", "entries", "get_entry"),
    ("PATCH", rf"/v2/lists/{_S}/entries/{_S}", "entries", "update_entry"),
    ("PUT", rf"/v2/lists/{_S}/entries/{_S}", "entries", "update_entry"),
    ("DELETE", rf"/v2/lists/{_S}/entries/{_S}", "entries", "delete_entry"),
    ("GET", rf"/v2/lists/{_S}/entries/{_S}/attributes/{_S}/values", "entries", "entry_values"),
]


class Router:
    """Dispatches a :class:`Call` to the handler whose method and path match."""

    def __init__(self, workspace: Workspace) -> None:
        #: Records and entries share one handler object (entries extend records).
        self.data = EntriesApi(workspace)
        self.groups: dict[str, Any] = {
            "schema": SchemaApi(workspace),
            "records": self.data,
            "entries": self.data,
            "notes": NotesApi(workspace),
        }
        #: (method, slashes in the path) → the routes that can match it, in ROUTES order: a
        #: pattern is literal segments and one-segment groups (``[^/]+``, ``objects|lists``),
        #: so it only matches paths with its own number of slashes, and a GET tries 1-3
        #: patterns instead of ~10 (issue 24, a GET's CPU).
        self.table: dict[tuple[str, int], list[tuple[re.Pattern[str], Callable[..., Reply]]]] = {}
        notes = [(m, p, "notes", n) for m, p, n in note_routes()]
        for method, pattern, group, name in [*ROUTES, *notes]:
            handler = getattr(self.groups[group], name)
            literal = _SEGMENT.sub("x", pattern)
            if not re.fullmatch(r"[\w/]+", literal):  # pragma: no cover - a route written wrong
                raise ValueError(f"route {pattern!r}: only literals and one-segment groups")
            slashes = literal.count("/")
            key = (method, slashes)
            self.table.setdefault(key, []).append((re.compile(f"^{pattern}$"), handler))

    def route(self, call: Call) -> Reply:
        for pattern, handler in self.table.get((call.method, call.path.count("/")), ()):
            match = pattern.match(call.path)
            if match:
                return handler(call, *(unquote(g) for g in match.groups()))
        raise errors.not_found(f'Could not find endpoint "{call.method} {call.path}".')
