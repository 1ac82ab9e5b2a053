"""The emulator's kept record JSON (``AttioEmulator(render_cache=True)``, store.py): a records
query answers byte for byte what rendering afresh answers, after every kind of change — writes,
the inverse values they sync, schema changes that alter every record's rendering (an option
renamed in place, an attribute archived or renamed, an object's noun), deletes, direct-access
seeding — and a change made behind its back is caught in verify mode (issue 24)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from crmbridge_attio.emulator import AttioEmulator

PAGE = 40


@pytest.fixture
def emulator() -> AttioEmulator:
    return AttioEmulator(seed="demo", demo_size=120, render_cache=True)


@pytest.fixture
def http(emulator: AttioEmulator) -> Iterator[httpx.Client]:
    with emulator.client() as client:
        yield client


def pages(http: httpx.Client, obj: str, body: dict[str, Any] | None = None) -> list[bytes]:
    """Every page of ``obj``'s records query, as the bytes answered."""
    out = []
    offset = 0
    while True:
        answer = http.post(
            f"/v2/objects/{obj}/records/query",
            json={**(body or {}), "limit": PAGE, "offset": offset},
        )
        assert answer.status_code == 200, answer.text
        out.append(answer.content)
        if len(answer.json()["data"]) < PAGE:
            return out
        offset += PAGE


def fresh(emulator: AttioEmulator, http: httpx.Client, obj: str, **body: Any) -> list[bytes]:
    """The same pages rendered afresh (the cache off for the call)."""
    emulator.workspace.render_cache = False
    try:
        return pages(http, obj, body)
    finally:
        emulator.workspace.render_cache = True


def assert_fresh(emulator: AttioEmulator, http: httpx.Client) -> None:
    for obj in ("people", "companies", "deals"):
        for body in ({}, {"sorts": [{"attribute": "name", "direction": "desc"}]}):
            kept = pages(http, obj, body)
            assert kept == fresh(emulator, http, obj, **body)


def first_id(http: httpx.Client, obj: str) -> str:
    answer = http.post(f"/v2/objects/{obj}/records/query", json={"limit": 1}).json()
    record_id: str = answer["data"][0]["id"]["record_id"]
    return record_id


def test_kept_json_is_what_rendering_answers(emulator: AttioEmulator, http: httpx.Client) -> None:
    first = pages(http, "people")
    assert len(first) > 2
    assert pages(http, "people") == first  # from the kept JSON
    assert first == fresh(emulator, http, "people")


