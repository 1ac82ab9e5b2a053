"""In-memory state: the workspace's configuration and the records and entries of each object and list.

Records and entries are :class:`Row` s holding their *active* values per attribute slug and the
deactivated ones (value history, docs/reference/attio.md §3 "Historic values"), each value a compact
:class:`~.stored.Stored` rendered into the API's dict on read (stored.py says why). An attribute with
one value holds it bare, not in a one-element list (issue 24: a list per attribute was ~0.65 KB per
seeded record, docs/benchmarks.md §11); :meth:`Row.values` reads either form.

Rows of an object or list live in a :class:`Table` that keeps insertion order (the order a query
without sorts returns) in a cached list, so that an unfiltered page is a slice — O(page), not
O(records) — and per-attribute uniqueness indexes.

With :attr:`Workspace.render_cache` on, a records query sends each record's JSON as it was encoded
for an earlier answer (:meth:`Workspace.record_json`) while nothing in the workspace changed since:
every change bumps :attr:`Workspace.generation` (:meth:`Workspace.changed`: every request but a
records query, every value write, every direct-access call; the emulator module says where), and a
table's kept JSON from an older generation is dropped whole at its next query. Why whole, not per
record: a record's rendering depends on more than its row (its object's visible attributes and
noun, option titles shared by every value that shows them: ``update_option`` renames one in
place), so only "nothing changed at all" is a rule that cannot miss a case. Why: rendering and
encoding a page were ~30 µs per record of the served emulator's CPU, on the same two cores as the
client whose re-run the benchmark times (issue 24, docs/benchmarks.md "Re-run, third pass").
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

from crmbridge.emulation import json_bytes

from . import errors
from .ids import IdFactory
from .schema import AttributeDef, ListDef, MemberDef, ObjectDef, Parent
from .stored import Stamp, Stored, shape_of
from .values import identity, is_uuid, normalize

__all__ = ["DERIVED", "Entry", "Row", "Table", "Workspace"]

#: Record-reference string shorthand: the unique attribute a bare string matches, per target
#: object (docs/reference/attio.md §3, record-reference row).
SHORTHAND_MATCH = {
    "companies": ("domains", "domain"),
    "people": ("email_addresses", "email_address"),
    "users": ("user_id", "value"),
    "workspaces": ("workspace_id", "value"),
}


#: What :attr:`Row.active` holds for a system attribute whose value follows from the row itself —
#: ``record_id``/``entry_id`` (its id), ``created_at`` (when it was made), ``created_by`` (who made
#: it) — until a write replaces it: one shared marker, not three values per row (~200 bytes per
#: seeded record, issue 24). :meth:`Row.values` gives the value it stands for.
DERIVED = Stored((shape_of("derived", ()), None))
_TEXT = shape_of("text", ("value",))
_TIMESTAMP = shape_of("timestamp", ("value",))
_ACTOR = shape_of("actor-reference", ("referenced_actor_type", "referenced_actor_id"))


@dataclass(slots=True, eq=False)
class Row:
    """A record (or, as :class:`Entry`, a list entry)."""

    id: str
    #: When and by whom the row was created (its ``created_at``; its system values' envelope).
    stamp: Stamp
    #: slug → the active value, or a list of them when there are several (never empty).
    active: dict[str, Stored | list[Stored]] = field(default_factory=dict)
    #: slug → deactivated values, oldest first; ``None`` until a value is first replaced.
    history: dict[str, list[Stored]] | None = None
    #: For relationship attributes: slug → {(target_object, target_record_id)} of the active
    #: values, built on first use, so that keeping an inverse in sync is O(1), not O(team).
    refs: dict[str, set[tuple[str, str]]] | None = None

    @property
    def created_at(self) -> str:
        return self.stamp.active_from

    def values(self, slug: str) -> Sequence[Stored]:
        """The active values of ``slug`` (the stored list itself when there are several)."""
        found = self.active.get(slug)
        if found is None:
            return ()
        if found.__class__ is Stored:
            return (self.derived(slug) if found is DERIVED else found,)
        return found

    def derived(self, slug: str) -> Stored:
        """The value :data:`DERIVED` stands for (a new tuple each time: the row holds none).

        Only single-valued system attributes are derived, so no write keeps a derived value
        beside new ones (``Writer.apply`` tells kept values by identity)."""
        stamp = self.stamp
        if slug == "created_at":
            return Stored((_TIMESTAMP, stamp, stamp.active_from))
        if slug == "created_by":
            return Stored((_ACTOR, stamp, stamp.actor["type"], stamp.actor["id"]))
        return Stored((_TEXT, stamp, self.id))  # record_id, entry_id

    def set_values(self, slug: str, values: list[Stored]) -> None:
        if not values:
            self.active.pop(slug, None)
        elif len(values) == 1:
            self.active[slug] = values[0]
        else:
            self.active[slug] = values

    def historic(self, slug: str) -> list[Stored]:
        """The deactivated values of ``slug`` (a stored list or an empty one)."""
        return self.history.get(slug, []) if self.history is not None else []

    def ref_set(self, slug: str) -> set[tuple[str, str]]:
        if self.refs is None:
            self.refs = {}
        found = self.refs.get(slug)
        if found is None:
            found = self.refs[slug] = {
                (v.get("target_object"), v.get("target_record_id")) for v in self.values(slug)
            }
        return found


@dataclass(slots=True, eq=False)
class Entry(Row):
    parent_record_id: str = ""
    parent_object: str = ""


class Table:
    """The rows of one object or list, in creation order, with uniqueness indexes."""

    def __init__(self, parent: Parent) -> None:
        self.parent = parent
        self.rows: dict[str, Row] = {}
        self._ordered: list[Row] | None = []
        #: slug → value identity → row id, for the parent's unique attributes.
        self.unique: dict[str, dict[Hashable, str]] = {}
        #: Row id → its JSON in a records query's answer (:meth:`Workspace.record_json`), kept
        #: while the workspace's generation is :attr:`json_at`.
        self.json: dict[str, bytes] = {}
        self.json_at = -1

    def ordered(self) -> list[Row]:
        if self._ordered is None:
            self._ordered = list(self.rows.values())
        return self._ordered

    def insert(self, row: Row) -> None:
        self.rows[row.id] = row
        if self._ordered is not None:
            self._ordered.append(row)

    def remove(self, row: Row) -> None:
        del self.rows[row.id]
        self._ordered = None
        for slug in row.active:
            index = self.unique.get(slug)
            if index is None:
                continue
            attribute = self.parent.attributes[slug]
            for value in row.values(slug):
                key = identity(attribute.type, value)
                if index.get(key) == row.id:
                    del index[key]

    def index(self, attribute: AttributeDef) -> dict[Hashable, str]:
        found = self.unique.get(attribute.api_slug)
        if found is None:
            found = self.unique[attribute.api_slug] = {}
            for row in self.rows.values():
                for value in row.values(attribute.api_slug):
                    found.setdefault(identity(attribute.type, value), row.id)
        return found


class Workspace:
    """Everything one token can see: members, objects, lists, their rows."""

    def __init__(self, ids: IdFactory, created_at: str) -> None:
        self.ids = ids
        self.id = ids.new()
        self.slug = "crmbridge-emulator"
        self.name = "crmbridge Emulator"
        self.created_at = created_at
        #: The API token's actor id (``created_by_actor`` of every API write).
        self.token_id = ids.new()
        self.client_id = ids.new()
        self.members: list[MemberDef] = []
        self.objects: dict[str, ObjectDef] = {}
        self.lists: dict[str, ListDef] = {}
        self.tables: dict[str, Table] = {}
        #: ``created_by_actor`` of API writes: one dict, shared by every value and note that
        #: shows it (never changed once made).
        self._api_actor = {"type": "api-token", "id": self.token_id}
        #: Notes and tasks by id (handlers_notes.py), in creation order.
        self.notes: dict[str, Any] = {}
        self.tasks: dict[str, Any] = {}
        #: Bumped by every change (:meth:`changed`): JSON kept from an older one is not used.
        self.generation = 0
        #: Records queries answer each record's kept JSON while nothing changed (module doc).
        self.render_cache = False
        #: Each use of kept JSON is checked against a fresh rendering (tests: a missed change
        #: fails loudly instead of answering stale bytes).
        self.verify_cache = False

    def changed(self) -> None:
        """Something in the workspace changed (or may have): kept record JSON is stale."""
        self.generation += 1

    # --- configuration lookups ----------------------------------------------------------------

    def object(self, key: str) -> ObjectDef | None:
        """An object by slug or id (every ``{object}`` path parameter accepts both)."""
        found = self.objects.get(key)
        if found is None:
            found = next((o for o in self.objects.values() if o.id == key), None)
        return found

    def list(self, key: str) -> ListDef | None:
        found = self.lists.get(key)
        if found is None:
            found = next((lst for lst in self.lists.values() if lst.id == key), None)
        return found

    def table(self, parent: Parent) -> Table:
        table = self.tables.get(parent.id)
        if table is None:
            table = self.tables[parent.id] = Table(parent)
        return table

    def object_ids(self) -> dict[str, str]:
        return {slug: obj.id for slug, obj in self.objects.items()}

    def api_actor(self) -> dict[str, Any]:
        return self._api_actor

    # --- rendering ------------------------------------------------------------------------------

    def web_url(self, obj: ObjectDef, record_id: str) -> str:
        """``https://app.attio.com/{workspace}/{person|company|…}/{id}`` as recorded."""
        kind = obj.singular_noun.lower().replace(" ", "-") or obj.api_slug
        return f"https://app.attio.com/{self.slug}/{kind}/{record_id}"

    def render_record(self, obj: ObjectDef, row: Row) -> dict[str, Any]:
        return {
            "id": {"workspace_id": self.id, "object_id": obj.id, "record_id": row.id},
            "created_at": row.created_at,
            "web_url": self.web_url(obj, row.id),
            "values": _render_values(row, obj.visible),
        }

    def record_json(self, obj: ObjectDef, row: Row) -> bytes:
        """:meth:`render_record` encoded as an answer encodes it (:func:`crmbridge.emulation.
        json_bytes`), kept in the row's table until the workspace changes (module doc)."""
        table = self.table(obj)
        if table.json_at != self.generation:
            table.json = {}
            table.json_at = self.generation
        found = table.json.get(row.id)
        if found is None:
            found = table.json[row.id] = json_bytes(self.render_record(obj, row))
        elif self.verify_cache:
            fresh = json_bytes(self.render_record(obj, row))
            if fresh != found:
                raise AssertionError(
                    f"stale JSON kept for {obj.api_slug} record {row.id}: a change that did "
                    "not call Workspace.changed()"
                )
        return found

    def render_entry(self, lst: ListDef, entry: Entry) -> dict[str, Any]:
        return {
            "id": {"workspace_id": self.id, "list_id": lst.id, "entry_id": entry.id},
            "parent_record_id": entry.parent_record_id,
            "parent_object": entry.parent_object,
            "created_at": entry.created_at,
            "entry_values": _render_values(entry, lst.visible),
        }

    # --- value resolution (values.Resolver) -----------------------------------------------------

    def member_by_email(self, email: str) -> MemberDef | None:
        email = email.lower()
        return next((m for m in self.members if m.email_address.lower() == email), None)

    def member_by_id(self, member_id: str) -> MemberDef | None:
        return next((m for m in self.members if m.id == member_id), None)

    def resolve_reference(self, attribute: AttributeDef, raw: Any) -> tuple[str, str]:
        """Find the record a record-reference value points to; it must exist (docs/reference/attio.md §3)."""
        if isinstance(raw, str):
            if len(attribute.targets) != 1:
                raise errors.invalid_value(
                    attribute.api_slug,
                    [errors.zod("invalid", [], "A string is only accepted for one target object")],
                )
            target = self.objects.get(attribute.targets[0])
            if target is None:
                raise errors.value_not_found(
                    f'Object with slug/ID "{attribute.targets[0]}" not found.'
                )
            if is_uuid(raw) and raw in self.table(target).rows:
                return target.api_slug, raw
            slug_key = SHORTHAND_MATCH.get(target.api_slug)
            if slug_key is None:
                raise errors.value_not_found(f'Record with ID "{raw}" not found.')
            raw = {"target_object": target.api_slug, slug_key[0]: [{slug_key[1]: raw}]}
        if not isinstance(raw, dict):
            raise errors.invalid_value(
                attribute.api_slug,
                [
                    errors.zod(
                        "invalid_type",
                        [],
                        f"Expected object, received {errors.type_name(raw)}",
                        expected="object",
                        received=errors.type_name(raw),
                    )
                ],
            )
        target_key = raw.get("target_object")
        if not isinstance(target_key, str):
            raise errors.invalid_value(
                attribute.api_slug, [errors.required(["target_object"], "string")]
            )
        target = self.object(target_key)
        if target is None:
            raise errors.value_not_found(f'Object with slug/ID "{target_key}" not found.')
        if attribute.targets and target.api_slug not in attribute.targets:
            raise errors.invalid_value(
                attribute.api_slug,
                [
                    errors.zod(
                        "invalid", ["target_object"], f'Object "{target.api_slug}" is not allowed'
                    )
                ],
            )
        table = self.table(target)
        record_id = raw.get("target_record_id")
        if record_id is not None:
            if not isinstance(record_id, str) or record_id not in table.rows:
                raise errors.value_not_found(f'Record with ID "{record_id}" not found.')
            return target.api_slug, record_id
        for key, value in raw.items():
            if key == "target_object":
                continue
            match_attr = target.attribute(key)
            if match_attr is None or not match_attr.is_unique:
                raise errors.value_not_found(
                    f'No unique attribute was found for slug/ID "{key}" on object "{target.api_slug}".'
                )
            index = table.index(match_attr)
            for item in normalize(match_attr, value, self):
                owner = index.get(identity(match_attr.type, item))
                if owner is not None:
                    return target.api_slug, owner
            raise errors.value_not_found(
                f'Could not find a "{target.api_slug}" record matching the attribute "{key}".'
            )
        raise errors.invalid_value(
            attribute.api_slug, [errors.required(["target_record_id"], "string")]
        )


def _render_values(row: Row, visible: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
    """``values``/``entry_values``: every visible slug in order, ``[]`` where none. Made for
    speed (a GET renders every attribute, a page 500 records): the empty lists in one
    comprehension, then only the attributes the row holds (~10 of ~25)."""
    rendered: dict[str, list[dict[str, Any]]] = {slug: [] for slug in visible}
    for slug, found in row.active.items():
        if slug not in rendered:  # an archived attribute
            continue
        if found.__class__ is not Stored:
            rendered[slug] = [v[0].render(v) for v in found]
        elif found is DERIVED:
            rendered[slug] = [_render_derived(row, slug)]
        else:
            rendered[slug] = [found[0].render(found)]
    return rendered


def _render_derived(row: Row, slug: str) -> dict[str, Any]:
    """:meth:`Row.derived` rendered, through plain tuples (a :class:`Stored` costs more to make)."""
    stamp = row.stamp
    if slug == "created_at":
        return _TIMESTAMP.render((_TIMESTAMP, stamp, stamp.active_from))
    if slug == "created_by":
        return _ACTOR.render((_ACTOR, stamp, stamp.actor["type"], stamp.actor["id"]))
    return _TEXT.render((_TEXT, stamp, row.id))
