"""The async facade under 50 concurrent tasks against one emulator: correct results, the rate
limits respected, and no shared-state corruption in the schema cache or the rate limiter."""

from __future__ import annotations

import asyncio
import time
from collections import Counter

import httpx

import crmbridge as cb
import crmbridge.http
from crmbridge.emulation import RateLimits
from crmbridge.plugins import get_provider

TASKS = 50
PER_TASK = 4
LIMITS = RateLimits(reads=400, writes=100)


def test_fifty_concurrent_tasks() -> None:
    emulator = get_provider("attio").create_emulator(rate_limits=LIMITS)
    stamps: list[tuple[float, str, int]] = []
    transport = emulator.transport()

    class Recording(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            response = await transport.handle_async_request(request)
            kind = "write" if emulator.is_write(request) else "read"
            stamps.append((time.monotonic(), kind, response.status_code))
            return response

    async def worker(crm: cb.AsyncBridge, n: int) -> list[tuple[str, str]]:
        made = []
        for i in range(PER_TASK):
            email = f"p{n}-{i}@example.com"
            result = await crm.upsert(
                "people", {"email_addresses": email, "name": f"P{n} {i}"}, match="email_addresses"
            )
            assert result.action == "created"
            got = await crm.get("people", result.record.id)
            assert got["email_addresses"] == [email]
            made.append((result.record.id, email))
        return made

    async def main() -> list[list[tuple[str, str]]]:
        async with cb.connect_async(
            "attio", transport=Recording(), base_url=emulator.base_url, **emulator.credentials()
        ) as crm:
            crm.driver.limiter = cb.http.RateLimiter(LIMITS.reads, LIMITS.writes)
            results = await asyncio.gather(*(worker(crm, n) for n in range(TASKS)))
            # The schema cache is whole and consistent after the storm.
            schema = await crm.schema("people")
            fresh = await crm.schema("people", refresh=True)
            assert schema.fields == fresh.fields
            return results

    results = asyncio.run(main())
    made = [pair for task in results for pair in task]
    assert len(made) == TASKS * PER_TASK
    assert len({rid for rid, _ in made}) == len(made)  # no two tasks got the same record
    stored = {
        r["values"]["email_addresses"][0]["email_address"] for r in emulator.records("people")
    }
    assert {email for _, email in made} <= stored
    # The client kept under the limits: (almost) no 429, and no one-second window over the limit.
    statuses = Counter(code for _, _, code in stamps)
    # Requests the client spaced evenly can reach the server bunched when the machine is busy;
    # the few 429s that causes are retried. The busiest window below is the real check.
    assert statuses[429] <= len(stamps) * 0.05, statuses
    writes = sorted(t for t, kind, code in stamps if kind == "write" and code != 429)
    busiest = max(sum(1 for t in writes if start <= t < start + 1.0) for start in writes)
    assert busiest <= LIMITS.writes * 1.1 + 10, busiest
    assert writes[-1] - writes[0] >= (len(writes) - 20) / LIMITS.writes * 0.8  # really rate limited
