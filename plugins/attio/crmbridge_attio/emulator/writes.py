"""Write semantics for records and entries: create, append (PATCH), overwrite (PUT), assert.

From docs/reference/attio.md §4 (records table): PATCH creates the supplied multiselect values and keeps
the existing ones (new ones first); PUT replaces them; assert appends to the *matching* attribute and
syncs every other multiselect to the supplied list; attributes absent from a payload are untouched.
Single-value attributes are replaced by a new value (an equal value is kept as it is). Every
replaced or removed value stays in the history with ``active_until`` set (§3 historic values).
Uniqueness (``uniqueness_conflict``), required attributes (``missing_value``) and non-writable
attributes are checked on the whole payload *before* anything changes, so a refused write never
changes state. Record-reference attributes that form a relationship keep their inverse in sync
(docs/reference/attio.md §3, record-reference row: "relationship pairs auto-sync inverse").
"""

from __future__ import annotations

import json
from collections.abc import Hashable, Sequence
from typing import Any, Literal

from . import errors
from .errors import AttioError
from .schema import AttributeDef, Parent
from .store import Row, Table, Workspace
from .stored import Stamp, Stored
from .values import identity, normalize, normalize_system

__all__ = ["Mode", "Writer"]

#: Up to this many values, whether a relationship already holds a reference is a scan of the
#: values rather than a set kept per row (``Writer._refers``).
SCAN_REFS = 16

Mode = Literal["create", "append", "overwrite", "assert"]
#: What :meth:`Writer.plan` returns per changed attribute: (stored values to keep, type keys of the
#: values to add).
Change = tuple[Sequence[Stored], list[dict[str, Any]]]


def _conflict(attribute: AttributeDef, value: dict[str, Any]) -> AttioError:
    """The recorded ``uniqueness_conflict`` message (documented_examples.json)."""
    shown = {
        k: v
        for k, v in value.items()
        if k
        not in (
            "original_email_address",
            "email_domain",
            "email_root_domain",
            "email_local_specifier",
            "root_domain",
        )
    }
    text = json.dumps(json.dumps(shown, separators=(",", ":")))  # quoted and escaped, as recorded
    return errors.bad_request(
        "uniqueness_conflict",
        f'The value {text} provided for attribute with ID "{attribute.id}" conflicts with one '
        "already in the system.",
    )


