"""The default state store: one SQLite file (``":memory:"`` for a throwaway run).

WAL journal and one transaction per finished page: a process killed at any point (even ``kill -9``)
leaves the last committed page intact, and the page it was on is redone on resume — its writes are
upserts, and records already written are recognised by their hash, so nothing is written twice.
The lease is a row taken in a ``BEGIN IMMEDIATE`` transaction, so two processes on one file
cannot both take it (https://www.sqlite.org/lang_transaction.html). SQLite documents WAL as unsafe
on network file systems (https://www.sqlite.org/wal.html): state shared between machines goes
to :class:`~.postgres.PostgresStore` (issue 22).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from ...errors import ConfigError
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

__all__ = ["SQLiteStore"]

#: Which records a complete scan read: this connection's only (a dry run marks too, and leaves no
#: trace in the file; https://www.sqlite.org/lang_createtable.html, TEMP).
_SEEN = """
CREATE TEMP TABLE IF NOT EXISTS seen (
    source_object TEXT NOT NULL,
    source_id TEXT NOT NULL,
    PRIMARY KEY (source_object, source_id)
)
"""


class SQLiteStore(StateStore):
    """A migration's state in a SQLite file."""

    def __init__(self, path: str | Path, *, cache_rows: int = CACHE_ROWS) -> None:
        super().__init__(cache_rows)
        self.path = self.location = str(path)
        try:
            self.db = sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=False, timeout=30
            )
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            # The TEMP ``seen`` table holds a row per record a scan read (issue 24): in a file,
            # whatever the build's default (SQLITE_TEMP_STORE 2 keeps temp tables in memory;
            # https://www.sqlite.org/pragma.html#pragma_temp_store), so only its page cache
            # (``cache_size``, 2 MB by default) is in the process.
            self.db.execute("PRAGMA temp_store=FILE")
            SCHEMA.create_sqlite(self.db)
            self.db.execute(_SEEN)
        except sqlite3.Error as exc:
            raise ConfigError(
                f"cannot use {self.path!r} as the migration state file: {exc} "
                "(does its folder exist, and is it a crmbridge state file?)"
            ) from None

    # --- loading -----------------------------------------------------------------------------

    def _load_entries(self, source_object: str, source_ids: list[str]) -> dict[str, IdEntry]:
        rows = self.db.execute(
            "SELECT source_id, target_object, target_id, hash, written_json, source_digest "
            "FROM idmap "
            f"WHERE source_object = ? AND source_id IN ({_marks(source_ids)})",
            (source_object, *source_ids),
        )
        return {
            s: IdEntry(o, t, h, Digests(w) if w else None, d)
            for s, o, t, h, w, d in rows.fetchall()
        }

    def _source_ids_after(self, source_object: str, after: str, limit: int) -> list[str]:
        # TEXT compares as UTF-8 bytes (BINARY collation): code point order.
        rows = self.db.execute(
            "SELECT source_id FROM idmap WHERE source_object = ? AND source_id > ? "
            "ORDER BY source_id LIMIT ?",
            (source_object, after, limit),
        )
        return [sid for (sid,) in rows.fetchall()]

    def _target_known(self, target_object: str, target_id: str) -> bool:
        row = self.db.execute(
            "SELECT 1 FROM idmap WHERE target_object = ? AND target_id = ? LIMIT 1",
            (target_object, target_id),
        ).fetchone()
        return row is not None

    def _moved(self, source_object: str, target_object: str) -> bool:
        row = self.db.execute(
            "SELECT 1 FROM idmap WHERE source_object = ? AND target_object != ? LIMIT 1",
            (source_object, target_object),
        ).fetchone()
        return row is not None

    def _load_claims(self, target_object: str, keys: list[str]) -> dict[str, tuple[str, str]]:
        rows = self.db.execute(
            "SELECT key, source_object, source_id FROM matchkey "
            f"WHERE target_object = ? AND key IN ({_marks(keys)})",
            (target_object, *keys),
        )
        return {k: (o, i) for k, o, i in rows.fetchall()}

    def clear_seen(self, source_object: str) -> None:
        self.db.execute("DELETE FROM temp.seen WHERE source_object = ?", (source_object,))

    def _mark_seen(self, source_object: str, source_ids: list[str]) -> None:
        with self.db:
            self.db.execute("BEGIN")
            self.db.executemany(
                "INSERT OR IGNORE INTO temp.seen VALUES (?, ?)",
                [(source_object, sid) for sid in source_ids],
            )

    def _was_seen(self, source_object: str, source_id: str) -> bool:
        row = self.db.execute(
            "SELECT 1 FROM temp.seen WHERE source_object = ? AND source_id = ?",
            (source_object, source_id),
        ).fetchone()
        return row is not None

    def _unseen(self, source_object: str) -> Iterator[str]:
        rows = self.db.execute(
            "SELECT i.source_id FROM idmap i WHERE i.source_object = ? AND NOT EXISTS "
            "(SELECT 1 FROM temp.seen s WHERE s.source_object = i.source_object "
            "AND s.source_id = i.source_id)",
            (source_object,),
        )
        for (sid,) in rows.fetchall():
            yield sid

    def _load_pending(self, source_object: str) -> dict[str, str]:
        rows = self.db.execute(
            "SELECT source_id, error FROM pending WHERE source_object = ?", (source_object,)
        )
        return dict(rows.fetchall())

    # --- writing -----------------------------------------------------------------------------

    def _save(self, batch: _Batch, checkpoint: tuple[str, Any, bool] | None) -> None:
        with self.db:
            self.db.execute("BEGIN")
            self.db.executemany(
                "INSERT OR REPLACE INTO idmap "
                "(source_object, source_id, target_object, target_id, hash, written_json, "
                "source_digest) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (o, s, e.target_object, e.target_id, e.hash, _json(e.written), e.source)
                    for o, s, e in batch.ids
                ],
            )
            for table in ("idmap", "matchkey", "deferred"):
                self.db.executemany(
                    f"DELETE FROM {table} WHERE source_object = ? AND source_id = ?",
                    batch.forgotten,
                )
            self.db.executemany("INSERT OR IGNORE INTO matchkey VALUES (?, ?, ?, ?)", batch.keys)
            for obj, sid, error in batch.pending:
                if error is None:
                    self.db.execute(
                        "DELETE FROM pending WHERE source_object = ? AND source_id = ?", (obj, sid)
                    )
                else:
                    self.db.execute(
                        "INSERT OR REPLACE INTO pending VALUES (?, ?, ?)", (obj, sid, error)
                    )
            self.db.executemany(
                "INSERT INTO changes (run, kind, target_object, target_id, source_object, "
                "source_id, before_json, after_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
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
                self.db.execute(
                    "INSERT OR REPLACE INTO checkpoint VALUES (?, ?, ?)",
                    (obj, None if cursor is None else json.dumps(cursor), int(complete)),
                )

    def _void(self, source_object: str, *, drop_ids: bool) -> None:
        with self.db:
            self.db.execute("BEGIN")
            if drop_ids:
                for table in ("idmap", "deferred", "matchkey"):
                    self.db.execute(
                        f"DELETE FROM {table} WHERE source_object = ?", (source_object,)
                    )
            else:
                self.db.execute(
                    "UPDATE idmap SET hash = '' WHERE source_object = ?", (source_object,)
                )
            self.db.execute("DELETE FROM checkpoint WHERE source_object = ?", (source_object,))

    # --- checkpoints, deferred references, meta ----------------------------------------------

    def checkpoint(self, source_object: str) -> tuple[Any, bool]:
        row = self.db.execute(
            "SELECT cursor, complete FROM checkpoint WHERE source_object = ?", (source_object,)
        ).fetchone()
        if row is None:
            return None, False
        return (json.loads(row[0]) if row[0] is not None else None), bool(row[1])

    def reset_checkpoints(self) -> None:
        self.db.execute("DELETE FROM checkpoint")

    def defer(
        self, source_object: str, source_id: str, target_id: str, values: Any, refs: Any
    ) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO deferred VALUES (?, ?, ?, ?, ?)",
            (source_object, source_id, target_id, json.dumps(values), json.dumps(refs)),
        )

    def deferred(self) -> Iterator[tuple[str, str, str, Any, Any]]:
        # A page of rows at a time (keyset pagination): a large second pass is not held in
        # memory, and rows resolved (deleted) while iterating do not disturb it.
        after = ("", "")
        while True:
            rows = self.db.execute(
                "SELECT * FROM deferred WHERE (source_object, source_id) > (?, ?) "
                "ORDER BY source_object, source_id LIMIT ?",
                (*after, QUERY_CHUNK),
            ).fetchall()
            for obj, sid, tid, values, refs in rows:
                yield obj, sid, tid, json.loads(values), json.loads(refs)
            if len(rows) < QUERY_CHUNK:
                return
            after = (rows[-1][0], rows[-1][1])

    def resolved(self, source_object: str, source_id: str) -> None:
        self.db.execute(
            "DELETE FROM deferred WHERE source_object = ? AND source_id = ?",
            (source_object, source_id),
        )

    def get_meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    # --- the lease ---------------------------------------------------------------------------

    def _lease_take(self, me: Holder, takeable: Callable[[Holder], bool]) -> Holder | None:
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")  # one writer: two takers cannot both win
            row = self.db.execute(
                "SELECT host, pid, since, expires, token FROM lease WHERE id = 1"
            ).fetchone()
            if row is not None:
                current = Holder(*row)
                if current.token != me.token and not takeable(current):
                    return current
            self.db.execute(
                "INSERT OR REPLACE INTO lease VALUES (1, ?, ?, ?, ?, ?)",
                (me.host, me.pid, me.since, me.expires, me.token),
            )
        return None

    def _lease_renew(self, me: Holder) -> bool:
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            cursor = self.db.execute(
                "UPDATE lease SET expires = ? WHERE id = 1 AND token = ?", (me.expires, me.token)
            )
            return cursor.rowcount == 1

    def _lease_drop(self, me: Holder) -> None:
        self.db.execute("DELETE FROM lease WHERE id = 1 AND token = ?", (me.token,))

    # --- runs --------------------------------------------------------------------------------

    def start_run(self, run: RunInfo) -> None:
        self.db.execute(
            "INSERT INTO runs (id, started, status, command, counts_json) VALUES (?, ?, ?, ?, ?)",
            (run.id, run.started, run.status, run.command, dumps(dict(run.counts))),
        )

    def finish_run(self, run_id: str, status: str, counts: Mapping[str, int]) -> None:
        import time

        self.db.execute(
            "UPDATE runs SET finished = ?, status = ?, counts_json = ? WHERE id = ?",
            (time.time(), status, dumps(dict(counts)), run_id),
        )

    def runs(self) -> list[RunInfo]:
        rows = self.db.execute(
            "SELECT id, started, command, finished, status, counts_json FROM runs "
            "ORDER BY started, id"
        )
        return [
            RunInfo(i, s, c, f, st, json.loads(counts))
            for i, s, c, f, st, counts in rows.fetchall()
        ]

    def changes(self, run_id: str) -> list[Change]:
        rows = self.db.execute(
            "SELECT run, kind, target_object, target_id, source_object, source_id, before_json, "
            "after_json FROM changes WHERE run = ? ORDER BY seq",
            (run_id,),
        )
        return [
            Change(r, k, to, ti, so, si, json.loads(b) if b else None, json.loads(a))
            for r, k, to, ti, so, si, b, a in rows.fetchall()
        ]

    def close(self) -> None:
        self.db.close()


def _marks(values: list[str]) -> str:
    return ", ".join("?" * len(values))


def _json(value: Any) -> str | None:
    return None if value is None else dumps(value)
