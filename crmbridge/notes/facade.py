"""The notes and tasks verbs of :class:`~crmbridge.Bridge`, :class:`~crmbridge.AsyncBridge` and the
conformance suite's ``BlockingBridge``, written once as checked plans (:class:`NotePlans`) and
mixed into each facade.

Each verb checks its arguments and the provider's :class:`~crmbridge.Capabilities` when called —
before any request — then runs the provider's hook (:mod:`crmbridge.notes.hooks`).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from ..model import Ref, User
from .checks import (
    check_id,
    check_note,
    check_ref,
    check_task,
    check_task_changes,
    require,
)
from .model import Note, Task

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterable, Iterator

    from ..bridge import AsyncBridge
    from ..provider import Plan, Provider

__all__ = ["UNSET", "AsyncNotes", "BlockingNotes", "NotePlans", "SyncNotes"]


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


#: "Not given" for :meth:`SyncNotes.update_task` (``None`` clears a deadline).
UNSET: Any = _Unset()


def _changes(**given: Any) -> dict[str, Any]:
    return {k: v for k, v in given.items() if v is not UNSET}


class NotePlans:
    """The verbs as plans for one provider; arguments are checked when a method is called."""

    def __init__(self, provider: Provider) -> None:
        self.provider = provider

    def notes(self, object: str, id: str) -> Plan[list[Note]]:
        require(self.provider, "notes", "notes")
        return self.provider.list_notes(check_ref(Ref(object, id), "the parent record"))

    def object_notes_page(
        self, object: str, cursor: str | None
    ) -> Plan[tuple[list[Note], str | None]]:
        require(self.provider, "notes_by_object", "object_notes")
        return self.provider.list_object_notes(check_id(object, "an object"), cursor)

    def get_note(self, id: str) -> Plan[Note]:
        require(self.provider, "notes", "get_note")
        return self.provider.get_note(check_id(id, "a note id"))

    def create_note(self, note: Note) -> Plan[Note]:
        return self.provider.create_note(check_note(self.provider, note))

    def delete_note(self, id: str) -> Plan[None]:
        require(self.provider, "notes_delete", "delete_note")
        return self.provider.delete_note(check_id(id, "a note id"))

    def tasks(self, linked: Ref | None, completed: Any) -> Plan[list[Task]]:
        require(self.provider, "tasks", "tasks")
        if linked is not None:
            check_ref(linked, "linked")
        if completed is not None and not isinstance(completed, bool):
            from ..errors import ValidationError

            raise ValidationError(f"completed must be True, False or None, got {completed!r}")
        return self.provider.list_tasks(linked, completed)

    def get_task(self, id: str) -> Plan[Task]:
        require(self.provider, "tasks", "get_task")
        return self.provider.get_task(check_id(id, "a task id"))

    def create_task(self, task: Task) -> Plan[Task]:
        return self.provider.create_task(check_task(self.provider, task))

    def update_task(self, id: str, changes: dict[str, Any]) -> Plan[Task]:
        checked = check_task_changes(self.provider, changes)
        return self.provider.update_task(check_id(id, "a task id"), checked)

    def delete_task(self, id: str) -> Plan[None]:
        require(self.provider, "tasks_delete", "delete_task")
        return self.provider.delete_task(check_id(id, "a task id"))


class SyncNotes:
    """Notes and tasks on :class:`~crmbridge.Bridge`."""

    provider: Provider
    driver: Any

    def notes(self, object: str, id: str) -> list[Note]:
        """The notes on record ``id`` of ``object``."""
        result: list[Note] = self.driver.run(NotePlans(self.provider).notes(object, id))
        return result

    def object_notes(self, object: str) -> Iterator[Note]:
        """Every note on any record of ``object``, read in pages (where the CRM can:
        ``Capabilities.notes_by_object``)."""
        plans = NotePlans(self.provider)
        cursor: str | None = None
        while True:
            page, cursor = self.driver.run(plans.object_notes_page(object, cursor))
            yield from page
            if cursor is None:
                return

    def get_note(self, id: str) -> Note:
        """One note by id."""
        result: Note = self.driver.run(NotePlans(self.provider).get_note(id))
        return result

    def create_note(self, note: Note) -> Note:
        """Create ``note`` on its ``parent`` record; the note as the CRM now holds it."""
        result: Note = self.driver.run(NotePlans(self.provider).create_note(note))
        return result

    def delete_note(self, id: str) -> None:
        """Delete a note (where the CRM can: ``Capabilities.notes_delete``)."""
        self.driver.run(NotePlans(self.provider).delete_note(id))

    def tasks(self, *, linked: Ref | None = None, completed: bool | None = None) -> list[Task]:
        """Every task, or those linked to the record ``linked`` / completed or not."""
        result: list[Task] = self.driver.run(NotePlans(self.provider).tasks(linked, completed))
        return result

    def get_task(self, id: str) -> Task:
        result: Task = self.driver.run(NotePlans(self.provider).get_task(id))
        return result

    def create_task(self, task: Task) -> Task:
        result: Task = self.driver.run(NotePlans(self.provider).create_task(task))
        return result

    def update_task(
        self,
        id: str,
        *,
        deadline: dt.datetime | None = UNSET,
        completed: bool = UNSET,
        assignees: Iterable[User] = UNSET,
        linked: Iterable[Ref] = UNSET,
    ) -> Task:
        """Change what is given of a task's deadline (``None`` clears it), completion,
        assignees and linked records."""
        changes = _changes(deadline=deadline, completed=completed, assignees=assignees,
                           linked=linked)  # fmt: skip
        result: Task = self.driver.run(NotePlans(self.provider).update_task(id, changes))
        return result

    def complete_task(self, id: str) -> Task:
        """Mark a task completed."""
        return self.update_task(id, completed=True)

    def delete_task(self, id: str) -> None:
        self.driver.run(NotePlans(self.provider).delete_task(id))


class AsyncNotes:
    """Notes and tasks on :class:`~crmbridge.AsyncBridge` (same verbs, awaited)."""

    provider: Provider
    driver: Any

    async def notes(self, object: str, id: str) -> list[Note]:
        result: list[Note] = await self.driver.run(NotePlans(self.provider).notes(object, id))
        return result

    async def object_notes(self, object: str) -> AsyncIterator[Note]:
        plans = NotePlans(self.provider)
        cursor: str | None = None
        while True:
            page, cursor = await self.driver.run(plans.object_notes_page(object, cursor))
            for note in page:
                yield note
            if cursor is None:
                return

    async def get_note(self, id: str) -> Note:
        result: Note = await self.driver.run(NotePlans(self.provider).get_note(id))
        return result

    async def create_note(self, note: Note) -> Note:
        result: Note = await self.driver.run(NotePlans(self.provider).create_note(note))
        return result

    async def delete_note(self, id: str) -> None:
        await self.driver.run(NotePlans(self.provider).delete_note(id))

    async def tasks(
        self, *, linked: Ref | None = None, completed: bool | None = None
    ) -> list[Task]:
        plan = NotePlans(self.provider).tasks(linked, completed)
        result: list[Task] = await self.driver.run(plan)
        return result

    async def get_task(self, id: str) -> Task:
        result: Task = await self.driver.run(NotePlans(self.provider).get_task(id))
        return result

    async def create_task(self, task: Task) -> Task:
        result: Task = await self.driver.run(NotePlans(self.provider).create_task(task))
        return result

    async def update_task(
        self,
        id: str,
        *,
        deadline: dt.datetime | None = UNSET,
        completed: bool = UNSET,
        assignees: Iterable[User] = UNSET,
        linked: Iterable[Ref] = UNSET,
    ) -> Task:
        changes = _changes(deadline=deadline, completed=completed, assignees=assignees,
                           linked=linked)  # fmt: skip
        result: Task = await self.driver.run(NotePlans(self.provider).update_task(id, changes))
        return result

    async def complete_task(self, id: str) -> Task:
        return await self.update_task(id, completed=True)

    async def delete_task(self, id: str) -> None:
        await self.driver.run(NotePlans(self.provider).delete_task(id))


class BlockingNotes:
    """The sync verbs over an ``AsyncBridge`` (the conformance suite's ``BlockingBridge``)."""

    aio: AsyncBridge

    def _wait(self, awaitable: Any) -> Any:
        raise NotImplementedError

    def notes(self, object: str, id: str) -> list[Note]:
        result: list[Note] = self._wait(self.aio.notes(object, id))
        return result

    def object_notes(self, object: str) -> Iterator[Note]:
        notes = self.aio.object_notes(object)
        while True:
            try:
                yield self._wait(anext(notes))
            except StopAsyncIteration:
                return

    def get_note(self, id: str) -> Note:
        result: Note = self._wait(self.aio.get_note(id))
        return result

    def create_note(self, note: Note) -> Note:
        result: Note = self._wait(self.aio.create_note(note))
        return result

    def delete_note(self, id: str) -> None:
        self._wait(self.aio.delete_note(id))

    def tasks(self, *, linked: Ref | None = None, completed: bool | None = None) -> list[Task]:
        result: list[Task] = self._wait(self.aio.tasks(linked=linked, completed=completed))
        return result

    def get_task(self, id: str) -> Task:
        result: Task = self._wait(self.aio.get_task(id))
        return result

    def create_task(self, task: Task) -> Task:
        result: Task = self._wait(self.aio.create_task(task))
        return result

    def update_task(
        self,
        id: str,
        *,
        deadline: dt.datetime | None = UNSET,
        completed: bool = UNSET,
        assignees: Iterable[User] = UNSET,
        linked: Iterable[Ref] = UNSET,
    ) -> Task:
        result: Task = self._wait(
            self.aio.update_task(
                id, deadline=deadline, completed=completed, assignees=assignees, linked=linked
            )
        )
        return result

    def complete_task(self, id: str) -> Task:
        result: Task = self._wait(self.aio.complete_task(id))
        return result

    def delete_task(self, id: str) -> None:
        self._wait(self.aio.delete_task(id))
