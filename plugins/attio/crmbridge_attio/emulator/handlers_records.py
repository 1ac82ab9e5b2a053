"""Handlers for records: query, create, assert, get, append (PATCH), overwrite (PUT), delete,
attribute values (with history), the record's list entries, and search.

Endpoints, defaults and semantics: docs/reference/attio.md §4 (records table). There is no
``GET …/records``: it answers the generic 404 as recorded in ``cassettes/companies_list.yaml``.
The query answer carries ``x-attio-record-query-score`` as recorded in
``cassettes/companies_query.yaml``. Search validates ``request_as`` as recorded in
``cassettes/records_global_search.yaml``.
"""

from __future__ import annotations

from typing import Any

from crmbridge.emulation import EncodedJSON

from . import errors
from .filters import compile_filter, sort_rows
from .handlers import Api, Call, Reply
from .schema import AttributeDef, ObjectDef, Parent
from .store import DERIVED, Row, Table
from .values import identity, normalize
from .writes import Change, Mode

__all__ = ["RecordsApi", "page"]

#: Attributes whose history cannot be read (spec, GET …/attributes/{attribute}/values:
#: "Historic values cannot be queried on COMINT (Communication Intelligence) or enriched
#: attributes"; ``show_historic``: "Cannot be set to true for COMINT attributes or enriched
#: attributes on people/company objects"). Enriched: a system attribute that is not writable
#: ("If false, this usually means the attribute is enriched by Attio", ``is_writable``), other
#: than the ones every record has.
COMINT_TYPES = {"interaction"}
ENRICHED_OBJECTS = {"people", "companies"}
_EVERY_RECORD = {"record_id", "created_at", "created_by"}


def keeps_no_history(parent: Parent, attribute: AttributeDef) -> bool:
    """Whether ``show_historic=true`` is a 400 for ``attribute``: COMINT or enriched."""
    if attribute.type in COMINT_TYPES:
        return True
    return (
        isinstance(parent, ObjectDef)
        and parent.api_slug in ENRICHED_OBJECTS
        and attribute.is_system_attribute
        and not attribute.is_writable
        and attribute.api_slug not in _EVERY_RECORD
    )


def page(api: Api, parent: Parent, table: Table, body: Any) -> tuple[list[Row], dict[str, str]]:
    """Filter, sort and slice rows for a ``…/query`` body. Unfiltered, unsorted pages are a slice of
    the table's ordered rows: cost O(page)."""
    if body is None:
        body = {}
    if not isinstance(body, dict):
        raise errors.body_invalid(
            [
                errors.zod(
                    "invalid_type",
                    [],
                    "Expected object",
                    expected="object",
                    received=errors.type_name(body),
                )
            ]
        )
    limit, offset = api.paging(body, 500, None, "Body payload")
    predicate = compile_filter(api.ws, parent, body.get("filter"))
    sorts = body.get("sorts")
    indexed = _candidates(parent, table, body.get("filter"))
    rows = table.ordered() if indexed is None else indexed
    if predicate is None and not sorts:
        return rows[offset : offset + limit], {"x-attio-record-query-score": "0"}
    if sorts:
        matched = [r for r in rows if predicate is None or predicate(r)]
        return sort_rows(api.ws, parent, matched, sorts)[offset : offset + limit], {
            "x-attio-record-query-score": "1"
        }
    assert predicate is not None
    found: list[Row] = []
    skipped = 0
    for row in rows:
        if predicate(row):
            if skipped < offset:
                skipped += 1
                continue
            found.append(row)
            if len(found) >= limit:
                break
    return found, {"x-attio-record-query-score": "1"}


#: Unique attribute types whose filter property is the uniqueness index's key, lower-cased.
_INDEXED = {"email-address": "email_address", "domain": "domain"}


def _candidates(parent: Parent, table: Table, spec: Any) -> list[Row] | None:
    """The rows that can match ``{slug: {prop: {"$eq": …}}}`` on a unique email or domain
    attribute, or an ``$or`` of those — what an upsert's read by match key sends (these types
    have no ``$in``) — from the uniqueness index, in table order: O(1) instead of a scan of every
    row. ``None`` for any other filter. The caller still applies the predicate to them, so the
    answer is the scan's."""
    if not isinstance(spec, dict) or len(spec) != 1:
        return None
    if "$or" in spec:
        branches = spec["$or"]
        if not isinstance(branches, list) or not branches:
            return None
        found: dict[str, Row] = {}
        for branch in branches:
            rows = _candidates(parent, table, branch)
            if rows is None:
                return None
            found.update((r.id, r) for r in rows)
        return sorted(found.values(), key=table.ordered().index)
    ((slug, condition),) = spec.items()
    attribute = parent.attributes.get(slug)
    if attribute is None or not attribute.is_unique or attribute.type not in _INDEXED:
        return None
    test = condition.get(_INDEXED[attribute.type]) if isinstance(condition, dict) else None
    if not isinstance(test, dict) or len(condition) != 1 or list(test) != ["$eq"]:
        return None
    operands = [test["$eq"]]
    if not all(isinstance(o, str) for o in operands):
        return None
    index = table.index(attribute)
    ids = {index.get(o.lower()) for o in operands}
    rows = [table.rows[i] for i in ids if i is not None and i in table.rows]
    if len(rows) > 1:
        rows.sort(key=table.ordered().index)
    return rows


