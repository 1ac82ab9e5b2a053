"""The emulator's ``/v2/notes`` and ``/v2/tasks`` on the wire: answers valid against the spec's
response schemas, and each validation rule of emulator/handlers_notes.py refusing what the spec
says Attio refuses."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from crmbridge_attio.emulator import AttioEmulator


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    emulator = AttioEmulator()
    emulator.add_member("Grace", "Hopper", "grace@example.com")
    emulator.add_list("sales_pipeline", "Sales pipeline", "companies")
    with emulator.client() as http:
        yield http


@pytest.fixture
def person(client: httpx.Client) -> str:
    body = {"data": {"values": {"email_addresses": ["ada@example.com"]}}}
    record_id: str = client.post("/v2/objects/people/records", json=body).json()["data"]["id"][
        "record_id"
    ]
    return record_id


def said(answer: httpx.Response) -> str:
    """The error's message and validation errors, as text."""
    body = answer.json()
    return f"{body['message']} {body.get('validation_errors')}"


def note(person: str, **extra: Any) -> dict[str, Any]:
    data = {
        "parent_object": "people",
        "parent_record_id": person,
        "title": "T",
        "format": "plaintext",
        "content": "hello",
    }
    return {"data": {**data, **extra}}


def task(**extra: Any) -> dict[str, Any]:
    data = {
        "content": "call",
        "format": "plaintext",
        "deadline_at": None,
        "is_completed": False,
        "linked_records": [],
        "assignees": [],
    }
    return {"data": {**data, **extra}}


@pytest.mark.parametrize(
    ("change", "status", "words"),
    [
        ({"title": None}, 400, "Expected string"),
        ({"format": "html"}, 400, "Invalid enum value"),
        ({"created_at": "1969-12-31T00:00:00Z"}, 400, "before 1970"),
        ({"created_at": "2999-01-01T00:00:00Z"}, 400, "in the future"),
        ({"created_at": "soon"}, 400, "Invalid created_at"),
        ({"parent_object": "nope"}, 404, 'Object with slug/ID "nope" not found.'),
        ({"parent_record_id": "00000000-0000-4000-8000-000000000000"}, 404, "Record with ID"),
    ],
)
def test_note_rules(
    client: httpx.Client, person: str, change: dict[str, Any], status: int, words: str
) -> None:
    answer = client.post("/v2/notes", json=note(person, **change))
    assert answer.status_code == status, answer.text
    assert words in said(answer)
    assert client.get("/v2/notes").json()["data"] == []


def test_a_note_without_required_keys_is_refused(client: httpx.Client) -> None:
    answer = client.post("/v2/notes", json={"data": {"title": "T"}})
    assert answer.status_code == 400
    paths = [e["path"] for e in answer.json()["validation_errors"]]
    assert paths == [
        ["data", k] for k in ("parent_object", "parent_record_id", "format", "content")
    ]


def test_notes_pages_hold_ten_by_default_and_fifty_at_most(
    client: httpx.Client, person: str
) -> None:
    for _ in range(55):
        client.post("/v2/notes", json=note(person))
    assert len(client.get("/v2/notes").json()["data"]) == 10
    assert len(client.get("/v2/notes", params={"limit": 100}).json()["data"]) == 50
    assert len(client.get("/v2/notes", params={"limit": 50, "offset": 50}).json()["data"]) == 5


@pytest.mark.parametrize(
    ("change", "status", "words"),
    [
        ({"content": "x" * 2001}, 400, "at most 2000"),
        ({"format": "markdown"}, 400, 'expected "plaintext"'),
        ({"is_completed": "no"}, 400, "Expected boolean"),
        ({"deadline_at": "someday"}, 400, "Invalid deadline_at"),
        (
            {"linked_records": [{"target_object": "sales_pipeline", "target_record_id": "x"}]},
            400,
            "Only standard or custom",
        ),
        (
            {"linked_records": [{"target_object": "people", "target_record_id": "x"}]},
            404,
            'Record with ID "x"',
        ),
        ({"assignees": [{"workspace_member_email_address": "nobody@x.y"}]}, 400, "nobody@x.y"),
        (
            {"assignees": [{"referenced_actor_type": "api-token", "referenced_actor_id": "x"}]},
            400,
            "Only workspace-member",
        ),
    ],
)
def test_task_rules(client: httpx.Client, change: dict[str, Any], status: int, words: str) -> None:
    answer = client.post("/v2/tasks", json=task(**change))
    assert answer.status_code == status, answer.text
    assert words in said(answer)
    assert client.get("/v2/tasks").json()["data"] == []


def test_a_task_needs_every_key_and_patches_only_four(client: httpx.Client) -> None:
    answer = client.post("/v2/tasks", json={"data": {"content": "x"}})
    assert answer.status_code == 400
    assert len(answer.json()["validation_errors"]) == 5
    task_id = client.post("/v2/tasks", json=task()).json()["data"]["id"]["task_id"]
    answer = client.patch(f"/v2/tasks/{task_id}", json={"data": {"content": "new"}})
    assert answer.status_code == 400
    assert "'content'" in said(answer)
    bad = client.patch(
        f"/v2/tasks/{task_id}", json={"data": {"is_completed": True, "deadline_at": "never"}}
    )
    assert bad.status_code == 400
    assert client.get(f"/v2/tasks/{task_id}").json()["data"]["is_completed"] is False


def test_task_filters(client: httpx.Client, person: str) -> None:
    email = "grace@example.com"
    linked = [{"target_object": "people", "target_record_id": person}]
    mine = client.post(
        "/v2/tasks",
        json=task(linked_records=linked, assignees=[{"workspace_member_email_address": email}]),
    ).json()["data"]
    client.post("/v2/tasks", json=task(is_completed=True))
    ids = lambda **q: [t["id"]["task_id"] for t in client.get("/v2/tasks", params=q).json()["data"]]  # noqa: E731
    assert ids(linked_object="people", linked_record_id=person) == [mine["id"]["task_id"]]
    assert ids(assignee=email) == [mine["id"]["task_id"]]
    assert len(ids(assignee="null")) == 1
    assert len(ids(is_completed="true")) == 1
    assert client.get("/v2/tasks", params={"linked_object": "people"}).status_code == 400
    assert ids(sort="created_at:desc") == list(reversed(ids()))
