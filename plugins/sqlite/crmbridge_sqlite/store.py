"""The SQLite file: schemas and records as JSON in three tables. Storage only, no CRM semantics.

Everything is stored through the neutral model's plain-data form (:func:`crmbridge.to_dict`), so
a value keeps its exact type (``Decimal`` stays ``Decimal``, a date stays a date, an
:class:`~crmbridge.Option` keeps its id) and the file can be read by any SQLite client::

    objects(slug PRIMARY KEY, position, spec JSON)
    fields(object, slug, position, spec JSON, PRIMARY KEY (object, slug))
    records(object, id, seq, archived, created_at, fields JSON, PRIMARY KEY (object, id))
    unique_values(object, field, key, id)      -- an index of the values of unique fields

``seq`` is a per-file counter giving records a stable order: pages are keyset-paginated on it.
``unique_values`` lets a write find the record holding a unique value without decoding every
record (``key`` is :func:`~crmbridge_sqlite.changes.unique_key`).
The connection is shared by the sync and async facades (``check_same_thread=False``), with a
lock around each statement group, because a provider instance may be driven from either.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import sqlite3
import threading
from collections.abc import Collection, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

import crmbridge
from crmbridge import FieldSpec, ObjectSpec, Record

from .changes import unique_key

__all__ = ["Row", "Store"]

SCHEMA_VERSION = 1

_DDL = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS objects (
    slug TEXT PRIMARY KEY, position INTEGER NOT NULL, spec TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS fields (
    object TEXT NOT NULL, slug TEXT NOT NULL, position INTEGER NOT NULL, spec TEXT NOT NULL,
    PRIMARY KEY (object, slug)
);
CREATE TABLE IF NOT EXISTS records (
    object TEXT NOT NULL, id TEXT NOT NULL, seq INTEGER NOT NULL,
    archived INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL, fields TEXT NOT NULL,
    PRIMARY KEY (object, id)
);
CREATE INDEX IF NOT EXISTS records_by_seq ON records (object, archived, seq);
CREATE TABLE IF NOT EXISTS unique_values (
    object TEXT NOT NULL, field TEXT NOT NULL, key TEXT NOT NULL, id TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS unique_by_key ON unique_values (object, field, key);
CREATE INDEX IF NOT EXISTS unique_by_id ON unique_values (object, id);
"""

#: Rows decoded per batch when scanning (a page never needs to decode the whole table).
BATCH = 500


@attrs.frozen
class Row:
    """One stored record: its values in neutral form, decoded."""

    object: str
    id: str
    seq: int
    archived: bool
    created_at: dt.datetime
    fields: dict[str, Any]


