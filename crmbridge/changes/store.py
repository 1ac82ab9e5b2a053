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
tables (:func:`feed_tables`).
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

import attrs

from ..errors import ConfigError

__all__ = ["FeedStore", "Row", "SQLiteFeedStore", "feed_tables", "mark_statement"]


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

    def close(self) -> None: ...


#: Column types that differ between the SQL dialects of the stores (SQLite's INTEGER is 64-bit;
#: PostgreSQL's is 32-bit, and a feed's change numbers only grow).
_INT = {"sqlite": "INTEGER", "postgresql": "BIGINT"}


def feed_tables(dialect: str) -> list[str]:
    """The feed store's tables in ``dialect`` (``"sqlite"`` or ``"postgresql"``), one statement
    each: the one schema both stores keep."""
    int_ = _INT[dialect]
    return [
        f"""CREATE TABLE IF NOT EXISTS feed (
    feed TEXT PRIMARY KEY,
    object TEXT NOT NULL,
    gen {int_} NOT NULL DEFAULT 0
)""",
        f"""CREATE TABLE IF NOT EXISTS feed_row (
    feed TEXT NOT NULL,
    id TEXT NOT NULL,
    prev TEXT,
    cur TEXT,
    gen {int_} NOT NULL,
    seq {int_} NOT NULL,
    PRIMARY KEY (feed, id)
)""",
    ]


def mark_statement(dialect: str) -> str:
    """The upsert of :meth:`FeedStore.mark` (both dialects take ``ON CONFLICT … DO UPDATE``;
    they differ in the parameter marker)."""
    marker = "?" if dialect == "sqlite" else "%s"
    return f"""
INSERT INTO feed_row (feed, id, prev, cur, gen, seq)
VALUES ({marker}, {marker}, NULL, {marker}, {marker}, {marker})
ON CONFLICT (feed, id) DO UPDATE SET
    prev = CASE WHEN feed_row.gen < excluded.gen THEN feed_row.cur ELSE feed_row.prev END,
    cur = excluded.cur, gen = excluded.gen, seq = excluded.seq
"""


_MARK = mark_statement("sqlite")


class SQLiteFeedStore:
    """Feed rows in a SQLite file (WAL, one transaction per call): a process killed at any point
    leaves the last call's rows whole. ``":memory:"`` keeps them for this process only."""

    def __init__(self, path: str | Path = ":memory:") -> None:
        self.path = str(path)
        try:
            self.db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            if self.path != ":memory:":
                self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            for statement in feed_tables("sqlite"):
                self.db.execute(statement)
        except sqlite3.Error as exc:
            raise ConfigError(
                f"cannot use {self.path!r} as a change-feed store: {exc} "
                "(does its folder exist, and is it a SQLite file?)"
            ) from None

    def __repr__(self) -> str:
        return f"<SQLiteFeedStore {self.path}>"

    def new_feed(self, object: str) -> str:
        feed = uuid.uuid4().hex
        self.db.execute("INSERT INTO feed (feed, object, gen) VALUES (?, ?, 0)", (feed, object))
        return feed

    def feed_gen(self, feed: str) -> int | None:
        row = self.db.execute("SELECT gen FROM feed WHERE feed = ?", (feed,)).fetchone()
        return None if row is None else int(row[0])

    def start_gen(self, feed: str, gen: int) -> None:
        self.db.execute("UPDATE feed SET gen = max(gen, ?) WHERE feed = ?", (gen, feed))

    def rollback(self, feed: str, gen: int, seq: int) -> None:
        with self.db:
            self.db.execute("BEGIN")
            self.db.execute(
                "UPDATE feed_row SET cur = prev, gen = ? - 1 WHERE feed = ? AND gen = ? AND seq > ?",
                (gen, feed, gen, seq),
            )

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
            self.db.executemany(_MARK, [(feed, id, value, gen, seq) for id, value in marks])

    def alive(self, feed: str) -> int:
        row = self.db.execute(
            "SELECT count(*) FROM feed_row WHERE feed = ? AND cur IS NOT NULL", (feed,)
        ).fetchone()
        return int(row[0])

    def unseen(self, feed: str, gen: int, after: str | None, limit: int) -> list[Row]:
        return [
            Row(*r)
            for r in self.db.execute(
                "SELECT id, prev, cur, gen, seq FROM feed_row WHERE feed = ? AND gen < ? "
                "AND cur IS NOT NULL AND id > ? ORDER BY id LIMIT ?",
                (feed, gen, after or "", limit),
            )
        ]

    def close(self) -> None:
        self.db.close()
