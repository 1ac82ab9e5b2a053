"""Where a change feed keeps what it has seen: per record, a fingerprint (content hash or the CRM's
modification time), per feed, its generation. docs/design.md §9 puts feed cursors in the state store; at
100,000 records that memory cannot live in a JSON cursor, so the cursor names a feed and its
position, and the rows live here.

A row holds two fingerprints so that a resume can undo exactly what was not yet delivered:

* ``cur``: the fingerprint as of generation ``gen`` (a *pass* over the object), ``NULL`` when the
  record is gone (deleted, archived) or was never seen;
* ``prev``: the fingerprint as of the pass before ``gen`` — what ``cur`` replaced;
* ``seq``: the sequence number of the change that set it (a feed numbers the changes it yields).

Resuming from a cursor (pass ``g``, change ``S``) rolls every row of pass ``g`` with ``seq > S``
back to ``prev``: those changes were yielded but never confirmed, so they are found again.

:class:`FeedStore` is the interface (the migration state store can implement it);
:class:`SQLiteFeedStore` keeps the rows in a file, or ``":memory:"`` for one process;
:class:`crmbridge.changes.postgres.PostgresFeedStore` in PostgreSQL (issue 22), with the same
tables (:data:`SCHEMA`) and statements.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import uuid
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import attrs

from ..errors import ConfigError
from ..sqltables import Schema, placeholder

__all__ = ["SCHEMA", "FeedStore", "Row", "SQLiteFeedStore", "born_key"]


@attrs.frozen
class Row:
    """A record as a feed last saw it (see the module docstring)."""

    id: str
    prev: str | None
    cur: str | None
    gen: int
    seq: int

    def before(self, gen: int) -> str | None:
        """The fingerprint as of the end of the pass before ``gen`` (``None``: not alive then)."""
        return self.cur if self.gen < gen else self.prev


@runtime_checkable
class FeedStore(Protocol):
    """What a change feed needs from a store. Every method commits before it returns."""

    def new_feed(self, object: str) -> str:
        """Start a feed for ``object``: its id (put in the cursor)."""

    def feed_gen(self, feed: str) -> int | None:
        """The newest pass started for ``feed`` (``None``: this store does not know the feed)."""

    def start_gen(self, feed: str, gen: int) -> None:
        """Record that pass ``gen`` of ``feed`` has started."""

    def rollback(self, feed: str, gen: int, seq: int) -> None:
        """Undo the rows of pass ``gen`` set by changes after ``seq`` (never confirmed)."""

    def rows(self, feed: str, ids: Sequence[str]) -> dict[str, Row]:
        """The rows of ``ids`` that exist."""

    def mark(self, feed: str, marks: Iterable[tuple[str, str | None]], gen: int, seq: int) -> None:
        """Set each ``(id, fingerprint)`` (``None``: gone) as seen in pass ``gen`` by change
        ``seq``; a row first touched in ``gen`` keeps its old fingerprint as ``prev``."""

    def alive(self, feed: str) -> int:
        """How many records the feed holds as alive (as of the pass under way)."""

    def unseen(self, feed: str, gen: int, after: str | None, limit: int) -> list[Row]:
        """Rows alive before pass ``gen`` and not seen in it, by id, after ``after``."""

    def set_born(self, feed: str, borns: Iterable[tuple[str, str]]) -> None:
        """Remember when each existing row's record was created (``(id, born_key)``)."""

    def born_count(self, feed: str, lo: str | None, hi: str | None) -> int:
        """How many alive rows were born in ``[lo, hi)`` (``None``: unbounded; rows whose
        creation is unknown are never counted)."""

    def born_ids(self, feed: str, lo: str | None, hi: str | None) -> list[str]:
        """The ids of the alive rows born in ``[lo, hi)``."""

    def born_nth(self, feed: str, lo: str | None, hi: str | None, n: int) -> str | None:
        """The ``n``-th (from 0) creation time of the alive rows born in ``[lo, hi)``."""

    def close(self) -> None: ...


#: The feed store's tables, for both stores (:mod:`crmbridge.sqltables`). ``born`` is when the
#: CRM says a record was created, as a sortable UTC text (:func:`born_key`), for feeds that find
#: archived records by counting ranges of it (:class:`~crmbridge.changes.feeds.WatermarkFeed`).
SCHEMA = Schema(
    tables=[
        """CREATE TABLE IF NOT EXISTS feed (
    feed TEXT PRIMARY KEY,
    object TEXT NOT NULL,
    gen {int} NOT NULL DEFAULT 0
)""",
        """CREATE TABLE IF NOT EXISTS feed_row (
    feed TEXT NOT NULL,
    id TEXT NOT NULL,
    prev TEXT,
    cur TEXT,
    gen {int} NOT NULL,
    seq {int} NOT NULL,
    PRIMARY KEY (feed, id)
)""",
    ],
    added=[("feed_row", "born", "TEXT")],
    indexes=["CREATE INDEX IF NOT EXISTS feed_row_born ON feed_row (feed, born)"],
)


def born_key(moment: dt.datetime) -> str:
    """A creation time as the store keeps it: UTC, fixed width, so text order is time order."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class _Queries:
    """The statements both stores run, in one dialect (parameter markers differ; PostgreSQL
    compares text byte-wise with ``COLLATE "C"`` so that order never depends on its locale)."""

    def __init__(self, dialect: str) -> None:
        m = placeholder(dialect)
        c = ' COLLATE "C"' if dialect == "postgresql" else ""
        self.mark = f"""
INSERT INTO feed_row (feed, id, prev, cur, gen, seq) VALUES ({m}, {m}, NULL, {m}, {m}, {m})
ON CONFLICT (feed, id) DO UPDATE SET
    prev = CASE WHEN feed_row.gen < excluded.gen THEN feed_row.cur ELSE feed_row.prev END,
    cur = excluded.cur, gen = excluded.gen, seq = excluded.seq
