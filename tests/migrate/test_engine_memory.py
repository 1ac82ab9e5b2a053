"""The engine's memory does not grow with the number of records (issue 24): the id map, the
claims and the scan's seen set are read from the state per page, behind a bounded cache; each
record is transformed once. Speed and memory figures are bench/engine_memory.py's."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from toy_provider import ToyCRM, ToyPlugin

import crmbridge as cb
from crmbridge.migrate import Report, migrate, parse_mapping
from crmbridge.migrate.plan import ObjectPlan
from crmbridge.migrate.state import SQLiteStore

MAPPING = {
    "objects": [
        {
            "source": "contacts",
            "target": "contacts",
            "match": "email",
            "fields": {"email": "email", "name": "name", "tier": "tier"},
        }
    ]
}
RECORDS = 57  # six pages of the toy CRM's 10


@pytest.fixture
def crms(toy_plugin: ToyPlugin) -> tuple[ToyCRM, ToyCRM]:
    src, dst = ToyCRM(), ToyCRM()
    for i in range(RECORDS):
        src.records[str(i)] = {
            "id": str(i),
            "email": f"p{i}@x.co",
            "name": f"P {i}",
            "tier": "Gold",
        }
    return src, dst


def _run(src: ToyCRM, dst: ToyCRM, state: SQLiteStore, **kw: Any) -> Report:
    source = cb.connect_async("toy", token=src.token, transport=httpx.MockTransport(src))
    target = cb.connect_async("toy", token=dst.token, transport=httpx.MockTransport(dst))
    return migrate(source, target, parse_mapping(MAPPING), state=state, failures=None, **kw)


def _statements(state: SQLiteStore) -> list[str]:
    said: list[str] = []
    state.db.set_trace_callback(said.append)
    return said


def test_a_run_reads_the_id_map_page_by_page_never_whole(
    crms: tuple[ToyCRM, ToyCRM], tmp_path: Path
) -> None:
    src, dst = crms
    # Room for what is read ahead (two pages and the queue of 2 writers x 4), not for the run.
    state = SQLiteStore(tmp_path / "s.db", cache_rows=30)
    said = _statements(state)
    first = _run(src, dst, state, concurrency=2)
    assert first.objects["contacts->contacts"].counts["created"] == RECORDS
    said.clear()
    again = _run(src, dst, state, concurrency=2)
    assert again.objects["contacts->contacts"].counts == {"noop": RECORDS}
    assert state.held_rows() <= 2 * 30
    reads = [s for s in said if re.search(r"\bFROM (idmap|matchkey)\b", s) and "SELECT" in s]
    # Every read of the id map names the rows it wants (a page's, or one), or is the scan's
    # "which were not read" query: none loads a whole object's rows into memory.
    whole = [s for s in reads if " IN (" not in s and "LIMIT" not in s and "NOT EXISTS" not in s]
    assert whole == []
    pages = RECORDS // 10 + 1
    assert len(reads) <= 2 * pages  # a bounded number per page (not one per record)


def test_a_cache_smaller_than_a_page_still_migrates_right(
    crms: tuple[ToyCRM, ToyCRM], tmp_path: Path
) -> None:
    src, dst = crms
    state = SQLiteStore(tmp_path / "s.db", cache_rows=3)
    assert _run(src, dst, state).objects["contacts->contacts"].counts["created"] == RECORDS
    src.records["5"]["name"] = "Changed"
    del src.records["9"]
    third = _run(src, dst, state)
    assert third.objects["contacts->contacts"].counts == {
        "noop": RECORDS - 2,
        "updated": 1,
        "gone": 1,
    }
    assert len(dst.records) == RECORDS
    assert state.held_rows() <= 2 * 3


def test_each_record_is_transformed_once(
    crms: tuple[ToyCRM, ToyCRM], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src, dst = crms
    calls: list[str] = []
    transform = ObjectPlan.transform

    def counted(self: ObjectPlan, record: cb.Record, resolve: Any) -> Any:
        calls.append(record.id or "")
        return transform(self, record, resolve)

    monkeypatch.setattr(ObjectPlan, "transform", counted)
    report = _run(src, dst, SQLiteStore(tmp_path / "s.db"))
    assert report.objects["contacts->contacts"].counts["created"] == RECORDS
    assert sorted(calls) == sorted(src.records)


def test_a_record_with_a_deferred_reference_is_transformed_again_when_written(
    crms: tuple[ToyCRM, ToyCRM], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reference that could not be resolved when the page was read may be by the time the
    record is written (the record it names was written meanwhile): that one is transformed
    again, and what the second transform says is written."""
    src, dst = crms
    calls: list[str] = []
    transform = ObjectPlan.transform

    def deferring(self: ObjectPlan, record: cb.Record, resolve: Any) -> Any:
        calls.append(record.id or "")
        values, deferred = transform(self, record, resolve)
        if record.id == "3":
            if calls.count("3") == 1:  # as if its reference was not migrated yet
                return values, {"name": [{"object": "contacts", "id": "4"}]}
            values = {**values, "name": "resolved"}
        return values, deferred

    monkeypatch.setattr(ObjectPlan, "transform", deferring)
    report = _run(src, dst, SQLiteStore(tmp_path / "s.db"))
    assert report.objects["contacts->contacts"].counts["created"] == RECORDS
    assert calls.count("3") == 2
    assert [r["name"] for r in dst.records.values() if r["email"] == "p3@x.co"] == ["resolved"]
    assert len(calls) == RECORDS + 1


