"""A migration's state in PostgreSQL, for runs that continue on another machine (issue 22).

The same tables as :mod:`.sqlite` (:mod:`.schema`; the rows are the interface's, docs/design.md §9 "State store"),
in a database every worker reaches: ``--state postgresql://user:password@host/db``. One database
holds several migrations' states, each in a schema of its own named by ``?schema=NAME`` (default
``public``), so a product that migrates many workspaces needs one database, not one per workspace.

Each finished page is one transaction, as with SQLite: a worker killed at any point leaves the
last committed page, and the next run redoes the page it was on. The lease is the row ``id = 1``
of ``lease``, read and written under ``LOCK TABLE lease IN SHARE ROW EXCLUSIVE MODE`` (a mode
that conflicts with itself: https://www.postgresql.org/docs/15/explicit-locking.html), so of two
machines taking an expired lease at once exactly one wins. Expiries are the workers' wall clocks:
machines sharing a state need synchronised clocks (NTP), as any lease with an expiry does.

The URL's password reaches only the driver: :attr:`location` (used in every message) and errors
show the URL without it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from ...postgres import connect
from ...urls import without_password
from .schema import SCHEMA
from .store import (
    CACHE_ROWS,
    QUERY_CHUNK,
    Change,
    Digests,
    Holder,
    IdEntry,
    RunInfo,
    StateStore,
    _Batch,
    dumps,
)

__all__ = ["PostgresStore"]

#: Which records a complete scan read: this session's only (a dry run marks too, and leaves no
#: trace; https://www.postgresql.org/docs/15/sql-createtable.html, TEMPORARY).
_SEEN = """
CREATE TEMP TABLE IF NOT EXISTS seen (
    source_object TEXT NOT NULL,
    source_id TEXT NOT NULL,
    PRIMARY KEY (source_object, source_id)
)
"""


class PostgresStore(StateStore):
    """A migration's state in a PostgreSQL database (schema ``?schema=``, default ``public``)."""

    def __init__(self, url: str, *, cache_rows: int = CACHE_ROWS) -> None:
        super().__init__(cache_rows)
        self.location = without_password(url)
        self.db, self.schema = connect(url, "the migration state", SCHEMA)
        self.db.execute(_SEEN)

    def __repr__(self) -> str:
        return f"PostgresStore({self.location!r}, schema={self.schema!r})"

    def _rows(self, query: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        return self.db.execute(query, params).fetchall()

    def _run(self, query: str, params: tuple[Any, ...] = ()) -> int:
        return self.db.execute(query, params).rowcount

    # --- loading -----------------------------------------------------------------------------

    def _load_entries(self, source_object: str, source_ids: list[str]) -> dict[str, IdEntry]:
        rows = self._rows(
            "SELECT source_id, target_object, target_id, hash, written_json, source_digest "
            "FROM idmap "
            "WHERE source_object = %s AND source_id = ANY(%s)",
            (source_object, source_ids),
        )
        return {s: IdEntry(o, t, h, Digests(w) if w else None, d) for s, o, t, h, w, d in rows}

    def _source_ids_after(self, source_object: str, after: str, limit: int) -> list[str]:
        # COLLATE "C": byte order of UTF-8, i.e. code point order, whatever the database's
        # collation (https://www.postgresql.org/docs/current/collation.html).
        rows = self._rows(
            'SELECT source_id FROM idmap WHERE source_object = %s AND source_id COLLATE "C" > %s '
            'ORDER BY source_id COLLATE "C" LIMIT %s',
            (source_object, after, limit),
        )
        return [sid for (sid,) in rows]

    def _target_known(self, target_object: str, target_id: str) -> bool:
        return bool(
            self._rows(
                "SELECT 1 FROM idmap WHERE target_object = %s AND target_id = %s LIMIT 1",
                (target_object, target_id),
            )
        )

    def _moved(self, source_object: str, target_object: str) -> bool:
        return bool(
            self._rows(
                "SELECT 1 FROM idmap WHERE source_object = %s AND target_object <> %s LIMIT 1",
                (source_object, target_object),
            )
        )

    def _load_claims(self, target_object: str, keys: list[str]) -> dict[str, tuple[str, str]]:
        rows = self._rows(
            "SELECT key, source_object, source_id FROM matchkey "
            "WHERE target_object = %s AND key = ANY(%s)",
            (target_object, keys),
        )
        return {k: (o, i) for k, o, i in rows}

    def clear_seen(self, source_object: str) -> None:
        self._run("DELETE FROM pg_temp.seen WHERE source_object = %s", (source_object,))

    def _mark_seen(self, source_object: str, source_ids: list[str]) -> None:
        with self.db.transaction(), self.db.cursor() as cur:
            cur.executemany(
                "INSERT INTO pg_temp.seen VALUES (%s, %s) ON CONFLICT DO NOTHING",
                [(source_object, sid) for sid in source_ids],
            )

    def _was_seen(self, source_object: str, source_id: str) -> bool:
        return bool(
            self._rows(
                "SELECT 1 FROM pg_temp.seen WHERE source_object = %s AND source_id = %s",
                (source_object, source_id),
            )
        )

    def _unseen(self, source_object: str) -> Iterator[str]:
        for (sid,) in self._rows(
            "SELECT i.source_id FROM idmap i WHERE i.source_object = %s AND NOT EXISTS "
            "(SELECT 1 FROM pg_temp.seen s WHERE s.source_object = i.source_object "
            "AND s.source_id = i.source_id)",
            (source_object,),
        ):
            yield sid

    def _load_pending(self, source_object: str) -> dict[str, str]:
        rows = self._rows(
            "SELECT source_id, error FROM pending WHERE source_object = %s", (source_object,)
        )
        return dict(rows)

    # --- writing -----------------------------------------------------------------------------

    def _save(self, batch: _Batch, checkpoint: tuple[str, Any, bool] | None) -> None:
        with self.db.transaction(), self.db.cursor() as cur:
            cur.executemany(
                "INSERT INTO idmap (source_object, source_id, target_object, target_id, hash, "
                "written_json, source_digest) VALUES (%s, %s, %s, %s, %s, %s, %s) "
                "ON CONFLICT (source_object, source_id) DO UPDATE SET "
                "target_object = EXCLUDED.target_object, target_id = EXCLUDED.target_id, "
                "hash = EXCLUDED.hash, written_json = EXCLUDED.written_json, "
                "source_digest = EXCLUDED.source_digest",
                [
                    (o, s, e.target_object, e.target_id, e.hash, _json(e.written), e.source)
                    for o, s, e in batch.ids
                ],
            )
            for table in ("idmap", "matchkey", "deferred"):
                cur.executemany(
                    f"DELETE FROM {table} WHERE source_object = %s AND source_id = %s",
                    batch.forgotten,
                )
            cur.executemany(
                "INSERT INTO matchkey VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING", batch.keys
            )
            for obj, sid, error in batch.pending:
                if error is None:
                    cur.execute(
                        "DELETE FROM pending WHERE source_object = %s AND source_id = %s",
                        (obj, sid),
                    )
                else:
                    cur.execute(
                        "INSERT INTO pending VALUES (%s, %s, %s) ON CONFLICT "
                        "(source_object, source_id) DO UPDATE SET error = EXCLUDED.error",
                        (obj, sid, error),
                    )
            cur.executemany(
                "INSERT INTO changes (run, kind, target_object, target_id, source_object, "
                "source_id, before_json, after_json) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                [
                    (
                        c.run,
                        c.kind,
                        c.target_object,
                        c.target_id,
                        c.source_object,
                        c.source_id,
                        _json(c.before),
                        dumps(dict(c.after)),
                    )
                    for c in batch.changes
                ],
            )
            if checkpoint is not None:
                obj, cursor, complete = checkpoint
                cur.execute(
                    "INSERT INTO checkpoint VALUES (%s, %s, %s) ON CONFLICT (source_object) "
                    "DO UPDATE SET cursor = EXCLUDED.cursor, complete = EXCLUDED.complete",
                    (obj, None if cursor is None else json.dumps(cursor), complete),
                )

    def _void(self, source_object: str, *, drop_ids: bool) -> None:
        with self.db.transaction():
            if drop_ids:
                for table in ("idmap", "deferred", "matchkey"):
                    self._run(f"DELETE FROM {table} WHERE source_object = %s", (source_object,))
            else:
                self._run("UPDATE idmap SET hash = '' WHERE source_object = %s", (source_object,))
            self._run("DELETE FROM checkpoint WHERE source_object = %s", (source_object,))

    # --- checkpoints, deferred references, meta ----------------------------------------------

    def checkpoint(self, source_object: str) -> tuple[Any, bool]:
        rows = self._rows(
            "SELECT cursor, complete FROM checkpoint WHERE source_object = %s", (source_object,)
        )
        if not rows:
            return None, False
        cursor, complete = rows[0]
        return (json.loads(cursor) if cursor is not None else None), bool(complete)

    def reset_checkpoints(self) -> None:
        self._run("DELETE FROM checkpoint")

    def defer(
        self, source_object: str, source_id: str, target_id: str, values: Any, refs: Any
    ) -> None:
        self._run(
            "INSERT INTO deferred VALUES (%s, %s, %s, %s, %s) ON CONFLICT "
            "(source_object, source_id) DO UPDATE SET target_id = EXCLUDED.target_id, "
            "values_json = EXCLUDED.values_json, refs_json = EXCLUDED.refs_json",
            (source_object, source_id, target_id, json.dumps(values), json.dumps(refs)),
        )

    def deferred(self) -> Iterator[tuple[str, str, str, Any, Any]]:
        # A page of rows at a time (keyset pagination), as in the SQLite store.
        after = ("", "")
        while True:
            rows = self._rows(
                "SELECT source_object, source_id, target_id, values_json, refs_json FROM "
                "deferred WHERE (source_object, source_id) > (%s, %s) "
                "ORDER BY source_object, source_id LIMIT %s",
                (*after, QUERY_CHUNK),
            )
            for obj, sid, tid, values, refs in rows:
                yield obj, sid, tid, json.loads(values), json.loads(refs)
            if len(rows) < QUERY_CHUNK:
                return
            after = (rows[-1][0], rows[-1][1])

    def resolved(self, source_object: str, source_id: str) -> None:
        self._run(
            "DELETE FROM deferred WHERE source_object = %s AND source_id = %s",
            (source_object, source_id),
        )

    def get_meta(self, key: str) -> str | None:
        rows = self._rows("SELECT value FROM meta WHERE key = %s", (key,))
        return None if not rows else str(rows[0][0])

    def set_meta(self, key: str, value: str) -> None:
        self._run(
            "INSERT INTO meta VALUES (%s, %s) ON CONFLICT (key) DO UPDATE SET value = "
            "EXCLUDED.value",
            (key, value),
        )

    # --- the lease ---------------------------------------------------------------------------

    def _lease_take(self, me: Holder, takeable: Callable[[Holder], bool]) -> Holder | None:
        with self.db.transaction():
            self._run("LOCK TABLE lease IN SHARE ROW EXCLUSIVE MODE")  # one taker at a time
            rows = self._rows("SELECT host, pid, since, expires, token FROM lease WHERE id = 1")
            if rows:
                current = Holder(*rows[0])
                if current.token != me.token and not takeable(current):
                    return current
            self._run(
                "INSERT INTO lease VALUES (1, %s, %s, %s, %s, %s) ON CONFLICT (id) DO UPDATE SET "
                "host = EXCLUDED.host, pid = EXCLUDED.pid, since = EXCLUDED.since, "
                "expires = EXCLUDED.expires, token = EXCLUDED.token",
                (me.host, me.pid, me.since, me.expires, me.token),
            )
        return None

    def _lease_renew(self, me: Holder) -> bool:
        updated = self._run(
            "UPDATE lease SET expires = %s WHERE id = 1 AND token = %s", (me.expires, me.token)
        )
        return updated == 1

    def _lease_drop(self, me: Holder) -> None:
        self._run("DELETE FROM lease WHERE id = 1 AND token = %s", (me.token,))

    # --- runs --------------------------------------------------------------------------------

    def start_run(self, run: RunInfo) -> None:
        self._run(
            "INSERT INTO runs (id, started, status, command, counts_json) "
            "VALUES (%s, %s, %s, %s, %s)",
            (run.id, run.started, run.status, run.command, dumps(dict(run.counts))),
        )

    def finish_run(self, run_id: str, status: str, counts: Mapping[str, int]) -> None:
        self._run(
            "UPDATE runs SET finished = %s, status = %s, counts_json = %s WHERE id = %s",
            (time.time(), status, dumps(dict(counts)), run_id),
        )

    def runs(self) -> list[RunInfo]:
        rows = self._rows(
            "SELECT id, started, command, finished, status, counts_json FROM runs "
            "ORDER BY started, id"
        )
        return [RunInfo(i, s, c, f, st, json.loads(counts)) for i, s, c, f, st, counts in rows]

    def changes(self, run_id: str) -> list[Change]:
        rows = self._rows(
            "SELECT run, kind, target_object, target_id, source_object, source_id, before_json, "
            "after_json FROM changes WHERE run = %s ORDER BY seq",
            (run_id,),
        )
        return [
            Change(r, k, to, ti, so, si, json.loads(b) if b else None, json.loads(a))
            for r, k, to, ti, so, si, b, a in rows
        ]

    def close(self) -> None:
        self.db.close()


def _json(value: Any) -> str | None:
    return None if value is None else dumps(value)
