"""The codec against every real recording (tests/data, cassettes/attio) and the spec's examples."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from crmbridge_attio import (
    codec,
    decode_attribute,
    decode_entry,
    decode_error,
    decode_object,
    decode_record,
)
from crmbridge_attio.types import TYPES

import crmbridge as cb

DATA = Path(__file__).parent / "data"
CASSETTES = Path(__file__).parents[3] / "cassettes" / "attio"


def cassette(name: str) -> list[dict[str, Any]]:
    """The interactions of a recorded cassette, with response bodies parsed."""
    doc = yaml.safe_load((CASSETTES / f"{name}.yaml").read_text())
    out = []
    for item in doc["interactions"]:
        response = item["response"]
        out.append(
            {
                "request": item["request"],
                "status": response["status"]["code"],
                "headers": response["headers"],
                "body": json.loads(response["body"]["string"]),
            }
        )
    return out


def data(name: str) -> Any:
    return json.loads((DATA / name).read_text())


def people_fields() -> dict[str, cb.FieldSpec]:
    body = cassette("attributes_list_people")[0]["body"]
    return {f.slug: f for f in (decode_attribute(a) for a in body["data"])}


# --- every recorded file decodes ---------------------------------------------------------------


def test_every_cassette_and_data_file_is_used() -> None:
    """A new recording dropped into the folders must get a test here."""
    assert {p.stem for p in CASSETTES.glob("*.yaml")} == {
        "attributes_list_people", "companies_list", "companies_query", "lists_list",
        "objects_list", "records_global_search", "self_identify", "statuses_list_deals_stage",
    }  # fmt: skip
    assert {p.name for p in (DATA / "errors").glob("*.json")} == set(ERROR_FILES)
    assert {p.name for p in (DATA / "responses").glob("*.json")} == {
        "people_create_rbeene.json",
        "people_query_rbeene.json",
    }


def test_companies_query_records() -> None:
    """companies_query.yaml: five real companies with domains, text, selects, references."""
    body = cassette("companies_query")[0]["body"]
    records = [decode_record(item, object="companies") for item in body["data"]]
    assert len(records) == 5
    first = records[0]
    assert first.id == "498f9009-e208-4386-90ce-f4c272b13a74"
    assert first.object == "companies"
    assert (
        first.url
        == "https://app.attio.com/doherty-consulting/company/498f9009-e208-4386-90ce-f4c272b13a74"
    )
    assert first.created_at == dt.datetime(2026, 5, 9, 21, 43, 8, 480000, tzinfo=dt.UTC)
    assert first["name"] == "Popl"
    assert first["domains"] == ["popl.co"]  # standard multiselect: a list even with one value
    assert first["team"] == []
    labels = [o.label for o in first["categories"]]
    assert labels[:2] == ["B2C", "Information Technology & Services"]
    assert first["categories"][0].id == "d4289cb1-4811-4b11-a28b-3ad2880d50b7"
    assert first.raw is body["data"][0]
    # Every attribute in the payload is a field; every value decoded to a neutral type.
    for record, item in zip(records, body["data"], strict=True):
        assert set(record.fields) == set(item["values"])
        for slug, value in record.fields.items():
            elements = item["values"][slug]
            if not elements:
                assert value in (None, [])
            else:
                assert value is not None, slug
                if isinstance(value, list):
                    assert len(value) == len(elements)


#: The neutral class each Attio type decodes to (the type table's promise).
EXPECTED_CLASS: dict[str, type | tuple[type, ...]] = {
    "text": str, "domain": str, "select": cb.Option, "record-reference": cb.Ref,
    "actor-reference": cb.User, "timestamp": dt.datetime, "number": (int, float, Decimal),
    "location": cb.Location, "currency": cb.Money, "interaction": cb.Interaction,
    "date": dt.date, "checkbox": bool, "rating": int, "status": cb.Option,
    "email-address": str, "phone-number": str, "personal-name": cb.PersonName,
}  # fmt: skip


def test_companies_query_covers_types() -> None:
    """Each attribute type that occurs in the recording decodes to its table's neutral class."""
    body = cassette("companies_query")[0]["body"]
    expected_class = EXPECTED_CLASS
    seen = set()
    for item in body["data"]:
        for elements in item["values"].values():
            for element in elements:
                kind = element["attribute_type"]
                seen.add(kind)
                value = TYPES[kind].decode(element, None)
                assert isinstance(value, expected_class[kind]), (kind, value)
    assert {"text", "domain", "select", "timestamp", "actor-reference"} <= seen


