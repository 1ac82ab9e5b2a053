"""Notes and tasks (docs/notes.md): what ``Capabilities`` declares is tested, the rest must be
``Unsupported`` before any request.

A note is created on a record the kit creates; a task is linked to one. Assignees are the
provider's first user with an id (``list_users``), or none when the provider lists no users.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from ...errors import NotFound, Unsupported, ValidationError
from ...model import Ref, User
from ...notes import Note, Task
from .base import ConformanceBase
from .kit import Kit, require

__all__ = ["NoteTests", "TaskTests"]

#: A past moment every CRM that dates notes takes (after 1970, before now), to the second.
WHEN = dt.datetime(2024, 3, 5, 14, 30, 15, tzinfo=dt.UTC)


def _parent(crm: Any, kit: Kit) -> Ref:
    record = kit.create()
    return Ref(crm.schema(kit.object).slug, record.id or "")


def _a_user(crm: Any) -> User | None:
    try:
        users = crm.run(crm.provider.list_users())
    except Unsupported:
        return None
    return next((User(id=u.id) for u in users if u.id), None)


class NoteTests(ConformanceBase):
    """``create_note``, ``notes``, ``object_notes``, ``get_note``, ``delete_note``."""

    def test_notes_unsupported(self, crm: Any, kit: Kit) -> None:
        """Without ``Capabilities.notes``, every note verb is Unsupported, with no request."""
        if crm.capabilities.notes:
            pytest.skip(f"{crm.name} keeps notes")
        record = kit.create()
        with kit.requests() as sent:
            with pytest.raises(Unsupported):
                crm.create_note(Note(Ref(kit.object, record.id or ""), "x"))
            with pytest.raises(Unsupported):
                crm.notes(kit.object, record.id)
        assert sent == []

    def test_notes_read_only(self, crm: Any, kit: Kit) -> None:
        """With ``notes`` but not ``notes_create``, ``create_note`` is Unsupported, with no
        request."""
        require(crm, "notes")
        if crm.capabilities.notes_create:
            pytest.skip(f"{crm.name} creates notes")
        record = kit.create()
        with kit.requests() as sent, pytest.raises(Unsupported):
            crm.create_note(Note(Ref(kit.object, record.id or ""), "x"))
        assert sent == []

    def test_note_round_trip(self, crm: Any, kit: Kit) -> None:
        """Created notes are listed on their record, oldest first, and read back the same."""
        require(crm, "notes")
        require(crm, "notes_create")
        parent = _parent(crm, kit)
        made = crm.create_note(Note(parent, f"{kit.token} first line\nsecond", title="Call"))
        assert made.id
        assert (made.parent, made.title) == (parent, "Call")
        assert made.content == f"{kit.token} first line\nsecond"
        second = crm.create_note(Note(parent, f"{kit.token} later", title="Follow-up"))
        assert [n.id for n in crm.notes(parent.object, parent.id)] == [made.id, second.id]
        again = crm.get_note(made.id)
        assert (again.parent, again.title, again.content) == (parent, made.title, made.content)

    def test_object_notes(self, crm: Any, kit: Kit) -> None:
        """With ``notes_by_object``, ``object_notes`` yields the notes of every record of the
        object (others' too, in a shared workspace); without, it is Unsupported, no request."""
        if not crm.capabilities.notes_by_object:
            with kit.requests() as sent, pytest.raises(Unsupported):
                next(iter(crm.object_notes(kit.object)))
            assert sent == []
            return
        require(crm, "notes_create")
        first, second = _parent(crm, kit), _parent(crm, kit)
        made = {
            crm.create_note(Note(first, f"{kit.token} on the first")).id,
            crm.create_note(Note(second, f"{kit.token} on the second")).id,
        }
        mine = {n.id: n for n in crm.object_notes(first.object) if n.id in made}
        assert set(mine) == made
        assert {n.parent for n in mine.values()} == {first, second}

    def test_note_formats(self, crm: Any, kit: Kit) -> None:
        """Each declared format round-trips its content."""
        require(crm, "notes")
        require(crm, "notes_create")
        parent = _parent(crm, kit)
        for fmt in sorted(crm.capabilities.note_formats):
            content = f"{kit.token} **bold** text" if fmt == "markdown" else f"{kit.token} plain"
            made = crm.create_note(Note(parent, content, format=fmt))
            assert (made.format, made.content) == (fmt, content)

    def test_backdated_note(self, crm: Any, kit: Kit) -> None:
        """With ``notes_backdate`` a note keeps its ``created_at``; without, it is refused
        before any request."""
        require(crm, "notes")
        require(crm, "notes_create")
        parent = _parent(crm, kit)
        note = Note(parent, f"{kit.token} old", created_at=WHEN)
        if not crm.capabilities.notes_backdate:
            with kit.requests() as sent, pytest.raises(ValidationError):
                crm.create_note(note)
            assert sent == []
            return
        assert crm.create_note(note).created_at == WHEN

    def test_note_author_refused_unless_declared(self, crm: Any, kit: Kit) -> None:
        require(crm, "notes")
        require(crm, "notes_create")
        if crm.capabilities.notes_author:
            pytest.skip(f"{crm.name} sets note authors")
        parent = _parent(crm, kit)
        with kit.requests() as sent, pytest.raises(ValidationError):
            crm.create_note(Note(parent, "x", author=User(email="someone@example.com")))
        assert sent == []

    def test_delete_note(self, crm: Any, kit: Kit) -> None:
        require(crm, "notes_delete")
        require(crm, "notes_create")
        parent = _parent(crm, kit)
        made = crm.create_note(Note(parent, f"{kit.token} gone soon"))
        crm.delete_note(made.id)
        assert crm.notes(parent.object, parent.id) == []
        with pytest.raises(NotFound):
            self._expect_missing(crm, made.id)

    def _expect_missing(self, crm: Any, id: str) -> None:
        strict = getattr(self, "_strict", None)
        if strict is None:
            crm.get_note(id)
            return
        with strict.expect(404):
            crm.get_note(id)

    @pytest.fixture(autouse=True)
    def _strict_mode(self, request: pytest.FixtureRequest) -> None:
        """The strict-emulator fixture, when the opting-in class uses it (a 404 read back is
        this test's point)."""
        self._strict = (
            request.getfixturevalue("crmbridge_strict_emulators")
            if "crmbridge_strict_emulators" in request.fixturenames
            else None
        )


class TaskTests(ConformanceBase):
    """``create_task``, ``tasks``, ``get_task``, ``update_task``, ``delete_task``."""

    def test_tasks_unsupported(self, crm: Any, kit: Kit) -> None:
        if crm.capabilities.tasks:
            pytest.skip(f"{crm.name} keeps tasks")
        with kit.requests() as sent:
            with pytest.raises(Unsupported):
                crm.create_task(Task("x"))
            with pytest.raises(Unsupported):
                crm.tasks()
        assert sent == []

    def test_task_round_trip(self, crm: Any, kit: Kit) -> None:
        """A task linked to a record (and assigned, where the provider lists users) is listed
        by that record and read back the same."""
        require(crm, "tasks")
        parent = _parent(crm, kit)
        user = _a_user(crm)
        due = dt.datetime(2031, 1, 2, 15, 0, tzinfo=dt.UTC)
        made = crm.create_task(
            Task(
                f"{kit.token} call back",
                deadline=due,
                linked=[parent],
                assignees=[user] if user else [],
            )
        )
        assert made.id
        assert (made.content, made.deadline, made.completed) == (
            f"{kit.token} call back",
            due,
            False,
        )
        assert made.linked == (parent,)
        assert [u.id for u in made.assignees] == ([user.id] if user else [])
        assert [t.id for t in crm.tasks(linked=parent)] == [made.id]
        assert crm.get_task(made.id).content == made.content

    def test_too_long_task_refused_before_any_request(self, crm: Any, kit: Kit) -> None:
        require(crm, "tasks")
        limit = crm.capabilities.task_max_length
        if limit is None:
            pytest.skip(f"{crm.name} declares no task_max_length")
        with kit.requests() as sent, pytest.raises(ValidationError):
            crm.create_task(Task("x" * (limit + 1)))
        assert sent == []

    def test_complete_task(self, crm: Any, kit: Kit) -> None:
        require(crm, "tasks_update")
        parent = _parent(crm, kit)
        made = crm.create_task(Task(f"{kit.token} to do", linked=[parent]))
        done = crm.complete_task(made.id)
        assert done.completed
        assert done.content == made.content
        assert [t.id for t in crm.tasks(linked=parent, completed=True)] == [made.id]
        assert crm.tasks(linked=parent, completed=False) == []

    def test_delete_task(self, crm: Any, kit: Kit) -> None:
        require(crm, "tasks_delete")
        parent = _parent(crm, kit)
        made = crm.create_task(Task(f"{kit.token} drop", linked=[parent]))
        crm.delete_task(made.id)
        assert crm.tasks(linked=parent) == []
