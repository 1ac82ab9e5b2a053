"""examples/celery (issue 22): one migration per workspace as Celery tasks on two real workers,
state in PostgreSQL, rate limits in Redis; one worker is killed with SIGKILL mid-run and the
other takes its workspace over once the message comes back, and every workspace ends exactly
right. Real servers (tests/infra/servers.py) and emulators served over HTTP."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from infra.servers import RedisServer
from reliability.support import assert_exactly_migrated

import crmbridge as cb
from crmbridge.emulation import EmulatorServer
from crmbridge.plugins import get_provider

pytest.importorskip("celery")
from celery import Celery

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "celery"
MAPPING = ROOT / "docs" / "examples" / "attio-to-kizen.toml"
WORKSPACES = ("acme", "globex", "initech")
PEOPLE = 150


@pytest.fixture
def workspaces() -> Iterator[dict[str, tuple[str, str]]]:
    """Each workspace's source (Attio, seeded differently) and target (Kizen, a few ms slow),
    served over HTTP: name -> (attio URL, kizen URL)."""
    servers = []
    urls = {}
    try:
        for n, name in enumerate(WORKSPACES):
            source = get_provider("attio").create_emulator(
                seed="demo", demo_size=PEOPLE, random_seed=n + 1
            )
            target = get_provider("kizen").create_emulator(latency_ms=(3.0, 6.0))
            pair = [EmulatorServer(em, "127.0.0.1", 0).start() for em in (source, target)]
            servers += pair
            urls[name] = (pair[0].url, pair[1].url)
        yield urls
    finally:
        for server in servers:
            server.stop()


def _worker(name: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable, "-m", "celery", "-A", "tasks", "worker", "--pool", "solo",
            "-n", f"{name}@localhost", "--without-gossip", "--without-mingle", "-l", "warning",
        ],
        cwd=EXAMPLE, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip


@pytest.mark.slow
def test_two_workers_three_workspaces_one_worker_killed(
    workspaces: dict[str, tuple[str, str]],
    postgres_url: str,
    redis_server: RedisServer,
    tmp_path: Path,
) -> None:
    redis_server.flush()
    token = get_provider("attio").create_emulator().credentials()["token"]
    creds = get_provider("kizen").create_emulator().credentials()
    config = {
        name: {
            "source": "attio",
            "target": "kizen",
            "mapping": str(MAPPING),
            "source_options": {"base_url": attio, "token": token},
            "target_options": {"base_url": kizen, **creds},
        }
        for name, (attio, kizen) in workspaces.items()
    }
    (tmp_path / "workspaces.json").write_text(json.dumps(config))
    broker, results = redis_server.url(1), redis_server.url(3)
    env = {
        **os.environ,
        "CELERY_BROKER_URL": broker,
        "CELERY_RESULT_BACKEND": results,
        "CRMBRIDGE_STATE_URL": postgres_url,
        "CRMBRIDGE_RATE_LIMIT_STORE": redis_server.url(2),
        "CRMBRIDGE_WORKSPACES": str(tmp_path / "workspaces.json"),
        "CRMBRIDGE_LEASE_TTL": "4",
        "CRMBRIDGE_VISIBILITY_TIMEOUT": "6",
        "ATTIO_API_KEY": "",
        "KIZEN_API_KEY": "",
    }
    workers = {name: _worker(name, env) for name in ("w1", "w2")}
    client = Celery(broker=broker, backend=results)
    try:
        sent = {
            name: client.send_task("tasks.migrate_workspace", args=[name]) for name in WORKSPACES
        }
        # Kill the worker that holds a workspace's lease while that workspace is half written.
        victim = _half_written(workspaces, postgres_url, {w.pid for w in workers.values()})
        assert victim is not None, "no workspace was seen half written"
        workspace, pid = victim
        os.killpg(pid, signal.SIGKILL)
        killed = next(name for name, w in workers.items() if w.pid == pid)
        workers[killed].wait(10)
        reports = {name: result.get(timeout=240) for name, result in sent.items()}
    finally:
        for proc in workers.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(20)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
    for name, (attio, kizen) in workspaces.items():
        assert reports[name]  # a report, not an error
        with cb.connect("kizen", base_url=kizen, rate_limit=False, **creds) as target:
            assert_exactly_migrated(attio, token, target, PEOPLE)
    # The killed worker's run was ended by the other worker, which finished the workspace.
    survivor = next(name for name in workers if name != killed)
    with psycopg.connect(postgres_url) as db:
        runs = db.execute(
            f"SELECT status, command FROM ws_{workspace}.runs ORDER BY started"
        ).fetchall()
    assert runs[0] == ("killed", f"celery migrate_workspace {workspace} ({killed}@localhost)")
    assert runs[-1] == ("ok", f"celery migrate_workspace {workspace} ({survivor}@localhost)")


def _half_written(
    workspaces: dict[str, tuple[str, str]], postgres_url: str, pids: set[int]
) -> tuple[str, int] | None:
    """``(workspace, worker pid)`` once a worker holds a workspace's lease with part of its
    people written to the target."""
    creds = get_provider("kizen").create_emulator().credentials()
    targets = {
        name: cb.connect("kizen", base_url=kizen, rate_limit=False, **creds)
        for name, (_, kizen) in workspaces.items()
    }
    deadline = time.monotonic() + 120
    try:
        with psycopg.connect(postgres_url, autocommit=True) as db:
            while time.monotonic() < deadline:
                for name, target in targets.items():
                    try:
                        row = db.execute(f"SELECT pid FROM ws_{name}.lease").fetchone()
                    except psycopg.errors.UndefinedTable:
                        continue
                    if row is None or row[0] not in pids:
                        continue
                    page = target.request(
                        "POST", "/api/records/client_client/search",
                        params={"page_size": 1}, json={}, read=True,
                    )  # fmt: skip
                    if PEOPLE // 4 < int(page.json()["count"]) < PEOPLE * 3 // 4:
                        return name, int(row[0])
                time.sleep(0.02)
    finally:
        for target in targets.values():
            target.close()
    return None
