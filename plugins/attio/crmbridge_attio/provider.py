"""The Attio provider: thin IO around :mod:`.codec`, as sans-IO plans (docs/design.md §2).

Each verb is a generator that yields :class:`httpx.Request`\\ s and receives responses; the core
drivers own auth, retries, rate limits and error mapping. Endpoints and semantics are those of
docs/reference/attio.md §2 and §4; where crmbridge does something Attio has no single request for, the
docstring says so (and docs/providers/attio.md lists it):

* ``update`` with ``remove(...)`` is read-then-PUT, **not atomic**: a concurrent write between the
  read and the PUT is overwritten.
* ``upsert`` (crmbridge/upsert.py) reads by the match key before the assert, to tell ``created`` /
  ``updated`` / ``noop`` (Attio's assert answers with the record only) and to skip the write when
  nothing changes; this module adds the assert and the comparison.
* Lists are objects of kind ``list``; their entries are records with a ``parent`` reference.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import importlib
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from typing import TYPE_CHECKING, Any, ClassVar

import attrs
import httpx

from crmbridge import (
    Add,
    Clear,
    CRMError,
    FieldSpec,
    FieldType,
    ObjectSpec,
    Option,
    Record,
    Ref,
    RefBy,
    Remove,
    Unsupported,
    UpsertResult,
    User,
    ValidationError,
    ValueVersion,
)
from crmbridge.plugin import (
    Capabilities,
    EmulatorOption,
    Matches,
    ObjectSchema,
    OnArchived,
    Page,
    Plan,
    Provider,
    Query,
    RawRows,
    Upsert,
    UserDirectory,
    digest_values,
    search_many,
)
from crmbridge.webhooks import WebhookEvent

from . import attributes, changes, codec, settle, webhooks
from .filters import member_emails, path_objects, translate_filter, translate_sorts
from .notes import AttioNotes
from .values import parse_personal_name

if TYPE_CHECKING:
    from crmbridge.emulation import Emulator

__all__ = ["AttioProvider"]

_CHOICE_ENDPOINTS = {"select": "options", "status": "statuses"}


def _row_id(item: Any) -> str | None:
    """A record's id in a query answer, undecoded (people_query_rbeene.json: ``id.record_id``)."""
    ident = item.get("id") if type(item) is dict else None
    found = ident.get("record_id") if type(ident) is dict else None
    return found if isinstance(found, str) else None


def _row_digest(item: Any, fields: Sequence[str]) -> str | None:
    """The digest of a record's raw ``values`` of ``fields``, each the attribute's list of value
    elements as answered (people_query_rbeene.json); ``None`` if one is not in the answer (it
    decodes as absent: docs/design.md §9)."""
    values = item.get("values") if type(item) is dict else None
    if type(values) is not dict:
        return None
    try:
        return digest_values(values[f] for f in fields)
    except KeyError:
        return None


