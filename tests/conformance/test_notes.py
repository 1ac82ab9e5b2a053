"""The notes and tasks conformance tests (crmbridge/testing/conformance/notes.py) can fail: the
Attio provider broken in ways a provider might be, each caught by the test meant for it; the
same calls pass on the unbroken provider."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import attrs
import pytest
from crmbridge_attio import AttioProvider

import crmbridge
from crmbridge import Note, Plan, Task
from crmbridge.testing import Kit, NoteTests, TaskTests


class DropsTheDate(AttioProvider):
    """Sends notes without their created_at, though it declares notes_backdate."""

    def create_note(self, note: Note) -> Plan[Note]:
        return (yield from super().create_note(attrs.evolve(note, created_at=None)))


class ListsOneNote(AttioProvider):
    """Reads only the first note of a record."""

    def list_notes(self, parent: crmbridge.Ref) -> Plan[list[Note]]:
        found = yield from super().list_notes(parent)
        return found[:1]


class ListsTheFirstRecordsNotes(AttioProvider):
    """Lists an object's notes as if they were all on the first record that has any."""

    def list_object_notes(self, object: str, cursor: str | None) -> Plan[Any]:
        page, after = yield from super().list_object_notes(object, cursor)
        first = next((n.parent for n in page), None)
        return [n for n in page if n.parent == first], after


class NeverCompletes(AttioProvider):
    """Ignores the completion in a task update."""

    def update_task(self, id: str, changes: Mapping[str, Any]) -> Plan[Task]:
        kept = {k: v for k, v in changes.items() if k != "completed"} or {"linked": []}
        return (yield from super().update_task(id, kept))


class Settings:
    object_slug = "people"
    match_field = "email_addresses"
    text_field = None
    value_objects = ()
    sample_values: dict[Any, Any] = {}
    missing_id = "00000000-0000-4000-8000-000000000000"
    pagination_records = 9
    asynchronous = False


@pytest.fixture
def connect() -> Iterator[Any]:
    opened: list[crmbridge.Bridge] = []

    def open_(cls: type[AttioProvider]) -> tuple[crmbridge.Bridge, Kit]:
        crm = crmbridge.connect(cls, emulator=True)
        opened.append(crm)
        return crm, Kit(crm, Settings())  # type: ignore[arg-type]

    yield open_
    for crm in opened:
        crm.close()


def _suite(cls: type[Any]) -> Any:
    suite = cls()
    suite.object_slug = "people"
    suite._strict = None
    return suite


def test_a_lost_date_is_caught(connect: Any) -> None:
    crm, kit = connect(DropsTheDate)
    with pytest.raises(AssertionError):
        _suite(NoteTests).test_backdated_note(crm, kit)


def test_a_short_note_list_is_caught(connect: Any) -> None:
    crm, kit = connect(ListsOneNote)
    with pytest.raises(AssertionError):
        _suite(NoteTests).test_note_round_trip(crm, kit)


def test_an_object_listing_that_misses_a_record_is_caught(connect: Any) -> None:
    crm, kit = connect(ListsTheFirstRecordsNotes)
    with pytest.raises(AssertionError):
        _suite(NoteTests).test_object_notes(crm, kit)


def test_a_task_never_completed_is_caught(connect: Any) -> None:
    crm, kit = connect(NeverCompletes)
    with pytest.raises(AssertionError):
        _suite(TaskTests).test_complete_task(crm, kit)


def test_the_healthy_provider_passes_the_same_calls(connect: Any) -> None:
    crm, _ = connect(AttioProvider)

    def kit() -> Kit:
        return Kit(crm, Settings())  # type: ignore[arg-type]

    notes, tasks = _suite(NoteTests), _suite(TaskTests)
    notes.test_backdated_note(crm, kit())
    notes.test_note_round_trip(crm, kit())
    notes.test_object_notes(crm, kit())
    notes.test_delete_note(crm, kit())
    tasks.test_complete_task(crm, kit())
    tasks.test_task_round_trip(crm, kit())
