"""Direct access to an :class:`~.emulator.AttioEmulator`'s state, for tests and seeding: the same
role and name as the Kizen emulator's ``access`` module. Inspection (:meth:`StateAccess.records`,
:meth:`StateAccess.record` — ``None`` for a missing record, as on every emulator) and programmatic
seeding (:meth:`StateAccess.seed_record` — the new record's id, as on every emulator —
``seed_entry``, ``add_attribute``, ``add_object``, ``seed_values``…). Every method takes the
emulator's lock, so it is safe while the emulator is being served; every method that changes
something says so (``Workspace.changed``, so that no kept record JSON is answered after it:
store.py).
"""

from __future__ import annotations

import json
import threading
from typing import Any

from .handlers_entries import EntriesApi
from .ids import now_timestamp
from .schema import AttributeDef, ListDef, MemberDef, ObjectDef, OptionDef, Parent, StatusDef
from .seeds import SCHEMA_CREATED_AT, add_attribute, add_list, add_object
from .store import Entry, Workspace

__all__ = ["StateAccess"]


class StateAccess:
    """Mixed into :class:`~.emulator.AttioEmulator`."""

    lock: threading.RLock
    workspace: Workspace
    _data: EntriesApi

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
        """One record in the API's shape (a copy), or ``None`` if ``obj`` has no such record (as
        every emulator's ``record``); an unknown object is a ``KeyError``."""
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
            return [v.render() for v in row.historic(attribute)]

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
    ) -> str:
        """Create a record from API-style ``values`` (validated like ``POST …/records``) without a
        request: no rate limit, no faults; its id (as every emulator's ``seed_record``; read it
        with :meth:`record`). Raises :class:`errors.AttioError` on invalid values."""
        with self.lock:
            self.workspace.changed()
            found = self._object(obj)
            row = self._data.create_row(found, values, created_at or now_timestamp(), actor)
            return str(row.id)

    def seed_entry(
        self,
        lst: str,
        parent_record_id: str,
        values: dict[str, Any] | None = None,
        *,
        created_at: str | None = None,
    ) -> dict[str, Any]:
        with self.lock:
            self.workspace.changed()
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
            return self.workspace.render_entry(found, entry)  # new lists and dicts: a snapshot

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
            self.workspace.changed()
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
        """The attribute itself, to change (then: ``workspace.changed()`` once changed, if the
        emulator keeps record JSON; emulator.py ``render_cache``)."""
        self.workspace.changed()
        found = self._parent(parent).attribute(api_slug)
        if found is None:
            raise KeyError(api_slug)
        return found

    def archive_attribute(self, parent: str, api_slug: str) -> None:
        """Archive an attribute: it disappears from record values and attribute lists."""
        with self.lock:
            self.workspace.changed()
            owner = self._parent(parent)
            self.attribute(parent, api_slug).is_archived = True
            owner.refresh()

    def add_option(self, parent: str, attribute: str, title: str) -> OptionDef:
        with self.lock:
            self.workspace.changed()
            option = OptionDef(self.workspace.ids.new(), title)
            self.attribute(parent, attribute).options.append(option)
            return option

    def add_status(self, parent: str, attribute: str, title: str) -> StatusDef:
        with self.lock:
            self.workspace.changed()
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
            self.workspace.changed()
            self._object(parent_object)
            return add_list(
                self.workspace, api_slug, name, parent_object, workspace_access=workspace_access
            )

    def add_object(self, api_slug: str, singular_noun: str, plural_noun: str) -> ObjectDef:
        """A custom object with the system attributes every object has."""
        with self.lock:
            self.workspace.changed()
            return add_object(self.workspace, api_slug, singular_noun, plural_noun, now_timestamp())

    def relate(self, a: tuple[str, str], b: tuple[str, str]) -> None:
        """Make two record-reference attributes each other's inverse (a relationship)."""
        with self.lock:
            self.workspace.changed()
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
            self.workspace.changed()
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
            return self.workspace.render_record(found, row)  # new lists and dicts: a snapshot

    def add_member(
        self, first_name: str, last_name: str, email_address: str, access_level: str = "member"
    ) -> MemberDef:
        with self.lock:
            self.workspace.changed()
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
