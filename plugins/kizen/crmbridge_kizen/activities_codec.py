"""Scheduled activity payload ⇄ :class:`~crmbridge.Task`, logged activity → :class:`~crmbridge.Note`:
pure translation (issue 21).

Tasks are Kizen *scheduled activities* of one activity type the user names
(docs/reference/kizen-activities.md §3). The body is the schedule endpoint's
(<https://developer.kizen.com/docs/concepts/activities/activities-api-and-webhooks/schedule-activities-api>:
``activity_object_id``, ``due_datetime``, ``employee_id``, ``note``) with
``associated_entities: [{"custom_object": <object uuid>, "entity_id": <record uuid>}]``
(kizen/kizen-admin-cli ``activity.md`` (in ``src/kizen_builder/docs/specs/``; docs/reference/kizen-activities.md §1), "Scheduled activities"). The
read keys are those Kizen's CLI reads (admin-cli ``src/kizen_builder/tools/activities.py``
``list_scheduled``: ``due_datetime``, ``completed_at``, ``employee``, ``associated_entities``)
plus ``note``, the body's name for the text (an assumption the docs record, §2).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from crmbridge import Note, Ref, Task, User

from .errors import bad_payload
from .reads import decode_user

__all__ = ["decode_note", "decode_task", "encode_task", "entity_ref", "task_problem"]


def task_problem(task: Task) -> str | None:
    """Why Kizen cannot hold ``task`` as given (checked before any request), or ``None``.

    * ``completed``: no source says how a scheduled activity is completed over the API (it is
      completed by *logging* it, "Scheduled Activities remain in a Scheduled status until the
      Activity is logged", schedule page); a new task cannot start completed.
    * one assignee: the body has one ``employee_id``.
    """
    if task.completed:
        return (
            "Kizen cannot create a completed task: a scheduled activity is completed by logging "
            "it, and no published endpoint does that for a scheduled one "
            "(docs/reference/kizen-activities.md §2)"
        )
    if len(task.assignees) > 1:
        return (
            f"Kizen assigns a scheduled activity to one team member (employee_id), "
            f"got {len(task.assignees)} assignees"
        )
    return None


def _time(value: dt.datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def encode_task(
    task: Task, activity_id: str, employee_id: str | None, objects: Mapping[str, str]
) -> dict[str, Any]:
    """The ``POST /api/activities/scheduled-activity`` body. ``objects``: object slug → uuid
    (``custom_object`` takes the uuid, not the api name: activity.md). Keys whose value is not
    known are left out (every body key is "Optional", schedule page)."""
    body: dict[str, Any] = {
        "activity_object_id": activity_id,
        "note": task.content,
        "associated_entities": [
            {"custom_object": objects[ref.object], "entity_id": ref.id} for ref in task.linked
        ],
    }
    if task.deadline is not None:
        body["due_datetime"] = _time(task.deadline)
    if employee_id is not None:
        body["employee_id"] = employee_id
    return body


def _parse_time(value: Any) -> dt.datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return dt.datetime.fromisoformat(value)
    except ValueError:
        raise bad_payload("an activity time", value) from None


def entity_ref(entry: Any, slug_of: Callable[[str], str | None]) -> Ref | None:
    """A record an associated entity names: ``entity_id`` with ``object_api_name`` (logged-
    activity reads, admin-cli ``tools/activities.py``) or ``custom_object`` (the write key, an
    object uuid, named through ``slug_of``); ``None`` for an entry naming no record (the CLI
    also meets bare strings there, admin-cli ``tests/test_activities_tool.py``)."""
    if not isinstance(entry, Mapping) or not isinstance(entry.get("entity_id"), str):
        return None
    slug = entry.get("object_api_name")
    if not isinstance(slug, str) or not slug:
        object_id = entry.get("custom_object")
        if isinstance(object_id, Mapping):
            object_id = object_id.get("id")
        slug = slug_of(str(object_id)) if object_id else None
    if slug is None:
        return None
    return Ref(slug, entry["entity_id"])


def decode_task(raw: Mapping[str, Any], slug_of: Callable[[str], str | None]) -> Task:
    """A scheduled activity as a task: completed once ``completed_at`` is set (it is set when
    the activity is logged, schedule page), the one ``employee`` as its assignee."""
    employee = raw.get("employee")
    assignees: list[User] = []
    if employee:
        assignees.append(decode_user(employee))
    linked = [ref for e in raw.get("associated_entities") or () if (ref := entity_ref(e, slug_of))]
    note = raw.get("note")
    if note is None:
        note = raw.get("notes")
    return Task(
        content=note if isinstance(note, str) else "",
        deadline=_parse_time(raw.get("due_datetime")),
        completed=raw.get("completed_at") is not None,
        assignees=assignees,
        linked=linked,
        id=str(raw["id"]) if raw.get("id") is not None else None,
        raw=raw,
    )


def decode_note(
    raw: Mapping[str, Any], object: str | None, slug_of: Callable[[str], str | None]
) -> Note | None:
    """A logged activity (``LogActivityRead``, developer.kizen.com/api/activities) as a note:
    ``notes`` is its content, ``logged_at`` when it was written (the time it was logged: "logged_at
    always matches the time the activity record is created"), ``logged_by`` its author. Its parent
    is its first associated record of ``object`` (any object when ``None``: the provider's
    choice, as a :class:`~crmbridge.Note` has one parent); ``None`` when it is on no such record. The text is given as Kizen answers it, as plain text: its format is not
    published (docs/reference/kizen-activities.md §2)."""
    refs = [ref for e in raw.get("associated_entities") or () if (ref := entity_ref(e, slug_of))]
    parent = next((r for r in refs if object is None or r.object == object), None)
    if parent is None or raw.get("id") is None:
        return None
    author = raw.get("logged_by")
    text = raw.get("notes")
    return Note(
        parent=parent,
        content=text if isinstance(text, str) else "",
        created_at=_parse_time(raw.get("logged_at")),
        author=decode_user(author) if author else None,
        id=str(raw["id"]),
        raw=raw,
    )