def test_people_query_rbeene() -> None:
    """people_query_rbeene.json: personal-name, email-address, phone-number (``phone_number``)."""
    record = decode_record(data("responses/people_query_rbeene.json")["data"][0])
    assert record.object == "445e7c02-0068-4b3c-8937-aebbf7530920"  # no slug given: the object id
    assert record["name"] == cb.PersonName("Phone", "Test", "Phone Test")
    assert record["email_addresses"] == ["phone_test_1753196820.501433@example.com"]
    assert record["phone_numbers"] == ["+12125551234"]
    assert record["record_id"] == "0174bfac-74b9-41de-b757-c6fa2a68ab00"


def test_people_create_rbeene_with_envelope_and_schema() -> None:
    """people_create_rbeene.json keeps the ``{"data"}`` envelope; empty attributes are ``[]``."""
    payload = data("responses/people_create_rbeene.json")
    fields = people_fields()
    record = decode_record(payload, object="people", fields=fields)
    assert record.id == "a9ccd85f-921f-49c1-8b0a-80b2ae723056"
    assert record.raw is payload
    assert record["email_addresses"] == []  # multi: empty list
    assert record["company"] is None  # single reference: None
    assert record["primary_location"] is None
    assert record["created_at"] == dt.datetime(2025, 7, 27, 1, 45, 27, 405000, tzinfo=dt.UTC)
    assert record["name"].display == "Test PersonVCR"


def test_an_attribute_the_answer_leaves_out_is_absent_not_empty() -> None:
    """Attio answers an empty attribute as ``[]`` (given, empty); one missing from ``values`` was
    not given and must never be taken for a cleared value (docs/design.md §9)."""
    payload = data("responses/people_create_rbeene.json")
    fields = people_fields()
    del payload["data"]["values"]["job_title"]
    record = decode_record(payload, object="people", fields=fields)
    assert not record.given("job_title")
    assert "job_title" in record.absent
    assert record.given("company")
    assert record["company"] is None


def test_attributes_list_people() -> None:
    """attributes_list_people.yaml: 44 attributes with the flags of docs/reference/attio.md §2."""
    fields = people_fields()
    assert len(fields) == 44
    email = fields["email_addresses"]
    assert (email.type, email.multi, email.unique, email.writable) == (
        cb.FieldType.email, True, True, True,
    )  # fmt: skip
    assert fields["record_id"].unique
    assert not fields["record_id"].writable
    assert not fields["avatar_url"].writable  # enriched
    assert fields["first_interaction"].type is cb.FieldType.interaction
    assert not fields["first_interaction"].writable
    assert fields["name"].type is cb.FieldType.person_name
    assert fields["company"].type is cb.FieldType.reference
    assert fields["company"].target_objects == ("74179437-bcdc-48d0-b401-e569a1278368",)
    assert fields["lead_source"].type is cb.FieldType.option
    assert fields["strongest_connection_user"].type is cb.FieldType.user
    assert fields["last_meeting_date"].type is cb.FieldType.date
    assert fields["company"].provider_id == "d980b8e1-25e4-4da6-9969-9dc0c34d172d"
    assert {f.slug for f in fields.values() if f.multi} == {
        "email_addresses", "phone_numbers", "associated_deals", "outreach_activities",
    }  # fmt: skip


def test_attribute_reference_targets_as_slugs() -> None:
    """Attio's config names target objects by id; with the object list they become slugs."""
    objects = [decode_object(o) for o in cassette("objects_list")[0]["body"]["data"]]
    slugs = {o.provider_id: o.slug for o in objects if o.provider_id}
    raw = next(
        a
        for a in cassette("attributes_list_people")[0]["body"]["data"]
        if a["api_slug"] == "company"
    )
    assert decode_attribute(raw, object_slugs=slugs).target_objects == ("companies",)
    assert decode_attribute({"data": raw}).slug == "company"


def test_objects_and_lists() -> None:
    """objects_list.yaml and lists_list.yaml → ObjectSpec of kind object / list."""
    objects = [decode_object(o) for o in cassette("objects_list")[0]["body"]["data"]]
    assert [o.slug for o in objects] == [
        "people", "companies", "projects", "workspace_members", "activities", "deals",
    ]  # fmt: skip
    assert objects[0] == cb.ObjectSpec("people", "People", "0b1c77ca-9b81-47ba-8d2e-490c74901031")
    lists = [decode_object(o) for o in cassette("lists_list")[0]["body"]["data"]]
    assert [(x.slug, x.kind, x.label) for x in lists] == [
        ("target_logos_6", "list", "Target Logos"),
        ("deal_movement_last_7_days", "list", "Deal Movement Last 7 Days"),
        ("test_list", "list", "Test List"),
    ]
    parent = codec.parent_field(lists[1])
    assert parent.target_objects == ("deals",)
    assert parent.type is cb.FieldType.reference
    assert parent.unique


