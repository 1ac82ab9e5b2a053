"""Faults and limits of the Attio emulator, all off by default (issue #6 "Faults and limits"):
Attio's real rate limits (25 writes/s, 100 reads/s; ``POST …/query`` is a read, docs/reference/attio.md §6)
answered with Attio's 429 and an HTTP-date ``Retry-After``, injected 5xx and dropped connections,
latency; a 429 or an injected 5xx never changes state. Also the HTTP form on loopback."""

from __future__ import annotations

import email.utils
import subprocess
import sys
import time
from datetime import UTC, datetime

import httpx
import pytest
from crmbridge_attio.emulator import AttioEmulator

from crmbridge.emulation import Faults, RateLimits


def client_for(emulator: AttioEmulator) -> httpx.Client:
    return emulator.client()


def create_person(http: httpx.Client, i: int) -> httpx.Response:
    return http.post(
        "/v2/objects/people/records",
        json={"data": {"values": {"email_addresses": [f"p{i}@example.com"]}}},
    )


def test_everything_is_off_by_default() -> None:
    emulator = AttioEmulator()
    assert emulator.rate_limits is None
    assert not emulator.faults.any
    assert emulator.latency() == 0
    with client_for(emulator) as http:
        assert all(create_person(http, i).status_code == 200 for i in range(60))


def test_real_write_limit_answers_attios_429_and_changes_nothing() -> None:
    emulator = AttioEmulator(rate_limits=True)
    assert emulator.rate_limits == RateLimits(reads=100, writes=25)
    with client_for(emulator) as http:
        statuses = [create_person(http, i).status_code for i in range(30)]
        limited = create_person(http, 99)
    assert statuses[:25] == [200] * 25
    assert set(statuses[25:]) == {429}
    assert limited.status_code == 429
    assert limited.json() == {
        "status_code": 429,
        "type": "rate_limit_error",
        "code": "rate_limit_exceeded",
        "message": "Rate limit exceeded, please try again later",
    }
    retry_at = email.utils.parsedate_to_datetime(limited.headers["Retry-After"])
    wait = (retry_at - datetime.now(UTC)).total_seconds()
    assert -1 <= wait <= 2
    assert len(emulator.records("people")) == 25
    assert "p99@example.com" not in str(emulator.records("people"))


def test_queries_and_search_count_as_reads() -> None:
    emulator = AttioEmulator(rate_limits=RateLimits(reads=1000, writes=3))
    with client_for(emulator) as http:
        queries = [
            http.post("/v2/objects/people/records/query", json={}).status_code for _ in range(20)
        ]
        search = {"query": "", "objects": ["people"], "request_as": {"type": "workspace"}}
        searches = [
            http.post("/v2/objects/records/search", json=search).status_code for _ in range(5)
        ]
        assert set(queries) == set(searches) == {200}
        writes = [create_person(http, i).status_code for i in range(4)]
        assert writes == [200, 200, 200, 429]
    emulator = AttioEmulator(rate_limits=RateLimits(reads=3))
    with client_for(emulator) as http:
        reads = [
            http.post("/v2/objects/people/records/query", json={}).status_code for _ in range(4)
        ]
        assert reads == [200, 200, 200, 429]
        assert create_person(http, 1).status_code == 200  # writes are unlimited here
    request = httpx.Request("POST", "https://api.attio.com/v2/objects/records/search")
    assert emulator.is_write(request) is False
    assert (
        emulator.is_write(httpx.Request("POST", "https://api.attio.com/v2/lists/x/entries/query"))
        is False
    )
    assert (
        emulator.is_write(httpx.Request("PUT", "https://api.attio.com/v2/objects/people/records"))
        is True
    )
    assert emulator.is_write(httpx.Request("GET", "https://api.attio.com/v2/objects")) is False


