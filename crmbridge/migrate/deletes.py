"""Source records that are gone: confirmed, reported, and (if asked) removed from the target.

After a complete scan of a source object (first page to last, no ``--limit``), every source record
the id map holds that the scan did not read is a candidate. Offset pages shift when records
disappear mid-scan, so a candidate is only ``gone`` once a GET by id answers 404 (Attio: deleted;
Kizen: archived or deleted, both 404 — plugins/kizen/crmbridge_kizen/provider.py ``get``); one the
GET still finds was missed by the scan and is copied now. What happens to a gone record's target
record is the run's ``deletes`` policy (issue 18):

* ``report`` (default): counted as ``gone``, nothing changes (and it is reported again by every
  run until it is propagated);
* ``archive`` / ``delete``: the target record is archived / deleted (a target record already gone
  counts as done), the id map forgets it, and the run's changes remember it.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from ..errors import CRMError, NotFound
from ..model import Record
from .state import Change

if TYPE_CHECKING:
    from .engine import MigrationEngine
    from .plan import ObjectPlan
    from .report import ObjectReport

__all__ = ["propagate_deletes"]

log = logging.getLogger("crmbridge.migrate")


async def propagate_deletes(
    engine: MigrationEngine, plan: ObjectPlan, candidates: list[str], report: ObjectReport
) -> None:
    """Confirm, report and (per ``engine.deletes``) propagate the ``candidates``: migrated source
    records (in the id map) that a complete scan did not read, or that a change feed said were
    deleted."""
    obj = plan.map.source
    state = engine.state
    gone: list[str] = []
    for source_id in candidates:
        try:
            record = await engine.source.get(obj, source_id)
        except NotFound:
            gone.append(source_id)
            continue
        except CRMError as exc:
            log.warning("%s %s: cannot tell whether it is gone: %s", plan.map.key, source_id, exc)
            continue
        await engine._copy_record(plan, record, report)  # missed by a scan whose pages shifted
    if not gone:
        return
    log.warning(
        "%s: %d source record(s) gone since they were migrated (--deletes %s)",
        plan.map.key,
        len(gone),
        engine.deletes,
    )
    for source_id in gone:
        report.count("gone")
        target_id = state.target_id(obj, source_id)
        if engine.dry_run or engine.deletes == "report" or target_id is None:
            if engine.dry_run:
                engine._emit_plan(
                    {
                        "action": "gone",
                        "object": plan.map.target,
                        "source_id": source_id,
                        "target_id": target_id,
                        "then": engine.deletes,
                    }
                )
            continue
        try:
            if engine.deletes == "archive":
                await engine.target.archive(plan.map.target, target_id)
            else:
                await engine.target.delete(plan.map.target, target_id)
        except NotFound:
            pass  # already gone from the target too
        except CRMError as exc:
            engine._fail(plan, Record(obj, source_id), {}, exc, report)
            continue
        kind = "archived" if engine.deletes == "archive" else "deleted"
        report.count(kind)
        state.forget(obj, source_id)
        if engine.run_id is not None:
            state.log_change(
                Change(engine.run_id, kind, plan.map.target, target_id, obj, source_id, None, {})
            )
