"""Change-feed rows in PostgreSQL (issue 22): the :class:`~crmbridge.changes.store.FeedStore` for
feeds whose consumer moves between processes and machines, as a migration whose state is in
PostgreSQL does (``migrate --delta`` / ``sync`` with ``--state postgresql://…``). With the rows in
the process's memory, a new process would not know the cursor's feed saved in the state.

The tables, the statements and the rules are :mod:`crmbridge.changes.store`'s (one transaction
per call, rows rolled back to ``prev`` on a resume); only the dialect differs. Opened from a URL
(its own connection, ``?schema=`` as for the state: :mod:`crmbridge.postgres`) or on a connection
already open (the state's: same database, same schema). The URL's password never reaches a
message or the repr.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from ..postgres import connect, create_tables
from ..urls import without_password
from .store import SCHEMA, Row, _Queries, _Shared

if TYPE_CHECKING:
    import psycopg

__all__ = ["PostgresFeedStore"]

_COLUMNS = "id, prev, cur, gen, seq"


class PostgresFeedStore(_Shared):
    """Feed rows in a PostgreSQL schema: ``PostgresFeedStore(url)`` opens (and closes) its own
    connection; :meth:`on` uses an open one (and leaves closing it to its owner)."""

    _q = _Queries("postgresql")

    def __init__(self, url: str) -> None:
        self.location = without_password(url)
        self.db, self.schema = connect(url, "a change-feed store", SCHEMA)
        self._owned = True

    @classmethod
    def on(cls, db: psycopg.Connection[Any], schema: str, location: str) -> PostgresFeedStore:
        """The feed rows in the connection's current schema (``search_path``), e.g. the
        migration state's own connection: the tables are created there if missing."""
        store = cls.__new__(cls)
        store.db, store.schema, store.location, store._owned = db, schema, location, False
        create_tables(db, schema, SCHEMA)
        return store

    def __repr__(self) -> str:
        return f"PostgresFeedStore({self.location!r}, schema={self.schema!r})"

    def start_gen(self, feed: str, gen: int) -> None:
        self.db.execute("UPDATE feed SET gen = GREATEST(gen, %s) WHERE feed = %s", (gen, feed))

    def rows(self, feed: str, ids: Sequence[str]) -> dict[str, Row]:
        if not ids:
            return {}
        found = self._fetch(
            f"SELECT {_COLUMNS} FROM feed_row WHERE feed = %s AND id = ANY(%s)",
            (feed, list(ids)),
        )
        return {r[0]: Row(*r) for r in found}

    def mark(self, feed: str, marks: Iterable[tuple[str, str | None]], gen: int, seq: int) -> None:
        params = [(feed, id, value, gen, seq) for id, value in marks]
        if params:
            with self.db.transaction(), self.db.cursor() as cur:
                cur.executemany(self._q.mark, params)

    def set_born(self, feed: str, borns: Iterable[tuple[str, str]]) -> None:
        params = [(born, feed, id) for id, born in borns]
        if params:
            with self.db.transaction(), self.db.cursor() as cur:
                cur.executemany(self._q.born, params)

    def close(self) -> None:
        if self._owned:
            self.db.close()
