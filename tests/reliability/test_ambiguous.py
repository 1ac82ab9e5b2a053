"""Ambiguous answers give true reports (issue 15): a 5xx after the write was applied, a 200/201
whose body is cut mid-stream, a 200 whose JSON is cut short. The write may be done; the report
must say what the target holds — ``created`` for a record this run created, never ``updated`` or
``failed`` — and a cut answer to an idempotent read is read again."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import httpx
import pytest
from reliability.support import TARGET_OBJECTS, emulator, mapping_for, seeded_source

import crmbridge as cb
from crmbridge.emulation import Faults
from crmbridge.migrate import migrate

FAULTS = {
    "5xx after the write": Faults(server_error_after=0.25),
    "body cut mid-stream": Faults(cut_body=0.25),
    "truncated 200": Faults(truncated=0.25),
}


@pytest.mark.parametrize("fault", list(FAULTS))
@pytest.mark.parametrize("direction", ["attio->kizen", "kizen->attio"])
def test_the_report_says_what_the_target_holds(direction: str, fault: str, tmp_path: Path) -> None:
    source = seeded_source(direction, 120)
    target = emulator(direction.split("->")[1], faults=FAULTS[fault], random_seed=3)
    report = migrate(
        cb.connect_async(source.name, emulator=source),
        cb.connect_async(target.name, emulator=target),
        mapping_for(direction),
        state=tmp_path / "state.db",
        failures=tmp_path / "failures.jsonl",
    )
    assert report.failed == 0, (tmp_path / "failures.jsonl").read_text()
    created: Counter[str] = Counter()
    updated: Counter[str] = Counter()
    for key, obj_report in report.objects.items():
        created[key.split("->")[1]] += obj_report.counts["created"]
        updated[key.split("->")[1]] += obj_report.counts["updated"]
    target.faults = Faults()  # count what the target holds without faults in the way
    with cb.connect(target.name, emulator=target) as crm:
        held = {obj: len(list(crm.query(obj))) for obj in TARGET_OBJECTS[direction]}
    for obj in TARGET_OBJECTS[direction]:
        assert held[obj] > 0
        assert created[obj] == held[obj], (obj, created[obj], held[obj])
        assert updated[obj] == 0, obj


@pytest.mark.parametrize("fault", ["truncated", "cut_body"])
@pytest.mark.parametrize("name", ["attio", "kizen"])
def test_a_cut_answer_to_an_idempotent_read_is_read_again(name: str, fault: str) -> None:
    em = emulator(name, seed="demo", demo_size=30)
    obj = {"attio": "people", "kizen": "client_client"}[name]
    with cb.connect(name, emulator=em) as clean:
        expected = sorted(r.id or "" for r in clean.query(obj))
        clean.schema(obj)
    sent: list[httpx.Request] = []
    em.faults = Faults(**{fault: 0.5})
    with cb.connect(name, emulator=em, on_request=sent.append) as crm:
        crm.schema(obj)
        got = sorted(r.id or "" for r in crm.query(obj, page_size=5))
    assert got == expected
    assert len(sent) > len({str(r.url) + r.content.decode() for r in sent})  # some re-read


def test_a_write_whose_answer_is_cut_is_a_transport_error_not_a_failure_claim() -> None:
    """Outside a migration, a create whose answer was cut may have been done: the error says so
    (a TransportError, as for a dropped connection), not that the CRM refused it."""
    em = emulator("attio")
    with cb.connect("attio", emulator=em) as crm:
        crm.schema("companies")
        em.faults = Faults(truncated=1.0)
        with pytest.raises(cb.TransportError, match="may have been done"):
            crm.create("companies", {"name": "Cut Ltd", "domains": ["cut.example"]})
        em.faults = Faults()
        assert [r["name"] for r in crm.query("companies")] == ["Cut Ltd"]
