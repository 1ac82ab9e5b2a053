"""The migration engine: copy records object by object, at the target's write limit, resumably.

For each object pair, in dependency order (:func:`~crmbridge.migrate.plan.order_plans`):

1. read the source page by page at the largest page size it allows (a producer task reads the
   next page while the current one is written: one page ahead, and the queue of records);
2. read the page's id map rows, those of the records it references and the claims of its match
   values from the state in one query each (:meth:`MigrationEngine._prepare_page`; the state keeps
   a bounded cache, so memory does not grow with the number of records, issue 24), then transform
   each record once (:class:`~crmbridge.migrate.plan.ObjectPlan`), rewriting references through
   the id map (a record with a reference that could not be resolved yet is transformed again when
   it is written: the record it references may have been written meanwhile);
3. skip it as ``noop`` when its content hash equals the one stored for it — no request at all;
   fail it when another source record was already written under the same match value (it would
   overwrite that record's target), unless the object says ``merge_duplicates = true``;
4. otherwise upsert it on the mapped match key, with ``concurrency`` writes in flight; the target's
   token bucket and its 429s pace them, so the run goes at the target's write limit. The upserts'
   searches are made per batch when the page is read (:meth:`MigrationEngine._prefetch`, issue
   24): one read per ``lookup_batch_size`` records instead of one per record; a record whose
   answer is missing, stale or shared with an earlier record, and every retry, searches alone;
5. when every record of a page is done, commit the id map rows and the next page's cursor in one
   transaction (the checkpoint ``--resume`` continues from).

Then a second pass writes references whose target record did not exist yet (cycles, forward
references). A write that fails for good goes to the run's failures file with its neutral values
and the error, and stays *pending* in the state: every later run, ``--resume`` included, retries it
until it is written, and the run is not ``ok`` while one is pending (issue 15). Every write is an
upsert, so a retry after an ambiguous failure (a dropped connection) cannot create a duplicate: the
CRM matches the record the lost attempt created.

Around the copy (issue 18, docs/migrate.md "Cut-over"):

* each object's mapping is hashed into the state; a changed mapping re-plans the object;
* a complete scan that no longer finds a migrated source record confirms it with a GET (404: gone)
  and reports it as ``gone``; ``deletes`` says whether its target record is archived or deleted;
* the state keeps digests of what each target record held after the engine's write; when the
  upsert reads the record again before writing, a record changed by someone else is a conflict
  that ``on_target_changed`` resolves (``keep``: skipped and reported with the fields that differ);
* every write is logged in the state under the run's id (created, or the values it overwrote),
  for ``--undo``.

Events go to the ``crmbridge.migrate`` logger: the run and each object at INFO, records given up
on, conflicts and deletes at WARNING.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from typing import Any

import attrs

from .. import heap
from ..bridge import AsyncBridge
from ..errors import ConfigError, Conflict, CRMError, NotFound, RateLimited, TransportError
from ..http import AMBIGUOUS_WRITE
from ..model import Record, Ref, structure_value, to_dict
from ..provider import ObjectSchema
from ..raw_rows import RawRows
from ..upsert import DEFAULT_ON_ARCHIVED, Lookups, OnArchived
from .engine_options import DELETES, ON_TARGET_CHANGED, Deletes, OnTargetChanged
from .failures import FailuresFile
from .field_creation import create_fields
from .fingerprint import (
    changed_fields,
    field_digests,
    mapping_digest,
    source_context,
    source_digester,
)
from .mapping import MappingFile
from .pages import PageReader
from .plan import ObjectPlan, content_hash
from .prepare import Prepared, prepare_plans
from .report import ObjectReport, Report
from .state import Change, StateStore
from .writers import Writers

__all__ = ["DELETES", "ON_TARGET_CHANGED", "MigrationEngine", "TargetChanged"]

log = logging.getLogger("crmbridge.migrate")

#: Engine-level attempts for a write that failed with a retryable error after the driver's own
#: retries (e.g. a non-idempotent request after a dropped connection: the upsert is safe to repeat).
WRITE_ATTEMPTS = 4
#: Tries of a batched search (after the driver's own retries) before its records search alone:
#: a failed batch costs one request per record instead.
LOOKUP_ATTEMPTS = 2
#: Seconds between writes of the id map rows of a page still in progress.
FLUSH_EVERY = 1.0


class TargetChanged(Conflict):
    """The target record was changed by someone else since the engine last wrote it."""

    def __init__(self, message: str, fields: list[str]) -> None:
        super().__init__(message, code="target_changed")
        self.fields = fields


def check_deletes(deletes: str, target: AsyncBridge) -> None:
    """``deletes`` is a policy the target can apply: refused before the run otherwise."""
    if deletes not in DELETES:
        raise ConfigError(f"--deletes must be one of {', '.join(DELETES)}, got {deletes!r}")
    caps = target.capabilities
    if deletes == "archive" and not caps.archive:
        raise ConfigError(
            f"--deletes archive: {target.name} has no archived records"
            + ("; use --deletes delete" if caps.delete else "")
        )
    if deletes == "delete" and not caps.delete:
        raise ConfigError(
            f"--deletes delete: {target.name} cannot delete records"
            + ("; use --deletes archive" if caps.archive else "")
        )


#: Pages read at once when a page had nothing to write: enough to fill a read limit of
#: ``READ_AHEAD_MAX / 0.1`` pages/s at ~100 ms per page (Attio's 100 reads/s, docs/reference/
#: attio.md §6), and a bound on the pages held in memory.
READ_AHEAD_MAX = 8


def _read_ahead(source: AsyncBridge) -> int:
    """Pages to read at once from ``source`` on a run of unchanged pages: its read limit x
    ~100 ms, within 2..:data:`READ_AHEAD_MAX` (unknown limit: the maximum, the client's 429
    handling paces it)."""
    bucket = source.driver.limiter.buckets.get("read")
    rate = bucket.rate if bucket is not None else source.capabilities.read_rate
    if not rate:
        return READ_AHEAD_MAX
    return max(2, min(READ_AHEAD_MAX, round(rate * 0.1)))


def _lean(record: Record) -> Record:
    """``record`` without its provider payload (``Record.raw``): the engine reads a record's
    fields only, and the payloads of the pages being written were most of a migration's memory
    (tracemalloc at 90,000 Attio records: 15.7 of 37 MB were Attio's decoded JSON, ~30 KB of
    objects per record; docs/benchmarks.md, "Engine memory and re-run")."""
    return record if record.raw is None else attrs.evolve(record, raw=None)


def _write_rate(target: AsyncBridge) -> float | None:
    """Writes per second the target's client is paced at (its write token bucket), else the
    provider's documented write limit (``None``: unknown)."""
    bucket = target.driver.limiter.buckets.get("write")
    return bucket.rate if bucket is not None else target.capabilities.write_rate