def test_a_second_read_renders_nothing(
    emulator: AttioEmulator, http: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the cache is for (its speed is measured in bench/, not here)."""
    rendered: list[str] = []
    original = emulator.workspace.render_record

    def counting(obj: Any, row: Any) -> dict[str, Any]:
        rendered.append(row.id)
        return original(obj, row)

    monkeypatch.setattr(emulator.workspace, "render_record", counting)
    pages(http, "people")
    people = len(rendered)
    assert people == len(emulator.records("people"))
    rendered.clear()
    pages(http, "people")
    assert rendered == []
    http.get("/v2/objects/people/attributes")  # reads change nothing
    http.post("/v2/objects/companies/records/query", json={"limit": 5})
    rendered.clear()  # those 5 companies
    pages(http, "people")
    assert rendered == []
    _delete(http)  # any write may change any record's rendering: none is kept
    pages(http, "people")
    assert len(rendered) == people


def _patch_value(http: httpx.Client) -> None:
    person = first_id(http, "people")
    answer = http.patch(
        f"/v2/objects/people/records/{person}",
        json={"data": {"values": {"job_title": "Analyst", "email_addresses": ["z@example.com"]}}},
    )
    assert answer.status_code == 200, answer.text


def _inverse(http: httpx.Client) -> None:
    """A person's company set: the company's ``team`` changes too (an inverse write)."""
    person = first_id(http, "people")
    companies = http.post("/v2/objects/companies/records/query", json={"limit": 3}).json()["data"]
    company = companies[-1]["id"]["record_id"]
    answer = http.patch(
        f"/v2/objects/people/records/{person}",
        json={"data": {"values": {"company": [{"target_object": "companies",
                                               "target_record_id": company}]}}},
    )  # fmt: skip
    assert answer.status_code == 200, answer.text


def _rename_option(http: httpx.Client) -> None:
    """Renamed in place: every value that shows the option changes, no record is written."""
    options = http.get("/v2/objects/companies/attributes/categories/options").json()["data"]
    used = http.post("/v2/objects/companies/records/query", json={"limit": 500}).json()["data"]
    titles = {v["option"]["title"] for r in used for v in r["values"]["categories"]}
    title = next(o["title"] for o in options if o["title"] in titles)
    answer = http.patch(
        f"/v2/objects/companies/attributes/categories/options/{title}",
        json={"data": {"title": title + " (renamed)"}},
    )
    assert answer.status_code == 200, answer.text


def _archive_attribute(http: httpx.Client) -> None:
    answer = http.patch("/v2/objects/people/attributes/tier", json={"data": {"is_archived": True}})
    assert answer.status_code == 200, answer.text


def _rename_attribute(http: httpx.Client) -> None:
    answer = http.patch("/v2/objects/people/attributes/tier", json={"data": {"api_slug": "level"}})
    assert answer.status_code == 200, answer.text


def _rename_object(http: httpx.Client) -> None:
    answer = http.patch("/v2/objects/people", json={"data": {"singular_noun": "Human"}})
    assert answer.status_code == 200, answer.text


def _delete(http: httpx.Client) -> None:
    answer = http.delete(f"/v2/objects/companies/records/{first_id(http, 'companies')}")
    assert answer.status_code == 200, answer.text


def _create(http: httpx.Client) -> None:
    answer = http.post(
        "/v2/objects/people/records",
        json={"data": {"values": {"email_addresses": ["new@example.com"], "name": "New Person"}}},
    )
    assert answer.status_code == 200, answer.text


CHANGES: dict[str, Callable[[httpx.Client], None]] = {
    "value written": _patch_value,
    "inverse value synced": _inverse,
    "option renamed": _rename_option,
    "attribute archived": _archive_attribute,
    "attribute renamed": _rename_attribute,
    "object renamed": _rename_object,
    "record deleted": _delete,
    "record created": _create,
}


def _custom_attribute(http: httpx.Client) -> None:
    """A text attribute ``tier`` on people (the standard ones are system attributes, which the
    API does not let archive or rename), with a value on the first person."""
    body = {"title": "Tier", "description": "Tier", "api_slug": "tier", "type": "text",
            "is_required": False, "is_unique": False, "is_multiselect": False,
            "default_value": None, "config": {}}  # fmt: skip
    answer = http.post("/v2/objects/people/attributes", json={"data": body})
    assert answer.status_code == 200, answer.text
    person = first_id(http, "people")
    answer = http.patch(
        f"/v2/objects/people/records/{person}", json={"data": {"values": {"tier": "Gold"}}}
    )
    assert answer.status_code == 200, answer.text


@pytest.mark.parametrize("change", CHANGES, ids=list(CHANGES))
def test_every_change_is_answered(emulator: AttioEmulator, http: httpx.Client, change: str) -> None:
    _custom_attribute(http)
    before = {obj: pages(http, obj) for obj in ("people", "companies", "deals")}
    CHANGES[change](http)
    after = {obj: pages(http, obj) for obj in ("people", "companies", "deals")}
    assert after != before  # the change shows in some answer
    assert_fresh(emulator, http)


def test_direct_access_changes_are_answered(emulator: AttioEmulator, http: httpx.Client) -> None:
    """Seeding and direct-access writes (access.py) count as changes."""
    pages(http, "people")
    person = first_id(http, "people")
    emulator.seed_values("people", person, {"job_title": "Seeded"}, overwrite=True)
    emulator.seed_record("people", {"name": "Seeded Person"})
    emulator.archive_attribute("people", "description")
    assert_fresh(emulator, http)
    assert b"Seeded Person" in b"".join(pages(http, "people"))


def test_verify_mode_catches_a_change_behind_its_back() -> None:
    """A direct change to the workspace's objects that does not call ``workspace.changed()``:
    kept JSON would be stale; in verify mode (the mode every other Attio test runs in,
    conftest.py) the query fails instead of answering it."""
    emulator = AttioEmulator(seed="demo", demo_size=20, render_cache="verify")
    with emulator.client() as http:
        pages(http, "people")
        emulator.workspace.objects["people"].singular_noun = "Human"  # no changed()
        with pytest.raises(AssertionError, match="stale JSON"):
            pages(http, "people")
        emulator.workspace.changed()
        assert b"/human/" in pages(http, "people")[0]


def test_off_by_default_outside_these_tests(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(AttioEmulator, "render_cache_default", False)
    assert AttioEmulator().workspace.render_cache is False
    assert AttioEmulator(render_cache=True).workspace.verify_cache is False
