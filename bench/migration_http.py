"""Figure 1 over real HTTP: rate-limit utilisation of a migration against served emulators.

Why: ``bench/migration.py`` runs the emulators in-process on ``httpx.MockTransport``, which skips
httpcore and the sockets — the client's CPU per request over HTTP is not in its figure (issue 24:
"over real HTTP the client is CPU-bound"). Here each emulator is served over HTTP by a process of
its own (``EmulatorServer`` on 127.0.0.1, Attio's limits x 10 and 20 ms latency, as in
bench/migration.py) and ``crmbridge.migrate_async`` connects to them as to the real services: its
rate limiter knows the provider's published limits x 10 (Kizen publishes none: there it relies on
429 and ``Retry-After``). Side by side, the same migration in-process (bench/migration.py's run).

Measured per direction: records/s ÷ the write limit (target ≥ 0.9), the 429s the target answered,
and the client process's CPU seconds per 1,000 records. Into a target that publishes no limit
(Kizen) the run is made twice over HTTP: as a user runs it (the writers find the limit from the
429s, crmbridge/pacing.py; "found" is the rate they found) and with the limit given to the client
("told limit", a token bucket at it): how much finding the limit costs, on the same machine.

    uv run python bench/migration_http.py [--records 5000] [--latency-ms 20] [--only NAME]
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from common import (
    SCALED_LIMITS,
    Figure,
    RequestLog,
    Served,
    parser,
    print_figures,
    print_header,
)
from migration import DIRECTIONS, WRITE_LIMIT, Direction, crmbridge_runs

import crmbridge
from crmbridge.emulation import EmulatorServer
from crmbridge.http import TokenBucket
from crmbridge.migrate import migrate_async, tuned_collector
from crmbridge.plugins import get_provider

SCALE = (SCALED_LIMITS.writes or 25.0) / 25.0


def serve(provider: str, demo_size: int, latency_ms: float) -> None:
    """The child process: one emulator on a free port; prints ``{"url", "credentials"}`` and
    serves until its standard input closes, then prints how many 429s it answered."""
    options: dict[str, Any] = {"latency_ms": latency_ms, "rate_limits": SCALED_LIMITS}
    if demo_size:
        options.update(seed="demo", demo_size=demo_size)
    emulator = get_provider(provider).create_emulator(**options)
    limited = [0]
    answer_429 = emulator.rate_limited_response

    def counted(retry_after: float) -> Any:
        limited[0] += 1
        return answer_429(retry_after)

    emulator.rate_limited_response = counted  # type: ignore[method-assign]
    with EmulatorServer(emulator, "127.0.0.1", 0) as server:
        print(json.dumps({"url": server.url, "credentials": emulator.credentials()}), flush=True)
        sys.stdin.read()
    print(json.dumps({"rate_limited": limited[0], "requests": sum(emulator.requests.values())}))


async def http_run(
    d: Direction, records: int, latency_ms: float, told: bool = False
) -> dict[str, float]:
    """One migration over HTTP. ``told``: the target's client is given the emulator's write limit
    (a token bucket at it), as if the CRM published it: the bound for a client that must find
    the limit from its 429s (crmbridge/pacing.py)."""
    log = RequestLog()
    with (
        Served(__file__, "--serve", d.source, str(d.demo_size(records)), str(latency_ms)) as source,
        Served(__file__, "--serve", d.target, "0", str(latency_ms)) as target,
        tempfile.TemporaryDirectory(prefix="crmbridge-bench-") as tmp,
    ):
        async with (
            crmbridge.connect_async(d.source, base_url=source.url, rate_limit=SCALE,
                                    **source.credentials) as src,
            crmbridge.connect_async(d.target, base_url=target.url, rate_limit=SCALE,
                                    on_request=log, **target.credentials) as dst,
        ):  # fmt: skip
            if told and "write" not in dst.driver.limiter.buckets:
                dst.driver.limiter.buckets["write"] = TokenBucket(WRITE_LIMIT)
            cpu, wall = time.process_time(), time.perf_counter()
            with tuned_collector():
                report = await migrate_async(src, dst, d.mapping, state=Path(tmp) / "s.db",
                                             failures=None)  # fmt: skip
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    done = sum(o.total for o in report.objects.values())
    paced = report.writers.get("paced") or {}
    return {
        "found": paced.get("found", 0.0),
        "records": done,
        "seconds": wall,
        "rate": done / wall,
        "rate_limited": target.stats["rate_limited"],
        "cpu_ms_per_record": 1000 * cpu / max(done, 1),
        "failed": report.failed,
    }


def main() -> None:
    p = parser(__doc__)
    p.add_argument("--records", type=int, default=5000, help="records per direction")
    p.add_argument("--latency-ms", type=float, default=20.0, help="emulated latency per request")
    p.add_argument("--only", choices=[d.name for d in DIRECTIONS], help="one direction only")
    p.add_argument("--serve", nargs=3, metavar=("PROVIDER", "DEMO_SIZE", "LATENCY"),
                   help=argparse_hidden())  # fmt: skip
    args = p.parse_args()
    if args.serve:
        provider, size, latency = args.serve
        serve(provider, int(size), float(latency))
        return
    if args.quick:
        args.records = 60
    print_header("Rate-limit utilisation over real HTTP (issue 24)")
    print(f"limits: {WRITE_LIMIT:g} writes/s on both emulators, each served by its own process;"
          f" latency {args.latency_ms:g} ms; pid {os.getpid()}\n")  # fmt: skip
    figures: list[Figure] = []
    for d in DIRECTIONS:
        if args.only and d.name != args.only:
            continue
        over_http = asyncio.run(http_run(d, args.records, args.latency_ms))
        # A target that publishes no limit: the same run with the limit given to the client.
        unpublished = get_provider(d.target).capabilities.write_rate is None
        told = asyncio.run(http_run(d, args.records, args.latency_ms, told=True)) \
            if unpublished else None  # fmt: skip
        in_process, _ = asyncio.run(crmbridge_runs(d, args.records, args.latency_ms))
        print(f"{d.source} → {d.target}")
        rows = [("over HTTP", over_http)] + ([("  told limit", told)] if told else [])
        for label, run in rows:
            found = f"  found {run['found']:.0f}/s" if run["found"] else ""
            print(
                f"  {label:<12} {run['records']:6.0f} records  {run['seconds']:7.2f} s"
                f"  {run['rate']:7.1f} rec/s  ÷ limit {run['rate'] / WRITE_LIMIT:5.2f}"
                f"  429s {run['rate_limited']:.0f}  client CPU"
                f" {run['cpu_ms_per_record']:.2f} ms/record  failed {run['failed']:.0f}{found}"
            )
        print(f"  in-process   {in_process.records:6d} records  {in_process.seconds:7.2f} s"
              f"  {in_process.rate:7.1f} rec/s  ÷ limit {in_process.rate / WRITE_LIMIT:5.2f}\n")  # fmt: skip
        figures += [
            Figure(f"{d.name}_http_write_utilisation", over_http["rate"] / WRITE_LIMIT, ">=", 0.9),
            Figure(f"{d.name}_http_rate_limited", over_http["rate_limited"], "<=", 0),
            *([Figure(f"{d.name}_http_found_vs_told", over_http["rate"] / told["rate"],
                      ">=", 0.95)] if told else []),
            Figure(f"{d.name}_inprocess_write_utilisation", in_process.rate / WRITE_LIMIT,
                   ">=", 0.9),
        ]  # fmt: skip
    print_figures(figures)


def argparse_hidden() -> str:
    import argparse

    return argparse.SUPPRESS


if __name__ == "__main__":
    main()