class RecordsApi(Api):
    def _row(self, obj: ObjectDef, record_id: str) -> Row:
        row = self.ws.table(obj).rows.get(record_id)
        if row is None:
            raise errors.not_found(f'Record with ID "{record_id}" not found.')
        return row

    def _reply(self, obj: ObjectDef, row: Row) -> Reply:
        return Reply({"data": self.ws.render_record(obj, row)})

    def query(self, call: Call, obj: str) -> Reply:
        found = self.ws.object(obj)
        if found is None:
            raise errors.not_found("The referenced object was not found.")
        rows, headers = page(self, found, self.ws.table(found), call.body)
        if self.ws.render_cache:  # each record's JSON as an earlier answer encoded it (store.py)
            record_json = self.ws.record_json
            parts = b",".join([record_json(found, r) for r in rows])
            return Reply(EncodedJSON(b'{"data":[' + parts + b"]}"), headers=headers)
        render = self.ws.render_record
        return Reply({"data": [render(found, r) for r in rows]}, headers=headers)

    def get(self, call: Call, obj: str, record_id: str) -> Reply:
        found = self.object(obj)
        return self._reply(found, self._row(found, record_id))

    def create(self, call: Call, obj: str) -> Reply:
        found = self.object(obj)
        values = self.data(call, "values")["values"]
        return self._reply(found, self.create_row(found, values, call.now))

    def create_row(
        self, obj: ObjectDef, values: Any, now: str, actor: dict[str, Any] | None = None
    ) -> Row:
        """Validate and insert a new record (also used by seeding)."""
        actor = actor or self.ws.api_actor()
        table = self.ws.table(obj)
        parsed = self.writer.parse(obj, values, "values")
        changes = self.writer.plan(table, None, parsed, "create")
        row = Row(id=self.ws.ids.new(), stamp=self.writer.stamp(now, actor))
        self._system_values(obj, row)
        table.insert(row)
        self.writer.apply(table, row, changes, now, actor, prepend=False)
        return row

    def _system_values(self, parent: Parent, row: Row) -> None:
        """``record_id``/``entry_id``, ``created_at``, ``created_by`` (recorded on every record),
        derived from the row's id and stamp (store.DERIVED)."""
        for slug in ("record_id", "entry_id", "created_at", "created_by"):
            if slug in parent.attributes:
                row.active[slug] = DERIVED

    def update(self, call: Call, obj: str, record_id: str) -> Reply:
        found = self.object(obj)
        row = self._row(found, record_id)
        values = self.data(call, "values")["values"]
        mode: Mode = "append" if call.method == "PATCH" else "overwrite"
        table = self.ws.table(found)
        changes = self.writer.plan(table, row, self.writer.parse(found, values, "values"), mode)
        self.writer.apply(table, row, changes, call.now, self.ws.api_actor(), prepend=True)
        return self._reply(found, row)

    def assert_(self, call: Call, obj: str) -> Reply:
        """``PUT …/records?matching_attribute=``: update the match or create (docs/reference/attio.md §4)."""
        found = self.object(obj)
        key = call.query.get("matching_attribute")
        if not key:
            raise errors.AttioError(
                400,
                "invalid_request_error",
                "validation_type",
                "Query parameter validation error.",
                [errors.required(["matching_attribute"], "string")],
            )
        matching = found.attribute(key)
        if matching is None:
            raise errors.value_not_found(
                f'No attribute was found for matching_attribute slug/ID "{key}".'
            )
        if not matching.is_unique:
            raise errors.bad_request(
                "matching_attribute_definition_not_unique",
                "The matching attribute specified is not a unique attribute.",
            )
        values = self.data(call, "values")["values"]
        if not isinstance(values, dict):
            values = {}
        raw = next((v for k, v in values.items() if found.attribute(k) is matching), None)
        if raw is None:
            raise errors.bad_request(
                "missing_value",
                f'Required value for matching attribute with ID "{matching.id}" was not provided.',
            )
        table = self.ws.table(found)
        index = table.index(matching)
        owners = {
            owner
            for item in normalize(matching, raw, self.ws)
            if (owner := index.get(identity(matching.type, item))) is not None
        }
        if len(owners) > 1:
            raise errors.bad_request(
                "multiple_match_results",
                "Multiple records were found for the given matching attribute values.",
            )
        if not owners:
            return self._reply(found, self.create_row(found, values, call.now))
        row = table.rows[owners.pop()]
        parsed = self.writer.parse(found, values, "values")
        changes = self.writer.plan(table, row, parsed, "assert", matching=matching)
        self.writer.apply(table, row, changes, call.now, self.ws.api_actor(), prepend=True)
        return self._reply(found, row)

    def delete(self, call: Call, obj: str, record_id: str) -> Reply:
        found = self.object(obj)
        row = self._row(found, record_id)
        self.delete_row(found, row, call.now)
        return Reply({})

    def delete_row(self, obj: ObjectDef, row: Row, now: str) -> None:
        """Remove a record, its list entries, and the inverse side of its relationships."""
        table = self.ws.table(obj)
        actor = self.ws.api_actor()
        related: dict[AttributeDef, Change] = {
            a: ((), [])
            for a in obj.attributes.values()
            if a.inverse is not None and a.api_slug in row.active
        }
        if related:
            self.writer.apply(table, row, related, now, actor, prepend=False)
        table.remove(row)
        for lst in self.ws.lists.values():
            entries = self.ws.table(lst)
            for entry in [
                e for e in entries.ordered() if getattr(e, "parent_record_id", None) == row.id
            ]:
                entries.remove(entry)

    def values(self, call: Call, obj: str, record_id: str, attribute: str) -> Reply:
        found = self.object(obj)
        row = self._row(found, record_id)
        return Reply({"data": attribute_values(self, call, found, row, attribute)})

    def entries(self, call: Call, obj: str, record_id: str) -> Reply:
        found = self.object(obj)
        row = self._row(found, record_id)
        limit, offset = self.paging(call.query, 100, 1000, "Query parameter")
        result = []
        for lst in self.ws.lists.values():
            for entry in self.ws.table(lst).ordered():
                if getattr(entry, "parent_record_id", None) == row.id:
                    result.append(
                        {
                            "list_id": lst.id,
                            "list_api_slug": lst.api_slug,
                            "entry_id": entry.id,
                            "created_at": entry.created_at,
                        }
                    )
        return Reply({"data": result[offset : offset + limit]})

    def search(self, call: Call) -> Reply:
        """Fuzzy search (alpha in Attio): a case-insensitive substring match on the record's
        label. Validates the body as recorded (``request_as`` is required)."""
        body = call.body if isinstance(call.body, dict) else {}
        problems = []
        if not isinstance(body.get("query"), str):
            problems.append(errors.required(["query"], "string"))
        if not isinstance(body.get("objects"), list) or not body.get("objects"):
            problems.append(errors.required(["objects"], "array"))
        request_as = body.get("request_as")
        if not isinstance(request_as, dict) or request_as.get("type") not in (
            "workspace",
            "workspace-member",
        ):
            problems.append(errors.zod("invalid", ["request_as"], "Invalid input"))
        if problems:
            raise errors.body_invalid(problems)
        limit = body.get("limit", 25)
        if not isinstance(limit, int) or not 1 <= limit <= 25:
            limit = 25
        needle = body["query"].lower()
        results: list[dict[str, Any]] = []
        for key in body["objects"]:
            obj = self.ws.object(str(key))
            if obj is None:
                raise errors.value_not_found(f'Object with slug/ID "{key}" not found.')
            for row in self.ws.table(obj).ordered():
                text = record_text(obj, row)
                if needle in text.lower():
                    results.append(
                        {
                            "id": {
                                "workspace_id": self.ws.id,
                                "object_id": obj.id,
                                "record_id": row.id,
                            },
                            "record_text": text,
                            "record_image": None,
                            "object_slug": obj.api_slug,
                        }
                    )
                    if len(results) >= limit:
                        return Reply({"data": results})
        return Reply({"data": results})


