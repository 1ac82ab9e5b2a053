"""Migrations under faults end exactly right: no record lost, none duplicated, report = target.

Both emulators inject 10% 429s, 5% 5xx and 2% dropped connections (half of them *after* the write
was done: the answer is lost, the record exists), with random latency. The same migration against a
fault-free target is the reference.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
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

FAULTS = Faults(rate_limit=0.10, server_error=0.05, drop=0.02)


def _run(
    direction: str, target_options: dict[str, Any], tmp_path: Path, size: int
) -> tuple[Any, Any]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    source = seeded_source(direction, size)
    target = emulator(direction.split("->")[1], **target_options)
    report = migrate(
        cb.connect_async(source.name, emulator=source),
        cb.connect_async(target.name, emulator=target),
        mapping_for(direction),
        state=tmp_path / "state.db",
        failures=tmp_path / "failures.jsonl",
    )
    return report, target


@pytest.mark.parametrize("direction", ["attio->kizen", "kizen->attio"])
def test_migration_under_faults_ends_exactly_right(direction: str, tmp_path: Path) -> None:
    size = (
        2000 if direction == "attio->kizen" else 1500
    )  # Kizen's demo adds companies per 4 contacts
    objects = TARGET_OBJECTS[direction]
    clean_report, clean = _run(direction, {}, tmp_path / "clean", size)
    faulty_report, faulty = _run(
        direction,
        {"faults": FAULTS, "latency_ms": (0.0, 2.0), "random_seed": 5},
        tmp_path / "faulty",
        size,
    )
    # Faults were really injected.
    assert sum(faulty.requests.values()) > sum(clean.requests.values()) * 1.1
    # Exactly the right records, field by field, and no duplicates.
    expected = snapshot(clean, objects, target_key)
    actual = snapshot(faulty, objects, target_key)
    for obj in objects:
        keys = [k for k, _ in actual[obj]]
        assert len(keys) == len(set(keys)), f"duplicates in {obj}"
        assert actual[obj] == expected[obj], f"{obj} differs from the fault-free migration"
    # The report matches the target: every record written is there, counts as on a clean run.
    assert faulty_report.failed == 0, (tmp_path / "faulty" / "failures.jsonl").read_text()
    for key, obj_report in faulty_report.objects.items():
        clean_counts = clean_report.objects[key].counts
        assert obj_report.counts == clean_counts, key
    created = Counter(dict.fromkeys(objects, 0))
    for key, obj_report in faulty_report.objects.items():
        created[key.split("->")[1]] += obj_report.counts["created"]
    for obj in objects:
        assert created[obj] == len(actual[obj])


def test_permanent_failures_go_to_the_failures_file(tmp_path: Path) -> None:
    """A write the target refuses for good is in the failures file with its values and error,
    never silently dropped; the other records are written."""
    source = seeded_source("attio->kizen", 40)
    target = emulator("kizen")
    with cb.connect("attio", emulator=source) as attio:
        victim = next(iter(attio.query("people", limit=1)))
    email = victim["email_addresses"][0]

    def refuse_victim(request: httpx.Request) -> httpx.Response:
        if (
            request.method == "POST"
            and email.encode() in request.content
            and b"lookup_value" in request.content
        ):
            return httpx.Response(
                400, json={"non_field_errors": ["Refused by a workflow rule."], "fields": []}
            )
        return target.dispatch(request)

    report = migrate(
        cb.connect_async("attio", emulator=source),
        cb.connect_async(
            "kizen", transport=httpx.MockTransport(refuse_victim), **target.credentials()
        ),
        mapping_for("attio->kizen"),
        state=tmp_path / "s.db",
        failures=tmp_path / "f.jsonl",
    )
    lines = [json.loads(x) for x in (tmp_path / "f.jsonl").read_text().splitlines()]
    assert report.failed == 1
    assert len(lines) == 1
    assert lines[0]["source_id"] == victim.id
    assert lines[0]["values"]["email"] == email
    assert "Refused by a workflow rule" in lines[0]["error"]["message"]
    with cb.connect("kizen", emulator=target) as kizen:
        emails = [r["email"] for r in kizen.query("client_client")]
    assert email not in emails
    assert len(emails) == 39
