"""The migration state's tables, once for both stores (duplicates D1): SQLite (:mod:`.sqlite`) and
PostgreSQL (:mod:`.postgres`) keep the same rows (docs/design.md §9, "State store"); where their
SQL differs only in a column type the template names it (``{real}``, ``{bool}``, ``{serial}``:
:mod:`crmbridge.sqltables`), so a table changes in one place for both.
"""

from __future__ import annotations

from ...sqltables import Schema

__all__ = ["SCHEMA"]

SCHEMA = Schema(
    tables=[
        """CREATE TABLE IF NOT EXISTS idmap (
    source_object TEXT NOT NULL,
    source_id TEXT NOT NULL,
    target_object TEXT NOT NULL,
    target_id TEXT NOT NULL,
    hash TEXT NOT NULL,
    written_json TEXT,
    source_digest TEXT,
    PRIMARY KEY (source_object, source_id)
)""",
        """CREATE TABLE IF NOT EXISTS checkpoint (
    source_object TEXT PRIMARY KEY,
    cursor TEXT,
    complete {bool} NOT NULL DEFAULT {false}
)""",
        """CREATE TABLE IF NOT EXISTS deferred (
    source_object TEXT NOT NULL,
    source_id TEXT NOT NULL,
    target_id TEXT NOT NULL,
    values_json TEXT NOT NULL,
    refs_json TEXT NOT NULL,
    PRIMARY KEY (source_object, source_id)
)""",
        "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        """CREATE TABLE IF NOT EXISTS matchkey (
    target_object TEXT NOT NULL,
    key TEXT NOT NULL,
    source_object TEXT NOT NULL,
    source_id TEXT NOT NULL,
    PRIMARY KEY (target_object, key)
)""",
        """CREATE TABLE IF NOT EXISTS pending (
    source_object TEXT NOT NULL,
    source_id TEXT NOT NULL,
    error TEXT NOT NULL,
    PRIMARY KEY (source_object, source_id)
)""",
        """CREATE TABLE IF NOT EXISTS lease (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    host TEXT NOT NULL,
    pid INTEGER NOT NULL,
    since {real} NOT NULL,
    expires {real} NOT NULL,
    token TEXT NOT NULL
)""",
        """CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY,
    started {real} NOT NULL,
    finished {real},
    status TEXT NOT NULL,
    command TEXT NOT NULL,
    counts_json TEXT NOT NULL DEFAULT '{{}}'
)""",
        """CREATE TABLE IF NOT EXISTS changes (
    seq {serial},
    run TEXT NOT NULL,
    kind TEXT NOT NULL,
    target_object TEXT NOT NULL,
    target_id TEXT NOT NULL,
    source_object TEXT NOT NULL,
    source_id TEXT NOT NULL,
    before_json TEXT,
    after_json TEXT NOT NULL
)""",
    ],
    #: Columns added after the first release, for states made before them.
    added=[("idmap", "written_json", "TEXT"), ("idmap", "source_digest", "TEXT")],
    indexes=[
        "CREATE INDEX IF NOT EXISTS changes_by_run ON changes (run)",
        # "Did a lost write create this target record?" (StateStore.target_known)
        "CREATE INDEX IF NOT EXISTS idmap_by_target ON idmap (target_object, target_id)",
    ],
)