def record_text(obj: ObjectDef, row: Row) -> str:
    """A record's label: its name, else its first email or domain, else its id."""
    for slug in ("name", "email_addresses", "domains", "primary_email_address"):
        values = row.values(slug)
        if values:
            value = values[0]
            return str(
                value.get("full_name")
                or value.get("value")
                or value.get("email_address")
                or value.get("domain")
            )
    return row.id


def attribute_values(
    api: Api, call: Call, parent: Parent, row: Row, key: str
) -> list[dict[str, Any]]:
    """Active values, or with ``show_historic=true`` every value oldest→newest by ``active_from``
    (docs/reference/attio.md §3 "Historic values")."""
    attribute = api.attribute(parent, key)
    historic = api.flag(call, "show_historic")
    if historic and keeps_no_history(parent, attribute):
        kind = "a COMINT" if attribute.type in COMINT_TYPES else "an enriched"
        raise errors.AttioError(
            400,
            "invalid_request_error",
            "validation_type",
            f"Cannot set show_historic param to true when querying {kind} attribute.",
        )
    limit, offset = api.paging(call.query, 10**9, None, "Query parameter")
    values = list(row.values(attribute.api_slug))
    if historic:
        values = sorted(row.historic(attribute.api_slug) + values, key=lambda v: v.active_from)
    return [v.render() for v in values[offset : offset + limit]]
