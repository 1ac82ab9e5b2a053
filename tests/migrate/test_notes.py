"""Notes and tasks in a migration (crmbridge/migrate/notes.py, verify_notes.py): copied after their
parents through the id map, timestamps kept where the target allows, re-runs noop, --verify."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import httpx
import pytest

import crmbridge as cb
from crmbridge import Note, Ref, Task, User
from crmbridge.emulation import Emulator
from crmbridge.migrate import Report, migrate, verify
from crmbridge.migrate.notes import note_for_target, task_for_target
from crmbridge.plugins import get_provider

ATTIO_TO_ATTIO = """
[[objects]]
source = "companies"
target = "companies"
match = "domains"
[objects.fields]
name = "name"
domains = "domains"

[[objects]]
source = "people"
target = "people"
match = "email_addresses"
[objects.fields]
name = "name"
email_addresses = "email_addresses"
company = "company"
"""


def _attio(**options: Any) -> Emulator:
    return get_provider("attio").create_emulator(**options)


def _team() -> Emulator:
    """An empty workspace with the demo's team (tasks' assignees pair by e-mail)."""
    emulator = _attio()
    for first, last in (("Grace", "Hopper"), ("Alan", "Turing"), ("Katherine", "Johnson")):
        emulator.add_member(first, last, f"{first.lower()}@example.com")  # type: ignore[attr-defined]
    return emulator


@pytest.fixture
def mapping(tmp_path: Path) -> Path:
    path = tmp_path / "map.toml"
    path.write_text(ATTIO_TO_ATTIO)
    return path


def _run(source: Emulator, target: Emulator, mapping: Path, tmp: Path) -> Report:
    return migrate(
        cb.connect_async("attio", emulator=source),
        cb.connect_async("attio", emulator=target),
        mapping,
        state=tmp / "s.db",
        failures=tmp / "f.jsonl",
    )


def _all_notes(crm: cb.Bridge, objects: tuple[str, ...] = ("people", "companies")) -> list[Note]:
    return [n for o in objects for r in crm.query(o) for n in crm.notes(o, r.id or "")]


def test_every_note_and_task_arrives_and_a_rerun_is_noop(mapping: Path, tmp_path: Path) -> None:
    source, target = _attio(seed="demo", demo_size=30), _team()
    report = _run(source, target, mapping, tmp_path)
    assert report.ok, report.objects
    with cb.connect("attio", emulator=source) as src, cb.connect("attio", emulator=target) as dst:
        notes, copies = _all_notes(src), _all_notes(dst)
        assert len(notes) > 10
        assert report.objects["notes"].counts["created"] == len(notes) == len(copies)

        # parent (by its match value), title, content, format and timestamp of each
        def key(crm: cb.Bridge, n: Note) -> tuple[Any, ...]:
            parent = crm.get(n.parent.object, n.parent.id)
            match = parent.get("email_addresses") or parent.get("domains")
            return (n.parent.object, str(match), n.title, n.content, n.format, n.created_at)

        assert sorted(key(src, n) for n in notes) == sorted(key(dst, n) for n in copies)
        tasks, task_copies = src.tasks(), dst.tasks()
        assert len(tasks) >= 3
        assert report.objects["tasks"].counts["created"] == len(tasks) == len(task_copies)
        members = {u.id: u.email for u in src.run(src.provider.list_users())}
        target_members = {u.id: u.email for u in dst.run(dst.provider.list_users())}

        def tkey(crm: cb.Bridge, t: Task, who: dict[Any, Any]) -> tuple[Any, ...]:
            links = sorted(
                str(
                    crm.get(r.object, r.id).get("email_addresses")
                    or crm.get(r.object, r.id).get("domains")
                )
                for r in t.linked
            )
            return (
                t.content,
                t.deadline,
                t.completed,
                sorted(who[a.id] for a in t.assignees),
                links,
            )

        assert sorted(tkey(src, t, members) for t in tasks) == sorted(
            tkey(dst, t, target_members) for t in task_copies
        )
    again = _run(source, target, mapping, tmp_path)
    assert again.objects["notes"].counts["noop"] == len(notes)
    assert again.objects["tasks"].counts["noop"] == len(tasks)
    assert again.writes == 0
    checked = verify(
        cb.connect_async("attio", emulator=source),
        cb.connect_async("attio", emulator=target),
        mapping,
        state=tmp_path / "s.db",
    )
    assert checked.ok, checked.differences[:3]
    assert checked.checked["notes"] == len(notes)
    assert checked.checked["tasks"] == len(tasks)


def test_notes_are_read_a_page_of_notes_at_a_time_not_a_request_per_record(
    mapping: Path, tmp_path: Path
) -> None:
    """Attio lists an object's notes in pages of 50 (``GET /v2/notes?parent_object=``): reading
    them costs a request per page, where it cost one per migrated record (issue 21)."""
    source, target = _attio(seed="demo", demo_size=40), _team()
    note_reads: list[httpx.Request] = []

    def count(request: httpx.Request) -> None:
        if request.method == "GET" and request.url.path == "/v2/notes":
            note_reads.append(request)

    report = migrate(
        cb.connect_async("attio", emulator=source, on_request=count),
        cb.connect_async("attio", emulator=target),
        mapping,
        state=tmp_path / "s.db",
        failures=tmp_path / "f.jsonl",
    )
    assert report.ok, report.objects
    notes = report.objects["notes"].counts["created"]
    records = sum(report.objects[f"{o}->{o}"].total for o in ("people", "companies"))
    assert notes > 0
    assert records > 40
    # one page per object, plus one per further 50 notes
    assert len(note_reads) <= 2 + notes // 50, [str(r.url) for r in note_reads]
    assert all("parent_record_id" not in r.url.params for r in note_reads)


def test_changes_are_carried_and_verify_sees_a_lost_note(mapping: Path, tmp_path: Path) -> None:
    source, target = _attio(seed="demo", demo_size=20), _team()
    _run(source, target, mapping, tmp_path)
    with cb.connect("attio", emulator=source) as src, cb.connect("attio", emulator=target) as dst:
        task = src.tasks(completed=False)[0]
        src.complete_task(task.id or "")
        person = next(src.query("people"))
        added = src.create_note(Note(Ref("people", person.id or ""), "new", title="Later"))
        report = _run(source, target, mapping, tmp_path)
        assert report.objects["tasks"].counts["updated"] == 1
        assert report.objects["notes"].counts["created"] == 1
        assert any(t.completed and t.content == task.content for t in dst.tasks(completed=True))
        # a note deleted in the target behind the migration's back: --verify says so
        copy = next(n for n in _all_notes(dst, ("people",)) if n.content == "new")
        dst.delete_note(copy.id or "")
    checked = verify(
        cb.connect_async("attio", emulator=source),
        cb.connect_async("attio", emulator=target),
        mapping,
        state=tmp_path / "s.db",
    )
    assert [(d.object, d.source_id) for d in checked.differences] == [("notes", added.id)]


def test_translation_keeps_what_the_target_can_take() -> None:
    when = dt.datetime(2024, 1, 2, tzinfo=dt.UTC)
    note = Note(
        Ref("people", "p"),
        "**x**",
        title="T",
        format="markdown",
        created_at=when,
        author=User(id="u1"),
    )
    parent = Ref("contacts", "c")
    plain = note_for_target(note, parent, cb.Capabilities(notes=True))
    assert (plain.format, plain.content, plain.created_at, plain.author) == (
        "plaintext",
        "**x**",
        None,
        None,
    )
    full = note_for_target(
        note,
        parent,
        cb.Capabilities(
            notes=True,
            notes_backdate=True,
            notes_author=True,
            note_formats=frozenset({"plaintext", "markdown"}),
        ),
        users=lambda u: User(id="t-" + str(u.id)),
    )
    assert (full.format, full.created_at, full.author) == ("markdown", when, User(id="t-u1"))
    task = task_for_target(
        Task("x", assignees=[User(id="u1")]), [parent], users=lambda u: User(email="a@b.c")
    )
    assert (task.assignees, task.linked) == ((User(email="a@b.c"),), (parent,))


def test_backup_to_sqlite_and_back_keeps_every_note_and_task(mapping: Path, tmp_path: Path) -> None:
    """Attio → SQLite (which keeps authors and timestamps as given) → a fresh Attio: both
    directions carry every note and task, and --verify agrees each time."""
    import asyncio

    from crmbridge_sqlite import copy_schema_async

    source, restored = _attio(seed="demo", demo_size=20), _team()
    backup = str(tmp_path / "backup.db")

    async def schema() -> None:
        async with (
            cb.connect_async("attio", emulator=source) as src,
            cb.connect_async("sqlite", path=backup) as dst,
        ):
            await copy_schema_async(src, dst, ["companies", "people"])

    asyncio.run(schema())
    there = migrate(
        cb.connect_async("attio", emulator=source),
        cb.connect_async("sqlite", path=backup),
        mapping,
        state=tmp_path / "a.db",
        failures=None,
    )
    back = migrate(
        cb.connect_async("sqlite", path=backup),
        cb.connect_async("attio", emulator=restored),
        mapping,
        state=tmp_path / "b.db",
        failures=None,
    )
    assert there.ok
    assert back.ok
    for src_args, dst_args, state in (
        (("attio", {"emulator": source}), ("sqlite", {"path": backup}), "a.db"),
        (("sqlite", {"path": backup}), ("attio", {"emulator": restored}), "b.db"),
    ):
        checked = verify(
            cb.connect_async(src_args[0], **src_args[1]),
            cb.connect_async(dst_args[0], **dst_args[1]),
            mapping,
            state=tmp_path / state,
        )
        assert checked.ok, checked.differences[:3]
        assert checked.checked["notes"] > 10
        assert checked.checked["tasks"] >= 2
    with (
        cb.connect("attio", emulator=source) as first,
        cb.connect("sqlite", path=backup) as local,
        cb.connect("attio", emulator=restored) as last,
    ):

        def notes(crm: cb.Bridge) -> list[tuple[Any, ...]]:
            out = []
            for obj, key in (("people", "email_addresses"), ("companies", "domains")):
                for record in crm.query(obj):
                    for n in crm.notes(obj, record.id or ""):
                        out.append((str(record[key]), n.title, n.content, n.format, n.created_at))
            return sorted(out)

        assert notes(first) == notes(local) == notes(last)
        # the backup keeps the author Attio gave (its API token); Attio cannot set one
        authors = {
            n.author for p in local.query("people") for n in local.notes("people", p.id or "")
        }
        assert authors
        assert all(a is not None and a.kind == "api-token" for a in authors)
        assert len(first.tasks()) == len(local.tasks()) == len(last.tasks())
        assert sorted(t.content for t in first.tasks()) == sorted(t.content for t in last.tasks())


def test_restoring_from_a_side_without_users_keeps_known_users_or_the_fallback(
    tmp_path: Path,
) -> None:
    """From a SQLite backup (no users of its own) into Attio: a user Attio knows is kept, any
    other is the mapping's fallback user, and without one it is refused, naming the fix."""
    import asyncio

    from crmbridge.migrate import parse_mapping
    from crmbridge.migrate.notes import pairing

    target = _team()
    objects = [{"source": "people", "target": "people", "fields": {"name": "name"}}]
    plain = parse_mapping({"objects": objects})
    with_fallback = parse_mapping({"objects": objects, "users": {"fallback": "grace@example.com"}})

    async def pair(mapping: Any) -> Any:
        async with (
            cb.connect_async("sqlite", path=str(tmp_path / "b.db")) as src,
            cb.connect_async("attio", emulator=target) as dst,
        ):
            users = await dst.run(dst.provider.list_users())
            return await pairing(src, dst, mapping), {u.email: u for u in users}

    strict, team = asyncio.run(pair(plain))
    grace = team["grace@example.com"]
    assert strict(User(id=grace.id)).id == grace.id
    assert strict(User(email="GRACE@example.com")).id == grace.id
    with pytest.raises(cb.ValidationError, match="name a fallback user"):
        strict(User(id="00000000-0000-4000-8000-000000000000"))
    lenient, _ = asyncio.run(pair(with_fallback))
    assert lenient(User(id="00000000-0000-4000-8000-000000000000")).id == grace.id