class Writer:
    """Applies value payloads to rows of one workspace."""

    def __init__(self, workspace: Workspace) -> None:
        self.ws = workspace
        self._stamp: Stamp | None = None

    def stamp(self, now: str, actor: dict[str, Any]) -> Stamp:
        """The envelope of values written at ``now`` by ``actor``: one :class:`Stamp` shared by
        every value of a write (and its inverse values), not one per value (stored.py)."""
        last = self._stamp
        if last is None or last.active_from is not now or last.actor is not actor:
            last = self._stamp = Stamp(now, actor)
        return last

    def parse(
        self, parent: Parent, payload: Any, path: str, *, system: bool = False
    ) -> dict[AttributeDef, list[dict[str, Any]]]:
        """Normalise a ``values``/``entry_values`` payload: every key must be a writable attribute
        (``system``: a write by Attio itself, e.g. enrichment, that may set any attribute)."""
        if not isinstance(payload, dict):
            raise errors.body_invalid(
                [
                    errors.zod(
                        "invalid_type",
                        ["data", path],
                        f"Expected object, received {errors.type_name(payload)}",
                        expected="object",
                        received=errors.type_name(payload),
                    )
                ]
            )
        parsed: dict[AttributeDef, list[dict[str, Any]]] = {}
        for key, raw in payload.items():
            attribute = parent.attribute(key)
            if attribute is None or attribute.is_archived:
                raise errors.value_not_found(f'Cannot find attribute with slug/ID "{key}".')
            if not attribute.is_writable and not system:
                raise errors.invalid_value(
                    attribute.api_slug,
                    [
                        errors.zod(
                            "invalid", [], f'Attribute "{attribute.api_slug}" is not writable.'
                        )
                    ],
                )
            items = (normalize_system if system else normalize)(attribute, raw, self.ws)
            if len(items) > 1:
                seen: set[Hashable] = set()
                unique_items = []
                for item in items:
                    key_ = identity(attribute.type, item)
                    if key_ not in seen:
                        seen.add(key_)
                        unique_items.append(item)
                items = unique_items
            parsed[attribute] = items
        return parsed

    def plan(
        self,
        table: Table,
        row: Row | None,
        parsed: dict[AttributeDef, list[dict[str, Any]]],
        mode: Mode,
        matching: AttributeDef | None = None,
    ) -> dict[AttributeDef, Change]:
        """For each changed attribute: (values to keep, new type-key dicts to add). Validates
        uniqueness and required attributes; changes nothing."""
        changes: dict[AttributeDef, Change] = {}
        for attribute, items in parsed.items():
            current = row.values(attribute.api_slug) if row is not None else ()
            if not current:  # a new value (every value of a create): nothing to compare with
                if items:
                    changes[attribute] = ([], items)
                continue
            by_key = {identity(attribute.type, v): v for v in current}
            append = attribute.is_multiselect and (
                mode == "append" or (mode == "assert" and attribute is matching)
            )
            keep: Sequence[Stored]
            if append:
                keep = list(current)
                add = [i for i in items if identity(attribute.type, i) not in by_key]
            else:
                keep = [
                    by_key[k] for k in (identity(attribute.type, i) for i in items) if k in by_key
                ]
                add = [i for i in items if identity(attribute.type, i) not in by_key]
            if add or len(keep) != len(current):
                changes[attribute] = (keep, add)
        row_id = row.id if row is not None else None
        for attribute, (_keep, add) in changes.items():
            if attribute.is_unique:
                index = table.index(attribute)
                for item in add:
                    owner = index.get(identity(attribute.type, item))
                    if owner is not None and owner != row_id:
                        raise _conflict(attribute, item)
        # A new row needs every required attribute; an existing one only must not lose one
        # (spec ``is_required``: "does not affect existing data ... you do not need to backfill").
        for attribute in table.parent.required:
            if attribute in changes:
                keep, add = changes[attribute]
                empty = not keep and not add
            else:
                empty = row is None
            if empty:
                raise errors.bad_request(
                    "missing_value",
                    f'Required value for attribute with ID "{attribute.id}" was not provided.',
                )
        return changes

    def apply(
        self,
        table: Table,
        row: Row,
        changes: dict[AttributeDef, Change],
        now: str,
        actor: dict[str, Any],
        prepend: bool,
    ) -> None:
        """Make planned changes: retire dropped values into the history, add new ones."""
        self.ws.changed()  # kept record JSON is stale (store.py)
        stamp = self.stamp(now, actor)
        for attribute, (keep, add) in changes.items():
            slug = attribute.api_slug
            current = row.values(slug)
            # ``keep`` is always a sub-list of ``current``: same length means nothing dropped, and
            # appending to a many-valued attribute (a big team) stays O(added).
            if len(keep) == len(current):
                dropped: Sequence[Stored] = ()
            else:
                kept_ids = {id(v) for v in keep}
                dropped = [v for v in current if id(v) not in kept_ids]
            added = [Stored.of(item, attribute.type, stamp) for item in add]
            if prepend:
                row.set_values(slug, added + list(keep))
            elif keep is current and isinstance(current, list):
                current.extend(added)
            else:
                row.set_values(slug, [*keep, *added])
            if dropped:
                if row.history is None:
                    row.history = {}
                history = row.history.setdefault(slug, [])
                history.extend(v.retired(now) for v in dropped)
            if attribute.is_unique:
                index = table.index(attribute)
                for v in dropped:
                    key = identity(attribute.type, v)
                    if index.get(key) == row.id:
                        del index[key]
                for v in added:
                    index[identity(attribute.type, v)] = row.id
            if attribute.inverse is not None and attribute.type == "record-reference":
                if row.refs is not None and slug in row.refs:
                    refs = row.refs[slug]
                    refs.difference_update(_ref(v) for v in dropped)
                    refs.update(_ref(v) for v in added)
                self._sync_inverse(attribute, row.id, dropped, added, now, actor)

    def _sync_inverse(
        self,
        attribute: AttributeDef,
        record_id: str,
        dropped: Sequence[Stored],
        added: Sequence[Stored],
        now: str,
        actor: dict[str, Any],
    ) -> None:
        inverse = attribute.inverse
        assert inverse is not None
        source_slug = attribute.parent.api_slug
        back = {"target_object": source_slug, "target_record_id": record_id}
        back_key = identity("record-reference", back)
        for value in dropped:
            target = self._row(value)
            if target is None:
                continue
            table, other = target
            current = other.values(inverse.api_slug)
            kept = [v for v in current if identity("record-reference", v) != back_key]
            if len(kept) != len(current):
                self.apply(table, other, {inverse: (kept, [])}, now, actor, prepend=False)
        for value in added:
            target = self._row(value)
            if target is None:
                continue
            table, other = target
            current = other.values(inverse.api_slug)
            if self._refers(other, inverse.api_slug, current, (source_slug, record_id)):
                continue
            keep = current if inverse.is_multiselect else ()
            self.apply(table, other, {inverse: (keep, [back])}, now, actor, prepend=False)

    @staticmethod
    def _refers(row: Row, slug: str, current: Sequence[Stored], ref: tuple[str, str]) -> bool:
        """Whether ``row``'s ``slug`` already points to ``ref``. A few values are scanned; a
        long list (a big team) gets the row's set of references, built once (O(1) per write).
        Most rows hold a handful, and a set per row was ~360 bytes per seeded record (issue 24:
        bytes per record, docs/benchmarks.md §11)."""
        if len(current) <= SCAN_REFS and (row.refs is None or slug not in row.refs):
            return any(_ref(v) == ref for v in current)
        return ref in row.ref_set(slug)

    def _row(self, value: Stored) -> tuple[Table, Row] | None:
        obj = self.ws.objects.get(value.get("target_object"))
        if obj is None:
            return None
        table = self.ws.table(obj)
        other = table.rows.get(value.get("target_record_id"))
        return (table, other) if other is not None else None


def _ref(value: Stored) -> tuple[str, str]:
    """``(target_object, target_record_id)`` of a record-reference value."""
    return (value.get("target_object"), value.get("target_record_id"))
