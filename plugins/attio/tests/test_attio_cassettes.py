"""The real recorded cassettes (cassettes/attio, from api.attio.com) replayed with vcrpy through
the real client path: ``crmbridge.connect("attio")`` → driver → plan → httpx → vcr. The provider
must send exactly the recorded requests (method, URL, query and JSON body) and return the right
neutral results, the recorded 400 and 404 as the right exceptions.

Re-recording against the live API: see cassettes/attio/README.md
(``CRMBRIDGE_RECORD=once ATTIO_API_KEY=… uv run pytest plugins/attio/tests/test_attio_cassettes.py``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import vcr
import yaml
from vcr.errors import CannotOverwriteExistingCassetteException

import crmbridge as cb
from crmbridge.http import RetryPolicy
from crmbridge.plugin import Query
from crmbridge.testing import vcr_config_for

CASSETTES = Path(__file__).parents[3] / "cassettes" / "attio"
#: One vcr configuration for every provider: credential headers filtered, POST bodies matched,
#: replay only unless ``CRMBRIDGE_RECORD`` says otherwise.
VCR_CONFIG = vcr_config_for()
RECORD_MODE = VCR_CONFIG["record_mode"]


@contextmanager
def cassettes(tmp_path: Path, *names: str) -> Iterator[Any]:
    """Replay the interactions of several recorded cassettes as one (a verb such as ``objects()``
    spans endpoints that were recorded separately). In record mode, record into
    ``cassettes/attio/<names joined by '+'>.yaml`` instead."""
    if RECORD_MODE != "none":
        path = CASSETTES / f"{'+'.join(names)}.yaml"
    else:
        interactions = []
        for name in names:
            doc = yaml.safe_load((CASSETTES / f"{name}.yaml").read_text())
            interactions.extend(doc["interactions"])
        path = tmp_path / "replay.yaml"
        path.write_text(yaml.safe_dump({"interactions": interactions, "version": 1}))
    recorder = vcr.VCR(**VCR_CONFIG)
    with recorder.use_cassette(str(path)) as cassette:
        yield cassette


@pytest.fixture
def crm() -> Iterator[cb.Bridge]:
    token = os.environ.get("ATTIO_API_KEY") if RECORD_MODE != "none" else None
    bridge = cb.connect(
        "attio", token=token or "test-token", rate_limit=False, retry=RetryPolicy(attempts=1)
    )
    yield bridge
    bridge.close()


def test_objects(tmp_path: Path, crm: cb.Bridge) -> None:
    """objects_list.yaml + lists_list.yaml: GET /v2/objects then GET /v2/lists."""
    with cassettes(tmp_path, "objects_list", "lists_list") as cassette:
        objects = crm.objects()
    assert cassette.play_count == 2
    assert [o.slug for o in objects if o.kind == "object"] == [
        "people", "companies", "projects", "workspace_members", "activities", "deals",
    ]  # fmt: skip
    assert [o.slug for o in objects if o.kind == "list"] == [
        "target_logos_6", "deal_movement_last_7_days", "test_list",
    ]  # fmt: skip


def test_people_fields(tmp_path: Path, crm: cb.Bridge) -> None:
    """attributes_list_people.yaml, with the recorded request (no limit/offset: Attio answered
    with all 44 attributes). The select options were not recorded, so option fetching is off."""
    crm.provider.fetch_options = False  # type: ignore[attr-defined]
    with cassettes(tmp_path, "objects_list", "lists_list", "attributes_list_people") as cassette:
        fields = {f.slug: f for f in crm.fields("people")}
    assert cassette.play_count == 3
    assert len(fields) == 44
    assert fields["email_addresses"].unique
    assert fields["email_addresses"].multi
    assert fields["company"].target_objects == ("companies",)
    assert fields["associated_deals"].target_objects == ("deals",)
    assert not fields["first_interaction"].writable


def test_deal_stage_statuses(tmp_path: Path, crm: cb.Bridge) -> None:
    """statuses_list_deals_stage.yaml through the ``attribute_options`` extra plan."""
    plan = crm.provider.attribute_options("deals", "stage", statuses=True)  # type: ignore[attr-defined]
    with cassettes(tmp_path, "statuses_list_deals_stage") as cassette:
        options = crm.run(plan)
    assert cassette.play_count == 1
    assert [o.label for o in options][:2] == ["Discovery", "Solution Definition"]
    assert options[0].id == "5fe9ed26-d25a-478d-970d-cf599d02b23f"


def test_companies_query_page(tmp_path: Path, crm: cb.Bridge) -> None:
    """companies_query.yaml: ``POST …/records/query`` with body ``{"limit":5}`` — the provider's
    first page of a plain query is exactly that body. The companies schema was not recorded, so
    the page is read with an empty schema (multi-ness from the standard attributes); the page
    is full, so the plan asks for the next one at offset 5 (not recorded: checked, not sent)."""
    schema = cb.ObjectSchema(cb.ObjectSpec("companies", "Companies"), {})
    plan = crm.provider.query(schema, Query(page_size=5), None)
    with cassettes(tmp_path, "companies_query") as cassette:
        page = crm.run(plan)
    assert cassette.play_count == 1
    assert len(page.records) == 5
    assert page.next == 5
    first = page.records[0]
    assert first.object == "companies"
    assert first["name"] == "Popl"
    assert first["domains"] == ["popl.co"]
    assert first["categories"][0] == cb.Option("B2C", "d4289cb1-4811-4b11-a28b-3ad2880d50b7")


def test_self(tmp_path: Path, crm: cb.Bridge) -> None:
    """self_identify.yaml: the token check, as an extra plan and through ``request()``."""
    with cassettes(tmp_path, "self_identify") as cassette:
        info = crm.run(crm.provider.self_info())  # type: ignore[attr-defined]
        response = crm.request("GET", "/v2/self")
    assert cassette.play_count == 2
    assert info["active"] is True
    assert info["workspace_name"] == "Test Workspace"
    assert response.json()["token_type"] == "Bearer"


def test_recorded_404(tmp_path: Path, crm: cb.Bridge) -> None:
    """companies_list.yaml: there is no ``GET …/records`` (docs/reference/attio.md §4) → NotFound with
    Attio's code, message and execution id."""
    with cassettes(tmp_path, "companies_list"), pytest.raises(cb.NotFound) as info:
        crm.request("GET", "/v2/objects/companies/records", params={"limit": 5})
    error = info.value
    assert error.status == 404
    assert error.code == "not_found"
    assert error.request_id == "ed303b50-34df-444a-9603-d50c06a00c05"
    assert "Could not find endpoint" in error.message
    assert "test-token" not in str(error)


def test_recorded_400(tmp_path: Path, crm: cb.Bridge) -> None:
    """records_global_search.yaml: search without ``request_as`` → ValidationError naming it."""
    body = {"query": "a", "objects": ["people", "companies"], "limit": 5}
    with cassettes(tmp_path, "records_global_search"), pytest.raises(cb.ValidationError) as info:
        crm.request("POST", "/v2/objects/records/search", json=body)
    error = info.value
    assert error.code == "validation_type"
    assert error.request_id == "95269b9f-45d1-41a3-a460-8ec87eb5d7b6"
    assert [(e.field, e.code) for e in error.field_errors] == [("request_as", "invalid")]


def test_a_different_request_does_not_match(tmp_path: Path, crm: cb.Bridge) -> None:
    """The replay is strict: a query body other than the recorded one is not answered."""
    schema = cb.ObjectSchema(cb.ObjectSpec("companies", "Companies"), {})
    plan = crm.provider.query(schema, Query(page_size=6), None)
    with (
        cassettes(tmp_path, "companies_query"),
        pytest.raises(CannotOverwriteExistingCassetteException),
    ):
        crm.run(plan)
