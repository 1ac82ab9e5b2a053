"""Helpers for the Kizen provider tests: recordings, schemas, and a scripted fake Kizen.

``data/`` holds copies of the shared recordings (``get_tax_lot.json``, ``patients.excerpt.json``:
live captures; ``documented_examples.json``: doc/test examples, each tagged) and two SYNTHETIC
schemas (``widgets.fields.json``: one field per type; ``contacts.fields.json``), marked as such.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from crmbridge_kizen import codec

from crmbridge.provider import ObjectSchema

DATA = Path(__file__).parent / "data"
BASE = "https://app.go.kizen.com"
CREDS: dict[str, Any] = {
    "api_key": "sk-test-key-123",
    "user_id": "user-test-456",
    "business_id": "biz-test-789",
}


def load(name: str) -> Any:
    return json.loads((DATA / name).read_text())


def schema_from(name: str) -> ObjectSchema:
    data = load(name)
    obj = codec.decode_object(data["object"])
    fields = {
        (f.get("name") or f["api_name"]): codec.decode_field(f, obj.slug) for f in data["fields"]
    }
    return ObjectSchema(obj, fields)


def record_payload(rid: str, **values: tuple[str, Any]) -> dict[str, Any]:
    """A record in Kizen's read shape: ``values`` maps api_name → (field_type, value)."""
    fields = {}
    for i, (name, (ftype, value)) in enumerate(values.items()):
        fid = f"f-{name}-{i}"
        fields[fid] = {"id": fid, "name": name, "field_type": ftype,
                       "display_name": name.title(), "value": value}  # fmt: skip
    return {"id": rid, "object_type": "standard", "client_info": None,
            "access": {"view": True, "edit": True, "remove": True}, "fields": fields}  # fmt: skip


Handler = Callable[[httpx.Request], httpx.Response]


class FakeKizen:
    """A scripted Kizen: routes ``(METHOD, path regex)`` to handlers, serves the schema of the
    synthetic ``widgets`` and ``client_client`` objects, and records every request."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.routes: list[tuple[str, re.Pattern[str], list[Handler | httpx.Response]]] = []
        widgets, contacts = load("widgets.fields.json"), load("contacts.fields.json")
        self.on("GET", r"/api/custom-objects", self.json(
            {"count": 2, "next": None, "previous": None, "errors": None,
             "results": [widgets["object"], contacts["object"]]}))  # fmt: skip
        for data in (widgets, contacts):
            self.on("GET", rf"/api/custom-objects/{data['object']['id']}/fields",
                    self.json(data["fields"]))  # fmt: skip

    @staticmethod
    def json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> httpx.Response:
        return httpx.Response(status, json=body, headers=headers)

    def on(self, method: str, path: str, *responses: Handler | httpx.Response) -> None:
        """Answer ``method path`` with ``responses`` in turn (the last one repeats)."""
        self.routes.insert(0, (method, re.compile(path + "$"), list(responses)))

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        for method, pattern, responses in self.routes:
            if method == request.method and pattern.match(request.url.path):
                answer = responses.pop(0) if len(responses) > 1 else responses[0]
                if isinstance(answer, httpx.Response):
                    return httpx.Response(answer.status_code, headers=answer.headers,
                                          content=answer.content)  # fmt: skip
                return answer(request)
        return httpx.Response(404, text="<html><body><h1>Not Found</h1></body></html>")

    def sent(self, method: str | None = None, path: str | None = None) -> list[httpx.Request]:
        """Requests sent, leaving out schema discovery."""
        return [
            r for r in self.requests
            if not r.url.path.startswith("/api/custom-objects")
            and (method is None or r.method == method)
            and (path is None or re.match(path + "$", r.url.path))
        ]  # fmt: skip


def body(request: httpx.Request) -> Any:
    return json.loads(request.content)
