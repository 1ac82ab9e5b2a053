"""A migration killed with SIGKILL at random points, then resumed, ends exactly right.

Source and target are emulators served over HTTP by processes of their own, so they outlive the
migration process, which is started with ``crmbridge migrate`` and killed five times at random
points of its progress (polled on the target) before a last ``--resume`` runs to the end.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest
from reliability.support import assert_exactly_migrated

import crmbridge as cb
from crmbridge.plugins import get_provider
from crmbridge.testing.processes import served_emulator

PEOPLE = 600
MAPPING = Path(__file__).parents[2] / "docs" / "examples" / "attio-to-kizen.toml"


@pytest.fixture
def servers() -> Iterator[tuple[str, str]]:
    with (
        served_emulator("attio", "--seed", "demo", "--demo-size", str(PEOPLE)) as attio_url,
        served_emulator("kizen") as kizen_url,
    ):
        yield attio_url, kizen_url


#: The PostgreSQL test kills once: fewer people are enough.
SMALL = 300


@pytest.fixture
def small_servers() -> Iterator[tuple[str, str]]:
    with (
        served_emulator("attio", "--seed", "demo", "--demo-size", str(SMALL)) as attio_url,
        served_emulator("kizen") as kizen_url,
    ):
        yield attio_url, kizen_url


def _kizen(url: str) -> cb.Bridge:
    creds = get_provider("kizen").create_emulator().credentials()
    return cb.connect("kizen", base_url=url, rate_limit=False, **creds)


def test_killed_five_times_then_resumed(servers: tuple[str, str], tmp_path: Path) -> None:
    attio_url, kizen_url = servers
    token = get_provider("attio").create_emulator().credentials()["token"]
    creds = get_provider("kizen").create_emulator().credentials()
    command = [
        sys.executable,
        "-m",
        "crmbridge.cli",
        "migrate",
        "attio",
        "kizen",
        "--map",
        str(MAPPING),
        "--state",
        str(tmp_path / "state.db"),
        "--failures",
        str(tmp_path / "failures.jsonl"),
        "-s",
        f"base_url={attio_url}",
        "-s",
        f"token={token}",
        "-t",
        f"base_url={kizen_url}",
        *[x for k, v in creds.items() for x in ("-t", f"{k}={v}")],
        "--concurrency",
        "3",
    ]
    env = {**os.environ, "ATTIO_API_KEY": "", "KIZEN_API_KEY": ""}
    rng = random.Random(20261125)
    kizen = _kizen(kizen_url)

    def contacts_now() -> int:
        page = kizen.request(
            "POST", "/api/records/client_client/search", params={"page_size": 1}, json={}, read=True
        )
        return int(page.json()["count"])

    # Five kill points at random moments of the run, measured by progress, not by the clock.
    points = sorted(rng.sample(range(PEOPLE // 20, PEOPLE - PEOPLE // 20), 5))
    counts_at_kill = []
    for i, point in enumerate(points):
        proc = subprocess.Popen(
            [*command, *(["--resume"] if i else [])],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 120
        while contacts_now() < point and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        counts_at_kill.append(contacts_now())
    final = subprocess.run(
        [*command, "--resume"], env=env, capture_output=True, text=True, timeout=300
    )
    assert final.returncode == 0, final.stderr[-3000:]
    # The kills really interrupted the migration, at different points.
    assert sum(0 < c < PEOPLE for c in counts_at_kill) >= 4, counts_at_kill
    assert_exactly_migrated(attio_url, token, kizen, PEOPLE)
    assert (
        not (tmp_path / "failures.jsonl").exists() or not (tmp_path / "failures.jsonl").read_text()
    )


def test_killed_on_postgresql_then_resumed_by_another_worker_after_the_lease_expires(
    small_servers: tuple[str, str], postgres_url: str, tmp_path: Path
) -> None:
    """Issue 22: the state in PostgreSQL, a worker killed with SIGKILL mid-run as if on another
    machine (its lease names another host, so only its expiry frees it); the next worker is
    refused while the lease lasts, then takes it over and ends with the target exactly right.
    The URL's password shows nowhere: not in the output, not in the runs' command lines."""
    attio_url, kizen_url = small_servers
    token = get_provider("attio").create_emulator().credentials()["token"]
    creds = get_provider("kizen").create_emulator().credentials()
    state = f"{postgres_url}?schema=acme"
    password = urlsplit(postgres_url).password
    assert password
    command = [
        sys.executable, "-m", "crmbridge.cli", "migrate", "attio", "kizen",
        "--map", str(MAPPING), "--state", state,
        "--failures", str(tmp_path / "failures.jsonl"),
        "-s", f"base_url={attio_url}", "-s", f"token={token}",
        "-t", f"base_url={kizen_url}", *[x for k, v in creds.items() for x in ("-t", f"{k}={v}")],
        "--concurrency", "3",
    ]  # fmt: skip
    env = {**os.environ, "ATTIO_API_KEY": "", "KIZEN_API_KEY": ""}
    kizen = _kizen(kizen_url)

    def contacts_now() -> int:
        page = kizen.request(
            "POST", "/api/records/client_client/search", params={"page_size": 1}, json={}, read=True
        )
        return int(page.json()["count"])

    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while contacts_now() < SMALL * 2 // 3 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    written = contacts_now()
    assert 0 < written < SMALL
    with psycopg.connect(postgres_url) as db:  # the dead worker was on another machine
        # (and its lease has a minute left, however slow the next process is to start)
        moved = db.execute(
            "UPDATE acme.lease SET host = 'worker-1', expires = %s WHERE pid = %s",
            (time.time() + 60, proc.pid),
        )
        assert moved.rowcount == 1
    refused = subprocess.run(
        [*command, "--resume"], env=env, capture_output=True, text=True, timeout=60
    )
    assert refused.returncode != 0
    assert "host worker-1" in refused.stderr
    assert password not in refused.stderr + refused.stdout
    with psycopg.connect(postgres_url) as db:  # the minute passes
        db.execute("UPDATE acme.lease SET expires = %s", (time.time() + 0.5,))
    time.sleep(0.5)
    final = subprocess.run(
        [*command, "--resume"], env=env, capture_output=True, text=True, timeout=300
    )
    assert final.returncode == 0, final.stderr[-3000:]
    assert password not in final.stderr + final.stdout
    assert_exactly_migrated(attio_url, token, kizen, SMALL)
    with psycopg.connect(postgres_url) as db:
        runs = db.execute("SELECT status, command FROM acme.runs ORDER BY started").fetchall()
        assert db.execute("SELECT count(*) FROM acme.lease").fetchone() == (0,)
    assert [status for status, _ in runs] == ["killed", "ok"]
    assert all(password not in command for _, command in runs)
    assert all("postgresql://crmbridge@127.0.0.1" in command for _, command in runs)
