"""Filters, sorts and pagination of ``POST …/records/query`` and ``POST …/entries/query``: the
operator set and shorthand forms of docs/reference/attio.md §4, path filters, ``filter_error``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from crmbridge_attio.emulator import AttioEmulator

PEOPLE = [
    # first, last, email, job, score, company index, phone
    ("Ada", "Lovelace", "ada@analytical.org", "Mathematician", 5, 0, "+442071234567"),
    ("Alan", "Turing", "alan@bletchley.gov.uk", "Cryptanalyst", 4, 0, None),
    ("Grace", "Hopper", "grace@navy.mil", "Rear Admiral", 3, 1, "+12025550100"),
    ("Linus", "Torvalds", "linus@kernel.org", None, None, None, None),
]
COMPANIES = [
    ("Analytical Engines", "analytical.org", ["B2B"], 1500.0),
    ("US Navy", "navy.mil", ["B2C", "SAAS"], 10.0),
]


@pytest.fixture(scope="module")
def emulator() -> AttioEmulator:
    emu = AttioEmulator()
    emu.add_attribute("people", "score", "number")
    emu.add_attribute("people", "joined", "timestamp")
    companies = []
    for i, (name, domain, categories, funding) in enumerate(COMPANIES):
        record = emu.seed_record(
            "companies",
            {
                "name": name,
                "domains": [domain],
                "categories": categories,
                "funding_raised_usd": funding,
            },
            created_at=f"2024-01-0{i + 1}T00:00:00.000000000Z",
        )
        companies.append(record)
    for i, (first, last, email, job, score, company, phone) in enumerate(PEOPLE):
        values: dict[str, Any] = {
            "name": {"first_name": first, "last_name": last, "full_name": f"{first} {last}"},
            "email_addresses": [email],
            "joined": f"202{i}-06-01T12:00:00Z",
        }
        if job:
            values["job_title"] = job
        if score is not None:
            values["score"] = score
        if company is not None:
            values["company"] = {
                "target_object": "companies",
                "target_record_id": companies[company],
            }
        if phone:
            values["phone_numbers"] = [phone]
        emu.seed_record("people", values)
    emu.add_list("pipeline", "Pipeline", "companies")
    emu.add_attribute("pipeline", "stage", "status", statuses=["New", "Won"])
    emu.seed_entry("pipeline", companies[0], {"stage": "New"})
    emu.seed_entry("pipeline", companies[1], {"stage": "Won"})
    return emu


@pytest.fixture(scope="module")
def client(emulator: AttioEmulator) -> Iterator[httpx.Client]:
    with emulator.client() as http:
        yield http


def first_names(client: httpx.Client, body: dict[str, Any]) -> list[str]:
    response = client.post("/v2/objects/people/records/query", json=body)
    assert response.status_code == 200, response.text
    return [r["values"]["name"][0]["first_name"] for r in response.json()["data"]]


@pytest.mark.parametrize(
    ("filter_", "expected"),
    [
        ({}, ["Ada", "Alan", "Grace", "Linus"]),
        ({"name": "Ada Lovelace"}, ["Ada"]),
        ({"email_addresses": "GRACE@navy.mil"}, ["Grace"]),
        ({"name": {"first_name": "Alan"}}, ["Alan"]),
        ({"name": {"last_name": {"$starts_with": "tor"}}}, ["Linus"]),
        ({"name": {"full_name": {"$contains": "OVE"}}}, ["Ada"]),
        ({"name": {"full_name": {"$ends_with": "ing"}}}, ["Alan"]),
        (
            {
                "$or": [
                    {"email_addresses": {"email_domain": "navy.mil"}},
                    {"email_addresses": {"email_domain": {"$eq": "kernel.org"}}},
                ]
            },
            ["Grace", "Linus"],
        ),
        ({"email_addresses": {"email_root_domain": "bletchley.gov.uk"}}, ["Alan"]),
        ({"name": {"$not_empty": True}}, ["Ada", "Alan", "Grace", "Linus"]),
        ({"$not": {"phone_numbers": {"country_code": {"$not_empty": True}}}}, ["Alan", "Linus"]),
        ({"score": {"$gte": 4}}, ["Ada", "Alan"]),
        ({"score": {"$lt": 4}}, ["Grace"]),
        ({"score": {"$gt": 3, "$lte": 4}}, ["Alan"]),
        ({"score": 3}, ["Grace"]),
        ({"joined": {"$gte": "2022-01-01T00:00:00Z"}}, ["Grace", "Linus"]),
        ({"joined": {"$lt": "2021"}}, ["Ada"]),
        ({"phone_numbers": {"country_code": "GB"}}, ["Ada"]),
        ({"phone_numbers": "+12025550100"}, ["Grace"]),
        (
            {"$and": [{"score": {"$gte": 3}}, {"job_title": {"$contains": "a"}}]},
            ["Ada", "Alan", "Grace"],
        ),
        ({"$or": [{"name": "Ada Lovelace"}, {"name": "Linus Torvalds"}]}, ["Ada", "Linus"]),
        ({"$not": {"score": {"$gte": 4}}}, ["Grace", "Linus"]),
        ({"score": {"$gte": 3}, "name": {"first_name": {"$starts_with": "A"}}}, ["Ada", "Alan"]),
        (
            {
                "path": [["people", "company"], ["companies", "name"]],
                "constraints": {"value": "US Navy"},
            },
            ["Grace"],
        ),
        (
            {
                "path": [["people", "company"], ["companies", "categories"]],
                "constraints": {"option": {"$eq": "B2B"}},
            },
            ["Ada", "Alan"],
        ),
        (
            {
                "path": [["people", "company"], ["companies", "funding_raised_usd"]],
                "constraints": {"currency_value": {"$gt": 100}},
            },
            ["Ada", "Alan"],
        ),
    ],
)
def test_filters(client: httpx.Client, filter_: dict[str, Any], expected: list[str]) -> None:
    assert first_names(client, {"filter": filter_}) == expected


def test_filter_by_record_id_and_reference(emulator: AttioEmulator, client: httpx.Client) -> None:
    people = emulator.records("people")
    ids = [people[0]["id"]["record_id"], people[2]["id"]["record_id"]]
    assert first_names(client, {"filter": {"record_id": {"$in": ids}}}) == ["Ada", "Grace"]
    navy = emulator.records("companies")[1]["id"]["record_id"]
    assert first_names(client, {"filter": {"company": {"target_record_id": navy}}}) == ["Grace"]
    assert first_names(
        client,
        {
            "filter": {
                "company": {"target_object": "companies", "target_record_id": {"$in": [navy]}}
            }
        },
    ) == ["Grace"]


def test_select_filters_by_title_or_id(emulator: AttioEmulator, client: httpx.Client) -> None:
    option = emulator.attribute("companies", "categories").option("SAAS")
    assert option is not None
    for value in ("SAAS", option.id, {"option": "SAAS"}, {"option": {"$eq": "SAAS"}}):
        response = client.post(
            "/v2/objects/companies/records/query", json={"filter": {"categories": value}}
        )
        assert [r["values"]["name"][0]["value"] for r in response.json()["data"]] == ["US Navy"]


def test_entries_query_with_status_and_parent_path(client: httpx.Client) -> None:
    def parents(body: dict[str, Any]) -> int:
        response = client.post("/v2/lists/pipeline/entries/query", json=body)
        assert response.status_code == 200, response.text
        return len(response.json()["data"])

    assert parents({}) == 2
    assert parents({"filter": {"stage": "Won"}}) == 1
    path = {
        "path": [["pipeline", "parent_record"], ["companies", "domains"]],
        "constraints": {"domain": "navy.mil"},
    }
    assert parents({"filter": path}) == 1
    sorted_ = client.post(
        "/v2/lists/pipeline/entries/query",
        json={
            "sorts": [
                {
                    "direction": "desc",
                    "path": [["pipeline", "parent_record"], ["companies", "name"]],
                }
            ]
        },
    ).json()["data"]
    assert [e["entry_values"]["stage"][0]["status"]["title"] for e in sorted_] == ["Won", "New"]


@pytest.mark.parametrize(
    ("sorts", "expected"),
    [
        (
            [{"direction": "asc", "attribute": "name", "field": "last_name"}],
            ["Grace", "Ada", "Linus", "Alan"],
        ),
        ([{"direction": "desc", "attribute": "name"}], ["Linus", "Grace", "Alan", "Ada"]),
        ([{"direction": "desc", "attribute": "score"}], ["Ada", "Alan", "Grace", "Linus"]),
        ([{"direction": "asc", "attribute": "score"}], ["Grace", "Alan", "Ada", "Linus"]),
        (
            [
                {"direction": "asc", "attribute": "company"},
                {"direction": "desc", "attribute": "joined"},
            ],
            None,
        ),
        (
            [{"direction": "desc", "path": [["people", "company"], ["companies", "name"]]}],
            ["Grace", "Ada", "Alan", "Linus"],
        ),
    ],
)
def test_sorts(
    client: httpx.Client, sorts: list[dict[str, Any]], expected: list[str] | None
) -> None:
    names = first_names(client, {"sorts": sorts})
    if expected is None:
        assert names[-1] == "Linus"  # rows without a value come last
        assert len(names) == 4
    else:
        assert names == expected


def test_pagination(client: httpx.Client) -> None:
    assert first_names(client, {"limit": 2}) == ["Ada", "Alan"]
    assert first_names(client, {"limit": 2, "offset": 2}) == ["Grace", "Linus"]
    assert first_names(client, {"limit": 2, "offset": 4}) == []
    assert first_names(client, {"limit": 1, "offset": 1, "filter": {"score": {"$gte": 3}}}) == [
        "Alan"
    ]
    assert first_names(
        client, {"limit": 1, "offset": 1, "sorts": [{"direction": "desc", "attribute": "score"}]}
    ) == ["Alan"]
    response = client.post("/v2/objects/people/records/query", json={"limit": 0})
    assert response.status_code == 400
    assert response.json()["code"] == "validation_type"


@pytest.mark.parametrize(
    "filter_",
    [
        {"nope": "x"},
        {"name": {"$bogus": 1}},
        {"name": {"middle_name": "x"}},
        {"score": {"$contains": "1"}},
        {"job_title": {"$gt": 3}},
        {"$or": {"name": "x"}},
        {"$ne": {"name": "x"}},
        {"primary_location": "London"},
        {"joined": {"$gte": "not a date"}},
        {"path": [["companies", "team"], ["people", "name"]], "constraints": {"first_name": "Ada"}},
        {"path": [["people", "job_title"], ["companies", "name"]], "constraints": {"value": "x"}},
        {"score": {"$in": 3}},
        ["not", "an", "object"],
        # Operators each attribute-type page of docs.attio.com does not list (issue 17):
        {"job_title": {"$not_empty": True}},  # text: $eq $in $contains $starts_with $ends_with
        {"score": {"$in": [3, 4]}},  # number: $eq $lt $lte $gt $gte
        {"score": {"$not_empty": True}},
        {"email_addresses": {"email_address": {"$in": ["ada@analytical.org"]}}},
        {"email_addresses": {"$not_empty": True}},
        {"email_addresses": {"original_email_address": "ada@analytical.org"}},
        {"phone_numbers": {"phone_number": {"$in": ["+12025550100"]}}},
        {"phone_numbers": {"$not_empty": True}},
        {"phone_numbers": {"country_code": {"$contains": "G"}}},
        {"primary_location": {"latitude": "51.5"}},
        {"primary_location": {"country_code": {"$ends_with": "B"}}},
        {"primary_location": {"$not_empty": True}},
        {"company": {"target_record_id": {"$not_empty": True}}},
        {"created_by": {"referenced_actor_id": "x"}},  # actor: both properties together
        {"created_by": {"referenced_actor_type": "system", "referenced_actor_id": {"$in": ["x"]}}},
        {"created_by": "x"},
        # A shorthand value that is an array (issue 17)
        {"email_addresses": ["ada@analytical.org"]},
        {"name": {"first_name": ["Ada", "Alan"]}},
    ],
)
def test_filter_errors(client: httpx.Client, filter_: Any) -> None:
    response = client.post("/v2/objects/people/records/query", json={"filter": filter_})
    assert response.status_code == 400, filter_
    body = response.json()
    assert body["code"] == "filter_error"
    assert body["type"] == "invalid_request_error"


@pytest.mark.parametrize(
    "sorts",
    [
        [{"attribute": "name"}],
        [{"direction": "up", "attribute": "name"}],
        [{"direction": "asc", "attribute": "nope"}],
        {"direction": "asc"},
    ],
)
def test_sort_errors(client: httpx.Client, sorts: Any) -> None:
    response = client.post("/v2/objects/people/records/query", json={"sorts": sorts})
    assert response.status_code == 400
    assert response.json()["code"] == "filter_error"


def test_match_key_queries_use_the_index_and_agree_with_a_scan(client: httpx.Client) -> None:
    """``{email_addresses: {email_address: {$in: [...]}}}`` (an upsert's read by match key) is
    answered from the uniqueness index; the answer is the scan's, in table order."""
    indexed = {
        "$or": [
            {"email_addresses": {"email_address": {"$eq": e}}}
            for e in ("GRACE@navy.mil", "ada@analytical.org", "x@y.z")
        ]
    }
    assert first_names(client, {"filter": indexed}) == ["Ada", "Grace"]
    scanned = {"$and": [indexed]}
    assert first_names(client, {"filter": scanned}) == ["Ada", "Grace"]
    assert first_names(
        client, {"filter": {"email_addresses": {"email_address": {"$eq": "alan@bletchley.gov.uk"}}}}
    ) == ["Alan"]
    assert first_names(client, {"filter": indexed, "limit": 1, "offset": 1}) == ["Grace"]
    domains = {"domains": {"domain": {"$eq": "navy.mil"}}}
    response = client.post("/v2/objects/companies/records/query", json={"filter": domains})
    assert [r["values"]["name"][0]["value"] for r in response.json()["data"]] == ["US Navy"]