class AttioProvider(AttioNotes, Provider):
    """crmbridge provider for the Attio REST API v2 (``https://api.attio.com``).

    ``fetch_options`` (default true): ``fields()`` also reads the options of writable select and
    status attributes, so option labels are checked before any write. ``attribute_page_size``
    (default ``None``: one request, as in attributes_list_people.yaml, where Attio returned all 44
    attributes): a page size makes attribute discovery page with ``limit``/``offset``.
    """

    name = "attio"
    description = "Attio REST API v2 (records, lists and entries, assert upserts, value history)"
    default_base_url = "https://api.attio.com"
    config_keys = ("token",)
    required_keys = ("token",)
    secret_keys = frozenset({"token"})
    env: ClassVar[Mapping[str, str]] = {"token": "ATTIO_API_KEY", "base_url": "ATTIO_BASE_URL"}
    request_id_header = "x-attio-execution-id"
    #: ``crmbridge emulate attio`` serves here by default; its own options (docs/emulators.md).
    emulator_port = 8701
    emulator_options = (
        EmulatorOption("token", "The bearer token the emulator accepts."),
        EmulatorOption("demo_size", "With --seed demo: how many people.", int),
    )
    webhook_signature_headers = webhooks.SIGNATURE_HEADERS
    webhook_idempotency_header = webhooks.IDEMPOTENCY_HEADER
    #: Limits: docs/reference/attio.md §6 (25 writes/s, 100 reads/s); page size: the spec's records
    #: query ``limit`` default of 500 (no larger value is documented).
    capabilities = Capabilities(
        native_upsert=True,
        upsert_match="unique",
        archive=False,
        restore=False,
        delete=True,
        add_values=True,
        remove_values=False,
        history=True,
        lists=True,
        create_options=True,
        create_fields=True,  # POST …/attributes (crmbridge_attio/attributes.py)
        sorts=True,
        max_page_size=500,
        read_rate=100,
        write_rate=25,
        # Notes and tasks: crmbridge_attio/notes.py (attio-openapi.json /v2/notes, /v2/tasks).
        notes=True,
        notes_delete=True,
        notes_by_object=True,
        notes_backdate=True,
        note_formats=frozenset({"plaintext", "markdown"}),
        tasks=True,
        tasks_update=True,
        tasks_delete=True,
        task_max_length=2000,
    )
    #: Page size of ``GET …/records/{id}/entries`` (the spec's documented maximum).
    entries_page_size: ClassVar[int] = 1000
    #: Page size of ``GET …/attributes/{attribute}/values`` (no maximum is documented; the
    #: records query's default of 500 is used).
    history_page_size: ClassVar[int] = 500

    def __init__(self, *, base_url: str | None = None, **config: Any) -> None:
        super().__init__(base_url=base_url, **config)
        self.fetch_options = True
        self.attribute_page_size: int | None = None
        self._object_slugs: dict[str, str] = {}
        #: Workspace members' e-mail (case-folded) → member id, read when an upsert needs it.
        self._members = UserDirectory()
        #: (object, attribute, value) → record id, for references given by a match value.
        self._refs: dict[tuple[str, str, str], str] = {}
        #: Attributes of objects reached by path filters and references given by a match value,
        #: read when a query or an upsert needs them (:meth:`_target_attributes`).
        self._target_fields: dict[str, Mapping[str, FieldSpec]] = {}

    def auth_headers(self) -> dict[str, str]:
        """``Authorization: Bearer <token>`` (docs/reference/attio.md §7)."""
        return {"Authorization": f"Bearer {self.config['token'].reveal()}"}

    @classmethod
    def create_emulator(cls, **options: Any) -> Emulator:
        """The in-process Attio emulator, ``crmbridge_attio.emulator.AttioEmulator`` (imported
        only when asked for, so importing the plugin stays light)."""
        module = importlib.import_module(f"{__package__}.emulator")
        emulator: Emulator = module.AttioEmulator(**options)
        return emulator

    # --- errors ------------------------------------------------------------------------------

    # --- webhooks (crmbridge_attio.webhooks; run the plans with crm.run(...)) ----------------

    @classmethod
    def webhook_events(cls, payload: Any) -> list[WebhookEvent]:
        return webhooks.parse_events(payload)

    def create_webhook(
        self, target_url: str, subscriptions: list[dict[str, Any]]
    ) -> Plan[webhooks.Webhook]:
        return webhooks.create_webhook(self, target_url, subscriptions)

    def list_webhooks(self) -> Plan[list[webhooks.Webhook]]:
        return webhooks.list_webhooks(self)

    def get_webhook(self, webhook_id: str) -> Plan[webhooks.Webhook]:
        return webhooks.get_webhook(self, webhook_id)

    def update_webhook(self, webhook_id: str, **changes: Any) -> Plan[webhooks.Webhook]:
        return webhooks.update_webhook(self, webhook_id, **changes)

    def delete_webhook(self, webhook_id: str) -> Plan[None]:
        return webhooks.delete_webhook(self, webhook_id)

    def decode_error(self, response: httpx.Response) -> CRMError:
        """Attio's error body → the core error tree (:func:`codec.decode_error`). Bodies that are
        not JSON (a proxy's HTML page, a truncated body) become a ``ProviderError`` with the text;
        429 reads Attio's ``Retry-After`` HTTP-date (docs/reference/attio.md §6)."""
        from crmbridge.http import describe, parse_retry_after, response_body

        return codec.decode_error(
            response.status_code,
            response_body(response),
            request_id=response.headers.get(self.request_id_header),
            retry_after=parse_retry_after(response.headers.get("retry-after")),
            request=describe(response.request) if _has_request(response) else None,
        )

    # --- helpers -----------------------------------------------------------------------------

    @staticmethod
    def _base(object: ObjectSpec) -> str:
        """``/v2/objects/{slug}`` or ``/v2/lists/{slug}``."""
        return f"/v2/{'lists' if object.kind == 'list' else 'objects'}/{object.slug}"

    def _rows_path(self, object: ObjectSpec) -> str:
        """Where the object's rows live: records of an object, entries of a list."""
        return self._base(object) + ("/entries" if object.kind == "list" else "/records")

    def _decode(self, schema: ObjectSchema, payload: Any) -> Record:
        if schema.object.kind == "list":
            return codec.decode_entry(payload, list=schema.slug, fields=schema.fields)
        return codec.decode_record(payload, object=schema.slug, fields=schema.fields)

    def _encode(self, schema: ObjectSchema, values: Mapping[str, Any], *, creating: bool) -> Any:
        if schema.object.kind == "list":
            return codec.encode_entry(schema.fields, values, with_parent=creating)
        return codec.encode_record(schema.fields, values)

    def _offset_pages(
        self,
        path: str,
        what: str,
        *,
        page_size: int | None,
        params: Mapping[str, Any] | None = None,
    ) -> Plan[list[Any]]:
        """Every item of a GET list endpoint with offset pagination: stop on a short page.
        ``page_size=None`` sends no ``limit`` (one request, the API's own default). An answer
        without a list of ``what`` is a :class:`~crmbridge.ProviderError`."""
        items: list[Any] = []
        offset = 0
        while True:
            query = dict(params or {})
            if page_size is not None:
                query["limit"] = page_size
                query["offset"] = offset or None
            response = yield self.build_request("GET", path, params=query)
            page = codec.items(response.json(), what)
            items.extend(page)
            if page_size is None or len(page) < page_size:
                return items
            offset += len(page)

    def parse_value(self, spec: FieldSpec, value: Any) -> Any:
        """Attio's ``"Last, First"`` string for a personal name (docs/reference/attio.md §3);
        ``"First Last"`` and everything else is the core's to read."""
        if spec.type is FieldType.person_name and isinstance(value, str):
            name = parse_personal_name(value)
            if name is not None:
                return name
        return NotImplemented

    def match_keys(self, spec: FieldSpec, value: Any) -> list[str]:
        """Domains compared in the form Attio stores them (:func:`.settle.stored_domain`:
        ``https://www.Acme.com/about`` is ``acme.com``), everything else as the core compares."""
        if spec.type is FieldType.domain:
            if isinstance(value, list | tuple):
                value = [settle.stored_domain(v) for v in value]
            else:
                value = settle.stored_domain(value)
        return super().match_keys(spec, value)

    def match_key(self, schema: ObjectSchema) -> str | None:
        """The default upsert key: the object's only writable unique attribute (``domains`` for
        companies, ``email_addresses`` for people, ``parent`` for list entries, per
        attributes_list_people.yaml and docs/reference/attio.md §2); ``None`` when there are several
        or none, so the caller must choose."""
        uniques = [f.slug for f in schema.fields.values() if f.unique and f.writable]
        return uniques[0] if len(uniques) == 1 else None

    # --- schema ------------------------------------------------------------------------------

    def list_objects(self) -> Plan[list[ObjectSpec]]:
        """``GET /v2/objects`` then ``GET /v2/lists`` (objects_list.yaml, lists_list.yaml). Lists
        come after objects, so an object wins a slug clash. A token without
        ``list_configuration:read`` (403) simply sees no lists."""
        response = yield self.build_request("GET", "/v2/objects")
        objects = [codec.decode_object(o) for o in codec.unwrap(response.json())]
        self._object_slugs = {o.provider_id: o.slug for o in objects if o.provider_id}
        response = yield self.build_request("GET", "/v2/lists", expect=(403,))
        if response.status_code == 403:
            return objects
        lists = [codec.decode_object(o) for o in codec.unwrap(response.json())]
        return objects + lists

    def list_fields(self, object: ObjectSpec) -> Plan[list[FieldSpec]]:
        """``GET /v2/{objects|lists}/{slug}/attributes`` (attributes_list_people.yaml), then the
        options or statuses of each writable select/status attribute (statuses_list_deals_stage.yaml).
        Reference targets are given as object slugs. A list's entries also get the ``parent``
        reference field."""
        if not self._object_slugs:
            response = yield self.build_request("GET", "/v2/objects")
            found = [codec.decode_object(o) for o in codec.unwrap(response.json())]
            self._object_slugs = {o.provider_id: o.slug for o in found if o.provider_id}
        items = yield from self._offset_pages(
            f"{self._base(object)}/attributes", "attributes", page_size=self.attribute_page_size
        )
        fields = [codec.decode_attribute(a, object_slugs=self._object_slugs) for a in items]
        if self.fetch_options:
            for i, spec in enumerate(fields):
                kind = codec.attio_type(spec)
                if kind not in _CHOICE_ENDPOINTS or not spec.writable:
                    continue
                options = yield from self.attribute_options(
                    object.slug, spec.slug, statuses=kind == "status", list=object.kind == "list"
                )
                fields[i] = codec.with_options(spec, options)
        if object.kind == "list":
            fields.append(codec.parent_field(object))
        return fields

    # --- reads -------------------------------------------------------------------------------

    def get(self, schema: ObjectSchema, id: str) -> Plan[Record]:
        """``GET …/records/{id}`` (or ``…/entries/{id}``); 404 ``not_found`` → ``NotFound``."""
        response = yield self.build_request("GET", f"{self._rows_path(schema.object)}/{id}")
        return self._decode(schema, response.json())

    def query_body(
        self,
        schema: ObjectSchema,
        query: Query,
        offset: int,
        targets: Mapping[str, Mapping[str, FieldSpec]] | None = None,
        members: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        """The body of ``POST …/records/query``: ``limit`` always, ``offset``/``filter``/``sorts``
        only when set — so a plain first page is ``{"limit": n}`` exactly as recorded in
        companies_query.yaml. ``targets``: attributes of the objects path filters reach."""
        body: dict[str, Any] = {"limit": query.page_size}
        if offset:
            body["offset"] = offset
        where = translate_filter(query.where, schema, targets, members)
        if where is not None:
            body["filter"] = where
        if query.order_by:
            body["sorts"] = translate_sorts(query.order_by, schema)
        return body

    def page_cursor(self, query: Query, cursor: Any, pages: int) -> Any:
        """Offset pagination (:meth:`query`): the page ``pages`` after the one at ``cursor``
        starts ``pages`` x the page size further (the ``offset`` of a full page's successor is
        what :meth:`query` itself answers as ``next``)."""
        return int(cursor or 0) + pages * query.page_size

    def query(self, schema: ObjectSchema, query: Query, cursor: Any) -> Plan[Page]:
        """One page of ``POST /v2/objects/{o}/records/query`` (or ``/v2/lists/{l}/entries/query``).
        Offset pagination: the next cursor is the next offset while pages are full, ``None`` after
        the first short page — every page is read, not only the first. A query counts as a read
        (docs/reference/attio.md §6) and is safe to retry."""
        offset = int(cursor or 0)
        targets = yield from self._path_targets(schema, query)
        members = yield from self._filter_members(schema, query)
        body = self.query_body(schema, query, offset, targets, members)
        lazy = query.lazy and schema.object.kind != "list"
        if lazy:  # msgspec is imported by the migration engine's pages only (~10 ms)
            from . import raw_page
        response = yield self.build_request(
            "POST", f"{self._rows_path(schema.object)}/query", json=body, kind="read",
            idempotent=True, decode=raw_page.decode if lazy else None,
        )  # fmt: skip
        answer = response.json()
        rows: Sequence[Record]
        if lazy and isinstance(answer, raw_page.RawPage):  # undecoded, as text (raw_page.py)
            rows = RawRows(
                answer.entries(),
                lambda row: self._decode(schema, raw_page.row_item(row)),
                raw_page.row_id,
                raw_page.row_digest,
            )
        else:
            items = codec.items(answer, "records")
            if lazy:  # a body raw_page leaves to json.loads: undecoded as dicts
                rows = RawRows(items, lambda item: self._decode(schema, item), _row_id, _row_digest)
            else:
                rows = [self._decode(schema, item) for item in items]
        full = len(rows) >= query.page_size
        return Page(rows, offset + len(rows) if full and rows else None)

    def _path_targets(
        self, schema: ObjectSchema, query: Query
    ) -> Plan[dict[str, Mapping[str, FieldSpec]]]:
        """The attributes of the objects the query's path filters reach (``company.name``),
        read once per connection (again when a filter names one not seen): so that a mistyped
        attribute is refused before the query, with suggestions, and values take its type."""
        out: dict[str, Mapping[str, FieldSpec]] = {}
        for target, names in path_objects(query.where, schema).items():
            out[target] = yield from self._target_attributes(target, names)
        return out

    def _target_attributes(
        self, target: str, names: AbstractSet[str] = frozenset()
    ) -> Plan[Mapping[str, FieldSpec]]:
        """The attributes of an object a path filter or a reference reaches
        (``GET /v2/objects/{target}/attributes``, no options), read once per connection and
        again when ``names`` holds one not seen."""
        known = self._target_fields.get(target)
        if known is None or not names <= known.keys():
            items = yield from self._offset_pages(
                f"/v2/objects/{target}/attributes", "attributes",
                page_size=self.attribute_page_size,
            )  # fmt: skip
            decoded = (codec.decode_attribute(a, object_slugs=self._object_slugs) for a in items)
            known = self._target_fields[target] = {f.slug: f for f in decoded}
        return known

    def history(self, schema: ObjectSchema, id: str, field: FieldSpec) -> Plan[list[ValueVersion]]:
        """``GET …/{id}/attributes/{field}/values?show_historic=true``: every version of the value,
        oldest first, with its active period and actor (docs/reference/attio.md §3, historic values).
        Every page is read (``limit``/``offset``, official OpenAPI spec): a value edited often
        has more versions than one answer holds. Attio refuses it (400) for enriched attributes."""
        why = _no_history(schema, field)
        if why is not None:
            raise Unsupported(
                f"Attio keeps no readable history for {field.slug!r}: it is {why} (show_historic "
                "is refused for COMINT and enriched attributes, official OpenAPI spec)",
                provider="attio",
            )
        path = f"{self._rows_path(schema.object)}/{id}/attributes/{field.slug}/values"
        elements = yield from self._offset_pages(
            path, "attribute values", page_size=self.history_page_size,
            params={"show_historic": "true"},
        )  # fmt: skip
        return codec.decode_history(elements, field)

    # --- writes ------------------------------------------------------------------------------

    def create(
        self, schema: ObjectSchema, values: Mapping[str, Any], *, on_archived: OnArchived | None
    ) -> Plan[Record]:
        """``POST …/records`` with ``{"data": {"values": …}}`` (entries: ``{"data":
        {"parent_record_id", "parent_object", "entry_values"}}``). Not retried on failure: a
        create is not idempotent."""
        resolved = changes.resolve(schema, values, None)
        body = self._encode(schema, resolved, creating=True)
        response = yield self.build_request("POST", self._rows_path(schema.object), json=body)
        return self._decode(schema, response.json())

    def update(
        self,
        schema: ObjectSchema,
        id: str,
        values: Mapping[str, Any],
        *,
        on_archived: OnArchived | None,
    ) -> Plan[Record]:
        """PATCH appends to multiselects, PUT overwrites them (docs/reference/attio.md §4):

        * ``add(...)`` and single values → PATCH; a list for a multi field and ``clear()`` → PUT;
          both kinds in one call → one PUT and one PATCH.
        * ``remove(...)`` has no Attio form: read the record, then PUT what remains (with every
          other change folded into that one PUT). **Not atomic**: a write by someone else between
          the read and the PUT is lost for that attribute.
        """
        path = f"{self._rows_path(schema.object)}/{id}"
        if any(isinstance(v, Remove) for v in values.values()):
            current = yield self.build_request("GET", path)
            record = self._decode(schema, current.json())
            body = self._encode(schema, changes.resolve(schema, values, record), creating=False)
            response = yield self.build_request("PUT", path, json=body)
            return self._decode(schema, response.json())
        put: dict[str, Any] = {}
        patch: dict[str, Any] = {}
        for slug, value in values.items():
            spec = schema.fields.get(slug)
            multi = spec is not None and spec.multi
            if value is None or isinstance(value, Clear) or (multi and not isinstance(value, Add)):
                put[slug] = value
            else:
                patch[slug] = value
        # Encode both before sending anything, so a bad value fails with no write done.
        bodies = [
            (method, self._encode(schema, part, creating=False))
            for method, part in (("PUT", put), ("PATCH", patch))
            if part
        ]
        if not bodies:
            bodies = [("PATCH", self._encode(schema, {}, creating=False))]
        payload: Any = None
        for method, body in bodies:
            response = yield self.build_request(method, path, json=body, idempotent=True)
            payload = response.json()
        return self._decode(schema, payload)

    # --- upsert hooks (the path itself is crmbridge/upsert.py) --------------------------------

    def prepare_upsert(self, call: Upsert) -> Plan[Upsert]:
        """Values as Attio stores them, so an unchanged record reads as one (issue 23, upserts
        settle): workspace members named by e-mail also carry their ids (:meth:`_member_ids`),
        domains and numbers take Attio's form (:mod:`crmbridge_attio.settle`), and references
        given by a match value are resolved to the record's id (:meth:`_resolve_refs`) — the
        record Attio returns holds ids only."""
        values = yield from self._member_ids(call.schema, call.values)
        values = settle.stored_values(call.schema, values)
        values = yield from self._resolve_refs(call.schema, values)
        return attrs.evolve(call, values=values)

    def _resolve_refs(
        self, schema: ObjectSchema, values: Mapping[str, Any]
    ) -> Plan[Mapping[str, Any]]:
        """References given as :class:`~crmbridge.RefBy` → :class:`~crmbridge.Ref` to the one
        record holding that value (``POST …/records/query`` with the attribute's shorthand
        filter, docs/reference/attio.md §5). None or several: left as given, for Attio to judge."""
        out = dict(values)
        for slug, value in values.items():
            items = value if isinstance(value, list | tuple) else [value]
            if not any(isinstance(v, RefBy) for v in items):
                continue
            resolved = []
            for v in items:
                if isinstance(v, RefBy):
                    fields = yield from self._target_attributes(v.object)
                    spec = fields.get(v.field)
                    if spec is not None:  # the match value in Attio's form (a URL → its domain)
                        value_ = settle.stored_values(ObjectSchema(schema.object, {v.field: spec}),
                                                      {v.field: v.value})[v.field]  # fmt: skip
                        v = RefBy(v.object, v.field, value_)
                    key = (v.object, v.field, str(v.value).casefold())
                    if key not in self._refs:
                        response = yield self.build_request(
                            "POST", f"/v2/objects/{v.object}/records/query",
                            json={"filter": {v.field: v.value}, "limit": 2}, kind="read",
                            idempotent=True,
                        )  # fmt: skip
                        found = codec.items(response.json(), "records")
                        ids = [codec.record_id(r) for r in found]
                        if len(ids) == 1 and ids[0]:
                            self._refs[key] = ids[0]
                    if key in self._refs:
                        v = Ref(v.object, self._refs[key])
                resolved.append(v)
            out[slug] = resolved if isinstance(value, list | tuple) else resolved[0]
        return out

    def find_matches(self, call: Upsert) -> Plan[Matches]:
        """Records: the core's query for the match value. List entries: the parent record's
        entries in this list (``GET /v2/objects/{o}/records/{id}/entries``), as Attio asserts an
        entry by its parent only (docs/reference/attio.md §4)."""
        schema = call.schema
        if schema.object.kind != "list":
            return (yield from super().find_matches(call))
        parent = call.values.get(codec.PARENT)
        if call.match.slug != codec.PARENT or not isinstance(parent, Ref):
            raise ValidationError(
                f"Attio asserts list entries by their parent record only: use "
                f"match='parent' with parent=Ref(object, id), not {call.match.slug!r}",
                provider="attio",
            )
        entries = yield from self.record_entries(parent.object, parent.id)
        mine = [e for e in entries if e.object in (schema.slug, schema.object.provider_id)]
        found = []
        for entry in mine[:2]:
            response = yield self.build_request(
                "GET", f"{self._rows_path(schema.object)}/{entry.id}"
            )
            found.append(self._decode(schema, response.json()))
        return Matches(found, more=len(mine) > 2)

    def find_matches_many(self, calls: Sequence[Upsert]) -> Plan[list[Matches] | None]:
        """Records: the core's one query for every match value — an ``$or`` of ``$eq`` on the
        unique attribute (email addresses and domains have no ``$in``: docs/reference/attio.md
        "Filtering", crmbridge_attio/filters.py). List entries: ``None``, each is found by its
        parent (:meth:`find_matches`)."""
        if not calls or calls[0].schema.object.kind == "list":
            yield from ()
            return None
        return (yield from search_many(self, calls))

    def would_change(self, call: Upsert, record: Record) -> bool:
        """Attio's values compared as Attio holds them (:func:`changes.unchanged`)."""
        resolved = changes.resolve(call.schema, call.values, record)
        return not changes.unchanged(call.schema, record, resolved, match=call.match.slug)

    def native_upsert(self, call: Upsert, existing: Record | None) -> Plan[UpsertResult]:
        """Attio's assert, ``PUT …/records?matching_attribute=<slug>`` (a query parameter; in the
        body it is a 400); entries assert by parent, ``PUT /v2/lists/{l}/entries``. The answer
        is the record only: ``existing`` (what the search found) tells ``created`` from
        ``updated``; a record the assert returns that is older than its answer existed before
        it (created by someone else after the search): ``updated``."""
        schema = call.schema
        resolved = changes.resolve(schema, call.values, existing)
        body = self._encode(schema, resolved, creating=True)
        params = None if schema.object.kind == "list" else {"matching_attribute": call.match.slug}
        response = yield self.build_request(
            "PUT", self._rows_path(schema.object), params=params, json=body, idempotent=True
        )
        record = self._decode(schema, response.json())
        return UpsertResult(_action(existing, record, _server_time(response)), record)

    def _member_ids(
        self, schema: ObjectSchema, values: Mapping[str, Any]
    ) -> Plan[Mapping[str, Any]]:
        """``values`` with workspace members named by e-mail also carrying their ids, so that an
        upsert can tell ``noop`` from ``updated``: the record it reads holds member ids only.
        ``GET /v2/workspace_members`` is read once per provider (again for an e-mail it does not
        know, at most once a minute; it needs the ``user_management:read`` scope, without which the e-mails are sent
        as given); an e-mail no member has is a :class:`~crmbridge.ValidationError`, unsent."""
        emails = changes.member_emails(schema, values)
        if not emails:
            return values
        members = yield from self._load_members(emails)
        if members is None:
            # A token without the user_management:read scope: members stay given by
            # e-mail, which Attio resolves itself; an unchanged record then reads "updated".
            return values
        unknown = sorted(emails - members.keys())
        if unknown:
            raise ValidationError(
                f"no member of this Attio workspace has the e-mail address "
                f"{', '.join(repr(e) for e in unknown)}",
                provider="attio",
                code="unknown_workspace_member",
            )
        return changes.with_member_ids(schema, values, members)

    def _load_members(self, emails: set[str]) -> Plan[dict[str, str] | None]:
        """Workspace members' e-mail → id, from ``GET /v2/workspace_members`` read once per
        provider (again for an e-mail it does not know, at most once a minute:
        :class:`~crmbridge.directory.UserDirectory`); ``None`` when the token lacks the
        ``user_management:read`` scope (403)."""
        if self._members.stale(emails):
            response = yield self.build_request("GET", "/v2/workspace_members", expect=(403,))
            if response.status_code == 403:
                self._members.refused()
                return None
            self._members.store(codec.decode_member_ids(response.json()))
        return self._members.ids

    def _filter_members(self, schema: ObjectSchema, query: Query) -> Plan[dict[str, str] | None]:
        """Members' ids for the actor references ``query`` names by e-mail (Attio filters actor
        references by id only: an e-mail sent as the id would silently match nothing)."""
        emails = member_emails(query.where, schema)
        if not emails:
            return None
        members = yield from self._load_members(emails)
        if members is None:
            raise ValidationError(
                "filtering by a workspace member's e-mail needs the user_management:read scope "
                "to read members' ids; filter by User(id=...) instead",
                provider="attio",
                code="unknown_workspace_member",
            )
        return members

    def delete(self, schema: ObjectSchema, id: str) -> Plan[None]:
        """``DELETE …/records/{id}`` (or ``…/entries/{id}``): a hard delete, answered ``{}``."""
        yield self.build_request("DELETE", f"{self._rows_path(schema.object)}/{id}")
        return None

    def archive(self, schema: ObjectSchema, id: str) -> Plan[None]:
        """Attio has no archive (``Capabilities.archive`` is false): use ``delete()``."""
        return _refuse(
            Unsupported(
                "Attio has no archive: records are deleted for good with delete()",
                provider="attio",
            )
        )

    def restore(self, schema: ObjectSchema, id: str) -> Plan[Record]:
        """Attio has no archive, so nothing to restore."""
        return _refuse(
            Unsupported("Attio has no archive, so there is nothing to restore", provider="attio")
        )

    # --- Attio-only extras (run them with ``Bridge.run(plan)``) ------------------------------

    def record_entries(self, object: str, id: str) -> Plan[list[Ref]]:
        """The list entries of a record, ``GET /v2/objects/{o}/records/{id}/entries``, as
        ``Ref(list slug, entry id)``; paged by ``limit``/``offset`` (max 1000, per the spec)."""
        items = yield from self._offset_pages(
            f"/v2/objects/{object}/records/{id}/entries",
            "entries",
            page_size=self.entries_page_size,
        )
        return codec.decode_entry_refs(items)

    def attribute_options(
        self, object: str, attribute: str, *, statuses: bool = False, list: bool = False
    ) -> Plan[tuple[Option, ...]]:
        """The options of a select attribute (``…/attributes/{a}/options``) or the statuses of a
        status attribute (``…/attributes/{a}/statuses``, statuses_list_deals_stage.yaml), archived
        ones left out. Note ``/options`` on a status attribute answers 200 with no data
        (docs/reference/attio.md §2), hence the explicit ``statuses`` flag."""
        target = "lists" if list else "objects"
        endpoint = _CHOICE_ENDPOINTS["status" if statuses else "select"]
        response = yield self.build_request(
            "GET", f"/v2/{target}/{object}/attributes/{attribute}/{endpoint}"
        )
        return codec.decode_options(response.json())

    def create_option(self, schema: ObjectSchema, field: FieldSpec, label: str) -> Plan[Option]:
        """Add a select option (``POST …/attributes/{a}/options``) or a status
        (``POST …/attributes/{a}/statuses``), body ``{"data": {"title": label}}`` as the spec's
        request schemas define; used by ``crmbridge migrate --create-options``."""
        raw = field.raw if isinstance(field.raw, Mapping) else {}
        kind = (
            "status" if raw.get("type") == "status" or field.type is FieldType.status else "select"
        )
        if kind == "select" and field.type not in (FieldType.option, FieldType.tags):
            raise ValidationError(f"{schema.slug}.{field.slug} has no options to add to")
        target = "lists" if schema.object.kind == "list" else "objects"
        path = f"/v2/{target}/{schema.slug}/attributes/{field.slug}/{_CHOICE_ENDPOINTS[kind]}"
        response = yield self.build_request("POST", path, json={"data": {"title": label}})
        (option,) = codec.decode_options({"data": [codec.unwrap(response.json())]})
        return option

    def field_to_create(self, schema: ObjectSchema, spec: FieldSpec) -> FieldSpec:
        """The attribute Attio would create for ``spec`` (:mod:`crmbridge_attio.attributes`)."""
        return attributes.planned_attribute(spec, on_list=schema.object.kind == "list")

    def create_field(self, schema: ObjectSchema, spec: FieldSpec) -> Plan[FieldSpec]:
        """``POST …/attributes`` (:func:`crmbridge_attio.attributes.attribute_body`), then each
        option with :meth:`create_option` (Attio creates an attribute without options)."""
        body = attributes.attribute_body(spec)
        response = yield self.build_request("POST", f"{self._base(schema.object)}/attributes",
                                            json=body)  # fmt: skip
        created = codec.decode_attribute(
            codec.unwrap(response.json()), object_slugs=self._object_slugs
        )
        options = []
        for option in spec.options:
            added = yield from self.create_option(schema, created, option.label)
            options.append(added)
        return codec.with_options(created, options) if options else created

    def list_users(self) -> Plan[list[User]]:
        """``GET /v2/workspace_members`` (official OpenAPI spec): every member with its e-mail,
        for pairing users across CRMs (crmbridge/migrate/users.py)."""
        response = yield self.build_request("GET", "/v2/workspace_members")
        return codec.decode_members(response.json())

    def self_info(self) -> Plan[dict[str, Any]]:
        """``GET /v2/self``: what the token is (workspace, scopes, ``active``), to check a token
        (self_identify.yaml)."""
        response = yield self.build_request("GET", "/v2/self")
        data = response.json()
        return dict(data) if isinstance(data, Mapping) else {"data": data}


# --- helpers: pure, module level -------------------------------------------------------------


#: Attributes every record has: system and read-only, but not enriched.
_EVERY_RECORD = frozenset({"record_id", "created_at", "created_by"})


def _no_history(schema: ObjectSchema, field: FieldSpec) -> str | None:
    """Why ``show_historic=true`` would be a 400 for ``field``, or ``None``: the spec's values
    endpoint refuses it "for COMINT attributes or enriched attributes on people/company objects"
    (an enriched one is a system attribute that is not writable, per ``is_writable``)."""
    if codec.row_of(field).name == "interaction":
        return "an interaction (COMINT) attribute"
    raw = field.raw if isinstance(field.raw, Mapping) else {}
    if (
        schema.object.kind != "list"
        and schema.slug in ("people", "companies")
        and raw.get("is_system_attribute")
        and not field.writable
        and field.slug not in _EVERY_RECORD
    ):
        return "an attribute Attio enriches"
    return None


def _refuse(error: CRMError) -> Plan[Any]:
    """A plan that raises ``error`` when run, before any request."""
    raise error
    yield  # type: ignore[unreachable]  # makes this a generator


def _has_request(response: httpx.Response) -> bool:
    try:
        response.request  # noqa: B018 - raises when the response was built without one
    except RuntimeError:
        return False
    return True


def _server_time(response: httpx.Response) -> dt.datetime | None:
    """The server's clock at a response, from its ``Date`` header (recorded on every Attio
    response)."""
    header = response.headers.get("date")
    if not header:
        return None
    try:
        when = email.utils.parsedate_to_datetime(header)
    except (TypeError, ValueError, IndexError):
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=dt.UTC)  # "-0000": UTC


def _action(existing: Record | None, record: Record, answered_at: dt.datetime | None) -> Any:
    """``created`` or ``updated`` for an assert, from what the search before it found. A record
    created more than a second before ``answered_at``, the server's time at the assert's answer,
    existed before the assert (created by someone else after the search): updated, not created."""
    if existing is not None:
        return "updated" if record.id == existing.id else "created"
    if (
        answered_at is not None
        and record.created_at is not None
        and record.created_at < answered_at - dt.timedelta(seconds=1)
    ):
        return "updated"
    return "created"
