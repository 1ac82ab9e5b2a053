"""crmbridge sync's live status (crmbridge/migrate/sync_display.py): running totals per object
across cycles, the latest pending count, when the last change went through and when the next
cycle starts; one line per cycle where the output is not a terminal."""

from __future__ import annotations

import io
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner
from rich.console import Console

import crmbridge as cb
from crmbridge.migrate.report import ObjectReport, Report
from crmbridge.migrate.sync_display import SyncStatus


def _report(pending: int = 0, **counts: int) -> Report:
    people = ObjectReport("people → client_client", Counter(counts), pending=pending)
    return Report({people.key: people, "companies": ObjectReport("companies")})


def _text(status: SyncStatus) -> str:
    console = Console(file=io.StringIO(), width=120, record=True)
    console.print(status)
    return " ".join(console.export_text().split())  # the caption wraps at the table's width


def _row(status: SyncStatus, name: str) -> list[str]:
    console = Console(file=io.StringIO(), width=120, record=True)
    console.print(status)
    line = next(x for x in console.export_text().splitlines() if name in x)
    return [cell.strip() for cell in line.split("│")[1:-1]]


def test_totals_add_up_across_cycles_and_pending_is_the_latest() -> None:
    now = [100.0]
    status = SyncStatus(30.0, clock=lambda: now[0])
    status.add(_report(created=3, noop=40, failed=1, pending=1))
    now[0] = 110.0
    status.add(_report(updated=2, noop=43, archived=1))
    now[0] = 125.0
    text = _text(status)
    # created, updated, failed, archived, pending (noop is left out: what a sync mostly does)
    assert _row(status, "people") == ["people → client_client", "3", "2", "1", "1", "0"]
    assert _row(status, "companies") == ["companies", "0", "0", "0", "0", "0"]
    assert "noop" not in text
    assert "2 cycles · last change 15 s ago · next cycle in 15 s" in text
    now[0] = 141.0
    assert "cycle 3 running" in _text(status)


def test_idle_cycles_keep_the_last_change_and_mention_webhooks() -> None:
    now = [0.0]
    status = SyncStatus(60.0, webhooks=True, clock=lambda: now[0])
    status.add(_report(created=1))
    now[0] = 120.0
    status.add(_report(noop=5))
    now[0] = 130.0
    text = _text(status)
    assert "last change 2 min ago" in text
    assert "next cycle in 50 s or on a webhook delivery" in text
    assert status.line(_report(noop=5)) == "cycle 2: noop 5"
    assert status.line(_report()) == "cycle 2: no change"


def test_on_a_terminal_the_sync_shows_the_live_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from crmbridge.cli import cli, err

    screen = io.StringIO()
    # Console.file's setter would pin the stream it restores; _file None follows sys.stderr.
    monkeypatch.setattr(err, "_file", screen)
    monkeypatch.setattr(type(err), "is_terminal", property(lambda self: True))
    mapping = str(Path(cb.__file__).parent.parent / "docs" / "examples" / "attio-to-kizen.toml")
    result = CliRunner().invoke(
        cli,
        ["sync", "attio", "kizen", "--map", mapping, "--source-emulator", "--source-seed",
         "demo", "--target-emulator", "--state", str(tmp_path / "s.db"), "--cycles", "1",
         "--interval", "0", "--failures", str(tmp_path / "f-{run}.jsonl")],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    shown = screen.getvalue()
    assert "crmbridge sync" in shown
    assert "client_client" in shown
    assert "cycle 1:" not in shown + result.output  # the table, not the lines
    assert "stopped: the same command continues" in shown.rsplit("crmbridge sync", 1)[-1]
