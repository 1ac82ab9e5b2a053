"""Kizen tasks (scheduled activities of a named activity type) and read-only notes (logged
activities of another) through the provider and the strict emulator
(crmbridge_kizen/activities.py, activities_notes.py, crmbridge_kizen/emulator/activities.py,
activities_logged.py; docs/reference/kizen-activities.md)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from crmbridge_kizen.activities_codec import decode_note, decode_task, encode_task
from crmbridge_kizen.emulator import DEFAULT_USER_ID, KizenEmulator

import crmbridge as cb
from crmbridge import Note, Ref, Task, User

UTC = dt.UTC
pytestmark = pytest.mark.usefixtures("crmbridge_strict_emulators")


@pytest.fixture
def crm() -> Iterator[cb.Bridge]:
    with cb.connect("kizen", emulator=True, task_activity="to_do") as bridge:
        yield bridge


@pytest.fixture
def contact(crm: cb.Bridge) -> Ref:
    record = crm.create("client_client", {"email": "ada@example.com", "first_name": "Ada"})
    assert record.id
    return Ref("client_client", record.id)


def _sent(crm: cb.Bridge) -> list[httpx.Request]:
    sent: list[httpx.Request] = []
    crm.driver.on_request = sent.append
    return sent


def test_tasks_round_trip(crm: cb.Bridge, contact: Ref) -> None:
    member = crm.run(crm.provider.list_users())[0]
    due = dt.datetime(2030, 1, 2, 15, tzinfo=UTC)
    task = crm.create_task(
        Task("Send the contract", deadline=due, assignees=[User(email=member.email)],
             linked=[contact])
    )  # fmt: skip
    assert task.id
    assert (task.content, task.deadline, task.completed) == ("Send the contract", due, False)
    assert task.linked == (contact,)
    assert [a.id for a in task.assignees] == [member.id]
    other = crm.create_task(Task("No deadline, nobody, nothing linked"))
    assert (other.deadline, other.assignees, other.linked) == (None, (), ())
    assert [t.id for t in crm.tasks(linked=contact)] == [task.id]
    assert [t.id for t in crm.tasks()] == [task.id, other.id]
    assert [t.id for t in crm.tasks(completed=False)] == [task.id, other.id]
    assert crm.tasks(completed=True) == []
    assert crm.get_task(task.id) == task
    crm.delete_task(task.id)
    assert [t.id for t in crm.tasks()] == [other.id]


def test_the_body_is_the_documented_one(crm: cb.Bridge, contact: Ref) -> None:
    """POST /api/activities/scheduled-activity with the type's uuid, the note, the due time and
    the associated entity as bare uuids (kizen-admin-cli ``activity.md``, docs/reference/kizen-activities.md §1)."""
    emulator = crm.emulator
    assert isinstance(emulator, KizenEmulator)
    sent = _sent(crm)
    due = dt.datetime(2030, 1, 2, 15, tzinfo=UTC)
    crm.create_task(Task("Call", deadline=due, linked=[contact]))
    posts = [r for r in sent if r.method == "POST"]
    assert [r.url.path for r in posts] == ["/api/activities/scheduled-activity"]
    to_do = next(t for t in emulator.activities.types.values() if t.api_name == "to_do")
    contacts = emulator.store.objects["client_client"].obj.id
    assert json.loads(posts[0].content) == {
        "activity_object_id": to_do.id,
        "note": "Call",
        "due_datetime": "2030-01-02T15:00:00+00:00",
        "associated_entities": [{"custom_object": contacts, "entity_id": contact.id}],
    }


def test_tasks_list_only_the_named_type(crm: cb.Bridge, contact: Ref) -> None:
    """Scheduled activities of other types are not this provider's tasks (``/search`` with
    ``activity_id``, kizen-admin-cli api/activities.py ``list_scheduled``)."""
    with cb.connect("kizen", emulator=crm.emulator, task_activity="call") as calls:
        call = calls.create_task(Task("A call", linked=[contact]))
        assert [t.id for t in calls.tasks()] == [call.id]
    mine = crm.create_task(Task("To do", linked=[contact]))
    assert [t.id for t in crm.tasks(linked=contact)] == [mine.id]


def test_what_kizen_cannot_hold_is_refused_before_any_request(crm: cb.Bridge, contact: Ref) -> None:
    sent = _sent(crm)
    with pytest.raises(cb.ValidationError, match="cannot create a completed task"):
        crm.create_task(Task("done already", completed=True))
    with pytest.raises(cb.ValidationError, match="one team member"):
        crm.create_task(Task("two people", assignees=[User(id="a"), User(id="b")]))
    with pytest.raises(cb.Unsupported):
        crm.complete_task("00000000-0000-4000-8000-000000000001")
    with pytest.raises(cb.Unsupported):
        crm.update_task("00000000-0000-4000-8000-000000000001", deadline=None)
    with pytest.raises(cb.Unsupported):
        crm.create_note(Note(contact, "x"))
    with pytest.raises(cb.Unsupported):
        crm.notes("client_client", contact.id)
    assert sent == []


def test_an_unknown_assignee_or_type_is_a_clear_error(crm: cb.Bridge, contact: Ref) -> None:
    with pytest.raises(cb.ValidationError, match=r"nobody@example\.com is not a Kizen team member"):
        crm.create_task(Task("x", assignees=[User(email="nobody@example.com")]))
    with (
        cb.connect("kizen", emulator=crm.emulator, task_activity="no_such_type") as other,
        pytest.raises(cb.ConfigError, match="no activity type 'no_such_type'"),
    ):
        other.tasks()


def test_strangers_reread_the_team_at_most_once_a_minute(
    crm: cb.Bridge, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An assignee's e-mail the team lacks re-read ``GET /api/team`` for every task before;
    an employee added since is found once the interval has passed."""
    now = [1000.0]
    monkeypatch.setattr("crmbridge.directory._now", lambda: now[0])
    sent = _sent(crm)
    for i in range(3):
        with pytest.raises(cb.ValidationError, match=f"nobody{i}@example.com"):
            crm.create_task(Task("x", assignees=[User(email=f"nobody{i}@example.com")]))
    assert [r.url.path for r in sent].count("/api/team") == 1
    crm.emulator.add_employee(
        "00000000-0000-4000-8000-0000000000e1", "No", "Body", "nobody0@example.com"
    )
    now[0] += 60
    task = crm.create_task(Task("x", assignees=[User(email="nobody0@example.com")]))
    assert task.assignees[0].id == "00000000-0000-4000-8000-0000000000e1"
    assert [r.url.path for r in sent].count("/api/team") == 2


