"""``crmbridge demo``: an Attio → Kizen migration on the built-in emulators, start to finish.

No network and no credentials: both emulators run in-process. Attio is seeded with the demo data
set (thousands of people and companies with references, selects, currencies, locations); the bundled
mapping (``docs/examples/attio-to-kizen.toml``) copies them into Kizen companies and contacts. The
demo then runs the same migration again to show that an unchanged source costs no write, and
prints three records side by side as each CRM holds them.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import tempfile
import time
from importlib import resources
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from .bridge import AsyncBridge, connect_async
from .migrate import Report, load_mapping, make_progress, migrate_async
from .migrate.mapping import MappingFile
from .model import Location, Money, Option, PersonName, Record, Ref, User
from .plugins import get_provider

__all__ = ["bundled_mapping", "run_demo"]

MAPPING_NAME = "attio-to-kizen.toml"


def bundled_mapping() -> MappingFile:
    """The demo mapping: from the installed package, or from ``docs/examples`` in a checkout."""
    packaged = resources.files("crmbridge").joinpath("migrate", "examples", MAPPING_NAME)
    if packaged.is_file():
        with resources.as_file(packaged) as path:
            return load_mapping(path)
    return load_mapping(Path(__file__).resolve().parents[1] / "docs" / "examples" / MAPPING_NAME)


def _show(value: Any) -> str:
    if value is None or value == []:
        return ""
    if isinstance(value, list):
        return ", ".join(_show(v) for v in value)
    if isinstance(value, PersonName):
        return value.display
    if isinstance(value, Option):
        return value.label
    if isinstance(value, Money):
        return f"{value.amount:,} {value.currency or ''}".strip()
    if isinstance(value, Ref):
        return f"→ {value.object}/{value.id[:8]}"
    if isinstance(value, Location):
        return ", ".join(p for p in (value.locality, value.country_code) if p)
    if isinstance(value, User):
        return value.name or value.email or value.kind or value.id or ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return str(value)


def _side_by_side(source: Record, target: Record) -> Table:
    table = Table(title=f"{_show(source.get('name'))}", title_justify="left")
    table.add_column("Attio people", style="cyan", no_wrap=True)
    table.add_column("", overflow="fold")
    table.add_column("Kizen client_client", style="green", no_wrap=True)
    table.add_column("", overflow="fold")
    left = [(k, _show(v)) for k, v in source.fields.items() if _show(v) and k != "record_id"]
    right = [(k, _show(v)) for k, v in target.fields.items() if _show(v)]
    for i in range(max(len(left), len(right))):
        lk, lv = left[i] if i < len(left) else ("", "")
        rk, rv = right[i] if i < len(right) else ("", "")
        table.add_row(lk, lv, rk, rv)
    return table


async def _demo(console: Console, size: int | None) -> tuple[Report, Report]:
    attio_emulator = get_provider("attio").create_emulator(seed="demo", demo_size=size)
    kizen_emulator = get_provider("kizen").create_emulator()
    mapping = bundled_mapping()
    async with (
        connect_async("attio", emulator=attio_emulator) as attio,
        connect_async("kizen", emulator=kizen_emulator) as kizen,
        _tempdir() as tmp,
    ):
        console.rule("[bold]crmbridge demo: Attio → Kizen, on the built-in emulators")
        console.print(
            "Both CRMs are emulated in-process: no network, no credentials. Attio is seeded with "
            "the demo data set; the mapping is docs/examples/attio-to-kizen.toml.\n"
        )
        state = Path(tmp) / "state.db"
        failures = Path(tmp) / "failures.jsonl"
        first = await _run("First run", console, attio, kizen, mapping, state, failures)
        second = await _run(
            "Second run, nothing changed", console, attio, kizen, mapping, state, failures
        )
        await _compare(console, attio, kizen)
    return first, second


class _tempdir:
    async def __aenter__(self) -> str:
        self._dir = tempfile.TemporaryDirectory(prefix="crmbridge-demo-")
        return self._dir.name

    async def __aexit__(self, *exc: object) -> None:
        self._dir.cleanup()


async def _run(
    title: str,
    console: Console,
    source: AsyncBridge,
    target: AsyncBridge,
    mapping: MappingFile,
    state: Path,
    failures: Path,
) -> Report:
    console.print(f"[bold]{title}[/]")
    started = time.monotonic()
    with make_progress(console) as progress:
        report = await migrate_async(
            source, target, mapping, state=state, failures=failures, progress=progress
        )
    seconds = time.monotonic() - started
    console.print(report.table())
    total = sum(o.total for o in report.objects.values())
    console.print(f"{total:,} records in {seconds:.1f} s, {report.writes:,} writes.\n")
    return report


async def _compare(console: Console, attio: AsyncBridge, kizen: AsyncBridge) -> None:
    console.print("[bold]Three records as each CRM holds them[/]")
    shown = 0
    async for person in attio.query("people", limit=3):
        email = person.get("email_addresses")[0]
        async for contact in kizen.query("client_client", {"email": email}, limit=1):
            console.print(_side_by_side(person, contact))
            shown += 1
    if shown == 0:
        console.print("(no records to show)")


def run_demo(console: Console | None = None, size: int | None = None) -> tuple[Report, Report]:
    """Run the demo; returns the two migration reports."""
    return asyncio.run(_demo(console or Console(), size))
