"""``migrate --delta`` (issue 20): the first run copies everything; later runs read only what
changed in the source through changes() — creates, updates and deletes reach the target through
the mapping, hashes and the --deletes policy — and a run with nothing changed writes nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from reliability.support import emulator, seeded_source

import crmbridge as cb
from crmbridge.changes import SQLiteFeedStore
from crmbridge.demo import bundled_mapping
from crmbridge.emulation import Emulator
from crmbridge.migrate import migrate, open_state
from crmbridge.migrate.delta import feed_store
from crmbridge.migrate.report import Report
from crmbridge.plugins import get_provider


def _run(source: Emulator, target: Emulator, tmp_path: Path, sent: list[Any], **kw: Any) -> Report:
    return migrate(
        cb.connect_async("attio", emulator=source, on_request=sent.append),
        cb.connect_async("kizen", emulator=target),
        bundled_mapping(),
        state=tmp_path / "s.db",
        failures=tmp_path / "f.jsonl",
        delta=True,
        **kw,
    )


def test_delta_runs_copy_only_what_changed(tmp_path: Path) -> None:
    source, target = seeded_source("attio->kizen", 40), emulator("kizen")
    sent: list[Any] = []
    first = _run(source, target, tmp_path, sent, deletes="archive")
    assert first.failed == 0
    state = open_state(tmp_path / "s.db")
    assert state.cursor("people") is not None  # each object's feed cursor, kept in the state
    state.close()
    with cb.connect("attio", emulator=source) as attio:
        people = list(attio.query("people"))
        assert first.totals()["created"] >= len(people)
        attio.create(
            "people", {"email_addresses": ["new.person@example.com"], "name": "New Person"}
        )
        changed, removed = people[0], people[1]
        attio.update("people", changed.id or "", {"job_title": "Delta Tester"})
        attio.delete("people", removed.id or "")
    sent.clear()
    second = _run(source, target, tmp_path, sent, deletes="archive")
    assert second.failed == 0
    counts = second.objects["people->client_client"].counts
    assert (counts["created"], counts["updated"], counts["archived"]) == (1, 1, 1)
    # nothing unchanged was even looked at (the deleted person's company lost a team member:
    # that change reaches the company's feed, and its mapped values make it a noop)
    assert counts["noop"] == 0
    assert second.totals()["noop"] <= 1
    with cb.connect("kizen", emulator=target) as kizen:
        contacts = {c["email"]: c for c in kizen.query("client_client")}
    assert "new.person@example.com" in contacts
    removed_email = removed["email_addresses"][0]
    assert removed_email not in contacts
    changed_email = changed["email_addresses"][0]
    assert "Delta Tester" in [o.label for o in contacts[changed_email]["titles"]]

    third = _run(source, target, tmp_path, sent, deletes="archive")
    assert sum(third.totals().values()) == 0


def test_delta_takes_no_limit(tmp_path: Path) -> None:
    source = get_provider("attio").create_emulator()
    target = get_provider("kizen").create_emulator()
    with pytest.raises(cb.ConfigError, match="--delta"):
        _run(source, target, tmp_path, [], limit=5)


def test_each_state_gets_the_feed_store_beside_it_even_after_another_state_is_gone(
    tmp_path: Path,
) -> None:
    """A state closed and dropped leaves its feed store behind with it: a later state (which
    the interpreter may place where the dropped one was) gets the store on its own file."""
    for i in range(20):
        state = open_state(tmp_path / f"s{i}.db")
        store = feed_store(state)
        assert isinstance(store, SQLiteFeedStore)
        assert store.path == str(tmp_path / f"s{i}.db")
        state.close()
        del state


def test_a_new_process_on_the_same_state_resumes_the_feed_instead_of_rereading_it(
    state_spec: str, tmp_path: Path
) -> None:
    """Issue 22: the feed's rows live beside the state, on PostgreSQL too. Each ``migrate()`` opens
    the state afresh from its spec, as a new process (another machine) would: with the rows kept
    only in this process the second run would report every source record again (each one a
    ``noop`` write check) or refuse the saved cursor."""
    source, target = seeded_source("attio->kizen", 20), emulator("kizen")

    def run() -> Report:
        return migrate(
            cb.connect_async("attio", emulator=source),
            cb.connect_async("kizen", emulator=target),
            bundled_mapping(),
            state=state_spec,
            failures=tmp_path / "f.jsonl",
            delta=True,
        )

    assert run().failed == 0
    with cb.connect("attio", emulator=source) as attio:
        person = next(iter(attio.query("people")))
        attio.update("people", person.id or "", {"job_title": "Second Process"})
    second = run()
    assert second.failed == 0
    counts = second.objects["people->client_client"].counts
    assert (counts["created"], counts["updated"], counts["noop"]) == (0, 1, 0)
    assert second.totals()["noop"] <= 1