def test_without_a_task_activity_kizen_keeps_no_tasks() -> None:
    with cb.connect("kizen", emulator=True) as crm:
        assert not crm.capabilities.tasks
        sent = _sent(crm)
        with pytest.raises(cb.Unsupported):
            crm.tasks()
        assert sent == []


def test_the_option_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIZEN_TASK_ACTIVITY", "to_do")
    with cb.connect("kizen", emulator=True) as crm:
        assert crm.capabilities.tasks
        assert crm.capabilities.tasks_delete
        assert not crm.capabilities.tasks_update
        assert not crm.capabilities.notes


def test_a_missing_task_is_not_found(crm: cb.Bridge, crmbridge_strict_emulators: Any) -> None:
    missing = "00000000-0000-4000-8000-000000000001"
    with pytest.raises(cb.NotFound), crmbridge_strict_emulators.expect(404, "not_found"):
        crm.get_task(missing)
    with pytest.raises(cb.NotFound), crmbridge_strict_emulators.expect(404, "not_found"):
        crm.delete_task(missing)


# --- the emulator's validation (crmbridge_kizen/emulator/activities.py) ----------------------


@pytest.fixture
def emulator() -> KizenEmulator:
    return KizenEmulator()


def _call(emulator: KizenEmulator, method: str, path: str, body: Any = None) -> httpx.Response:
    request = httpx.Request(
        method,
        f"https://app.go.kizen.com{path}",
        headers=emulator.auth_headers(),
        json=body,
    )
    return emulator.handle(request)


def test_emulator_refuses_bad_schedule_bodies(emulator: KizenEmulator) -> None:
    to_do = next(t for t in emulator.activities.types.values() if t.api_name == "to_do")
    contacts = emulator.store.objects["client_client"].obj.id
    bad: list[tuple[dict[str, Any], str]] = [
        ({}, "activity_object_id"),
        ({"activity_object_id": "to_do"}, "activity_object_id"),  # the uuid, not the api name
        ({"activity_object_id": to_do.id, "due": "x"}, "due"),
        ({"activity_object_id": to_do.id, "due_datetime": "2030-01-02T15:00"}, "due_datetime"),
        ({"activity_object_id": to_do.id, "employee_id": contacts}, "employee_id"),
        ({"activity_object_id": to_do.id, "note": 3}, "note"),
        ({"activity_object_id": to_do.id, "associated_entities": [
            {"custom_object": {"id": contacts}, "entity_id": contacts}]}, "associated_entities"),
        ({"activity_object_id": to_do.id, "associated_entities": [
            {"custom_object": contacts, "entity_id": contacts}]}, "associated_entities"),
    ]  # fmt: skip
    for body, key in bad:
        response = _call(emulator, "POST", "/api/activities/scheduled-activity", body)
        assert response.status_code == 400, body
        assert key in response.json(), (body, response.json())
    assert emulator.activities.scheduled == {}


