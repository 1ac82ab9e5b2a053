"""The migration state file: match value claims survive with the page that made them."""

from __future__ import annotations

from pathlib import Path

from crmbridge.migrate import MigrationState


def test_a_match_value_belongs_to_the_first_source_record(tmp_path: Path) -> None:
    state = MigrationState(tmp_path / "s.db")
    assert state.claim("contacts", ["a@x.co", "b@x.co"], ("people", "1")) is None
    assert state.claim("contacts", ["a@x.co"], ("people", "1")) is None  # its own: fine
    assert state.claim("contacts", ["c@x.co", "b@x.co"], ("people", "2")) == ("people", "1")
    assert state.claim("companies", ["a@x.co"], ("people", "2")) is None  # another target object
    # The refused claim recorded nothing: c@x.co is still free.
    assert state.claim("contacts", ["c@x.co"], ("people", "3")) is None


def test_claims_are_kept_with_the_checkpoint_and_only_then(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    state = MigrationState(path)
    state.claim("contacts", ["a@x.co"], ("people", "1"))
    state.commit("people", {"page": 2})
    state.claim("contacts", ["b@x.co"], ("people", "2"))  # a page not finished when it dies
    state.close()
    again = MigrationState(path)
    assert again.claim("contacts", ["a@x.co"], ("people", "9")) == ("people", "1")
    assert again.claim("contacts", ["b@x.co"], ("people", "9")) is None