def test_a_rerun_reads_unchanged_pages_at_once_and_a_first_run_one_ahead(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pages with nothing to write are read several at once (offset pages: Attio names the next
    page's offset before the page is read); pages being written are read one at a time."""
    from crmbridge.demo import bundled_mapping
    from crmbridge.emulation import EmulatorTransport
    from crmbridge.plugins import get_provider

    queries = {"now": 0, "peak": 0}
    handle = EmulatorTransport.handle_async_request

    async def counted(self: EmulatorTransport, request: httpx.Request) -> httpx.Response:
        if not request.url.path.endswith("/records/query"):
            return await handle(self, request)
        queries["now"] += 1
        queries["peak"] = max(queries["peak"], queries["now"])
        try:
            return await handle(self, request)
        finally:
            queries["now"] -= 1

    monkeypatch.setattr(EmulatorTransport, "handle_async_request", counted)
    attio = get_provider("attio").create_emulator(seed="demo", demo_size=1600, latency_ms=5)
    kizen = get_provider("kizen").create_emulator()

    def run() -> Report:
        return migrate(
            cb.connect_async("attio", emulator=attio),
            cb.connect_async("kizen", emulator=kizen),
            bundled_mapping(),
            state=tmp_path / "s.db",
            failures=None,
        )

    first = run()
    assert first.failed == 0
    assert queries["peak"] == 1
    again = run()
    assert {k: dict(o.counts) for k, o in again.objects.items()} == {
        k: {"noop": o.total} for k, o in first.objects.items()
    }
    assert queries["peak"] > 1


def test_answers_are_freed_when_unused_not_left_for_the_cyclic_collector(
    crms: tuple[ToyCRM, ToyCRM],
) -> None:
    """httpx's bound stream points back at its response: unless the driver breaks that cycle once
    the body is read, every page (its body and parsed JSON) waits for a full run of the cyclic
    collector, and a long migration's memory grows with its records until then."""
    import gc

    src, _ = crms
    with cb.connect("toy", token=src.token, transport=httpx.MockTransport(src)) as crm:
        gc.collect()
        gc.disable()
        try:
            assert sum(1 for _ in crm.query("contacts")) == RECORDS
            gc.set_debug(gc.DEBUG_SAVEALL)
            gc.collect()
            left = [o for o in gc.garbage if isinstance(o, httpx.Response)]
        finally:
            gc.set_debug(0)
            gc.garbage.clear()
            gc.enable()
    assert left == []


@pytest.mark.parametrize("dry_run", [False, True])
def test_the_free_heap_goes_back_after_every_page(
    crms: tuple[ToyCRM, ToyCRM], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dry_run: bool
) -> None:
    """glibc keeps the space of freed answer bodies inside its heap (crmbridge/heap.py): the
    engine gives it back once per page done, so a long run's RSS does not ratchet up."""
    from crmbridge import heap

    calls: list[bool] = []
    monkeypatch.setattr(heap, "return_free_memory", lambda: calls.append(True) or True)
    src, dst = crms
    _run(src, dst, SQLiteStore(tmp_path / "s.db"), dry_run=dry_run)
    assert len(calls) == RECORDS // 10 + 1  # the toy CRM's pages of 10
