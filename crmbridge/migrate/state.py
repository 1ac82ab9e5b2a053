"""The migration state file (SQLite): id map, content hashes, checkpoints, deferred references.

* ``idmap``: for each migrated source record, the target record's id and the hash of the values last
  written — a re-run whose hash is unchanged is a ``noop`` that costs no write, and references are
  rewritten through it.
* ``checkpoint``: per source object, the cursor of the first page not yet fully done, so ``--resume``
  continues where an interrupted run stopped; ``complete`` once the object is finished.
* ``deferred``: references whose target record did not exist yet when the record was written; the
  second pass writes them.
* ``matchkey``: for each target object, which source record each match value was written for, so
  that a second source record with the same match value is not merged into the first's target
  record unasked (:meth:`MigrationState.claim`).

WAL journal and one transaction per finished page: a process killed at any point (even ``kill -9``)
leaves the last committed page intact, and the page it was on is redone on resume — its writes are
upserts, and records already written are recognised by their hash, so nothing is written twice.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from ..errors import ConfigError

__all__ = ["MigrationState"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS idmap (
    source_object TEXT NOT NULL,
    source_id TEXT NOT NULL,
    target_object TEXT NOT NULL,
    target_id TEXT NOT NULL,
    hash TEXT NOT NULL,
    PRIMARY KEY (source_object, source_id)
);
CREATE TABLE IF NOT EXISTS checkpoint (
    source_object TEXT PRIMARY KEY,
    cursor TEXT,
    complete INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS deferred (
    source_object TEXT NOT NULL,
    source_id TEXT NOT NULL,
    target_id TEXT NOT NULL,
    values_json TEXT NOT NULL,
    refs_json TEXT NOT NULL,
    PRIMARY KEY (source_object, source_id)
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS matchkey (
    target_object TEXT NOT NULL,
    key TEXT NOT NULL,
    source_object TEXT NOT NULL,
    source_id TEXT NOT NULL,
    PRIMARY KEY (target_object, key)
);
"""


