"""Running a feed (:mod:`crmbridge.changes.feeds`) for the sync and the async facade: the feed's
read requests become provider plans run by the facade's driver (auth, retries, rate limits), a
404 on a GET becomes ``None``, and each :class:`~crmbridge.changes.feeds.Emit` is handed to the
consumer with its cursor. What :meth:`crmbridge.Bridge.changes` returns."""

from __future__ import annotations

import datetime as dt
import weakref
from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError, NotFound, ValidationError
from ..filters import Filter
from ..postgres import is_postgres_url
from ..provider import ObjectSchema, Query
from .feeds import Emit, Feed, Position, ReadOne, ReadPage, ScanFeed
from .model import Change
from .store import FeedStore, SQLiteFeedStore

if TYPE_CHECKING:
    from ..bridge import AsyncBridge, Bridge

__all__ = ["AsyncChangeFeed", "ChangeFeed", "StoreArg"]

#: What ``changes(store=...)`` takes: a store, a SQLite path, a ``postgresql://`` URL
#: (:class:`~crmbridge.changes.postgres.PostgresFeedStore`), or ``None`` (the connection's own
#: in-memory store: resumable within this process only).
StoreArg = FeedStore | str | Path | None

_MEMORY: weakref.WeakKeyDictionary[Any, FeedStore] = weakref.WeakKeyDictionary()


def resolve_store(owner: Any, store: StoreArg) -> tuple[FeedStore, bool]:
    """The store to use, and whether the feed opened it (and so closes it)."""
    if store is None:
        found = _MEMORY.get(owner)
        if found is None:
            found = _MEMORY[owner] = SQLiteFeedStore(":memory:")
        return found, False
    if isinstance(store, str) and is_postgres_url(store):
        from .postgres import PostgresFeedStore

        return PostgresFeedStore(store), True
    if isinstance(store, str | Path):
        return SQLiteFeedStore(store), True
    if isinstance(store, FeedStore):
        return store, False
    raise ValidationError(
        "store must be a FeedStore, a SQLite file path, a postgresql:// URL or None, got "
        f"{type(store).__name__}"
    )


class _Context:
    def __init__(
        self,
        bridge: Bridge | AsyncBridge,
        schema: ObjectSchema,
        store: FeedStore,
        page_size: int | None,
    ) -> None:
        self.bridge = bridge
        self.schema = schema
        self.store = store
        self.page_size = page_size

    def query(
        self,
        where: Filter | None,
        order_by: str | None,
        fields: Sequence[str] | None,
        page_size: int | None = None,
    ) -> Query:
        return self.bridge._verbs.prepare_query(
            self.schema, where, order_by, page_size or self.page_size, fields
        )

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)


def start(schema: ObjectSchema, feed: Feed, store: FeedStore, cursor: Any) -> Position:
    """The position to run from: a new feed for ``cursor=None``; otherwise the cursor checked
    against the object, the feed and the store, with unconfirmed rows rolled back."""
    if cursor is None:
        return Position(store.new_feed(schema.slug), schema.slug, 1, 0, feed.phases[0])
    pos = Position.from_json(cursor)
    if pos.object != schema.slug:
        raise ValidationError(
            f"this cursor is for {pos.object!r}, not {schema.slug!r}", code="cursor_object"
        )
    if pos.phase not in feed.phases:
        raise ValidationError(
            f"this cursor was made by another kind of feed (phase {pos.phase!r}; this feed has "
            f"{', '.join(feed.phases)})",
            code="cursor_feed",
        )
    newest = store.feed_gen(pos.feed)
    if newest is None:
        raise ConfigError(
            f"the change-feed store {store!r} does not know this cursor's feed: pass the "
            "store= it was made with (a SQLite path or postgresql:// URL to resume in another "
            "process)"
        )
    if newest > pos.gen:
        raise ValidationError(
            f"this cursor (pass {pos.gen}) is older than a pass already started from a later "
            "cursor; resume from the newest cursor, or start over with cursor=None",
            code="cursor_stale",
        )
    store.start_gen(pos.feed, pos.gen)
    store.rollback(pos.feed, pos.gen, pos.seq)
    return pos