"""
        self.born = f"UPDATE feed_row SET born = {m} WHERE feed = {m} AND id = {m}"
        self.new_feed = f"INSERT INTO feed (feed, object, gen) VALUES ({m}, {m}, 0)"
        self.feed_gen = f"SELECT gen FROM feed WHERE feed = {m}"
        self.rollback = (
            f"UPDATE feed_row SET cur = prev, gen = {m} - 1 "
            f"WHERE feed = {m} AND gen = {m} AND seq > {m}"
        )
        alive = f"feed = {m} AND cur IS NOT NULL"
        self.alive = f"SELECT count(*) FROM feed_row WHERE {alive}"
        self.unseen = (
            f"SELECT id, prev, cur, gen, seq FROM feed_row WHERE {alive} AND gen < {m} "
            f"AND id{c} > {m} ORDER BY id{c} LIMIT {m}"
        )
        since, until = f"AND born{c} >= {m}", f"AND born{c} < {m}"
        self.in_range = {
            (low, high): f"{alive} AND born IS NOT NULL {since if low else ''} "
            f"{until if high else ''}"
            for low in (False, True)
            for high in (False, True)
        }
        self.order = f"born{c}"
        self.m = m


def _range(lo: str | None, hi: str | None) -> tuple[tuple[bool, bool], tuple[str, ...]]:
    return (lo is not None, hi is not None), tuple(v for v in (lo, hi) if v is not None)


class _Shared:
    """What both stores do alike: their connections (sqlite3's and psycopg's) both run
    ``execute(query, params)`` and both commit each statement on its own (autocommit)."""

    _q: _Queries
    db: Any

    def _fetch(self, query: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        rows: list[tuple[Any, ...]] = self.db.execute(query, params).fetchall()
        return rows

    def new_feed(self, object: str) -> str:
        feed = uuid.uuid4().hex
        self.db.execute(self._q.new_feed, (feed, object))
        return feed

    def feed_gen(self, feed: str) -> int | None:
        rows = self._fetch(self._q.feed_gen, (feed,))
        return None if not rows else int(rows[0][0])

    def rollback(self, feed: str, gen: int, seq: int) -> None:
        self.db.execute(self._q.rollback, (gen, feed, gen, seq))  # one statement: atomic

    def alive(self, feed: str) -> int:
        return int(self._fetch(self._q.alive, (feed,))[0][0])

    def unseen(self, feed: str, gen: int, after: str | None, limit: int) -> list[Row]:
        return [Row(*r) for r in self._fetch(self._q.unseen, (feed, gen, after or "", limit))]

    def born_count(self, feed: str, lo: str | None, hi: str | None) -> int:
        flags, bounds = _range(lo, hi)
        rows = self._fetch(
            f"SELECT count(*) FROM feed_row WHERE {self._q.in_range[flags]}", (feed, *bounds)
        )
        return int(rows[0][0])

    def born_ids(self, feed: str, lo: str | None, hi: str | None) -> list[str]:
        flags, bounds = _range(lo, hi)
        rows = self._fetch(
            f"SELECT id FROM feed_row WHERE {self._q.in_range[flags]}", (feed, *bounds)
        )
        return [r[0] for r in rows]

    def born_nth(self, feed: str, lo: str | None, hi: str | None, n: int) -> str | None:
        flags, bounds = _range(lo, hi)
        m = self._q.m
        rows = self._fetch(
            f"SELECT born FROM feed_row WHERE {self._q.in_range[flags]} "
            f"ORDER BY {self._q.order} LIMIT 1 OFFSET {m}",
            (feed, *bounds, n),
        )
        return str(rows[0][0]) if rows else None


class SQLiteFeedStore(_Shared):
    """Feed rows in a SQLite file (WAL, one transaction per call): a process killed at any point
    leaves the last call's rows whole. ``":memory:"`` keeps them for this process only."""

    def __init__(self, path: str | Path = ":memory:") -> None:
        self.path = str(path)
        try:
            self.db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            if self.path != ":memory:":
                self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            SCHEMA.create_sqlite(self.db)
        except sqlite3.Error as exc:
            raise ConfigError(
                f"cannot use {self.path!r} as a change-feed store: {exc} "
                "(does its folder exist, and is it a SQLite file?)"
            ) from None

    _q = _Queries("sqlite")

    def __repr__(self) -> str:
        return f"<SQLiteFeedStore {self.path}>"

    def start_gen(self, feed: str, gen: int) -> None:
        self.db.execute("UPDATE feed SET gen = max(gen, ?) WHERE feed = ?", (gen, feed))

    def rows(self, feed: str, ids: Sequence[str]) -> dict[str, Row]:
        out: dict[str, Row] = {}
        for start in range(0, len(ids), 500):
            chunk = list(ids[start : start + 500])
            marks = ",".join("?" * len(chunk))
            for r in self.db.execute(
                f"SELECT id, prev, cur, gen, seq FROM feed_row WHERE feed = ? AND id IN ({marks})",
                (feed, *chunk),
            ):
                out[r[0]] = Row(*r)
        return out

    def mark(self, feed: str, marks: Iterable[tuple[str, str | None]], gen: int, seq: int) -> None:
        with self.db:
            self.db.execute("BEGIN")
            self.db.executemany(self._q.mark, [(feed, id, value, gen, seq) for id, value in marks])

    def set_born(self, feed: str, borns: Iterable[tuple[str, str]]) -> None:
        with self.db:
            self.db.execute("BEGIN")
            self.db.executemany(self._q.born, [(born, feed, id) for id, born in borns])

    def close(self) -> None:
        self.db.close()
