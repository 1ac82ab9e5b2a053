"""Run the conformance suite's (synchronous) tests against an :class:`~crmbridge.AsyncBridge`.

The suite is written once, against the :class:`~crmbridge.Bridge` verbs. To prove the async facade
too, :class:`BlockingBridge` offers the same verbs over an ``AsyncBridge`` and runs each coroutine
to completion on an event loop of its own — so every call really goes through ``AsyncBridge`` and
the :class:`~crmbridge.http.AsyncDriver`, and a test body does not care which it got.

:func:`async_twin` builds that ``AsyncBridge`` from the sync ``Bridge`` the opting-in class
provides: same provider class and configuration, same emulator (so both see the same state) or the
same ``httpx.MockTransport`` (which serves sync and async clients alike).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping
from typing import Any, TypeVar

import httpx

from ...bridge import AsyncBridge, Bridge, connect_async
from ...changes import Change
from ...changes.drive import StoreArg
from ...filters import Filter, Sort
from ...model import FieldSpec, ObjectSpec, Option, Record, UpsertResult, ValueVersion
from ...notes.facade import BlockingNotes
from ...provider import Capabilities, ObjectSchema, Page, Plan, Provider
from ...upsert import DEFAULT_ON_ARCHIVED, OnArchived

__all__ = ["BlockingBridge", "async_twin"]

T = TypeVar("T")


def async_twin(bridge: Bridge) -> AsyncBridge:
    """An :class:`~crmbridge.AsyncBridge` to what ``bridge`` talks to.

    With an emulator, the twin shares it; with an ``httpx.MockTransport`` (which serves async
    clients too), it shares that; otherwise it connects afresh with the same configuration (a
    local provider such as SQLite, or a server reachable over HTTP).
    """
    provider = bridge.provider
    transport: Any = None
    if bridge.emulator is None:
        sync_transport = getattr(bridge.client, "_transport", None)
        if isinstance(sync_transport, httpx.MockTransport):
            transport = sync_transport
    config: dict[str, Any] = dict(provider.config)
    if provider.base_url and provider.base_url != type(provider).default_base_url.rstrip("/"):
        config["base_url"] = provider.base_url
    return connect_async(
        type(provider),
        emulator=bridge.emulator if bridge.emulator is not None else False,
        transport=transport,
        retry=bridge.driver.policy,
        **config,
    )


class BlockingBridge(BlockingNotes):
    """The :class:`~crmbridge.Bridge` verbs over an :class:`~crmbridge.AsyncBridge`."""

    def __init__(self, bridge: AsyncBridge) -> None:
        self.aio = bridge
        self.loop = asyncio.new_event_loop()

    def _wait(self, awaitable: Any) -> Any:
        return self.loop.run_until_complete(awaitable)

    # --- attributes the tests read -----------------------------------------------------------

    @property
    def provider(self) -> Provider:
        return self.aio.provider

    @property
    def capabilities(self) -> Capabilities:
        caps: Capabilities = self.aio.capabilities
        return caps

    @property
    def name(self) -> str:
        return self.aio.name

    @property
    def emulator(self) -> Any:
        return self.aio.emulator

    @property
    def driver(self) -> Any:
        return self.aio.driver

    def invalidate_schema(self, object: str | None = None) -> None:
        self.aio.invalidate_schema(object)

    # --- verbs -------------------------------------------------------------------------------

    def run(self, plan: Plan[Any]) -> Any:
        return self._wait(self.aio.run(plan))

    def objects(self, *, refresh: bool = False) -> list[ObjectSpec]:
        result: list[ObjectSpec] = self._wait(self.aio.objects(refresh=refresh))
        return result

    def schema(self, object: str, *, refresh: bool = False) -> ObjectSchema:
        result: ObjectSchema = self._wait(self.aio.schema(object, refresh=refresh))
        return result

    def fields(self, object: str, *, refresh: bool = False) -> list[FieldSpec]:
        result: list[FieldSpec] = self._wait(self.aio.fields(object, refresh=refresh))
        return result

    def create_field(self, object: str, spec: FieldSpec) -> FieldSpec:
        result: FieldSpec = self._wait(self.aio.create_field(object, spec))
        return result

    def create_option(self, object: str, field: str, label: str) -> Option:
        result: Option = self._wait(self.aio.create_option(object, field, label))
        return result

    def get(self, object: str, id: str) -> Record:
        result: Record = self._wait(self.aio.get(object, id))
        return result

    def _blocking(self, iterator: AsyncIterator[T]) -> Iterator[T]:
        """``iterator``'s items one at a time, each step run on this bridge's loop (lazily, as
        the sync facade reads pages as they are consumed)."""
        while True:
            try:
                item: T = self._wait(anext(iterator))
            except StopAsyncIteration:
                return
            yield item

    def query(
        self,
        object: str,
        where: Filter | Mapping[str, Any] | None = None,
        *,
        order_by: Iterable[str | Sort] | str | None = None,
        page_size: int | None = None,
        limit: int | None = None,
        fields: Iterable[str] | None = None,
    ) -> Iterator[Record]:
        """Every matching record. Unlike :meth:`Bridge.query`, all pages are read at the call
        (each still one request at a time through the async driver), so errors surface here as
        they do for the sync facade."""
        pages = self.aio.query(
            object, where, order_by=order_by, page_size=page_size, limit=limit, fields=fields
        )
        return iter(list(self._blocking(pages)))

    def pages(
        self,
        object: str,
        where: Filter | Mapping[str, Any] | None = None,
        *,
        order_by: Iterable[str | Sort] | str | None = None,
        page_size: int | None = None,
        fields: Iterable[str] | None = None,
        cursor: Any = None,
    ) -> Iterator[Page]:
        """Page by page, each with its ``next`` cursor, lazily (see :meth:`Bridge.pages`)."""
        return self._blocking(
            self.aio.pages(
                object, where, order_by=order_by, page_size=page_size, fields=fields, cursor=cursor
            )
        )

    def changes(
        self,
        object: str,
        cursor: Any = None,
        *,
        store: StoreArg = None,
        page_size: int | None = None,
    ) -> Iterator[Change]:
        """What changed since ``cursor``, one change at a time (see :meth:`Bridge.changes`)."""
        return self._blocking(self.aio.changes(object, cursor, store=store, page_size=page_size))

    def create(
        self, object: str, values: Mapping[str, Any], *, on_archived: OnArchived | None = None
    ) -> Record:
        result: Record = self._wait(self.aio.create(object, values, on_archived=on_archived))
        return result

    def update(
        self,
        object: str,
        id: str,
        values: Mapping[str, Any],
        *,
        on_archived: OnArchived | None = None,
    ) -> Record:
        result: Record = self._wait(self.aio.update(object, id, values, on_archived=on_archived))
        return result

    def upsert(
        self,
        object: str,
        values: Mapping[str, Any],
        *,
        match: str | None = None,
        on_archived: OnArchived | None = DEFAULT_ON_ARCHIVED,
        emulate: bool = False,
        before_write: Callable[[Record | None], None] | None = None,
    ) -> UpsertResult:
        result: UpsertResult = self._wait(
            self.aio.upsert(
                object,
                values,
                match=match,
                on_archived=on_archived,
                emulate=emulate,
                before_write=before_write,
            )
        )
        return result

    def upsert_many(
        self,
        object: str,
        rows: Iterable[Mapping[str, Any]],
        *,
        match: str | None = None,
        on_archived: OnArchived | None = DEFAULT_ON_ARCHIVED,
        emulate: bool = False,
    ) -> list[UpsertResult]:
        results: list[UpsertResult] = self._wait(
            self.aio.upsert_many(
                object, rows, match=match, on_archived=on_archived, emulate=emulate
            )
        )
        return results

    def delete(self, object: str, id: str) -> None:
        self._wait(self.aio.delete(object, id))

    def archive(self, object: str, id: str) -> None:
        self._wait(self.aio.archive(object, id))

    def restore(self, object: str, id: str) -> Record:
        result: Record = self._wait(self.aio.restore(object, id))
        return result

    def history(self, object: str, id: str, field: str) -> list[ValueVersion]:
        result: list[ValueVersion] = self._wait(self.aio.history(object, id, field))
        return result

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        read: bool | None = None,
    ) -> httpx.Response:
        result: httpx.Response = self._wait(
            self.aio.request(method, path, params=params, json=json, read=read)
        )
        return result

    def close(self) -> None:
        """Close the async bridge and the loop."""
        try:
            self._wait(self.aio.aclose())
        finally:
            self.loop.close()
