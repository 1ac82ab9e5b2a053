"""``SqliteProvider``: a local SQLite file as a CRM, through the public plugin API only.

It exists so a CRM can be backed up to a file and restored::

    crmbridge sqlite init backup.db --from attio           # copy the schema (see .schema)
    crmbridge migrate attio sqlite:backup.db --init --output backup.toml
    crmbridge migrate attio sqlite:backup.db --map backup.toml
    crmbridge migrate sqlite:backup.db attio --init --output restore.toml   # and back

Every verb is a plan like any provider's, but a plan that sends no request: it does its work in
one SQLite transaction when the driver runs it, so ``Bridge`` and ``AsyncBridge``, the migration
engine and the conformance suite drive it unchanged. What it does, in the terms of docs/design.md §3 and §4:

* records live in :mod:`.store`; ids are UUIDs; ``created_at`` is the time of the write;
* ``unique`` fields are enforced among live records (a duplicate is a :class:`~crmbridge.Conflict`);
* upsert is native and atomic on any unique field: ``created`` / ``updated`` / ``noop`` /
  ``unarchived``;
* archive is a soft delete: an archived record is :class:`~crmbridge.NotFound` to ``get``, hidden
  from ``query``, keeps its values, and ``restore`` brings it back. A write whose unique value
  matches an archived record follows ``on_archived``: ``"error"`` (and ``None`` on create) raise
  ``Conflict``; ``"unarchive"`` restores and updates that record; ``"replace"`` writes a new record
  and leaves the archived one archived. ``delete`` removes a record for good;
* filters and sorts: every neutral operator, evaluated in Python (:mod:`.query`).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import attrs
import httpx

import crmbridge
from crmbridge import (
    Conflict,
    FieldSpec,
    NotFound,
    ObjectSpec,
    Option,
    Record,
    Unsupported,
    UpsertResult,
    ValidationError,
)
from crmbridge.plugin import (
    DEFAULT_ON_ARCHIVED,
    OPERATORS,
    Capabilities,
    ObjectSchema,
    OnArchived,
    Page,
    Plan,
    Query,
    Upsert,
    ambiguous,
)

from .changes import apply_changes, unique_key
from .notes import SqliteNotes
from .query import matches, ordered
from .store import Row, Store

__all__ = ["SqliteProvider"]

T = TypeVar("T")


def _now(work: Callable[[], T]) -> Plan[T]:
    """A plan that sends no request: ``work`` runs when the driver starts the plan (not when the
    plan is built), like the first request of an HTTP provider's plan."""
    yield from ()
    return work()


def _locked(store: Store, work: Callable[[], T]) -> Plan[T]:
    """:func:`_now`, holding the store's lock throughout, so a uniqueness check and the write
    it guards cannot interleave with another thread's write."""

    def run() -> T:
        with store.lock:
            return work()

    return _now(run)


def _unique(schema: ObjectSchema) -> list[str]:
    return [f.slug for f in schema.fields.values() if f.unique]


