"""Logged activities, read only: what the Kizen provider's notes use (issue 21). Logging is not
served (the provider logs nothing); tests and seeds log through :meth:`LoggedActivities.log`.

Sources: [DOC] ``LogActivityRead`` <https://developer.kizen.com/api/activities>; [KZ]
kizen/kizen-admin-cli ``api/activities.py`` (``list_responses``, ``get_logged_activity``),
``tools/activities.py`` (``list_logged``, ``get_logged_activity``: the read keys) and
``activity.md`` (in ``src/kizen_builder/docs/specs/``, "Reading logged instances";
docs/reference/kizen-activities.md §1).

* ``POST /api/activities/{type uuid}/responses[?custom_object_id=<object uuid>]`` lists the
  type's logged instances, oldest first, in DRF pages (``page``, ``page_size``, ``next``) [KZ].
  The type by uuid only (Kizen's CLI resolves a name to the uuid first); an unknown type is a 404.
  The body must be empty (``{}``): its filter shape is unpublished, so the emulator refuses any
  filter (strict). ``search`` is not served. Each row is ``{id, logged_at, logged_by,
  associated_entities: [{display_name}], fields_with_values}`` — what the CLI reads of it [KZ]:
  not the text.
* ``GET /api/activities/logged/{id}``: ``LogActivityRead`` with its required keys [DOC];
  associated entities as ``{custom_object, object_api_name, entity_id, display_name}`` and
  ``logged_by`` as a team member with ``display_name`` (what the CLI reads [KZ]).
* ``logged_at`` is when it was logged: "always matches the time the activity record is created"
  [DOC viewing-logged-activity-details-via-api]; :meth:`LoggedActivities.log` takes it, as a
  stand-in for the clock of the moment it was logged.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx

from .errors import bad_param, not_found
from .handlers import Handlers, Result
from .ids import format_datetime
from .pagination import PageRequest

if TYPE_CHECKING:
    from .activities import ActivitiesApi, ActivityType

__all__ = ["Logged", "LoggedActivities"]


@dataclass(slots=True, eq=False)
class Logged:
    id: str
    type: ActivityType
    seq: int
    notes: str
    logged_at: str
    logged_by: str
    associated: list[tuple[str, str]] = field(default_factory=list)  # (object uuid, record id)


class LoggedActivities:
    """The logged instances of every activity type of one :class:`.ActivitiesApi`."""

    def __init__(self, api: ActivitiesApi) -> None:
        self.api = api
        self.items: dict[str, Logged] = {}
        self._seq = 0

    def log(
        self,
        type_api_name: str,
        notes: str,
        records: list[tuple[str, str]],
        *,
        logged_by: str,
        logged_at: dt.datetime,
    ) -> str:
        """Log an instance (state access for tests: the API's logging is not served). ``records``
        are ``(object api_name, record id)``; the id of the new instance."""
        kind = next(t for t in self.api.types.values() if t.api_name == type_api_name)
        store = self.api.store
        associated = []
        for obj, record_id in records:
            state = store.objects[obj]
            if record_id not in state.records:
                raise KeyError(f"no {obj} record {record_id}")
            associated.append((state.obj.id, record_id))
        if logged_by not in store.employees:
            raise KeyError(f"no team member {logged_by}")
        self._seq += 1
        item = Logged(self.api.new_id(), kind, self._seq, notes, format_datetime(logged_at),
                      logged_by, associated)  # fmt: skip
        self.items[item.id] = item
        return item.id

    def _employee(self, employee_id: str) -> dict[str, Any]:
        employee = self.api.store.employees[employee_id]
        return employee.read() | {"display_name": f"{employee.first_name} {employee.last_name}"}

    def _entities(self, item: Logged) -> list[dict[str, Any]]:
        out = []
        for object_id, entity_id in item.associated:
            state = self.api.store.by_object_id[object_id]
            record = state.records.get(entity_id)
            out.append({
                "custom_object": object_id,
                "object_api_name": state.obj.name,
                "entity_id": entity_id,
                "display_name": state.identity(record) if record is not None else None,
            })  # fmt: skip
        return out

    def read(self, logged_id: str) -> Result:
        item = self.items.get(logged_id)
        if item is None:
            raise not_found()
        return 200, {
            "id": item.id,
            "notes": item.notes,
            "activity_object": item.type.read(),
            "associated_entities": self._entities(item),
            "logged_at": item.logged_at,
            "logged_by": self._employee(item.logged_by),
            "completed_at": None,
            "completed_by": None,
            "scheduled_activity_id": None,
            "mentions": [],
            "fields": [],
        }

    def responses(self, h: Handlers, type_id: str, request: httpx.Request) -> Result:
        kind = self.api.types.get(type_id)
        if kind is None:
            raise not_found()
        if h.body(request):
            raise bad_param("non_field_errors", "Emulator: the filter body is not published.")
        params = request.url.params
        items = sorted((i for i in self.items.values() if i.type is kind), key=lambda i: i.seq)
        if "custom_object_id" in params:
            wanted = params["custom_object_id"]
            if wanted not in self.api.store.by_object_id:
                raise bad_param("custom_object_id", f'Invalid pk "{wanted}".')
            items = [i for i in items if any(o == wanted for o, _ in i.associated)]
        page = PageRequest(request.url)
        rows = [
            {
                "id": i.id,
                "logged_at": i.logged_at,
                "logged_by": self._employee(i.logged_by),
                "associated_entities": [
                    {"display_name": e["display_name"]} for e in self._entities(i)
                ],
                "fields_with_values": 1 if i.notes else 0,
            }
            for i in items[page.window(len(items))]
        ]
        return 200, page.envelope(len(items), rows)