def test_statuses_deals_stage() -> None:
    """statuses_list_deals_stage.yaml → options with status ids, in order."""
    options = codec.decode_options(cassette("statuses_list_deals_stage")[0]["body"])
    assert [o.label for o in options] == [
        "Discovery", "Solution Definition", "Proposal", "Negotiation", "Closed Won", "Closed Lost",
    ]  # fmt: skip
    assert options[4].id == "426f1faa-7ed3-425a-80f5-ff3ee3db3912"


def test_archived_options_are_left_out() -> None:
    body = {
        "data": [
            {"id": {"option_id": "a"}, "title": "Live", "is_archived": False},
            {"id": {"option_id": "b"}, "title": "Old", "is_archived": True},
        ]
    }
    assert codec.decode_options(body) == (cb.Option("Live", "a"),)


# --- entries, history ----------------------------------------------------------------------------

ENTRY = {
    "id": {"workspace_id": "w", "list_id": "l-1", "entry_id": "e-1"},
    "parent_record_id": "r-1",
    "parent_object": "companies",
    "created_at": "2024-11-02T10:00:00.000000000Z",
    "entry_values": {
        "stage": [
            {
                "active_from": "2024-11-02T10:00:00.000000000Z",
                "active_until": None,
                "created_by_actor": {"type": "workspace-member", "id": "m-1"},
                "status": {"id": {"status_id": "s-1"}, "title": "Lead", "is_archived": False},
                "attribute_type": "status",
            }
        ],
        "priority": [
            {
                "active_from": "2024-11-02T10:00:00.000000000Z",
                "active_until": None,
                "created_by_actor": {"type": "workspace-member", "id": "m-1"},
                "value": 4,
                "attribute_type": "rating",
            }
        ],
    },
}


def test_decode_entry() -> None:
    """A list entry: entry values as fields, the parent record as a Ref in ``parent``."""
    entry = decode_entry({"data": ENTRY}, list="pipeline")
    assert entry.object == "pipeline"
    assert entry.id == "e-1"
    assert entry["parent"] == cb.Ref("companies", "r-1")
    assert entry["stage"] == cb.Option("Lead", "s-1")
    assert entry["priority"] == 4
    assert decode_entry(ENTRY).object == "l-1"


def test_history_documented_example() -> None:
    """documented_examples.json historic_value_actor_reference: one closed version."""
    example = next(e for e in data("documented_examples.json")["examples"]
                   if e["name"] == "historic_value_actor_reference")  # fmt: skip
    versions = codec.decode_history(example["body"])
    assert len(versions) == 1
    version = versions[0]
    stamp = dt.datetime(2023, 1, 1, 15, 0, tzinfo=dt.UTC)
    assert version.active_from == stamp
    assert version.active_until == stamp
    assert version.value == cb.User(
        id="50cf242c-7fa3-4cad-87d0-75b1af71c57b", kind="workspace-member"
    )
    assert version.actor == cb.User(id="50cf242c-7fa3-4cad-87d0-75b1af71c57b",
                                    kind="workspace-member")  # fmt: skip


def test_only_active_values_are_current() -> None:
    """Elements with ``active_until`` set are history, not the current value."""
    old = {
        "active_until": "2024-01-01T00:00:00.000000000Z",
        "value": "old",
        "attribute_type": "text",
    }
    new = {"active_until": None, "value": "new", "attribute_type": "text"}
    assert codec.decode_values({"title": [old, new]}) == {"title": "new"}


# --- drift (docs/reference/attio.md §1) ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("element", "expected"),
    [
        ({"currency_value": 47500000, "currency_code": "USD"}, cb.Money(47500000, "USD")),
        ({"currency_value": "499.00", "currency_code": "EUR"}, cb.Money(Decimal("499.00"), "EUR")),
        ({"currency_value": 0.1, "currency_code": None}, cb.Money(Decimal("0.1"))),
    ],
)
def test_currency_number_or_string(element: dict[str, Any], expected: cb.Money) -> None:
    assert TYPES["currency"].decode({**element, "attribute_type": "currency"}, None) == expected


@pytest.mark.parametrize("key", ["phone_number", "normalized_phone_number"])
def test_phone_number_key_drift(key: str) -> None:
    element = {key: "+447777777777", "original_phone_number": "07777 777777", "country_code": "GB"}
    assert TYPES["phone-number"].decode(element, None) == "+447777777777"


