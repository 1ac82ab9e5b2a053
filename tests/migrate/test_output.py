"""Issue 18, operable output: a failures file per run, the report as JSON, engine events on the
``crmbridge.migrate`` logger, and after an interruption the exact command to resume."""

from __future__ import annotations

import json
import logging
import os
import shlex
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from toy_provider import ToyCRM, ToyPlugin

import crmbridge as cb
from crmbridge.cli import cli
from crmbridge.migrate import Report, migrate, parse_mapping
from crmbridge.plugins import get_provider
from crmbridge.testing.processes import served_emulator

MAPPING = {
    "objects": [
        {"source": "contacts", "target": "contacts", "match": "email",
         "fields": {"email": "email", "name": "name"}}
    ]
}  # fmt: skip
EXAMPLE = Path(__file__).parents[2] / "docs" / "examples" / "attio-to-kizen.toml"


class Refusing(ToyCRM):
    refused: set[str] = set()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if (
            request.url.path.endswith("/upsert")
            and json.loads(request.content).get("name") in self.refused
        ):
            return httpx.Response(400, json={"error": "refused"})
        return super().__call__(request)


def _toys(toy_plugin: ToyPlugin) -> tuple[ToyCRM, Refusing]:
    src = ToyCRM()
    for i in range(12):
        src.records[str(i)] = {"id": str(i), "email": f"p{i}@x.co", "name": f"P {i}"}
    return src, Refusing()


def _run(src: ToyCRM, dst: ToyCRM, tmp_path: Path, **kw: object) -> Report:
    return migrate(
        cb.connect_async("toy", token=src.token, transport=httpx.MockTransport(src)),
        cb.connect_async("toy", token=dst.token, transport=httpx.MockTransport(dst)),
        parse_mapping(MAPPING),
        state=tmp_path / "s.db",
        **kw,  # type: ignore[arg-type]
    )


def test_each_run_has_its_own_failures_file(toy_plugin: ToyPlugin, tmp_path: Path) -> None:
    src, dst = _toys(toy_plugin)
    dst.refused = {"P 3"}
    template = str(tmp_path / "failures-{run}.jsonl")
    first = _run(src, dst, tmp_path, failures=template)
    assert first.failures_path == template.replace("{run}", str(first.run_id))
    lines = Path(first.failures_path).read_text().splitlines()
    assert [json.loads(x)["source_id"] for x in lines] == ["3"]
    assert json.loads(lines[0])["run"] == first.run_id
    dst.refused = set()
    second = _run(src, dst, tmp_path, failures=template)
    assert second.ok
    assert second.failures_path is None
    assert sorted(p.name for p in tmp_path.glob("failures-*")) == [Path(first.failures_path).name]


def test_a_fixed_failures_path_holds_only_the_last_run(
    toy_plugin: ToyPlugin, tmp_path: Path
) -> None:
    src, dst = _toys(toy_plugin)
    dst.refused = {"P 3"}
    path = tmp_path / "failures.jsonl"
    _run(src, dst, tmp_path, failures=path)
    assert path.read_text()
    dst.refused = set()
    assert _run(src, dst, tmp_path, failures=path).ok
    assert not path.exists()  # no stale failures after a clean run


