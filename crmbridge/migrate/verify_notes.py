"""``--verify`` for notes and tasks: every note of a migrated record and every task linked to one
holds in the target what the migration writes (the same translation:
crmbridge/migrate/notes.py), found through the id map's ``@notes`` and ``@tasks`` rows.

Compared: a note's parent, title, content and format, its ``created_at`` where the target can
date notes and its author where it can set one; a task's content, deadline, completion, assignees
(by id) and linked records. A note or task the id map does not know, or whose target is gone, is a
difference.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from ..errors import NotFound
from ..model import Ref, User
from ..notes import Note, Task
from .notes import (
    NOTES,
    TASKS,
    Users,
    linked_for_target,
    note_for_target,
    pairing,
    source_notes,
    task_for_target,
)

if TYPE_CHECKING:
    from ..bridge import AsyncBridge
    from .mapping import MappingFile
    from .plan import ObjectPlan
    from .state import StateStore
    from .verify import VerifyReport

__all__ = ["verify_notes_and_tasks"]


def _users(users: tuple[User, ...]) -> set[str]:
    return {str(u.id or (u.email or "").casefold()) for u in users}


def _refs(refs: tuple[Ref, ...]) -> set[tuple[str, str]]:
    return {(r.object, r.id) for r in refs}


def note_differences(
    want: Note, got: Note, *, dated: bool, authored: bool
) -> Iterator[tuple[str, Any, Any]]:
    """(field, expected, actual) for each field of ``got`` that is not what was written."""
    for field in ("parent", "title", "content", "format"):
        if getattr(want, field) != getattr(got, field):
            yield field, getattr(want, field), getattr(got, field)
    if dated and want.created_at != got.created_at:
        yield "created_at", want.created_at, got.created_at
    if (
        authored
        and want.author is not None
        and _users((want.author,)) != _users((got.author,) if got.author else ())
    ):
        yield "author", want.author, got.author


def task_differences(want: Task, got: Task) -> Iterator[tuple[str, Any, Any]]:
    for field in ("content", "deadline", "completed"):
        if getattr(want, field) != getattr(got, field):
            yield field, getattr(want, field), getattr(got, field)
    if _users(want.assignees) != _users(got.assignees):
        yield "assignees", list(want.assignees), list(got.assignees)
    if _refs(want.linked) != _refs(got.linked):
        yield "linked", list(want.linked), list(got.linked)


async def verify_notes_and_tasks(
    source: AsyncBridge,
    target: AsyncBridge,
    mapping: MappingFile,
    plans: list[ObjectPlan],
    store: StateStore,
    report: VerifyReport,
) -> None:
    """Add the notes' and tasks' differences to ``report`` (sides without them: nothing)."""
    users: Users | None = None
    if source.capabilities.notes and target.capabilities.notes and target.capabilities.notes_create:
        users = await pairing(source, target, mapping)
        await _notes(source, target, plans, store, report, users)
    if source.capabilities.tasks and target.capabilities.tasks:
        users = users or await pairing(source, target, mapping)
        await _tasks(source, target, plans, store, report, users)


async def _notes(
    source: AsyncBridge,
    target: AsyncBridge,
    plans: list[ObjectPlan],
    store: StateStore,
    report: VerifyReport,
    users: Users,
) -> None:
    caps = target.capabilities

    def differences(want: Note, got: Note) -> Iterator[tuple[str, Any, Any]]:
        return note_differences(want, got, dated=caps.notes_backdate, authored=caps.notes_author)

    checked = 0
    for plan in plans:
        async for note, parent_id in source_notes(source, store, plan):
            checked += 1
            want = note_for_target(note, Ref(plan.map.target, parent_id), caps, users)
            await _compare(report, "notes", note.id or "", store.target_id(NOTES, note.id or ""),
                           want, target.get_note, differences)  # fmt: skip
    report.checked["notes"] = checked


async def _tasks(
    source: AsyncBridge,
    target: AsyncBridge,
    plans: list[ObjectPlan],
    store: StateStore,
    report: VerifyReport,
    users: Users,
) -> None:
    by_source = {p.map.source: p for p in plans}
    checked = 0
    for task in await source.tasks():
        if task.id is None:
            continue
        linked = linked_for_target(task, by_source, store.target_id)
        if task.linked and not linked:
            continue
        checked += 1
        want = task_for_target(task, linked, users)
        await _compare(report, "tasks", task.id, store.target_id(TASKS, task.id), want,
                       target.get_task, task_differences)  # fmt: skip
    report.checked["tasks"] = checked


async def _compare(
    report: VerifyReport,
    kind: str,
    key: str,
    target_id: str | None,
    want: Any,
    read: Callable[[str], Awaitable[Any]],
    differences: Callable[[Any, Any], Iterable[tuple[str, Any, Any]]],
) -> None:
    """Read the copy of source ``key`` (``target_id`` from the id map) and add a difference for
    each field that is not ``want``'s, or one for the whole copy when there is none."""
    from .verify import MISSING, Difference

    got = None
    if target_id:
        with contextlib.suppress(NotFound):
            got = await read(target_id)
    if got is None:
        report.differences.append(Difference(kind, key, target_id, "*", want, MISSING))
        return
    for field, expected, actual in differences(want, got):
        report.differences.append(Difference(kind, key, got.id, field, expected, actual))
