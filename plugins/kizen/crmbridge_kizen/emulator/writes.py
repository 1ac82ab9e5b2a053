"""Record writes: add, PUT/PATCH, upsert, archive, unarchive, move — and their conflicts.

Validation is all-or-nothing: every ``fields[n]`` entry is checked first and a refusal is the
positional ``{"non_field_errors", "fields": [{}, {...}]}`` body (docs/reference/kizen.md §9 [SEED]
``ErrorResponse``), so a refused write never changes state. Rules, with their sources:

* an entry names its field by ``id`` or ``name`` [SEED ``FieldRequest``]; ``value`` for single
  fields, ``value`` (replace) or ``add_values``/``remove_values`` for multi fields (docs/reference/kizen.md §5);
* unknown body keys are ignored (DRF; ``archived: true`` does nothing [KZ-LIVE], docs/reference/kizen.md §4);
* identity: contact ``email`` unique across contacts (case-insensitively, an emulator decision) and
  record ``name`` unique within an object (exactly: case-variants may coexist) [DOC];
* an identity taken by an *archived* record is the archived conflict (docs/reference/kizen.md §6, §7): ``add``'s
  ``unarchive`` (``prompt`` → 400, ``unarchive`` → restore that record, ``overwrite`` → rename the
  archived record's identity and create), ``PUT``/``PATCH``'s ``archived_conflict`` and upsert's
  ``onupdate_archived_conflict`` (``overwrite`` → rename, else 400);
* upsert matches ``email``/``name`` case-insensitively, first (oldest) live match wins, then an
  archived match under ``oncreate_unarchive``; 200 ``updated``, 201 ``created``/``unarchived``
  (docs/reference/kizen.md §6 [SEED+KZ]).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import attrs

from .errors import ApiError, bad_param, not_found, write_error
from .ids import stable_id
from .schema import STAGE_WRITE_REFUSED, FieldDef, OptionDef, is_stage
from .store import ObjectState, Record, Store
from .values import Invalid, NewTag, parse_item, parse_value

__all__ = ["Planned", "Writer"]

_UNARCHIVE = (None, "prompt", "unarchive", "overwrite")
_OVERWRITE = (None, "overwrite")


@attrs.define(slots=True)
class Planned:
    """One validated change: ``op`` is ``set``, ``add`` or ``remove``."""

    index: int
    field: FieldDef
    op: str
    value: Any


def _file_key(item: Any) -> Any:
    return item["id"]


def _item_key(item: Any) -> Any:
    return item


def _choice(body: dict[str, Any], key: str, allowed: tuple[str | None, ...]) -> str | None:
    value = body.get(key)
    if value not in allowed:
        raise bad_param(key, f'"{value}" is not a valid choice.')
    return value


class Writer:
    """The write operations over a :class:`Store`."""

    def __init__(
        self,
        store: Store,
        now: Callable[[], dt.datetime],
        user_id: Callable[[], str],
        new_id: Callable[[], str],
    ) -> None:
        self.store = store
        self.now = now
        self.user_id = user_id
        self.new_id = new_id

    # --- validation -------------------------------------------------------------------------

    def plan(self, state: ObjectState, entries: Any, *, seed: bool = False) -> list[Planned]:
        """Validate a request's ``fields`` list; raise the positional 400 on any refusal.
        ``seed`` (test seeding only) may set a pipeline record's stage."""
        if entries is None:
            return []
        if not isinstance(entries, list):
            raise bad_param(
                "fields", f'Expected a list of items but got type "{type(entries).__name__}".'
            )
        obj = state.obj
        planned: list[Planned] = []
        errors: list[dict[str, Any]] = []
        for index, entry in enumerate(entries):
            error: dict[str, Any] = {}
            errors.append(error)
            if not isinstance(entry, dict):
                error["non_field_errors"] = ["Invalid data. Expected a dictionary."]
                continue
            field: FieldDef | None = None
            if entry.get("id") is not None:
                field = obj.field_by_id(str(entry["id"]))
                if field is None:
                    error["id"] = [f'Invalid pk "{entry["id"]}" - object does not exist.']
                    continue
                if entry.get("name") is not None and entry["name"] != field.name:
                    error["name"] = ["Use either id or name, not both."]
                    continue
            elif entry.get("name") is not None:
                field = obj.field_by_name(str(entry["name"]))
                if field is None:
                    error["name"] = [f'Field with name "{entry["name"]}" does not exist.']
                    continue
            else:
                error["id"] = ["Either id or name is required."]
                continue
            has_value = "value" in entry
            has_add, has_remove = "add_values" in entry, "remove_values" in entry
            if not field.writable:
                error["value" if has_value else "id"] = ["This field is read-only."]
                continue
            if not seed and is_stage(obj, field):
                # a stage is moved with PATCH …/move {"stage_id"}, never written as a field
                # (docs/reference/kizen.md §5 "stage (pipelines)"; kizen-admin-cli api/pipelines.py)
                error["value" if has_value else "id"] = [STAGE_WRITE_REFUSED]
                continue
            if not (has_value or has_add or has_remove):
                error["value"] = ["This field is required."]
                continue
            try:
                if has_value:
                    value = parse_value(field, entry["value"], self.store)
                    if field.name == obj.identity_field and not obj.is_contacts and not value:
                        raise Invalid("This field may not be blank.")
                    planned.append(Planned(index, field, "set", value))
            except Invalid as exc:
                error["value"] = exc.messages
            for key, op in (("add_values", "add"), ("remove_values", "remove")):
                if key not in entry:
                    continue
                if not field.multi:
                    error[key] = ["This field does not allow multiple values."]
                    continue
                items = entry[key]
                if not isinstance(items, list):
                    error[key] = [
                        f'Expected a list of items but got type "{type(items).__name__}".'
                    ]
                    continue
                try:
                    parsed = [parse_item(field, item, self.store) for item in items]
                except Invalid as exc:
                    error[key] = exc.messages
                    continue
                planned.append(Planned(index, field, op, parsed))
        if any(errors):
            raise write_error(errors)
        return planned

    def new_identity(
        self, state: ObjectState, plan: list[Planned]
    ) -> tuple[int, str | None] | None:
        """``(entry index, value)`` when the plan sets the identity field."""
        found = None
        for step in plan:
            if step.field.name == state.obj.identity_field and step.op == "set":
                found = (step.index, step.value)
        return found

    def check_identity(
        self,
        state: ObjectState,
        record: Record | None,
        plan: list[Planned],
        n_entries: int,
        archived_policy: str | None,
        *,
        live_only: bool = False,
    ) -> Record | None:
        """Uniqueness of the new identity. Returns an archived record to restore (policy
        ``unarchive``); renames archived holders (``overwrite``); raises otherwise. ``live_only``
        checks live holders only (before an ``overwrite`` renames anything)."""
        change = self.new_identity(state, plan)
        if change is None or change[1] is None:
            return None
        index, value = change[0], str(change[1])
        exact = not state.obj.is_contacts
        holders = [r for r in state.matches(value, exact=exact, archived=None) if r is not record]
        live = [r for r in holders if not r.archived]
        if live:
            errors: list[dict[str, Any]] = [{} for _ in range(n_entries)]
            label = "email" if state.obj.is_contacts else "name"
            message = f"{state.obj.entity_name} with this {label} already exists."
            if index < n_entries:
                errors[index] = {"value": [message]}
                raise write_error(errors)
            raise write_error(errors, [message])  # the identity came from lookup_value
        if not holders or live_only:
            return None
        if archived_policy == "overwrite":
            for holder in holders:
                self.rename_archived(state, holder)
            return None
        if archived_policy == "unarchive" and record is None:
            return holders[0]
        raise write_error(
            [{} for _ in range(n_entries)],
            [
                f"An archived {state.obj.entity_name.lower()} with this "
                f"{state.obj.identity_field} already exists. Choose to unarchive it or overwrite."
            ],
        )

    def rename_archived(self, state: ObjectState, record: Record) -> None:
        """Move an archived record's identity out of the way (``overwrite``; docs/reference/kizen.md §6: "Updates
        the identifier of matching archived record to not raise a conflict")."""
        field = state.identity_field()
        if field is None:
            return
        old = str(record.values.get(field.id, ""))
        tag = f"archived-{record.id[:8]}"
        if state.obj.is_contacts and "@" in old:
            local, _, domain = old.partition("@")
            new = f"{local}+{tag}@{domain}"
        else:
            new = f"{old} ({tag})"
        state.set_value(record, field, new)

    # --- applying ---------------------------------------------------------------------------

    def _resolve_tag(self, state: ObjectState, field: FieldDef, item: Any) -> Any:
        if not isinstance(item, NewTag):
            return item
        existing = field.option_named(item.name)
        if existing is not None:
            return existing.id
        option = OptionDef(stable_id("tag", state.obj.name, field.name, item.name), item.name, None)
        field.add_option(option)
        return option.id

    def apply(self, state: ObjectState, record: Record, plan: list[Planned]) -> None:
        store = self.store
        for step in plan:
            field = step.field
            if field.field_type == "relationship":
                targets = list(dict.fromkeys(step.value or []))
                if step.op == "set":
                    for old in list(store.linked(record, field)):
                        if old not in targets:
                            store.unlink(record, field, old)
                if step.op == "remove":
                    for target in targets:
                        store.unlink(record, field, target)
                else:
                    for target in targets:
                        store.link(record, field, target)
                continue
            if not field.multi:
                state.set_value(record, field, step.value)
                continue
            items = [self._resolve_tag(state, field, i) for i in step.value or []]
            key = _file_key if field.field_type == "files" else _item_key
            current = [] if step.op == "set" else list(record.values.get(field.id) or [])
            seen = {key(i) for i in current}
            if step.op == "remove":
                gone = {key(i) for i in items}
                current = [i for i in current if key(i) not in gone]
            else:
                for item in items:
                    if key(item) not in seen:
                        seen.add(key(item))
                        current.append(item)
            state.set_value(record, field, current or None)
        record.updated = max(self.now(), record.updated)
        state.version += 1

    def create(self, state: ObjectState, plan: list[Planned], record_id: str | None = None
               ) -> Record:  # fmt: skip
        """A new record with the plan applied, the caller as default owner and, for pipelines,
        the first stage."""
        now = self.now()
        record = self.store.new_record(state, record_id or self.new_id(), now)
        state.insert(record)
        self.apply(state, record, plan)
        record.updated = now
        self.fill_defaults(state, record)
        return record

    def fill_defaults(self, state: ObjectState, record: Record) -> None:
        owner = state.obj.field_by_name("owner")
        if (
            owner is not None
            and owner.id not in record.values
            and self.user_id() in self.store.employees
        ):
            record.values[owner.id] = self.user_id()
        stage = state.obj.field_by_name("stage")
        if stage is not None and stage.id not in record.values and stage.options:
            record.values[stage.id] = stage.options[0].id

    def require_identity(self, state: ObjectState, plan: list[Planned], n_entries: int) -> None:
        if state.obj.is_contacts:
            return
        change = self.new_identity(state, plan)
        if change is None or not change[1]:
            raise write_error([{} for _ in range(n_entries)], ['The field "name" is required.'])

    # --- operations -------------------------------------------------------------------------

    def add(self, state: ObjectState, body: dict[str, Any]) -> tuple[Record, str]:
        """``POST …/add``: returns the record and ``created`` or ``unarchived``."""
        policy = _choice(body, "unarchive", _UNARCHIVE)
        entries = body.get("fields")
        plan = self.plan(state, entries)
        n = len(entries) if isinstance(entries, list) else 0
        self.require_identity(state, plan, n)
        restore = self.check_identity(state, None, plan, n, policy or "prompt")
        if restore is not None:
            state.set_archived(restore, False)
            self._touch_related(state)
            self.apply(state, restore, plan)
            return restore, "unarchived"
        return self.create(state, plan), "created"

    def update(self, state: ObjectState, record: Record, body: dict[str, Any], *, put: bool
               ) -> list[Planned]:  # fmt: skip
        """``PUT``/``PATCH``: set the given fields, leave the others (PUT too: docs/reference/kizen.md §13.9
        leaves "does PUT clear omitted fields" open; the emulator does not clear)."""
        if put and "fields" not in body:
            raise bad_param("fields")
        policy = _choice(body, "archived_conflict", _OVERWRITE)
        entries = body.get("fields")
        plan = self.plan(state, entries)
        n = len(entries) if isinstance(entries, list) else 0
        self.check_identity(state, record, plan, n, policy)
        self.apply(state, record, plan)
        return plan

    def upsert(self, state: ObjectState, body: dict[str, Any]) -> tuple[Record, str, list[Planned]]:
        """``POST …/upsert`` (docs/reference/kizen.md §6)."""
        lookup = body.get("lookup_value")
        if lookup is None:
            raise bad_param("lookup_value")
        if not isinstance(lookup, str) or not lookup.strip():
            raise bad_param("lookup_value", "This field may not be blank.")
        on_create = _choice(body, "oncreate_unarchive", _UNARCHIVE)
        on_update = _choice(body, "onupdate_archived_conflict", _OVERWRITE)
        entries = body.get("fields")
        plan = self.plan(state, entries)
        n = len(entries) if isinstance(entries, list) else 0
        live = state.matches(lookup, exact=False, archived=False)
        if live:
            record = live[0]
            self.check_identity(state, record, plan, n, on_update)
            self.apply(state, record, plan)
            return record, "updated", plan
        identity = state.identity_field()
        if identity is not None and self.new_identity(state, plan) is None:
            try:
                value = parse_value(identity, lookup, self.store)
            except Invalid as exc:
                raise bad_param("lookup_value", exc.messages[0]) from None
            plan = [*plan, Planned(n, identity, "set", value)]
        archived = state.matches(lookup, exact=False, archived=True)
        if archived:
            if on_create in (None, "prompt"):
                raise write_error(
                    [{} for _ in range(n)],
                    [
                        f"An archived {state.obj.entity_name.lower()} matches "
                        f'"{lookup}". Set oncreate_unarchive to "unarchive" or "overwrite".'
                    ],
                )
            if on_create == "unarchive":
                record = archived[0]
                plan = [p for p in plan if not (p.index == n and p.field is identity)]
                self.check_identity(state, record, plan, n, on_update)
                state.set_archived(record, False)
                self._touch_related(state)
                self.apply(state, record, plan)
                return record, "unarchived", plan
            # refuse a live conflict before renaming anything: a refused write changes nothing
            self.check_identity(state, None, plan, n, None, live_only=True)
            for holder in archived:
                self.rename_archived(state, holder)
        self.check_identity(state, None, plan, n, on_create if on_create != "unarchive" else None)
        return self.create(state, plan), "created", plan

    def _touch_related(self, state: ObjectState) -> None:
        """Archiving hides a record from the other side of its relationships: invalidate the
        cached searches of the objects that can link to it."""
        for field in state.obj.fields:
            if field.relation is not None:
                other = self.store.objects.get(field.relation.related_object)
                if other is not None:
                    other.version += 1

    def archive(self, state: ObjectState, record: Record) -> None:
        if record.archived:
            raise not_found()
        state.set_archived(record, True)
        self._touch_related(state)

    def unarchive(self, state: ObjectState, record: Record) -> None:
        """``PATCH …/unarchive`` [KZ-LIVE]: 400 when not archived or its identity is taken."""
        if not record.archived:
            raise ApiError(400, {"non_field_errors": ["This record is not archived."]})
        value = state.identity(record)
        if value is not None:
            exact = not state.obj.is_contacts
            if state.matches(value, exact=exact, archived=False):
                raise ApiError(
                    400,
                    {"non_field_errors": [
                        f"A {state.obj.entity_name.lower()} with this "
                        f"{state.obj.identity_field} already exists."
                    ]},
                )  # fmt: skip
        state.set_archived(record, False)
        self._touch_related(state)
        record.updated = max(self.now(), record.updated)

    def move(self, state: ObjectState, record: Record, body: dict[str, Any]) -> None:
        """``PATCH …/move {"stage_id"}`` on pipeline objects ([KZ] ``pipeline_stage_read``)."""
        stage = state.obj.field_by_name("stage")
        if stage is None:
            raise not_found()
        stage_id = body.get("stage_id")
        if stage_id is None:
            raise bad_param("stage_id")
        if stage.option(str(stage_id)) is None:
            raise bad_param("stage_id", f'Invalid pk "{stage_id}" - object does not exist.')
        state.set_value(record, stage, str(stage_id))
        record.updated = max(self.now(), record.updated)
