"""Issue 18: one run at a time on a state. A second run is refused naming the holder; a holder
that died is taken over (at once on its own host, after expiry from elsewhere); --force-unlock.
The lease tests run against every state store (infra.states), PostgreSQL included (issue 22)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from infra.states import plant_lease
from reliability.support import emulator, mapping_for, seeded_source

import crmbridge as cb
from crmbridge.migrate import StateLocked, migrate, open_state
from crmbridge.plugins import get_provider
from crmbridge.testing.processes import served_emulator

MAPPING = Path(__file__).parents[2] / "docs" / "examples" / "attio-to-kizen.toml"


def test_a_second_holder_is_refused_with_who_holds_it(state_spec: str) -> None:
    first, second = open_state(state_spec), open_state(state_spec)
    first.acquire(60)
    with pytest.raises(StateLocked) as info:
        second.acquire(60)
    message = str(info.value)
    assert f"pid {os.getpid()}" in message
    assert "host " in message
    assert "since " in message
    assert "--force-unlock" in message
    second.acquire(60, force=True)  # --force-unlock
    with pytest.raises(StateLocked, match="lost its lease"):
        first.renew(60)  # the first run learns it no longer holds it
    second.release_lease()
    first.acquire(60)  # released: free again


def test_a_lease_from_another_host_is_taken_over_after_it_expires(state_spec: str) -> None:
    open_state(state_spec).close()
    # A run on another machine, which then went silent.
    plant_lease(state_spec, "elsewhere", 4242, time.time(), time.time() + 1.0, "theirs")
    store = open_state(state_spec)
    with pytest.raises(StateLocked, match="host elsewhere, pid 4242"):
        store.acquire(60)
    time.sleep(1.2)
    holder = store.acquire(60)
    assert holder.pid == os.getpid()


def test_two_runs_at_once_on_one_state_one_is_refused(state_spec: str) -> None:
    source = seeded_source("attio->kizen", 300)
    target = emulator("kizen", latency_ms=(2.0, 4.0))
    state = state_spec
    results: dict[str, object] = {}

    def first() -> None:
        results["first"] = migrate(
            cb.connect_async("attio", emulator=source),
            cb.connect_async("kizen", emulator=target),
            mapping_for("attio->kizen"),
            state=state,
            failures=None,
            concurrency=2,
        )

    thread = threading.Thread(target=first)
    thread.start()
    try:
        deadline = time.monotonic() + 60
        while not target.records("client_client") and time.monotonic() < deadline:
            time.sleep(0.01)
        assert target.records("client_client"), "the first run never started writing"
        with pytest.raises(StateLocked, match=f"pid {os.getpid()}"):
            migrate(
                cb.connect_async("attio", emulator=source),
                cb.connect_async("kizen", emulator=target),
                mapping_for("attio->kizen"),
                state=state,
                failures=None,
            )
        assert thread.is_alive(), "the first run ended before the second started: no overlap"
    finally:
        thread.join(120)
    report = results["first"]
    assert isinstance(report, cb.migrate.Report)
    assert report.ok
    assert len(target.records("client_client")) == 300


@pytest.fixture
def servers() -> Iterator[tuple[str, str]]:
    with (
        served_emulator("attio", "--seed", "demo", "--demo-size", "400") as attio_url,
        served_emulator("kizen", "--latency-ms", "3") as kizen_url,
    ):
        yield attio_url, kizen_url


def test_a_run_killed_with_sigkill_leaves_a_lease_the_next_run_takes_over(
    servers: tuple[str, str], tmp_path: Path
) -> None:
    attio_url, kizen_url = servers
    token = get_provider("attio").create_emulator().credentials()["token"]
    creds = get_provider("kizen").create_emulator().credentials()
    state = tmp_path / "state.db"
    command = [
        sys.executable, "-m", "crmbridge.cli", "migrate", "attio", "kizen",
        "--map", str(MAPPING), "--state", str(state),
        "--failures", str(tmp_path / "f-{run}.jsonl"),
        "-s", f"base_url={attio_url}", "-s", f"token={token}",
        "-t", f"base_url={kizen_url}", *[x for k, v in creds.items() for x in ("-t", f"{k}={v}")],
        "--concurrency", "2",
    ]  # fmt: skip
    env = {**os.environ, "ATTIO_API_KEY": "", "KIZEN_API_KEY": ""}
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60

    def lease() -> tuple[int, float] | None:
        try:
            with sqlite3.connect(state, timeout=5) as db:
                return db.execute("SELECT pid, expires FROM lease").fetchone()  # type: ignore[no-any-return]
        except sqlite3.Error:
            return None

    def runs() -> list[tuple[str, str]]:
        with sqlite3.connect(state, timeout=5) as db:
            return db.execute("SELECT id, status FROM runs ORDER BY started").fetchall()

    while (held := lease()) is None and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.5)  # let it write a little
    assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    assert held is not None
    assert held[0] == proc.pid
    assert lease() == held  # left behind by the killed run, not yet expired
    assert held[1] > time.time()
    assert runs()[0][1] == "running"  # the killed run never said it ended
    # The next run takes the dead run's lease over (same host, its process is gone) and ends it.
    final = subprocess.run(
        [*command, "--resume"], env=env, capture_output=True, text=True, timeout=300
    )
    assert final.returncode == 0, final.stderr[-3000:]
    assert lease() is None  # released at the end
    assert [status for _, status in runs()] == ["killed", "ok"]
