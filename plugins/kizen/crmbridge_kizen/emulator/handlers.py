"""Endpoint handlers: one function per Kizen operation, request in, ``(status, body)`` out.

Endpoints and answers follow docs/reference/kizen.md §3 (objects, fields) and §4 (records); each handler's
docstring names its row. Handlers raise :class:`.errors.ApiError` for refusals; the router turns
everything into responses.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import httpx

from .errors import ApiError, bad_param, not_found
from .metadata import field_metadata, object_metadata
from .pagination import PageRequest
from .schema import FieldDef
from .search import Searcher
from .serialize import Serializer, display_name
from .store import ObjectState, Record, Store
from .writes import Planned, Writer

__all__ = ["Handlers", "Result"]

Result = tuple[int, Any]


def _csv(params: httpx.QueryParams, key: str) -> list[str] | None:
    if key not in params:
        return None
    raw = params.get(key) or ""
    return [p.strip() for p in raw.split(",") if p.strip()]


def _truthy(value: str | None, default: bool) -> bool:
    if value is None:
        return default
    return value.strip().lower() in ("true", "1", "yes")


class Handlers:
    """The operations of the emulated API over one :class:`Store`."""

    def __init__(
        self, store: Store, writer: Writer, searcher: Searcher, serializer: Serializer
    ) -> None:
        self.store = store
        self.writer = writer
        self.searcher = searcher
        self.serializer = serializer

    # --- helpers ----------------------------------------------------------------------------

    def object(self, identifier: str) -> ObjectState:
        state = self.store.object(identifier)
        if state is None:
            raise not_found()
        return state

    def live_record(self, state: ObjectState, record_id: str) -> Record:
        """A live record of ``state`` (archived ⇒ 404 [KZ-LIVE], docs/reference/kizen.md §4)."""
        record = state.records.get(record_id)
        if record is None or record.archived:
            raise not_found()
        return record

    @staticmethod
    def body(request: httpx.Request) -> dict[str, Any]:
        if not request.content:
            return {}
        try:
            body = json.loads(request.content)
        except ValueError as exc:
            raise ApiError(
                400, {"detail": f"JSON parse error - {exc}", "code": "parse_error"}
            ) from None
        if not isinstance(body, dict):
            raise ApiError(
                400,
                {"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]}
                if isinstance(body, list)
                else {"non_field_errors": ["Invalid data."]},
            )
        return body

    def selected_fields(
        self, state: ObjectState, params: httpx.QueryParams, *, all_by_default: bool = True
    ) -> list[FieldDef] | None:
        """``field_ids`` / ``field_names`` (CSV; present-but-empty ⇒ default fields only [SEED])."""
        ids, names = _csv(params, "field_ids"), _csv(params, "field_names")
        if ids is None and names is None:
            if all_by_default:
                return None
            return [f for f in state.obj.fields if f.is_default]
        wanted = ids if ids is not None else names
        assert wanted is not None
        if not wanted:
            return [f for f in state.obj.fields if f.is_default]
        found = [state.obj.field_by_id(k) if ids is not None else state.obj.field_by_name(k)
                 for k in wanted]  # fmt: skip
        return [f for f in found if f is not None]

    def _written(self, state: ObjectState, plan: Iterable[Planned]) -> list[FieldDef]:
        """The fields a PATCH answers with by default: those written, plus ``updated`` [DOC][KZ]."""
        ids = {p.field.id for p in plan}
        updated = state.obj.field_by_name("updated")
        if updated is not None:
            ids.add(updated.id)
        return [f for f in state.obj.fields if f.id in ids]

    # --- objects and fields (docs/reference/kizen.md §3) ---------------------------------------------------

    def list_objects(self, request: httpx.Request) -> Result:
        """``GET /api/custom-objects`` (``custom_only`` defaults to true [KZ]), paginated with
        ``count`` (documented example ``paginated_envelope``)."""
        params = request.url.params
        custom_only = _truthy(params.get("custom_only"), True)
        objs = [s.obj for s in self.store.objects.values() if s.obj.is_custom or not custom_only]
        page = PageRequest(request.url)
        shown = objs[page.window(len(objs))]
        return 200, page.envelope(len(objs), [object_metadata(o) for o in shown])

    def get_object(self, identifier: str) -> Result:
        state = self.object(identifier)
        return 200, object_metadata(state.obj, with_fields=True, store=self.store)

    def list_fields(self, object_id: str) -> Result:
        """``GET /api/custom-objects/{object_id}/fields``: a bare array; the object by UUID only
        (docs/reference/kizen.md §3: endpoints under ``/api/custom-objects/{object_pk}/`` need the UUID)."""
        state = self.store.by_object_id.get(object_id)
        if state is None:
            raise not_found()
        return 200, [field_metadata(state.obj, f, self.store) for f in state.obj.fields]

    def contact_object(self) -> Result:
        """``GET /api/client/custom-object``: the contact object with ``undeletable_fields``
        (docs/reference/kizen.md §3, §11 [KZ])."""
        state = self.object("client_client")
        body = object_metadata(state.obj, with_fields=True, store=self.store)
        body["undeletable_fields"] = {
            f.name: {"id": f.id, "name": f.name, "field_type": f.field_type}
            for f in state.obj.fields
            if f.is_default
        }
        return 200, body

    def bulk_archive(self, object_id: str, request: httpx.Request) -> Result:
        """``POST /api/custom-objects/{uuid}/bulk-archive-entity-record`` [KZ-LIVE]: done at once
        here (Kizen's is async), answered ``{"number_archived", "async": true}``."""
        state = self.store.by_object_id.get(object_id)
        if state is None:
            raise not_found()
        body = self.body(request)
        ids = body.get("record_ids")
        if not isinstance(ids, list):
            raise bad_param("record_ids")
        count = 0
        for record_id in ids:
            record = state.records.get(str(record_id))
            if record is not None and not record.archived:
                self.writer.archive(state, record)
                count += 1
        return 200, {"number_archived": count, "async": True}

    # --- records (docs/reference/kizen.md §4) -------------------------------------------------------------

    def get(self, state: ObjectState, record_id: str, request: httpx.Request) -> Result:
        params = request.url.params
        record = self.live_record(state, record_id)
        fields = self.selected_fields(state, params)
        return 200, self.serializer.record(
            state,
            record,
            fields,
            detail=_truthy(params.get("detail_summary"), False),
            hidden=_truthy(params.get("include_hidden_fields"), False),
        )

    def lookup(self, state: ObjectState, request: httpx.Request) -> Result:
        """Exact, case-sensitive match on ``email`` (contacts) or ``name`` [KZ app-engine]."""
        params = request.url.params
        identifier = params.get("identifier")
        if identifier is None:
            raise bad_param("identifier")
        found = state.matches(identifier, exact=True, archived=False)
        if not found:
            raise not_found()
        fields = self.selected_fields(
            state, params, all_by_default=_truthy(params.get("all_fields"), True)
        )
        return 200, self.serializer.record(state, found[0], fields)

    def add(self, state: ObjectState, request: httpx.Request) -> Result:
        """``POST …/add``: 200 with ``action`` (the records spec's add → 200 and the live schema
        digest, docs/reference/kizen.md §4, §12; app-engine's prose says 201)."""
        record, action = self.writer.add(state, self.body(request))
        return 200, self.serializer.record(state, record, detail=True, extra={"action": action})

    def update(self, state: ObjectState, record_id: str, request: httpx.Request, *, put: bool
               ) -> Result:  # fmt: skip
        """``PUT`` (answers all fields) / ``PATCH`` (the written ones unless
        ``return_all_fields=true`` [DOC][KZ])."""
        record = self.live_record(state, record_id)
        plan = self.writer.update(state, record, self.body(request), put=put)
        all_fields = put or _truthy(request.url.params.get("return_all_fields"), False)
        fields = None if all_fields else self._written(state, plan)
        return 200, self.serializer.record(state, record, fields, detail=True)

    def archive(self, state: ObjectState, record_id: str) -> Result:
        """``DELETE`` archives: 204, no body; already archived ⇒ 404 [KZ-LIVE]."""
        record = state.records.get(record_id)
        if record is None:
            raise not_found()
        self.writer.archive(state, record)
        return 204, None

    def unarchive(self, state: ObjectState, record_id: str) -> Result:
        record = state.records.get(record_id)
        if record is None:
            raise not_found()
        self.writer.unarchive(state, record)
        return 200, self.serializer.record(state, record, detail=True)

    def move(self, state: ObjectState, record_id: str, request: httpx.Request) -> Result:
        record = self.live_record(state, record_id)
        self.writer.move(state, record, self.body(request))
        return 200, self.serializer.record(state, record, detail=True)

    def upsert(self, state: ObjectState, request: httpx.Request) -> Result:
        """200 ``updated`` / 201 ``created|unarchived`` (docs/reference/kizen.md §6). ``updated`` answers the
        written fields unless ``return_all_fields=true``; a created/unarchived record answers whole."""
        record, action, plan = self.writer.upsert(state, self.body(request))
        all_fields = action != "updated" or _truthy(
            request.url.params.get("return_all_fields"), False
        )
        fields = None if all_fields else self._written(state, plan)
        status = 200 if action == "updated" else 201
        return status, self.serializer.record(state, record, fields, detail=True,
                                              extra={"action": action})  # fmt: skip

    def search(self, state: ObjectState, request: httpx.Request, user_id: str) -> Result:
        params = request.url.params
        body = self.body(request)
        names, ids = body.get("field_names"), body.get("field_ids")
        if names is not None and ids is not None:
            raise ApiError(400, {"non_field_errors": [
                "Only one of 'field_names' or 'field_ids' is allowed."
            ]})  # fmt: skip
        fields: list[FieldDef] | None = None
        if names is not None or ids is not None:
            keys = names if names is not None else ids
            if not isinstance(keys, list):
                raise bad_param("field_names" if names is not None else "field_ids",
                                "Expected a list of items.")  # fmt: skip
            getter = state.obj.field_by_name if names is not None else state.obj.field_by_id
            fields = [f for k in keys if (f := getter(str(k))) is not None]
        page = PageRequest(request.url)
        found = self.searcher.search(state, params, body, user_id, page)
        serialize = self.serializer.record
        return 200, page.envelope(found.count, [serialize(state, r, fields) for r in found.records])

    def field_values(self, record_id: str, field_id: str, request: httpx.Request) -> Result:
        """``GET /api/records/{id}/field-values/{field_id}`` [SEED]: a summarised relationship's
        records, paginated, optionally narrowed by ``search`` on the display name."""
        record = self.store.find(record_id)
        if record is None or record.archived:
            raise not_found()
        state = self.store.objects[record.object]
        field = state.obj.field_by_id(field_id)
        if field is None or field.field_type != "relationship":
            raise not_found()
        params = request.url.params
        page = PageRequest(request.url)
        linked = self.serializer.live_links(record, field)
        text = (params.get("search") or "").casefold()
        if text:
            linked = [
                r for r in linked
                if text in display_name(self.store.objects[r.object].obj, r).casefold()
            ]  # fmt: skip
        summary = self.serializer.related_summary
        return 200, page.envelope(
            len(linked), [summary(r) for r in linked[page.window(len(linked))]]
        )
