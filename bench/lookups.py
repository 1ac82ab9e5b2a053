"""Figure 9 (issue 24): requests per 1,000 upserted records, batched lookups against one per record.

Why: every upsert is a read by the match key, then a write (figure 5): N upserts used to cost N
reads beside the N writes. ``upsert_many`` and the migration engine now search a batch of match
values in one request (``Provider.lookup_batch_size``, 100: an ``$or`` of ``$eq`` on Attio, one
filter group on Kizen), so 1,000 upserts should cost at most 1,000 writes and 20 reads.

Three ways, side by side on in-process emulators (no latency, no rate limit: only the requests
are measured), the schema read once beforehand:

* ``upsert`` one record at a time — the baseline, 1 read + 1 write each;
* ``upsert_many`` of the same rows into a fresh emulator, then again with a tenth of them changed
  (the unchanged ones are ``noop``: no write);
* a migration of the demo seed (people and companies) into a fresh emulator of the other CRM, its
  target's requests counted whole: the searches, and apart from them the schema reads of the run
  (a fixed cost per run, not per record).

Reads and writes are told apart by the emulator (``Emulator.is_write``: Kizen's and Attio's search
POSTs are reads) from its request counters, so retries would show.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from pathlib import Path

from common import BENCH, ROOT, Figure, emulator, parser, print_figures, print_header

import crmbridge
from crmbridge.emulation import Emulator
from crmbridge.migrate import load_mapping, migrate

#: provider → object, and a row of it for record ``i``.
ROWS = {
    "attio": ("people", lambda i: {"email_addresses": [f"p{i}@bench.io"], "job_title": f"j{i}"}),
    "kizen": ("client_client", lambda i: {"email": f"p{i}@bench.io", "first_name": f"F{i}"}),
}
#: (source, target) → mapping file.
MAPPINGS = {
    ("attio", "kizen"): ROOT / "docs" / "examples" / "attio-to-kizen.toml",
    ("kizen", "attio"): BENCH / "mappings" / "kizen-to-attio.toml",
}
#: Paths of the match searches.
SEARCHES = ("/records/query", "/search")


def split(emu: Emulator) -> tuple[int, int, int]:
    """(searches, other reads, writes) the emulator answered."""
    searches = reads = writes = 0
    for route, n in emu.requests.items():
        method, _, path = route.partition(" ")
        if path.endswith(SEARCHES):
            searches += n
        elif emu.is_write(_Probe(method, path)):  # type: ignore[arg-type]
            writes += n
        else:
            reads += n
    return searches, reads, writes


class _Probe:
    """What ``Emulator.is_write`` looks at: the method and the URL's path."""

    def __init__(self, method: str, path: str) -> None:
        self.method = method
        self.url = _Url(path)


class _Url:
    def __init__(self, path: str) -> None:
        self.path = path


def per_thousand(count: int, records: int) -> float:
    return count * 1000 / records if records else 0.0


def row(label: str, records: int, counts: tuple[int, int, int], actions: Counter[str]) -> None:
    searches, reads, writes = counts
    shown = ", ".join(f"{n} {a}" for a, n in sorted(actions.items()))
    print(
        f"{label:44} {records:7} {per_thousand(writes, records):8.1f} "
        f"{per_thousand(searches, records):9.1f} {reads:6}  {shown}"
    )


def upserts(provider: str, n: int) -> list[Figure]:
    obj, make = ROWS[provider]
    rows = [make(i) for i in range(n)]
    figures = []
    # baseline: one upsert at a time
    emu = emulator(provider)
    with crmbridge.connect(provider, emulator=emu, rate_limit=False) as crm:
        crm.schema(obj)
        emu.requests.clear()
        actions = Counter(crm.upsert(obj, r).action for r in rows)
        row(f"{provider} upsert x {n}, one at a time", n, split(emu), actions)
    emu = emulator(provider)
    with crmbridge.connect(provider, emulator=emu, rate_limit=False) as crm:
        crm.schema(obj)
        emu.requests.clear()
        actions = Counter(r.action for r in crm.upsert_many(obj, rows))
        first = split(emu)
        row(f"{provider} upsert_many, new", n, first, actions)
        for i in range(0, n, 10):
            rows[i] = {**rows[i], **{k: f"{v}!" for k, v in rows[i].items() if k != "email"
                                     and not k.startswith("email")}}  # fmt: skip
        emu.requests.clear()
        actions = Counter(r.action for r in crm.upsert_many(obj, rows))
        again = split(emu)
        row(f"{provider} upsert_many, a tenth changed", n, again, actions)
    for name, counts in (("new", first), ("changed", again)):
        figures.append(
            Figure(
                f"{provider}_upsert_many_{name}_reads_per_1000",
                per_thousand(counts[0], n),
                "<=",
                20,
            )
        )
    figures.append(
        Figure(f"{provider}_upsert_many_writes_per_1000", per_thousand(first[2], n), "<=", 1000)
    )
    return figures


def migration(source: str, target: str, n: int) -> list[Figure]:
    src = emulator(source, seed="demo", demo_size=n)
    dst = emulator(target)
    with tempfile.TemporaryDirectory() as tmp:
        report = migrate(
            crmbridge.connect_async(source, emulator=src, rate_limit=False),
            crmbridge.connect_async(target, emulator=dst, rate_limit=False),
            load_mapping(MAPPINGS[(source, target)]),
            state=Path(tmp) / "state.db",
            failures=None,
        )
    actions: Counter[str] = Counter()
    for obj in report.objects.values():
        actions.update({k: v for k, v in obj.counts.items() if v})
    records = sum(actions.values())
    counts = split(dst)
    row(f"migrate {source} -> {target} (demo seed)", records, counts, actions)
    return [
        Figure(f"{source}_to_{target}_migration_reads_per_1000", per_thousand(counts[0], records), "<=", 20),
        Figure(f"{source}_to_{target}_migration_writes_per_1000", per_thousand(counts[2], records), "<=", 1000),
    ]  # fmt: skip


def main() -> None:
    p = parser(__doc__)
    p.add_argument("--records", type=int, default=1000, help="rows per upsert run (default 1000)")
    p.add_argument("--seed", type=int, default=5000, help="demo records migrated (default 5000)")
    args = p.parse_args()
    n, seed = (120, 150) if args.quick else (args.records, args.seed)
    print_header("Requests per 1,000 upserted records (issue 24, figure 9)")
    print(f"{'':44} {'records':>7} {'writes/1k':>8} {'search/1k':>9} {'other':>6}  actions")
    figures: list[Figure] = []
    for provider in ROWS:
        figures += upserts(provider, n)
    for source, target in MAPPINGS:
        figures += migration(source, target, seed)
    print()
    print(
        "other: the target's other reads in the whole run (schema, options, members), not per record"
    )
    print_figures(figures)


if __name__ == "__main__":
    main()
