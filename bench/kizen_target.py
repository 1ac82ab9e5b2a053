"""Attio → Kizen over real HTTP: the adaptive writer pool against the fixed 4 writers (issue 24).

Why: Kizen publishes no rate limit and locks records on concurrent writes (docs/reference/kizen.md
§9, §10), so a migration into it ran a fixed pool of ``Capabilities.concurrency`` = 4 writers:
~70 records/s at 20 ms (docs/benchmarks.md, "A migration over real HTTP"). The issue's target:
at least 4x that, with no lock conflict left unretried. Here both emulators are served by
processes of their own (as bench/migration_http.py does), with 20 ms latency and no rate limit on
the Kizen side (Kizen publishes none); the same migration runs twice side by side: with
``concurrency=4`` (the fixed pool of before) and with the adaptive pool (crmbridge/aimd.py,
crmbridge/migrate/writers.py).

Conflicts: a share of the source's people (``--contended``, default 2%) already exist in the
Kizen target and are being written by another client when the migration reaches them: the
emulator answers the first write to each with 409 ``conflict`` (its record locks,
crmbridge_kizen/emulator/locks.py). Every one must be retried: the run must end with 0 failed
and the conflicts answered equal to the contended records.

    uv run python bench/kizen_target.py [--records 3000] [--latency-ms 20] [--contended 0.02]
        [--pools 4,adaptive[,32]] [--repeat N]
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from common import Figure, Served, parser, print_figures, print_header
from migration import DIRECTIONS

import crmbridge
from crmbridge.emulation import EmulatorServer
from crmbridge.migrate import migrate_async, tuned_collector
from crmbridge.plugins import get_provider

#: Records/s of a migration into Kizen with the fixed 4 writers, over HTTP at 20 ms (issue 24).
BEFORE = 70.0
DIRECTION = next(d for d in DIRECTIONS if d.name == "attio_to_kizen")


def serve(spec: dict[str, Any]) -> None:
    """The child process: one emulator on a free port; prints ``{"url", "credentials"}``, serves
    until its standard input closes, then prints what it counted."""
    options: dict[str, Any] = {"latency_ms": spec["latency_ms"]}
    if spec["demo_size"]:
        options.update(seed="demo", demo_size=spec["demo_size"])
    emulator = get_provider(spec["provider"]).create_emulator(**options)
    extra: dict[str, Any] = {}
    busy = _InFlight(emulator)
    if spec.get("contend"):
        for email in spec["contend"]:
            rid = emulator.seed_record("client_client", {"email": email})
            emulator.locks.contend(rid)
    with EmulatorServer(emulator, "127.0.0.1", 0) as server:
        print(json.dumps({"url": server.url, "credentials": emulator.credentials()}), flush=True)
        if spec["provider"] == "attio" and spec.get("list_people"):
            extra["people"] = [
                r["values"]["email_addresses"][0]["email_address"]
                for r in emulator.records("people")
                if r["values"].get("email_addresses")
            ]
            print(json.dumps(extra), flush=True)
        sys.stdin.read()
    conflicts = getattr(getattr(emulator, "locks", None), "conflicts", 0)
    print(json.dumps({"conflicts": conflicts, "requests": sum(emulator.requests.values()),
                      "cpu_s": time.process_time(), "in_flight": busy.mean()}))  # fmt: skip


class _InFlight:
    """Writes in flight at the emulator (arrival to answer), averaged over the time from the
    first write to the last answer: how full the client kept the server."""

    def __init__(self, emulator: Any) -> None:
        self.now = 0
        self.area = 0.0
        self.first: float | None = None
        self.last = 0.0
        self.lock = threading.Lock()
        admit, dispatch = emulator.admit, emulator.dispatch

        def counted_admit(request: Any) -> Any:
            if emulator.is_write(request):
                self.step(+1)
            return admit(request)

        def counted_dispatch(request: Any, **kw: Any) -> Any:
            try:
                return dispatch(request, **kw)
            finally:
                if emulator.is_write(request):
                    self.step(-1)

        emulator.admit, emulator.dispatch = counted_admit, counted_dispatch

    def step(self, delta: int) -> None:
        with self.lock:
            t = time.perf_counter()
            if self.first is None:
                self.first = self.last = t
            self.area += self.now * (t - self.last)
            self.now, self.last = self.now + delta, t

    def mean(self) -> float:
        span = self.last - (self.first or self.last)
        return self.area / span if span else 0.0


async def run(records: int, latency_ms: float, contended: float, concurrency: int | None
              ) -> dict[str, Any]:  # fmt: skip
    demo = DIRECTION.demo_size(records)
    spec = {"provider": "attio", "demo_size": demo, "latency_ms": latency_ms, "list_people": True}
    with Served(__file__, "--serve", json.dumps(spec), extra_lines=1) as source:
        people: list[str] = source.extra[0]["people"]
        contend = people[:: max(1, round(1 / contended))] if contended else []
        with (
            Served(__file__, "--serve", json.dumps({"provider": "kizen", "demo_size": 0,
                   "latency_ms": latency_ms, "contend": contend})) as target,
            tempfile.TemporaryDirectory(prefix="crmbridge-bench-") as tmp,
        ):  # fmt: skip
            async with (
                crmbridge.connect_async("attio", base_url=source.url, rate_limit=10.0,
                                        **source.credentials) as src,
                crmbridge.connect_async("kizen", base_url=target.url,
                                        **target.credentials) as dst,
            ):  # fmt: skip
                cpu, wall = time.process_time(), time.perf_counter()
                with tuned_collector():
                    report = await migrate_async(src, dst, DIRECTION.mapping,
                                                 state=Path(tmp) / "s.db", failures=None,
                                                 concurrency=concurrency)  # fmt: skip
                wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    done = sum(o.total for o in report.objects.values())
    return {
        "records": done,
        "seconds": wall,
        "rate": done / wall,
        "cpu_ms_per_record": 1000 * cpu / max(done, 1),
        "failed": report.failed,
        "pending": report.pending,
        "contended": len(contend),
        "conflicts": target.stats["conflicts"],
        "writers": report.writers,
        # CPU seconds of each emulator process (setup included): is a server the bound?
        "source_cpu_s": source.stats["cpu_s"],
        "target_cpu_s": target.stats["cpu_s"],
        "in_flight": target.stats["in_flight"],
    }


def show(label: str, r: dict[str, Any]) -> None:
    w = r["writers"]
    pool = (f"adaptive, limit {w['limit']} at the end, highest {w['highest']}, "
            f"decreases {w['decreases']}" if w.get("adaptive") else f"fixed {w.get('limit')}")  # fmt: skip
    print(
        f"  {label:9s} {r['records']:6.0f} records  {r['seconds']:7.2f} s  {r['rate']:7.1f} rec/s"
        f"  x{r['rate'] / BEFORE:4.1f} of {BEFORE:g}  409s {r['conflicts']}/{r['contended']}"
        f" contended  failed {r['failed']}  client CPU {r['cpu_ms_per_record']:.2f} ms/record"
        f"\n            writers: {pool}; emulator CPU: source {r['source_cpu_s']:.1f} s,"
        f" Kizen {r['target_cpu_s']:.1f} s; writes in flight at Kizen {r['in_flight']:.1f} on average"
    )


def main() -> None:
    p = parser(__doc__)
    p.add_argument("--records", type=int, default=3000, help="source records (people+companies)")
    p.add_argument("--latency-ms", type=float, default=20.0, help="emulated latency per request")
    p.add_argument("--contended", type=float, default=0.02,
                   help="share of people already in Kizen and locked once")  # fmt: skip
    p.add_argument("--repeat", type=int, default=1, help="runs of each pool")
    p.add_argument("--pools", default="4,adaptive",
                   help="writer pools to run, in order: a number is a fixed pool (4 = before)")  # fmt: skip
    p.add_argument("--serve", help=argparse_hidden())
    args = p.parse_args()
    if args.serve:
        serve(json.loads(args.serve))
        return
    if args.quick:
        args.records = 60
    print_header("Attio → Kizen over real HTTP: adaptive writers vs the fixed 4 (issue 24)")
    print(f"latency {args.latency_ms:g} ms on both emulators, each served by its own process; "
          f"no rate limit on Kizen (none published); load {os.getloadavg()[0]:.2f}\n")  # fmt: skip
    pools = [(p if p == "adaptive" else f"fixed {p}", None if p == "adaptive" else int(p))
             for p in args.pools.split(",")]  # fmt: skip
    if not any(c == 4 for _, c in pools) or not any(c is None for _, c in pools):
        p.error("--pools must include 4 and adaptive")
    rates: dict[str, list[float]] = {label: [] for label, _ in pools}
    unretried = 0
    for _ in range(args.repeat):
        for label, concurrency in pools:
            r = asyncio.run(run(args.records, args.latency_ms, args.contended, concurrency))
            show(label, r)
            rates[label].append(r["rate"])
            unretried += r["failed"] + r["pending"] + r["contended"] - r["conflicts"]
    print(f"\nload average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    best = max(rates["adaptive"])
    print_figures([
        Figure("kizen_target_adaptive_rate_vs_70", best / BEFORE, ">=", 4.0),
        Figure("kizen_target_adaptive_vs_fixed4", best / max(rates["fixed 4"]), ">=", 1.0),
        Figure("kizen_target_conflicts_unretried", unretried, "<=", 0),
    ])  # fmt: skip


def argparse_hidden() -> str:
    import argparse

    return argparse.SUPPRESS


if __name__ == "__main__":
    main()
