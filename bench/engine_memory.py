"""Engine memory and re-run speed (issue 24): peak RSS growth of the migrating process at 10k,
100k and 300k records, and a re-run over unchanged data against the API's read floor.

Why: a million-record migration must fit in memory, so what the engine keeps per record for the
whole run (id map, hashes, the scan's seen set...) must live in the state store, not in the
process; and a re-run over unchanged data should cost what reading the source costs. The two
emulators are served over HTTP by processes of their own (``EmulatorServer``, as in
bench/migration_http.py), so their records are not in the measured process. For each size a
fresh process connects to them, fetches the schemas, resets its peak-RSS counter
(``/proc/self/clear_refs``) and runs ``migrate_async`` (Attio → Kizen, docs/examples/
attio-to-kizen.toml) on a new SQLite state; the figure is peak RSS (``VmHWM``) minus RSS before
the run. Then the same migration again, nothing changed: its wall time beside the read floor,
the source's pages ÷ its read limit. Seconds are the records' (first page to the second
pass); the notes and tasks that follow (a request per parent record) are timed apart.

The emulators get Attio's limits x ``--scale`` (default 100, so the write run is bound by the
CPU, not the limit) and no latency; the re-run's floor is computed from the read limit the
re-run's client was given: Attio's real read limit unless ``--rerun-scale`` says otherwise.

    uv run python bench/engine_memory.py [--records 10000,100000,300000] [--scale 100]
"""

from __future__ import annotations

import asyncio
import gc
import json
import math
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from common import ROOT, Figure, Served, parser, print_figures, print_header

TARGET_GROWTH_MB = 50.0
MAPPING = ROOT / "docs" / "examples" / "attio-to-kizen.toml"
#: Attio's published limits (docs/reference/attio.md §6), scaled by ``--scale``.
READS, WRITES = 100.0, 25.0


def _status(key: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {key} in /proc/self/status (Linux only)")


def serve(provider: str, demo_size: int, scale: float) -> None:
    """A child process: one emulator on a free port until its standard input closes."""
    from crmbridge.emulation import EmulatorServer, RateLimits
    from crmbridge.plugins import get_provider

    options: dict[str, Any] = {"rate_limits": RateLimits(reads=READS, writes=WRITES).scaled(scale)}
    if demo_size:
        options.update(seed="demo", demo_size=demo_size)
    if provider == "attio":
        # Served, it is changed by requests only, so its records' JSON may be kept between
        # answers (crmbridge_attio/emulator/store.py): the re-run's pages cost the server a join.
        options["render_cache"] = True
    emulator = get_provider(provider).create_emulator(**options)
    # The seeded workspace lives as long as this process, which is the bench's own: frozen,
    # the collector's full runs no longer rescan its ~17 objects per record. Rendering a page
    # allocates ~30,000 dicts and lists that outlive the young collections while the page is
    # built, so full runs come every few pages: they were half of the server's CPU per rendered
    # record (25k records in-process: 63 µs with them, 32 µs frozen; docs/benchmarks.md
    # "Re-run, third pass"). Against the real Attio that CPU is not on the client's cores.
    gc.collect()
    gc.freeze()
    with EmulatorServer(emulator, "127.0.0.1", 0) as server:
        print(json.dumps({"url": server.url, "credentials": emulator.credentials()}), flush=True)
        sys.stdin.read()


async def migrate_twice(
    source: dict[str, Any], target: dict[str, Any], scale: float, rerun_scale: float
) -> None:
    """A child process: the migration, then the re-run (the source read at Attio's limits x
    ``rerun_scale``); prints one JSON line."""
    import crmbridge
    import crmbridge.migrate.notes as notes
    from crmbridge.migrate import migrate_async, tuned_collector

    # Notes and tasks follow the records (one request per parent, crmbridge/migrate/notes.py):
    # their time is shown apart, so the records' re-run can be read against the read floor.
    copy_notes = notes.copy_notes_and_tasks
    notes_started = [0.0]

    async def timed_notes(engine: Any, plans: Any) -> None:
        notes_started[0] = time.perf_counter()
        await copy_notes(engine, plans)

    notes.copy_notes_and_tasks = timed_notes  # type: ignore[assignment]
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="crmbridge-bench-") as tmp:
        async with (
            crmbridge.connect_async("attio", base_url=source["url"], rate_limit=scale,
                                    **source["credentials"]) as src,
            crmbridge.connect_async("kizen", base_url=target["url"], rate_limit=scale,
                                    **target["credentials"]) as dst,
        ):  # fmt: skip
            for obj in ("people", "companies"):
                await src.schema(obj)
            rerun_src = crmbridge.connect_async("attio", base_url=source["url"],
                                                rate_limit=rerun_scale, **source["credentials"])  # fmt: skip
            pages = 0
            for name, reader in (("first", src), ("rerun", rerun_src)):
                gc.collect()
                Path("/proc/self/clear_refs").write_text("5")  # VmHWM := current RSS
                before = _status("VmRSS")
                started, cpu = time.perf_counter(), time.process_time()
                with tuned_collector():
                    report = await migrate_async(reader, dst, MAPPING, state=Path(tmp) / "s.db",
                                                 failures=None)  # fmt: skip
                ended, cpu = time.perf_counter(), time.process_time() - cpu
                wall = (notes_started[0] or ended) - started
                total = sum(o.total for o in report.objects.values())
                if name == "first":
                    size = src.capabilities.max_page_size
                    pages = sum(math.ceil(o.total / size) + 1 for o in report.objects.values())
                out[name] = {
                    "records": total,
                    "seconds": wall,
                    "notes_seconds": ended - (notes_started[0] or ended),
                    "cpu_us_per_record": 1e6 * cpu / max(total, 1),
                    "growth_mb": (_status("VmHWM") - before) / 1024,
                    "before_mb": before / 1024,
                    "failed": report.failed,
                    "noop": sum(o.counts.get("noop", 0) for o in report.objects.values()),
                }
            await rerun_src.aclose()
            out["read_floor_s"] = pages / (READS * rerun_scale)
    print(json.dumps(out))


