"""Issue 15: a record whose write failed stays pending in the state until a later run writes it.

A failed record's page is checkpointed like any other (the run moves on), but the record itself is
kept in the state's pending failures: ``--resume`` retries it even when its object is complete,
the report counts what is still not written, and the run is only ``ok`` when nothing is.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
from toy_provider import ToyCRM, ToyPlugin

import crmbridge as cb
from crmbridge.migrate import Report, migrate, parse_mapping

MAPPING = {
    "objects": [
        {
            "source": "contacts",
            "target": "contacts",
            "match": "email",
            "fields": {"email": "email", "name": "name"},
        }
    ]
}


class Refusing(ToyCRM):
    """Answers 400 to upserts of the records named in ``refused`` (a target-side rule)."""

    def __init__(self) -> None:
        super().__init__()
        self.refused: set[str] = set()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if (
            request.url.path.endswith("/upsert")
            and json.loads(request.content).get("name") in self.refused
        ):
            self.requests.append(request)
            return httpx.Response(400, json={"error": "refused by a workflow rule"})
        return super().__call__(request)


def _source(toy_plugin: ToyPlugin) -> ToyCRM:
    src = ToyCRM()
    for i in range(25):
        src.records[str(i)] = {"id": str(i), "email": f"p{i}@x.co", "name": f"P {i}"}
    return src


def _run(src: ToyCRM, dst: ToyCRM, tmp_path: Path, state: str, **kw: object) -> Report:
    source = cb.connect_async("toy", token=src.token, transport=httpx.MockTransport(src))
    target = cb.connect_async("toy", token=dst.token, transport=httpx.MockTransport(dst))
    kw.setdefault("failures", tmp_path / "failures.jsonl")
    return migrate(source, target, parse_mapping(MAPPING), state=state, **kw)  # type: ignore[arg-type]


def test_resume_retries_a_record_that_failed_in_a_finished_object(
    toy_plugin: ToyPlugin, tmp_path: Path, state_spec: str
) -> None:
    src, dst = _source(toy_plugin), Refusing()
    dst.refused = {"P 4", "P 17"}
    first = _run(src, dst, tmp_path, state_spec)
    counts = first.objects["contacts->contacts"].counts
    assert (counts["created"], counts["failed"]) == (23, 2)
    assert first.pending == 2
    assert not first.ok
    # Still refused: --resume retries both (the object is complete, but they are not written).
    second = _run(src, dst, tmp_path, state_spec, resume=True)
    assert second.objects["contacts->contacts"].counts["failed"] == 2
    assert second.pending == 2
    assert not second.ok
    # The rule is lifted: --resume writes them, and only them.
    dst.refused = set()
    writes_before = sum(r.method != "GET" for r in dst.requests)
    third = _run(src, dst, tmp_path, state_spec, resume=True)
    assert third.objects["contacts->contacts"].counts == {"created": 2}
    assert sum(r.method != "GET" for r in dst.requests) - writes_before == 2
    assert third.pending == 0
    assert third.ok
    assert {r["name"] for r in dst.records.values()} == {f"P {i}" for i in range(25)}


def test_a_full_run_clears_what_it_writes_and_keeps_what_still_fails(
    toy_plugin: ToyPlugin, tmp_path: Path, state_spec: str
) -> None:
    src, dst = _source(toy_plugin), Refusing()
    dst.refused = {"P 4", "P 17"}
    _run(src, dst, tmp_path, state_spec)
    dst.refused = {"P 17"}
    again = _run(src, dst, tmp_path, state_spec)
    assert again.objects["contacts->contacts"].counts == {"noop": 23, "created": 1, "failed": 1}
    assert again.pending == 1
    resumed = _run(src, dst, tmp_path, state_spec, resume=True)
    assert resumed.objects["contacts->contacts"].counts["failed"] == 1


def test_a_pending_record_deleted_in_the_source_is_no_longer_pending(
    toy_plugin: ToyPlugin, tmp_path: Path, state_spec: str
) -> None:
    src, dst = _source(toy_plugin), Refusing()
    dst.refused = {"P 4"}
    _run(src, dst, tmp_path, state_spec)
    del src.records["4"]
    resumed = _run(src, dst, tmp_path, state_spec, resume=True)
    assert resumed.pending == 0
    assert resumed.ok


def test_report_counts_pending_in_its_dict(
    toy_plugin: ToyPlugin, tmp_path: Path, state_spec: str
) -> None:
    src, dst = _source(toy_plugin), Refusing()
    dst.refused = {"P 4"}
    report = _run(src, dst, tmp_path, state_spec)
    assert report.as_dict()["contacts->contacts"]["pending"] == 1
