"""Notes and tasks in the SQLite file (docs/notes.md): two tables beside the records, each row the
neutral note or task in its plain-data form (:func:`crmbridge.to_dict`), so a backup keeps every
field as given — the author and the timestamp included::

    notes(id PRIMARY KEY, seq, parent_object, parent_id, data JSON)
    tasks(id PRIMARY KEY, seq, data JSON)
    task_links(task, object, id)            -- which records each task is linked to

A note's parent must be a live record of the file (else :class:`~crmbridge.NotFound`), as must a
task's linked records. Notes and tasks list in the order they were written.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

import attrs

import crmbridge
from crmbridge import Note, NotFound, Ref, Task

if TYPE_CHECKING:
    from crmbridge.plugin import Plan

    from .store import Store

__all__ = ["SqliteNotes", "ensure_tables"]

#: Notes a page of ``list_object_notes`` holds (a local file: big pages, few round trips).
OBJECT_NOTES_PAGE = 500

_DDL = """
CREATE TABLE IF NOT EXISTS notes (
    id TEXT PRIMARY KEY, seq INTEGER NOT NULL, parent_object TEXT NOT NULL,
    parent_id TEXT NOT NULL, data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS notes_by_parent ON notes (parent_object, parent_id, seq);
CREATE TABLE IF NOT EXISTS tasks (id TEXT PRIMARY KEY, seq INTEGER NOT NULL, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS task_links (task TEXT NOT NULL, object TEXT NOT NULL, id TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS task_links_by_record ON task_links (object, id);
"""


def ensure_tables(store: Store) -> None:
    with store.lock:
        store.db.executescript(_DDL)


def _dump(item: Note | Task) -> str:
    return json.dumps(crmbridge.to_dict(attrs.evolve(item, raw=None)), sort_keys=True)


def _note(text: str) -> Note:
    return crmbridge.from_dict(Note, json.loads(text))


def _task(text: str) -> Task:
    return crmbridge.from_dict(Task, json.loads(text))


def _next_seq(db: sqlite3.Connection, table: str) -> int:
    row = db.execute(f"SELECT COALESCE(MAX(seq), 0) + 1 FROM {table}").fetchone()
    return int(row[0])


class SqliteNotes:
    """The notes and tasks plans (crmbridge/notes/hooks.py) of :class:`~crmbridge_sqlite.
    SqliteProvider`."""

    name: ClassVar[str]
    store: Store

    def _live_parent(self, ref: Ref) -> None:
        row = self.store.get(ref.object, ref.id)
        if row is None or row.archived:
            raise NotFound(f"{ref.object} has no record {ref.id!r}", provider=self.name)

    def _now(self, work: Any) -> Plan[Any]:
        yield from ()
        ensure_tables(self.store)
        return work()

    # --- notes -------------------------------------------------------------------------------

    def list_notes(self, parent: Ref) -> Plan[list[Note]]:
        def work() -> list[Note]:
            with self.store.lock:
                rows = self.store.db.execute(
                    "SELECT data FROM notes WHERE parent_object = ? AND parent_id = ? ORDER BY seq",
                    (parent.object, parent.id),
                ).fetchall()
            return [_note(r[0]) for r in rows]

        return self._now(work)

    def list_object_notes(
        self, object: str, cursor: str | None
    ) -> Plan[tuple[list[Note], str | None]]:
        """A page of the object's notes in ``seq`` order; the cursor is the last ``seq`` read."""

        def work() -> tuple[list[Note], str | None]:
            with self.store.lock:
                rows = self.store.db.execute(
                    "SELECT seq, data FROM notes WHERE parent_object = ? AND seq > ? "
                    "ORDER BY seq LIMIT ?",
                    (object, int(cursor or 0), OBJECT_NOTES_PAGE),
                ).fetchall()
            more = len(rows) == OBJECT_NOTES_PAGE
            return [_note(r[1]) for r in rows], str(rows[-1][0]) if more else None

        return self._now(work)

    def get_note(self, id: str) -> Plan[Note]:
        def work() -> Note:
            with self.store.lock:
                row = self.store.db.execute("SELECT data FROM notes WHERE id = ?", (id,)).fetchone()
            if row is None:
                raise NotFound(f"no note {id!r}", provider=self.name)
            return _note(row[0])

        return self._now(work)

    def create_note(self, note: Note) -> Plan[Note]:
        """Stored as given; ``created_at`` defaults to now."""

        def work() -> Note:
            made = attrs.evolve(
                note, id=str(uuid.uuid4()), created_at=note.created_at or dt.datetime.now(dt.UTC)
            )
            with self.store.transaction() as db:
                self._live_parent(note.parent)
                db.execute(
                    "INSERT INTO notes VALUES (?, ?, ?, ?, ?)",
                    (
                        made.id,
                        _next_seq(db, "notes"),
                        note.parent.object,
                        note.parent.id,
                        _dump(made),
                    ),
                )
            return made

        return self._now(work)

    def delete_note(self, id: str) -> Plan[None]:
        def work() -> None:
            with self.store.transaction() as db:
                if db.execute("DELETE FROM notes WHERE id = ?", (id,)).rowcount == 0:
                    raise NotFound(f"no note {id!r}", provider=self.name)

        return self._now(work)

    # --- tasks -------------------------------------------------------------------------------

    def list_tasks(self, linked: Ref | None, completed: bool | None) -> Plan[list[Task]]:
        def work() -> list[Task]:
            with self.store.lock:
                if linked is None:
                    rows = self.store.db.execute("SELECT data FROM tasks ORDER BY seq").fetchall()
                else:
                    rows = self.store.db.execute(
                        "SELECT t.data FROM tasks t JOIN task_links l ON l.task = t.id "
                        "WHERE l.object = ? AND l.id = ? ORDER BY t.seq",
                        (linked.object, linked.id),
                    ).fetchall()
            tasks = [_task(r[0]) for r in rows]
            return [t for t in tasks if completed is None or t.completed is completed]

        return self._now(work)

    def get_task(self, id: str) -> Plan[Task]:
        return self._now(lambda: self._get_task(id))

    def _get_task(self, id: str) -> Task:
        with self.store.lock:
            row = self.store.db.execute("SELECT data FROM tasks WHERE id = ?", (id,)).fetchone()
        if row is None:
            raise NotFound(f"no task {id!r}", provider=self.name)
        return _task(row[0])

    def _links(self, db: sqlite3.Connection, task: Task) -> None:
        assert task.id is not None
        for ref in task.linked:
            self._live_parent(ref)
        db.execute("DELETE FROM task_links WHERE task = ?", (task.id,))
        db.executemany(
            "INSERT INTO task_links VALUES (?, ?, ?)",
            [(task.id, r.object, r.id) for r in task.linked],
        )

    def create_task(self, task: Task) -> Plan[Task]:
        def work() -> Task:
            made = attrs.evolve(task, id=str(uuid.uuid4()), created_at=dt.datetime.now(dt.UTC))
            with self.store.transaction() as db:
                self._links(db, made)
                db.execute(
                    "INSERT INTO tasks VALUES (?, ?, ?)",
                    (made.id, _next_seq(db, "tasks"), _dump(made)),
                )
            return made

        return self._now(work)

    def update_task(self, id: str, changes: Mapping[str, Any]) -> Plan[Task]:
        def work() -> Task:
            with self.store.transaction() as db:
                task = attrs.evolve(self._get_task(id), **changes)
                self._links(db, task)
                db.execute("UPDATE tasks SET data = ? WHERE id = ?", (_dump(task), id))
            return task

        return self._now(work)

    def delete_task(self, id: str) -> Plan[None]:
        def work() -> None:
            with self.store.transaction() as db:
                if db.execute("DELETE FROM tasks WHERE id = ?", (id,)).rowcount == 0:
                    raise NotFound(f"no task {id!r}", provider=self.name)
                db.execute("DELETE FROM task_links WHERE task = ?", (id,))

        return self._now(work)
