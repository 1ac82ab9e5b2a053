"""Where the migrating process's memory goes (issue 24): the first migration of
bench/engine_memory.py (Attio → Kizen, emulators served in processes of their own), with a
sampler that prints, every ``--every`` committed pages, the process's RSS, SQLite's own heap
(``sqlite3_memory_used``), glibc's heap (``mallinfo2``: bytes in use, free inside the arenas,
mmapped), Python's allocated blocks and the collector's generations; optionally tracemalloc
snapshots compared between two pages (``--trace A,B``).

Why a separate script: bench/engine_memory.py gives one figure (peak growth); this one says which
allocator holds it, to find what grows before fixing it (docs/benchmarks.md, "Engine memory").

    uv run python bench/memory_probe.py --records 40000 [--trace 40,160] [--keep-free-heap]
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import gc
import json
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

from common import ROOT, Served, parser
from engine_memory import _status

MAPPING = ROOT / "docs" / "examples" / "attio-to-kizen.toml"


class _Mallinfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in (
            "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
            "fordblks", "keepcost",
        )
    ]  # fmt: skip


_libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
_libc.mallinfo2.restype = _Mallinfo2


def _sqlite_used() -> int:
    import _sqlite3

    lib = ctypes.CDLL(_sqlite3.__file__)
    fn = lib.sqlite3_memory_used
    fn.restype = ctypes.c_int64
    return int(fn())


#: Objects the cyclic collector freed, per generation (``gc.callbacks``).
_COLLECTED = [0, 0, 0]
#: The peak RSS (MB) over the samples so far.
_PEAK = [0]


def _count_collected(phase: str, info: dict[str, int]) -> None:
    if phase == "stop":
        _COLLECTED[info["generation"]] += info["collected"]


def sample(page: int, started: float) -> dict[str, Any]:
    """The figures now; ``hwm`` is the peak since the previous sample (reset after it)."""
    info = _libc.mallinfo2()
    hwm = _status("VmHWM") // 1024
    Path("/proc/self/clear_refs").write_text("5")
    _PEAK[0] = max(_PEAK[0], hwm)
    return {
        "page": page,
        "s": round(time.perf_counter() - started, 1),
        "rss": _status("VmRSS") // 1024,
        "hwm": hwm,
        "sqlite": _sqlite_used() // 1024**2,
        "m_used": info.uordblks // 1024**2,
        "m_free": info.fordblks // 1024**2,
        "m_mmap": info.hblkhd // 1024**2,
        "py_blocks_k": sys.getallocatedblocks() // 1000,
        "gc": gc.get_count(),
        "gc_freed": list(_COLLECTED),
    }


async def probe(source: dict[str, Any], target: dict[str, Any], args: dict[str, Any]) -> None:
    import crmbridge
    from crmbridge import heap
    from crmbridge.migrate import migrate_async, tuned_collector
    from crmbridge.migrate.state.store import StateStore

    gc.callbacks.append(_count_collected)
    trace = args["trace"]
    snaps: list[Any] = []
    pages = [0]
    trimmed = [0.0]
    give_back = heap.return_free_memory

    def timed_give_back() -> bool:
        t = time.perf_counter()
        done = args["give_back"] and give_back()
        trimmed[0] += time.perf_counter() - t
        return done

    heap.return_free_memory = timed_give_back
    if not args["body_trim"]:
        import crmbridge.http

        crmbridge.http._LARGE_BODY = 1 << 62  # bisect: only once per page (the engine's)
    if args["drop_raw"]:  # bisect: records without the provider's payload (Record.raw)
        import attrs

        from crmbridge.bridge import AsyncBridge

        page_iter = AsyncBridge._page_iter

        async def without_raw(self: Any, *a: Any, **k: Any) -> Any:
            async for page in page_iter(self, *a, **k):
                records = [attrs.evolve(r, raw=None) for r in page.records]
                yield attrs.evolve(page, records=records)

        AsyncBridge._page_iter = without_raw  # type: ignore[method-assign]
    started = time.perf_counter()
    commit = StateStore.commit

    def counted(self: StateStore, *a: Any, **k: Any) -> None:
        commit(self, *a, **k)
        pages[0] += 1
        if pages[0] % args["every"] == 0:
            print(json.dumps(sample(pages[0], started)), flush=True)
        if trace and pages[0] in trace:
            gc.collect()
            snaps.append(tracemalloc.take_snapshot())
            print(json.dumps({"snapshot": pages[0], **sample(pages[0], started)}), flush=True)

    StateStore.commit = counted  # type: ignore[method-assign]
    if trace:
        tracemalloc.start(args["frames"])
    with tempfile.TemporaryDirectory(prefix="crmbridge-probe-") as tmp:
        async with (
            crmbridge.connect_async("attio", base_url=source["url"], rate_limit=args["scale"],
                                    **source["credentials"]) as src,
            crmbridge.connect_async("kizen", base_url=target["url"], rate_limit=args["scale"],
                                    **target["credentials"]) as dst,
        ):  # fmt: skip
            for obj in ("people", "companies"):
                await src.schema(obj)
            gc.collect()
            Path("/proc/self/clear_refs").write_text("5")
            print(json.dumps({"before": sample(0, started)}), flush=True)
            with tuned_collector():
                report = await migrate_async(src, dst, MAPPING, state=Path(tmp) / "s.db",
                                             failures=None)  # fmt: skip
            print(
                json.dumps(
                    {
                        "end": sample(pages[0], started),
                        "failed": report.failed,
                        "trim_s": round(trimmed[0], 3),
                    }
                )
            )
            gc.collect()
            print(json.dumps({"after_gc": sample(pages[0], started), "peak": _PEAK[0]}), flush=True)
    if len(snaps) == 1:  # what is alive at that page, by line
        for stat in snaps[0].statistics("traceback" if args["frames"] > 1 else "lineno")[
            : args["top"]
        ]:
            print(f"{stat.size / 1024:10.1f} KiB {stat.count:8d}  ", end="")
            print("\n        ".join(stat.traceback.format()[-args["frames"] * 2 :]))
    if len(snaps) == 2:
        top = snaps[1].compare_to(snaps[0], "traceback" if args["frames"] > 1 else "lineno")
        for stat in top[: args["top"]]:
            print(f"{stat.size_diff / 1024:10.1f} KiB {stat.count_diff:+8d}  ", end="")
            print("\n        ".join(stat.traceback.format()[-args["frames"] * 2 :]))


def main() -> None:
    p = parser(__doc__)
    p.add_argument("--records", type=int, default=40000)
    p.add_argument("--scale", type=float, default=100.0)
    p.add_argument("--every", type=int, default=20, help="print a sample every N pages")
    p.add_argument(
        "--trace",
        default="",
        help="two page numbers: tracemalloc diff between them; one: what is alive then",
    )
    p.add_argument("--frames", type=int, default=1)
    p.add_argument("--top", type=int, default=25)
    p.add_argument(
        "--keep-free-heap",
        action="store_true",
        help="bisect: the engine does not give the free heap back (crmbridge/heap.py)",
    )
    p.add_argument(
        "--drop-raw",
        action="store_true",
        help="bisect: drop each source record's raw payload when its page is read",
    )
    p.add_argument(
        "--no-body-trim",
        action="store_true",
        help="bisect: no giving back after each large answer (crmbridge/http.py)",
    )
    p.add_argument("--child", nargs=3, help="(internal)")
    a = p.parse_args()
    if a.child:
        asyncio.run(probe(json.loads(a.child[0]), json.loads(a.child[1]), json.loads(a.child[2])))
        return
    opts = {
        "scale": a.scale,
        "every": a.every,
        "trace": [int(x) for x in a.trace.split(",")] if a.trace else [],
        "frames": a.frames,
        "top": a.top,
        "give_back": not a.keep_free_heap,
        "drop_raw": a.drop_raw,
        "body_trim": not a.no_body_trim,
    }
    here = str(Path(__file__).parent / "engine_memory.py")
    source = Served(here, "--serve", "attio", str(round(a.records * 5 / 6)), str(a.scale))
    target = Served(here, "--serve", "kizen", "0", str(a.scale))
    try:
        subprocess.run(
            [sys.executable, __file__, "--child", json.dumps(source.info),
             json.dumps(target.info), json.dumps(opts)],
            check=True,
        )  # fmt: skip
    finally:
        source.close()
        target.close()


if __name__ == "__main__":
    main()
