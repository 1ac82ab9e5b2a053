"""Issue 15's soak: a 2,000-record migration in each direction with about half of all requests
faulted on both sides (429s, 5xx before and after the write, dropped connections, cut bodies,
truncated 200s: ``Faults.hostile(0.5)``), the ``crmbridge migrate`` process killed with SIGKILL at
5 random moments of its progress and resumed after each. It must end with the target equal to a
fault-free migration's, nothing lost, nothing duplicated, an exit code of 0 only once that is so,
and a state whose record of what was written is the truth (a full re-run is all ``noop``).

The emulators are served over HTTP from this process (their data outlives the killed runs); the
migration runs in processes of its own, as a user runs it.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from reliability.support import (
    TARGET_OBJECTS,
    emulator,
    mapping_for,
    seeded_source,
    snapshot,
    target_key,
)

import crmbridge as cb
from crmbridge.emulation import Faults
from crmbridge.migrate import migrate

SIZE = 2000
KILLS = 5
PEOPLE = {"attio->kizen": "client_client", "kizen->attio": "people"}
MAPPINGS = {
    "attio->kizen": Path(__file__).parents[2] / "docs" / "examples" / "attio-to-kizen.toml",
    "kizen->attio": Path(__file__).parent / "kizen-to-attio.toml",
}


@pytest.mark.slow
@pytest.mark.parametrize("direction", list(PEOPLE))
def test_killed_five_times_under_half_faults_ends_exactly_right(
    direction: str, tmp_path: Path
) -> None:
    target_name = direction.split("->")[1]
    source = seeded_source(direction, SIZE)
    target = emulator(target_name, random_seed=7)
    hostile = Faults.hostile(0.5)
    source.faults = target.faults = hostile
    state = tmp_path / "state.db"
    report_json = tmp_path / "report.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ATTIO_", "KIZEN_"))}
    env["PYTHONPATH"] = os.pathsep.join(sys.path)
    with source.serve() as source_server, target.serve() as target_server:
        command = [
            sys.executable, str(Path(__file__).parent / "soak_run.py"), direction,
            source_server.url, target_server.url, str(state), str(report_json),
            str(MAPPINGS[direction]),
        ]  # fmt: skip
        rng = random.Random(f"soak {direction}")
        points = sorted(rng.sample(range(SIZE // 20, SIZE - SIZE // 20), KILLS))
        at_kill = []
        for i, point in enumerate(points):
            proc = subprocess.Popen(
                [*command, *(["--resume"] if i else [])],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            deadline = time.monotonic() + 120
            while (
                len(target.records(PEOPLE[direction])) < point
                and proc.poll() is None
                and time.monotonic() < deadline
            ):
                time.sleep(0.005)
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
            at_kill.append(len(target.records(PEOPLE[direction])))
        # Resume until the run says everything is written: exit 1 (something pending) is a truthful
        # "not yet" under these faults, and the next --resume retries what is pending.
        codes = []
        for _ in range(6):
            report_json.unlink(missing_ok=True)
            final = subprocess.run(
                [*command, "--resume"], env=env, capture_output=True, text=True, timeout=600
            )
            codes.append(final.returncode)
            assert final.returncode in (0, 1), final.stderr[-3000:]
            if not report_json.exists():  # the run failed as a whole (a schema read, say)
                assert final.returncode == 1
                assert "error: " in final.stderr
                continue
            report = json.loads(report_json.read_text())
            assert report["ok"] is (final.returncode == 0)
            if final.returncode == 1:
                assert report["failed"] or report["pending"], report
            else:
                break
        assert codes[-1] == 0, codes
        # The state's account is the truth: a full re-run, faults off, writes nothing.
        source.faults = target.faults = Faults()
        rerun = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
        assert rerun.returncode == 0, rerun.stderr[-3000:]
        recount = json.loads(report_json.read_text())["objects"]
    # The kills really interrupted the migration, at different points.
    assert sum(0 < c < SIZE for c in at_kill) >= 4, at_kill
    # Exactly the records of a fault-free migration of the same source: none lost, none twice.
    reference_source = seeded_source(direction, SIZE)
    reference = emulator(target_name, random_seed=7)
    clean = migrate(
        cb.connect_async(reference_source.name, emulator=reference_source),
        cb.connect_async(reference.name, emulator=reference),
        mapping_for(direction),
        state=tmp_path / "reference.db",
        failures=None,
    )
    assert clean.ok
    objects = TARGET_OBJECTS[direction]
    expected, actual = (
        snapshot(reference, objects, target_key),
        snapshot(target, objects, target_key),
    )
    for obj in objects:
        keys = [k for k, _ in actual[obj]]
        assert len(keys) == len(set(keys)), f"duplicates in {obj}"
        assert actual[obj] == expected[obj], f"{obj} differs from the fault-free migration"
    written = sum(o["created"] + o["updated"] + o["unarchived"] for o in recount.values())
    assert written == 0, recount
    assert sum(o["noop"] for o in recount.values()) == sum(len(actual[o]) for o in objects)