def test_emulator_serves_only_what_the_provider_uses(emulator: KizenEmulator) -> None:
    item = "00000000-0000-4000-8000-000000000001"
    for method in ("PUT", "PATCH"):
        response = _call(emulator, method, f"/api/activities/scheduled-activity/{item}", {})
        assert response.status_code == 405
    assert _call(emulator, "GET", "/api/activities/to_do").json()["api_name"] == "to_do"


def test_emulator_pages_scheduled_activities(emulator: KizenEmulator) -> None:
    to_do = next(t for t in emulator.activities.types.values() if t.api_name == "to_do")
    for n in range(3):
        body = {"activity_object_id": to_do.id, "note": f"n{n}"}
        assert (
            _call(emulator, "POST", "/api/activities/scheduled-activity", body).status_code == 201
        )
    path = f"/api/activities/scheduled-activity/search?activity_id={to_do.id}&page_size=2"
    first = _call(emulator, "GET", path).json()
    assert [r["note"] for r in first["results"]] == ["n0", "n1"]
    second = _call(emulator, "GET", httpx.URL(first["next"]).raw_path.decode()).json()
    assert [r["note"] for r in second["results"]] == ["n2"]
    assert second["next"] is None


# --- the codec -------------------------------------------------------------------------------


def test_codec_reads_the_cli_shapes() -> None:
    """The read keys of kizen-admin-cli tools/activities.py ``list_scheduled``; associated
    entities by ``object_api_name`` (logged reads) or by object uuid (the write key)."""
    raw = {
        "id": "s1",
        "activity_object": {"id": "a1"},
        "due_datetime": "2024-02-01T00:00:00Z",
        "completed_at": "2024-02-02T00:00:00Z",
        "logged_activity_id": "l1",
        "employee": {"id": "emp-1"},
        "note": "Call back",
        "associated_entities": [
            {"object_api_name": "patients", "entity_id": "p1", "display_name": "Bob"},
            {"custom_object": "obj-uuid", "entity_id": "p2"},
            {"display_name": "Sue"},
            "raw-string",
        ],
    }
    task = decode_task(raw, {"obj-uuid": "deals"}.get)
    assert task.content == "Call back"
    assert task.deadline == dt.datetime(2024, 2, 1, tzinfo=UTC)
    assert task.completed
    assert [u.id for u in task.assignees] == ["emp-1"]
    assert task.linked == (Ref("patients", "p1"), Ref("deals", "p2"))
    assert not decode_task({"id": "s2", "completed_at": None}, {}.get).completed


def test_codec_refuses_an_unreadable_time() -> None:
    with pytest.raises(cb.ProviderError, match="an activity time"):
        decode_task({"id": "s1", "due_datetime": "next week"}, {}.get)


def test_codec_leaves_unknown_keys_out() -> None:
    body = encode_task(Task("x"), "type-uuid", None, {})
    assert body == {"activity_object_id": "type-uuid", "note": "x", "associated_entities": []}


# --- notes: logged activities, read only -------------------------------------------------------

WHEN = dt.datetime(2025, 3, 4, 9, 15, 30, tzinfo=UTC)


@pytest.fixture
def noted() -> Iterator[cb.Bridge]:
    with cb.connect("kizen", emulator=True, note_activity="call") as bridge:
        yield bridge


def _log(crm: cb.Bridge, text: str, *records: Ref, minutes: int = 0) -> str:
    emulator = crm.emulator
    assert isinstance(emulator, KizenEmulator)
    return emulator.activities.logged.log(
        "call",
        text,
        [(r.object, r.id) for r in records],
        logged_by=DEFAULT_USER_ID,
        logged_at=WHEN + dt.timedelta(minutes=minutes),
    )


