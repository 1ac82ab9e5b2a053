"""The notes and tasks verbs a provider implements, as plans (docs/design.md §2), mixed into
:class:`~crmbridge.plugin.Provider`.

Every one refuses with :class:`~crmbridge.Unsupported` unless overridden; a provider that overrides
them says so in its :class:`~crmbridge.Capabilities` (``notes``, ``notes_delete``, ``tasks``,
``notes_by_object``, ``tasks_update``, ``tasks_delete``), which the facade checks before any request. The facade has
checked the arguments (:mod:`crmbridge.notes.checks`) before a hook runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from ..errors import Unsupported
from ..model import Ref
from .model import Note, Task

if TYPE_CHECKING:
    from ..provider import Plan

__all__ = ["NoteHooks"]


def _refuse(name: str, verb: str) -> Plan[Any]:
    yield from ()
    raise Unsupported(f"{name} does not support {verb}()", provider=name)


class NoteHooks:
    """Notes and tasks plans; see the module docstring."""

    name: ClassVar[str]

    def list_notes(self, parent: Ref) -> Plan[list[Note]]:
        """Every note on the record ``parent``, oldest first where the CRM says."""
        return _refuse(self.name, "notes")

    def list_object_notes(
        self, object: str, cursor: str | None
    ) -> Plan[tuple[list[Note], str | None]]:
        """One page of the notes on any record of ``object``, and the cursor of the next page
        (``None`` after the last); ``cursor`` ``None`` asks for the first. Declared by
        ``Capabilities.notes_by_object``: a migration then reads an object's notes in pages
        instead of one request per record (issue 21)."""
        return _refuse(self.name, "object_notes")

    def get_note(self, id: str) -> Plan[Note]:
        """One note; :class:`~crmbridge.NotFound` if there is none."""
        return _refuse(self.name, "get_note")

    def create_note(self, note: Note) -> Plan[Note]:
        """Create ``note`` (checked: no id; ``created_at``/``author`` only where declared)."""
        return _refuse(self.name, "create_note")

    def delete_note(self, id: str) -> Plan[None]:
        return _refuse(self.name, "delete_note")

    def list_tasks(self, linked: Ref | None, completed: bool | None) -> Plan[list[Task]]:
        """Every task (linked to ``linked`` when given; completed or not when given)."""
        return _refuse(self.name, "tasks")

    def get_task(self, id: str) -> Plan[Task]:
        return _refuse(self.name, "get_task")

    def create_task(self, task: Task) -> Plan[Task]:
        return _refuse(self.name, "create_task")

    def update_task(self, id: str, changes: Mapping[str, Any]) -> Plan[Task]:
        """Change ``deadline``, ``completed``, ``assignees`` and/or ``linked`` (the keys given)."""
        return _refuse(self.name, "update_task")

    def delete_task(self, id: str) -> Plan[None]:
        return _refuse(self.name, "delete_task")
