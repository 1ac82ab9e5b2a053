"""Activity types and scheduled activities: what the Kizen provider's tasks use (issue 21), and
nothing more. Every rule names its source; docs/emulators/kizen.md ("Activities") lists them and
what is not emulated.

Sources: [DOC] the schedule-activity page
<https://developer.kizen.com/docs/concepts/activities/activities-api-and-webhooks/schedule-activities-api>
(body fields, each "Optional"; 201); [KZ] ``kizen/kizen-admin-cli``
``activity.md`` (in ``src/kizen_builder/docs/specs/``; docs/reference/kizen-activities.md §1) ("Type CRUD", "Scheduled activities"),
``src/kizen_builder/api/activities.py`` (``get_activity``, ``list_scheduled``, ``get_scheduled``)
and ``src/kizen_builder/tools/activities.py`` (``list_scheduled``: the read shape).

* ``GET /api/activities/{id_or_api_name}``: one activity type; "path accepts either" [KZ
  activity.md]; ``{id, name, api_name, association_mode, …}`` (admin-cli
  ``tests/test_activities_tool.py`` ``ACTIVITY_DETAIL``). Unknown: DRF's 404.
* ``POST /api/activities/scheduled-activity``: body keys ``activity_object_id`` (uuid),
  ``due_datetime`` (date-time), ``employee_id`` (uuid, nullable), ``note`` (string) [DOC] and
  ``associated_entities`` (``[{"custom_object": <object uuid>, "entity_id": <record uuid>}]``, both
  bare ids [KZ activity.md]). The page marks every key optional; the emulator needs
  ``activity_object_id`` (a scheduled activity is "of" a type: ``activity_object`` on every read
  [KZ tools]) and refuses keys the sources do not name (strict: a misspelt key is not silently
  dropped), a type, employee, object or record it does not hold, and badly typed values, with
  DRF's ``{"<key>": ["…"]}`` 400. Answers 201 with the read shape.
* The read shape [KZ tools ``list_scheduled``]: ``id``, ``activity_object``, ``due_datetime``,
  ``completed_at`` (``null`` until logged: "Scheduled Activities remain in a Scheduled status
  until the Activity is logged" [DOC]), ``logged_activity_id``, ``employee``,
  ``associated_entities``; plus ``note`` as written (the by-id page says the answer includes
  "notes" [DOC retrieve-scheduled-activity-details-by-id-api]; the key is the body's). Each
  associated entity reads ``custom_object``, ``entity_id`` (the write keys) and
  ``object_api_name``, ``display_name`` (the logged-activity read, admin-cli
  ``tools/activities.py`` ``get_logged_activity``).
* ``GET /api/activities/scheduled-activity[?completed=true|false]`` and
  ``GET …/scheduled-activity/search?activity_id=<type uuid>[&completed=…]`` (only ``/search``
  takes ``activity_id`` [KZ api ``list_scheduled``]): DRF pages ``{count, next, previous,
  results}`` (the admin-cli follows ``next``), oldest first.
* ``GET`` and ``DELETE /api/activities/scheduled-activity/{id}`` (204) [KZ activity.md]. ``PUT`` and
  ``PATCH`` exist [KZ] but the provider does not use them, so they are not served (405).

Logged activities (read only) are :mod:`.activities_logged`'s. Not emulated: logging activities
(``…/log-activity``; the provider creates no notes, docs/reference/kizen-activities.md §3),
completing a scheduled activity, ``from_date``/``employee_ids``/``assigned_to_me`` filters.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from .activities_logged import LoggedActivities
from .errors import bad_param, not_found
from .handlers import Handlers, Result
from .ids import format_datetime, stable_id
from .pagination import PageRequest
from .store import Store

__all__ = ["SCHEDULE_KEYS", "ActivitiesApi", "ActivityType", "Scheduled"]

#: The keys of a schedule body the sources name ([DOC] schedule page; ``associated_entities``
#: [KZ activity.md]).
SCHEDULE_KEYS = frozenset(
    {
        "activity_object_id",
        "activity_object_name",
        "due_datetime",
        "original_due_datetime",
        "employee_id",
        "role_id",
        "note",
        "mentions",
        "notify_mentioned",
        "associated_entities",
    }
)
#: Types every emulated business starts with (an emulator convenience: a real business has the
#: types its admins made; ``StateAccess.add_activity_type`` adds more).
SEEDED_TYPES = (("To-do", "to_do"), ("Call", "call"))


@dataclass(slots=True)
class ActivityType:
    id: str
    name: str
    api_name: str

    def read(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "api_name": self.api_name,
                "association_mode": "all_objects_associated"}  # fmt: skip


@dataclass(slots=True, eq=False)
class Scheduled:
    id: str
    type: ActivityType
    seq: int
    due_datetime: str | None
    employee_id: str | None
    note: str
    associated: list[tuple[str, str]] = field(default_factory=list)  # (object uuid, record id)
    completed_at: str | None = None
    logged_activity_id: str | None = None


def _is_uuid(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _datetime(value: Any, key: str) -> str:
    """A DRF ``DateTimeField``: ISO 8601; a naive time is refused here (strict: the provider must
    say the zone)."""
    fmt = (
        "Datetime has wrong format. Use one of these formats instead: "
        "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."
    )
    if not isinstance(value, str):
        raise bad_param(key, fmt)
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise bad_param(key, fmt) from None
    if moment.tzinfo is None:
        raise bad_param(key, fmt)
    return format_datetime(moment.astimezone(dt.UTC))


class ActivitiesApi:
    """The activity endpoints over one :class:`Store` (its objects, records and team)."""

    def __init__(self, store: Store, new_id: Callable[[], str]) -> None:
        self.store = store
        self.new_id = new_id
        self.types: dict[str, ActivityType] = {}
        self.scheduled: dict[str, Scheduled] = {}
        #: Logged instances (read only, :mod:`.activities_logged`).
        self.logged = LoggedActivities(self)
        self._seq = 0
        for name, api_name in SEEDED_TYPES:
            self.add_type(name, api_name)

    def add_type(self, name: str, api_name: str) -> ActivityType:
        kind = ActivityType(stable_id("activity", api_name), name, api_name)
        self.types[kind.id] = kind
        return kind

    def _type(self, identifier: str) -> ActivityType | None:
        return self.types.get(identifier) or next(
            (t for t in self.types.values() if t.api_name == identifier), None
        )

    # --- activity types -------------------------------------------------------------------

    def get_type(self, identifier: str) -> Result:
        kind = self._type(identifier)
        if kind is None:
            raise not_found()
        return 200, kind.read()

    # --- scheduled activities -------------------------------------------------------------

    def _read(self, item: Scheduled) -> dict[str, Any]:
        entities = []
        for object_id, entity_id in item.associated:
            state = self.store.by_object_id.get(object_id)
            record = state.records.get(entity_id) if state is not None else None
            name = None
            if state is not None and record is not None:
                name = state.identity(record)
            entities.append({"custom_object": object_id, "entity_id": entity_id,
                             "object_api_name": state.obj.name if state else None,
                             "display_name": name})  # fmt: skip
        employee = self.store.employees.get(item.employee_id or "")
        return {
            "id": item.id,
            "activity_object": {
                "id": item.type.id,
                "name": item.type.name,
                "api_name": item.type.api_name,
            },
            "due_datetime": item.due_datetime,
            "completed_at": item.completed_at,
            "logged_activity_id": item.logged_activity_id,
            "employee": employee.read() if employee is not None else None,
            "note": item.note,
            "associated_entities": entities,
        }

    def _entities(self, value: Any) -> list[tuple[str, str]]:
        key = "associated_entities"
        if not isinstance(value, list):
            kind = type(value).__name__
            raise bad_param(key, f'Expected a list of items but got type "{kind}".')
        out = []
        for entry in value:
            if not isinstance(entry, dict) or set(entry) != {"custom_object", "entity_id"}:
                raise bad_param(key, "Each entry is {custom_object: <object uuid>, entity_id: "
                                     "<record uuid>} (bare ids).")  # fmt: skip
            object_id, entity_id = entry["custom_object"], entry["entity_id"]
            state = self.store.by_object_id.get(object_id) if _is_uuid(object_id) else None
            if state is None:
                raise bad_param(key, f'Invalid pk "{object_id}" - object does not exist.')
            record = state.records.get(entity_id) if isinstance(entity_id, str) else None
            if record is None or record.archived:
                raise bad_param(key, f'Invalid pk "{entity_id}" - object does not exist.')
            out.append((object_id, entity_id))
        return out

    def schedule(self, h: Handlers, request: httpx.Request) -> Result:
        body = h.body(request)
        unknown = sorted(set(body) - SCHEDULE_KEYS)
        if unknown:
            raise bad_param(unknown[0], "Unknown field (emulator: not in the documented body).")
        type_id = body.get("activity_object_id")
        if type_id is None:
            raise bad_param("activity_object_id")
        kind = self.types.get(type_id) if _is_uuid(type_id) else None
        if kind is None:
            raise bad_param(
                "activity_object_id", f'Invalid pk "{type_id}" - object does not exist.'
            )
        due = body.get("due_datetime")
        due = None if due is None else _datetime(due, "due_datetime")
        employee_id = body.get("employee_id")
        if employee_id is not None and employee_id not in self.store.employees:
            raise bad_param("employee_id", f'Invalid pk "{employee_id}" - object does not exist.')
        note = body.get("note", "")
        if not isinstance(note, str):
            raise bad_param("note", "Not a valid string.")
        associated = self._entities(body.get("associated_entities", []))
        self._seq += 1
        item = Scheduled(self.new_id(), kind, self._seq, due, employee_id, note, associated)
        self.scheduled[item.id] = item
        return 201, self._read(item)

    def list_scheduled(self, request: httpx.Request, *, search: bool) -> Result:
        params = request.url.params
        items = sorted(self.scheduled.values(), key=lambda s: s.seq)
        if search and "activity_id" in params:
            items = [s for s in items if s.type.id == params["activity_id"]]
        if "completed" in params:
            wanted = params["completed"].strip().lower() == "true"
            items = [s for s in items if (s.completed_at is not None) is wanted]
        page = PageRequest(request.url)
        rows = [self._read(s) for s in items[page.window(len(items))]]
        return 200, page.envelope(len(items), rows)

    def get(self, scheduled_id: str) -> Result:
        item = self.scheduled.get(scheduled_id)
        if item is None:
            raise not_found()
        return 200, self._read(item)

    def delete(self, scheduled_id: str) -> Result:
        if self.scheduled.pop(scheduled_id, None) is None:
            raise not_found()
        return 204, None
