"""Figures 1 and 2: rate-limit utilisation and re-run cost of a 5,000-record migration, both ways.

Why: for a CRM client the physical limit is the service's rate limit, not the CPU. Both emulators
enforce Attio's limits scaled by 10 (250 writes/s, 1,000 reads/s; Kizen publishes none, so it gets
the same) and answer each request after 20 ms, and the client's token buckets follow the emulators'
limits (``connect_async(..., emulator=...)``). For each direction this measures, in one run:

1. **crmbridge**: ``migrate_async`` of 5,000 records (Attio demo seed: people + companies; Kizen
   demo seed: contacts + companies) — records/s ÷ the write limit (target ≥ 0.9);
2. **re-run**: the same migration again on the same state file, nothing changed — write requests
   sent (target 0) and its wall time ÷ the first run's;
3. **plain script**: what a user writes without crmbridge — raw ``httpx``, one request at a time:
   read a page, then one upsert per record (fewer fields, no reference rewriting, no noop check:
   less work than crmbridge does). It runs on the first ``--plain-records`` records only (it is
   slow; its rate is steady from the first page on) — its records/s ÷ the write limit.

Everything runs in this process (emulators in-process, ``httpx.MockTransport``), so the emulators'
own CPU time is on the same two cores as the client's, and their state is in the same heap (the
garbage collector scans it): records/s here is a lower bound of what the client does against a
remote service. Migrations run under ``tuned_collector()``, as ``crmbridge migrate`` runs them.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs
import httpx
from common import (
    ROOT,
    SCALED_LIMITS,
    Figure,
    RequestLog,
    emulator,
    parser,
    print_figures,
    print_header,
    profiled,
    stopwatch,
)

import crmbridge
from crmbridge.emulation import Emulator
from crmbridge.http import parse_retry_after
from crmbridge.migrate import Report, migrate_async, tuned_collector

WRITE_LIMIT = SCALED_LIMITS.writes or 0.0


@attrs.frozen
class Direction:
    """One migration direction: providers, mapping, and how to seed ``n`` source records."""

    name: str
    source: str
    target: str
    mapping: Path
    #: ``demo_size`` giving ``n`` records in the mapped objects of the source's demo seed.
    demo_size: Callable[[int], int]
    plain: Callable[[Emulator, Emulator, int], int]


@attrs.frozen
class Run:
    seconds: float
    records: int
    report: Report
    writes_sent: int
    reads_sent: int

    @property
    def rate(self) -> float:
        return self.records / self.seconds


# --- crmbridge -------------------------------------------------------------------------------


async def crmbridge_runs(
    d: Direction, records: int, latency_ms: float, profile: str | None = None
) -> tuple[Run, Run]:
    """The migration, then the same migration again with nothing changed (``profile``: profile
    the first run into that file)."""
    source_emu = emulator(
        d.source,
        seed="demo",
        demo_size=d.demo_size(records),
        latency_ms=latency_ms,
        rate_limits=SCALED_LIMITS,
    )
    target_emu = emulator(d.target, latency_ms=latency_ms, rate_limits=SCALED_LIMITS)
    log = RequestLog()
    with tempfile.TemporaryDirectory(prefix="crmbridge-bench-") as tmp:
        state = Path(tmp) / "state.db"
        async with (
            crmbridge.connect_async(d.source, emulator=source_emu) as source,
            crmbridge.connect_async(d.target, emulator=target_emu, on_request=log) as target,
        ):
            runs = []
            for i in range(2):
                log.clear()
                # tuned_collector: as `crmbridge migrate` runs (crmbridge/migrate/collector.py)
                with profiled(profile if i == 0 else None), tuned_collector(), stopwatch() as t:
                    report = await migrate_async(
                        source, target, d.mapping, state=state, failures=None
                    )
                total = sum(o.total for o in report.objects.values())
                runs.append(Run(t[0], total, report, log.by_kind["write"], log.by_kind["read"]))
    return runs[0], runs[1]


# --- the plain script ------------------------------------------------------------------------


def send(client: httpx.Client, method: str, url: str, **kw: Any) -> httpx.Response:
    """One request; on 429, sleep what ``Retry-After`` says and try again (what a careful plain
    script does; at one request at a time it is never throttled here)."""
    while True:
        response = client.request(method, url, **kw)
        if response.status_code != 429:
            response.raise_for_status()
            return response
        time.sleep(parse_retry_after(response.headers.get("retry-after")) or 1.0)


def client_for(emu: Emulator) -> httpx.Client:
    """A raw httpx client on an emulator, authenticated the way its docs say."""
    creds = emu.credentials()
    if emu.name == "attio":
        headers = {"Authorization": f"Bearer {creds['token']}"}
    else:
        headers = {
            "X-API-KEY": creds["api_key"],
            "X-USER-ID": creds["user_id"],
            "X-BUSINESS-ID": creds["business_id"],
        }
    return httpx.Client(transport=emu.transport(), base_url=emu.base_url, headers=headers)


def attio_rows(client: httpx.Client, obj: str) -> Iterator[dict[str, Any]]:
    """Every record of an Attio object, 500 per ``POST …/records/query``."""
    offset = 0
    while True:
        body = {"limit": 500, "offset": offset}
        page = send(client, "POST", f"/v2/objects/{obj}/records/query", json=body).json()["data"]
        yield from page
        if len(page) < 500:
            return
        offset += len(page)


def kizen_rows(client: httpx.Client, obj: str) -> Iterator[dict[str, Any]]:
    """Every record of a Kizen object, 1,000 per ``POST …/search`` page, following ``next``."""
    url: str | None = f"/api/records/{obj}/search?page=1&page_size=1000"
    while url:
        page = send(client, "POST", url, json={}).json()
        yield from page["results"]
        url = page["next"]


def first(values: list[dict[str, Any]], key: str) -> Any:
    return values[0].get(key) if values else None


def kizen_value(row: dict[str, Any], name: str) -> Any:
    for field in row["fields"].values():
        if field["name"] == name:
            return field.get("value")
    return None


def plain_attio_to_kizen(source: Emulator, target: Emulator, limit: int) -> int:
    """Attio companies then people → Kizen ``/upsert``, one request at a time."""
    done = 0
    with client_for(source) as attio, client_for(target) as kizen:
        for obj, kizen_obj in (("companies", "companies_company"), ("people", "client_client")):
            for row in attio_rows(attio, obj):
                if done >= limit:
                    return done
                v = row["values"]
                if obj == "companies":
                    key = first(v["name"], "value")
                    fields = [{"name": "name", "value": key}]
                    if domain := first(v["domains"], "domain"):
                        fields.append({"name": "domain", "value": domain})
                else:
                    key = first(v["email_addresses"], "email_address")
                    fields = [
                        {"name": "email", "value": key},
                        {"name": "first_name", "value": first(v["name"], "first_name")},
                        {"name": "last_name", "value": first(v["name"], "last_name")},
                    ]
                body = {"lookup_value": key, "fields": fields}
                send(kizen, "POST", f"/api/records/{kizen_obj}/upsert", json=body)
                done += 1
    return done


def plain_kizen_to_attio(source: Emulator, target: Emulator, limit: int) -> int:
    """Kizen companies then contacts → Attio assert (``PUT …/records``), one at a time."""
    done = 0
    with client_for(source) as kizen, client_for(target) as attio:
        for obj, attio_obj, match in (
            ("companies_company", "companies", "domains"),
            ("client_client", "people", "email_addresses"),
        ):
            for row in kizen_rows(kizen, obj):
                if done >= limit:
                    return done
                if obj == "companies_company":
                    values = {
                        "domains": [kizen_value(row, "domain")],
                        "name": kizen_value(row, "name"),
                    }
                else:
                    values = {"email_addresses": [kizen_value(row, "email")]}
                send(
                    attio,
                    "PUT",
                    f"/v2/objects/{attio_obj}/records",
                    params={"matching_attribute": match},
                    json={"data": {"values": values}},
                )
                done += 1
    return done


def plain_run(d: Direction, records: int, latency_ms: float) -> Run:
    source_emu = emulator(
        d.source,
        seed="demo",
        demo_size=d.demo_size(records),
        latency_ms=latency_ms,
        rate_limits=SCALED_LIMITS,
    )
    target_emu = emulator(d.target, latency_ms=latency_ms, rate_limits=SCALED_LIMITS)
    with stopwatch() as t:
        done = d.plain(source_emu, target_emu, records)
    return Run(t[0], done, Report(), done, 0)


DIRECTIONS = [
    Direction(
        "attio_to_kizen",
        "attio",
        "kizen",
        ROOT / "docs" / "examples" / "attio-to-kizen.toml",
        # Attio's demo seed: ``size`` people and ``size // 5`` companies.
        demo_size=lambda n: round(n * 5 / 6),
        plain=plain_attio_to_kizen,
    ),
    Direction(
        "kizen_to_attio",
        "kizen",
        "attio",
        ROOT / "bench" / "mappings" / "kizen-to-attio.toml",
        # Kizen's demo seed: ``size`` contacts and ``size // 4`` companies.
        demo_size=lambda n: round(n * 4 / 5),
        plain=plain_kizen_to_attio,
    ),
]


def main() -> None:
    p = parser(__doc__)
    p.add_argument("--records", type=int, default=5000, help="records per direction")
    p.add_argument("--plain-records", type=int, default=500, help="records for the plain script")
    p.add_argument("--latency-ms", type=float, default=20.0, help="emulated latency per request")
    p.add_argument("--only", choices=[d.name for d in DIRECTIONS], help="one direction only")
    p.add_argument("--no-plain", action="store_true", help="skip the plain-script baseline")
    p.add_argument("--profile", metavar="FILE", help="pyinstrument the first run (.html/.txt)")
    args = p.parse_args()
    if args.quick:
        args.records, args.plain_records = 60, 20
    print_header("Rate-limit utilisation and re-run cost (issue #10, figures 1 and 2)")
    print(
        f"limits: {SCALED_LIMITS.writes:g} writes/s, {SCALED_LIMITS.reads:g} reads/s on both "
        f"emulators; latency {args.latency_ms:g} ms per request\n"
    )
    figures: list[Figure] = []
    header = f"{'':34} {'records':>8} {'seconds':>8} {'rec/s':>8} {'÷ limit':>8} {'writes':>7} {'reads':>7}"
    for d in DIRECTIONS:
        if args.only and d.name != args.only:
            continue
        profile = args.profile and args.profile.replace(".", f"-{d.name}.", 1)
        first_run, rerun = asyncio.run(crmbridge_runs(d, args.records, args.latency_ms, profile))
        plain = None if args.no_plain else plain_run(d, args.plain_records, args.latency_ms)
        print(f"{d.source} → {d.target}")
        print(header)
        rows = [
            ("crmbridge, first run", first_run),
            ("crmbridge, re-run (nothing changed)", rerun),
        ]
        if plain is not None:
            rows.append(("plain script (httpx, sequential)", plain))
        for label, run in rows:
            print(
                f"{label:34} {run.records:8} {run.seconds:8.2f} {run.rate:8.1f} "
                f"{run.rate / WRITE_LIMIT:8.2f} {run.writes_sent:7} {run.reads_sent:7}"
            )
        print(f"  first run: {first_run.report.totals()}")
        print(f"  re-run:    {rerun.report.totals()}\n")
        figures.append(
            Figure(f"{d.name}_write_utilisation", first_run.rate / WRITE_LIMIT, ">=", 0.9)
        )
        if plain is not None:
            figures.append(
                Figure(f"{d.name}_plain_script_utilisation", plain.rate / WRITE_LIMIT, ">=", 0.0)
            )
        figures += [
            Figure(f"{d.name}_rerun_writes", rerun.writes_sent, "<=", 0),
            Figure(f"{d.name}_rerun_time_ratio", rerun.seconds / first_run.seconds, "<=", 0.1),
        ]
    print_figures(figures)


if __name__ == "__main__":
    main()
