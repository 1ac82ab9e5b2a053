"""Kizen tasks: scheduled activities of the activity type the user names, as plans mixed into
:class:`~crmbridge_kizen.provider.KizenProvider` (the hooks of crmbridge/notes/hooks.py).

``connect("kizen", task_activity="to_do")`` (or ``KIZEN_TASK_ACTIVITY``) names the type by its
api_name or uuid; without it Kizen declares no tasks. What each verb sends, and its source, is in
docs/reference/kizen-activities.md §3:

* create: ``POST /api/activities/scheduled-activity`` ([DOC] schedule page; body keys
  [KZ] kizen/kizen-admin-cli ``activity.md`` (in ``src/kizen_builder/docs/specs/``; docs/reference/kizen-activities.md §1));
* list: ``GET /api/activities/scheduled-activity/search?activity_id=…[&completed=…]``, the
  variant that takes the type filter (admin-cli ``src/kizen_builder/api/activities.py``
  ``list_scheduled``), following ``next``; the records a task is about are filtered here (no
  source gives a record filter);
* get / delete: ``GET`` / ``DELETE /api/activities/scheduled-activity/{id}`` (activity.md).

Not provided, for want of a source (Unsupported or refused before any request): completing a
task, so ``update_task`` as a whole (``Capabilities.tasks_update`` is false; a migration
replaces a changed task instead, delete then create). Notes (logged activities, read only) are
:mod:`crmbridge_kizen.activities_notes`'s.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import quote

from crmbridge import ConfigError, NotFound, Ref, Task, User, ValidationError

from .activities_codec import decode_task, encode_task, task_problem

if TYPE_CHECKING:
    import httpx

    from crmbridge import ObjectSpec
    from crmbridge.plugin import Plan, UserDirectory

__all__ = ["SCHEDULED", "KizenActivities"]

#: The scheduled-activity collection (activity.md "Scheduled activities").
SCHEDULED = "/api/activities/scheduled-activity"


class KizenActivities:
    """The tasks plans for Kizen; see the module docstring."""

    name: ClassVar[str]
    config: dict[str, Any]
    _employees: UserDirectory
    if TYPE_CHECKING:  # Provider's / KizenProvider's, which this is mixed into

        def build_request(self, method: str, path: str, **kwargs: Any) -> httpx.Request: ...
        def list_objects(self) -> Plan[list[ObjectSpec]]: ...
        def list_users(self) -> Plan[list[User]]: ...
        def _read_team(self) -> Plan[dict[str, str]]: ...
        def _pages(self, path: str, params: Mapping[str, Any] | None = None) -> Plan[list[Any]]: ...

    def _activity_state(self) -> dict[str, Any]:
        state: dict[str, Any] | None = self.__dict__.get("_activity_cache")
        if state is None:
            state = {"types": {}, "objects": None}
            self.__dict__["_activity_cache"] = state
        return state

    def _activity_type(self, key: str) -> Plan[str]:
        """The uuid of the type the option ``key`` (``task_activity``, ``note_activity``) names:
        ``GET /api/activities/{id_or_api_name}`` ("path accepts either", activity.md "Type
        CRUD"), once per provider."""
        types: dict[str, str] = self._activity_state()["types"]
        if key not in types:
            wanted = self.config.get(key)
            env = f"KIZEN_{key.upper()}"
            if not isinstance(wanted, str) or not wanted.strip():
                raise ConfigError(
                    f'kizen: name the activity type with connect("kizen", {key}="<api_name '
                    f'or id>") or {env}'
                )
            response = yield self.build_request(
                "GET", f"/api/activities/{quote(wanted.strip(), safe='')}", expect=(404,)
            )
            body = response.json() if response.status_code < 400 else None
            if not isinstance(body, Mapping) or not body.get("id"):
                raise ConfigError(f"kizen: no activity type {wanted!r} ({key})")
            types[key] = str(body["id"])
        return types[key]

    def _task_type(self) -> Plan[str]:
        return (yield from self._activity_type("task_activity"))

    def _objects(self) -> Plan[dict[str, str]]:
        """Object slug ↔ uuid (both directions in one map), from ``list_objects``: an
        associated entity names its object by uuid (activity.md)."""
        state = self._activity_state()
        if state["objects"] is None:
            specs = yield from self.list_objects()
            pairs = {s.slug: s.provider_id for s in specs if s.provider_id}
            state["objects"] = pairs | {v: k for k, v in pairs.items()}
        objects: dict[str, str] = state["objects"]
        return objects

    def _employee(self, task: Task) -> Plan[str | None]:
        """The team member's id: given, or found by e-mail in ``GET /api/team``."""
        if not task.assignees:
            return None
        user = task.assignees[0]
        if user.id:
            return user.id
        email = str(user.email).casefold()
        if self._employees.stale({email}):
            yield from self._read_team()
        found = (self._employees.ids or {}).get(email)
        if found is None:
            raise ValidationError(f"Task.assignees: {user.email} is not a Kizen team member")
        return found

    def _decode(self, raw: Any) -> Plan[Task]:
        if not isinstance(raw, Mapping) or raw.get("id") is None:
            raise NotFound("Kizen answered without a scheduled activity", provider=self.name)
        objects = yield from self._objects()
        return decode_task(raw, objects.get)

    def create_task(self, task: Task) -> Plan[Task]:
        problem = task_problem(task)
        if problem is not None:
            raise ValidationError(problem)
        type_id = yield from self._task_type()
        objects = yield from self._objects()
        unknown = sorted({r.object for r in task.linked} - objects.keys())
        if unknown:
            raise ValidationError(f"Task.linked: Kizen has no object {', '.join(unknown)}")
        employee = yield from self._employee(task)
        body = encode_task(task, type_id, employee, objects)
        response = yield self.build_request("POST", SCHEDULED, json=body)
        return (yield from self._decode(response.json()))

    def list_tasks(self, linked: Ref | None, completed: bool | None) -> Plan[list[Task]]:
        type_id = yield from self._task_type()
        params = {"activity_id": type_id}
        if completed is not None:
            params["completed"] = "true" if completed else "false"
        rows = yield from self._pages(f"{SCHEDULED}/search", params)
        objects = yield from self._objects()
        tasks = [decode_task(r, objects.get) for r in rows if isinstance(r, Mapping)]
        if linked is not None:
            tasks = [t for t in tasks if linked in t.linked]
        return tasks

    def get_task(self, id: str) -> Plan[Task]:
        response = yield self.build_request("GET", f"{SCHEDULED}/{quote(id, safe='')}")
        return (yield from self._decode(response.json()))

    def delete_task(self, id: str) -> Plan[None]:
        yield self.build_request("DELETE", f"{SCHEDULED}/{quote(id, safe='')}")