def test_injected_rate_limits_and_server_errors_never_change_state() -> None:
    for faults in (Faults(rate_limit=1.0), Faults(server_error=1.0)):
        emulator = AttioEmulator(faults=faults)
        with client_for(emulator) as http:
            responses = [create_person(http, i) for i in range(10)]
        assert emulator.records("people") == []
        for response in responses:
            assert response.status_code in (429, 500)
            assert set(response.json()) == {"status_code", "type", "code", "message"}
            assert response.json()["status_code"] == response.status_code


def test_dropped_connections() -> None:
    emulator = AttioEmulator(faults=Faults(drop=1.0), random_seed=3)
    with client_for(emulator) as http:
        for i in range(20):
            with pytest.raises(httpx.RemoteProtocolError):
                create_person(http, i)
    created = len(emulator.records("people"))
    assert 0 < created < 20  # some writes happened before the answer was lost


def test_fail_rate_mixes_faults_deterministically() -> None:
    def outcomes(seed: int) -> list[str]:
        emulator = AttioEmulator(fail_rate=0.6, random_seed=seed)
        seen = []
        with client_for(emulator) as http:
            for _ in range(60):
                try:
                    seen.append(str(http.get("/v2/objects").status_code))
                except httpx.RemoteProtocolError:
                    seen.append("drop")
        return seen

    first = outcomes(7)
    assert first == outcomes(7)
    assert first != outcomes(8)
    assert {"200", "429", "500", "drop"} <= set(first)
    assert 0.3 < first.count("200") / len(first) < 0.6


def test_fail_rate_is_validated() -> None:
    with pytest.raises(ValueError):
        AttioEmulator(fail_rate=1.5)


def test_latency() -> None:
    emulator = AttioEmulator(latency_ms=40)
    with client_for(emulator) as http:
        start = time.perf_counter()
        http.get("/v2/self")
        assert time.perf_counter() - start >= 0.04


async def _async_get(emulator: AttioEmulator) -> int:
    async with httpx.AsyncClient(
        transport=emulator.transport(),
        base_url=emulator.base_url,
        headers=emulator.auth_headers(),
    ) as http:
        return (await http.get("/v2/objects")).status_code


def test_async_clients_use_the_same_transport() -> None:
    import asyncio

    assert asyncio.run(_async_get(AttioEmulator(latency_ms=5))) == 200


# --- over HTTP --------------------------------------------------------------------------------


def test_served_over_http_shares_state() -> None:
    emulator = AttioEmulator(rate_limits=RateLimits(writes=2))
    with emulator.serve() as server:
        assert server.url.startswith("http://127.0.0.1:")
        headers = {"Authorization": f"Bearer {emulator.token}"}
        with httpx.Client(base_url=server.url, headers=headers) as http:
            assert create_person(http, 1).status_code == 200
            assert create_person(http, 2).status_code == 200
            limited = create_person(http, 3)
            assert limited.status_code == 429
            assert limited.headers["Retry-After"].endswith(" GMT")
            assert http.get("/v2/objects/nope/records/x").status_code == 404
    assert len(emulator.records("people")) == 2


def test_dropped_connection_over_http() -> None:
    emulator = AttioEmulator(faults=Faults(drop=1.0))
    with (
        emulator.serve() as server,
        httpx.Client(base_url=server.url) as http,
        pytest.raises(httpx.TransportError),
    ):
        http.get("/v2/self", headers={"Authorization": f"Bearer {emulator.token}"})


def test_demo_server_starts_and_answers() -> None:
    """``crmbridge emulate attio --seed demo`` answers from a fresh interpreter (imports, demo
    data, server start, first answer). How fast is measured by bench/emulator_start.py
    (docs/benchmarks.md, figure 7), not here: speed lives in bench/."""
    script = (
        "from crmbridge_attio.emulator import AttioEmulator; import httpx;"
        "e=AttioEmulator(seed='demo'); s=e.serve().start();"
        "r=httpx.get(s.url+'/v2/self', headers={'Authorization': 'Bearer '+e.token});"
        "print(r.status_code); s.stop()"
    )
    output = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    assert output.split() == ["200"]
