"""Kizen emulator: search filters, ordering, text search, pagination and its cost (docs/reference/kizen.md §8)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from crmbridge_kizen.emulator import KizenEmulator
from kizen_emulator_support import client, values

CO = "/api/records/companies_company"
CT = "/api/records/client_client"


@pytest.fixture(scope="module")
def emu() -> KizenEmulator:
    e = KizenEmulator()
    rows: list[dict[str, Any]] = [
        {"name": "Acme", "domain": "acme.com", "employee_count": 10, "industry": {"name": "Software"},
         "categories": [{"name": "B2B"}, {"name": "SaaS"}], "annual_revenue": 100.0},
        {"name": "Globex", "domain": "globex.io", "employee_count": 500,
         "industry": {"name": "Energy"}, "categories": [{"name": "B2B"}]},
        {"name": "Initech", "employee_count": 50, "industry": {"name": "Software"},
         "description": "TPS reports"},
        {"name": "acme labs", "domain": "labs.acme.com"},
    ]  # fmt: skip
    for i, row in enumerate(rows):
        e.seed_record("companies_company", row, created=f"2026-0{i + 1}-15T12:00:00Z")
    return e


def custom(
    emu: KizenEmulator, name: str, condition: str, value: Any, quoted: bool = True
) -> dict[str, Any]:
    fid = emu.field("companies_company", name).id
    return {
        "type": "fields_v2",
        "subtype": "custom",
        "field": f'"custom"::{fid}' if quoted else f"custom::{fid}",
        "condition": condition,
        "value": value,
    }


def default(name: str, condition: str, value: Any) -> dict[str, Any]:
    return {"type": "fields", "subtype": "non_custom", "field": name, "condition": condition,
            "value": value}  # fmt: skip


def names(c: httpx.Client, *filters: dict[str, Any], params: dict[str, Any] | None = None,
          **body: Any) -> list[str]:  # fmt: skip
    payload: dict[str, Any] = dict(body)
    if filters:
        payload["query"] = [{"and": True, "filters": list(filters)}]
    r = c.post(f"{CO}/search", params=params or {}, json=payload)
    assert r.status_code == 200, r.text
    return [values(x)["name"] for x in r.json()["results"]]


def test_no_body_returns_all_in_creation_order(c: httpx.Client) -> None:
    r = c.post(f"{CO}/search")
    assert r.json()["count"] == 4
    assert names(c) == ["Acme", "Globex", "Initech", "acme labs"]
    assert names(c, query=[]) == names(c)


@pytest.mark.parametrize(
    ("condition", "value", "expected"),
    [
        ("=", "ACME.com", ["Acme"]),
        ("!=", "acme.com", ["Globex", "Initech", "acme labs"]),
        ("contains", "acme", ["Acme", "acme labs"]),
        ("!contains", "acme", ["Globex", "Initech"]),
        ("starts_with", "glo", ["Globex"]),
        ("ends_with", ".io", ["Globex"]),
        ("!ends_with", ".com", ["Globex", "Initech"]),
        ("is_blank", True, ["Initech"]),
        ("is_blank", False, ["Acme", "Globex", "acme labs"]),
    ],
)
def test_text_conditions(c: httpx.Client, emu: KizenEmulator, condition: str, value: Any,
                         expected: list[str]) -> None:  # fmt: skip
    assert names(c, custom(emu, "domain", condition, value)) == expected


@pytest.mark.parametrize(
    ("condition", "value", "expected"),
    [
        ("=", "50", ["Initech"]),
        (">", 10, ["Globex", "Initech"]),
        ("<=", "50", ["Acme", "Initech"]),
        ("between", ["10", "50"], ["Acme", "Initech"]),
        ("is_blank", True, ["acme labs"]),
        ("!=", 10, ["Globex", "Initech", "acme labs"]),
    ],
)
def test_number_conditions(c: httpx.Client, emu: KizenEmulator, condition: str, value: Any,
                           expected: list[str]) -> None:  # fmt: skip
    assert names(c, custom(emu, "employee_count", condition, value)) == expected


def test_option_conditions(c: httpx.Client, emu: KizenEmulator) -> None:
    industry = emu.field("companies_company", "industry")
    software = industry.option_named("Software")
    energy = industry.option_named("Energy")
    assert software is not None
    assert energy is not None
    assert names(c, custom(emu, "industry", "=", software.id)) == ["Acme", "Initech"]
    assert names(c, custom(emu, "industry", "!=", software.id)) == ["Globex", "acme labs"]
    assert names(c, custom(emu, "industry", "is_any_of", [energy.id])) == ["Globex"]
    assert names(c, custom(emu, "industry", "is_none_of", [energy.id, software.id])) == [
        "acme labs"
    ]
    assert names(c, custom(emu, "industry", "is_blank", True)) == ["acme labs"]


def test_multi_option_conditions(c: httpx.Client, emu: KizenEmulator) -> None:
    cats = emu.field("companies_company", "categories")
    b2b, saas = (cats.option_named(n) for n in ("B2B", "SaaS"))
    assert b2b is not None
    assert saas is not None
    assert names(c, custom(emu, "categories", "has", [b2b.id, saas.id])) == ["Acme"]
    assert names(c, custom(emu, "categories", "has_any", [b2b.id, saas.id])) == ["Acme", "Globex"]
    assert names(c, custom(emu, "categories", "!has_any", [saas.id])) == [
        "Globex",
        "Initech",
        "acme labs",
    ]
    assert names(c, custom(emu, "categories", "!has", [b2b.id, saas.id])) == [
        "Globex",
        "Initech",
        "acme labs",
    ]


def test_date_conditions_on_default_fields(c: httpx.Client) -> None:
    created = {"type": "fields_v2", "subtype": "non_custom", "field": "created"}
    assert names(c, {**created, "condition": "between", "value": ["2026-02-01", "2026-03-31"]}) == [
        "Globex",
        "Initech",
    ]
    assert names(c, {**created, "condition": ">", "value": "2026-03-15T12:00:00.000Z"}) == [
        "acme labs"
    ]
    assert names(c, {**created, "condition": "month_equals", "value": 1}) == ["Acme"]


def test_team_selector_is_me(c: httpx.Client, emu: KizenEmulator) -> None:
    assert len(names(c, default("owner", "=", "is_me"))) == 4
    assert names(c, default("owner", "is_none_of", [emu.user_id])) == []


def test_groups_and_or(c: httpx.Client, emu: KizenEmulator) -> None:
    body = {
        "and": False,
        "query": [
            {"id": "query-0", "and": True,
             "filters": [custom(emu, "employee_count", ">", 100)]},
            {"id": "query-1", "and": False,
             "filters": [default("display_name", "=", "initech"), default("name", "=", "nope")]},
        ],
        "invalid": False,
    }  # fmt: skip
    r = c.post(f"{CO}/search", json=body)
    assert [values(x)["name"] for x in r.json()["results"]] == ["Globex", "Initech"]
    body["and"] = True
    assert c.post(f"{CO}/search", json=body).json()["count"] == 0


def test_unquoted_custom_prefix_is_accepted(c: httpx.Client, emu: KizenEmulator) -> None:
    assert names(c, custom(emu, "domain", "=", "acme.com", quoted=False)) == ["Acme"]


@pytest.mark.parametrize(
    "bad",
    [
        {"type": "fields", "field": "domain", "condition": "has", "value": ["x"]},
        {"type": "fields", "field": "nope", "condition": "=", "value": "x"},
        {"type": "fields", "field": "domain", "condition": "=", "value": None},
        {"type": "fields", "field": "description", "condition": "contains", "value": "TPS"},
        {"type": "tags", "condition": "has", "value": ["x"]},
    ],
)
def test_bad_filters_are_400_with_errors(c: httpx.Client, bad: dict[str, Any]) -> None:
    r = c.post(f"{CO}/search", json={"query": [{"and": True, "filters": [bad]}]})
    assert r.status_code == 400
    body = r.json()
    assert body["results"] == []
    assert body["errors"]


def test_text_search_param(c: httpx.Client) -> None:
    assert names(c, params={"search": "ACME"}) == ["Acme", "acme labs"]
    assert names(c, params={"search": "tps"}, search_within_field_names=["description"]) == [
        "Initech"
    ]


def test_contact_text_search_columns(c: httpx.Client) -> None:
    emu2 = KizenEmulator()
    emu2.seed_record(
        "client_client", {"email": "x@y.com", "first_name": "Zed", "mobile_phone": "+13125550100"}
    )
    c2 = client(emu2)
    for text in ("zed", "y.com", "5550100"):
        assert c2.post(f"{CT}/search", params={"search": text}, json={}).json()["count"] == 1


def test_ordering(c: httpx.Client) -> None:
    assert names(c, params={"ordering": "-employee_count"}) == [
        "Globex",
        "Initech",
        "Acme",
        "acme labs",
    ]
    assert names(c, params={"ordering": "name"}) == ["Acme", "acme labs", "Globex", "Initech"]
    assert names(c, params={"ordering": "-created"})[0] == "acme labs"
    assert names(c, params={"ordering": "no_such_field"}) == names(c)


def test_field_names_narrow_results(c: httpx.Client, emu: KizenEmulator) -> None:
    r = c.post(f"{CO}/search", json={"field_names": ["name", "email", "nope"]}).json()
    assert all(set(values(x)) == {"name"} for x in r["results"])
    r = c.post(f"{CO}/search", json={"field_names": []}).json()
    assert all(x["fields"] == {} for x in r["results"])
    fid = emu.field("companies_company", "domain").id
    r = c.post(f"{CO}/search", json={"field_ids": [fid]}).json()
    assert next(list(values(x)) for x in r["results"]) == ["domain"]
    both = c.post(f"{CO}/search", json={"field_ids": [fid], "field_names": ["name"]})
    assert both.status_code == 400


def test_pagination_params_and_limits() -> None:
    emu = KizenEmulator(seed="demo", demo_size=1500)
    c = client(emu)
    big = c.post(f"{CT}/search", params={"page_size": 5000}, json={}).json()
    assert len(big["results"]) == 1000
    assert big["count"] == 1500
    assert big["next"] == f"https://app.go.kizen.com{CT}/search?page_size=5000&page=2"
    last = c.post(big["next"], json={}).json()
    assert len(last["results"]) == 500
    assert last["next"] is None
    assert last["previous"] == f"https://app.go.kizen.com{CT}/search?page_size=5000"
    default = c.post(f"{CT}/search", json={}).json()
    assert len(default["results"]) == 100
    for page in ("3", "0", "x"):
        r = c.post(f"{CT}/search", params={"page": page, "page_size": 1000}, json={})
        assert r.status_code == 404
        assert r.json()["detail"] == "Invalid page."
    assert c.post(f"{CT}/search", params={"group_id": "g"}, json={}).status_code == 400


class CountingDict(dict[str, Any]):
    reads = 0

    def __getitem__(self, key: str) -> Any:
        CountingDict.reads += 1
        return super().__getitem__(key)


def test_unfiltered_pages_cost_o_page() -> None:
    emu = KizenEmulator(seed="demo", demo_size=20000)
    state = emu.store.objects["client_client"]
    c = client(emu)
    c.post(f"{CT}/search", params={"page": 2, "page_size": 10}, json={})  # warm caches
    state.records = CountingDict(state.records)
    CountingDict.reads = 0
    body = c.post(f"{CT}/search", params={"page": 150, "page_size": 100}, json={}).json()
    assert len(body["results"]) == 100
    assert CountingDict.reads <= 100 * 3


def test_filtered_search_results_are_cached_between_pages() -> None:
    emu = KizenEmulator(seed="demo", demo_size=2000)
    state = emu.store.objects["client_client"]
    c = client(emu)
    body = {"query": [{"and": True, "filters": [
        {"type": "fields", "subtype": "non_custom", "field": "email",
         "condition": "contains", "value": "ada"}]}]}  # fmt: skip
    first = c.post(f"{CT}/search", params={"page_size": 10}, json=body).json()
    state.records = CountingDict(state.records)
    CountingDict.reads = 0
    second = c.post(first["next"], json=body).json()
    assert CountingDict.reads <= 10 * 3
    assert not {r["id"] for r in first["results"]} & {r["id"] for r in second["results"]}


def test_writes_are_visible_to_the_next_search(c: httpx.Client) -> None:
    emu = KizenEmulator(seed="demo", demo_size=40)
    c2 = client(emu)
    before = c2.post(f"{CT}/search", json={}).json()["count"]
    first = c2.post(f"{CT}/search", params={"ordering": "email"}, json={}).json()["results"][0]
    c2.delete(f"{CT}/{first['id']}")
    assert c2.post(f"{CT}/search", json={}).json()["count"] == before - 1
    again = c2.post(f"{CT}/search", params={"ordering": "email"}, json={}).json()["results"][0]
    assert again["id"] != first["id"]


def test_relationship_filter_sees_archives_of_the_other_side() -> None:
    emu = KizenEmulator()
    acme = emu.seed_record("companies_company", {"name": "Acme"})
    ada = emu.seed_record("client_client", {"email": "ada@example.com", "company_primary": acme})
    c = client(emu)
    body = {"query": [{"and": True, "filters": [
        {"type": "fields", "subtype": "non_custom", "field": "contacts",
         "condition": "contains", "value": [ada]}]}]}  # fmt: skip
    assert c.post(f"{CO}/search", json=body).json()["count"] == 1
    c.delete(f"{CT}/{ada}")
    assert c.post(f"{CO}/search", json=body).json()["count"] == 0
    c.patch(f"{CT}/{ada}/unarchive")
    assert c.post(f"{CO}/search", json=body).json()["count"] == 1


def test_conditions_for_the_other_field_types() -> None:
    emu = KizenEmulator()
    acme = emu.seed_record("companies_company", {"name": "Acme"})
    emu.seed_record("projects", {
        "name": "P1", "billable": True, "satisfaction": 4, "timezone": "Europe/Berlin",
        "labels": [{"name": "Hot"}], "attachments": ["f1", "f2"], "hours": 12.5,
        "start_date": "2026-03-02", "company": acme, "contact_email": "pm@acme.com",
    })  # fmt: skip
    emu.seed_record("projects", {
        "name": "P2", "billable": False, "satisfaction": 2, "timezone": "America/Chicago",
        "labels": [{"name": "Cold"}], "hours": 80, "start_date": "2025-03-09",
        "lead": emu.user_id,
    })  # fmt: skip
    emu.seed_record("projects", {"name": "P3"})
    c = client(emu)
    hot = emu.field("projects", "labels").option_named("Hot")
    assert hot is not None

    def found(name: str, condition: str, value: Any) -> list[str]:
        fid = emu.field("projects", name).id
        body = {"query": [{"filters": [{"type": "fields_v2", "subtype": "custom",
                                         "field": f'"custom"::{fid}', "condition": condition,
                                         "value": value}]}]}  # fmt: skip
        r = c.post("/api/records/projects/search", json=body)
        assert r.status_code == 200, r.text
        return [values(x)["name"] for x in r.json()["results"]]

    assert found("billable", "=", True) == ["P1"]
    assert found("billable", "=", False) == ["P2", "P3"]
    assert found("satisfaction", "is_any_of", ["4", "5"]) == ["P1"]
    assert found("satisfaction", ">=", "2") == ["P1", "P2"]
    assert found("timezone", "=", "Europe/Berlin") == ["P1"]
    assert found("timezone", "!=", "Europe/Berlin") == ["P2", "P3"]
    assert found("labels", "has_any", [hot.id]) == ["P1"]
    assert found("labels", "is_blank", True) == ["P3"]
    assert found("attachments", ">", 1) == ["P1"]
    assert found("hours", "between", ["10", "20"]) == ["P1"]
    assert found("start_date", "month_equals", "2026-03") == ["P1"]
    assert found("start_date", "month_equals", 3) == ["P1", "P2"]
    assert found("start_date", "<", "2026-01-01") == ["P2"]
    assert found("company", "contains", [acme]) == ["P1"]
    assert found("company", "is_blank", True) == ["P2", "P3"]
    assert found("lead", "=", "is_me") == ["P2"]
    assert found("contact_email", "ends_with", "@ACME.com") == ["P1"]


def test_contact_email_status_by_slug_and_phone() -> None:
    emu = KizenEmulator()
    emu.seed_record("client_client", {"email": "a@x.com", "email_status": {"name": "Opted In"},
                                      "mobile_phone": "+13125550100"})  # fmt: skip
    emu.seed_record("client_client", {"email": "b@x.com", "email_status": {"name": "Unsubscribed"}})
    c = client(emu)

    def found(name: str, condition: str, value: Any) -> list[str]:
        body = {"query": [{"filters": [default(name, condition, value)]}]}
        return [values(x)["email"] for x in c.post(f"{CT}/search", json=body).json()["results"]]

    assert found("email_status", "=", "opted_in") == ["a@x.com"]
    assert found("email_status", "is_none_of", ["opted_in"]) == ["b@x.com"]
    assert found("mobile_phone", "contains", "5550100") == ["a@x.com"]
    bad = c.post(
        f"{CT}/search",
        json={"query": [{"filters": [default("mobile_phone", "starts_with", "+1")]}]},
    )
    assert bad.status_code == 400


def test_a_batched_match_search_reads_only_the_records_it_names() -> None:
    """Issue 24: an upsert batch searches for many e-mails at once, one group of ``=`` filters
    joined by "or"; the emulator takes the candidates from its identity index (as for one
    ``=``) instead of reading every record, and answers as a scan would."""
    emu = KizenEmulator(seed="demo", demo_size=2000)
    state = emu.store.objects["client_client"]
    c = client(emu)
    emails = [values(r)["email"] for r in emu.records("client_client")[::100]]
    wanted = [*emails, emails[3].upper(), "nobody@nowhere.io"]
    group = [{"type": "fields", "subtype": "non_custom", "field": "email", "condition": "=",
              "value": e} for e in wanted]  # fmt: skip
    body = {"query": [{"and": False, "filters": group}], "and": False}
    state.records = CountingDict(state.records)
    CountingDict.reads = 0
    found = c.post(f"{CT}/search", params={"page_size": 1000}, json=body).json()
    assert CountingDict.reads <= len(wanted) * 3  # not ~2,000
    assert sorted(values(r)["email"] for r in found["results"]) == sorted(emails)
    # an "and" of the same filters is not a batch: scanned, and nothing has every e-mail
    body = {"query": [{"and": True, "filters": group[:2]}], "and": True}
    assert c.post(f"{CT}/search", json=body).json()["count"] == 0
