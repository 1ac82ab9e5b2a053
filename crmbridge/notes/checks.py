"""Notes and tasks checked before any request (docs/design.md §4: bad input is a clear
:class:`~crmbridge.ValidationError` naming what was wrong, and nothing is sent).

Only cross-CRM rules live here — types, ids that can go into a URL, timezone-aware times — and
what a provider declares in its :class:`~crmbridge.Capabilities` (``note_formats``,
``notes_backdate``, ``notes_author``, ``task_max_length``). A CRM's own limits (Attio refuses notes
dated before 1970) are checked in its plugin, still before the request.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from ..errors import Unsupported, ValidationError
from ..model import Ref, User
from .model import NOTE_FORMATS, Note, Task

if TYPE_CHECKING:
    from ..provider import Provider

__all__ = [
    "TASK_CHANGES",
    "check_id",
    "check_note",
    "check_ref",
    "check_task",
    "check_task_changes",
    "require",
]

#: What :meth:`Bridge.update_task` may change: the fields every task API in scope updates
#: (Attio's ``PATCH /v2/tasks/{task_id}`` takes exactly these four; its content is fixed).
TASK_CHANGES = ("deadline", "completed", "assignees", "linked")


def check_id(id: Any, what: str = "a note or task id") -> str:
    """``id`` if it can address one item in a URL path (the rule record ids follow)."""
    from ..bridge import _check_id  # the facade's rule; imported late (the facade imports us)

    try:
        return _check_id(id)
    except ValidationError as exc:
        raise ValidationError(str(exc).replace("a record id", what)) from None


def require(provider: Provider, capability: str, verb: str) -> None:
    """:class:`~crmbridge.Unsupported` unless ``provider.capabilities.<capability>``."""
    if not getattr(provider.capabilities, capability):
        raise Unsupported(
            f"{provider.name} does not support {verb}() (Capabilities.{capability} is false)",
            provider=provider.name,
        )


def check_ref(ref: Any, what: str) -> Ref:
    if not isinstance(ref, Ref):
        raise ValidationError(f"{what} must be a crmbridge.Ref(object, id), got {ref!r}")
    if not isinstance(ref.object, str) or not ref.object.strip():
        raise ValidationError(f"{what}.object must be a non-empty object name, got {ref.object!r}")
    check_id(ref.id, f"{what}.id")
    return ref


def _check_time(value: Any, what: str) -> None:
    if value is None:
        return
    if not isinstance(value, dt.datetime):
        raise ValidationError(f"{what} must be a datetime, got {value!r}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValidationError(
            f"{what} must carry a timezone (e.g. datetime(..., tzinfo=UTC)), got {value!r}"
        )


def _check_text(value: Any, what: str) -> None:
    if not isinstance(value, str):
        raise ValidationError(f"{what} must be a string, got {value!r}")


def _check_users(users: Any, what: str) -> tuple[User, ...]:
    if isinstance(users, str | User) or not isinstance(users, Iterable):
        raise ValidationError(f"{what} must be a list of crmbridge.User, got {users!r}")
    out = tuple(users)
    for user in out:
        if not isinstance(user, User) or not (user.id or user.email):
            raise ValidationError(
                f"each of {what} must be a crmbridge.User with an id or an email, got {user!r}"
            )
    return out


def _check_refs(refs: Any, what: str) -> tuple[Ref, ...]:
    if isinstance(refs, str | Ref) or not isinstance(refs, Iterable):
        raise ValidationError(f"{what} must be a list of crmbridge.Ref, got {refs!r}")
    return tuple(check_ref(r, f"each of {what}") for r in refs)


def check_note(provider: Provider, note: Any) -> Note:
    """``note`` if ``provider`` can create it as given."""
    require(provider, "notes", "create_note")
    require(provider, "notes_create", "create_note")
    if not isinstance(note, Note):
        raise ValidationError(f"create_note takes a crmbridge.Note, got {note!r}")
    caps = provider.capabilities
    check_ref(note.parent, "Note.parent")
    _check_text(note.content, "Note.content")
    _check_text(note.title, "Note.title")
    if note.format not in NOTE_FORMATS:
        raise ValidationError(
            f"Note.format must be one of {', '.join(NOTE_FORMATS)}, got {note.format!r}"
        )
    if note.format not in caps.note_formats:
        raise ValidationError(
            f"{provider.name} takes notes as {', '.join(sorted(caps.note_formats))}, "
            f"not {note.format!r}"
        )
    if note.id is not None:
        raise ValidationError(f"a new note has no id (the CRM gives one), got {note.id!r}")
    _check_time(note.created_at, "Note.created_at")
    if note.created_at is not None and not caps.notes_backdate:
        raise ValidationError(
            f"{provider.name} cannot date a note (Capabilities.notes_backdate is false); "
            "leave created_at out"
        )
    if note.author is not None:
        _check_users([note.author], "Note.author")
        if not caps.notes_author:
            raise ValidationError(
                f"{provider.name} cannot set a note's author (Capabilities.notes_author is "
                "false); leave author out"
            )
    return note


def check_task(provider: Provider, task: Any) -> Task:
    """``task`` if ``provider`` can create it as given."""
    require(provider, "tasks", "create_task")
    if not isinstance(task, Task):
        raise ValidationError(f"create_task takes a crmbridge.Task, got {task!r}")
    _check_text(task.content, "Task.content")
    limit = provider.capabilities.task_max_length
    if limit is not None and len(task.content) > limit:
        raise ValidationError(
            f"Task.content is {len(task.content)} characters; {provider.name} takes at most {limit}"
        )
    if task.id is not None:
        raise ValidationError(f"a new task has no id (the CRM gives one), got {task.id!r}")
    _check_time(task.deadline, "Task.deadline")
    if not isinstance(task.completed, bool):
        raise ValidationError(f"Task.completed must be True or False, got {task.completed!r}")
    _check_users(task.assignees, "Task.assignees")
    _check_refs(task.linked, "Task.linked")
    return task


def check_task_changes(provider: Provider, changes: Mapping[str, Any]) -> dict[str, Any]:
    """The changes of an ``update_task`` call, checked: only :data:`TASK_CHANGES`, at least one."""
    require(provider, "tasks_update", "update_task")
    if not changes:
        raise ValidationError(f"update_task needs at least one of {', '.join(TASK_CHANGES)}")
    out: dict[str, Any] = {}
    for key, value in changes.items():
        if key == "deadline":
            _check_time(value, "deadline")
        elif key == "completed":
            if not isinstance(value, bool):
                raise ValidationError(f"completed must be True or False, got {value!r}")
        elif key == "assignees":
            value = _check_users(value, "assignees")
        elif key == "linked":
            value = _check_refs(value, "linked")
        else:
            raise ValidationError(
                f"update_task cannot change {key!r}; it changes {', '.join(TASK_CHANGES)}"
            )
        out[key] = value
    return out
