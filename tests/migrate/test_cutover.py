"""Issue 18 on the emulators, both directions: a migration a team can operate while both CRMs
stay in use — deletes in the source, edits made in the target, and undo of a run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from reliability.support import (
    TARGET_OBJECTS,
    emulator,
    mapping_for,
    seeded_source,
    snapshot,
    target_key,
)

import crmbridge as cb
from crmbridge.emulation import Emulator
from crmbridge.migrate import Report, migrate

#: Source people object, target people object, target match field, per direction.
PEOPLE = {
    "attio->kizen": ("people", "client_client", "email"),
    "kizen->attio": ("client_client", "people", "email_addresses"),
}
DIRECTIONS = list(PEOPLE)


def _run(source: Emulator, target: Emulator, direction: str, tmp: Path, **kw: Any) -> Report:
    kw.setdefault("failures", tmp / "failures-{run}.jsonl")
    return migrate(
        cb.connect_async(source.name, emulator=source),
        cb.connect_async(target.name, emulator=target),
        mapping_for(direction),
        state=tmp / "state.db",
        **kw,
    )


def _key(value: Any) -> Any:
    return value[0] if isinstance(value, list) else value


def _people(em: Emulator, obj: str, match: str) -> dict[str, cb.Record]:
    with cb.connect(em.name, emulator=em) as crm:
        return {_key(r[match]): r for r in crm.query(obj)}


def _remove(em: Emulator, obj: str, ids: list[str]) -> None:
    """Delete (Attio) or archive (Kizen) source records, as a user of that CRM would."""
    with cb.connect(em.name, emulator=em) as crm:
        for rid in ids:
            if crm.capabilities.delete:
                crm.delete(obj, rid)
            else:
                crm.archive(obj, rid)


def _people_key(direction: str) -> str:
    return "people->client_client" if direction == "attio->kizen" else "client_client->people"


def _source_emails(em: Emulator, obj: str, ids: list[str]) -> set[str]:
    match = "email_addresses" if em.name == "attio" else "email"
    with cb.connect(em.name, emulator=em) as crm:
        return {_key(crm.get(obj, rid)[match]) for rid in ids}


@pytest.mark.parametrize("direction", DIRECTIONS)
def test_deletes_are_reported_then_propagated(direction: str, tmp_path: Path) -> None:
    source_obj, target_obj, match = PEOPLE[direction]
    source = seeded_source(direction, 40)
    target = emulator(direction.split("->")[1])
    assert _run(source, target, direction, tmp_path).ok
    with cb.connect(source.name, emulator=source) as crm:
        victims = [r.id for r in crm.query(source_obj, limit=5)]
    assert all(victims)
    gone_emails = _source_emails(source, source_obj, victims)  # type: ignore[arg-type]
    before = _people(target, target_obj, match)
    _remove(source, source_obj, victims)  # type: ignore[arg-type]

    report = _run(source, target, direction, tmp_path)  # --deletes report (the default)
    counts = report.objects[_people_key(direction)].counts
    assert counts["gone"] == 5
    assert counts["archived"] == counts["deleted"] == 0
    assert _people(target, target_obj, match).keys() == before.keys()  # nothing changed
    assert report.ok

    policy = "archive" if target.name == "kizen" else "delete"
    other = "delete" if policy == "archive" else "archive"
    with pytest.raises(cb.ConfigError, match=f"--deletes {other}"):
        _run(source, target, direction, tmp_path, deletes=other)
    propagated = _run(source, target, direction, tmp_path, deletes=policy)
    counts = propagated.objects[_people_key(direction)].counts
    assert counts["gone"] == 5
    assert counts["archived" if policy == "archive" else "deleted"] == 5
    after = _people(target, target_obj, match)
    assert set(before) - set(after) == gone_emails  # exactly those 5
    assert len(after) == len(before) - 5
    # Propagated: the next run has nothing gone left to report.
    quiet = _run(source, target, direction, tmp_path, deletes=policy)
    assert quiet.objects[_people_key(direction)].counts["gone"] == 0


def _snapshot(em: Emulator, direction: str) -> dict[str, list[Any]]:
    return snapshot(em, TARGET_OBJECTS[direction], target_key)


@pytest.mark.parametrize("direction", DIRECTIONS)
def test_undo_of_a_first_run_leaves_the_target_as_it_was(direction: str, tmp_path: Path) -> None:
    source_obj, target_obj, _ = PEOPLE[direction]
    source = seeded_source(direction, 30)
    target = emulator(direction.split("->")[1], seed="demo", demo_size=10, random_seed=2)
    # Three people the target already has (same e-mail, other values): the run overwrites them.
    source_match = "email_addresses" if source.name == "attio" else "email"
    with cb.connect(source.name, emulator=source) as crm:
        emails = [_key(r[source_match]) for r in crm.query(source_obj, limit=3)]
    with cb.connect(target.name, emulator=target) as crm:
        for i, email in enumerate(emails):
            if target.name == "kizen":
                values = {"email": email, "first_name": "Old", "last_name": f"Name {i}"}
            else:
                values = {"email_addresses": email, "name": f"Old Name {i}"}
            crm.create(target_obj, values)
    before = _snapshot(target, direction)
    first = _run(source, target, direction, tmp_path)
    assert first.ok
    assert first.objects[_people_key(direction)].counts["updated"] == 3
    assert _snapshot(target, direction) != before
    undone = cb.migrate.undo(
        cb.connect_async(target.name, emulator=target), first.run_id, state=tmp_path / "state.db"
    )
    assert undone.ok, undone.left_alone
    assert _snapshot(target, direction) == before  # record count and every value
    # The state forgot what was undone: the next run writes it all again.
    again = _run(source, target, direction, tmp_path)
    assert again.ok
    assert again.writes == first.writes


#: Per direction: (target field someone edits, the value, the source field changed meanwhile, its
#: new value, how to read the edited field back as text).
EDITS = {
    "attio->kizen": ("last_name", "Edited", "job_title", "Chief Tester"),
    "kizen->attio": ("name", "Edited Person", "mobile_phone", "+14155552671"),
}


def _text(value: Any) -> str:
    return value.display if isinstance(value, cb.PersonName) else str(value)


@pytest.mark.parametrize("direction", DIRECTIONS)
def test_edits_made_in_the_target_are_kept_or_overwritten(direction: str, tmp_path: Path) -> None:
    source_obj, target_obj, match = PEOPLE[direction]
    edited_field, edited_value, source_field, source_value = EDITS[direction]
    source = seeded_source(direction, 30)
    target = emulator(direction.split("->")[1])
    assert _run(source, target, direction, tmp_path).ok
    with cb.connect(source.name, emulator=source) as crm:
        people = list(crm.query(source_obj, limit=10))
    source_match = "email_addresses" if source.name == "attio" else "email"
    untouched, victims = people[:5], people[5:10]

    def change_source(records: list[cb.Record], n: int) -> None:
        with cb.connect(source.name, emulator=source) as crm:
            for i, r in enumerate(records):
                assert r.id is not None
                value = source_value if source_field != "mobile_phone" else f"+1415555{n}{i:03d}"
                crm.update(source_obj, r.id, {source_field: value})

    # Source changes alone are no conflict: the digests of what was written match the target.
    change_source(untouched, 1)
    clean = _run(source, target, direction, tmp_path)
    counts = clean.objects[_people_key(direction)].counts
    assert (counts["updated"], counts["conflict"]) == (5, 0), counts

    # Someone edits 5 target records; their source records change in another field.
    emails = [_key(r[source_match]) for r in victims]
    targets = _people(target, target_obj, match)
    with cb.connect(target.name, emulator=target) as crm:
        for email in emails:
            crm.update(target_obj, targets[email].id, {edited_field: edited_value})  # type: ignore[arg-type]
    change_source(victims, 2)

    kept = _run(source, target, direction, tmp_path)  # --on-target-changed keep (the default)
    report = kept.objects[_people_key(direction)]
    assert report.counts["conflict"] == 5
    assert report.counts["updated"] == 0
    assert sorted(c["source_id"] for c in report.conflicts) == sorted(r.id for r in victims)  # type: ignore[type-var]
    assert all(c["fields"] == [edited_field] for c in report.conflicts)
    assert kept.ok  # a kept conflict is a decision, not a failure
    now = _people(target, target_obj, match)
    assert all(_text(now[e][edited_field]) == edited_value for e in emails)
    # Still a conflict on the next run: nothing is decided for the user.
    again = _run(source, target, direction, tmp_path)
    assert again.objects[_people_key(direction)].counts["conflict"] == 5

    failed = _run(source, target, direction, tmp_path, on_target_changed="fail")
    assert failed.objects[_people_key(direction)].counts["failed"] == 5
    assert not failed.ok

    overwritten = _run(source, target, direction, tmp_path, on_target_changed="overwrite")
    assert overwritten.objects[_people_key(direction)].counts["updated"] == 5
    assert overwritten.ok
    now = _people(target, target_obj, match)
    with cb.connect(source.name, emulator=source) as crm:
        fresh = {_key(r[source_match]): r for r in crm.query(source_obj)}
    for email in emails:
        assert _text(now[email][edited_field]) != edited_value
        if direction == "attio->kizen":
            assert now[email]["last_name"] == fresh[email]["name"].last
        else:
            assert _text(now[email]["name"]) == fresh[email]["full_name"]
