"""Change feeds: how one object's changes are found, as sans-IO steps (docs/design.md §2's plans, one level
up). A feed is a generator that yields :class:`ReadPage` / :class:`ReadOne` requests (answered with a
:class:`~crmbridge.Page` / a :class:`~crmbridge.Record` or ``None`` for a 404) and :class:`Emit`\\ s;
:mod:`crmbridge.changes.drive` runs it for :class:`~crmbridge.Bridge` and
:class:`~crmbridge.AsyncBridge` alike.

Two strategies (issue 20 "What to build"):

* :class:`ScanFeed`, for any provider: a complete scan whose records are compared with the content
  hashes stored for the previous pass (⌈N/page⌉ reads), then a GET for every record stored as
  alive and not seen (404 ⇒ deleted; an answer with another id ⇒ merged into it).
* :class:`WatermarkFeed`, for CRMs whose records carry a read-only modification time that search
  can filter and sort (Kizen's ``updated``, docs/reference/kizen.md §4): ``marker >= watermark -
  overlap`` sorted by the marker, deduplicated by (id, marker), then an id-only scan compared with
  the stored ids for archives and deletions.

A provider picks its feed with :meth:`crmbridge.Provider.change_feed`; ``None`` means the scan.

Exactly once: every yielded change carries a cursor (pass, change number, phase, position).
:class:`~crmbridge.changes.store.FeedStore` rows remember which change set them, and a resume rolls
back the rows of changes after the cursor's, so a change is yielded again exactly when its cursor
was never handed back.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Generator, Sequence
from typing import Any, Protocol

import attrs

from ..errors import ValidationError
from ..filters import F, Filter
from ..model import Record, to_dict
from ..provider import ObjectSchema, Page, Query
from . import archives
from .model import Change, ChangeKind
from .store import FeedStore, Row, born_key

__all__ = [
    "Emit",
    "Feed",
    "Position",
    "ReadOne",
    "ReadPage",
    "ScanFeed",
    "Step",
    "WatermarkFeed",
    "content_hash",
]

CURSOR_VERSION = 1


@attrs.frozen
class ReadPage:
    """Read one page of ``query`` at the provider's page ``cursor``; answered with a Page."""

    query: Query
    cursor: Any


@attrs.frozen
class ReadOne:
    """GET one record; answered with the Record, or ``None`` when the CRM says 404."""

    id: str


@attrs.frozen
class Emit:
    """A change to hand to the consumer (its ``cursor`` resumes right after it)."""

    change: Change


Step = Generator[ReadPage | ReadOne | Emit, Any, None]


def content_hash(record: Record) -> str:
    """A stable hash of a record's fields (tagged plain form, :func:`crmbridge.to_dict`)."""
    plain = {k: to_dict(v) for k, v in sorted(record.fields.items())}
    text = json.dumps(plain, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


@attrs.define
class Position:
    """A feed's cursor: which feed, pass ``gen``, the last change number ``seq``, and where in
    the pass (``phase``, the provider's ``page`` cursor, records to ``skip`` in it, the
    watermark ``since``, the last id checked for deletion ``after``). JSON-able both ways."""

    feed: str
    object: str
    gen: int
    seq: int
    phase: str
    page: Any = None
    skip: int = 0
    since: str | None = None
    after: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"v": CURSOR_VERSION, **attrs.asdict(self)}
        return out

    @classmethod
    def from_json(cls, data: Any) -> Position:
        """Rebuild a cursor, refusing anything that is not one (before any request)."""
        if isinstance(data, str):
            try:
                data = json.loads(data)
            except ValueError:
                raise ValidationError(
                    f"not a change-feed cursor (not JSON): {data[:60]!r}"
                ) from None
        if not isinstance(data, dict) or data.get("v") != CURSOR_VERSION:
            raise ValidationError(
                "not a change-feed cursor: expected the JSON object a feed gave "
                f'(with "v": {CURSOR_VERSION}), got {str(data)[:80]!r}'
            )
        problems = []
        for key, kinds in (("feed", str), ("object", str), ("gen", int), ("seq", int),
                           ("phase", str), ("skip", int)):  # fmt: skip
            value = data.get(key)
            if (
                not isinstance(value, kinds)
                or isinstance(value, bool)
                or (isinstance(value, int) and value < 0)
            ):
                problems.append(key)
        for key in ("since", "after"):
            if data.get(key) is not None and not isinstance(data.get(key), str):
                problems.append(key)
        if data.get("since") is not None and "since" not in problems:
            try:
                dt.datetime.fromisoformat(data["since"])
            except ValueError:
                problems.append("since")
        if problems:
            raise ValidationError(f"change-feed cursor has a bad {', '.join(problems)}")
        fields = {a.name for a in attrs.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in fields})


