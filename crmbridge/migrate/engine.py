"""The migration engine: copy records object by object, at the target's write limit, resumably.

For each object pair, in dependency order (:func:`~crmbridge.migrate.plan.order_plans`):

1. read the source page by page at the largest page size it allows (a producer task keeps up to two
   pages ahead);
2. transform each record (:class:`~crmbridge.migrate.plan.ObjectPlan`), rewriting references
   through the id map;
3. skip it as ``noop`` when its content hash equals the one stored for it — no request at all;
   fail it when another source record was already written under the same match value (it would
   overwrite that record's target), unless the object says ``merge_duplicates = true``;
4. otherwise upsert it on the mapped match key, with ``concurrency`` writes in flight; the target's
   token bucket and its 429s pace them, so the run goes at the target's write limit;
5. when every record of a page is done, commit the id map rows and the next page's cursor in one
   transaction (the checkpoint ``--resume`` continues from).

Then a second pass writes references whose target record did not exist yet (cycles, forward
references). A write that fails for good goes to the failures file with its neutral values and
the error; every write is an upsert, so a retry after an ambiguous failure (a dropped connection)
cannot create a duplicate: the CRM matches the record the lost attempt created.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Mapping
from typing import IO, Any

import attrs

from ..bridge import AsyncBridge
from ..errors import ConfigError, Conflict, CRMError, RateLimited, TransportError
from ..http import AMBIGUOUS_WRITE
from ..model import Record, structure_value, to_dict
from ..provider import ObjectSchema
from .mapping import MappingFile
from .plan import ObjectPlan, build_plans, content_hash
from .report import ObjectReport, Report
from .state import MigrationState

__all__ = ["MigrationEngine"]

#: Engine-level attempts for a write that failed with a retryable error after the driver's own
#: retries (e.g. a non-idempotent request after a dropped connection: the upsert is safe to repeat).
WRITE_ATTEMPTS = 4


def _write_rate(target: AsyncBridge) -> float | None:
    """Writes per second the target's client is paced at (its write token bucket), else the
    provider's documented write limit (``None``: unknown)."""
    bucket = target.driver.limiter.buckets.get("write")
    return bucket.rate if bucket is not None else target.capabilities.write_rate


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
        state: MigrationState,
        *,
        dry_run: bool = False,
        limit: int | None = None,
        resume: bool = False,
        concurrency: int | None = None,
        create_options: bool = False,
        failures: IO[str] | None = None,
        on_plan: Callable[[dict[str, Any]], None] | None = None,
        progress: Any = None,
    ) -> None:
        self.source = source
        self.target = target
        self.mapping = mapping
        self.state = state
        self.dry_run = dry_run
        self.limit = limit
        self.resume = resume
        self.create_options = create_options
        self.failures = failures
        self.on_plan = on_plan
        self.progress = progress
        caps = target.capabilities
        if concurrency is None:
            # Enough writes in flight to fill the write limit at ~100 ms per round trip. The
            # limit is the one the client enforces: the provider's documented one, or the one
            # the target was connected with (an emulator's, a scaled one) — Kizen publishes none.
            rate = _write_rate(target)
            concurrency = max(caps.concurrency, int(rate / 10) + 1 if rate else caps.concurrency)
        self.concurrency = max(1, concurrency)
        self.report = Report()
        #: Target ids written by this run, per target object (to tell creates from updates).
        self._touched: dict[str, set[str]] = {}

    # --- setup -------------------------------------------------------------------------------

    async def plans(self) -> list[ObjectPlan]:
        """Fetch both schemas and check the mapping: every problem, before any write."""
        sources: dict[str, ObjectSchema] = {}
        targets: dict[str, ObjectSchema] = {}
        for om in self.mapping.objects:
            sources[om.source] = await self.source.schema(om.source)
            targets[om.target] = await self.target.schema(om.target)
        plans, missing = build_plans(
            self.mapping,
            sources,
            targets,
            default_match=self.target.provider.match_key,
            create_options=self.create_options,
            can_create_options=self.target.capabilities.create_options,
            upsert_match=self.target.capabilities.upsert_match,
        )
        if missing:
            await self._create_options(missing, targets)
        return plans

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
        if not self.resume:
            self.state.reset_checkpoints()
        for plan in plans:
            await self._copy_object(plan)
        if not self.dry_run:
            await self._second_pass({p.map.source: p for p in plans})
        return self.report

    def _check_endpoints(self) -> None:
        """A state file belongs to one source and one target: its id map and content hashes
        describe them. Used against another target (a sandbox's state, then production), every
        record would look migrated already and nothing would be written, so that is refused.
        Which CRMs it is for is recorded by the first run that writes (not by a dry run)."""
        for role, bridge in (("source", self.source), ("target", self.target)):
            here = _endpoint(bridge)
            before = self.state.get_meta(role)
            if before is None:
                if not self.dry_run:
                    self.state.set_meta(role, here)
            elif before != here:
                raise ConfigError(
                    f"the state file {self.state.path} belongs to a migration whose {role} is "
                    f"{before}; this run's {role} is {here}. Use another --state file for it "
                    "(or delete this one to start over)"
                )

    def _emit_plan(self, item: dict[str, Any]) -> None:
        if self.on_plan is not None:
            self.on_plan(item)

    async def _copy_object(self, plan: ObjectPlan) -> None:
        obj = plan.map.source
        report = self.report.objects.setdefault(plan.map.key, ObjectReport(plan.map.key))
        cursor, complete = self.state.checkpoint(obj) if self.resume else (None, False)
        if complete:
            report.skipped_complete = True
            return
        task = None
        if self.progress is not None:
            task = self.progress.add_task(plan.map.key, total=self.limit)
        queue: asyncio.Queue[tuple[int, Record] | None] = asyncio.Queue(
            maxsize=self.concurrency * 4
        )
        pages: dict[int, _Page] = {}
        done_through = [-1]
        lock = asyncio.Lock()

        async def produce() -> None:
            page_size = self.source.capabilities.max_page_size
            index = 0
            seen = 0
            async for page in self.source.pages(obj, page_size=page_size, cursor=cursor):
                records = list(page.records)
                if self.limit is not None:
                    records = records[: max(0, self.limit - seen)]
                seen += len(records)
                last = (
                    page.next is None
                    or not page.records
                    or (self.limit is not None and seen >= self.limit)
                )
                pages[index] = _Page(page.next, len(records), last)
                del page
                if not records:
                    await self._page_done(obj, pages, index, done_through, lock)
                for record in records:
                    await queue.put((index, record))
                if last:
                    break
                index += 1
            for _ in range(self.concurrency):
                await queue.put(None)

        async def work() -> None:
            while (item := await queue.get()) is not None:
                index, record = item
                await self._copy_record(plan, record, report)
                if task is not None:
                    self.progress.advance(task)
                pages[index].pending -= 1
                if pages[index].pending == 0:
                    await self._page_done(obj, pages, index, done_through, lock)

        producer = asyncio.create_task(produce())
        workers = [asyncio.create_task(work()) for _ in range(self.concurrency)]
        try:
            await asyncio.gather(producer, *workers)
        finally:
            for t in (producer, *workers):
                t.cancel()
        if task is not None:
            self.progress.update(task, total=report.total, completed=report.total)

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

    async def _copy_record(self, plan: ObjectPlan, record: Record, report: ObjectReport) -> None:
        obj = plan.map.source
        if record.id is None:
            return
        try:
            values, deferred = plan.transform(record, self.state.target_id)
        except CRMError as exc:
            self._fail(plan, record, {}, exc, report)
            return
        digest = content_hash({**values, "__deferred__": to_dict(deferred)})
        known = self.state.target_id(obj, record.id)
        if known is not None and self.state.hash_of(obj, record.id) == digest:
            report.count("noop")
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
        if await self._write(plan, record, values, deferred, digest, known, report):
            self.state.keep(plan.map.target, owner)
        else:
            self.state.release(plan.map.target, owner)

    async def _write(
        self,
        plan: ObjectPlan,
        record: Record,
        values: dict[str, Any],
        deferred: dict[str, Any],
        digest: str,
        known: str | None,
        report: ObjectReport,
    ) -> bool:
        """Upsert one record, retrying what may be retried; whether it was written."""
        obj = plan.map.source
        assert record.id is not None
        on_archived = "unarchive" if self.target.capabilities.archive else None
        last_error: CRMError | None = None
        AMBIGUOUS_WRITE.set(False)
        for attempt in range(WRITE_ATTEMPTS):
            try:
                result = await self.target.upsert(
                    plan.map.target,
                    values,
                    match=plan.match,
                    on_archived=on_archived,  # type: ignore[arg-type]
                    emulate=plan.map.emulate,
                )
            except (TransportError, RateLimited) as exc:
                last_error = exc
                await asyncio.sleep(min(2.0**attempt * 0.1, 2.0))
                continue
            except CRMError as exc:
                if exc.status is not None and exc.status >= 500 and attempt + 1 < WRITE_ATTEMPTS:
                    last_error = exc
                    await asyncio.sleep(min(2.0**attempt * 0.1, 2.0))
                    continue
                self._fail(plan, record, values, exc, report)
                return False
            action = result.action
            target_id = result.record.id or ""
            touched = self._touched.setdefault(plan.map.target, set())
            if (
                action == "updated"
                and (attempt or AMBIGUOUS_WRITE.get())
                and known is None
                and target_id not in touched
            ):
                # A lost answer, then a retry that matched the record the lost attempt created:
                # it was created by this run. (Into a target that already held the record, this
                # reports "created" for what was an update: see docs/reliability.md.)
                action = "created"
            touched.add(target_id)
            self.state.record(obj, record.id, plan.map.target, target_id, digest)
            if deferred:
                self.state.defer(obj, record.id, target_id, to_dict(values), to_dict(deferred))
            report.count(action)
            return True
        assert last_error is not None
        self._fail(plan, record, values, last_error, report)
        return False

    def _fail(
        self,
        plan: ObjectPlan,
        record: Record,
        values: Mapping[str, Any],
        exc: CRMError,
        report: ObjectReport,
    ) -> None:
        report.count("failed")
        if self.dry_run:
            self._emit_plan(
                {
                    "action": "fail",
                    "object": plan.map.target,
                    "source_id": record.id,
                    "error": f"{type(exc).__name__}: {exc.message}",
                }
            )
        if self.failures is None:
            return
        line = {
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
        self.failures.write(json.dumps(line, ensure_ascii=False, default=str) + "\n")
        self.failures.flush()

    async def _second_pass(self, plans: Mapping[str, ObjectPlan]) -> None:
        """Write references that could not be resolved on the first pass."""
        for obj, source_id, target_id, values_plain, refs_plain in list(self.state.deferred()):
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
                await self.target.update(plan.map.target, target_id, resolved)
            except CRMError as exc:
                self._fail(plan, Record(obj, source_id), resolved, exc, report)
                continue
            values = {**structure_value(values_plain), **resolved}
            self.state.record(
                obj,
                source_id,
                plan.map.target,
                target_id,
                content_hash({**values, "__deferred__": {}}),
            )
            self.state.resolved(obj, source_id)
            report.references_fixed += 1
        self.state.flush()


def _endpoint(bridge: AsyncBridge) -> str:
    """Which CRM ``bridge`` reaches: the provider's endpoint, or this emulator (a fresh in-process
    emulator is another CRM, empty)."""
    if bridge.emulator is not None:
        return f"{bridge.provider.name} emulator {bridge.emulator.instance}"
    return bridge.provider.endpoint()


def _duplicate(plan: ObjectPlan, values: Mapping[str, Any], first: tuple[str, str]) -> Conflict:
    return Conflict(
        f"{plan.match}={values.get(plan.match)!r} is also the match value of {first[0]} "
        f"{first[1]}, already written to {plan.map.target}: upserting this record would "
        f"overwrite that one. Tell them apart in the mapping, or set merge_duplicates = true "
        f"on this object to write both into one {plan.map.target} record",
        code="duplicate_match_value",
    )
