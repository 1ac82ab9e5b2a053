"""crmbridge/migrate/writers.py: into a target with no published limit (Kizen), the migration's
writers adapt (AIMD) — more while answers are clean, fewer on 409 and 429 — and the copy ends
exactly as a clean run does; ``concurrency=`` (``--concurrency``) keeps a fixed pool; a target
with a published limit keeps the pool sized from it."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from crmbridge_kizen.emulator import KizenEmulator

import crmbridge as cb
from crmbridge.aimd import AIMD
from crmbridge.cli import cli
from crmbridge.demo import bundled_mapping
from crmbridge.emulation import Faults, RateLimits
from crmbridge.migrate import Report, migrate
from crmbridge.migrate.writers import Writers
from crmbridge.plugins import get_provider
from crmbridge.provider import KIND

EXAMPLE = Path(__file__).parents[2] / "docs" / "examples" / "attio-to-kizen.toml"


class CountingKizen(KizenEmulator):
    """The Kizen emulator, counting the writes in flight (from arrival to answer)."""

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.in_flight = 0
        self.most_in_flight = 0

    def admit(self, request: httpx.Request) -> float:
        wait = super().admit(request)
        if self.is_write(request):
            with self.lock:
                self.in_flight += 1
                self.most_in_flight = max(self.most_in_flight, self.in_flight)
        return wait

    def dispatch(self, request: httpx.Request, *, rate_wait: float | None = None) -> httpx.Response:
        try:
            return super().dispatch(request, rate_wait=rate_wait)
        finally:
            if self.is_write(request):
                with self.lock:
                    self.in_flight -= 1


def _attio(size: int = 150) -> Any:
    return get_provider("attio").create_emulator(seed="demo", demo_size=size, random_seed=5)


def _run(source: Any, target: KizenEmulator, tmp_path: Path, name: str, **kw: Any) -> Report:
    return migrate(
        cb.connect_async("attio", emulator=source),
        cb.connect_async("kizen", emulator=target),
        bundled_mapping(),
        state=tmp_path / f"{name}.db",
        failures=tmp_path / f"{name}.jsonl",
        **kw,
    )


def _content(value: Any) -> Any:
    """A record's values without what differs between two copies (ids, timestamps)."""
    if isinstance(value, dict):
        return {k: _content(v) for k, v in value.items() if k not in ("id", "created", "updated")}
    if isinstance(value, list):
        return sorted((_content(v) for v in value), key=repr)
    return value


def _copy(emulator: KizenEmulator) -> dict[str, list[Any]]:
    objects = ("companies_company", "client_client", "deals")
    return {
        o: sorted((_content(r["values"]) for r in emulator.records(o)), key=repr) for o in objects
    }


def test_adaptive_writers_back_off_on_409_and_429_and_copy_exactly(tmp_path: Path) -> None:
    source = _attio()
    clean = KizenEmulator()
    assert _run(source, clean, tmp_path, "clean").ok
    # The target already holds some of the companies, and other clients keep writing them: the
    # first writes to each answer 409; one write in twelve anywhere answers 429.
    target = CountingKizen(latency_ms=2, faults=Faults(rate_limit=1 / 12), random_seed=1)
    for company in source.records("companies")[:10]:
        rid = target.seed_record(
            "companies_company", {"name": company["values"]["name"][0]["value"]}
        )
        target.locks.contend(rid, times=2)
    report = _run(source, target, tmp_path, "faulty")
    assert report.ok, report.to_json()
    assert _copy(target) == _copy(clean)
    assert target.locks.conflicts == 20  # every conflict was retried: the copy is whole
    writers = report.writers
    assert writers["adaptive"] is True
    assert writers["pushback"][409] == 20
    assert writers["pushback"][429] > 0
    assert writers["decreases"]["conflict"] >= 1
    assert writers["decreases"]["throttled"] >= 1


def test_adaptive_writers_grow_past_the_provider_default_while_answers_are_clean(
    tmp_path: Path,
) -> None:
    target = CountingKizen(latency_ms=10)
    report = _run(_attio(300), target, tmp_path, "grow")
    assert report.ok
    assert report.writers["adaptive"] is True
    assert report.writers["highest"] > 4
    assert target.most_in_flight > 4
    assert target.most_in_flight <= report.writers["ceiling"]


@pytest.mark.parametrize("n", [2, 6])
def test_concurrency_keeps_a_fixed_pool(tmp_path: Path, n: int) -> None:
    target = CountingKizen(latency_ms=10)
    for company in _attio().records("companies")[:10]:
        rid = target.seed_record(
            "companies_company", {"name": company["values"]["name"][0]["value"]}
        )
        target.locks.contend(rid, times=1)
    report = _run(_attio(), target, tmp_path, "fixed", concurrency=n)
    assert report.ok
    assert report.writers == {"adaptive": False, "limit": n}
    assert target.most_in_flight == n


