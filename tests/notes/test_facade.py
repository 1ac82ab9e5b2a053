"""The notes and tasks verbs on the facades: checked before any request, refused with
Unsupported where Capabilities say so, the same on Bridge and AsyncBridge."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterator, Mapping
from typing import Any

import httpx
import pytest

import crmbridge as cb
from crmbridge import Capabilities, Note, Ref, Task, User

UTC = dt.UTC
PARENT = Ref("people", "p1")


class Recorder(cb.Provider):
    """Sends one request per verb and echoes the argument back: enough to see what reached it."""

    name = "notes-recorder"
    capabilities = Capabilities(
        notes=True,
        notes_delete=True,
        notes_backdate=True,
        note_formats=frozenset({"plaintext"}),
        tasks=True,
        tasks_update=True,
        task_max_length=10,
    )

    def create_note(self, note: Note) -> cb.Plan[Note]:
        yield self.build_request("POST", "/notes", json={"content": note.content})
        return note

    def list_notes(self, parent: Ref) -> cb.Plan[list[Note]]:
        yield self.build_request("GET", "/notes", params={"id": parent.id})
        return [Note(parent, "x", id="n1")]

    def create_task(self, task: Task) -> cb.Plan[Task]:
        yield self.build_request("POST", "/tasks", json={"content": task.content})
        return task

    def update_task(self, id: str, changes: Mapping[str, Any]) -> cb.Plan[Task]:
        yield self.build_request("PATCH", f"/tasks/{id}", json={"keys": sorted(changes)})
        return Task("t", completed=bool(changes.get("completed")), id=id)


@pytest.fixture
def sent() -> list[httpx.Request]:
    return []


@pytest.fixture
def crm(sent: list[httpx.Request]) -> Iterator[cb.Bridge]:
    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json={})

    with cb.connect(
        Recorder, base_url="https://crm.example", transport=httpx.MockTransport(answer)
    ) as bridge:
        yield bridge


def test_a_valid_note_reaches_the_provider(crm: cb.Bridge, sent: list[httpx.Request]) -> None:
    when = dt.datetime(2024, 5, 1, 9, tzinfo=UTC)
    note = crm.create_note(Note(PARENT, "called", title="Call", created_at=when))
    assert note.created_at == when
    assert [r.method for r in sent] == ["POST"]
    assert [n.id for n in crm.notes("people", "p1")] == ["n1"]


@pytest.mark.parametrize(
    ("note", "words"),
    [
        ("not a note", "takes a crmbridge.Note"),
        (Note(("people", "p1"), "x"), "Note.parent must be a crmbridge.Ref"),  # type: ignore[arg-type]
        (Note(Ref("people", "../x"), "x"), "Note.parent.id"),
        (Note(Ref("", "p1"), "x"), "Note.parent.object"),
        (Note(PARENT, 42), "Note.content must be a string"),  # type: ignore[arg-type]
        (Note(PARENT, "x", format="html"), "Note.format must be one of"),  # type: ignore[arg-type]
        (Note(PARENT, "x", format="markdown"), "takes notes as plaintext"),
        (Note(PARENT, "x", id="n9"), "a new note has no id"),
        (Note(PARENT, "x", created_at=dt.datetime(2024, 1, 1)), "must carry a timezone"),
        (Note(PARENT, "x", created_at="2024-01-01"), "Note.created_at must be a datetime"),  # type: ignore[arg-type]
        (Note(PARENT, "x", author=User(email="a@b.c")), "cannot set a note's author"),
    ],
)
def test_bad_notes_are_refused_before_any_request(
    crm: cb.Bridge, sent: list[httpx.Request], note: Any, words: str
) -> None:
    with pytest.raises(cb.ValidationError, match=words):
        crm.create_note(note)
    assert sent == []


@pytest.mark.parametrize(
    ("task", "words"),
    [
        (Task("x" * 11), "11 characters; notes-recorder takes at most 10"),
        (Task("x", deadline=dt.date(2024, 1, 1)), "Task.deadline must be a datetime"),  # type: ignore[arg-type]
        (Task("x", completed="yes"), "Task.completed must be True or False"),  # type: ignore[arg-type]
        (Task("x", assignees=[User()]), "with an id or an email"),
        (Task("x", linked=["people/p1"]), "must be a crmbridge.Ref"),  # type: ignore[list-item]
        (Task("x", id="t1"), "a new task has no id"),
    ],
)
def test_bad_tasks_are_refused_before_any_request(
    crm: cb.Bridge, sent: list[httpx.Request], task: Any, words: str
) -> None:
    with pytest.raises(cb.ValidationError, match=words):
        crm.create_task(task)
    assert sent == []


def test_update_task_sends_only_what_is_given(crm: cb.Bridge, sent: list[httpx.Request]) -> None:
    task = crm.complete_task("t1")
    assert task.completed
    assert sent[0].content == b'{"keys":["completed"]}'
    with pytest.raises(cb.ValidationError, match="needs at least one"):
        crm.update_task("t1")
    with pytest.raises(cb.ValidationError, match="completed must be True or False"):
        crm.update_task("t1", completed="no")  # type: ignore[arg-type]
    with pytest.raises(cb.ValidationError, match="a task id"):
        crm.update_task("a/b", completed=True)
    assert len(sent) == 1


def test_what_capabilities_deny_is_unsupported_before_any_request(
    crm: cb.Bridge, sent: list[httpx.Request]
) -> None:
    with pytest.raises(cb.Unsupported, match="tasks_delete is false"):
        crm.delete_task("t1")
    assert sent == []


def test_a_provider_without_notes_refuses_them(toy: cb.Bridge) -> None:
    with pytest.raises(cb.Unsupported, match=r"create_note\(\) \(Capabilities.notes is false"):
        toy.create_note(Note(PARENT, "x"))
    with pytest.raises(cb.Unsupported, match=r"Capabilities\.tasks is false"):
        toy.tasks()


def test_an_undeclared_hook_is_unsupported_when_run(crm: cb.Bridge) -> None:
    """A provider declaring notes_delete without implementing delete_note still refuses."""
    with pytest.raises(cb.Unsupported, match="does not support delete_note"):
        crm.delete_note("n1")


def test_the_async_facade_has_the_same_verbs(sent: list[httpx.Request]) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json={})

    async def main() -> None:
        async with cb.connect_async(
            Recorder, base_url="https://crm.example", transport=httpx.MockTransport(answer)
        ) as crm:
            task = await crm.create_task(Task("call", linked=[PARENT]))
            assert task.linked == (PARENT,)
            with pytest.raises(cb.ValidationError):
                await crm.create_task(Task("x" * 11))

    asyncio.run(main())
    assert len(sent) == 1
    public = {n for n in dir(cb.Bridge) if not n.startswith("_")}
    assert public <= {n for n in dir(cb.AsyncBridge) if not n.startswith("_")} | {"close"}