class Context(Protocol):
    """What a feed needs from the facade, besides reads."""

    schema: ObjectSchema
    store: FeedStore

    def query(
        self,
        where: Filter | None,
        order_by: str | None,
        fields: Sequence[str] | None,
        page_size: int | None = None,
    ) -> Query: ...

    def now(self) -> dt.datetime: ...


class Feed:
    """A strategy for finding one object's changes. Subclasses set :attr:`phases` and implement
    the phases as ``phase_<name>(ctx, pos)`` generators; the base runs them in order and ends
    the pass with the cursor of the next one."""

    phases: tuple[str, ...] = ()
    #: Set by a phase that proved no record is gone this pass (the deletes phase is skipped).
    _nothing_gone = False

    def fingerprint(self, record: Record) -> str:
        """What is compared between passes (a content hash unless a feed knows better)."""
        return content_hash(record)

    def at(self, ctx: Context, record: Record | None) -> dt.datetime:
        """When the change happened, as far as the feed knows."""
        return ctx.now()

    def next_pass(self, pos: Position) -> Position:
        return Position(pos.feed, pos.object, pos.gen + 1, pos.seq, self.phases[0],
                        since=pos.since)  # fmt: skip

    def run(
        self, ctx: Context, pos: Position
    ) -> Generator[ReadPage | ReadOne | Emit, Any, Position]:
        """One pass from ``pos`` to its end; returns the cursor of the next pass."""
        self._nothing_gone = False
        for phase in self.phases[self.phases.index(pos.phase) :]:
            if phase != pos.phase:
                pos.phase, pos.page, pos.skip, pos.after = phase, None, 0, None
            yield from getattr(self, f"phase_{phase}")(ctx, pos)
        return self.next_pass(pos)

    # --- shared steps ------------------------------------------------------------------------

    def _emit(
        self,
        ctx: Context,
        pos: Position,
        kind: ChangeKind,
        id: str,
        record: Record | None,
        value: str | None,
        merged_into: str | None = None,
    ) -> Emit:
        """Number the change, store the row it sets (with that number), and wrap it."""
        pos.seq += 1
        ctx.store.mark(pos.feed, [(id, value)], pos.gen, pos.seq)
        change = Change(kind, id, record, self.at(ctx, record), ctx.schema.slug, merged_into,
                        cursor=pos.to_json())  # fmt: skip
        return Emit(change)

    def _compare(
        self, ctx: Context, pos: Position, page: Page
    ) -> Generator[ReadPage | ReadOne | Emit, Any, None]:
        """Yield the changes among ``page``'s records from ``pos.skip`` on, comparing each
        fingerprint with the row of the previous pass. Unchanged records are marked seen (with
        the last change's number, so a resume before it rolls them back too)."""
        records = page.records
        rows = ctx.store.rows(pos.feed, [r.id for r in records if r.id])
        unchanged: list[tuple[str, str | None]] = []
        for index in range(pos.skip, len(records)):
            record = records[index]
            if not record.id:
                continue
            value = self.fingerprint(record)
            row = rows.get(record.id)
            if row is not None and row.gen == pos.gen and row.cur == value:
                continue  # already reported (or seen unchanged) in this pass
            old = row.before(pos.gen) if row is not None else None
            if old == value:
                unchanged.append((record.id, value))
                continue
            self._flush(ctx, pos, unchanged)
            pos.skip = index + 1
            yield self._emit(ctx, pos, "created" if old is None else "updated", record.id,
                             record, value)  # fmt: skip
        self._flush(ctx, pos, unchanged)

    @staticmethod
    def _flush(ctx: Context, pos: Position, marks: list[tuple[str, str | None]]) -> None:
        if marks:
            ctx.store.mark(pos.feed, marks, pos.gen, pos.seq)
            marks.clear()

    def phase_deletes(
        self, ctx: Context, pos: Position
    ) -> Generator[ReadPage | ReadOne | Emit, Any, None]:
        """Records alive in the last pass and not seen in this one: GET each. 404 ⇒ deleted; a
        record with another id ⇒ merged into it; otherwise compared like a scanned one."""
        if self._nothing_gone:
            return
        while True:
            candidates: list[Row] = ctx.store.unseen(pos.feed, pos.gen, pos.after, 100)
            if not candidates:
                return
            for row in candidates:
                found = yield ReadOne(row.id)
                pos.after = row.id
                if found is None or (found.id and found.id != row.id):
                    merged = found.id if found is not None else None
                    yield self._emit(ctx, pos, "deleted", row.id, None, None, merged)
                    continue
                value = self.fingerprint(found)
                if value == row.before(pos.gen):
                    ctx.store.mark(pos.feed, [(row.id, value)], pos.gen, pos.seq)
                else:
                    yield self._emit(ctx, pos, "updated", row.id, found, value)


