"""Where a re-run over unchanged records spends its time (issue 24): client and server CPU per
record over repeated re-runs of one migration.

Why: ``bench/engine_memory.py`` measures the re-run once per size, after a first migration that
takes two minutes at 100k records; finding what the re-run costs needs many re-runs of one state.
Here the same served emulators as there (``engine_memory.py --serve``: Attio with its demo seed,
Kizen empty, each in a process of its own, limits x ``--scale``) get one first migration, then
``--runs`` re-runs with the source read at Attio's real read limit x ``--rerun-scale``. Each
re-run prints its wall time beside the read floor (source pages / read limit), the client's CPU
per record (``time.process_time``) and each server's (``/proc/<pid>/stat`` utime + stime, Linux
only), so what the client and the emulators cost can be told apart on a shared machine.
``--profile`` prints cProfile's top functions of the last re-run's client.

    uv run python bench/rerun_probe.py [--records 30000] [--runs 3] [--profile]
"""

from __future__ import annotations

import asyncio
import cProfile
import gc
import math
import os
import pstats
import tempfile
import time
from pathlib import Path
from typing import Any

from common import ROOT, Served, parser, print_header

MAPPING = ROOT / "docs" / "examples" / "attio-to-kizen.toml"
READS = 100.0
ENGINE_MEMORY = str(Path(__file__).resolve().parent / "engine_memory.py")


class CollectorTime:
    """The client's time in the cyclic collector (``gc.callbacks``), per generation."""

    def __init__(self) -> None:
        self.seconds = [0.0, 0.0, 0.0]
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.seconds[info["generation"]] += time.perf_counter() - self._started


def cpu_seconds(pid: int) -> float:
    """A process's user + system CPU time (proc(5): fields 14 and 15 of ``stat``, in ticks)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def probe(source: Served, target: Served, args: Any) -> None:
    import crmbridge
    from crmbridge.migrate import migrate_async, tuned_collector

    pids = {"attio": source.process.pid, "kizen": target.process.pid}
    with tempfile.TemporaryDirectory(prefix="crmbridge-bench-") as tmp:
        state = Path(tmp) / "s.db"
        async with (
            crmbridge.connect_async("attio", base_url=source.url, rate_limit=args.scale,
                                    **source.credentials) as src,
            crmbridge.connect_async("kizen", base_url=target.url, rate_limit=args.scale,
                                    **target.credentials) as dst,
            crmbridge.connect_async("attio", base_url=source.url, rate_limit=args.rerun_scale,
                                    **source.credentials) as rerun_src,
        ):  # fmt: skip
            started = time.perf_counter()
            with tuned_collector():
                report = await migrate_async(src, dst, MAPPING, state=state, failures=None)
            total = sum(o.total for o in report.objects.values())
            size = src.capabilities.max_page_size
            pages = sum(math.ceil(o.total / size) + 1 for o in report.objects.values())
            floor = pages / (READS * args.rerun_scale)
            print(f"first migration: {total} records in {time.perf_counter() - started:.1f} s;"
                  f" re-run floor {floor:.2f} s ({pages} pages)\n")  # fmt: skip
            print(f"{'run':>3} {'seconds':>8} {'÷ floor':>8} {'client µs/rec':>14}"
                  f" {'attio µs/rec':>13} {'kizen µs/rec':>13} {'client gc µs/rec':>17} {'noop':>7}"
                  f" {'load':>5}")  # fmt: skip
            for run in range(args.runs):
                profile = cProfile.Profile() if args.profile and run == args.runs - 1 else None
                servers = {name: cpu_seconds(pid) for name, pid in pids.items()}
                collector = CollectorTime()
                gc.callbacks.append(collector)
                wall, cpu = time.perf_counter(), time.process_time()
                if profile is not None:
                    profile.enable()
                with tuned_collector():
                    report = await migrate_async(rerun_src, dst, MAPPING, state=state,
                                                 failures=None)  # fmt: skip
                if profile is not None:
                    profile.disable()
                wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
                gc.callbacks.remove(collector)
                in_gc = "/".join(f"{1e6 * s / total:.1f}" for s in collector.seconds)
                spent = {name: cpu_seconds(pid) - servers[name] for name, pid in pids.items()}
                noop = sum(o.counts.get("noop", 0) for o in report.objects.values())
                print(f"{run + 1:3d} {wall:8.2f} {wall / floor:8.2f} {1e6 * cpu / total:14.1f}"
                      f" {1e6 * spent['attio'] / total:13.1f} {1e6 * spent['kizen'] / total:13.1f}"
                      f" {in_gc:>17} {noop:7d} {os.getloadavg()[0]:5.2f}", flush=True)  # fmt: skip
                if profile is not None:
                    print()
                    pstats.Stats(profile).sort_stats(args.sort).print_stats(args.top)


def main() -> None:
    p = parser(__doc__)
    p.add_argument("--records", type=int, default=30000)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--scale", type=float, default=100.0, help="x Attio's limits for the first run")
    p.add_argument("--rerun-scale", type=float, default=1.0, help="x Attio's read limit")
    p.add_argument("--profile", action="store_true", help="cProfile the last re-run's client")
    p.add_argument("--top", type=int, default=25, help="functions --profile prints")
    p.add_argument(
        "--sort", default="tottime", help="--profile order (pstats: tottime, cumulative)"
    )
    args = p.parse_args()
    records = 2000 if args.quick else args.records
    print_header("Re-run probe (issue 24)")
    # Attio's demo seed: ``size`` people and ``size // 5`` companies (engine_memory.py).
    source = Served(ENGINE_MEMORY, "--serve", "attio", str(round(records * 5 / 6)), str(args.scale))
    target = Served(ENGINE_MEMORY, "--serve", "kizen", "0", str(args.scale))
    try:
        asyncio.run(probe(source, target, args))
    finally:
        source.close()
        target.close()


if __name__ == "__main__":
    main()
