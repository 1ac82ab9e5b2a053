"""Every verb replayed through ``crmbridge.connect("kizen")`` from the cassettes in
``cassettes/kizen/`` (hand-written from the documented examples; see that folder's README).

Replay only by default (``record_mode="none"``, no network). To re-record against a live tenant:
``CRMBRIDGE_RECORD=all KIZEN_API_KEY=... KIZEN_USER_ID=... KIZEN_BUSINESS_ID=...
[KIZEN_BASE_URL=...] uv run pytest plugins/kizen/tests/test_kizen_cassettes.py`` (cassettes/kizen/
README.md explains what the tenant needs).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import vcr
from crmbridge_kizen.provider import KizenProvider

import crmbridge
from crmbridge import F, NotFound, Option, User, ValidationError
from crmbridge.testing.vcr import vcr_config_for

CASSETTES = Path(__file__).resolve().parents[3] / "cassettes" / "kizen"
ADA = "5b0f3c1e-7c2a-4c1e-9f43-2f7f1a0c9b11"
SECRETS = {"api_key": "replay-key-0001", "user_id": "replay-user", "business_id": "replay-biz"}


@pytest.fixture
def crm(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[crmbridge.Bridge]:
    name = request.node.get_closest_marker("cassette").args[0]
    config = vcr_config_for("CRMBRIDGE_RECORD")
    recorder = vcr.VCR(cassette_library_dir=str(CASSETTES), **config)
    live = config["record_mode"] != "none"
    creds: dict[str, Any] = {} if live else dict(SECRETS)  # live: from KIZEN_* variables
    for var in KizenProvider.env.values():
        if not live:
            monkeypatch.delenv(var, raising=False)
    with (
        recorder.use_cassette(f"{name}.yaml") as cassette,
        crmbridge.connect("kizen", **creds) as bridge,
    ):
        yield bridge
        if not live:
            assert cassette.all_played, f"unplayed interactions in {name}.yaml"
    text = (CASSETTES / f"{name}.yaml").read_text()
    secrets = [os.environ[v] for v in KizenProvider.env.values() if v in os.environ and live]
    for secret in [*SECRETS.values(), *secrets]:
        if secret not in ("", KizenProvider.default_base_url):
            assert secret not in text


def cassette(name: str) -> pytest.MarkDecorator:
    return pytest.mark.cassette(name)


@cassette("get")
def test_get(crm: crmbridge.Bridge) -> None:
    record = crm.get("patients", ADA)
    assert record["name"] == "Ada"
    assert record["gender"] == Option("Female", "78238cfd-d8f7-4539-ba19-76435a6bd92c")
    assert record["date_of_birth"] == dt.date(1815, 12, 10)
    assert record["owner"].email == "alex@example.com"
    assert record["encounters"] == []


@cassette("search")
def test_query_two_pages(crm: crmbridge.Bridge) -> None:
    records = list(crm.query("patients", where=F("gender") == "Female", order_by="-name",
                             page_size=1))  # fmt: skip
    assert [r["name"] for r in records] == ["Ada", "Alan"]


@cassette("add")
def test_create(crm: crmbridge.Bridge) -> None:
    values = {
        "name": "Ada",
        "gender": "female",
        "date_of_birth": dt.date(1815, 12, 10),
        "owner": User(id="916dac1b-5640-4268-9324-06132f342488"),  # written as the bare id
    }
    record = crm.create("patients", values)
    assert record.id == ADA


@cassette("update")
def test_update(crm: crmbridge.Bridge) -> None:
    assert crm.update("patients", ADA, {"deceased": True})["deceased"] is True


@cassette("upsert")
def test_upsert(crm: crmbridge.Bridge) -> None:
    result = crm.upsert("patients", {"name": "Ada", "gender": "Female"})
    assert result.action == "updated"
    assert result.record.id == ADA


@cassette("archive_restore")
def test_archive_restore(crm: crmbridge.Bridge) -> None:
    crm.archive("patients", ADA)
    assert crm.restore("patients", ADA).id == ADA


@cassette("errors")
def test_errors(crm: crmbridge.Bridge) -> None:
    with pytest.raises(ValidationError) as early:  # outside the 1-5 scale: refused unsent
        crm.update("patients", ADA, {"name": "Ada", "pain_level": 7})
    assert [e.field for e in early.value.field_errors] == ["pain_level"]
    assert early.value.request_id is None
    with pytest.raises(ValidationError) as info:  # an unknown team member: only Kizen knows
        crm.update(
            "patients", ADA, {"name": "Ada", "owner": "00000000-0000-4000-8000-00000000dead"}
        )
    assert [e.field for e in info.value.field_errors] == [None, "owner"]
    assert info.value.request_id == "req-0400"
    with pytest.raises(NotFound) as missing:
        crm.get("patients", "00000000-0000-4000-8000-000000000000")
    assert missing.value.code == "not_found"