def test_full_datetime_in_date_field() -> None:
    assert TYPES["date"].decode({"value": "2023-01-01T15:00:00.000000000Z"}, None) == dt.date(
        2023, 1, 1
    )


def test_unknown_future_type_is_kept_raw() -> None:
    element = {
        "active_from": "2026-01-01T00:00:00.000000000Z",
        "active_until": None,
        "created_by_actor": {"type": "system", "id": None},
        "attribute_type": "hologram",
        "beam": {"x": 1},
    }
    fields = codec.decode_values({"projector": [element]})
    assert fields == {"projector": {"beam": {"x": 1}}}
    spec = decode_attribute({"api_slug": "projector", "title": "P", "type": "hologram",
                             "is_writable": True})  # fmt: skip
    assert spec.type is cb.FieldType.unknown
    assert not spec.writable


def test_select_as_bare_uuid_or_title() -> None:
    """The spec allows a select/status value to be a bare id (docs/reference/attio.md §1 gap 4)."""
    spec = cb.FieldSpec("stage", "Stage", cb.FieldType.status,
                        options=[cb.Option("Lead", "11f07f01-c10f-4e05-a522-33e050bc52ee")])  # fmt: skip
    element = {"status": "11f07f01-c10f-4e05-a522-33e050bc52ee"}
    assert TYPES["status"].decode(element, spec) == cb.Option(
        "Lead", "11f07f01-c10f-4e05-a522-33e050bc52ee"
    )
    assert TYPES["select"].decode({"option": "Medium"}, None) == cb.Option("Medium")


def test_not_a_record_is_a_provider_error() -> None:
    with pytest.raises(cb.ProviderError, match="list where a record"):
        decode_record({"data": []})


# --- spec examples ---------------------------------------------------------------------------------


def _example(schema: dict[str, Any], components: dict[str, Any]) -> Any:
    if "$ref" in schema:
        return _example(components[schema["$ref"].rsplit("/", 1)[1]], components)
    if "example" in schema:
        return schema["example"]
    if schema.get("type") == "object" or "properties" in schema:
        return {k: _example(v, components) for k, v in schema.get("properties", {}).items()}
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return _example(schema[key][0], components)
    return None


def spec_output_examples() -> list[tuple[str, dict[str, Any]]]:
    spec = data("spec_value_schemas.json")
    out = []
    for variant in spec["output-value"]["anyOf"]:
        element = _example(variant, spec)
        out.append((element["attribute_type"], element))
    return out


@pytest.mark.parametrize(("kind", "element"), spec_output_examples())
def test_spec_output_examples(kind: str, element: dict[str, Any]) -> None:
    """Every ``output-value`` variant of the spec, built from its property examples, decodes."""
    value = TYPES[kind].decode(element, None)
    assert isinstance(value, EXPECTED_CLASS[kind]), (kind, value)
    assert value != TYPES[kind].decode({}, None) or kind == "actor-reference"


def test_spec_covers_the_17_types() -> None:
    assert {kind for kind, _ in spec_output_examples()} == set(TYPES)
    assert len(TYPES) == 17


# --- errors ----------------------------------------------------------------------------------------

ERROR_FILES = {
    "rbeene_400_validation_type_missing_values.json": cb.ValidationError,
    "rbeene_400_validation_type_personal_name.json": cb.ValidationError,
    "rbeene_401_auth_error.json": cb.AuthError,
    "rbeene_404_not_found_endpoint.json": cb.NotFound,
}


@pytest.mark.parametrize(("name", "cls"), ERROR_FILES.items())
def test_recorded_error_bodies(name: str, cls: type[cb.CRMError]) -> None:
    body = data(f"errors/{name}")
    error = decode_error(body["status_code"], body, request_id="exec-1")
    assert type(error) is cls
    assert error.code == body["code"]
    assert error.message == body["message"]
    assert error.status == body["status_code"]
    assert error.request_id == "exec-1"
    assert error.raw is body
    assert error.provider == "attio"


def test_validation_paths_name_the_attribute() -> None:
    """The personal-name 400 names attribute ``name`` in its message and the keys in paths."""
    body = data("errors/rbeene_400_validation_type_personal_name.json")
    error = decode_error(400, body)
    assert isinstance(error, cb.ValidationError)
    assert [(e.field, e.path, e.expected) for e in error.field_errors] == [
        ("name", ("first_name",), "string"),
        ("name", ("last_name",), "string"),
        ("name", ("full_name",), "string"),
    ]
    missing = decode_error(400, data("errors/rbeene_400_validation_type_missing_values.json"))
    assert isinstance(missing, cb.ValidationError)
    assert missing.field_errors[0].path == ("data", "values")


