"""Every state store the engine's state tests run against (issue 22): the default SQLite file and
PostgreSQL on the session's throwaway server (:mod:`infra.servers`); likewise every change-feed
store the feed tests run against."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from crmbridge.changes import FeedStore, SQLiteFeedStore
from crmbridge.changes.postgres import PostgresFeedStore

STORES = ["sqlite", "postgresql"]


@pytest.fixture(params=STORES)
def state_spec(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """What a user gives as ``--state`` for a new, empty state of each store in turn."""
    if request.param == "sqlite":
        return str(tmp_path / "state.db")
    return str(request.getfixturevalue("postgres_url"))


def plant_lease(spec: str, host: str, pid: int, since: float, expires: float, token: str) -> None:
    """Write a lease row as a run on another machine would have left it (the store's own
    ``lease`` table, written behind its back)."""
    row = (host, pid, since, expires, token)
    if spec.startswith("postgresql://"):
        import psycopg

        with psycopg.connect(spec) as db:
            db.execute("INSERT INTO lease VALUES (1, %s, %s, %s, %s, %s)", row)
    else:
        with sqlite3.connect(spec) as db:
            db.execute("INSERT INTO lease VALUES (1, ?, ?, ?, ?, ?)", row)


@pytest.fixture(params=STORES)
def feed_store_spec(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """What a user gives as ``changes(store=...)`` to keep a feed across processes, for each
    change-feed store in turn (a SQLite file, a PostgreSQL database)."""
    if request.param == "sqlite":
        return str(tmp_path / "feeds.db")
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def feed_store(feed_store_spec: str) -> Iterator[FeedStore]:
    """An open change-feed store of each kind in turn (closed after the test)."""
    if feed_store_spec.startswith("postgresql://"):
        store: FeedStore = PostgresFeedStore(feed_store_spec)
    else:
        store = SQLiteFeedStore(feed_store_spec)
    try:
        yield store
    finally:
        store.close()
