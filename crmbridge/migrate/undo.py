"""Undo one run: ``crmbridge migrate --undo RUN`` (issue 18).

The state logs what each run did to each target record (:class:`~.state.Change`): records it
created, and the previous values of the fields it overwrote. Undoing a run walks that log
backwards:

* a record the run **created** is deleted (or archived, on a target without deletes);
* a record it **updated** gets the previous values of the fields it wrote back (and a record it
  **unarchived** is archived again);
* a record it **archived** (``--deletes archive``) is restored where the target can.

A record changed in the target since the run wrote it (its fields' digests differ from the ones
logged after the write) is left alone and reported as ``changed since``: an undo never clobbers
work done after the run. The id map forgets undone creates and voids the hashes of undone updates,
so the next run writes those records again.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from typing import Any

import attrs

from ..bridge import AsyncBridge
from ..errors import ConfigError, CRMError, NotFound
from ..model import structure_value
from .fingerprint import changed_fields, field_digests
from .state import Change, RunInfo, StateStore
from .state.store import new_run_id

__all__ = ["UndoReport", "undo_run"]

log = logging.getLogger("crmbridge.migrate")


@attrs.define
class UndoReport:
    """What an undo did: counts by outcome, and one line per record left alone."""

    run: str
    counts: Counter[str] = attrs.field(factory=Counter)
    left_alone: list[dict[str, Any]] = attrs.field(factory=list)

    @property
    def ok(self) -> bool:
        return not self.counts["failed"]


async def undo_run(
    target: AsyncBridge, state: StateStore, run_id: str, *, undo_id: str | None = None
) -> UndoReport:
    """Undo run ``run_id`` on ``target`` (the caller holds the state's lease)."""
    known = {r.id: r for r in state.runs()}
    if run_id not in known:
        listed = ", ".join(list(known)[-5:]) or "none yet"
        raise ConfigError(f"no run {run_id!r} in {state.location} (latest: {listed}; see --runs)")
    if known[run_id].command.startswith("undo "):
        raise ConfigError(f"run {run_id} is itself an undo; run the migration again instead")
    report = UndoReport(run_id)
    caps = target.capabilities
    me = undo_id or new_run_id()
    state.start_run(RunInfo(me, time.time(), f"undo {run_id}"))
    status = "interrupted"
    try:
        for change in reversed(state.changes(run_id)):
            outcome = await _undo_one(target, state, change, caps)
            report.counts[outcome] += 1
            if outcome in ("changed since", "cannot", "failed"):
                report.left_alone.append(
                    {
                        "target_object": change.target_object,
                        "target_id": change.target_id,
                        "kind": change.kind,
                        "outcome": outcome,
                    }
                )
        status = "ok" if report.ok else "failed"
    finally:
        state.flush()
        state.finish_run(me, status, report.counts)
    log.info("undo of %s: %s", run_id, dict(report.counts))
    return report


async def _undo_one(target: AsyncBridge, state: StateStore, change: Change, caps: Any) -> str:
    obj, tid = change.target_object, change.target_id
    if change.kind == "deleted":
        return "cannot"  # a hard delete cannot be taken back
    if change.kind == "archived":
        if not caps.restore:
            return "cannot"
        try:
            await target.restore(obj, tid)
        except CRMError as exc:
            log.warning("undo: cannot restore %s %s: %s", obj, tid, exc)
            return "failed"
        return "restored"
    try:
        current = await target.get(obj, tid)
    except NotFound:
        state.forget(change.source_object, change.source_id)
        return "already gone"
    except CRMError as exc:
        log.warning("undo: cannot read %s %s: %s", obj, tid, exc)
        return "failed"
    differ = changed_fields(change.after, field_digests(current.fields, change.after))
    if differ:
        log.warning(
            "undo: %s %s changed since the run wrote it (%s): left alone",
            obj,
            tid,
            ", ".join(differ),
        )
        return "changed since"
    try:
        if change.kind == "created":
            if caps.delete:
                await target.delete(obj, tid)
                outcome = "deleted"
            elif caps.archive:
                await target.archive(obj, tid)
                outcome = "archived"
            else:
                return "cannot"
            state.forget(change.source_object, change.source_id)
            return outcome
        if not change.before:
            return "cannot"  # the previous values were not known to the run
        before = {slug: structure_value(v) for slug, v in change.before.items()}
        updated = await target.update(obj, tid, before)
        if change.kind == "unarchived" and caps.archive:
            await target.archive(obj, tid)
    except CRMError as exc:
        log.warning("undo: %s %s: %s", obj, tid, exc)
        return "failed"
    entry = state.entry(change.source_object, change.source_id)
    if entry is not None:  # written again by the next run
        written = field_digests(updated.fields, change.after)
        state.record(change.source_object, change.source_id, obj, tid, "", written)
    return "reverted"
