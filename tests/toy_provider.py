"""A tiny CRM and its provider, used only by the tests.

``ToyCRM`` is an httpx handler for a minimal JSON API (objects, fields, records with offset pages,
upsert by a unique field); ``ToyProvider`` implements the crmbridge protocol against it using only
the public plugin API (``crmbridge.plugin``: ``Provider``, plans, ``hookimpl``). It proves a third-party
plugin can implement the protocol without touching core code.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Mapping
from typing import Any

import httpx

import crmbridge
from crmbridge import (
    Capabilities,
    FieldSpec,
    FieldType,
    ObjectSchema,
    ObjectSpec,
    Option,
    Page,
    Plan,
    Record,
    UpsertResult,
)
from crmbridge.plugin import Condition, Query, Upsert, hookimpl

FIELDS = [
    {"slug": "email", "type": "email", "unique": True},
    {"slug": "name", "type": "text"},
    {"slug": "tags", "type": "tags", "multi": True},
    {"slug": "tier", "type": "option", "options": ["Gold", "Silver"]},
    {"slug": "score", "type": "integer"},
    {"slug": "created", "type": "datetime", "writable": False},
]


class ToyCRM:
    """The toy service: in-memory state behind an httpx handler."""

    def __init__(self, token: str = "toy-secret-token") -> None:
        self.token = token
        self.records: dict[str, dict[str, Any]] = {}
        self.ids = itertools.count(1)
        self.requests: list[httpx.Request] = []
        #: Responses to send before answering normally (fault sequences for tests).
        self.queue: list[httpx.Response | Exception] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.queue:
            nxt = self.queue.pop(0)
            if isinstance(nxt, Exception):
                raise nxt
            return nxt
        if request.headers.get("authorization") != f"Token {self.token}":
            return httpx.Response(401, json={"error": "bad token"})
        path = request.url.path
        body = json.loads(request.content) if request.content else {}
        if path == "/objects":
            return httpx.Response(200, json=[{"slug": "contacts", "label": "Contacts"}])
        if path == "/objects/contacts/fields":
            return httpx.Response(200, json=FIELDS)
        if path == "/contacts" and request.method == "GET":
            offset = int(request.url.params.get("offset", 0))
            limit = int(request.url.params.get("limit", 10))
            rows = [r for r in self.records.values() if _match(r, request.url.params)]
            return httpx.Response(200, json=rows[offset : offset + limit])
        if path == "/contacts" and request.method == "POST":
            rid = str(next(self.ids))
            self.records[rid] = {"id": rid, **body}
            return httpx.Response(201, json=self.records[rid])
        if path == "/contacts/upsert":
            for rec in self.records.values():
                if rec.get("email") == body.get("email"):
                    changed = any(rec.get(k) != v for k, v in body.items())
                    rec.update(body)
                    return httpx.Response(
                        200, json={"action": "updated" if changed else "noop", "record": rec}
                    )
            rid = str(next(self.ids))
            self.records[rid] = {"id": rid, **body}
            return httpx.Response(201, json={"action": "created", "record": self.records[rid]})
        if path.startswith("/contacts/"):
            rid = path.rsplit("/", 1)[1]
            if rid not in self.records:
                return httpx.Response(404, json={"error": "no such record"})
            if request.method == "GET":
                return httpx.Response(200, json=self.records[rid])
            if request.method == "PATCH":
                self.records[rid].update(body)
                return httpx.Response(200, json=self.records[rid])
            if request.method == "DELETE":
                del self.records[rid]
                return httpx.Response(204)
        return httpx.Response(404, json={"error": f"no endpoint {request.method} {path}"})


def _match(record: Mapping[str, Any], params: httpx.QueryParams) -> bool:
    return all(record.get(k) == v for k, v in params.items() if k not in ("offset", "limit"))


def _plain(value: Any) -> Any:
    if isinstance(value, Option):
        return value.label
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


class ToyProvider(crmbridge.Provider):
    """The toy CRM's provider: ~80 lines for the whole protocol."""

    name = "toy"
    description = "A tiny in-memory CRM for crmbridge's own tests."
    default_base_url = "https://toy.example"
    config_keys = ("token",)
    required_keys = ("token",)
    secret_keys = frozenset({"token"})
    env = {"token": "TOY_TOKEN", "base_url": "TOY_BASE_URL"}
    capabilities = Capabilities(
        native_upsert=True,
        upsert_match="unique",
        delete=True,
        filter_ops=frozenset({"eq"}),
        sorts=False,
        max_page_size=10,
        write_rate=None,
    )

    def auth_headers(self) -> dict[str, str]:
        return {"authorization": f"Token {self.config['token'].reveal()}"}

    def decode_error(self, response: httpx.Response) -> crmbridge.CRMError:
        from crmbridge.http import error_for_status

        try:
            message = response.json().get("error", "")
        except ValueError:
            message = response.text
        return error_for_status(self.name, response, message=message)

    def list_objects(self) -> Plan[list[ObjectSpec]]:
        response = yield self.build_request("GET", "/objects")
        return [ObjectSpec(o["slug"], o["label"]) for o in response.json()]

    def list_fields(self, object: ObjectSpec) -> Plan[list[FieldSpec]]:
        response = yield self.build_request("GET", f"/objects/{object.slug}/fields")
        return [
            FieldSpec(
                f["slug"],
                f["slug"].title(),
                FieldType(f["type"]),
                multi=f.get("multi", False),
                unique=f.get("unique", False),
                writable=f.get("writable", True),
                options=[Option(o) for o in f.get("options", [])],
            )
            for f in response.json()
        ]

    def _record(self, schema: ObjectSchema, data: dict[str, Any]) -> Record:
        fields = {k: v for k, v in data.items() if k != "id"}
        if "tier" in fields and fields["tier"] is not None:
            fields["tier"] = Option(fields["tier"])
        if "tags" in fields:
            fields["tags"] = [Option(t) for t in fields["tags"]]
        return Record(schema.slug, data["id"], fields, raw=data)

    def get(self, schema: ObjectSchema, id: str) -> Plan[Record]:
        response = yield self.build_request("GET", f"/{schema.slug}/{id}")
        return self._record(schema, response.json())

    def query(self, schema: ObjectSchema, query: Query, cursor: Any) -> Plan[Page]:
        params: dict[str, Any] = {"offset": cursor or 0, "limit": query.page_size}
        if isinstance(query.where, Condition):
            params[query.where.field] = query.where.value
        elif query.where is not None:
            raise crmbridge.Unsupported("the toy CRM filters on one field only", provider="toy")
        response = yield self.build_request("GET", f"/{schema.slug}", params=params)
        rows = response.json()
        more = len(rows) == query.page_size
        return Page(
            [self._record(schema, r) for r in rows], (cursor or 0) + len(rows) if more else None
        )

    def create(
        self, schema: ObjectSchema, values: Mapping[str, Any], *, on_archived: Any
    ) -> Plan[Record]:
        body = {k: _plain(v) for k, v in values.items()}
        response = yield self.build_request("POST", f"/{schema.slug}", json=body)
        return self._record(schema, response.json())

    def update(
        self, schema: ObjectSchema, id: str, values: Mapping[str, Any], *, on_archived: Any
    ) -> Plan[Record]:
        body = {k: _plain(v) for k, v in values.items()}
        response = yield self.build_request("PATCH", f"/{schema.slug}/{id}", json=body)
        return self._record(schema, response.json())

    #: The toy's upsert endpoint says what it did: no search first.
    detect_noop = False

    def native_upsert(self, call: Upsert, existing: Record | None) -> Plan[UpsertResult]:
        schema = call.schema
        body = {k: _plain(v) for k, v in call.values.items()}
        response = yield self.build_request(
            "POST", f"/{schema.slug}/upsert", json=body, idempotent=True
        )
        data = response.json()
        return UpsertResult(data["action"], self._record(schema, data["record"]))

    def delete(self, schema: ObjectSchema, id: str) -> Plan[None]:
        yield self.build_request("DELETE", f"/{schema.slug}/{id}")


class ToyPlugin:
    """A throwaway plugin object registering :class:`ToyProvider` (llm/datasette style)."""

    @hookimpl
    def crmbridge_register_providers(
        self, register: Callable[[type[crmbridge.Provider]], None]
    ) -> None:
        register(ToyProvider)
