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
import uuid
from typing import Any

import httpx

from crmbridge.emulation import Emulator, Faults, RateLimits
from crmbridge.errors import ConfigError

from . import errors
from .api import Call
from .demo import DEFAULT_DEMO_SIZE, generate_demo
from .ids import IdFactory, now_timestamp
from .routes import Router
from .schema import AttributeDef, ListDef, MemberDef, ObjectDef, OptionDef, Parent, StatusDef
from .seeds import (
    SCHEMA_CREATED_AT,
    add_attribute,
    add_list,
    add_object,
    install_standard,
)
from .store import Entry, Workspace
from .webhooks import WebhookHub

__all__ = ["DEFAULT_TOKEN", "AttioEmulator"]

#: The default API token: 64 characters, like a real Attio key (the recorded 401 says keys are 64
#: characters long).
DEFAULT_TOKEN = "crmbridge-attio-emulator-token-" + "0" * 33

_WRONG_LENGTH = (
    "The API Key provided was invalid because it was the wrong length (API Keys should be 64 "
    "characters long). You might not have copied the entire API key from your Admin panel?"
)


class AttioEmulator(Emulator):
    """A stateful Attio: standard objects, optional demo data, Attio's wire format."""

    name = "attio"
    base_url = "https://api.attio.com"
    real_rate_limits = RateLimits(reads=100, writes=25)

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
    ) -> None:
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
        self.workspace = Workspace(IdFactory(random_seed), SCHEMA_CREATED_AT)
        install_standard(self.workspace)
        self.router = Router(self.workspace)
        self.webhooks = WebhookHub(self.workspace)
        self._data = self.router.data
        if seed == "demo":
            generate_demo(self, DEFAULT_DEMO_SIZE if demo_size is None else demo_size, random_seed)

    # --- Emulator contract -------------------------------------------------------------------

    def handle(self, request: httpx.Request) -> httpx.Response:
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
            reply = self.webhooks.route(call) or self.router.route(call)
            self.webhooks.observe(call, reply)
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
        return {
            "Date": email.utils.formatdate(now, usegmt=True),
            "x-accurate-at": now_timestamp(),
            "x-attio-execution-id": str(uuid.uuid4()),
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

    # --- direct state access (tests, seeding) ---------------------------------------------------

    def _object(self, key: str) -> ObjectDef:
        obj = self.workspace.object(key)
        if obj is None:
            raise KeyError(key)
        return obj

    def _parent(self, key: str) -> Parent:
        found: Parent | None = self.workspace.object(key) or self.workspace.list(key)
        if found is None:
            raise KeyError(key)
        return found

    def records(self, obj: str) -> list[dict[str, Any]]:
        """Every record of ``obj`` in the API's shape (a copy: changing it changes nothing)."""
        with self.lock:
            found = self._object(obj)
            rows = self.workspace.table(found).ordered()
            rendered = [self.workspace.render_record(found, r) for r in rows]
            copied: list[dict[str, Any]] = json.loads(json.dumps(rendered))
            return copied

    def record(self, obj: str, record_id: str) -> dict[str, Any] | None:
        with self.lock:
            found = self._object(obj)
            row = self.workspace.table(found).rows.get(record_id)
            if row is None:
                return None
            copied: dict[str, Any] = json.loads(
                json.dumps(self.workspace.render_record(found, row))
            )
            return copied

    def history(self, obj: str, record_id: str, attribute: str) -> list[dict[str, Any]]:
        """Deactivated values of one attribute (what ``show_historic`` adds)."""
        with self.lock:
            row = self.workspace.table(self._object(obj)).rows[record_id]
            return [dict(v) for v in row.history.get(attribute, [])]

    def entries(self, lst: str) -> list[dict[str, Any]]:
        with self.lock:
            found = self.workspace.list(lst)
            if found is None:
                raise KeyError(lst)
            rows = self.workspace.table(found).ordered()
            rendered = [self.workspace.render_entry(found, r) for r in rows if isinstance(r, Entry)]
            copied: list[dict[str, Any]] = json.loads(json.dumps(rendered))
            return copied

    def seed_record(
        self,
        obj: str,
        values: dict[str, Any],
        *,
        created_at: str | None = None,
        actor: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Create a record from API-style ``values`` (validated like ``POST …/records``) without a
        request: no rate limit, no faults. Raises :class:`errors.AttioError` on invalid values."""
        with self.lock:
            found = self._object(obj)
            row = self._data.create_row(found, values, created_at or now_timestamp(), actor)
            return _snapshot(self.workspace.render_record(found, row), "values")

    def seed_entry(
        self,
        lst: str,
        parent_record_id: str,
        values: dict[str, Any] | None = None,
        *,
        created_at: str | None = None,
    ) -> dict[str, Any]:
        with self.lock:
            found = self.workspace.list(lst)
            if found is None:
                raise KeyError(lst)
            entry = self._data.create_entry_row(
                found,
                found.parent_object,
                parent_record_id,
                values or {},
                created_at or now_timestamp(),
            )
            return _snapshot(self.workspace.render_entry(found, entry), "entry_values")

    def add_attribute(
        self,
        parent: str,
        api_slug: str,
        type: str = "text",
        *,
        title: str | None = None,
        is_required: bool = False,
        is_unique: bool = False,
        is_multiselect: bool = False,
        is_writable: bool = True,
        is_system_attribute: bool = False,
        targets: list[str] | None = None,
        options: list[str] | None = None,
        statuses: list[str] | None = None,
        currency: str | None = None,
        description: str | None = None,
    ) -> AttributeDef:
        """Add an attribute to an object or list (no API restrictions on type or flags)."""
        flags = "s" * is_system_attribute + "r" * (not is_writable) + "q" * is_required
        flags += "u" * is_unique + "m" * is_multiselect
        with self.lock:
            return add_attribute(
                self.workspace,
                self._parent(parent),
                api_slug,
                title or api_slug.replace("_", " ").capitalize(),
                type,
                flags=flags,
                targets=targets,
                options=options,
                statuses=statuses,
                currency=currency,
                description=description,
            )

    def attribute(self, parent: str, api_slug: str) -> AttributeDef:
        found = self._parent(parent).attribute(api_slug)
        if found is None:
            raise KeyError(api_slug)
        return found

    def archive_attribute(self, parent: str, api_slug: str) -> None:
        """Archive an attribute: it disappears from record values and attribute lists."""
        with self.lock:
            owner = self._parent(parent)
            self.attribute(parent, api_slug).is_archived = True
            owner.refresh()

    def add_option(self, parent: str, attribute: str, title: str) -> OptionDef:
        with self.lock:
            option = OptionDef(self.workspace.ids.new(), title)
            self.attribute(parent, attribute).options.append(option)
            return option

    def add_status(self, parent: str, attribute: str, title: str) -> StatusDef:
        with self.lock:
            status = StatusDef(self.workspace.ids.new(), title)
            self.attribute(parent, attribute).statuses.append(status)
            return status

    def add_list(
        self,
        api_slug: str,
        name: str,
        parent_object: str,
        *,
        workspace_access: str | None = "full-access",
    ) -> ListDef:
        with self.lock:
            self._object(parent_object)
            return add_list(
                self.workspace, api_slug, name, parent_object, workspace_access=workspace_access
            )

    def add_object(self, api_slug: str, singular_noun: str, plural_noun: str) -> ObjectDef:
        """A custom object with the system attributes every object has."""
        with self.lock:
            return add_object(self.workspace, api_slug, singular_noun, plural_noun, now_timestamp())

    def relate(self, a: tuple[str, str], b: tuple[str, str]) -> None:
        """Make two record-reference attributes each other's inverse (a relationship)."""
        with self.lock:
            first, second = self.attribute(*a), self.attribute(*b)
            first.inverse, second.inverse = second, first

    def seed_values(
        self,
        obj: str,
        record_id: str,
        values: dict[str, Any],
        *,
        actor: dict[str, Any] | None = None,
        at: str | None = None,
        overwrite: bool = False,
    ) -> dict[str, Any]:
        """Write values as Attio itself would (enrichment, imports): any attribute, any actor, at
        any time; PATCH semantics unless ``overwrite``. Validated like an API write otherwise."""
        with self.lock:
            found = self._object(obj)
            table = self.workspace.table(found)
            row = table.rows[record_id]
            writer = self._data.writer
            parsed = writer.parse(found, values, "values", system=True)
            changes = writer.plan(table, row, parsed, "overwrite" if overwrite else "append")
            writer.apply(
                table,
                row,
                changes,
                at or now_timestamp(),
                actor or self.workspace.api_actor(),
                prepend=not overwrite,
            )
            return _snapshot(self.workspace.render_record(found, row), "values")

    def add_member(
        self, first_name: str, last_name: str, email_address: str, access_level: str = "member"
    ) -> MemberDef:
        with self.lock:
            member = MemberDef(
                id=self.workspace.ids.new(),
                workspace_id=self.workspace.id,
                first_name=first_name,
                last_name=last_name,
                email_address=email_address,
                created_at=SCHEMA_CREATED_AT,
                access_level=access_level,
            )
            self.workspace.members.append(member)
            return member


def _snapshot(rendered: dict[str, Any], key: str) -> dict[str, Any]:
    """A rendered record whose value lists are copies: stored lists grow in place later, and
    stored value dicts are never changed (a replaced value is copied into the history)."""
    return {**rendered, key: {slug: list(values) for slug, values in rendered[key].items()}}
