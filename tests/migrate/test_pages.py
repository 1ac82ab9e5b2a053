"""The engine's source pages are read ahead of the writes (crmbridge/migrate/pages.py, issue 24):
the next page while the current one is written, the next object's first page while the current
object drains, and a page's records written as each batched search answers. Rates are bench/migration_http.py's; here, the order of the requests."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
from toy_provider import ToyCRM, ToyPlugin

import crmbridge as cb
from crmbridge.demo import bundled_mapping
from crmbridge.migrate import Report, migrate
from crmbridge.migrate.pages import PageReader
from crmbridge.plugins import get_provider
from crmbridge.provider import KIND

#: Attio's demo seed: 600 people (two pages of 500) and 120 companies (one page).
PEOPLE = 600


def _run(
    tmp_path: Path, latency_ms: float = 0.0, **kw: Any
) -> tuple[Report, list[tuple[str, ...]]]:
    """Attio → Kizen (the bundled mapping) with every request both clients send, in order:
    ``(end, kind, "METHOD /path", body)``."""
    attio = get_provider("attio").create_emulator(
        seed="demo", demo_size=PEOPLE, latency_ms=latency_ms
    )
    kizen = get_provider("kizen").create_emulator(latency_ms=latency_ms)
    sent: list[tuple[str, ...]] = []

    def log(end: str) -> Any:
        def hook(request: httpx.Request) -> None:
            kind = str(request.extensions.get(KIND, "write"))
            route = f"{request.method} {request.url.path}"
            sent.append((end, kind, route, request.content.decode()))

        return hook

    report = migrate(
        cb.connect_async("attio", emulator=attio, on_request=log("source")),
        cb.connect_async("kizen", emulator=kizen, on_request=log("target")),
        bundled_mapping(),
        state=tmp_path / "s.db",
        failures=None,
        **kw,
    )
    assert report.failed == 0
    return report, sent


def _at(sent: list[tuple[str, ...]], end: str, route: str, body: str = "") -> int:
    return next(i for i, s in enumerate(sent) if s[0] == end and s[2] == route and body in s[3])


def _writes(sent: list[tuple[str, ...]], obj: str) -> list[int]:
    return [i for i, s in enumerate(sent) if s[1] == "write" and f"/records/{obj}/" in s[2]]


def test_the_first_writes_of_a_page_wait_for_one_batched_search_not_all(tmp_path: Path) -> None:
    _, sent = _run(tmp_path, concurrency=2)
    first_write = _writes(sent, "client_client")[0]
    searches = [s for s in sent[:first_write] if s[2] == "POST /api/records/client_client/search"]
    # 500 people to write, 100 per batched search: the first 100 are written after one search
    assert len(searches) == 1


def test_the_next_page_is_read_while_the_current_one_is_written(tmp_path: Path) -> None:
    _, sent = _run(tmp_path, concurrency=2)
    route = "POST /v2/objects/people/records/query"
    first, second = _at(sent, "source", route), _at(sent, "source", route, '"offset":500')
    people = [i for i in _writes(sent, "client_client") if first < i < second]
    # Before: the next page was asked for once all but the queue (4 x 2 writers) of the first
    # page's 500 records were written.
    assert len(people) < 100


def test_the_next_objects_first_page_is_read_before_the_current_object_drains(
    tmp_path: Path,
) -> None:
    _, sent = _run(tmp_path, concurrency=2)
    people_page = _at(sent, "source", "POST /v2/objects/people/records/query")
    assert people_page < _writes(sent, "companies_company")[-1]


def test_the_reader_holds_one_page_beyond_the_one_being_written(toy_plugin: ToyPlugin) -> None:
    """While the engine works on a page, the reader has asked for the next one only: memory is
    a page or two whatever the number of records (issue 24)."""
    src = ToyCRM()
    for i in range(57):  # six pages of the toy CRM's 10
        src.records[str(i)] = {"id": str(i), "email": f"p{i}@x.co", "name": f"P {i}"}
    asked: list[str] = []

    async def scenario() -> int:
        async with cb.connect_async(
            "toy",
            token=src.token,
            transport=httpx.MockTransport(src),
            on_request=lambda r: asked.append(str(r.url)),
        ) as source:
            await source.schema("contacts")
            asked.clear()
            reader = PageReader(source, "contacts", None)
            pages = aiter(reader)
            first = await anext(pages)
            assert len(first.records) == 10
            for _ in range(20):  # let the reader run as far as it would
                await asyncio.sleep(0)
            await reader.close()
            return len(asked)

    assert asyncio.run(scenario()) == 2
