"""The migration state, in every store (SQLite and PostgreSQL: infra.states): match value claims,
kept with the page that wrote them, and change-feed cursors."""

from __future__ import annotations

from pathlib import Path

from crmbridge.migrate import open_state
from crmbridge.migrate.state import PostgresStore, SQLiteStore, StateStore
from crmbridge.migrate.state.store import QUERY_CHUNK, Digests


def test_a_match_value_belongs_to_the_first_source_record(state_spec: str) -> None:
    state = open_state(state_spec)
    assert state.claim("contacts", ["a@x.co", "b@x.co"], ("people", "1")) is None
    assert state.claim("contacts", ["a@x.co"], ("people", "1")) is None  # its own: fine
    assert state.claim("contacts", ["c@x.co", "b@x.co"], ("people", "2")) == ("people", "1")
    assert state.claim("companies", ["a@x.co"], ("people", "2")) is None  # another target object
    # The refused claim took nothing: c@x.co is still free.
    assert state.claim("contacts", ["c@x.co"], ("people", "3")) is None


def test_a_failed_write_gives_its_values_back(state_spec: str) -> None:
    state = open_state(state_spec)
    assert state.claim("contacts", ["a@x.co"], ("people", "1")) is None
    state.release("contacts", ("people", "1"))
    assert state.claim("contacts", ["a@x.co"], ("people", "2")) is None


def test_only_written_claims_are_kept_and_only_with_the_checkpoint(state_spec: str) -> None:
    state = open_state(state_spec)
    state.claim("contacts", ["a@x.co"], ("people", "1"))
    state.keep("contacts", ("people", "1"))
    state.claim("contacts", ["d@x.co"], ("people", "4"))
    state.keep("contacts", ("people", "4"), persist=False)  # a dry run: no trace
    state.commit("people", {"page": 2})
    state.claim("contacts", ["b@x.co"], ("people", "2"))  # written, but its page never finished
    state.keep("contacts", ("people", "2"))
    state.close()
    again = open_state(state_spec)
    assert again.claim("contacts", ["a@x.co"], ("people", "9")) == ("people", "1")
    assert again.claim("contacts", ["b@x.co"], ("people", "9")) is None
    assert again.claim("contacts", ["d@x.co"], ("people", "8")) is None


def test_change_feed_cursors_survive_a_reopen(state_spec: str) -> None:
    state = open_state(state_spec)
    assert state.cursor("people") is None
    state.set_cursor("people", {"after": "2026-12-03T10:00:00Z", "ids": ["a", "b"]})
    state.close()
    again = open_state(state_spec)
    assert again.cursor("people") == {"after": "2026-12-03T10:00:00Z", "ids": ["a", "b"]}
    assert again.cursor("companies") is None


def test_a_state_made_before_written_values_were_kept_gains_the_column(state_spec: str) -> None:
    """One table definition for both stores (crmbridge/migrate/state/schema.py): a state whose
    id map predates ``written_json`` gets the column when opened, rows kept."""
    old = (
        "CREATE TABLE idmap (source_object TEXT NOT NULL, source_id TEXT NOT NULL, "
        "target_object TEXT NOT NULL, target_id TEXT NOT NULL, hash TEXT NOT NULL, "
        "PRIMARY KEY (source_object, source_id))"
    )
    row = "INSERT INTO idmap VALUES ('people', 'p1', 'contacts', 'c1', 'h1')"
    if state_spec.startswith("postgresql://"):
        import psycopg

        with psycopg.connect(state_spec, autocommit=True) as pg:
            pg.execute(old)
            pg.execute(row)
    else:
        import sqlite3

        with sqlite3.connect(state_spec) as lite:
            lite.execute(old)
            lite.execute(row)
    state = open_state(state_spec)
    assert state.target_id("people", "p1") == "c1"
    state.record("people", "p2", "contacts", "c2", "h2", written={"email": "x@example.com"})
    state.flush()
    state.close()
    again = open_state(state_spec)
    assert again.target_id("people", "p2") == "c2"
    again.close()


def _small(state_spec: str, rows: int) -> StateStore:
    """The store of ``state_spec`` with a cache of ``rows`` rows."""
    if state_spec.startswith("postgresql://"):
        return PostgresStore(state_spec, cache_rows=rows)
    return SQLiteStore(state_spec, cache_rows=rows)


def test_the_id_map_cache_is_bounded_and_reads_evicted_rows_again(state_spec: str) -> None:
    state = _small(state_spec, 5)
    for i in range(40):
        state.record("people", str(i), "contacts", f"t{i}", f"h{i}", {"name": f"d{i}"})
        state.claim("contacts", [f"p{i}@x.co"], ("people", str(i)))
        state.keep("contacts", ("people", str(i)))
    state.commit("people", {"page": 1})
    assert state.held_rows() <= 2 * 5  # not one row per record
    for i in reversed(range(40)):  # every row read again, right, after being evicted
        assert state.target_id("people", str(i)) == f"t{i}"
        assert state.hash_of("people", str(i)) == f"h{i}"
        assert state.claim("contacts", [f"p{i}@x.co"], ("people", "x")) == ("people", str(i))
    assert state.target_id("people", "40") is None
    assert state.held_rows() <= 2 * 5
    # A page's rows in one query, then answered from memory.
    before = state.queries
    state.load("people", [str(i) for i in range(5)])
    assert state.queries == before + 1
    assert [state.target_id("people", str(i)) for i in range(5)] == [f"t{i}" for i in range(5)]
    assert state.queries == before + 1


