"""Back an Attio workspace up to a SQLite file and restore it into another one (the Attio
emulator), through the migration engine, in Python and on the command line."""

from __future__ import annotations

import asyncio
import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from crmbridge_attio.emulator import AttioEmulator
from crmbridge_sqlite import copy_schema_async

import crmbridge
from crmbridge import AsyncBridge, F, Option, PersonName
from crmbridge.cli import cli
from crmbridge.migrate import init_mapping, migrate_async
from crmbridge.migrate.init import pair_objects

OBJECTS = ("companies", "people", "deals")
#: What a restore into Attio writes: Attio upserts only on unique attributes and its deals have
#: none, so a user restores deals by hand (docs/providers/sqlite.md); their references are skipped.
RESTORED = ("companies", "people")


def restorable(mapping: str) -> str:
    """Edit a restore mapping as the docs tell a user to: keep RESTORED, skip deal links."""
    head, *blocks = mapping.split("\n[[objects]]\n")
    kept = [b for b in blocks if any(f'source = "{o}"' in b for o in RESTORED)]
    text = "\n[[objects]]\n".join([head, *kept])
    text = text.replace(
        'associated_deals = "associated_deals"', "associated_deals = { skip = true }"
    )
    # Tasks of the backup assigned to users the restored workspace lacks go to its first member
    # (docs/providers/sqlite.md, "Back up and restore").
    return text + '\n[users]\nfallback = "ada@crmbridge.test"\n'


def _seed(emulator: AttioEmulator) -> None:
    with crmbridge.connect("attio", emulator=emulator) as crm:
        acme = crm.create(
            "companies", {"name": "Acme", "domains": ["acme.com"], "categories": ["B2B", "SAAS"]}
        )
        globex = crm.create("companies", {"name": "Globex", "domains": ["globex.com"]})
        crm.create(
            "people",
            {
                "name": "Ada Lovelace",
                "email_addresses": ["ada@acme.com", "ada@home.example"],
                "phone_numbers": ["+14155550100"],
                "job_title": "Engineer",
                "company": acme.id,
            },
        )
        crm.create(
            "people",
            {"name": "Grace Hopper", "email_addresses": ["grace@globex.com"], "company": globex.id},
        )
        crm.create("people", {"name": "Alan Turing", "email_addresses": ["alan@example.com"]})


async def _mapping(src: AsyncBridge, dst: AsyncBridge, path: Path, restore: bool) -> Path:
    """What `crmbridge migrate --init` writes (then edited for a restore)."""
    sources = [await src.schema(o) for o in OBJECTS]
    targets = [await dst.schema(o) for o in OBJECTS]
    text = init_mapping(
        pair_objects(sources, targets),
        source=src.name,
        target=dst.name,
        match_key=dst.provider.match_key,
    )
    path.write_text(restorable(text) if restore else text, encoding="utf-8")
    return path


async def _backup(source: AttioEmulator, backup: Path, tmp: Path) -> Any:
    async with (
        crmbridge.connect_async("attio", emulator=source) as src,
        crmbridge.connect_async("sqlite", path=str(backup)) as dst,
    ):
        await copy_schema_async(src, dst, OBJECTS)
        mapping = await _mapping(src, dst, tmp / "backup.toml", restore=False)
        return await migrate_async(src, dst, mapping, state=tmp / "backup-state.db", failures=None)


async def _restore(backup: Path, target: AttioEmulator, tmp: Path) -> Any:
    async with (
        crmbridge.connect_async("sqlite", path=str(backup)) as src,
        crmbridge.connect_async("attio", emulator=target) as dst,
    ):
        mapping = await _mapping(src, dst, tmp / "restore.toml", restore=True)
        return await migrate_async(src, dst, mapping, state=tmp / "restore-state.db", failures=None)


def _counts(report: Any) -> dict[str, dict[str, int]]:
    return {key: dict(r.counts) for key, r in report.objects.items()}


