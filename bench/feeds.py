"""Change feeds: the cost of a delta pass against a full re-read (issue 20 "Performance").

Why: a re-run that re-reads the whole source costs ⌈N/page⌉ reads and decodes every record; a
feed should cost what the CRM makes unavoidable. For each provider this seeds its emulator with
``--records`` records (demo data), then, side by side in the same process:

1. reads the whole object once (the full re-run's reads: the baseline);
2. runs a first feed pass (every record ``created``; builds the SQLite store);
3. changes 1% of the records (updates) and removes 0.1% (Attio delete, Kizen archive);
4. runs the delta pass from the first pass's cursor, counting requests and checking that exactly
   the changed and removed records are reported, once.

Minimums: Attio has no modification time, so a delta pass needs the full scan, ⌈N/500⌉ queries
(plus one empty page when the last is full) and one GET per removed record. Kizen: the pages of
changed records (``updated >= watermark``), plus — because archived records leave search and
nothing lists them — either an id-only scan (⌈N/1000⌉ searches with no fields) or, when few were
archived, count probes over ranges of creation time (about log2(N/1000) + 2 requests per archive,
crmbridge/changes/archives.py), and one GET per removed record. The ``kizen_few`` case archives 5
records (a sync cycle's worth) to measure the counting; the 0.1% case still pays the scan, which
is then cheaper (docs/benchmarks.md §6).
"""

from __future__ import annotations

import math
import tempfile
from pathlib import Path
from typing import Any

from common import Figure, RequestLog, emulator, parser, print_figures, print_header, stopwatch

import crmbridge
from crmbridge.changes.archives import worth_it

CASES: list[tuple[str, str, str, dict[str, Any], str, int, int | None]] = [
    # label, provider, object, update, removal verb, page size, removals (None: 0.1%)
    ("attio", "attio", "people", {"job_title": "Changed by bench"}, "delete", 500, None),
    ("kizen", "kizen", "client_client", {"last_name": "Changed by bench"}, "archive", 1000, None),
    # a sync cycle's worth of archives: few enough that counting ranges beats the id scan
    ("kizen_few", "kizen", "client_client", {"last_name": "Changed by bench"}, "archive", 1000,
     5),
]  # fmt: skip


def run(label: str, provider: str, obj: str, update: dict[str, Any], remove: str, page: int,
        removals: int | None, n: int, folder: Path) -> list[Figure]:  # fmt: skip
    log = RequestLog()
    emu = emulator(provider, seed="demo", demo_size=n)
    crm = crmbridge.connect(provider, emulator=emu, on_request=log)
    crm.schema(obj)
    log.clear()
    with stopwatch() as full_time:
        ids = [r.id or "" for r in crm.query(obj)]
    full_requests = log.total
    store = folder / f"{provider}.db"
    with stopwatch() as first_time:
        first = crm.changes(obj, store=store)
        created = sum(1 for _ in first)
    changed = ids[::100][: max(1, len(ids) // 100)]
    k = max(1, len(ids) // 1000) if removals is None else removals
    removed = ids[50 :: max(1, len(ids) // k)][:k]
    for id in changed:
        crm.update(obj, id, update)
    for id in removed:
        getattr(crm, remove)(obj, id)
    expected = {("updated", i) for i in changed if i not in removed}
    expected |= {("deleted", i) for i in removed}
    log.clear()
    with stopwatch() as delta_time:
        delta = [(c.kind, c.id) for c in crm.changes(obj, first.cursor, store=store)]
    delta_requests = log.total
    exact = len(delta) == len(set(delta)) and set(delta) == expected
    if provider == "attio":
        minimum = math.ceil(len(ids) / page) + 1 + len(removed)
    elif worth_it(len(removed), len(ids), page):
        # counting ranges: a probe per halving down to a page, that page, a GET (an upper bound)
        depth = math.ceil(math.log2(len(ids) / page))
        minimum = math.ceil(len(changed) / page) + 1 + len(removed) * (depth + 2)
    else:
        minimum = math.ceil(len(changed) / page) + math.ceil(len(ids) / page) + 1 + len(removed)
    changed_pages = math.ceil(len(changed) / page) + len(removed)
    print(f"## {label}: {provider} ({obj}, {len(ids):,} records, {len(changed)} updated, "
          f"{len(removed)} removed)")  # fmt: skip
    print(f"  full re-read      {full_requests:6d} requests  {full_time[0]:7.2f} s")
    print(f"  first feed pass   {created:6d} created   {first_time[0]:7.2f} s")
    print(f"  delta pass        {delta_requests:6d} requests  {delta_time[0]:7.2f} s  "
          f"({len(delta)} changes, exact: {exact})")  # fmt: skip
    print(f"  minimum requests  {minimum:6d}   changed pages only: {changed_pages}")
    figures = [
        Figure(f"{label}_delta_exact", 1.0 if exact else 0.0, ">=", 1),
        Figure(f"{label}_delta_requests_vs_minimum", delta_requests / minimum, "<=", 1),
    ]
    if provider == "kizen":
        # Attio's delta pass is a full scan plus hashing by necessity: only Kizen's can be faster.
        figures.append(
            Figure(f"{label}_delta_time_vs_full_read", delta_time[0] / full_time[0], "<=", 1)
        )
        figures.append(
            Figure(
                f"{label}_delta_requests_vs_changed_pages", delta_requests / changed_pages, "<=", 1
            )
        )
    crm.close()
    return figures


def main() -> None:
    p = parser(__doc__)
    p.add_argument("--records", type=int, default=100_000, help="records per provider")
    args = p.parse_args()
    n = 300 if args.quick else args.records
    print_header(f"Change feeds: delta pass vs full re-read, {n:,} records")
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory() as folder:
        for case in CASES:
            figures += run(*case, n=n, folder=Path(folder))
    print_figures(figures)


if __name__ == "__main__":
    main()