def test_rows_written_since_the_last_save_are_seen_before_it(state_spec: str) -> None:
    state = _small(state_spec, 2)
    for i in range(10):
        state.record("people", str(i), "contacts", f"t{i}", f"h{i}")
    assert [state.target_id("people", str(i)) for i in range(10)] == [f"t{i}" for i in range(10)]
    assert state.target_known("contacts", "t7")
    assert not state.target_known("contacts", "t99")
    state.forget("people", "3")
    assert state.target_id("people", "3") is None
    assert state.source_ids("people") == {str(i) for i in range(10)} - {"3"}
    state.flush()
    assert state.target_id("people", "3") is None
    assert state.target_known("contacts", "t7")


def test_unseen_names_the_migrated_records_a_scan_did_not_read(state_spec: str) -> None:
    state = open_state(state_spec)
    for i in range(6):
        state.record("people", str(i), "contacts", f"t{i}", "h")
    state.flush()
    state.record("people", "6", "contacts", "t6", "h")  # not saved yet: a candidate too
    state.clear_seen("people")
    state.mark_seen("people", ["0", "2", "5"])
    assert state.unseen("people") == ["1", "3", "4", "6"]
    state.clear_seen("people")
    assert state.unseen("people") == [str(i) for i in range(7)]
    state.close()
    again = open_state(state_spec)
    again.mark_seen("people", ["0"])  # marks are this process's only: none were saved
    assert again.unseen("people") == [str(i) for i in range(1, 6)]


def test_deferred_references_are_read_past_a_page_of_rows(state_spec: str) -> None:
    state = open_state(state_spec)
    total = QUERY_CHUNK + 7
    for i in range(total):
        state.defer("people", f"{i:05}", f"t{i}", {"a": i}, {"company": [i]})
    seen = []
    for obj, sid, _tid, values, _refs in state.deferred():
        seen.append(sid)
        if values["a"] % 2:
            state.resolved(obj, sid)  # resolved while iterating: the iteration goes on
    assert seen == [f"{i:05}" for i in range(total)]
    assert len(list(state.deferred())) == (total + 1) // 2


def test_sqlite_keeps_the_scans_seen_set_in_a_file_not_in_memory(tmp_path: Path) -> None:
    """A row per record read: at 1M records it must not be in the process (issue 24), whatever
    the SQLite build's default for temp tables (SQLITE_TEMP_STORE)."""
    state = SQLiteStore(tmp_path / "s.db")
    assert state.db.execute("PRAGMA temp_store").fetchone() == (1,)  # 1: FILE
    state.mark_seen("people", [str(i) for i in range(3)])
    assert state.db.execute("SELECT count(*) FROM temp.seen").fetchone() == (3,)


def test_every_source_id_is_read_a_page_at_a_time_in_order(state_spec: str) -> None:
    """A pass over every migrated record (notes read per record) holds a page of ids, not the
    object's all (issue 24); rows not saved yet count, forgotten ones do not."""
    state = open_state(state_spec)
    saved = [f"{i:05d}" for i in range(2 * QUERY_CHUNK + 3)]
    for sid in saved:
        state.record("people", sid, "contacts", f"t{sid}", "h")
    state.record("companies", "00007", "companies", "c7", "h")  # another object: not listed
    state.flush()
    state.record("people", "00001x", "contacts", "t1x", "h")  # not saved yet
    state.forget("people", "00002")
    pages: list[int] = []
    read = state._source_ids_after

    def spy(source_object: str, after: str, limit: int) -> list[str]:
        page = read(source_object, after, limit)
        pages.append(len(page))
        return page

    state._source_ids_after = spy  # type: ignore[method-assign]
    ids = state.each_source_id("people")
    assert next(ids) == "00000"
    assert pages == [QUERY_CHUNK]  # lazily: one page read so far
    rest = list(ids)
    assert ["00000", *rest] == sorted(set(saved) - {"00002"} | {"00001x"})
    assert pages == [QUERY_CHUNK, QUERY_CHUNK, 3]
    assert state.count("people") == len(saved)  # one forgotten, one added


def test_cached_rows_hold_their_digests_as_text_and_read_as_a_mapping(state_spec: str) -> None:
    """The id map cache's rows keep ``written`` as the compact text the store saves (a dict of
    strings per row was ~6 MB of a full cache; issue 24), and it still reads and compares as the
    field → digest mapping, through a save of a row that carries it over."""
    digests = {"email": "0123456789abcdef", "name": "fedcba9876543210"}
    state = open_state(state_spec)
    state.record("people", "1", "contacts", "t1", "h1", digests)
    state.flush()
    cached = state._ids[("people", "1")]
    assert cached is not None
    assert isinstance(cached.written, Digests)
    assert cached.written == digests
    assert digests == cached.written
    assert dict(cached.written.items()) == digests
    assert cached.written["name"] == digests["name"]
    state.record("people", "1", "contacts", "t1", "h2")  # ``written`` carried over: from the text
    state.flush()
    state.close()
    again = open_state(state_spec)
    entry = again.entry("people", "1")
    assert entry is not None
    assert entry.hash == "h2"
    assert isinstance(entry.written, Digests)
    assert entry.written == digests