def measure(records: int, scale: float, rerun_scale: float) -> dict[str, Any]:
    # Attio's demo seed: ``size`` people and ``size // 5`` companies (bench/migration.py).
    source = Served(__file__, "--serve", "attio", str(round(records * 5 / 6)), str(scale))
    target = Served(__file__, "--serve", "kizen", "0", str(scale))
    try:
        done = subprocess.run(
            [sys.executable, __file__, "--migrate", json.dumps(source.info),
             json.dumps(target.info), str(scale), str(rerun_scale)],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
    finally:
        source.close()
        target.close()
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    p = parser(__doc__)
    p.add_argument("--records", default="10000,100000,300000", help="comma-separated sizes")
    p.add_argument("--scale", type=float, default=100.0, help="x Attio's limits on both sides")
    p.add_argument("--serve", nargs=3, help=argparse_hidden())
    p.add_argument(
        "--rerun-scale",
        type=float,
        default=1.0,
        help="x Attio's read limit for the re-run's source client (1: the real one)",
    )
    p.add_argument("--migrate", nargs=4, help=argparse_hidden())
    args = p.parse_args()
    if args.serve:
        serve(args.serve[0], int(args.serve[1]), float(args.serve[2]))
        return
    if args.migrate:
        source, target, scale, rerun = args.migrate
        asyncio.run(
            migrate_twice(json.loads(source), json.loads(target), float(scale), float(rerun))
        )
        return
    sizes = [2000] if args.quick else [int(n) for n in args.records.split(",")]
    print_header("Engine memory and re-run (issue 24)")
    print(f"Attio → Kizen, emulators served in their own processes, limits x {args.scale:g}\n")
    print(f"{'records':>8} {'RSS before':>11} {'peak growth':>12} {'B/record':>9} {'seconds':>8}"
          f" {'CPU us/rec':>10} | {'re-run s':>8} {'floor s':>8} {'÷ floor':>8}"
          f" {'CPU us/rec':>10} {'growth':>8} {'notes s':>8}")  # fmt: skip
    figures = []
    for n in sizes:
        r = measure(n, args.scale, args.rerun_scale)
        first, rerun = r["first"], r["rerun"]
        floor = r["read_floor_s"]
        print(
            f"{first['records']:8d} {first['before_mb']:8.0f} MB {first['growth_mb']:9.1f} MB"
            f" {1024 * 1024 * first['growth_mb'] / max(first['records'], 1):9.0f}"
            f" {first['seconds']:8.1f} {first['cpu_us_per_record']:10.0f} |"
            f" {rerun['seconds']:8.2f} {floor:8.2f} {rerun['seconds'] / floor:8.1f}"
            f" {rerun['cpu_us_per_record']:10.0f} {rerun['growth_mb']:5.1f} MB"
            f" {rerun['notes_seconds']:8.1f}",
            flush=True,
        )
        if first["failed"] or rerun["noop"] != rerun["records"]:
            print(f"  failed {first['failed']}, re-run noop {rerun['noop']}/{rerun['records']}")
        figures.append(Figure(f"peak_rss_growth_mb_{n}", first["growth_mb"], "<=",
                              TARGET_GROWTH_MB))  # fmt: skip
        figures.append(Figure(f"rerun_over_read_floor_{n}", rerun["seconds"] / floor, "<=", 2.0))
    print_figures(figures)


def argparse_hidden() -> str:
    import argparse

    return argparse.SUPPRESS


if __name__ == "__main__":
    main()
