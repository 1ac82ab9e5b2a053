"""Record and entry behaviour of the Attio emulator: shapes, derived values, validation as Attio
does it, append vs overwrite vs assert, history, relationships, deletes, lists and entries
(docs/reference/attio.md §3-§5)."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from crmbridge_attio.emulator import AttioEmulator

TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{9}Z$")


def create(client: httpx.Client, obj: str, values: dict[str, Any]) -> httpx.Response:
    return client.post(f"/v2/objects/{obj}/records", json={"data": {"values": values}})


def ok(response: httpx.Response) -> Any:
    """The ``data`` of a 200 answer (an object or an array)."""
    assert response.status_code == 200, response.text
    return response.json()["data"]


def error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["code"] == code, body
    assert set(body) >= {"status_code", "type", "code", "message"}
    assert body["status_code"] == status
    return body


def person(client: httpx.Client, email: str = "ada@example.com", **more: Any) -> Any:
    return ok(create(client, "people", {"email_addresses": [email], **more}))


# --- shapes and derived values ----------------------------------------------------------------


def test_create_returns_every_attribute_with_envelopes(
    emulator: AttioEmulator, client: httpx.Client
) -> None:
    data = person(
        client, name={"first_name": "Ada", "last_name": "Lovelace", "full_name": "Ada Lovelace"}
    )
    assert set(data) == {"id", "created_at", "web_url", "values"}
    assert set(data["id"]) == {"workspace_id", "object_id", "record_id"}
    assert list(data["values"]) == list(emulator.workspace.objects["people"].visible)
    assert data["values"]["description"] == []
    for values in data["values"].values():
        for value in values:
            assert list(value)[:3] == ["active_from", "active_until", "created_by_actor"]
            assert list(value)[-1] == "attribute_type"
            assert TIMESTAMP.match(value["active_from"])
            assert value["active_until"] is None
            assert value["created_by_actor"] == {
                "type": "api-token",
                "id": emulator.workspace.token_id,
            }
    assert TIMESTAMP.match(data["created_at"])
    assert data["values"]["record_id"][0]["value"] == data["id"]["record_id"]
    assert (
        data["web_url"]
        == f"https://app.attio.com/crmbridge-emulator/person/{data['id']['record_id']}"
    )
    created_by = data["values"]["created_by"][0]
    assert created_by["referenced_actor_type"] == "api-token"


def test_derived_values(client: httpx.Client) -> None:
    company = ok(
        create(client, "companies", {"domains": ["https://www.Shop.Example.co.uk/path?q=1"]})
    )
    domain = company["values"]["domains"][0]
    assert (domain["domain"], domain["root_domain"]) == ("shop.example.co.uk", "example.co.uk")
    data = person(client, "Grace.Hopper@Navy.mil.us", name="Hopper, Grace")
    email = data["values"]["email_addresses"][0]
    assert email["original_email_address"] == "Grace.Hopper@Navy.mil.us"
    assert email["email_address"] == "grace.hopper@navy.mil.us"
    assert email["email_domain"] == "navy.mil.us"
    assert email["email_root_domain"] == "mil.us"
    assert email["email_local_specifier"] == "grace.hopper"
    name = data["values"]["name"][0]
    assert (name["first_name"], name["last_name"], name["full_name"]) == (
        "Grace",
        "Hopper",
        "Grace Hopper",
    )


def test_value_coercions(emulator: AttioEmulator, client: httpx.Client) -> None:
    for slug, kind in (
        ("seen", "timestamp"),
        ("renewal", "date"),
        ("active", "checkbox"),
        ("score", "rating"),
    ):
        emulator.add_attribute("companies", slug, kind)
    data = ok(
        create(
            client,
            "companies",
            {
                "seen": "2023-01-02T13:00:00+02:00",
                "renewal": "2023-01-02T23:00:00-10:00",
                "active": "true",
                "score": [4],
                "funding_raised_usd": "4.99",
                "foundation_date": "2023",
            },
        )
    )
    values = data["values"]
    assert values["seen"][0]["value"] == "2023-01-02T11:00:00.000000000Z"
    assert values["renewal"][0]["value"] == "2023-01-03"
    assert values["active"][0]["value"] is True
    assert values["score"][0]["value"] == 4
    assert values["funding_raised_usd"][0]["currency_value"] == 4.99
    assert values["funding_raised_usd"][0]["currency_code"] == "USD"
    assert values["foundation_date"][0]["value"] == "2023-01-01"


def test_phone_numbers(client: httpx.Client) -> None:
    data = person(
        client,
        phone_numbers=[
            "+44 20 7123 4567",
            {"original_phone_number": "0301234567", "country_code": "DE"},
        ],
    )
    phones = data["values"]["phone_numbers"]
    assert [(p["phone_number"], p["country_code"]) for p in phones] == [
        ("+442071234567", "GB"),
        ("+49301234567", "DE"),
    ]
    body = error(create(client, "people", {"phone_numbers": ["555-1234"]}), 400, "validation_type")
    assert body["message"] == 'An invalid value was passed to attribute with slug "phone_numbers".'


def test_phone_country_and_root_domain_come_from_the_real_tables(client: httpx.Client) -> None:
    """Issue 19: hand-written tables answered a Hungarian number as US and gave ``co.za`` as the
    registrable domain of ``acme.co.za``; libphonenumber and the public suffix list do not."""
    company = ok(create(client, "companies", {"domains": ["www.acme.co.za"]}))
    assert company["values"]["domains"][0]["root_domain"] == "acme.co.za"
    data = person(
        client,
        "ada@mail.acme.com.ar",
        phone_numbers=[
            "+36 1 234 5678",
            {"original_phone_number": "06 30 123 4567", "country_code": "HU"},
        ],
    )
    assert data["values"]["email_addresses"][0]["email_root_domain"] == "acme.com.ar"
    phones = data["values"]["phone_numbers"]
    assert [(p["phone_number"], p["country_code"]) for p in phones] == [
        ("+3612345678", "HU"),
        ("+36301234567", "HU"),
    ]


def test_location_needs_all_ten_keys(client: httpx.Client) -> None:
    body = error(
        create(client, "people", {"primary_location": {"locality": "London"}}),
        400,
        "validation_type",
    )
    missing = [e["path"][0] for e in body["validation_errors"]]
    assert missing == [
        "line_1",
        "line_2",
        "line_3",
        "line_4",
        "region",
        "postcode",
        "country_code",
        "latitude",
        "longitude",
    ]
    assert all(e["message"] == "Required" for e in body["validation_errors"])
    full = dict.fromkeys(
        (
            "line_1",
            "line_2",
            "line_3",
            "line_4",
            "locality",
            "region",
            "postcode",
            "country_code",
            "latitude",
            "longitude",
        )
    )
    assert ok(
        create(
            client,
            "people",
            {"primary_location": {**full, "locality": "London", "latitude": "51.5"}},
        )
    )
    body = error(
        create(client, "people", {"primary_location": {**full, "latitude": "north"}}),
        400,
        "validation_type",
    )
    parsed = ok(
        create(client, "people", {"primary_location": "1 Infinite Loop, Cupertino, CA, 95014, US"})
    )
    location = parsed["values"]["primary_location"][0]
    assert (
        location["line_1"],
        location["locality"],
        location["region"],
        location["postcode"],
        location["country_code"],
    ) == (
        "1 Infinite Loop",
        "Cupertino",
        "CA",
        "95014",
        "US",
    )


# --- validation -------------------------------------------------------------------------------


def test_required_attributes(emulator: AttioEmulator, client: httpx.Client) -> None:
    body = error(
        create(client, "deals", {"name": "x", "owner": "ada@crmbridge.test"}), 400, "missing_value"
    )
    assert emulator.attribute("deals", "stage").id in body["message"]
    assert emulator.records("deals") == []


def test_unique_attributes_conflict_and_leave_state(
    emulator: AttioEmulator, client: httpx.Client
) -> None:
    person(client, "a@example.com")
    error(
        create(client, "people", {"email_addresses": ["A@example.com"]}), 400, "uniqueness_conflict"
    )
    other = person(client, "b@example.com")
    patch = client.patch(
        f"/v2/objects/people/records/{other['id']['record_id']}",
        json={"data": {"values": {"email_addresses": ["a@example.com"], "job_title": "x"}}},
    )
    error(patch, 400, "uniqueness_conflict")
    assert len(emulator.records("people")) == 2
    assert emulator.record("people", other["id"]["record_id"])["values"]["job_title"] == []  # type: ignore[index]


def test_unknown_select_option_is_never_created(
    emulator: AttioEmulator, client: httpx.Client
) -> None:
    body = error(
        create(client, "companies", {"categories": ["B2B", "Quantum"]}), 400, "value_not_found"
    )
    assert body["message"] == 'Cannot find select attribute with select option title "Quantum".'
    assert emulator.attribute("companies", "categories").option("Quantum") is None
    assert emulator.records("companies") == []
    option_id = emulator.attribute("companies", "categories").option("B2B").id  # type: ignore[union-attr]
    data = ok(create(client, "companies", {"categories": [{"option": option_id}]}))
    assert data["values"]["categories"][0]["option"]["title"] == "B2B"


def test_multiselect_needs_an_array(client: httpx.Client) -> None:
    body = error(create(client, "companies", {"domains": "acme.com"}), 400, "validation_type")
    assert body["validation_errors"][0]["expected"] == "array"
    error(create(client, "companies", {"name": ["a", "b"]}), 400, "validation_type")


def test_non_writable_and_unknown_attributes(client: httpx.Client) -> None:
    error(create(client, "people", {"avatar_url": "https://x/y.png"}), 400, "validation_type")
    error(create(client, "people", {"first_email_interaction": None}), 400, "validation_type")
    body = error(create(client, "people", {"nope": "x"}), 400, "value_not_found")
    assert "nope" in body["message"]


def test_wrong_types_give_zod_errors(client: httpx.Client) -> None:
    body = error(create(client, "people", {"job_title": 3}), 400, "validation_type")
    assert body["validation_errors"] == [
        {
            "code": "invalid_type",
            "path": [],
            "message": "Expected string, received number",
            "expected": "string",
            "received": "number",
        }
    ]
    error(create(client, "companies", {"twitter": True}), 400, "validation_type")
    error(client.post("/v2/objects/people/records", content=b"{not json"), 400, "validation_type")


def test_references_must_exist(client: httpx.Client) -> None:
    missing = "00000000-0000-4000-8000-000000000000"
    error(
        create(
            client,
            "people",
            {"company": {"target_object": "companies", "target_record_id": missing}},
        ),
        400,
        "value_not_found",
    )
    error(create(client, "people", {"company": "nowhere.com"}), 400, "value_not_found")
    error(
        create(client, "deals", {"name": "d", "stage": "Proposal", "owner": "ghost@x.com"}),
        400,
        "value_not_found",
    )
    error(
        create(client, "deals", {"name": "d", "stage": "Nope", "owner": "ada@crmbridge.test"}),
        400,
        "value_not_found",
    )


def test_unknown_object_and_record(client: httpx.Client) -> None:
    body = error(create(client, "nope", {}), 404, "not_found")
    assert body["message"] == 'Object with slug/ID "nope" not found.'
    missing = "00000000-0000-4000-8000-000000000000"
    body = error(client.get(f"/v2/objects/people/records/{missing}"), 404, "not_found")
    assert body["message"] == f'Record with ID "{missing}" not found.'


# --- append, overwrite, assert, history -------------------------------------------------------


def test_patch_appends_and_prepends_multiselect(client: httpx.Client) -> None:
    rid = person(client, "a@example.com")["id"]["record_id"]
    data = ok(
        client.patch(
            f"/v2/objects/people/records/{rid}",
            json={"data": {"values": {"email_addresses": ["b@example.com", "a@example.com"]}}},
        )
    )
    assert [v["email_address"] for v in data["values"]["email_addresses"]] == [
        "b@example.com",
        "a@example.com",
    ]


def test_put_overwrites_multiselect_and_keeps_other_attributes(client: httpx.Client) -> None:
    rid = person(client, "a@example.com", job_title="CEO")["id"]["record_id"]
    first = ok(client.get(f"/v2/objects/people/records/{rid}"))["values"]["email_addresses"][0]
    client.patch(
        f"/v2/objects/people/records/{rid}",
        json={"data": {"values": {"email_addresses": ["b@example.com"]}}},
    )
    data = ok(
        client.put(
            f"/v2/objects/people/records/{rid}",
            json={"data": {"values": {"email_addresses": ["c@example.com", "a@example.com"]}}},
        )
    )
    emails = data["values"]["email_addresses"]
    assert sorted(v["email_address"] for v in emails) == ["a@example.com", "c@example.com"]
    kept = next(v for v in emails if v["email_address"] == "a@example.com")
    assert kept["active_from"] == first["active_from"]
    assert data["values"]["job_title"][0]["value"] == "CEO"


def test_history_is_kept(client: httpx.Client) -> None:
    rid = person(client, "a@example.com", job_title="CEO")["id"]["record_id"]
    client.patch(
        f"/v2/objects/people/records/{rid}", json={"data": {"values": {"job_title": "CTO"}}}
    )
    client.put(f"/v2/objects/people/records/{rid}", json={"data": {"values": {"job_title": None}}})
    url = f"/v2/objects/people/records/{rid}/attributes/job_title/values"
    assert ok(client.get(url)) == []
    history = client.get(url, params={"show_historic": "true"}).json()["data"]
    assert [v["value"] for v in history] == ["CEO", "CTO"]
    assert all(v["active_until"] is not None for v in history)
    assert history[0]["active_until"] == history[1]["active_from"]
    assert (
        client.get(url, params={"show_historic": "true", "limit": "1", "offset": "1"}).json()[
            "data"
        ][0]["value"]
        == "CTO"
    )
    same = client.patch(
        f"/v2/objects/people/records/{rid}", json={"data": {"values": {"job_title": "CTO"}}}
    ).json()["data"]
    again = client.patch(
        f"/v2/objects/people/records/{rid}", json={"data": {"values": {"job_title": "CTO"}}}
    ).json()["data"]
    assert (
        same["values"]["job_title"] == again["values"]["job_title"]
    )  # equal value: no new version


def test_assert_creates_then_updates(emulator: AttioEmulator, client: httpx.Client) -> None:
    url = "/v2/objects/people/records"
    params = {"matching_attribute": "email_addresses"}
    body = {
        "data": {
            "values": {"email_addresses": ["a@example.com"], "phone_numbers": ["+14155550100"]}
        }
    }
    created = ok(client.put(url, params=params, json=body))
    body = {
        "data": {
            "values": {
                "email_addresses": ["b@example.com", "a@example.com"],
                "phone_numbers": ["+14155550199"],
            }
        }
    }
    updated = ok(client.put(url, params=params, json=body))
    assert updated["id"] == created["id"]
    assert sorted(v["email_address"] for v in updated["values"]["email_addresses"]) == [
        "a@example.com",
        "b@example.com",
    ]
    assert [v["phone_number"] for v in updated["values"]["phone_numbers"]] == ["+14155550199"]
    assert len(emulator.records("people")) == 1


def test_assert_errors(client: httpx.Client) -> None:
    url = "/v2/objects/people/records"
    body = {"data": {"values": {"email_addresses": ["a@example.com"]}}}
    error(client.put(url, json=body), 400, "validation_type")
    error(client.put(url, params={"matching_attribute": "nope"}, json=body), 400, "value_not_found")
    error(
        client.put(url, params={"matching_attribute": "job_title"}, json=body),
        400,
        "matching_attribute_definition_not_unique",
    )
    error(
        client.put(
            url,
            params={"matching_attribute": "email_addresses"},
            json={"data": {"values": {"job_title": "x"}}},
        ),
        400,
        "missing_value",
    )
    person(client, "a@example.com")
    person(client, "b@example.com")
    both = {"data": {"values": {"email_addresses": ["a@example.com", "b@example.com"]}}}
    error(
        client.put(url, params={"matching_attribute": "email_addresses"}, json=both),
        400,
        "multiple_match_results",
    )


def test_assert_by_attribute_id(emulator: AttioEmulator, client: httpx.Client) -> None:
    attribute_id = emulator.attribute("companies", "domains").id
    body = {"data": {"values": {attribute_id: ["acme.com"], "name": "Acme"}}}
    first = ok(
        client.put(
            "/v2/objects/companies/records", params={"matching_attribute": attribute_id}, json=body
        )
    )
    second = ok(
        client.put(
            "/v2/objects/companies/records", params={"matching_attribute": "domains"}, json=body
        )
    )
    assert first["id"] == second["id"]


def test_delete(emulator: AttioEmulator, client: httpx.Client) -> None:
    rid = person(client)["id"]["record_id"]
    response = client.delete(f"/v2/objects/people/records/{rid}")
    assert response.status_code == 200
    assert response.json() == {}
    error(client.get(f"/v2/objects/people/records/{rid}"), 404, "not_found")
    error(client.delete(f"/v2/objects/people/records/{rid}"), 404, "not_found")
    assert person(client)["id"]["record_id"] != rid  # the unique email is free again


def test_relationships_keep_their_inverse(emulator: AttioEmulator, client: httpx.Client) -> None:
    acme = ok(create(client, "companies", {"name": "Acme", "domains": ["acme.com"]}))["id"][
        "record_id"
    ]
    globex = ok(create(client, "companies", {"name": "Globex", "domains": ["globex.com"]}))["id"][
        "record_id"
    ]
    rid = person(client, company="acme.com")["id"]["record_id"]

    def team(company: str) -> list[str]:
        record = emulator.record("companies", company)
        assert record is not None
        return [v["target_record_id"] for v in record["values"]["team"]]

    assert team(acme) == [rid]
    client.patch(
        f"/v2/objects/people/records/{rid}",
        json={
            "data": {
                "values": {"company": {"target_object": "companies", "target_record_id": globex}}
            }
        },
    )
    assert team(acme) == []
    assert team(globex) == [rid]
    client.delete(f"/v2/objects/people/records/{rid}")
    assert team(globex) == []


@pytest.mark.parametrize("size", [2, 20])  # below and above writes.SCAN_REFS
def test_an_inverse_already_holding_the_reference_gets_no_duplicate(
    emulator: AttioEmulator, client: httpx.Client, size: int
) -> None:
    """The team is written from the company's side, then each person's company names the same
    company again: the team keeps one reference per person, whether the writer scans the team's
    values (a few) or keeps a set of them (many)."""
    acme = ok(create(client, "companies", {"name": "Acme", "domains": ["acme.com"]}))["id"][
        "record_id"
    ]
    people = [person(client, f"p{i}@example.com")["id"]["record_id"] for i in range(size)]
    refs = [{"target_object": "people", "target_record_id": rid} for rid in people]
    ok(
        client.patch(
            f"/v2/objects/companies/records/{acme}", json={"data": {"values": {"team": refs}}}
        )
    )
    company = {"target_object": "companies", "target_record_id": acme}
    for rid in people:
        ok(
            client.patch(
                f"/v2/objects/people/records/{rid}", json={"data": {"values": {"company": company}}}
            )
        )
    record = emulator.record("companies", acme)
    assert record is not None
    assert sorted(v["target_record_id"] for v in record["values"]["team"]) == sorted(people)


# --- lists and entries ------------------------------------------------------------------------


@pytest.fixture
def pipeline(emulator: AttioEmulator) -> str:
    emulator.add_list("pipeline", "Pipeline", "companies")
    emulator.add_attribute("pipeline", "stage", "status", statuses=["New", "Won"])
    emulator.add_attribute(
        "pipeline", "tags", "select", is_multiselect=True, options=["a", "b", "c"]
    )
    return "pipeline"


def test_entries_lifecycle(emulator: AttioEmulator, client: httpx.Client, pipeline: str) -> None:
    company = ok(create(client, "companies", {"name": "Acme"}))["id"]["record_id"]
    body = {
        "data": {
            "parent_record_id": company,
            "parent_object": "companies",
            "entry_values": {"stage": "New", "tags": ["a"]},
        }
    }
    entry = ok(client.post(f"/v2/lists/{pipeline}/entries", json=body))
    assert set(entry) == {"id", "parent_record_id", "parent_object", "created_at", "entry_values"}
    assert entry["parent_record_id"] == company
    assert entry["parent_object"] == "companies"
    assert list(entry["entry_values"]) == ["entry_id", "created_at", "created_by", "stage", "tags"]
    entry_id = entry["id"]["entry_id"]
    url = f"/v2/lists/{pipeline}/entries/{entry_id}"
    assert ok(client.get(url))["id"] == entry["id"]
    patched = ok(client.patch(url, json={"data": {"entry_values": {"tags": ["b"]}}}))
    assert [v["option"]["title"] for v in patched["entry_values"]["tags"]] == ["b", "a"]
    put = ok(client.put(url, json={"data": {"entry_values": {"tags": ["c"], "stage": "Won"}}}))
    assert [v["option"]["title"] for v in put["entry_values"]["tags"]] == ["c"]
    history = client.get(url + "/attributes/stage/values", params={"show_historic": "true"}).json()[
        "data"
    ]
    assert [v["status"]["title"] for v in history] == ["New", "Won"]
    record_entries = ok(client.get(f"/v2/objects/companies/records/{company}/entries"))
    assert record_entries == [
        {
            "list_id": emulator.workspace.lists[pipeline].id,
            "list_api_slug": pipeline,
            "entry_id": entry_id,
            "created_at": entry["created_at"],
        }
    ]
    asserted = ok(
        client.put(
            f"/v2/lists/{pipeline}/entries",
            json={"data": {**body["data"], "entry_values": {"tags": ["a"]}}},
        )
    )
    assert asserted["id"] == entry["id"]
    assert [v["option"]["title"] for v in asserted["entry_values"]["tags"]] == ["a"]
    assert client.delete(url).json() == {}
    error(client.get(url), 404, "not_found")
    new = ok(client.put(f"/v2/lists/{pipeline}/entries", json=body))
    assert new["id"]["entry_id"] != entry_id


def test_entry_validation(client: httpx.Client, pipeline: str) -> None:
    missing = "00000000-0000-4000-8000-000000000000"
    body = {"data": {"parent_record_id": missing, "parent_object": "companies", "entry_values": {}}}
    error(client.post(f"/v2/lists/{pipeline}/entries", json=body), 400, "value_not_found")
    company = ok(create(client, "companies", {"name": "Acme"}))["id"]["record_id"]
    body = {
        "data": {
            "parent_record_id": company,
            "parent_object": "companies",
            "entry_values": {"stage": "Nope"},
        }
    }
    error(client.post(f"/v2/lists/{pipeline}/entries", json=body), 400, "value_not_found")
    error(
        client.post(f"/v2/lists/{pipeline}/entries", json={"data": {"parent_object": "companies"}}),
        400,
        "validation_type",
    )


def test_deleting_a_record_removes_its_entries(
    emulator: AttioEmulator, client: httpx.Client, pipeline: str
) -> None:
    company = ok(create(client, "companies", {"name": "Acme"}))["id"]["record_id"]
    emulator.seed_entry(pipeline, company, {"stage": "New"})
    client.delete(f"/v2/objects/companies/records/{company}")
    assert emulator.entries(pipeline) == []


def test_required_is_not_retroactive(emulator: AttioEmulator, client: httpx.Client) -> None:
    """Spec ``is_required``: existing records need no backfill; only new ones need the value."""
    rid = person(client)["id"]["record_id"]
    emulator.add_attribute("people", "tier", "text", is_required=True)
    url = f"/v2/objects/people/records/{rid}"
    assert client.patch(url, json={"data": {"values": {"job_title": "CEO"}}}).status_code == 200
    error(create(client, "people", {"job_title": "x"}), 400, "missing_value")
    assert client.patch(url, json={"data": {"values": {"tier": "gold"}}}).status_code == 200
    error(client.put(url, json={"data": {"values": {"tier": None}}}), 400, "missing_value")