def test_a_target_with_a_published_limit_keeps_its_fixed_pool(tmp_path: Path) -> None:
    attio = get_provider("attio").create_emulator()
    kizen = get_provider("kizen").create_emulator(seed="demo", demo_size=20)
    from crmbridge.migrate import load_mapping

    mapping = load_mapping(Path(__file__).parents[1] / "reliability" / "kizen-to-attio.toml")
    report = migrate(
        cb.connect_async("kizen", emulator=kizen),
        cb.connect_async("attio", emulator=attio),
        mapping,
        state=tmp_path / "s.db",
        failures=tmp_path / "f.jsonl",
    )
    assert report.ok
    assert report.writers["adaptive"] is False


@pytest.mark.parametrize("given", [[], ["--concurrency", "3"]])
def test_the_command_line_reports_the_writers(tmp_path: Path, given: list[str]) -> None:
    """``--concurrency N`` on the command line keeps N writers; without it a Kizen target's adapt."""
    out = tmp_path / "report.json"
    args = [
        "migrate", "attio", "kizen", "--map", str(EXAMPLE), "--source-emulator",
        "--source-seed", "demo", "--target-emulator", "--limit", "20",
        "--state", str(tmp_path / "s.db"), "--report-json", str(out),
        "--failures", str(tmp_path / "f-{run}.jsonl"), *given,
    ]  # fmt: skip
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    writers = json.loads(out.read_text())["writers"]
    if given:
        assert writers == {"adaptive": False, "limit": 3}
    else:
        assert writers["adaptive"] is True
        assert writers["ceiling"] == 32


class LimitedKizen(CountingKizen):
    """The Kizen emulator enforcing a write limit it does not publish (as a real service may:
    docs/reference/kizen.md §10), counting its 429s."""

    def __init__(self, writes_per_second: float, **kw: Any) -> None:
        super().__init__(rate_limits=RateLimits(writes=writes_per_second), **kw)
        self.throttled = 0

    def rate_limited_response(self, retry_after: float) -> httpx.Response:
        self.throttled += 1
        return super().rate_limited_response(retry_after)


def test_adaptive_writers_find_a_write_limit_they_are_not_told_with_few_429s(
    tmp_path: Path,
) -> None:
    """A target that refuses writes above 80/s and says so only by 429: the writers find the rate
    from what it accepted and pace just under it, instead of bursting into the limit again and
    again (issue 24: 434 429s in 5,000 writes over HTTP). Counts, not times: every write beyond
    the first discovery and one per upward probe would be a 429 too many."""
    source = _attio(200)
    target = LimitedKizen(80, latency_ms=5)
    report = migrate(
        cb.connect_async("attio", emulator=source),
        cb.connect_async("kizen", emulator=target, rate_limit=False),  # the client is not told
        bundled_mapping(),
        state=tmp_path / "s.db",
        failures=tmp_path / "f.jsonl",
    )
    assert report.ok, report.to_json()
    writes = sum(n for route, n in target.requests.items() if not route.startswith("GET"))
    assert writes > 250
    assert report.writers["adaptive"] is True
    assert report.writers["pushback"].get(429, 0) == target.throttled
    # The writers in flight when the window first fills (up to the ceiling, 32) and a few per
    # probe: 16-28 measured; the AIMD pool alone answered 288-605 429s here.
    assert target.throttled <= 60, report.writers


def test_a_write_waiting_to_be_retried_gives_its_place_back() -> None:
    """One place (AIMD at 1): a write refused with 429 lets another writer write while it waits
    its ``Retry-After``, and takes a place again before its retry is sent."""

    async def scenario() -> list[str]:
        writers = Writers(2, AIMD(initial=1, ceiling=1))
        log: list[str] = []
        answers = {"a": [429, 201], "b": [201]}
        b_writing, b_may_end = asyncio.Event(), asyncio.Event()

        def answer(request: httpx.Request) -> httpx.Response:
            return httpx.Response(answers[request.headers["x-writer"]].pop(0))

        client = httpx.AsyncClient(
            transport=httpx.MockTransport(answer),
            event_hooks={"request": [writers._sent], "response": [writers._answered]},
        )

        async def write(name: str) -> int:
            request = client.build_request(
                "POST", "https://kizen.test/upsert", headers={"x-writer": name},
                extensions={KIND: "write"},
            )  # fmt: skip
            return (await client.send(request)).status_code

        async def a() -> None:
            async with writers.slot():
                log.append(f"a {await write('a')}")
                await b_writing.wait()  # the driver's wait for Retry-After
                retry = asyncio.create_task(write("a"))
                await asyncio.sleep(0.05)
                log.append("a's retry waits for a place" if not retry.done() else "a's retry went")
                b_may_end.set()
                log.append(f"a {await retry}")

        async def b() -> None:
            while not log:
                await asyncio.sleep(0)
            async with writers.slot():
                log.append(f"b {await write('b')}")
                b_writing.set()
                await b_may_end.wait()

        await asyncio.wait_for(asyncio.gather(a(), b()), 5)
        await client.aclose()
        assert writers._in_flight == 0
        return log

    assert asyncio.run(scenario()) == ["a 429", "b 201", "a's retry waits for a place", "a 201"]
