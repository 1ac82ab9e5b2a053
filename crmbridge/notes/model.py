"""The neutral notes and tasks (issue 21): what a record's people typed, and the work planned on it.

CRMs keep these apart from records' fields: Attio has ``/v2/notes`` and ``/v2/tasks``
(``attio-openapi.json``, paths ``/v2/notes`` and ``/v2/tasks``); Kizen logs activities and schedules
them (docs/reference/kizen-activities.md). Both classes are immutable attrs classes like the rest of
the model (:mod:`crmbridge.model`), and ``raw`` keeps the provider's payload.

* A :class:`Note` belongs to one record (``parent``), has a plain-text ``title``, a ``content`` in a
  ``format`` (``"plaintext"`` or ``"markdown"``), when it was written (``created_at``) and by whom
  (``author``).
* A :class:`Task` has a ``content``, an optional ``deadline``, whether it is ``completed``, the users it
  is assigned to (``assignees``) and the records it is about (``linked``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any, Literal

import attrs

from ..model import Ref, User

__all__ = ["NOTE_FORMATS", "Note", "NoteFormat", "Task"]

NoteFormat = Literal["plaintext", "markdown"]
#: The content formats a note may have (Attio's ``format`` enum, ``POST /v2/notes``).
NOTE_FORMATS: tuple[NoteFormat, ...] = ("plaintext", "markdown")


def _users(value: Iterable[User]) -> tuple[User, ...]:
    return tuple(value)


def _refs(value: Iterable[Ref]) -> tuple[Ref, ...]:
    return tuple(value)


@attrs.frozen
class Note:
    """A note on one record. ``id`` is ``None`` until the CRM holds it."""

    parent: Ref
    content: str
    title: str = ""
    format: NoteFormat = "plaintext"
    created_at: dt.datetime | None = None
    author: User | None = None
    id: str | None = None
    raw: Any = attrs.field(default=None, eq=False, repr=False)


@attrs.frozen
class Task:
    """A task: ``linked`` and ``assignees`` take any iterable and are kept as tuples."""

    content: str
    deadline: dt.datetime | None = None
    completed: bool = False
    assignees: tuple[User, ...] = attrs.field(default=(), converter=_users)
    linked: tuple[Ref, ...] = attrs.field(default=(), converter=_refs)
    id: str | None = None
    created_at: dt.datetime | None = None
    raw: Any = attrs.field(default=None, eq=False, repr=False)