def test_engine_events_go_to_the_migrate_logger(
    toy_plugin: ToyPlugin, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    src, dst = _toys(toy_plugin)
    dst.refused = {"P 3"}
    with caplog.at_level(logging.INFO, logger="crmbridge.migrate"):
        report = _run(src, dst, tmp_path, failures=None)
    events = [
        (r.levelname, r.getMessage()) for r in caplog.records if r.name == "crmbridge.migrate"
    ]
    assert any(lvl == "INFO" and f"run {report.run_id}" in msg for lvl, msg in events)
    assert ("INFO", "contacts->contacts: 11 created, 1 failed, 1 pending") in events
    assert any(lvl == "WARNING" and "gave up" in msg and "refused" in msg for lvl, msg in events)


def test_report_json_and_exit_code(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    args = [
        "migrate", "attio", "kizen", "--map", str(EXAMPLE), "--source-emulator",
        "--source-seed", "demo", "--target-emulator", "--limit", "5",
        "--state", str(tmp_path / "s.db"), "--report-json", str(out),
        "--failures", str(tmp_path / "f-{run}.jsonl"),
    ]  # fmt: skip
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    data = json.loads(out.read_text())
    assert data["ok"] is True
    assert data["failed"] == 0
    assert data["pending"] == 0
    assert data["run"]
    assert data["objects"]["people->client_client"]["created"] == 5
    bad = CliRunner().invoke(cli, [*args[:-4], "--report-json", str(tmp_path / "no" / "r.json")])
    assert bad.exit_code == 2
    assert "no folder" in bad.stderr


def test_runs_lists_the_runs(toy_plugin: ToyPlugin, tmp_path: Path) -> None:
    src, dst = _toys(toy_plugin)
    first = _run(src, dst, tmp_path, failures=None)
    result = CliRunner().invoke(cli, ["migrate", "--runs", "--state", str(tmp_path / "s.db")])
    assert result.exit_code == 0, result.stderr
    assert str(first.run_id) in result.stdout
    assert "ok" in result.stdout


def _has_checkpoint(state: Path) -> bool:
    try:
        with sqlite3.connect(state, timeout=5) as db:
            return bool(db.execute("SELECT count(*) FROM checkpoint").fetchone()[0])
    except sqlite3.Error:
        return False


def test_ctrl_c_prints_the_exact_command_to_resume(tmp_path: Path) -> None:
    creds = get_provider("kizen").create_emulator().credentials()
    token = get_provider("attio").create_emulator().credentials()["token"]
    with (
        served_emulator("attio", "--seed", "demo", "--demo-size", "300") as attio_url,
        served_emulator("kizen", "--latency-ms", "5") as kizen_url,
    ):
        env = {
            **os.environ,
            "ATTIO_API_KEY": token,
            "ATTIO_BASE_URL": attio_url,
            "KIZEN_API_KEY": creds["api_key"],
            "KIZEN_USER_ID": creds["user_id"],
            "KIZEN_BUSINESS_ID": creds["business_id"],
            "KIZEN_BASE_URL": kizen_url,
        }
        command = [
            "migrate", "attio", "kizen", "--map", str(EXAMPLE),
            "--state", str(tmp_path / "s.db"), "--failures", str(tmp_path / "f-{run}.jsonl"),
            "--concurrency", "2",
        ]  # fmt: skip
        proc = subprocess.Popen(
            [sys.executable, "-m", "crmbridge.cli", *command],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        # Interrupt it mid-run: once it holds the state's lease and has written a page.
        deadline = time.monotonic() + 60
        while (
            proc.poll() is None
            and time.monotonic() < deadline
            and not _has_checkpoint(tmp_path / "s.db")
        ):
            time.sleep(0.02)
        assert proc.poll() is None, "the run ended before it could be interrupted"
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=30)
        assert proc.returncode == 130, stderr
        hint = stderr.split("to continue where it stopped:")[1].strip().splitlines()[0]
        assert hint == "crmbridge " + shlex.join([*command, "--resume"])
        resumed = subprocess.run(
            [sys.executable, "-m", "crmbridge.cli", *shlex.split(hint)[1:]],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert resumed.returncode == 0, resumed.stderr[-2000:]


def test_runs_and_undo_on_the_command_line(tmp_path: Path) -> None:
    """`crmbridge migrate --runs` lists a run, `--undo RUN` takes it back in the target."""
    creds = get_provider("kizen").create_emulator().credentials()
    token = get_provider("attio").create_emulator().credentials()["token"]
    with (
        served_emulator("attio", "--seed", "demo", "--demo-size", "20") as attio_url,
        served_emulator("kizen") as kizen_url,
    ):
        env = {
            **os.environ,
            "ATTIO_API_KEY": token,
            "ATTIO_BASE_URL": attio_url,
            "KIZEN_API_KEY": creds["api_key"],
            "KIZEN_USER_ID": creds["user_id"],
            "KIZEN_BUSINESS_ID": creds["business_id"],
            "KIZEN_BASE_URL": kizen_url,
        }
        state = str(tmp_path / "s.db")

        def crmbridge(*args: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                [sys.executable, "-m", "crmbridge.cli", *args],
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
            )

        report = tmp_path / "r.json"
        first = crmbridge(
            "migrate", "attio", "kizen", "--map", str(EXAMPLE), "--state", state,
            "--report-json", str(report),
        )  # fmt: skip
        assert first.returncode == 0, first.stderr
        run = json.loads(report.read_text())["run"]
        listed = crmbridge("migrate", "--runs", "--state", state)
        assert listed.returncode == 0, listed.stderr
        assert run in listed.stdout
        kizen = cb.connect("kizen", base_url=kizen_url, rate_limit=False, **creds)
        assert len(list(kizen.query("client_client"))) == 20
        undone = crmbridge("migrate", "attio", "kizen", "--state", state, "--undo", run)
        assert undone.returncode == 0, undone.stderr
        assert "archived" in undone.stderr  # Kizen has no delete: what the run created is archived
        assert list(kizen.query("client_client")) == []
        assert list(kizen.query("companies_company")) == []
        unknown = crmbridge("migrate", "attio", "kizen", "--state", state, "--undo", "nope")
        assert unknown.returncode == 2
        assert "no run 'nope'" in unknown.stderr