class SqliteProvider(SqliteNotes, crmbridge.Provider):
    """Records and schemas in a local SQLite file (``connect("sqlite", path="backup.db")``)."""

    name = "sqlite"
    description = "A local SQLite file: back a CRM up and restore it (crmbridge-sqlite)."
    config_keys = ("path",)
    required_keys = ("path",)
    env = {"path": "CRMBRIDGE_SQLITE_PATH"}
    location_key = "path"
    unknown_object_hint = (
        "A backup file learns its objects from the source first: "
        "`crmbridge sqlite init FILE --from SOURCE` (or crmbridge_sqlite.copy_schema in Python)"
    )
    capabilities = Capabilities(
        native_upsert=True,
        upsert_match="unique",
        archive=True,
        restore=True,
        delete=True,
        add_values=True,
        remove_values=True,
        sorts=True,
        create_options=True,
        filter_ops=frozenset(OPERATORS),
        max_page_size=1000,
        concurrency=1,
        # Notes and tasks kept as given (crmbridge_sqlite/notes.py): a backup loses none.
        notes=True,
        notes_delete=True,
        notes_by_object=True,
        notes_backdate=True,
        notes_author=True,
        note_formats=frozenset({"plaintext", "markdown"}),
        tasks=True,
        tasks_update=True,
        tasks_delete=True,
    )

    def __init__(self, *, base_url: str | None = None, **config: Any) -> None:
        super().__init__(base_url=base_url, **config)
        self.store = Store(str(config["path"]))

    def close(self) -> None:
        self.store.close()

    def build_request(self, method: str, path: str, **kw: Any) -> httpx.Request:
        """There is no HTTP API behind a file: ``crm.request()`` is :class:`Unsupported`."""
        raise Unsupported(
            "the sqlite provider has no HTTP API to pass requests to", provider=self.name
        )

    def match_key(self, schema: ObjectSchema) -> str | None:
        """The first unique field: for a backup made by ``crmbridge sqlite init``, the source's
        own record id field where it has one (Attio ``record_id``)."""
        return next((f.slug for f in schema.fields.values() if f.unique and f.writable), None)

    # --- schema ------------------------------------------------------------------------------

    def list_objects(self) -> Plan[list[ObjectSpec]]:
        return _now(self.store.objects)

    def list_fields(self, object: ObjectSpec) -> Plan[list[FieldSpec]]:
        return _now(lambda: self.store.fields(object.slug))

    def define_object(self, spec: ObjectSpec, fields: Sequence[FieldSpec]) -> Plan[None]:
        """Create (or redefine) an object and its fields; existing records are kept. Run it with
        ``crm.run(crm.provider.define_object(...))`` then ``crm.invalidate_schema()``."""
        slugs = [f.slug for f in fields]
        if len(slugs) != len(set(slugs)):
            raise ValidationError(f"duplicate field slugs for {spec.slug!r}: {slugs}")
        return _now(lambda: self.store.put_object(spec, fields))

    def create_option(self, schema: ObjectSchema, field: FieldSpec, label: str) -> Plan[Option]:
        """Add an option to a field (``crmbridge migrate --create-options``)."""

        def work() -> Option:
            found = field.option(label)
            if found is not None:
                return found
            option = Option(label, id=label)
            self.store.put_field(schema.slug, attrs.evolve(field, options=(*field.options, option)))
            return option

        return _locked(self.store, work)

    # --- records -----------------------------------------------------------------------------

    def _record(self, schema: ObjectSchema, row: Row) -> Record:
        """Every field of the schema: stored values, ``[]`` for empty multi fields, ``None``
        for empty single ones; ``raw`` is the stored row."""
        fields = {
            slug: row.fields.get(slug, [] if spec.multi else None)
            for slug, spec in schema.fields.items()
        }
        raw = {"id": row.id, "seq": row.seq, "archived": row.archived, "fields": row.fields}
        return Record(schema.slug, row.id, fields, created_at=row.created_at, raw=raw)

    def _live(self, schema: ObjectSchema, id: str) -> Row:
        row = self.store.get(schema.slug, id)
        if row is None or row.archived:
            state = "is archived" if row is not None else "does not exist"
            raise NotFound(f"{schema.slug} record {id!r} {state}", provider=self.name)
        return row

    def get(self, schema: ObjectSchema, id: str) -> Plan[Record]:
        return _now(lambda: self._record(schema, self._live(schema, id)))

    def query(self, schema: ObjectSchema, query: Query, cursor: Any) -> Plan[Page]:
        """Unsorted: keyset pages on the insertion order (the cursor is the last ``seq``).
        Sorted: the matches are sorted and the cursor is an offset into them."""

        def work() -> Page:
            if not query.order_by:
                after = -1 if cursor is None else int(cursor)
                page: list[Row] = []
                for row in self.store.scan(schema.slug, after=after):
                    if matches(query.where, row.fields):
                        page.append(row)
                        if len(page) == query.page_size:
                            break
                more = len(page) == query.page_size
                return Page([self._record(schema, r) for r in page], page[-1].seq if more else None)
            rows = [r for r in self.store.scan(schema.slug) if matches(query.where, r.fields)]
            rows = ordered(rows, query.order_by, lambda r: r.fields)
            start = int(cursor or 0)
            chunk = rows[start : start + query.page_size]
            end = start + len(chunk)
            return Page([self._record(schema, r) for r in chunk], end if end < len(rows) else None)

        return _now(work)

    # --- uniqueness and archive conflicts ----------------------------------------------------

    def _holders(
        self, schema: ObjectSchema, values: Mapping[str, Any], *, archived: bool, skip: str | None
    ) -> list[tuple[Row, str]]:
        """Records (live or archived) that already hold a unique value in ``values``, with the
        field, found through the store's index of unique values."""
        found: list[tuple[Row, str]] = []
        seen: set[str] = set()
        for f in schema.fields.values():
            value = values.get(f.slug)
            if not f.unique or value in (None, "", []):
                continue
            items = value if isinstance(value, list) else [value]
            keys = [unique_key(v) for v in items]
            for id in self.store.holders(schema.slug, f.slug, keys, archived=archived, skip=skip):
                row = self.store.get(schema.slug, id)
                if row is not None and id not in seen:
                    seen.add(id)
                    found.append((row, f.slug))
        return found

    def _check_unique(
        self, schema: ObjectSchema, values: Mapping[str, Any], skip: str | None
    ) -> None:
        for row, slug in self._holders(schema, values, archived=False, skip=skip)[:1]:
            raise Conflict(
                f"{schema.slug} record {row.id} already has this {slug!r}: {values[slug]!r}",
                provider=self.name,
                code="unique",
            )

    def _archived_match(
        self,
        schema: ObjectSchema,
        values: Mapping[str, Any],
        on_archived: OnArchived | None,
        *,
        default: OnArchived,
    ) -> Row | None:
        """The archived record a new write collides with, per ``on_archived``: ``None`` when
        there is none or the policy is ``replace``; a :class:`Conflict` for ``error``."""
        hits = self._holders(schema, values, archived=True, skip=None)
        if not hits:
            return None
        policy = on_archived or default
        row, slug = hits[0]
        if policy == "replace":
            return None
        if policy == "unarchive":
            return row
        raise Conflict(
            f"an archived {schema.slug} record ({row.id}) has this {slug!r}; pass "
            "on_archived='unarchive' to restore it or 'replace' to write a new record",
            provider=self.name,
            code="archived",
        )

    # --- writes ------------------------------------------------------------------------------

    def _insert(self, schema: ObjectSchema, values: Mapping[str, Any]) -> Row:
        fields = apply_changes(schema.fields, {}, values)
        self._check_unique(schema, fields, skip=None)
        with self.store.transaction() as db:
            return self.store.insert(db, schema.slug, str(uuid.uuid4()), fields, _unique(schema))

    def _change(self, schema: ObjectSchema, row: Row, values: Mapping[str, Any]) -> Row:
        fields = apply_changes(schema.fields, row.fields, values)
        self._check_unique(schema, fields, skip=row.id)
        with self.store.transaction() as db:
            return self.store.write(db, row, fields, _unique(schema), archived=False)

    def create(
        self, schema: ObjectSchema, values: Mapping[str, Any], *, on_archived: OnArchived | None
    ) -> Plan[Record]:
        def work() -> Record:
            archived = self._archived_match(schema, values, on_archived, default="error")
            row = (
                self._change(schema, archived, values) if archived else self._insert(schema, values)
            )
            return self._record(schema, row)

        return _locked(self.store, work)

    def update(
        self,
        schema: ObjectSchema,
        id: str,
        values: Mapping[str, Any],
        *,
        on_archived: OnArchived | None,
    ) -> Plan[Record]:
        return _locked(
            self.store,
            lambda: self._record(schema, self._change(schema, self._live(schema, id), values)),
        )

    # --- upsert hooks (the path itself is crmbridge/upsert.py) --------------------------------

    #: The native upsert finds its match in the same transaction as its write: no search first.
    detect_noop = False

    def would_change(self, call: Upsert, record: Record) -> bool:
        """Whether the stored row would differ after the write (an emulated upsert's check)."""
        stored = record.raw["fields"] if isinstance(record.raw, Mapping) else record.fields
        return apply_changes(call.schema.fields, stored, call.values) != stored

    def native_upsert(self, call: Upsert, existing: Record | None) -> Plan[UpsertResult]:
        """Atomic on any unique field: the match, the comparison and the write in one locked
        transaction; an archived match follows ``on_archived`` (default: brought back)."""
        schema, values, match = call.schema, call.values, call.match.slug

        def work() -> UpsertResult:
            key = {match: values[match]}
            live = self._holders(schema, key, archived=False, skip=None)
            if len(live) > 1:
                raise ambiguous(schema, match, values[match], [row.id for row, _ in live])
            if live:
                row = live[0][0]
                after = apply_changes(schema.fields, row.fields, values)
                if after == row.fields:
                    return UpsertResult("noop", self._record(schema, row))
                return UpsertResult(
                    "updated", self._record(schema, self._change(schema, row, values))
                )
            archived = self._archived_match(
                schema, key, call.on_archived, default=DEFAULT_ON_ARCHIVED
            )
            if archived is not None:
                return UpsertResult(
                    "unarchived", self._record(schema, self._change(schema, archived, values))
                )
            return UpsertResult("created", self._record(schema, self._insert(schema, values)))

        return _locked(self.store, work)

    def archive(self, schema: ObjectSchema, id: str) -> Plan[None]:
        def work() -> None:
            row = self._live(schema, id)
            with self.store.transaction() as db:
                self.store.write(db, row, row.fields, _unique(schema), archived=True)

        return _locked(self.store, work)

    def restore(self, schema: ObjectSchema, id: str) -> Plan[Record]:
        def work() -> Record:
            row = self.store.get(schema.slug, id)
            if row is None:
                raise NotFound(f"{schema.slug} record {id!r} does not exist", provider=self.name)
            if row.archived:
                row = self._change(schema, row, {})
            return self._record(schema, row)

        return _locked(self.store, work)

    def delete(self, schema: ObjectSchema, id: str) -> Plan[None]:
        def work() -> None:
            row = self.store.get(schema.slug, id)
            if row is None:
                raise NotFound(f"{schema.slug} record {id!r} does not exist", provider=self.name)
            with self.store.transaction() as db:
                self.store.remove(db, schema.slug, id)

        return _locked(self.store, work)