class MigrationState:
    """A migration's state in a SQLite file (``":memory:"`` for a throwaway run)."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        try:
            self.db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.executescript(_SCHEMA)
        except sqlite3.Error as exc:
            raise ConfigError(
                f"cannot use {self.path!r} as the migration state file: {exc} "
                "(does its folder exist, and is it a crmbridge state file?)"
            ) from None
        self._ids: dict[str, dict[str, tuple[str, str]]] = {}
        self._pending: list[tuple[str, str, str, str, str]] = []
        self._keys: dict[str, dict[str, tuple[str, str]]] = {}
        self._held: dict[tuple[str, tuple[str, str]], list[str]] = {}
        self._pending_keys: list[tuple[str, str, str, str]] = []

    # --- id map ------------------------------------------------------------------------------

    def _load(self, source_object: str) -> dict[str, tuple[str, str]]:
        ids = self._ids.get(source_object)
        if ids is None:
            rows = self.db.execute(
                "SELECT source_id, target_id, hash FROM idmap WHERE source_object = ?",
                (source_object,),
            )
            ids = self._ids[source_object] = {s: (t, h) for s, t, h in rows}
        return ids

    def target_id(self, source_object: str, source_id: str) -> str | None:
        """The target id a source record was migrated to, if it was."""
        found = self._load(source_object).get(source_id)
        return found[0] if found else None

    def hash_of(self, source_object: str, source_id: str) -> str | None:
        found = self._load(source_object).get(source_id)
        return found[1] if found else None

    def record(
        self, source_object: str, source_id: str, target_object: str, target_id: str, hash: str
    ) -> None:
        """Remember a write (kept in memory until :meth:`commit`)."""
        self._load(source_object)[source_id] = (target_id, hash)
        self._pending.append((source_object, source_id, target_object, target_id, hash))

    def count(self, source_object: str) -> int:
        return len(self._load(source_object))

    # --- match keys --------------------------------------------------------------------------

    def claim(
        self, target_object: str, keys: Iterable[str], owner: tuple[str, str]
    ) -> tuple[str, str] | None:
        """Claim the match values ``keys`` of ``target_object`` for ``owner`` (``(source_object,
        source_id)``) while its write is in flight, unless one of them already belongs to another
        source record: then nothing is claimed and that record is returned. Claiming again for
        the same owner is a no-op. The caller ends a claim with :meth:`keep` once the write
        succeeded, or :meth:`release` when it did not."""
        claimed = self._keys.get(target_object)
        if claimed is None:
            rows = self.db.execute(
                "SELECT key, source_object, source_id FROM matchkey WHERE target_object = ?",
                (target_object,),
            )
            claimed = self._keys[target_object] = {k: (o, i) for k, o, i in rows}
        keys = list(keys)
        for key in keys:
            other = claimed.get(key)
            if other is not None and other != owner:
                return other
        new = [key for key in keys if key not in claimed]
        for key in new:
            claimed[key] = owner
        self._held[(target_object, owner)] = new
        return None

    def keep(self, target_object: str, owner: tuple[str, str], *, persist: bool = True) -> None:
        """The write succeeded: the claim stays (written with the next :meth:`commit` unless
        ``persist`` is false, as in a dry run, which must leave no trace)."""
        new = self._held.pop((target_object, owner), [])
        if persist:
            self._pending_keys.extend((target_object, key, *owner) for key in new)

    def release(self, target_object: str, owner: tuple[str, str]) -> None:
        """The write failed: the values it claimed are free again."""
        claimed = self._keys.get(target_object, {})
        for key in self._held.pop((target_object, owner), []):
            if claimed.get(key) == owner:
                del claimed[key]

    # --- checkpoints -------------------------------------------------------------------------

    def checkpoint(self, source_object: str) -> tuple[Any, bool]:
        """``(cursor, complete)`` saved for ``source_object`` (``(None, False)`` if none)."""
        row = self.db.execute(
            "SELECT cursor, complete FROM checkpoint WHERE source_object = ?", (source_object,)
        ).fetchone()
        if row is None:
            return None, False
        return (json.loads(row[0]) if row[0] is not None else None), bool(row[1])

    def commit(self, source_object: str, cursor: Any, *, complete: bool = False) -> None:
        """Write the pending id map and match key rows and the checkpoint in one transaction."""
        with self.db:
            self.db.execute("BEGIN")
            self._write_pending()
            self.db.execute(
                "INSERT OR REPLACE INTO checkpoint VALUES (?, ?, ?)",
                (source_object, None if cursor is None else json.dumps(cursor), int(complete)),
            )
        self._written()

    def flush(self) -> None:
        """Write the pending id map and match key rows (without touching checkpoints)."""
        with self.db:
            self.db.execute("BEGIN")
            self._write_pending()
        self._written()

    def _write_pending(self) -> None:
        """Inside a transaction: the pending rows (cleared once it has committed)."""
        self.db.executemany("INSERT OR REPLACE INTO idmap VALUES (?, ?, ?, ?, ?)", self._pending)
        self.db.executemany(
            "INSERT OR IGNORE INTO matchkey VALUES (?, ?, ?, ?)", self._pending_keys
        )

    def _written(self) -> None:
        self._pending.clear()
        self._pending_keys.clear()

    def reset_checkpoints(self) -> None:
        """Start reading every object from its first page again (id map and hashes are kept)."""
        self.db.execute("DELETE FROM checkpoint")

    # --- deferred references -----------------------------------------------------------------

    def defer(
        self, source_object: str, source_id: str, target_id: str, values: Any, refs: Any
    ) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO deferred VALUES (?, ?, ?, ?, ?)",
            (source_object, source_id, target_id, json.dumps(values), json.dumps(refs)),
        )

    def deferred(self) -> Iterator[tuple[str, str, str, Any, Any]]:
        rows = self.db.execute("SELECT * FROM deferred ORDER BY source_object, source_id")
        for obj, sid, tid, values, refs in rows.fetchall():
            yield obj, sid, tid, json.loads(values), json.loads(refs)

    def resolved(self, source_object: str, source_id: str) -> None:
        self.db.execute(
            "DELETE FROM deferred WHERE source_object = ? AND source_id = ?",
            (source_object, source_id),
        )

    # --- meta --------------------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def close(self) -> None:
        self.db.close()