class _FeedBase:
    def __init__(
        self,
        bridge: Bridge | AsyncBridge,
        object: str,
        cursor: Any,
        store: StoreArg,
        page_size: int | None = None,
    ) -> None:
        if not isinstance(object, str) or not object:
            raise ValidationError(f"an object name must be a non-empty string, got {object!r}")
        if page_size is not None and (
            not isinstance(page_size, int) or isinstance(page_size, bool) or page_size < 1
        ):
            raise ValidationError(f"page_size must be a positive integer, got {page_size!r}")
        self._page_size = page_size
        if cursor is not None:
            Position.from_json(cursor)  # a bad cursor is refused before any request
        self._bridge = bridge
        self._object = object
        self._given = cursor
        self._store, self._owned = resolve_store(bridge, store)
        self._cursor: Any = cursor
        self._steps: Any = None
        self._done = False
        self._schema: ObjectSchema | None = None

    @property
    def cursor(self) -> Any:
        """Where to resume: after the last change yielded, or (once the pass is over) the start
        of the next pass. JSON-able; ``None`` before the first change of a new feed."""
        return self._cursor

    def _begin(self, schema: ObjectSchema) -> None:
        self._schema = schema
        feed = self._bridge.provider.change_feed(schema) or ScanFeed()
        pos = start(schema, feed, self._store, self._given)
        self._cursor = pos.to_json()
        self._steps = feed.run(_Context(self._bridge, schema, self._store, self._page_size), pos)

    def _advance(self, answer: Any) -> Change | ReadPage | ReadOne | None:
        """Hand ``answer`` (to the last read; ``None`` to start) to the feed: the next change
        (its cursor kept), the next read, or ``None`` once the pass is over. The sans-IO part both
        drivers share; they differ only in how they do the reads."""
        try:
            step: ReadPage | ReadOne | Emit = self._steps.send(answer)
        except StopIteration as stop:
            self._finish(stop.value)
            return None
        if isinstance(step, Emit):
            self._cursor = step.change.cursor
            return step.change
        return step

    def _finish(self, pos: Position) -> None:
        self._cursor = pos.to_json()
        self._done = True
        if self._owned:
            self._store.close()

    def close(self) -> None:
        if not self._done:
            self._done = True
            if self._owned:
                self._store.close()


class ChangeFeed(_FeedBase, Iterator[Change]):
    """One pass of an object's changes (iterate it), with :attr:`cursor` to resume from."""

    _bridge: Bridge

    def __iter__(self) -> ChangeFeed:
        return self

    def __next__(self) -> Change:
        if self._done:
            raise StopIteration
        if self._steps is None:
            self._begin(self._bridge.schema(self._object))
        step = self._advance(None)
        while isinstance(step, ReadPage | ReadOne):
            step = self._advance(self._read(step))
        if step is None:
            raise StopIteration
        return step

    def _read(self, step: ReadPage | ReadOne) -> Any:
        bridge, schema = self._bridge, self._schema
        assert schema is not None
        if isinstance(step, ReadPage):
            return bridge.driver.run(bridge.provider.query(schema, step.query, step.cursor))
        try:
            return bridge.driver.run(bridge.provider.get(schema, step.id))
        except NotFound:
            return None


class AsyncChangeFeed(_FeedBase, AsyncIterator[Change]):
    """The async twin of :class:`ChangeFeed`: ``async for change in crm.changes(...)``."""

    _bridge: AsyncBridge

    def __aiter__(self) -> AsyncChangeFeed:
        return self

    async def __anext__(self) -> Change:
        if self._done:
            raise StopAsyncIteration
        if self._steps is None:
            self._begin(await self._bridge.schema(self._object))
        step = self._advance(None)
        while isinstance(step, ReadPage | ReadOne):
            step = self._advance(await self._read(step))
        if step is None:
            raise StopAsyncIteration
        return step

    async def _read(self, step: ReadPage | ReadOne) -> Any:
        bridge, schema = self._bridge, self._schema
        assert schema is not None
        if isinstance(step, ReadPage):
            return await bridge.driver.run(bridge.provider.query(schema, step.query, step.cursor))
        try:
            return await bridge.driver.run(bridge.provider.get(schema, step.id))
        except NotFound:
            return None
