"""Delta migrations (``crmbridge migrate --delta``, ``crmbridge sync``): read only what changed in
each source object since the last run, through :meth:`crmbridge.AsyncBridge.changes` (issue 20).

Per source object the state keeps the feed's cursor (:meth:`StateStore.cursor`); the feed's
rows live in the same SQLite file or PostgreSQL schema (their own tables,
:class:`crmbridge.changes.SQLiteFeedStore`, :class:`crmbridge.changes.postgres.PostgresFeedStore`).
Created and updated records go through the engine's own copy (mapping, hashes, conflict rules), so a
record whose mapped values did not change is a ``noop``; deleted ones go through the run's
``deletes`` policy (:func:`crmbridge.migrate.deletes.propagate_deletes`, which confirms each with a
GET); records that failed before are retried first. The cursor is saved only once the pass is written and the state flushed: a run stopped
midway reads the same changes again next time (each copy is idempotent), so none is lost.
The first delta run has no cursor: every source record arrives as created, like a full run.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING

from ..changes import FeedStore, SQLiteFeedStore

if TYPE_CHECKING:
    from ..migrate.state import StateStore
    from .engine import MigrationEngine
    from .plan import ObjectPlan
    from .report import ObjectReport

__all__ = ["copy_changes", "feed_store"]

#: Each state's feed store, for as long as the state lives (keyed by the object, not its id():
#: a state dropped between sync cycles must not hand its store to the next one).
_STORES: weakref.WeakKeyDictionary[StateStore, FeedStore] = weakref.WeakKeyDictionary()


def feed_store(state: StateStore) -> FeedStore:
    """The feed store beside ``state``: the same SQLite file, or the same PostgreSQL database and
    schema (on the state's own connection), so that whichever process or machine takes up the
    state next resumes the feed from its saved cursor (issue 22). ``:memory:`` for a state store of
    another kind: changes are then only tracked in this process."""
    found = _STORES.get(state)
    if found is None:
        found = _STORES[state] = _beside(state)
    return found


def _beside(state: StateStore) -> FeedStore:
    from .state import PostgresStore

    if isinstance(state, PostgresStore):
        from ..changes.postgres import PostgresFeedStore

        return PostgresFeedStore.on(state.db, state.schema, state.location)
    path = getattr(state, "path", None)
    return SQLiteFeedStore(path if isinstance(path, str) else ":memory:")


async def copy_changes(engine: MigrationEngine, plan: ObjectPlan, report: ObjectReport) -> None:
    """Copy one source object's changes since the last delta run."""
    from .deletes import propagate_deletes

    obj = plan.map.source
    state = engine.state
    # Records that failed in an earlier run are read and copied again first (as a full run does).
    await engine._retry_pending(plan, sorted(state.pending(obj)), report)
    feed = engine.source.changes(obj, state.cursor(obj), store=feed_store(state))
    gone: set[str] = set()
    async for change in feed:
        if change.kind == "deleted":
            gone.add(change.id)
        elif change.record is not None:
            await engine._copy_record(plan, change.record, report)
    if gone:
        state.load(obj, gone)
        migrated = sorted(sid for sid in gone if state.target_id(obj, sid) is not None)
        await propagate_deletes(engine, plan, migrated, report)
    if not engine.dry_run:
        state.flush()
        state.set_cursor(obj, feed.cursor)
