"""Attio notes and tasks through the provider and the strict emulator (crmbridge_attio/notes.py,
attio-openapi.json /v2/notes and /v2/tasks)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from crmbridge_attio.notes import decode_note, decode_task

import crmbridge as cb
from crmbridge import Note, Ref, Task, User

UTC = dt.UTC


@pytest.fixture
def crm() -> Iterator[cb.Bridge]:
    with cb.connect("attio", emulator=True) as bridge:
        bridge.emulator.add_member("Grace", "Hopper", "grace@example.com")  # type: ignore[union-attr]
        yield bridge


@pytest.fixture
def person(crm: cb.Bridge) -> Ref:
    record = crm.create("people", {"email_addresses": ["ada@example.com"]})
    assert record.id
    return Ref("people", record.id)


def test_notes_round_trip_with_backdating_and_markdown(
    crm: cb.Bridge, person: Ref, crmbridge_strict_emulators: Any
) -> None:
    when = dt.datetime(2021, 6, 1, 8, 30, tzinfo=UTC)
    made = crm.create_note(
        Note(person, "Wants **annual** billing", title="Call", format="markdown", created_at=when)
    )
    assert made.id
    assert made.created_at == when
    assert made.format == "markdown"
    assert made.content == "Wants **annual** billing"
    assert made.author is not None
    assert made.author.kind == "api-token"
    plain = crm.create_note(Note(person, "line 1\nline 2", title="Plain"))
    assert plain.format == "plaintext"
    assert [n.id for n in crm.notes("people", person.id)] == [made.id, plain.id]
    assert crm.get_note(made.id) == made
    crm.delete_note(made.id)
    assert [n.id for n in crm.notes("people", person.id)] == [plain.id]
    with pytest.raises(cb.NotFound), crmbridge_strict_emulators.expect(404, "not_found"):
        crm.get_note(made.id)


def test_notes_page_past_fifty(crm: cb.Bridge, person: Ref) -> None:
    """GET /v2/notes serves at most 50 at a time (spec ``limit``): the provider pages."""
    for n in range(53):
        crm.create_note(Note(person, f"note {n}"))
    assert [n.content for n in crm.notes("people", person.id)] == [f"note {n}" for n in range(53)]


def test_an_objects_notes_are_read_fifty_a_page(crm: cb.Bridge, person: Ref) -> None:
    """``GET /v2/notes?parent_object=people`` lists the notes of every person (spec: "List notes
    for all records or for a specific record"), 50 a page; other objects' notes are not in it."""
    other = crm.create("people", {"email_addresses": ["alan@example.com"]})
    company = crm.create("companies", {"domains": ["example.com"]})
    for i in range(60):
        crm.create_note(Note(person, f"note {i}"))
    for i in range(50):
        crm.create_note(Note(Ref("people", other.id or ""), f"other {i}"))
    crm.create_note(Note(Ref("companies", company.id or ""), "about the company"))
    sent: list[httpx.Request] = []
    crm.driver.on_request = sent.append
    notes = list(crm.object_notes("people"))
    assert sorted(n.content for n in notes) == sorted(
        [f"note {i}" for i in range(60)] + [f"other {i}" for i in range(50)]
    )
    assert len({n.id for n in notes}) == 110
    assert len(sent) == 3  # 50 + 50 + 10


def test_a_future_or_pre_1970_note_is_refused_before_any_request(
    crm: cb.Bridge, person: Ref
) -> None:
    sent: list[httpx.Request] = []
    crm.driver.on_request = sent.append
    for when in (dt.datetime(1969, 12, 31, tzinfo=UTC), dt.datetime.now(UTC) + dt.timedelta(1)):
        with pytest.raises(cb.ValidationError, match="from 1970 to now"):
            crm.create_note(Note(person, "x", created_at=when))
    with pytest.raises(cb.ValidationError, match="cannot set a note's author"):
        crm.create_note(Note(person, "x", author=User(email="a@b.c")))
    assert sent == []


def test_tasks_round_trip(crm: cb.Bridge, person: Ref) -> None:
    member = crm.run(crm.provider.list_users())[-1]
    due = dt.datetime(2030, 1, 2, 15, tzinfo=UTC)
    task = crm.create_task(
        Task(
            "Send the contract", deadline=due, assignees=[User(email=member.email)], linked=[person]
        )
    )
    assert task.id
    assert task.deadline == due
    assert not task.completed
    assert task.linked == (person,)
    assert [a.id for a in task.assignees] == [member.id]
    other = crm.create_task(Task("Unlinked"))
    assert [t.id for t in crm.tasks(linked=person)] == [task.id]
    assert {t.id for t in crm.tasks()} == {task.id, other.id}
    done = crm.complete_task(task.id)
    assert done.completed
    assert done.deadline == due
    assert [t.id for t in crm.tasks(completed=False)] == [other.id]
    moved = crm.update_task(task.id, deadline=None, assignees=[], linked=[])
    assert moved.deadline is None
    assert moved.assignees == ()
    assert moved.linked == ()
    assert crm.get_task(task.id) == moved
    crm.delete_task(task.id)
    assert [t.id for t in crm.tasks()] == [other.id]


def test_a_long_task_is_refused_before_any_request(crm: cb.Bridge) -> None:
    sent: list[httpx.Request] = []
    crm.driver.on_request = sent.append
    with pytest.raises(cb.ValidationError, match="2001 characters; attio takes at most 2000"):
        crm.create_task(Task("x" * 2001))
    assert sent == []
    assert crm.create_task(Task("x" * 2000)).content == "x" * 2000


def test_codec_reads_the_spec_shapes() -> None:
    """The spec's own examples of a task (ids, ``target_object_id`` naming an object by id)."""
    raw = {
        "id": {
            "workspace_id": "14beef7a-99f7-4534-a87e-70b564330a4c",
            "task_id": "649e34f4-c39a-4f4d-99ef-48a36bef8f04",
        },
        "content_plaintext": "Follow up on current software solutions",
        "deadline_at": "2023-01-01T15:00:00.000000000Z",
        "is_completed": False,
        "linked_records": [
            {
                "target_object_id": "97052eb9-e65e-443f-a297-f2d9a4a7f795",
                "target_record_id": "891dcbfc-9141-415d-9b2a-2238a6cc012d",
            }
        ],
        "assignees": [
            {
                "referenced_actor_type": "workspace-member",
                "referenced_actor_id": "50cf242c-7fa3-4cad-87d0-75b1af71c57b",
            }
        ],
        "created_by_actor": {"type": "workspace-member", "id": "x"},
        "created_at": "2022-11-21T13:22:49.061281000Z",
    }
    task = decode_task(raw, {"97052eb9-e65e-443f-a297-f2d9a4a7f795": "people"})
    assert task.linked == (Ref("people", "891dcbfc-9141-415d-9b2a-2238a6cc012d"),)
    assert task.deadline == dt.datetime(2023, 1, 1, 15, tzinfo=UTC)
    note = decode_note(
        {
            "id": {"note_id": "n"},
            "parent_object": "people",
            "parent_record_id": "r",
            "title": "T",
            "content_plaintext": "a b",
            "content_markdown": "a **b**",
            "created_at": "2022-11-21T13:22:49.061281000Z",
        }
    )
    assert (note.format, note.content) == ("markdown", "a **b**")
