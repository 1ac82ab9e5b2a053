"""Figure 4: memory — ``query()`` over 100,000 records holds one page, not the result.

Why: a million-record migration must fit in memory, so reading must stream. For each emulator,
a fresh subprocess seeds it with ``--records`` records programmatically (the demo seed, written
straight into the emulator's state, not through the API), fetches the schema, resets the peak
RSS counter (``/proc/self/clear_refs``), then iterates ``query()`` over every record, keeping only
a count. The figure is the growth of peak RSS (``VmHWM``) over the RSS before the query.

Beside it, in another subprocess of the same run, the same query collected with ``list(...)``:
what holding the result costs, so the streaming figure can be read against it.
"""

from __future__ import annotations

import gc
import json
import subprocess
import sys
import time
from pathlib import Path

from common import Figure, emulator, parser, print_figures, print_header

import crmbridge

#: provider → the object read (the demo seed makes ``demo_size`` records of it).
OBJECTS = {"attio": "people", "kizen": "client_client"}
TARGET_MB = 50


def rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS in /proc/self/status (Linux only)")


def peak_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc/self/status (Linux only)")


def child(provider: str, records: int, keep: bool) -> None:
    """Seed, then measure one query; prints one JSON line."""
    started = time.perf_counter()
    emu = emulator(provider, seed="demo", demo_size=records)
    seeded = time.perf_counter() - started
    obj = OBJECTS[provider]
    with crmbridge.connect(provider, emulator=emu) as crm:
        crm.schema(obj)
        gc.collect()
        Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM to the current RSS
        before = rss_kib()
        started = time.perf_counter()
        if keep:
            result = list(crm.query(obj))
            count = len(result)
        else:
            count = sum(1 for _ in crm.query(obj))
        seconds = time.perf_counter() - started
        peak = peak_kib()
    print(
        json.dumps(
            {
                "count": count,
                "growth_mb": (peak - before) / 1024,
                "before_mb": before / 1024,
                "seconds": seconds,
                "seed_seconds": seeded,
            }
        )
    )


def measure(provider: str, records: int, keep: bool) -> dict[str, float]:
    args = [sys.executable, __file__, "--child", provider, "--records", str(records)]
    done = subprocess.run(
        [*args, *(["--keep"] if keep else [])], capture_output=True, text=True, check=True
    )
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    p = parser(__doc__)
    p.add_argument("--records", type=int, default=100_000, help="records in the queried object")
    p.add_argument("--child", choices=list(OBJECTS), help=argparse_hidden())
    p.add_argument("--keep", action="store_true", help=argparse_hidden())
    args = p.parse_args()
    if args.child:
        child(args.child, args.records, args.keep)
        return
    if args.quick:
        args.records = 2000
    print_header("Memory of a streaming query (issue #10, figure 4)")
    print(f"{'':40} {'records':>8} {'RSS before':>11} {'peak growth':>12} {'seconds':>8}")
    figures = []
    for provider, obj in OBJECTS.items():
        streamed = measure(provider, args.records, keep=False)
        held = measure(provider, args.records, keep=True)
        for label, r in (("query(), streamed", streamed), ("list(query()), held", held)):
            name = f"{provider} {obj} {label}"
            print(
                f"{name:40} {int(r['count']):8} {r['before_mb']:8.0f} MB "
                f"{r['growth_mb']:9.1f} MB {r['seconds']:8.1f}"
            )
        figures.append(
            Figure(f"{provider}_query_peak_rss_growth_mb", streamed["growth_mb"], "<=", TARGET_MB)
        )
    print_figures(figures)


def argparse_hidden() -> str:
    import argparse

    return argparse.SUPPRESS


if __name__ == "__main__":
    main()
