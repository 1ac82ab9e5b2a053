"""Kizen emulator: record write locks (crmbridge_kizen/emulator/locks.py). A write to a record that
another write in flight holds answers 409 ``conflict`` and changes nothing (docs/reference/kizen.md
§9); writes to other records, and writes one after the other, go through."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import httpx
from crmbridge_kizen.emulator import KizenEmulator

import crmbridge as cb

COMPANIES = "/api/records/companies_company"


def _patch(name: str) -> dict[str, Any]:
    return {"fields": [{"name": "description", "value": name}]}


async def _together(emu: KizenEmulator, *calls: tuple[str, str, dict[str, Any]]) -> list[Any]:
    """Send the requests at once through the in-process async transport (latency overlaps)."""
    async with httpx.AsyncClient(
        transport=emu.transport(), base_url=emu.base_url, headers=emu.auth_headers()
    ) as c:
        return await asyncio.gather(*(c.request(m, p, json=b) for m, p, b in calls))


def test_two_writes_to_one_record_at_once_one_is_refused_with_409() -> None:
    emu = KizenEmulator(latency_ms=30)
    rid = emu.seed_record("companies_company", {"name": "Acme"})
    first, second = asyncio.run(
        _together(
            emu,
            ("PATCH", f"{COMPANIES}/{rid}", _patch("first")),
            ("PATCH", f"{COMPANIES}/{rid}", _patch("second")),
        )
    )
    assert (first.status_code, second.status_code) == (200, 409)
    assert second.json() == {"detail": second.json()["detail"], "code": "conflict"}
    record = emu.record("companies_company", rid)
    assert record is not None
    assert record["values"]["description"] == "first"  # the refused write changed nothing
    assert emu.locks.conflicts == 1


def test_writes_to_different_records_at_once_all_go_through() -> None:
    emu = KizenEmulator(latency_ms=30)
    ids = [emu.seed_record("companies_company", {"name": f"Acme {i}"}) for i in range(5)]
    answers = asyncio.run(
        _together(emu, *(("PATCH", f"{COMPANIES}/{i}", _patch("x")) for i in ids))
    )
    assert [a.status_code for a in answers] == [200] * 5


def test_one_write_after_the_other_both_go_through() -> None:
    emu = KizenEmulator(latency_ms=5)
    rid = emu.seed_record("companies_company", {"name": "Acme"})
    with emu.client() as c:
        assert c.patch(f"{COMPANIES}/{rid}", json=_patch("a")).status_code == 200
        assert c.delete(f"{COMPANIES}/{rid}").status_code == 204


def test_an_upsert_holds_its_match_and_an_archive_conflicts_with_it() -> None:
    emu = KizenEmulator(latency_ms=30)
    rid = emu.seed_record("companies_company", {"name": "Acme"})
    upsert = {"lookup_value": "acme", "fields": [{"name": "description", "value": "u"}]}
    up, archive = asyncio.run(
        _together(
            emu,
            ("POST", f"{COMPANIES}/upsert", upsert),
            ("DELETE", f"{COMPANIES}/{rid}", {}),
        )
    )
    assert (up.status_code, archive.status_code) == (200, 409)


def test_two_upserts_of_one_new_identity_at_once() -> None:
    emu = KizenEmulator(latency_ms=30)
    body = {"lookup_value": "Globex", "fields": []}
    a, b = asyncio.run(
        _together(emu, ("POST", f"{COMPANIES}/upsert", body), ("POST", f"{COMPANIES}/upsert", body))
    )
    assert (a.status_code, b.status_code) == (201, 409)
    assert len(emu.records("companies_company")) == 1


def test_over_http_too() -> None:
    emu = KizenEmulator(latency_ms=500)  # wide enough for a loaded machine's thread start-up
    rid = emu.seed_record("companies_company", {"name": "Acme"})
    statuses: list[int] = []
    ready = threading.Barrier(2)
    with emu.serve(port=0) as server:

        def write(text: str) -> None:
            with httpx.Client(base_url=server.url, headers=emu.auth_headers()) as c:
                ready.wait()
                statuses.append(c.patch(f"{COMPANIES}/{rid}", json=_patch(text)).status_code)

        threads = [threading.Thread(target=write, args=(t,)) for t in ("a", "b")]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert sorted(statuses) == [200, 409]


def test_contend_injects_conflicts_that_the_provider_retries() -> None:
    """``contend``: the next writes find the record held. An idempotent write is retried on 409
    by the provider (crmbridge_kizen/provider.py ``is_retryable``) and lands."""
    emu = KizenEmulator()
    rid = emu.seed_record("companies_company", {"name": "Acme"})
    emu.locks.contend(rid, times=2)
    with cb.connect("kizen", emulator=emu) as crm:
        crm.update("companies_company", rid, {"description": "after two 409s"})
    record = emu.record("companies_company", rid)
    assert record is not None
    assert record["values"]["description"] == "after two 409s"
    assert emu.locks.conflicts == 2
    assert emu.requests[f"PATCH {COMPANIES}/{rid}"] == 3


def test_an_unauthenticated_write_is_401_even_on_a_held_record() -> None:
    emu = KizenEmulator()
    rid = emu.seed_record("companies_company", {"name": "Acme"})
    emu.locks.contend(rid)
    with emu.client(auth=False) as c:
        assert c.patch(f"{COMPANIES}/{rid}", json=_patch("x")).status_code == 401
