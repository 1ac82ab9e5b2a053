"""Kizen's numbered search pages read several at once (``KizenProvider.page_cursor``, issue 24):
the links named ahead are the ones the server answers, the pages come in order, none is lost or
read twice, and a page past the last — DRF's 404 "Invalid page." — ends the read."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from crmbridge_kizen.emulator import KizenEmulator

import crmbridge as cb
from crmbridge import NotFound
from crmbridge.plugins import get_provider
from crmbridge.provider import Query

SEARCH = "POST /api/records/client_client/search"


class CountingKizen(KizenEmulator):
    """The Kizen emulator, counting the searches in flight (from arrival to answer)."""

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.in_flight = 0
        self.most_in_flight = 0
        self.pages: list[str | None] = []

    def admit(self, request: httpx.Request) -> float:
        if request.url.path.endswith("/search"):
            with self.lock:
                self.in_flight += 1
                self.most_in_flight = max(self.most_in_flight, self.in_flight)
        return super().admit(request)

    def dispatch(self, request: httpx.Request, *, rate_wait: float | None = None) -> httpx.Response:
        try:
            response = super().dispatch(request, rate_wait=rate_wait)
            if request.url.path.endswith("/search"):
                self.pages.append(request.url.params.get("page"))
            return response
        finally:
            if request.url.path.endswith("/search"):
                with self.lock:
                    self.in_flight -= 1


def _read(emulator: KizenEmulator, ahead: int, page_size: int) -> list[list[str | None]]:
    async def read() -> list[list[str | None]]:
        async with cb.connect_async("kizen", emulator=emulator) as kizen:
            iterator = kizen._page_iter("client_client", None, None, page_size, None, None,
                                        ahead=ahead)  # fmt: skip
            return [[r.id for r in page.records] async for page in iterator]

    return asyncio.run(read())


def test_pages_read_ahead_come_in_order_each_once() -> None:
    emulator = CountingKizen(seed="demo", demo_size=45, latency_ms=30)
    with cb.connect("kizen", emulator=emulator) as kizen:
        every = [r.id for r in kizen.query("client_client", page_size=1000)]
    emulator.pages.clear()
    pages = _read(emulator, ahead=4, page_size=10)
    assert [rid for page in pages for rid in page] == every
    assert [len(p) for p in pages] == [10] * (len(every) // 10) + [len(every) % 10]
    assert emulator.most_in_flight >= 3  # read at once, not one after another
    read = [p for p in emulator.pages if p is not None]
    assert len(read) == len(set(read))  # no page read twice


def test_one_page_at_a_time_reads_no_page_past_the_last() -> None:
    emulator = CountingKizen(seed="demo", demo_size=45)
    pages = _read(emulator, ahead=1, page_size=10)
    assert sum(len(p) for p in pages) >= 45
    assert emulator.most_in_flight == 1
    assert len(emulator.pages) == len(pages)  # one request a page, none past the last


def _first_page(kizen: Any) -> tuple[Any, Query, Any]:
    """The schema of contacts, a query of pages of 10, and its first page."""
    schema = kizen.schema("client_client")
    query = Query(page_size=10)
    return schema, query, kizen.driver.run(kizen.provider.query(schema, query, None))


def test_the_link_named_ahead_is_the_servers_next_link() -> None:
    emulator = get_provider("kizen").create_emulator(seed="demo", demo_size=45)
    with cb.connect("kizen", emulator=emulator) as kizen:
        schema, query, first = _first_page(kizen)
        second = kizen.driver.run(kizen.provider.query(schema, query, first.next))
        assert kizen.provider.page_cursor(query, first.next, 1) == second.next
        assert kizen.provider.page_cursor(query, None, 1) is None
        beyond = kizen.provider.page_cursor(query, first.next, 40)
        past = kizen.driver.run(kizen.provider.query(schema, query, beyond))
    assert (list(past.records), past.next) == ([], None)


def test_another_404_is_still_an_error() -> None:
    """Only DRF's "Invalid page." ends a read: an object that is gone is still NotFound."""
    emulator = get_provider("kizen").create_emulator(seed="demo", demo_size=15)
    with cb.connect("kizen", emulator=emulator) as kizen:
        schema, query, first = _first_page(kizen)
        gone = first.next.replace("client_client", "no_such_object")
        with pytest.raises(NotFound):
            kizen.driver.run(kizen.provider.query(schema, query, gone))
