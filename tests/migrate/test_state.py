"""The migration state, in every store (SQLite and PostgreSQL: infra.states): match value claims,
kept with the page that wrote them, and change-feed cursors."""

from __future__ import annotations

from crmbridge.migrate import open_state


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
