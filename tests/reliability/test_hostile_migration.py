"""Issue 15's attack, in process: about half of all requests to *both* CRMs faulted with the whole
mix (429, 5xx before and after the write, dropped connections before and after, bodies cut
mid-stream, truncated 200s). Runs are repeated (as a user reruns after exit code 1) until one
reports success; then the target must equal a fault-free migration's, without duplicates, and
the runs' reports must add up to what the target holds (when every run got to its report). (SIGKILL and ``--resume`` over HTTP are in
``test_crash.py``.)"""

from __future__ import annotations

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

RUNS = 12


@pytest.mark.parametrize("direction", ["attio->kizen", "kizen->attio"])
def test_half_of_all_requests_faulted_ends_exactly_right(direction: str, tmp_path: Path) -> None:
    size = 200
    target_name = direction.split("->")[1]
    clean_target = emulator(target_name)
    migrate(
        cb.connect_async(direction.split("->")[0], emulator=seeded_source(direction, size)),
        cb.connect_async(target_name, emulator=clean_target),
        mapping_for(direction),
        state=tmp_path / "clean.db",
        failures=tmp_path / "clean-failures.jsonl",
    )
    source = seeded_source(direction, size)
    target = emulator(target_name, random_seed=7)
    source.faults = Faults.hostile(0.5)
    target.faults = Faults.hostile(0.5)
    reports = []
    aborted = 0
    for _ in range(RUNS):
        try:
            report = migrate(
                cb.connect_async(source.name, emulator=source),
                cb.connect_async(target.name, emulator=target),
                mapping_for(direction),
                state=tmp_path / "state.db",
                failures=tmp_path / "failures-{run}.jsonl",
                resume=True,
            )
        except cb.CRMError:  # a read failed for good: the run stops, its state kept
            aborted += 1
            continue
        reports.append(report)
        if report.ok:
            break
    assert reports, "no run got through its reads"
    assert reports[-1].ok, reports[-1].table()
    source.faults = target.faults = Faults()
    objects = TARGET_OBJECTS[direction]
    expected = snapshot(clean_target, objects, target_key)
    actual = snapshot(target, objects, target_key)
    for obj in objects:
        keys = [k for k, _ in actual[obj]]
        assert len(keys) == len(set(keys)), f"duplicates in {obj}"
        assert actual[obj] == expected[obj], f"{obj} differs from the fault-free migration"
    if aborted:  # a run that stopped reported nothing: only complete reports can be summed
        return
    created = dict.fromkeys(objects, 0)
    for report in reports:
        for key, obj_report in report.objects.items():
            created[key.split("->")[1]] += obj_report.counts["created"]
    for obj in objects:
        assert created[obj] == len(actual[obj]), (obj, created[obj], len(actual[obj]))
