"""Kizen emulator: fault and latency knobs, rate limits (off by default), determinism."""

from __future__ import annotations

import time

import httpx
import pytest
from crmbridge_kizen.emulator import KizenEmulator
from kizen_emulator_support import client

from crmbridge.emulation import Faults, RateLimits

ADD = "/api/records/companies_company/add"


def test_class_contract() -> None:
    assert KizenEmulator.name == "kizen"
    assert KizenEmulator.base_url == "https://app.go.kizen.com"
    assert KizenEmulator.real_rate_limits == RateLimits()
    assert KizenEmulator().rate_limits is None


def test_a_429_never_changes_state() -> None:
    emu = KizenEmulator(faults=Faults(rate_limit=1.0))
    r = client(emu).post(ADD, json={"fields": [{"name": "name", "value": "Acme"}]})
    assert r.status_code == 429
    assert r.headers["Retry-After"] == "1"
    assert r.json()["code"] == "throttled"
    assert emu.records("companies_company") == []


def test_a_500_never_changes_state_and_is_html() -> None:
    emu = KizenEmulator(faults=Faults(server_error=1.0))
    r = client(emu).post(ADD, json={"fields": [{"name": "name", "value": "Acme"}]})
    assert r.status_code == 500
    assert r.headers["content-type"].startswith("text/html")
    assert emu.records("companies_company") == []


def test_dropped_connections_are_transport_errors() -> None:
    emu = KizenEmulator(faults=Faults(drop=1.0), random_seed=3)
    c = client(emu)
    outcomes = []
    for i in range(20):
        with pytest.raises(httpx.RemoteProtocolError):
            c.post(ADD, json={"fields": [{"name": "name", "value": f"Acme {i}"}]})
        outcomes.append(len(emu.records("companies_company")))
    # half the drops happen after the write: some writes landed, some did not
    assert 0 < outcomes[-1] < 20


def test_fail_rate_mixes_faults_deterministically() -> None:
    def run() -> list[int | str]:
        emu = KizenEmulator(fail_rate=0.6, random_seed=7)
        c = client(emu)
        out: list[int | str] = []
        for _ in range(30):
            try:
                out.append(c.get("/api/custom-objects").status_code)
            except httpx.RemoteProtocolError:
                out.append("drop")
        return out

    first = run()
    assert first == run()
    assert {200, 429, 500, "drop"} <= set(first)


def test_configurable_rate_limit_and_search_counts_as_read() -> None:
    emu = KizenEmulator(rate_limits=RateLimits(reads=1000, writes=2))
    c = client(emu)
    statuses = [c.post(ADD, json={"fields": [{"name": "name", "value": f"C{i}"}]}).status_code
                for i in range(3)]  # fmt: skip
    assert statuses == [200, 200, 429]
    assert len(emu.records("companies_company")) == 2
    search = c.post("/api/records/companies_company/search", json={})
    assert search.status_code == 200  # the write window is full, but search is a read
    limited = c.post(ADD, json={"fields": [{"name": "name", "value": "C9"}]})
    assert int(limited.headers["Retry-After"]) >= 1


def test_is_write() -> None:
    emu = KizenEmulator()
    base = emu.base_url
    assert not emu.is_write(httpx.Request("POST", f"{base}/api/records/deals/search"))
    assert not emu.is_write(httpx.Request("GET", f"{base}/api/records/deals/lookup"))
    assert emu.is_write(httpx.Request("POST", f"{base}/api/records/deals/upsert"))
    assert emu.is_write(httpx.Request("DELETE", f"{base}/api/records/deals/x"))


def test_latency() -> None:
    emu = KizenEmulator(latency_ms=30)
    c = client(emu)
    start = time.perf_counter()
    c.get("/api/custom-objects")
    assert time.perf_counter() - start >= 0.03


def test_demo_seed_is_deterministic_and_sized() -> None:
    a = KizenEmulator(seed="demo", demo_size=40)
    b = KizenEmulator(seed="demo", demo_size=40)
    other = KizenEmulator(seed="demo", demo_size=40, random_seed=1)
    assert a.records("client_client") == b.records("client_client")
    assert a.records("client_client") != other.records("client_client")
    assert len(a.records("client_client")) == 40
    assert len(a.records("companies_company")) == 10
    assert len(a.records("deals")) == 20
    assert len(a.records("projects")) == 4
    assert len(KizenEmulator(seed="demo").records("client_client")) == 200
    assert KizenEmulator().records("client_client") == []


def test_demo_records_are_linked_and_valid() -> None:
    emu = KizenEmulator(seed="demo", demo_size=40)
    c = client(emu)
    companies = c.post("/api/records/companies_company/search", json={}).json()["results"]
    linked = [r for r in companies if any(e["name"] == "contacts" for e in r["fields"].values())]
    assert linked
    deal = c.post("/api/records/deals/search", params={"page_size": 1}, json={}).json()["results"][
        0
    ]
    names = {e["name"] for e in deal["fields"].values()}
    assert {"stage", "company", "contacts", "entity_value"} <= names
    # demo emails are unique, so upserting one updates it
    email = next(e["value"] for e in c.post("/api/records/client_client/search", json={}).json()
                 ["results"][0]["fields"].values() if e["name"] == "email")  # fmt: skip
    r = c.post(
        "/api/records/client_client/upsert", json={"lookup_value": email.upper(), "fields": []}
    )
    assert r.json()["action"] == "updated"
