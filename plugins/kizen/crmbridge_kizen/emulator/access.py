"""Direct access to a :class:`~.emulator.KizenEmulator`'s state, for tests and fixtures.

Inspection (:meth:`StateAccess.records`, :meth:`StateAccess.field`, ...) and programmatic seeding
(:meth:`StateAccess.add_object`, :meth:`StateAccess.add_field`, :meth:`StateAccess.seed_record`):
the recording tests rebuild a recorded object (``tax_lot``, ``patients``) with its real field ids and
seed the recorded record, then read it back over the API. Every method takes the emulator's lock, so
it is safe while the emulator is being served.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from .catalog import make_field, new_object, relate
from .errors import ApiError
from .schema import Employee, FieldDef, ObjectDef
from .serialize import Serializer
from .store import ObjectState, Store
from .writes import Writer

__all__ = ["StateAccess"]


class StateAccess:
    """Mixed into :class:`~.emulator.KizenEmulator`."""

    lock: threading.RLock
    store: Store
    writer: Writer
    serializer: Serializer

    # --- state inspection (tests) -----------------------------------------------------------

    def _state(self, obj: str) -> ObjectState:
        state = self.store.object(obj)
        if state is None:
            raise KeyError(f"no object {obj!r}")
        return state

    def objects(self) -> list[str]:
        """Api names of the objects."""
        with self.lock:
            return list(self.store.objects)

    def object_def(self, obj: str) -> ObjectDef:
        with self.lock:
            return self._state(obj).obj

    def field(self, obj: str, name: str) -> FieldDef:
        """A field by api name or id (e.g. to learn a seeded field's UUID)."""
        with self.lock:
            field = self._state(obj).obj.field(name)
        if field is None:
            raise KeyError(f"no field {name!r} on {obj!r}")
        return field

    def records(self, obj: str, *, archived: bool | None = None) -> list[dict[str, Any]]:
        """Every record of ``obj`` (live and archived; ``archived=`` to pick), oldest first, each in
        the GET shape plus ``"archived"`` and ``"values"`` (``{api_name: read value}``)."""
        with self.lock:
            state = self._state(obj)
            rows = sorted(state.records.values(), key=lambda r: r.seq)
            return [self._inspect(state, r) for r in rows if archived in (None, r.archived)]

    def record(self, obj: str, record_id: str) -> dict[str, Any] | None:
        """One record as :meth:`records` shows it, or ``None`` if ``obj`` has no such record (as
        every emulator's ``record``); an unknown object is a ``KeyError``."""
        with self.lock:
            state = self._state(obj)
            found = state.records.get(record_id)
            return None if found is None else self._inspect(state, found)

    def _inspect(self, state: ObjectState, record: Any) -> dict[str, Any]:
        body = self.serializer.record(state, record)
        body["archived"] = record.archived
        body["values"] = {
            e["name"]: e.get("value", e.get("value_summary")) for e in body["fields"].values()
        }
        return body

    # --- programmatic seeding ---------------------------------------------------------------

    def add_employee(self, id: str, first_name: str, last_name: str, email: str) -> None:
        """A team member (``team_selector`` values)."""
        with self.lock:
            self.store.employees[id] = Employee(id, first_name, last_name, email)

    def add_object(
        self,
        name: str,
        object_name: str | None = None,
        entity_name: str | None = None,
        *,
        id: str | None = None,
        object_type: str = "standard",
        stages: Sequence[tuple[str, str]] = (),
        name_label: str | None = None,
        default_field_ids: Mapping[str, str] | None = None,
        default_field_labels: Mapping[str, str] | None = None,
    ) -> ObjectDef:
        """A custom object with its default fields; ``default_field_ids``/``_labels`` re-id and
        relabel them (to mirror a recorded object such as ``tax_lot``)."""
        with self.lock:
            if name in self.store.objects:
                raise ValueError(f"object {name!r} exists")
            label = object_name or name.replace("_", " ").title()
            obj = new_object(
                name, label, entity_name or label.rstrip("s"), id=id, object_type=object_type,
                stages=stages, name_label=name_label,
            )  # fmt: skip
            for field_name, new_id in (default_field_ids or {}).items():
                field = obj.field_by_name(field_name)
                if field is None:
                    raise KeyError(field_name)
                self._reid(obj, field, new_id)
            for field_name, new_label in (default_field_labels or {}).items():
                field = obj.field_by_name(field_name)
                if field is None:
                    raise KeyError(field_name)
                field.display_name = new_label
            self.store.add_object(obj)
            return obj

    @staticmethod
    def _reid(obj: ObjectDef, field: FieldDef, new_id: str) -> None:
        obj.add(FieldDef(
            id=new_id, name=field.name, display_name=field.display_name,
            field_type=field.field_type, is_default=field.is_default,
            is_required=field.is_required, is_read_only=field.is_read_only,
            options=field.options, relation=field.relation, money_currency=field.money_currency,
            rating_scale=field.rating_scale, meta=field.meta, computed=field.computed,
        ))  # fmt: skip

    def add_field(
        self,
        obj: str,
        name: str,
        field_type: str,
        *,
        id: str | None = None,
        display_name: str | None = None,
        options: Sequence[str | Mapping[str, Any]] | None = None,
        is_required: bool = False,
        is_hidden: bool = False,
        currency: str = "USD",
        rating_scale: int = 5,
        meta: Mapping[str, Any] | None = None,
        related_object: str | None = None,
        relation_type: str = "primary",
        related_field_name: str | None = None,
        related_field_id: str | None = None,
        related_display_name: str | None = None,
    ) -> FieldDef:
        """Add a field (a relationship also adds its inverse on ``related_object``). A hidden field
        is read only by ``GET`` with ``include_hidden_fields=true``."""
        with self.lock:
            state = self._state(obj)
            if field_type == "relationship":
                if related_object is None:
                    raise ValueError("a relationship needs related_object")
                other = self._state(related_object).obj
                fa, _ = relate(
                    state.obj, name, other, related_field_name or f"{obj}_{name}", relation_type,
                    a_label=display_name, b_label=related_display_name, a_id=id,
                    b_id=related_field_id,
                )  # fmt: skip
                return fa
            field = make_field(
                state.obj, name, field_type, display_name=display_name, id=id, options=options,
                is_required=is_required, currency=currency, rating_scale=rating_scale, meta=meta,
            )  # fmt: skip
            field.is_hidden = is_hidden
            return field

    def seed_record(
        self,
        obj: str,
        values: Mapping[str, Any],
        *,
        id: str | None = None,
        created: dt.datetime | str | None = None,
        updated: dt.datetime | str | None = None,
        archived: bool = False,
    ) -> str:
        """Create a record from ``{api_name or field id: value}`` in Kizen's *write* format
        (validated like an ``add``; no uniqueness checks), returning its id."""
        with self.lock:
            state = self._state(obj)
            entries = [{"id": k} if state.obj.field_by_id(k) else {"name": k} for k in values]
            for entry, value in zip(entries, values.values(), strict=True):
                entry["value"] = value
            try:
                plan = self.writer.plan(state, entries, seed=True)
            except ApiError as exc:
                raise ValueError(f"invalid seed values for {obj}: {exc.body}") from None
            record = self.writer.create(state, plan, record_id=id)
            if created is not None:
                record.created = _moment(created)
            if updated is not None:
                record.updated = _moment(updated)
            elif created is not None:
                record.updated = record.created
            if archived:
                state.set_archived(record, True)
            return record.id


def _moment(value: dt.datetime | str) -> dt.datetime:
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return value