def _dump(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def dump_fields(fields: Mapping[str, Any]) -> str:
    """Record values as JSON: the ``fields`` of :func:`crmbridge.to_dict` of a record (tagged
    plain data, lossless)."""
    return _dump(crmbridge.to_dict(Record("", None, dict(fields)))["fields"])


def load_fields(text: str) -> dict[str, Any]:
    """The inverse of :func:`dump_fields`, through :func:`crmbridge.from_dict`."""
    return dict(crmbridge.from_dict(Record, {"object": "", "fields": json.loads(text)}).fields)


def dump_spec(spec: ObjectSpec | FieldSpec) -> str:
    """A spec as JSON, without ``raw`` (the source CRM's payload is not needed to restore)."""
    return _dump(crmbridge.to_dict(attrs.evolve(spec, raw=None)))


class Store:
    """One SQLite file (or ``:memory:``)."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self.lock = threading.RLock()
        if self.path != ":memory:":
            # WAL with synchronous=NORMAL: a commit is durable against crashes of the process
            # and costs no fsync per write (a backup writes thousands of small transactions).
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(_DDL)  # executescript commits on its own: outside a transaction
        with self.transaction():
            self.db.execute(
                "INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),)
            )

    def close(self) -> None:
        with self.lock:
            self.db.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic unit of work: every write of a verb commits together or not at all."""
        with self.lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield self.db
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            self.db.execute("COMMIT")

    # --- schema ------------------------------------------------------------------------------

    def objects(self) -> list[ObjectSpec]:
        with self.lock:
            rows = self.db.execute("SELECT spec FROM objects ORDER BY position").fetchall()
        return [crmbridge.from_dict(ObjectSpec, json.loads(r[0])) for r in rows]

    def fields(self, object: str) -> list[FieldSpec]:
        with self.lock:
            rows = self.db.execute(
                "SELECT spec FROM fields WHERE object = ? ORDER BY position", (object,)
            ).fetchall()
        return [crmbridge.from_dict(FieldSpec, json.loads(r[0])) for r in rows]

    def put_object(self, spec: ObjectSpec, fields: Sequence[FieldSpec]) -> None:
        """Create or replace an object and its fields (records are kept)."""
        with self.transaction() as db:
            position = db.execute("SELECT COALESCE(MAX(position) + 1, 0) FROM objects").fetchone()
            old = db.execute("SELECT position FROM objects WHERE slug = ?", (spec.slug,)).fetchone()
            db.execute(
                "INSERT OR REPLACE INTO objects VALUES (?, ?, ?)",
                (spec.slug, old[0] if old else position[0], dump_spec(spec)),
            )
            db.execute("DELETE FROM fields WHERE object = ?", (spec.slug,))
            db.executemany(
                "INSERT INTO fields VALUES (?, ?, ?, ?)",
                [(spec.slug, f.slug, i, dump_spec(f)) for i, f in enumerate(fields)],
            )
            unique = {f.slug for f in fields if f.unique}
            db.execute("DELETE FROM unique_values WHERE object = ?", (spec.slug,))
            for row in self.scan(spec.slug, archived=None):
                self._index(db, row.object, row.id, row.fields, unique)

    def put_field(self, object: str, spec: FieldSpec) -> None:
        """Replace one field's spec (e.g. with a new option)."""
        with self.transaction() as db:
            db.execute(
                "UPDATE fields SET spec = ? WHERE object = ? AND slug = ?",
                (dump_spec(spec), object, spec.slug),
            )

    # --- records -----------------------------------------------------------------------------

    @staticmethod
    def _row(r: Sequence[Any]) -> Row:
        return Row(r[0], r[1], r[2], bool(r[3]), dt.datetime.fromisoformat(r[4]), load_fields(r[5]))

    _COLUMNS = "object, id, seq, archived, created_at, fields"

    def get(self, object: str, id: str) -> Row | None:
        with self.lock:
            r = self.db.execute(
                f"SELECT {self._COLUMNS} FROM records WHERE object = ? AND id = ?", (object, id)
            ).fetchone()
        return self._row(r) if r else None

    def scan(self, object: str, *, archived: bool | None = False, after: int = -1) -> Iterator[Row]:
        """Records of ``object`` in ``seq`` order after ``after`` (``archived=None``: all),
        decoded in batches as the caller iterates."""
        sql = f"SELECT {self._COLUMNS} FROM records WHERE object = ? AND seq > ?"
        extra: list[Any] = []
        if archived is not None:
            sql += " AND archived = ?"
            extra.append(int(archived))
        sql += f" ORDER BY seq LIMIT {BATCH}"
        while True:
            with self.lock:
                rows = self.db.execute(sql, [object, after, *extra]).fetchall()
            for r in rows:
                yield self._row(r)
            if len(rows) < BATCH:
                return
            after = rows[-1][2]

    def holders(
        self, object: str, field: str, keys: Sequence[str], *, archived: bool, skip: str | None
    ) -> list[str]:
        """Ids of records (live or archived) whose unique ``field`` holds one of ``keys``."""
        if not keys:
            return []
        marks = ", ".join("?" * len(keys))
        sql = (
            "SELECT DISTINCT u.id FROM unique_values u JOIN records r "
            "ON r.object = u.object AND r.id = u.id "
            f"WHERE u.object = ? AND u.field = ? AND u.key IN ({marks}) AND r.archived = ?"
        )
        with self.lock:
            rows = self.db.execute(sql, [object, field, *keys, int(archived)]).fetchall()
        return [r[0] for r in rows if r[0] != skip]

    def _index(
        self,
        db: sqlite3.Connection,
        object: str,
        id: str,
        fields: Mapping[str, Any],
        unique: Collection[str],
    ) -> None:
        db.execute("DELETE FROM unique_values WHERE object = ? AND id = ?", (object, id))
        rows = []
        for slug in unique:
            value = fields.get(slug)
            for item in value if isinstance(value, list) else [value]:
                if item is not None and item != "":
                    rows.append((object, slug, unique_key(item), id))
        db.executemany("INSERT INTO unique_values VALUES (?, ?, ?, ?)", rows)

    def insert(
        self,
        db: sqlite3.Connection,
        object: str,
        id: str,
        fields: Mapping[str, Any],
        unique: Collection[str],
    ) -> Row:
        seq = db.execute("SELECT COALESCE(MAX(seq) + 1, 0) FROM records").fetchone()[0]
        now = dt.datetime.now(dt.UTC)
        db.execute(
            "INSERT INTO records VALUES (?, ?, ?, 0, ?, ?)",
            (object, id, seq, now.isoformat(), dump_fields(fields)),
        )
        self._index(db, object, id, fields, unique)
        return Row(object, id, seq, False, now, dict(fields))

    def write(
        self,
        db: sqlite3.Connection,
        row: Row,
        fields: Mapping[str, Any],
        unique: Collection[str],
        *,
        archived: bool,
    ) -> Row:
        db.execute(
            "UPDATE records SET fields = ?, archived = ? WHERE object = ? AND id = ?",
            (dump_fields(fields), int(archived), row.object, row.id),
        )
        self._index(db, row.object, row.id, fields, unique)
        return attrs.evolve(row, fields=dict(fields), archived=archived)

    def remove(self, db: sqlite3.Connection, object: str, id: str) -> None:
        db.execute("DELETE FROM records WHERE object = ? AND id = ?", (object, id))
        db.execute("DELETE FROM unique_values WHERE object = ? AND id = ?", (object, id))