def test_documented_error_codes() -> None:
    """Every code of docs/reference/attio.md §5 / documented_examples.json maps to the core tree."""
    examples = {e["name"]: e for e in data("documented_examples.json")["examples"]}
    bodies = [*examples["spec_error_examples"]["bodies"]]
    for name in ("assert_matching_attribute_not_unique", "create_uniqueness_conflict",
                 "rate_limit_429"):  # fmt: skip
        bodies.append(examples[name]["body"])
    expected = {
        "value_not_found": cb.ValidationError, "missing_value": cb.ValidationError,
        "filter_error": cb.ValidationError, "immutable_value": cb.ValidationError,
        "multiple_match_results": cb.Conflict, "system_edit_unauthorized": cb.ValidationError,
        "billing_error": cb.PermissionDenied, "not_found": cb.NotFound,
        "slug_conflict": cb.Conflict, "matching_attribute_definition_not_unique": cb.ValidationError,
        "uniqueness_conflict": cb.Conflict, "rate_limit_exceeded": cb.RateLimited,
    }  # fmt: skip
    assert {b["code"] for b in bodies} == set(expected)
    for body in bodies:
        error = decode_error(body["status_code"], body, retry_after=1.5)
        assert type(error) is expected[body["code"]], body["code"]
        assert error.code == body["code"]
    limited = decode_error(429, examples["rate_limit_429"]["body"], retry_after=1.5)
    assert isinstance(limited, cb.RateLimited)
    assert limited.retry_after == 1.5


def test_recorded_cassette_errors() -> None:
    """companies_list.yaml (404: there is no GET …/records) and records_global_search.yaml (400)."""
    listing = cassette("companies_list")[0]
    error = decode_error(listing["status"], listing["body"])
    assert isinstance(error, cb.NotFound)
    assert "GET /v2/objects/companies/records" in error.message
    search = cassette("records_global_search")[0]
    error = decode_error(search["status"], search["body"])
    assert isinstance(error, cb.ValidationError)
    assert error.field_errors[0].field == "request_as"
    assert error.field_errors[0].code == "invalid"


@pytest.mark.parametrize(
    ("status", "body", "cls"),
    [
        (502, "<html><body>Bad gateway</body></html>", cb.ProviderError),
        (200, '{"data": [', cb.ProviderError),
        (500, {"status_code": 500, "type": "api_error", "code": "internal"}, cb.ProviderError),
        (400, {"status_code": 400, "code": "brand_new_code", "message": "x"}, cb.ValidationError),
        (418, {"message": "teapot"}, cb.ProviderError),
        (429, "slow down", cb.RateLimited),
    ],
)
def test_unusual_error_bodies(status: int, body: Any, cls: type[cb.CRMError]) -> None:
    error = decode_error(status, body)
    assert type(error) is cls
    if isinstance(body, str):
        assert error.raw == body
        assert "not JSON" in error.message


def test_status_value_labelled_select_decodes_by_schema() -> None:
    """The status docs page example labels a status value "select" (docs/reference/attio.md §1 gap 7):
    with the schema, the attribute's real type wins."""
    spec = decode_attribute({"api_slug": "stage", "title": "Stage", "type": "status"})
    element = {
        "active_until": None,
        "status": {"id": {"status_id": "s-1"}, "title": "Won", "is_archived": False},
        "attribute_type": "select",
    }
    assert codec.decode_values({"stage": [element]}, {"stage": spec}) == {
        "stage": cb.Option("Won", "s-1")
    }


def test_a_reference_that_is_neither_an_id_nor_a_match_value_is_refused() -> None:
    """A mistyped company id would be sent as a domain, which Attio calls an invalid domain of
    ``domains``: refused here, naming the field and what it takes."""
    company = codec.decode_attribute(
        {"api_slug": "company", "title": "Company", "type": "record-reference",
         "is_writable": True,
         "config": {"record_reference": {"allowed_object_ids": ["companies"]}}}
    )  # fmt: skip
    with pytest.raises(cb.ValidationError) as info:
        codec.encode_values({"company": company}, {"company": cb.Ref("companies", "not-an-id")})
    (error,) = info.value.field_errors
    assert error.field == "company"
    assert error.expected == "a record id (UUID) or a domain (acme.com) for 'companies'"
    encoded = codec.encode_values(
        {"company": company}, {"company": cb.Ref("companies", "acme.com")}
    )
    assert encoded["company"]["target_object"] == "companies"
