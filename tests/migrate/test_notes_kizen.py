"""Notes and tasks between Attio and Kizen in a migration (issue 21): Kizen's tasks are the
scheduled activities of the type named by ``task_activity``, its notes the logged activities of
the type named by ``note_activity`` (crmbridge_kizen/activities.py, activities_notes.py). Tasks go
both ways, notes out of Kizen only (Kizen's notes are read only: docs/reference/kizen-activities.md
§3), through the id map and the users table, and ``--verify`` compares them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

import crmbridge as cb
from crmbridge import Note, Ref, Task, User
from crmbridge.emulation import Emulator
from crmbridge.migrate import Report, migrate, verify
from crmbridge.plugins import get_provider

ROOT = Path(__file__).parents[2]
#: The demo mapping, with the Attio workspace's own member (not on Kizen's team) paired to the
#: Kizen API user.
ATTIO_TO_KIZEN = (ROOT / "docs" / "examples" / "attio-to-kizen.toml").read_text() + (
    '\n[users]\nfallback = "api-user@example.com"\n'
)
#: The reliability tests' mapping, with the Kizen API user (not an Attio member) paired to the
#: Attio workspace's own member.
KIZEN_TO_ATTIO = (ROOT / "tests" / "reliability" / "kizen-to-attio.toml").read_text() + (
    '\n[users]\nfallback = "ada@crmbridge.test"\n'
)
TYPE, NOTE_TYPE = "to_do", "call"


def _connect(emulator: Emulator) -> cb.AsyncBridge:
    if emulator.name == "kizen":
        return cb.connect_async(
            "kizen", emulator=emulator, task_activity=TYPE, note_activity=NOTE_TYPE
        )
    return cb.connect_async(emulator.name, emulator=emulator)


def _bridge(emulator: Emulator) -> cb.Bridge:
    if emulator.name == "kizen":
        return cb.connect("kizen", emulator=emulator, task_activity=TYPE, note_activity=NOTE_TYPE)
    return cb.connect(emulator.name, emulator=emulator)


def _mapping(text: str, tmp: Path) -> Path:
    path = tmp / "map.toml"
    path.write_text(text)
    return path


def _run(source: Emulator, target: Emulator, mapping: str, tmp: Path) -> Report:
    return migrate(
        _connect(source),
        _connect(target),
        _mapping(mapping, tmp),
        state=tmp / "s.db",
        failures=tmp / "f.jsonl",
    )


def _verify(source: Emulator, target: Emulator, mapping: str, tmp: Path) -> Any:
    return verify(_connect(source), _connect(target), _mapping(mapping, tmp), state=tmp / "s.db")


def _key(crm: cb.Bridge, task: Task, emails: dict[Any, Any]) -> tuple[Any, ...]:
    """What must arrive: content, deadline, completion, assignees by e-mail, and the linked
    records by their match value (e-mail or company name)."""

    def match(ref: Ref) -> str:
        record = crm.get(ref.object, ref.id)
        value = record.get("email") or record.get("email_addresses") or record.get("name")
        return str(value[0] if isinstance(value, list) else value)

    return (
        task.content,
        task.deadline,
        task.completed,
        sorted(str(emails.get(a.id, a.email)) for a in task.assignees),
        sorted(match(r) for r in task.linked),
    )


def _emails(crm: cb.Bridge, fallback: dict[str, str] | None = None) -> dict[Any, Any]:
    found = {u.id: u.email for u in crm.run(crm.provider.list_users())}
    return found | (fallback or {})


def test_attio_to_kizen_carries_every_open_task_and_verify_agrees(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", "crmbridge.migrate")
    source = get_provider("attio").create_emulator(seed="demo", demo_size=40)
    target = get_provider("kizen").create_emulator()
    with _bridge(source) as src:
        for task in src.tasks(completed=True):  # Kizen cannot take a completed task (below)
            src.delete_task(task.id or "")
        tasks = src.tasks()
        ada = next(u for u in src.run(src.provider.list_users()) if u.email == "ada@crmbridge.test")
    assert len(tasks) >= 2
    report = _run(source, target, ATTIO_TO_KIZEN, tmp_path)
    assert report.ok, report.objects
    assert "notes" not in report.objects  # Kizen's notes cannot be created
    assert any("cannot create notes" in r.getMessage() for r in caplog.records)
    assert report.objects["tasks"].counts["created"] == len(tasks)
    with _bridge(source) as src, _bridge(target) as dst:
        copies = dst.tasks()
        # Ada (Attio's own member) became the fallback user, the Kizen API user
        src_emails = _emails(src, {ada.id or "": "api-user@example.com"})
        assert sorted(_key(src, t, src_emails) for t in tasks) == sorted(
            _key(dst, t, _emails(dst)) for t in copies
        )
    again = _run(source, target, ATTIO_TO_KIZEN, tmp_path)
    assert again.objects["tasks"].counts["noop"] == len(tasks)
    assert again.writes == 0
    checked = _verify(source, target, ATTIO_TO_KIZEN, tmp_path)
    assert checked.ok, checked.differences[:3]
    assert checked.checked["tasks"] == len(tasks)


def test_a_completed_task_is_not_written_to_kizen_and_says_why(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """No source says how a scheduled activity is completed over the API: a completed task
    fails (pending, retried by the next run) with that reason; the open ones arrive."""
    source = get_provider("attio").create_emulator(seed="demo", demo_size=20)
    target = get_provider("kizen").create_emulator()
    with _bridge(source) as src:
        done = len(src.tasks(completed=True))
        open_ = len(src.tasks(completed=False))
    assert done >= 1
    report = _run(source, target, ATTIO_TO_KIZEN, tmp_path)
    assert not report.ok
    assert report.objects["tasks"].counts["failed"] == done
    assert report.objects["tasks"].counts["created"] == open_
    refused = [r for r in caplog.records if "cannot create a completed task" in r.getMessage()]
    assert len(refused) == done


def test_kizen_to_attio_carries_every_note_and_task_and_verify_agrees(tmp_path: Path) -> None:
    source = get_provider("kizen").create_emulator(seed="demo", demo_size=12)
    source.activities.logged.items.clear()  # type: ignore[attr-defined]  # the demo's: ours only
    source.activities.scheduled.clear()  # type: ignore[attr-defined]
    target = get_provider("attio").create_emulator()
    for first, last in (("Grace", "Hopper"), ("Alan", "Turing"), ("Katherine", "Johnson")):
        target.add_member(first, last, f"{first.lower()}@example.com")  # type: ignore[attr-defined]
    due = dt.datetime(2030, 5, 6, 9, 30, tzinfo=dt.UTC)
    with _bridge(source) as src:
        team = [u for u in src.run(src.provider.list_users()) if u.email != "api-user@example.com"]
        contacts = list(src.query("client_client"))[:4]
        company = next(iter(src.query("companies_company")))
        for n, contact in enumerate(contacts):
            src.create_task(
                Task(
                    f"Follow up {n}",
                    deadline=due + dt.timedelta(days=n) if n % 2 == 0 else None,
                    assignees=[User(id=team[n % len(team)].id)] if n != 3 else [],
                    linked=[Ref("client_client", contact.id or "")]
                    + ([Ref("companies_company", company.id or "")] if n == 0 else []),
                )
            )
        first = src.tasks()[0]
        # logged in Kizen's UI: the emulator's state stands in for it (no API completes one)
        source.activities.scheduled[first.id or ""].completed_at = "2030-05-01T10:00:00+00:00"  # type: ignore[attr-defined]
        tasks = src.tasks()
        company_ref = ("companies_company", company.id or "")
        for n, contact in enumerate(contacts[:3]):
            source.activities.logged.log(  # type: ignore[attr-defined]
                NOTE_TYPE,
                f"Call {n}: wants a quote",
                [("client_client", contact.id or "")] + ([company_ref] if n == 0 else []),
                logged_by=team[n % len(team)].id,
                logged_at=dt.datetime(2025, 1, 10 + n, 8, 0, tzinfo=dt.UTC),
            )
        source.activities.logged.log(  # type: ignore[attr-defined]
            NOTE_TYPE, "Company call", [company_ref], logged_by=team[0].id,
            logged_at=dt.datetime(2025, 2, 1, tzinfo=dt.UTC),
        )  # fmt: skip
        notes = [n for o in ("client_client", "companies_company") for n in src.object_notes(o)]
    assert sum(t.completed for t in tasks) == 1
    # the first call, on a contact and the company, is one note, on its first record
    assert len(notes) == 4
    report = _run(source, target, KIZEN_TO_ATTIO, tmp_path)
    assert report.ok, report.objects
    assert report.objects["tasks"].counts["created"] == len(tasks) == 4
    assert report.objects["notes"].counts["created"] == len(notes)
    with _bridge(source) as src, _bridge(target) as dst:
        assert sorted(_key(src, t, _emails(src)) for t in tasks) == sorted(
            _key(dst, t, _emails(dst)) for t in dst.tasks()
        )
        copies = [n for o in ("people", "companies") for n in dst.object_notes(o)]

        def nkey(crm: cb.Bridge, note: Note) -> tuple[Any, ...]:
            parent = crm.get(note.parent.object, note.parent.id)
            match = parent.get("email") or parent.get("email_addresses") or parent.get("name")
            # Attio sets no author (the note is the API token's): the timestamp is kept
            return (str(match[0] if isinstance(match, list) else match), note.content,
                    note.created_at)  # fmt: skip

        assert sorted(nkey(src, n) for n in notes) == sorted(nkey(dst, n) for n in copies)
    again = _run(source, target, KIZEN_TO_ATTIO, tmp_path)
    assert again.objects["tasks"].counts["noop"] == len(tasks)
    assert again.objects["notes"].counts["noop"] == len(notes)
    assert again.writes == 0
    checked = _verify(source, target, KIZEN_TO_ATTIO, tmp_path)
    assert checked.ok, checked.differences[:3]
    assert checked.checked["tasks"] == len(tasks)
    assert checked.checked["notes"] == len(notes)


def test_the_kizen_demo_carries_every_note_and_task_to_attio(tmp_path: Path) -> None:
    """The demo's logged calls and scheduled to-dos (completed ones too) all arrive; --verify
    agrees."""
    source = get_provider("kizen").create_emulator(seed="demo", demo_size=40)
    target = get_provider("attio").create_emulator()
    for first, last in (("Grace", "Hopper"), ("Alan", "Turing"), ("Katherine", "Johnson")):
        target.add_member(first, last, f"{first.lower()}@example.com")  # type: ignore[attr-defined]
    with _bridge(source) as src:
        notes = [n for o in ("client_client", "companies_company") for n in src.object_notes(o)]
        tasks = src.tasks()
    assert len(notes) >= 10
    assert len(tasks) >= 3
    assert any(t.completed for t in tasks)
    report = _run(source, target, KIZEN_TO_ATTIO, tmp_path)
    assert report.ok, report.objects
    assert report.objects["notes"].counts["created"] == len(notes)
    assert report.objects["tasks"].counts["created"] == len(tasks)
    with _bridge(target) as dst:
        assert len([n for o in ("people", "companies") for n in dst.object_notes(o)]) == len(notes)
        assert sorted((t.content, t.deadline, t.completed) for t in dst.tasks()) == sorted(
            (t.content, t.deadline, t.completed) for t in tasks
        )
    checked = _verify(source, target, KIZEN_TO_ATTIO, tmp_path)
    assert checked.ok, checked.differences[:3]
    assert (checked.checked["notes"], checked.checked["tasks"]) == (len(notes), len(tasks))