def test_notes_are_read_by_record_by_object_and_by_id(noted: cb.Bridge) -> None:
    ada = Ref("client_client", noted.create("client_client", {"email": "ada@example.com"}).id or "")
    bob = Ref("client_client", noted.create("client_client", {"email": "bob@example.com"}).id or "")
    acme = Ref("companies_company", noted.create("companies_company", {"name": "Acme"}).id or "")
    later = _log(noted, "Called back", ada, minutes=5)
    first = _log(noted, "Talked pricing", ada, acme)
    other = _log(noted, "Left a message", bob)
    _log(noted, "On the company only", acme)
    notes = noted.notes("client_client", ada.id)
    assert [n.id for n in notes] == [first, later]  # oldest first
    assert notes[0].content == "Talked pricing"
    assert notes[0].created_at == WHEN
    assert notes[0].author is not None
    assert notes[0].author.id == DEFAULT_USER_ID
    assert (notes[0].title, notes[0].format) == ("", "plaintext")
    by_object = list(noted.object_notes("client_client"))
    assert {n.id: n.parent for n in by_object} == {later: ada, first: ada, other: bob}
    # the first note is on Ada and Acme: one note, on its first record (a Note has one parent)
    assert [n.parent for n in noted.object_notes("companies_company")] == [acme]
    assert noted.get_note(other) == by_object[-1]


def test_an_objects_notes_are_read_a_page_at_a_time(noted: cb.Bridge) -> None:
    """``next`` links are followed with bare POSTs (kizen-admin-cli ``list_responses``)."""
    ada = Ref("client_client", noted.create("client_client", {"email": "ada@example.com"}).id or "")
    for n in range(101):  # the emulator's default page holds 100
        _log(noted, f"note {n}", ada, minutes=n)
    sent = _sent(noted)
    assert len(list(noted.object_notes("client_client"))) == 101
    lists = [r for r in sent if r.url.path.endswith("/responses")]
    assert len(lists) == 2
    assert [json.loads(r.content) for r in lists] == [{}, {}]
    assert lists[1].url.params["page"] == "2"


def test_notes_cannot_be_created_deleted_or_dated(noted: cb.Bridge) -> None:
    ada = Ref("client_client", noted.create("client_client", {"email": "ada@example.com"}).id or "")
    sent = _sent(noted)
    caps = noted.capabilities
    assert (caps.notes, caps.notes_by_object) == (True, True)
    assert (caps.notes_create, caps.notes_delete, caps.notes_backdate) == (False, False, False)
    with pytest.raises(cb.Unsupported, match="notes_create"):
        noted.create_note(Note(ada, "x"))
    with pytest.raises(cb.Unsupported):
        noted.delete_note("00000000-0000-4000-8000-000000000001")
    assert sent == []


def test_a_missing_note_is_not_found(noted: cb.Bridge, crmbridge_strict_emulators: Any) -> None:
    with pytest.raises(cb.NotFound), crmbridge_strict_emulators.expect(404, "not_found"):
        noted.get_note("00000000-0000-4000-8000-000000000001")


def test_emulator_responses_refuse_what_is_not_published(emulator: KizenEmulator) -> None:
    call = next(t for t in emulator.activities.types.values() if t.api_name == "call")
    unknown = _call(emulator, "POST", "/api/activities/call/responses", {})  # by uuid only
    assert unknown.status_code == 404
    filtered = _call(emulator, "POST", f"/api/activities/{call.id}/responses", {"filter": "x"})
    assert filtered.status_code == 400
    listed = _call(emulator, "POST", f"/api/activities/{call.id}/responses", {})
    assert listed.json()["results"] == []
    assert _call(emulator, "POST", "/api/activities/call/log-activity", {}).status_code == 404


def test_codec_reads_a_logged_activity() -> None:
    """``LogActivityRead`` as Kizen's CLI reads it (kizen-admin-cli tests/test_activities_tool.py)."""
    raw = {
        "id": "l1",
        "activity_object": {"id": "a1", "name": "Site Visit"},
        "notes": "all good",
        "logged_at": "2024-01-01T00:00:00Z",
        "logged_by": {"display_name": "Jane", "id": "emp-1"},
        "associated_entities": [
            {"object_api_name": "deals", "entity_id": "d1", "name": "Deal"},
            {"object_api_name": "patients", "entity_id": "p1", "name": "Bob"},
        ],
    }
    note = decode_note(raw, "patients", {}.get)
    assert note is not None
    assert (note.parent, note.content) == (Ref("patients", "p1"), "all good")
    assert note.created_at == dt.datetime(2024, 1, 1, tzinfo=UTC)
    assert note.author is not None
    assert (note.author.id, note.author.name) == ("emp-1", "Jane")
    first = decode_note(raw, None, {}.get)
    assert first is not None
    assert first.parent == Ref("deals", "d1")
    assert decode_note(raw, "companies", {}.get) is None
