"""Three processes on one CRM token: write limit shared through Redis vs in-process limiters.

One Attio emulator is served over HTTP with Attio's real limits (25 writes/s, docs/reference/attio.md
§6), and three worker processes write to it with the same token for the same seconds, first each
with its own in-process token bucket (the default), then with ``limiter=`` a Redis server
(crmbridge/shared_limits.py, issue 22). Reported per mode: the writes the emulator accepted per
second over the window as a share of its limit (utilisation), and the 429 answers the workers got.
Target (issue 22): ≥ 0.9 through Redis, with no 429.

A throwaway ``redis-server`` is started on a free port (the Debian package ``redis-server``), unless
``--redis URL`` names one.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
import time
from typing import Any

import httpx
from common import ROOT, Figure, parser, print_figures, print_header

import crmbridge as cb
from crmbridge.emulation import EmulatorServer
from crmbridge.plugins import get_provider

WORKERS = 3


class _Counting(httpx.AsyncHTTPTransport):
    """Counts the 429 answers a worker gets (the driver retries them, so they do not surface)."""

    rate_limited = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await super().handle_async_request(request)
        if response.status_code == 429:
            type(self).rate_limited += 1
        return response


async def _work(url: str, token: str, limiter: str | None) -> dict[str, Any]:
    done = dropped = 0
    crm = cb.connect_async(
        "attio", base_url=url, token=token, limiter=limiter, transport=_Counting(), concurrency=8
    )
    async with crm:
        await crm.fields("companies")  # the schema read, before the window
        print("ready", flush=True)
        start, end = map(float, sys.stdin.readline().split())  # the same window for every worker
        await asyncio.sleep(max(0.0, start - time.time()))

        async def writer(n: int) -> None:
            nonlocal done, dropped
            i = 0
            while time.time() < end:
                try:
                    await crm.create("companies", {"name": f"{limiter is not None}-{n}-{i}"})
                except cb.TransportError:  # a connection the busy server dropped (counted apart)
                    dropped += 1
                    continue
                finally:
                    i += 1
                if time.time() <= end:
                    done += 1

        await asyncio.gather(*(writer(n) for n in range(8)))
    return {"writes": done, "rate_limited": _Counting.rate_limited, "dropped": dropped}


def worker(args: list[str]) -> None:
    url, token, limiter = args
    result = asyncio.run(_work(url, token, limiter or None))
    print(json.dumps(result))


def _run_mode(url: str, token: str, limiter: str | None, seconds: float) -> dict[str, Any]:
    procs = [
        subprocess.Popen(
            [sys.executable, __file__, "--worker", url, token, limiter or ""],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(WORKERS)
    ]
    for proc in procs:
        assert proc.stdout is not None
        if proc.stdout.readline().strip() != "ready":
            raise SystemExit(f"a worker failed to start (exit {proc.wait()})")
    start = time.time() + 0.5
    window = f"{start} {start + seconds}\n"
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write(window)
        proc.stdin.close()
    results = []
    for proc in procs:
        assert proc.stdout is not None
        results.append(json.loads(proc.stdout.read()))
        proc.wait(timeout=60)
    return {
        "writes": sum(r["writes"] for r in results),
        "rate_limited": sum(r["rate_limited"] for r in results),
        "dropped": sum(r["dropped"] for r in results),
        "per_worker": [r["writes"] for r in results],
    }


def main() -> None:
    p = parser(__doc__)
    p.add_argument("--seconds", type=float, default=30.0, help="length of each mode's window")
    p.add_argument("--redis", default=None, help="a Redis URL (default: start a throwaway one)")
    args = p.parse_args()
    seconds = 2.0 if args.quick else args.seconds
    print_header("Three processes on one token: shared write limit (issue 22)")
    emulator = get_provider("attio").create_emulator(rate_limits=True)
    token = emulator.credentials()["token"]
    limit = emulator.rate_limits.writes if emulator.rate_limits else None
    assert limit, "the Attio emulator has a write limit"
    redis_server = None
    redis_url = args.redis
    if redis_url is None:
        sys.path.insert(0, str(ROOT / "tests"))
        from infra.servers import RedisServer

        binary = shutil.which("redis-server")
        if binary is None:
            raise SystemExit("redis-server not found: install the Debian package redis-server")
        redis_server = RedisServer(binary).start()
        redis_url = redis_server.url()
    try:
        with EmulatorServer(emulator, "127.0.0.1", 0) as server:
            modes = {
                "in-process": _run_mode(server.url, token, None, seconds),
                "redis": _run_mode(server.url, token, redis_url, seconds),
            }
    finally:
        if redis_server is not None:
            redis_server.stop()
    print(f"{WORKERS} processes, one token, {seconds:g} s each, emulator write limit {limit:g}/s")
    print(
        f"{'mode':<12} {'writes':>7} {'per s':>7} {'utilisation':>12} {'429s':>6} {'dropped':>8}  per worker"
    )
    figures = []
    for name, m in modes.items():
        rate = m["writes"] / seconds
        print(
            f"{name:<12} {m['writes']:>7} {rate:>7.1f} {rate / limit:>12.3f} {m['rate_limited']:>6}"
            f" {m['dropped']:>8}  {m['per_worker']}"
        )
    shared = modes["redis"]
    figures.append(
        Figure("shared_write_utilisation", shared["writes"] / seconds / limit, ">=", 0.9)
    )
    figures.append(Figure("shared_429s", shared["rate_limited"], "<=", 0))
    base = modes["in-process"]
    figures.append(
        Figure("in_process_write_utilisation", base["writes"] / seconds / limit, ">=", 0)
    )
    print_figures(figures)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        worker(sys.argv[2:])
    else:
        main()