class ScanFeed(Feed):
    """Scan-and-compare: the feed every provider gets (module docstring)."""

    phases = ("scan", "deletes")

    def phase_scan(
        self, ctx: Context, pos: Position
    ) -> Generator[ReadPage | ReadOne | Emit, Any, None]:
        query = ctx.query(None, None, None)
        while True:
            page = yield ReadPage(query, pos.page)
            yield from self._compare(ctx, pos, page)
            if page.next is None or not page.records:
                return
            pos.page, pos.skip = page.next, 0


@attrs.define
class WatermarkFeed(Feed):
    """Modified-since: ``field`` is a read-only modification time search can filter (``>=``)
    and sort; ``overlap`` re-reads that much before the watermark (writes committed late, coarse
    filter precision), deduplicated by (id, marker). ``created``, a read-only creation time
    search can filter with ``>=`` and ``<`` (to ``resolution``), lets a pass that lost a few
    records find them by counting ranges instead of scanning every id
    (:mod:`crmbridge.changes.archives`)."""

    field: str
    overlap: dt.timedelta = dt.timedelta(seconds=5)
    created: str | None = None
    resolution: dt.timedelta = dt.timedelta(seconds=1)

    phases = ("modified", "ids", "deletes")

    def marker(self, record: Record) -> dt.datetime | None:
        value = record.get(self.field)
        return value if isinstance(value, dt.datetime) else None

    def fingerprint(self, record: Record) -> str:
        value = self.marker(record)
        # A record read without its marker (never from this CRM's search) falls back to content.
        return value.isoformat() if value is not None else content_hash(record)

    def at(self, ctx: Context, record: Record | None) -> dt.datetime:
        value = self.marker(record) if record is not None else None
        return value or ctx.now()

    def phase_modified(
        self, ctx: Context, pos: Position
    ) -> Generator[ReadPage | ReadOne | Emit, Any, None]:
        """Keyset pages: each page is a fresh ``marker >= since - overlap`` query from the newest
        marker read, so a record modified meanwhile moves behind the position instead of shifting
        an unread one before it; only a page of equal markers follows the provider's next link."""
        while True:
            where = None
            if pos.since is not None:
                where = F(self.field) >= dt.datetime.fromisoformat(pos.since) - self.overlap
            page = yield ReadPage(ctx.query(where, self.field, None), pos.page)
            yield from self._compare(ctx, pos, page)
            self._remember_born(ctx, pos, page.records)
            markers = [m for r in page.records if (m := self.marker(r)) is not None]
            newest = max(markers, default=None)
            if page.next is None or not page.records:
                if newest is not None and (pos.since is None or newest > _parse(pos.since)):
                    pos.since = newest.isoformat()
                return
            if newest is not None and (pos.since is None or newest > _parse(pos.since)):
                pos.since, pos.page, pos.skip = newest.isoformat(), None, 0
            else:
                pos.page, pos.skip = page.next, 0

    def phase_ids(
        self, ctx: Context, pos: Position
    ) -> Generator[ReadPage | ReadOne | Emit, Any, None]:
        """Every live id (no fields read but the creation time): marks the stored ones seen; an
        id the store does not know as alive was missed by the modified query (a late commit), so
        it is read and reported as created. Skipped, with the deletes phase, when the CRM's count
        of live records equals the store's: nothing was archived or deleted (one request instead
        of ⌈N/page⌉); and when the count dropped by a few, those records are found by counting
        ranges of creation time (:meth:`_counted_out`) if that is cheaper than the scan."""
        if pos.page is None and pos.skip == 0:
            probe = yield ReadPage(ctx.query(None, None, (), 1), None)
            alive = ctx.store.alive(pos.feed)
            if probe.total is not None and probe.total == alive:
                self._nothing_gone = True
                return
            if probe.total is not None and probe.total < alive and self.created is not None:
                found = yield from self._counted_out(ctx, pos, probe.total, alive)
                if found:
                    self._nothing_gone = True
                    return
        query = ctx.query(None, None, self._id_fields())
        while True:
            page = yield ReadPage(query, pos.page)
            yield from self._check_ids(ctx, pos, page.records, pos.skip, pos)
            if page.next is None or not page.records:
                return
            pos.page, pos.skip = page.next, 0

    def _id_fields(self) -> tuple[str, ...]:
        return (self.created,) if self.created is not None else ()

    def _remember_born(self, ctx: Context, pos: Position, records: Sequence[Record]) -> None:
        if self.created is None:
            return
        borns = []
        for record in records:
            value = record.get(self.created)
            if record.id and isinstance(value, dt.datetime):
                borns.append((record.id, born_key(value)))
        if borns:
            ctx.store.set_born(pos.feed, borns)

    def _check_ids(
        self,
        ctx: Context,
        pos: Position,
        records: Sequence[Record],
        start: int,
        where: Position | None,
    ) -> Generator[ReadPage | ReadOne | Emit, Any, None]:
        """Compare a page of live ids with the store: stored ones are marked seen, unknown ones
        read and reported created. ``where`` (the scan's position) takes the record to skip on a
        resume; ``None`` for a page the cursor cannot point into."""
        rows = ctx.store.rows(pos.feed, [r.id for r in records if r.id])
        seen: list[tuple[str, str | None]] = []
        for index in range(start, len(records)):
            id = records[index].id
            row = rows.get(id) if id else None
            if not id or (row is not None and row.gen == pos.gen):
                continue
            if row is not None and row.before(pos.gen) is not None:
                seen.append((id, row.before(pos.gen)))
                continue
            found = yield ReadOne(id)
            if found is None:
                continue
            self._flush(ctx, pos, seen)
            if where is not None:
                where.skip = index + 1
            yield self._emit(ctx, pos, "created", id, found, self.fingerprint(found))
            self._remember_born(ctx, pos, [found])
        self._flush(ctx, pos, seen)
        self._remember_born(ctx, pos, records)

    def _counted_out(
        self, ctx: Context, pos: Position, total: int, alive: int
    ) -> Generator[ReadPage | ReadOne | Emit, Any, bool]:
        """Find the ``alive - total`` records that left search by counting ranges of creation
        time (:mod:`crmbridge.changes.archives`); ``False`` (the id scan follows) when the
        store does not know every alive record's creation time, when the scan is cheaper, or
        when the counts did not add up in the end (records written meanwhile)."""
        assert self.created is not None
        store, feed = ctx.store, pos.feed
        page = ctx.query(None, None, ()).page_size
        if store.born_count(feed, None, None) != alive or not archives.worth_it(
            alive - total, alive, page
        ):
            return False

        def query(where: Filter | None, fields: tuple[str, ...], size: int | None) -> Query:
            return ctx.query(where, None, fields, size)

        search = archives.Search(self.created, self.resolution, page, query)
        steps = archives.leaves(
            search,
            lambda b: store.born_count(feed, *b),
            lambda b, n: store.born_nth(feed, b[0], b[1], n),
            total,
        )
        answer: Any = None
        while True:
            try:
                probe = steps.send(answer)
            except StopIteration as stop:
                found: list[archives.Leaf] = stop.value
                break
            answer = (yield ReadPage(probe, None)).total
            if answer is None:
                return False
        for bounds in found:
            stored = set(store.born_ids(feed, *bounds))
            cursor = None
            while True:
                page_read = yield ReadPage(search.ids(bounds), cursor)
                stored.difference_update(r.id for r in page_read.records if r.id)
                yield from self._check_ids(ctx, pos, page_read.records, 0, None)
                if page_read.next is None or not page_read.records:
                    break
                cursor = page_read.next
            for id in sorted(stored):
                gone = yield ReadOne(id)
                rows = store.rows(feed, [id])
                row = rows.get(id)
                if row is None or row.cur is None:
                    continue
                if gone is None or (gone.id and gone.id != id):
                    merged = gone.id if gone is not None else None
                    yield self._emit(ctx, pos, "deleted", id, None, None, merged)
                    continue
                value = self.fingerprint(gone)
                if value == row.before(pos.gen):
                    store.mark(feed, [(id, value)], pos.gen, pos.seq)
                else:
                    yield self._emit(ctx, pos, "updated", id, gone, value)
        return store.alive(feed) == total


def _parse(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)