#: A record's transform made when its page was read: ``(values, deferred, content hash)``.
Transformed = tuple[dict[str, Any], dict[str, Any], str]


@attrs.define
class _Page:
    cursor_after: Any
    pending: int
    last: bool


class MigrationEngine:
    """One migration run. Use :func:`crmbridge.migrate` or ``crmbridge migrate`` rather than this
    class directly."""

    def __init__(
        self,
        source: AsyncBridge,
        target: AsyncBridge,
        mapping: MappingFile,
        state: StateStore,
        *,
        dry_run: bool = False,
        limit: int | None = None,
        resume: bool = False,
        concurrency: int | None = None,
        create_options: bool = False,
        create_fields: bool = False,
        failures: FailuresFile | None = None,
        on_plan: Callable[[dict[str, Any]], None] | None = None,
        progress: Any = None,
        run_id: str | None = None,
        deletes: Deletes = "report",
        on_target_changed: OnTargetChanged = "keep",
        delta: bool = False,
    ) -> None:
        if delta and limit is not None:
            raise ConfigError("--delta reads what changed since the last run; it takes no --limit")
        self.delta = delta
        self.source = source
        self.target = target
        self.mapping = mapping
        self.state = state
        self.dry_run = dry_run
        self.limit = limit
        self.resume = resume
        self.create_options = create_options
        self.create_fields = create_fields
        self.failures = failures
        self.on_plan = on_plan
        self.progress = progress
        self.run_id = run_id
        check_deletes(deletes, target)
        if on_target_changed not in ON_TARGET_CHANGED:
            raise ConfigError(
                f"--on-target-changed must be one of {', '.join(ON_TARGET_CHANGED)}, "
                f"got {on_target_changed!r}"
            )
        self.deletes = deletes
        self.on_target_changed = on_target_changed
        # Writes in flight: fixed (``concurrency``, or sized from the write limit the client
        # enforces), or adapted to the answers of a target with no published limit (writers.py).
        self.writers = Writers.for_target(target, concurrency, _write_rate(target))
        self.concurrency = self.writers.size
        self.report = Report(run_id=run_id)
        self._flushed = time.monotonic()
        #: Source objects whose stored hashes a dry run must not trust (their mapping changed).
        self._untrusted: set[str] = set()
        #: Answers of the batched searches of the pages being written (:meth:`_prefetch`).
        self._lookups = Lookups()
        #: Source objects whose pages are read before their copy starts (:meth:`_read_early`).
        self._readers: dict[str, PageReader] = {}
        #: The object copied after the current one.
        self._next: ObjectPlan | None = None

    # --- setup -------------------------------------------------------------------------------

    async def plans(self) -> list[ObjectPlan]:
        """Fetch both schemas and check the mapping: every problem, before any write. Fields
        to create (``--create-fields``) are created first, then the mapping is checked again
        against what the target made (crmbridge/migrate/field_creation.py)."""
        prepared = await self._prepare(self.create_fields)
        if prepared.new_fields:
            await create_fields(self.target, prepared, self.dry_run, self._emit_plan)
            if not self.dry_run:
                prepared = await self._prepare(False)
        if prepared.missing_options:
            await self._create_options(prepared.missing_options, prepared.targets)
        return prepared.plans

    async def _prepare(self, create_fields: bool) -> Prepared:
        return await prepare_plans(
            self.source,
            self.target,
            self.mapping,
            create_options=self.create_options,
            can_create_options=self.target.capabilities.create_options,
            create_fields=create_fields,
        )

    async def _create_options(
        self, missing: Mapping[tuple[str, str], list[str]], targets: Mapping[str, ObjectSchema]
    ) -> None:
        for (obj, slug), labels in missing.items():
            if self.dry_run:
                for label in labels:
                    self._emit_plan(
                        {"action": "create_option", "object": obj, "field": slug, "label": label}
                    )
                continue
            schema = targets[obj]
            for label in labels:
                await self.target.run(
                    self.target.provider.create_option(schema, schema.fields[slug], label)
                )
            self.target.invalidate_schema(obj)

    # --- the run -----------------------------------------------------------------------------

    async def run(self) -> Report:
        self._check_endpoints()
        plans = await self.plans()
        log.info(
            "run %s: %s -> %s, %d object(s)%s%s",
            self.run_id or "(dry run)",
            self.source.name,
            self.target.name,
            len(plans),
            " (resumed)" if self.resume else "",
            " (dry run)" if self.dry_run else "",
        )
        for plan in plans:
            self._bind(plan)
        if not self.resume and not self.dry_run:
            self.state.reset_checkpoints()
        try:
            for i, plan in enumerate(plans):
                # the next object's first page is read once this one's last page is in
                self._next = plans[i + 1] if i + 1 < len(plans) else None
                await self._copy_object(plan)
        finally:
            for reader in self._readers.values():
                await reader.close()
            self._readers.clear()
        if not self.dry_run:
            await self._second_pass({p.map.source: p for p in plans})
        if not self.delta:  # notes and tasks follow their parents (crmbridge/migrate/notes.py)
            from .notes import copy_notes_and_tasks

            await copy_notes_and_tasks(self, plans)
        for plan in plans:
            report = self.report.objects[plan.map.key]
            report.pending = len(self.state.pending(plan.map.source))
            log.info("%s: %s", plan.map.key, report.summary())
        return self.report

    def _bind(self, plan: ObjectPlan) -> None:
        """Bind the object to this mapping in the state (issue 15): a state made with another
        mapping is not trusted for it."""
        obj = plan.map.source
        report = self.report.objects.setdefault(plan.map.key, ObjectReport(plan.map.key))
        digest = mapping_digest(plan)
        if self.dry_run:
            before = self.state.mapping_hash(obj)
            if before is not None and before != digest:
                self._untrusted.add(obj)
                report.replanned = True
            return
        if self.state.bind_mapping(obj, digest, target_object=plan.map.target):
            report.replanned = True
            log.warning(
                "%s: the mapping changed since the state was made: its records are written "
                "again (the target tells which really change)",
                plan.map.key,
            )

    def _check_endpoints(self) -> None:
        """A state file belongs to one source and one target: its id map and content hashes
        describe them. Used against another target (a sandbox's state, then production), every
        record would look migrated already and nothing would be written, so that is refused.
        Which CRMs it is for is recorded by the first run that writes (not by a dry run)."""
        for role, bridge in (("source", self.source), ("target", self.target)):
            here = endpoint(bridge)
            before = self.state.get_meta(role)
            if before is None:
                if not self.dry_run:
                    self.state.set_meta(role, here)
            elif before != here:
                raise ConfigError(
                    f"the state file {self.state.location} belongs to a migration whose {role} "
                    f"is {before}; this run's {role} is {here}. Use another --state file for it "
                    "(or delete this one to start over)"
                )

    def _emit_plan(self, item: dict[str, Any]) -> None:
        if self.on_plan is not None:
            self.on_plan(item)

    async def _copy_object(self, plan: ObjectPlan) -> None:
        obj = plan.map.source
        report = self.report.objects.setdefault(plan.map.key, ObjectReport(plan.map.key))
        if self.delta:  # only what changed since the last run (crmbridge/migrate/delta.py)
            from .delta import copy_changes

            await copy_changes(self, plan, report)
            return
        cursor, complete = self.state.checkpoint(obj) if self.resume else (None, False)
        retry = set(self.state.pending(obj))
        # Only a scan from the first page to the last, unlimited, sees every source record; the
        # records it read are marked in the state, not kept here (issue 24).
        whole = cursor is None and self.limit is None and not complete
        if whole:
            self.state.clear_seen(obj)
        if complete:
            report.skipped_complete = True
        else:
            finished = await self._scan(plan, report, cursor, retry if whole else None)
            whole = whole and finished
        await self._retry_pending(plan, sorted(retry), report)
        if whole:
            from .deletes import propagate_deletes

            await propagate_deletes(self, plan, self.state.unseen(obj), report)
        if not self.dry_run:
            self.state.flush()

    def _read_early(self, plan: ObjectPlan) -> None:
        """Start reading ``plan``'s source pages now, if its copy will scan them: its first page
        is then there when the object before it is done (crmbridge/migrate/pages.py). Called
        once the object before it has read its last page, so a first run still reads one page
        at a time."""
        obj = plan.map.source
        if self.delta or obj in self._readers:
            return
        cursor, complete = self.state.checkpoint(obj) if self.resume else (None, False)
        if not complete:
            self._readers[obj] = PageReader(self.source, obj, cursor)

    async def _reader(self, obj: str, cursor: Any) -> PageReader:
        """The reader started early for ``obj`` from ``cursor``, else a new one."""
        early = self._readers.pop(obj, None)
        if early is not None:
            if early.cursor == cursor:
                return early
            await early.close()
        return PageReader(self.source, obj, cursor)

    async def _scan(
        self, plan: ObjectPlan, report: ObjectReport, cursor: Any, retry: set[str] | None
    ) -> bool:
        """Copy the source records from ``cursor`` on; whether the scan reached the last page.
        ``retry`` (a complete scan only): the pending records, less those the scan reads, which
        are marked seen in the state."""
        obj = plan.map.source
        task = None
        if self.progress is not None:
            task = self.progress.add_task(plan.map.key, total=self.limit)
        queue: asyncio.Queue[tuple[int, Record, Transformed | None, str | None] | None] = (
            asyncio.Queue(maxsize=self.concurrency * 4)
        )
        pages: dict[int, _Page] = {}
        done_through = [-1]
        lock = asyncio.Lock()
        reached_end = [False]

        reader = await self._reader(obj, cursor)

        async def produce() -> None:
            index = 0
            read = 0
            async for page in reader:
                answered = page.records
                count = len(answered)
                if self.limit is not None:
                    count = min(count, max(0, self.limit - read))
                read += count
                ids = [_row_id(answered, i) for i in range(count)]
                if retry is not None:
                    seen = [sid for sid in ids if sid is not None]
                    self.state.mark_seen(obj, seen)
                    retry.difference_update(seen)
                end = page.next is None or not page.records
                last = end or (self.limit is not None and read >= self.limit)
                reached_end[0] = end
                if last and self._next is not None:
                    self._read_early(self._next)  # read while this page is written
                # Records whose source is as it was when last written: noop, not even decoded.
                unchanged, digests = self._unchanged(plan, answered, ids)
                if unchanged:
                    report.count("noop", len(unchanged))
                    if task is not None:
                        self.progress.advance(task, len(unchanged))
                records = [_lean(answered[i]) for i in range(count) if i not in unchanged]
                pages[index] = _Page(page.next, len(records), last)
                del page, answered
                if not records:
                    await self._page_done(obj, pages, index, done_through, lock)
                prepared, rows = self._prepare_page(plan, records)
                # Pages with nothing to write (a re-run over unchanged data) cost only their
                # reads: then several are read at once, up to the source's read limit; while
                # records are written, one page ahead is enough (and keeps memory to a few pages).
                writes = len(rows) + (len(records) - len(prepared))
                reader.ahead = 1 if writes else _read_ahead(self.source)
                # The records go to the writers batch by batch, each once its batched search is
                # answered: the first writes of a page wait for one search, not for all of them.
                # Each record is let go of here once queued: the writers hold the few in
                # flight, not the page's 500 until the next page is read (issue 24's memory).
                waiting = deque(records)
                del records
                queued = 0
                async for upto in self._lookup(plan, rows):
                    while queued < upto and waiting:
                        record = waiting.popleft()
                        queued += 1
                        sid = record.id or ""
                        await queue.put((index, record, prepared.pop(sid, None), digests.get(sid)))
                while waiting:
                    record = waiting.popleft()
                    sid = record.id or ""
                    await queue.put((index, record, prepared.pop(sid, None), digests.get(sid)))
                del prepared, digests
                if last:
                    break
                index += 1
            else:
                reached_end[0] = True
            for _ in range(self.concurrency):
                await queue.put(None)

        async def work() -> None:
            while (item := await queue.get()) is not None:
                index, record, ready, digest = item
                async with self.writers.slot():
                    await self._copy_record(plan, record, report, ready, digest)
                self._flush_now_and_then()
                if task is not None:
                    self.progress.advance(task)
                pages[index].pending -= 1
                if pages[index].pending == 0:
                    await self._page_done(obj, pages, index, done_through, lock)

        producer = asyncio.create_task(produce())
        workers = [asyncio.create_task(work()) for _ in range(self.concurrency)]
        try:
            with self.writers.watching(self.target):
                await asyncio.gather(producer, *workers)
        finally:
            for t in (producer, *workers):
                t.cancel()
            await reader.close()
        self.report.writers = self.writers.summary()
        if task is not None:
            self.progress.update(task, total=report.total, completed=report.total)
        return reached_end[0]

    def _unchanged(
        self, plan: ObjectPlan, rows: Sequence[Record], ids: list[str | None]
    ) -> tuple[set[int], dict[str, str]]:
        """The positions of the page's records whose source is as it was when they were last
        written (docs/decisions.md "rerun"): the digest of the raw read fields, in the context
        of everything else the transform depends on (:func:`~crmbridge.migrate.fingerprint.
        source_context`), equals the one kept with the record's content hash, the content hash is
        valid (not voided by a mapping change) and the record is not pending. Those need no
        decode, no transform and no request. Also the digests of the others, by source id, to
        keep once they are written. Only for pages a provider answered undecoded
        (:class:`~crmbridge.raw_rows.RawRows`)."""
        obj = plan.map.source
        if not isinstance(rows, RawRows) or obj in self._untrusted:
            return set(), {}
        context = source_context(
            plan, {o: self.state.retargeted(o) for o in sorted(plan.object_map)}
        )
        if context is None:
            return set(), {}
        self.state.load(obj, [sid for sid in ids if sid is not None])
        pending = self.state.pending(obj)
        reads = sorted(plan.reads)
        digester = source_digester(context)
        unchanged: set[int] = set()
        digests: dict[str, str] = {}
        for position, sid in enumerate(ids):
            raw = rows.digest(position, reads) if sid is not None else None
            if sid is None or raw is None:
                continue
            digest = digester(raw)
            entry = self.state.entry(obj, sid)
            if entry is not None and entry.hash and entry.source == digest and sid not in pending:
                unchanged.add(position)
            else:
                digests[sid] = digest
        return unchanged, digests

    def _prepare_page(
        self, plan: ObjectPlan, records: list[Record]
    ) -> tuple[dict[str, Transformed], list[tuple[int, dict[str, Any]]]]:
        """Everything a page needs before its records are written, read in batches (issue 24):

        * its id map rows, those of the records it references and the claims of its match values,
          one state query each (the state caches them, boundedly);
        * each record transformed once: the answer (by source id) is what its write uses, unless
          a reference could not be resolved yet (:meth:`_copy_record` transforms that one again).

        Returns the transforms by source id, and the records that may need a write (records the
        state already holds unchanged need none), each as ``(position in the page, values)``
        for the batched searches (:meth:`_lookup`).
        """
        obj = plan.map.source
        if not records:
            return {}, []
        self.state.load(obj, [r.id for r in records if r.id is not None])
        for ref_object, ids in _references(plan, records).items():
            self.state.load(ref_object, ids)
        prepared: dict[str, Transformed] = {}
        rows: list[tuple[int, dict[str, Any]]] = []
        for position, record in enumerate(records):
            if record.id is None or record.absent & plan.reads:
                continue
            try:
                values, deferred = plan.transform(record, self.state.target_id)
            except CRMError:
                continue
            digest = content_hash({**values, "__deferred__": to_dict(deferred)})
            prepared[record.id] = (values, deferred, digest)
            if (
                obj not in self._untrusted
                and self.state.target_id(obj, record.id) is not None
                and self.state.hash_of(obj, record.id) == digest
            ):
                continue
            rows.append((position, values))
        if rows and not plan.map.merge_duplicates:
            match = plan.target.fields[plan.match]
            keys = self.target.provider.match_keys
            self.state.load_claims(
                plan.map.target, [k for _, v in rows for k in keys(match, v.get(plan.match))]
            )
        return prepared, rows

    async def _lookup(
        self, plan: ObjectPlan, rows: list[tuple[int, dict[str, Any]]]
    ) -> AsyncIterator[int]:
        """Search the target for the match values of ``rows`` in batches of the provider's
        ``lookup_batch_size``, one after the other (at once, they met 429 pauses: docs/
        benchmarks.md, "Issue 24 on a quiet machine"); after each, the position in the page up
        to which the records are ready to write. A failed search only costs the batch: each of
        its records then searches on its own, as every record did before."""
        self._lookups.next_generation()
        size = max(1, self.target.provider.lookup_batch_size)
        for start in range(0, len(rows), size):
            batch = rows[start : start + size]
            if not self.dry_run:
                await self._lookup_batch(plan, [values for _, values in batch])
            yield batch[-1][0] + 1

    async def _lookup_batch(self, plan: ObjectPlan, rows: list[dict[str, Any]]) -> None:
        for attempt in range(LOOKUP_ATTEMPTS):
            try:
                await self.target._lookup(
                    plan.map.target,
                    rows,
                    match=plan.match,
                    on_archived=self._on_archived(),
                    emulate=plan.map.emulate,
                    lookups=self._lookups,
                )
                return
            except CRMError as exc:
                log.info("%s: batched search failed (%s)%s", plan.map.key,
                         type(exc).__name__, "; its records search one by one"
                         if attempt + 1 == LOOKUP_ATTEMPTS else "")  # fmt: skip

    def _on_archived(self) -> OnArchived | None:
        return DEFAULT_ON_ARCHIVED if self.target.capabilities.archive else None

    def _flush_now_and_then(self) -> None:
        """Write the id map rows of records already written every second or so, between
        checkpoints: a run killed in the middle of a large page (Kizen's are 1,000 records) then
        resumes with those records known (``noop``, no request) instead of upserting them again.
        The checkpoint still only moves once a whole page is done."""
        if self.dry_run:
            return
        now = time.monotonic()
        if now - self._flushed >= FLUSH_EVERY:
            self._flushed = now
            self.state.flush()

    async def _retry_pending(
        self, plan: ObjectPlan, source_ids: list[str], report: ObjectReport
    ) -> None:
        """Records that failed in an earlier run and that this run's scan did not read again:
        read each from the source and copy it (gone from the source: no longer pending)."""
        obj = plan.map.source
        if source_ids:
            log.info("%s: retrying %d record(s) that failed before", plan.map.key, len(source_ids))
        for source_id in source_ids:
            try:
                record = await self.source.get(obj, source_id)
            except NotFound:
                if not self.dry_run:
                    self.state.written_ok(obj, source_id)
                continue
            except CRMError as exc:
                self._fail(plan, Record(obj, source_id), {}, exc, report)
                continue
            await self._copy_record(plan, record, report)

    async def _page_done(
        self,
        obj: str,
        pages: dict[int, _Page],
        index: int,
        done_through: list[int],
        lock: asyncio.Lock,
    ) -> None:
        """Checkpoint every page, in order, whose records are all done."""
        async with lock:
            while (nxt := done_through[0] + 1) in pages and pages[nxt].pending == 0:
                page = pages[nxt]
                done_through[0] = nxt
                if not self.dry_run:
                    self.state.commit(obj, page.cursor_after, complete=page.last)
                # The page's answers are freed: their heap pages go back (crmbridge/heap.py).
                heap.return_free_memory()

    async def _copy_record(
        self,
        plan: ObjectPlan,
        record: Record,
        report: ObjectReport,
        prepared: Transformed | None = None,
        source: str | None = None,
    ) -> None:
        """Copy one record. ``source``: the digest of its raw read fields (:meth:`_unchanged`),
        kept with its content hash once it is written, or found unchanged, with every reference
        resolved."""
        obj = plan.map.source
        if record.id is None:
            return
        if prepared is not None and not prepared[1]:
            values, deferred, digest = prepared  # transformed when its page was read
        else:
            try:
                whole = record
                if record.absent & plan.reads:  # a list answer left mapped fields out
                    whole = await self.source.get(obj, record.id)
                values, deferred = plan.transform(whole, self.state.target_id)
            except CRMError as exc:
                self._fail(plan, record, {}, exc, report)
                return
            digest = content_hash({**values, "__deferred__": to_dict(deferred)})
        if deferred:
            source = None  # its values change when the reference resolves
        entry = self.state.entry(obj, record.id)
        known = entry.target_id if entry is not None else None
        if entry is not None and obj not in self._untrusted and entry.hash == digest:
            report.count("noop")
            if not self.dry_run:
                self.state.written_ok(obj, record.id)
                if source is not None and entry.source != source:  # the next run skips it
                    self.state.record(obj, record.id, entry.target_object, entry.target_id,
                                      entry.hash, entry.written, source)  # fmt: skip
            return
        owner = (obj, record.id)
        if not plan.map.merge_duplicates:
            keys = self.target.provider.match_keys(
                plan.target.fields[plan.match], values.get(plan.match)
            )
            other = self.state.claim(plan.map.target, keys, owner)
            if other is not None:
                self._fail(plan, record, values, _duplicate(plan, values, other), report)
                return
        if self.dry_run:
            self.state.keep(plan.map.target, owner, persist=False)
            self._emit_plan(
                {
                    "action": "upsert",
                    "object": plan.map.target,
                    "match": plan.match,
                    "source_id": record.id,
                    "values": to_dict(values),
                }
            )
            report.count("planned")
            return
        if await self._write(plan, record, values, deferred, digest, known, report, source):
            self.state.keep(plan.map.target, owner)
        else:
            self.state.release(plan.map.target, owner)

    def _guard(
        self, plan: ObjectPlan, record: Record, seen: list[Record | None]
    ) -> Callable[[Record | None], None]:
        """What the upsert calls with the record it found, before it writes: remember it (its
        values are what this run overwrites, for ``--undo``), and stop the write when someone
        else changed the record since the engine last wrote it (unless ``overwrite``)."""
        assert record.id is not None
        entry = self.state.entry(plan.map.source, record.id)

        def guard(existing: Record | None) -> None:
            seen.append(existing)
            if (
                existing is None
                or entry is None
                or not entry.written
                or self.on_target_changed == "overwrite"
                or existing.id != entry.target_id
            ):
                return
            now = field_digests(existing.fields, entry.written)
            differ = changed_fields(entry.written, now)
            if differ:
                raise TargetChanged(
                    f"{plan.map.target} {existing.id} was changed in the target since the last "
                    f"run wrote it ({', '.join(differ)}); not overwritten "
                    "(--on-target-changed overwrite writes the source values)",
                    differ,
                )

        return guard

    async def _write(
        self,
        plan: ObjectPlan,
        record: Record,
        values: dict[str, Any],
        deferred: dict[str, Any],
        digest: str,
        known: str | None,
        report: ObjectReport,
        source: str | None = None,
    ) -> bool:
        """Upsert one record, retrying what may be retried; whether it was written (or kept as
        the target has it, on a conflict the run is told to keep)."""
        obj = plan.map.source
        assert record.id is not None
        on_archived = self._on_archived()
        last_error: CRMError | None = None
        AMBIGUOUS_WRITE.set(False)
        for attempt in range(WRITE_ATTEMPTS):
            found: list[Record | None] = []
            try:
                result = await self.target._upsert_found(
                    plan.map.target,
                    values,
                    match=plan.match,
                    on_archived=on_archived,
                    emulate=plan.map.emulate,
                    before_write=self._guard(plan, record, found),
                    # a retry searches again: the lost attempt may have written
                    lookups=self._lookups if attempt == 0 else None,
                )
            except TargetChanged as exc:
                return self._conflict(plan, record, values, exc, report)
            except (TransportError, RateLimited) as exc:
                last_error = exc
                log.info("%s %s: retrying after %s", plan.map.key, record.id, type(exc).__name__)
                await asyncio.sleep(min(2.0**attempt * 0.1, 2.0))
                continue
            except CRMError as exc:
                if exc.status is not None and exc.status >= 500 and attempt + 1 < WRITE_ATTEMPTS:
                    last_error = exc
                    log.info("%s %s: retrying after %s", plan.map.key, record.id, exc.status)
                    await asyncio.sleep(min(2.0**attempt * 0.1, 2.0))
                    continue
                self._fail(plan, record, values, exc, report)
                return False
            action = result.action
            target_id = result.record.id or ""
            if (
                action in ("updated", "noop")
                and (attempt or AMBIGUOUS_WRITE.get())
                and known is None
                and not self.state.target_known(plan.map.target, target_id)
            ):
                # A lost answer, then a retry that matched a record no source record was written
                # to: the lost attempt created it, in this run. (Into a target that already held
                # the record, this reports "created" for what was an update: see
                # docs/reliability.md.)
                action = "created"
            written = field_digests(result.record.fields, values)
            self.state.record(obj, record.id, plan.map.target, target_id, digest, written, source)
            if deferred:
                self.state.defer(obj, record.id, target_id, to_dict(values), to_dict(deferred))
            if action != "noop":
                self._log_change(plan, record.id, action, target_id, values, found, written)
            report.count(action)
            return True
        assert last_error is not None
        self._fail(plan, record, values, last_error, report)
        return False

    def _log_change(
        self,
        plan: ObjectPlan,
        source_id: str,
        action: str,
        target_id: str,
        values: Mapping[str, Any],
        found: list[Record | None],
        written: Mapping[str, str],
    ) -> None:
        """Remember what this write did, for ``--undo``: a record created, or the values of the
        fields it overwrote (as the upsert found them; unknown if the upsert did not say)."""
        if self.run_id is None:
            return
        existing = found[-1] if found else None
        before = None
        if action != "created":
            before = (
                {slug: to_dict(existing.fields.get(slug)) for slug in values}
                if existing is not None
                else {}
            )
        self.state.log_change(
            Change(
                self.run_id,
                action,
                plan.map.target,
                target_id,
                plan.map.source,
                source_id,
                before,
                written,
            )
        )

    def _conflict(
        self,
        plan: ObjectPlan,
        record: Record,
        values: Mapping[str, Any],
        exc: TargetChanged,
        report: ObjectReport,
    ) -> bool:
        if self.on_target_changed == "fail":
            self._fail(plan, record, values, exc, report)
            return False
        report.count("conflict")
        report.conflicts.append(
            {"source_id": record.id, "target_object": plan.map.target, "fields": exc.fields}
        )
        log.warning("%s %s: %s", plan.map.key, record.id, exc.message)
        if record.id is not None:
            self.state.written_ok(plan.map.source, record.id)
        return True

    def _fail(
        self,
        plan: ObjectPlan,
        record: Record,
        values: Mapping[str, Any],
        exc: CRMError,
        report: ObjectReport,
    ) -> None:
        report.count("failed")
        message = f"{type(exc).__name__}: {exc.message}"
        if self.dry_run:
            self._emit_plan(
                {
                    "action": "fail",
                    "object": plan.map.target,
                    "source_id": record.id,
                    "error": message,
                }
            )
            return
        log.warning("%s %s: gave up: %s", plan.map.key, record.id, message)
        if record.id is not None:
            self.state.failed(plan.map.source, record.id, message)
        if self.failures is None:
            return
        self.failures.write(
            {
                "run": self.run_id,
                "object": plan.map.source,
                "target_object": plan.map.target,
                "source_id": record.id,
                "values": {k: to_dict(v) for k, v in values.items()},
                "source": {k: to_dict(v) for k, v in record.fields.items()},
                "error": {
                    "type": type(exc).__name__,
                    "message": exc.message,
                    "status": exc.status,
                    "code": exc.code,
                    "fields": [str(e) for e in getattr(exc, "field_errors", ())],
                },
            }
        )

    async def _second_pass(self, plans: Mapping[str, ObjectPlan]) -> None:
        """Write references that could not be resolved on the first pass."""
        for obj, source_id, target_id, values_plain, refs_plain in self.state.deferred():
            plan = plans.get(obj)
            if plan is None:
                continue
            refs = structure_value(refs_plain)
            resolved = plan.rewrite_deferred(refs, self.state.target_id)
            report = self.report.objects[plan.map.key]
            if not any(resolved.values()):
                report.unresolved += 1
                continue
            try:
                updated = await self.target.update(plan.map.target, target_id, resolved)
            except CRMError as exc:
                self._fail(plan, Record(obj, source_id), resolved, exc, report)
                continue
            values = {**structure_value(values_plain), **resolved}
            entry = self.state.entry(obj, source_id)
            written = {
                **(entry.written or {} if entry is not None else {}),
                **field_digests(updated.fields, resolved),
            }
            self.state.record(
                obj,
                source_id,
                plan.map.target,
                target_id,
                content_hash({**values, "__deferred__": {}}),
                written,
            )
            self.state.resolved(obj, source_id)
            report.references_fixed += 1
        self.state.flush()


