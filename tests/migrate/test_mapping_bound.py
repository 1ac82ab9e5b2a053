"""Issue 15: the state is bound to the mapping it was made with.

Each object's mapping (its fields, constants, target object and match key) is hashed into the
state; a run with a different mapping re-plans that object (its content hashes are void, its
checkpoint restarts) instead of trusting hashes made for another mapping.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import httpx
from toy_provider import ToyCRM, ToyPlugin

import crmbridge as cb
from crmbridge.migrate import Report, migrate, parse_mapping

MAPPING: dict[str, Any] = {
    "objects": [
        {
            "source": "contacts",
            "target": "contacts",
            "match": "email",
            "fields": {"email": "email", "name": "name"},
        }
    ]
}


def _run(src: ToyCRM, dst: ToyCRM, tmp_path: Path, mapping: dict[str, Any], **kw: Any) -> Report:
    source = cb.connect_async("toy", token=src.token, transport=httpx.MockTransport(src))
    target = cb.connect_async("toy", token=dst.token, transport=httpx.MockTransport(dst))
    return migrate(
        source, target, parse_mapping(mapping), state=tmp_path / "s.db", failures=None, **kw
    )


def _crms(toy_plugin: ToyPlugin) -> tuple[ToyCRM, ToyCRM]:
    src, dst = ToyCRM(), ToyCRM()
    for i in range(15):
        src.records[str(i)] = {"id": str(i), "email": f"p{i}@x.co", "name": f"P {i}", "score": i}
    return src, dst


def test_a_changed_field_mapping_rewrites_the_records(
    toy_plugin: ToyPlugin, tmp_path: Path
) -> None:
    src, dst = _crms(toy_plugin)
    _run(src, dst, tmp_path, MAPPING)
    changed = copy.deepcopy(MAPPING)
    changed["objects"][0]["constants"] = {"score": 3}
    report = _run(src, dst, tmp_path, changed)
    counts = report.objects["contacts->contacts"].counts
    assert counts["noop"] == 0, counts
    assert counts["updated"] == 15
    assert report.objects["contacts->contacts"].replanned
    assert {r["score"] for r in dst.records.values()} == {3}
    # Same mapping again: trusted, nothing written.
    assert _run(src, dst, tmp_path, changed).objects["contacts->contacts"].counts == {"noop": 15}


def test_a_mapping_changed_before_resume_redoes_the_pages_done_with_the_old_one(
    toy_plugin: ToyPlugin, tmp_path: Path
) -> None:
    src, dst = _crms(toy_plugin)
    _run(src, dst, tmp_path, MAPPING, limit=12)  # pages of 10: the first is checkpointed
    changed = copy.deepcopy(MAPPING)
    changed["objects"][0]["constants"] = {"score": 9}
    report = _run(src, dst, tmp_path, changed, resume=True)
    assert report.objects["contacts->contacts"].replanned
    assert {r["email"]: r.get("score") for r in dst.records.values()} == {
        f"p{i}@x.co": 9 for i in range(15)
    }
