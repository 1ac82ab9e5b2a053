"""In-memory state: records per object, identity indexes, relationship links.

Why the indexes: benchmarks page through 100,000 records and run 5,000-record migrations, so an
unfiltered page costs O(page) (a cached list of live ids, sliced) and an upsert's match by
``name``/``email`` costs O(1) (case-folded and exact indexes). Archived records stay in
:attr:`ObjectState.records` with their data (docs/reference/kizen.md §7: soft delete, restorable with the same id).
Relationship values are kept on both sides of the link (docs/reference/kizen.md §5: a relationship field and its
``relation.related_field`` inverse).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from .schema import Employee, FieldDef, ObjectDef

__all__ = ["ObjectState", "Record", "Store"]


class Record:
    """One record: values keyed by field id, in the emulator's internal form (see :mod:`.values`)."""

    __slots__ = ("archived", "created", "id", "object", "seq", "updated", "values")

    def __init__(self, id: str, object: str, seq: int, created: dt.datetime) -> None:
        self.id = id
        self.object = object
        self.seq = seq
        self.created = created
        self.updated = created
        self.archived = False
        self.values: dict[str, Any] = {}

    def __repr__(self) -> str:
        return f"Record({self.object}/{self.id}{' archived' if self.archived else ''})"


class ObjectState:
    """The records of one object, with the indexes that keep reads cheap."""

    def __init__(self, obj: ObjectDef) -> None:
        self.obj = obj
        self.records: dict[str, Record] = {}
        self.version = 0  # bumped on every change; keys the sort caches of .search
        self._live: list[str] | None = []
        self._exact: dict[str, dict[str, None]] = {}
        self._folded: dict[str, dict[str, None]] = {}
        self.sort_cache: dict[str, tuple[int, list[str]]] = {}

    # --- identity (name / email) ----------------------------------------------------------

    def identity_field(self) -> FieldDef | None:
        return self.obj.field_by_name(self.obj.identity_field)

    def identity(self, record: Record) -> str | None:
        field = self.identity_field()
        return None if field is None else record.values.get(field.id)

    def _index(self, record: Record, value: str | None, add: bool) -> None:
        if value is None:
            return
        for index, key in ((self._exact, value), (self._folded, value.casefold())):
            bucket = index.setdefault(key, {})
            if add:
                bucket[record.id] = None
            else:
                bucket.pop(record.id, None)
                if not bucket:
                    del index[key]

    def set_value(self, record: Record, field: FieldDef, value: Any) -> None:
        """Set (or clear, with ``None``) a stored value, keeping the identity index current."""
        is_identity = field.name == self.obj.identity_field
        if is_identity:
            self._index(record, record.values.get(field.id), add=False)
        if value is None:
            record.values.pop(field.id, None)
        else:
            record.values[field.id] = value
        if is_identity:
            self._index(record, value, add=True)
        self.version += 1

    def matches(self, value: str, *, exact: bool, archived: bool | None) -> list[Record]:
        """Records whose identity equals ``value`` (case-sensitively when ``exact``), oldest first;
        ``archived`` None means live and archived."""
        bucket = (self._exact if exact else self._folded).get(value if exact else value.casefold())
        if not bucket:
            return []
        found = [self.records[i] for i in bucket]
        if archived is not None:
            found = [r for r in found if r.archived is archived]
        return sorted(found, key=lambda r: r.seq)

    # --- membership -------------------------------------------------------------------------

    def insert(self, record: Record) -> None:
        self.records[record.id] = record
        self._index(record, self.identity(record), add=True)
        if self._live is not None and not record.archived:
            self._live.append(record.id)
        self.version += 1

    def set_archived(self, record: Record, archived: bool) -> None:
        record.archived = archived
        self._live = None
        self.version += 1

    def live_ids(self) -> list[str]:
        """Ids of live records in creation order; cached until an archive/unarchive."""
        if self._live is None:
            live = [r for r in self.records.values() if not r.archived]
            live.sort(key=lambda r: r.seq)
            self._live = [r.id for r in live]
        return self._live

    def live(self) -> Iterator[Record]:
        records = self.records
        for record_id in self.live_ids():
            yield records[record_id]


class Store:
    """The whole emulated business: objects, their records, team members."""

    def __init__(self) -> None:
        self.objects: dict[str, ObjectState] = {}  # by api name
        self.by_object_id: dict[str, ObjectState] = {}
        self.record_index: dict[str, ObjectState] = {}  # record id -> its object
        self.employees: dict[str, Employee] = {}
        self.seq = 0

    def add_object(self, obj: ObjectDef) -> ObjectState:
        state = ObjectState(obj)
        self.objects[obj.name] = state
        self.by_object_id[obj.id] = state
        return state

    def object(self, identifier: str) -> ObjectState | None:
        """An object by api name or UUID (docs/reference/kizen.md §3: both resolve identically)."""
        return self.objects.get(identifier) or self.by_object_id.get(identifier)

    def new_record(self, state: ObjectState, record_id: str, created: dt.datetime) -> Record:
        self.seq += 1
        record = Record(record_id, state.obj.name, self.seq, created)
        self.record_index[record_id] = state
        return record

    def find(self, record_id: str) -> Record | None:
        state = self.record_index.get(record_id)
        return None if state is None else state.records.get(record_id)

    # --- relationships (both sides) ---------------------------------------------------------

    def inverse(self, field: FieldDef) -> tuple[ObjectState, FieldDef] | None:
        relation = field.relation
        if relation is None or relation.related_field is None:
            return None
        state = self.objects.get(relation.related_object)
        if state is None:
            return None
        inverse = state.obj.field_by_id(relation.related_field)
        return None if inverse is None else (state, inverse)

    @staticmethod
    def linked(record: Record, field: FieldDef) -> dict[str, None]:
        value = record.values.get(field.id)
        return value if isinstance(value, dict) else {}

    def _one_side(self, record: Record, field: FieldDef, other: str, add: bool) -> None:
        links = record.values.get(field.id)
        if add:
            if links is None:
                links = record.values[field.id] = {}
            links[other] = None
        elif links is not None:
            links.pop(other, None)
            if not links:
                del record.values[field.id]
        state = self.record_index.get(record.id)
        if state is not None:
            state.version += 1

    def unlink(self, record: Record, field: FieldDef, other_id: str) -> None:
        self._one_side(record, field, other_id, add=False)
        inverse = self.inverse(field)
        other = self.find(other_id)
        if inverse is not None and other is not None:
            self._one_side(other, inverse[1], record.id, add=False)

    def link(self, record: Record, field: FieldDef, other_id: str) -> None:
        """Link ``record`` to ``other_id`` through ``field``; a to-one side first drops its old link
        (so moving a contact to another company removes it from the old company's list)."""
        if other_id in self.linked(record, field):
            return
        if not field.multi:
            for old in list(self.linked(record, field)):
                self.unlink(record, field, old)
        inverse = self.inverse(field)
        other = self.find(other_id)
        if inverse is not None and other is not None:
            inv_field = inverse[1]
            if not inv_field.multi:
                for old in list(self.linked(other, inv_field)):
                    old_record = self.find(old)
                    if old_record is not None:
                        self.unlink(old_record, field, other_id)
                    else:
                        self._one_side(other, inv_field, old, add=False)
            self._one_side(other, inv_field, record.id, add=True)
        self._one_side(record, field, other_id, add=True)