def endpoint(bridge: AsyncBridge) -> str:
    """Which CRM ``bridge`` reaches: the provider's endpoint, or this emulator (a fresh in-process
    emulator is another CRM, empty)."""
    if bridge.emulator is not None:
        return f"{bridge.provider.name} emulator {bridge.emulator.instance}"
    return bridge.provider.endpoint()


def _row_id(rows: Sequence[Record], position: int) -> str | None:
    """The id of a page's record, undecoded where the page is (:class:`RawRows`)."""
    return rows.id(position) if isinstance(rows, RawRows) else rows[position].id


def _references(plan: ObjectPlan, records: list[Record]) -> dict[str, list[str]]:
    """The source records ``records`` reference through the plan's fields, by source object (the
    objects the mapping migrates): read from the state with the page."""
    found: dict[str, set[str]] = {}
    for record in records:
        for slug in plan.reads:
            value = record.fields.get(slug)
            for ref in value if isinstance(value, list) else [value]:
                if isinstance(ref, Ref) and ref.object in plan.object_map:
                    found.setdefault(ref.object, set()).add(ref.id)
    return {obj: sorted(ids) for obj, ids in found.items()}


def _duplicate(plan: ObjectPlan, values: Mapping[str, Any], first: tuple[str, str]) -> Conflict:
    return Conflict(
        f"{plan.match}={values.get(plan.match)!r} is also the match value of {first[0]} "
        f"{first[1]}, already written to {plan.map.target}: upserting this record would "
        f"overwrite that one. Tell them apart in the mapping, or set merge_duplicates = true "
        f"on this object to write both into one {plan.map.target} record",
        code="duplicate_match_value",
    )
