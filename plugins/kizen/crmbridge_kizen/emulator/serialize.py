"""Reads in Kizen's shape (docs/reference/kizen.md §4, §5; records/get_tax_lot.json [KZ-LIVE]).

A record is ``{id, object_type, client_info, access, fields}`` with ``fields`` keyed by field UUID →
``{id, name, field_type, display_name, value}``; blank fields are omitted [DOC]; money reads as
``{currency, symbol, amount}``; options as ``{id, code, name}``; team members as
``{id, deleted, first_name, last_name, email}``; a relationship past 100 linked records reads as
``value_summary: {count}`` instead of ``value`` [DOC custom-fields page], its records then listed by
``GET /api/records/{id}/field-values/{field_id}``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .ids import format_datetime
from .schema import MULTI_OPTION_TYPES, SINGLE_OPTION_TYPES, FieldDef, ObjectDef
from .store import ObjectState, Record, Store

__all__ = ["RELATIONSHIP_SUMMARY_LIMIT", "Serializer"]

#: More linked records than this read as ``value_summary`` (docs/reference/kizen.md §5).
RELATIONSHIP_SUMMARY_LIMIT = 100
_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "CAD": "$", "AUD": "$", "INR": "₹"}
_ACCESS = {"view": True, "edit": True, "remove": True}


def display_name(obj: ObjectDef, record: Record) -> str:
    """A record's display name: a contact's full name (else email), otherwise its ``name``."""
    values = record.values
    if obj.is_contacts:
        full = full_name(obj, record)
        if full:
            return full
        email = obj.field_by_name("email")
        return str(values.get(email.id, "")) if email is not None else ""
    name = obj.field_by_name("name")
    return str(values.get(name.id, "")) if name is not None else ""


def full_name(obj: ObjectDef, record: Record) -> str:
    parts = []
    for key in ("first_name", "last_name"):
        field = obj.field_by_name(key)
        if field is not None and record.values.get(field.id):
            parts.append(str(record.values[field.id]))
    return " ".join(parts)


class Serializer:
    """Turns stored records into response bodies."""

    def __init__(self, store: Store) -> None:
        self.store = store

    # --- single values ----------------------------------------------------------------------

    def related_summary(self, record: Record) -> dict[str, Any]:
        """A linked record as a relationship value / field-values row ([SEED]
        ``RelationshipFieldValue`` and ``ClientTypeaheadSearch``)."""
        state = self.store.objects[record.object]
        obj = state.obj
        if obj.is_contacts:
            values = record.values
            get = obj.field_by_name
            first, last, email = get("first_name"), get("last_name"), get("email")
            return {
                "id": record.id,
                "display_name": display_name(obj, record),
                "first_name": values.get(first.id, "") if first else "",
                "last_name": values.get(last.id, "") if last else "",
                "full_name": full_name(obj, record),
                "email": values.get(email.id, "") if email else "",
            }
        name = display_name(obj, record)
        return {"id": record.id, "name": name, "display_name": name}

    def live_links(self, record: Record, field: FieldDef) -> list[Record]:
        found = []
        for other_id in self.store.linked(record, field):
            other = self.store.find(other_id)
            if other is not None and not other.archived:
                found.append(other)
        return found

    def read_value(self, field: FieldDef, stored: Any) -> Any:
        """A stored value in read form (not relationships: see :meth:`entry`)."""
        kind = field.field_type
        if kind == "money":
            return {
                "currency": field.money_currency,
                "symbol": _SYMBOLS.get(field.money_currency, field.money_currency),
                "amount": stored,
            }
        if kind in SINGLE_OPTION_TYPES:
            option = field.option(stored)
            if option is None:
                return None
            if option.status is not None:  # a pipeline stage ([KZ] pipeline_stage_read)
                return {
                    "id": option.id,
                    "name": option.name,
                    "status": option.status,
                    "order": option.order,
                }
            return option.read()
        if kind in MULTI_OPTION_TYPES:
            options = [field.option(i) for i in stored]
            if kind == "dynamictags":
                return [{"id": o.id, "name": o.name} for o in options if o is not None]
            return [o.read() for o in options if o is not None]
        if kind == "timezone":
            return {"id": stored, "code": stored, "name": stored}
        if kind == "team_selector":
            employee = self.store.employees.get(stored)
            if employee is None:
                return {
                    "id": stored,
                    "deleted": True,
                    "first_name": "",
                    "last_name": "",
                    "email": "",
                }
            return employee.read()
        if kind == "files":
            return [dict(f) for f in stored]
        return stored

    def entry(self, field: FieldDef, record: Record, obj: ObjectDef) -> dict[str, Any] | None:
        """The field's entry in ``fields``, or ``None`` when blank (omitted [DOC])."""
        if field.computed is not None:
            value = field.computed(record)
            if value in (None, ""):
                return None
            entry = field.head()
            entry["value"] = value
            return entry
        if field.field_type == "relationship":
            linked = self.live_links(record, field)
            if not linked:
                return None
            entry = field.head()
            if len(linked) > RELATIONSHIP_SUMMARY_LIMIT:
                entry["value_summary"] = {"count": len(linked)}
            elif field.multi:
                entry["value"] = [self.related_summary(r) for r in linked]
            else:
                entry["value"] = self.related_summary(linked[0])
            return entry
        stored = record.values.get(field.id)
        if stored is None or stored == [] or stored == "":
            return None
        value = self.read_value(field, stored)
        if value is None:
            return None
        entry = field.head()
        entry["value"] = value
        return entry

    # --- records ----------------------------------------------------------------------------

    def fields_map(
        self,
        state: ObjectState,
        record: Record,
        fields: Iterable[FieldDef] | None = None,
        *,
        hidden: bool = False,
    ) -> dict[str, Any]:
        """Blank fields are left out, and hidden ones unless ``hidden`` (a GET with
        ``include_hidden_fields=true``; search has no such parameter, docs/reference/kizen.md §4)."""
        obj = state.obj
        values = record.values
        out: dict[str, Any] = {}
        for field in obj.fields if fields is None else fields:
            if field.computed is None and field.id not in values:
                continue  # blank: omitted (the common case, kept cheap for large pages)
            if field.is_hidden and not hidden:
                continue
            entry = self.entry(field, record, obj)
            if entry is not None:
                out[field.id] = entry
        return out

    def record(
        self,
        state: ObjectState,
        record: Record,
        fields: Iterable[FieldDef] | None = None,
        *,
        detail: bool = False,
        extra: dict[str, Any] | None = None,
        hidden: bool = False,
    ) -> dict[str, Any]:
        """The record body. The keys are those of the live GET (records/get_tax_lot.json); with
        ``detail`` the [SEED] ``EntityRecordDetail`` counters are added (write answers and
        ``detail_summary``)."""
        obj = state.obj
        body: dict[str, Any] = {
            "id": record.id,
            "object_type": obj.object_type,
            "client_info": self.client_info(obj, record),
            "access": dict(_ACCESS),
            "fields": self.fields_map(state, record, fields, hidden=hidden),
        }
        if detail:
            body["display_name"] = display_name(obj, record)
            body["num_upcoming_activities"] = 0
            body["num_associated_team_members"] = 0
            body["lead_source_types"] = []
        if extra:
            body.update(extra)
        return body

    def client_info(self, obj: ObjectDef, record: Record) -> dict[str, Any] | None:
        """``null`` for non-contacts [KZ-LIVE], ``{display_name, email_on_suppression_list,
        num_addresses_v2}`` for contacts [SEED ``ClientInfo``]."""
        if not obj.is_contacts:
            return None
        return {
            "display_name": display_name(obj, record),
            "email_on_suppression_list": False,
            "num_addresses_v2": 0,
        }


def created_value(record: Record) -> str:
    return format_datetime(record.created)


def updated_value(record: Record) -> str:
    return format_datetime(record.updated)