def test_backup_then_restore_round_trip(tmp_path: Path) -> None:
    """Every record, value and reference survives Attio → SQLite → a fresh Attio."""
    source = AttioEmulator()
    _seed(source)
    backup = tmp_path / "backup.db"
    report = asyncio.run(_backup(source, backup, tmp_path))
    assert _counts(report) == {
        "companies->companies": {"created": 2},
        "people->people": {"created": 3},
        "deals->deals": {},
    }
    with crmbridge.connect("sqlite", path=str(backup)) as local:
        people = {p["name"].display: p for p in local.query("people")}
        assert set(people) == {"Ada Lovelace", "Grace Hopper", "Alan Turing"}
        ada = people["Ada Lovelace"]
        assert ada["email_addresses"] == ["ada@acme.com", "ada@home.example"]
        assert ada["record_id"], "the source id is kept as the backup's match key"
        acme = local.get("companies", ada["company"].id)
        assert [o.label for o in acme["categories"]] == ["B2B", "SAAS"]

    target = AttioEmulator()
    report = asyncio.run(_restore(backup, target, tmp_path))
    assert _counts(report) == {
        "companies->companies": {"created": 2},
        "people->people": {"created": 3},
    }
    with crmbridge.connect("attio", emulator=target) as restored:
        ada = next(iter(restored.query("people", F("email_addresses") == "ada@acme.com")))
        assert ada["name"] == PersonName("Ada", "Lovelace", "Ada Lovelace")
        assert ada["job_title"] == "Engineer"
        assert ada["phone_numbers"] == ["+14155550100"]
        company = restored.get("companies", ada["company"].id)
        assert company["name"] == "Acme"
        assert [o.label for o in company["categories"]] == ["B2B", "SAAS"]
        assert isinstance(company["categories"][0], Option)
        assert len(list(restored.query("people"))) == 3


def test_backup_again_is_all_noop(tmp_path: Path) -> None:
    """Re-running a backup of an unchanged CRM writes nothing."""
    source = AttioEmulator()
    _seed(source)
    backup = tmp_path / "backup.db"
    asyncio.run(_backup(source, backup, tmp_path))
    again = asyncio.run(_backup(source, backup, tmp_path))
    assert _counts(again) == {
        "companies->companies": {"noop": 2},
        "people->people": {"noop": 3},
        "deals->deals": {},
    }


def test_backup_survives_reopening(tmp_path: Path) -> None:
    """The file is the backup: a new connection sees the schema and the records."""
    source = AttioEmulator()
    _seed(source)
    backup = tmp_path / "backup.db"
    asyncio.run(_backup(source, backup, tmp_path))
    with sqlite3.connect(backup) as db:
        assert db.execute("SELECT COUNT(*) FROM records").fetchone()[0] == 5
    with crmbridge.connect("sqlite", path=str(backup)) as local:
        assert sorted(o.slug for o in local.objects()) == sorted(OBJECTS)
        assert len(list(local.query("people"))) == 3


@pytest.fixture(scope="module", autouse=True)
def _plugin_commands() -> None:
    """What `crmbridge`'s entry point does first: let plugins add their commands."""
    crmbridge.plugins.call_register_commands(cli)


def _run(runner: CliRunner, *args: str) -> str:
    result = runner.invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_command_line_backup_and_restore(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`crmbridge sqlite init`, `crmbridge migrate attio sqlite:backup.db --init/--map` and the
    reverse restore, as a user runs them (the emulator seeded with demo data)."""
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    limit = "4"
    out = _run(runner, "sqlite", "init", "backup.db", "--from", "attio", "--emulator")
    assert "backup.db: people, companies, deals, users, workspaces" in out
    seeded = ("--source-emulator", "--source-seed", "demo")
    _run(runner, "migrate", "attio", "sqlite:backup.db", *seeded, "--init", "--output", "b.toml")
    assert 'match = "record_id"' in Path("b.toml").read_text()
    _run(runner, "migrate", "attio", "sqlite:backup.db", *seeded, "--map", "b.toml",
         "--limit", limit, "--state", "b.db")  # fmt: skip
    with crmbridge.connect("sqlite", path="backup.db") as local:
        assert len(list(local.query("people"))) == int(limit)
        assert len(list(local.query("companies"))) == int(limit)
    _run(runner, "migrate", "sqlite:backup.db", "attio", "--target-emulator", "--init",
         "--output", "r.toml")  # fmt: skip
    text = Path("r.toml").read_text()
    assert 'match = "email_addresses"' in text
    assert 'match = "domains"' in text
    Path("r.toml").write_text(restorable(text))
    out = _run(runner, "migrate", "sqlite:backup.db", "attio", "--target-emulator",
               "--map", "r.toml", "--state", "r.db")  # fmt: skip
    # created 16 (4 people, 4 companies, and the demo's 6 notes and 2 tasks on them: they are
    # in the backup too), nothing updated, unarchived, noop or failed
    assert re.search(r"notes\s*│\s*6\s*│\s*0\s*│\s*0\s*│\s*0\s*│\s*0\s*│", out), out
    assert re.search(r"tasks\s*│\s*2\s*│\s*0\s*│\s*0\s*│\s*0\s*│\s*0\s*│", out), out
    assert re.search(r"total\s*│\s*16\s*│\s*0\s*│\s*0\s*│\s*0\s*│\s*0\s*│", out), out
