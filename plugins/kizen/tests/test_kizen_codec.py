"""The codec on the real recordings, the documented examples, and one row per field type."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import attrs
import pytest
from crmbridge_kizen import codec
from crmbridge_kizen.types import TYPES
from kizen_support import load, record_payload, schema_from

from crmbridge import (
    AuthError,
    Conflict,
    FieldSpec,
    FieldType,
    File,
    Money,
    NotFound,
    Option,
    PermissionDenied,
    ProviderError,
    RateLimited,
    Ref,
    Unsupported,
    User,
    ValidationError,
    add,
    clear,
    remove,
)
from crmbridge.provider import ObjectSchema

CDT = dt.timezone(dt.timedelta(hours=-5))

# --- the live recordings -------------------------------------------------------------------


def test_decode_record_live_tax_lot() -> None:
    """recording get_tax_lot.json (live, sanitized): keyed by api_name, not by field UUID."""
    payload = load("get_tax_lot.json")
    record = codec.decode_record(payload, "tax_lot")
    assert record.id == "2d1d0799-d975-41d7-afa4-176d19e5159c"
    assert record.object == "tax_lot"
    assert record["current_value"] == Money(Decimal("320.81"), "USD")
    assert record["purchase_price"] == Money(Decimal("274.84"), "USD")
    assert record["number_of_shares"] == Decimal("5")
    assert record["ticker_symbol"] == "VTI"
    assert record["name"] == "VTI - 20250331"
    assert record["owner"] == User(
        id="916dac1b-5640-4268-9324-06132f342488", email="alex@example.com", name="Alex Example"
    )
    assert record.created_at == dt.datetime(2026, 3, 31, 12, 27, 20, 152070, tzinfo=CDT)
    assert record["updated"] == dt.datetime(2026, 3, 31, 16, 23, 53, 231165, tzinfo=CDT)
    assert set(record.fields) == {f["name"] for f in payload["fields"].values()}
    assert record.raw == payload


def test_decode_fields_live_patients(patients: ObjectSchema) -> None:
    """recording patients.excerpt.json (live schema, tool-level api_name spelling)."""
    f = patients.fields
    assert f["name"].type is FieldType.text
    assert f["name"].unique
    assert f["name"].required
    assert f["created"].type is FieldType.datetime
    assert not f["created"].writable
    assert f["owner"].type is FieldType.user
    assert not f["owner"].required  # is_required, but Kizen fills it in (doc add_request)
    assert f["date_of_birth"].type is FieldType.date
    assert f["gender"].type is FieldType.option
    assert [o.label for o in f["gender"].options] == ["Male", "Female", "Other", "Unknown"]
    assert f["gender"].options[1].id == "78238cfd-d8f7-4539-ba19-76435a6bd92c"
    assert f["deceased"].type is FieldType.bool
    enc = f["encounters"]
    assert enc.type is FieldType.reference
    assert enc.multi
    assert enc.target_objects == ("encounters",)
    assert f["primary_phone"].type is FieldType.phone
    assert f["email_address"].type is FieldType.email
    assert not f["email_address"].unique
    assert f["pain_level"].type is FieldType.rating
    assert f["preferred_contact_method"].type is FieldType.option
    assert f["gender"].provider_id == "7a55629f-6265-435e-b5a3-6c1be2d73164"
    assert patients.object.provider_id == "ceed733b-9dd9-4bf9-8c52-8ba1ac41da45"
    assert patients.object.label == "Patients"


def test_decode_record_with_schema_fills_blanks(patients: ObjectSchema) -> None:
    """Blank fields are omitted by the API (docs/reference/kizen.md §1.1): None for single, [] for multi."""
    payload = record_payload("r1", name=("text", "Ada"))
    record = codec.decode_record(payload, "patients", fields=patients.fields)
    assert record["name"] == "Ada"
    assert record["gender"] is None
    assert record["encounters"] == []
    assert set(record.fields) == set(patients.fields)


def _hide(schema: ObjectSchema, slug: str) -> dict[str, FieldSpec]:
    spec = schema.fields[slug]
    hidden = attrs.evolve(spec, raw={**(spec.raw or {}), "is_hidden": True})
    return {**schema.fields, slug: hidden}


def test_an_omitted_hidden_field_is_absent_unless_hidden_fields_were_asked_for(
    patients: ObjectSchema,
) -> None:
    """Kizen leaves hidden fields out unless asked with include_hidden_fields=true, which search
    does not take (docs/reference/kizen.md §4): such a field is absent, not empty."""
    fields = _hide(patients, "gender")
    payload = record_payload("r1", name=("text", "Ada"))
    row = codec.decode_record(payload, "patients", fields=fields)
    assert "gender" not in row.fields
    assert "gender" in row.absent
    assert not row.given("gender")
    assert row.given("encounters")
    assert row["encounters"] == []  # a blank field that is not hidden is empty, and given
    got = codec.decode_record(payload, "patients", fields=fields, hidden=True)
    assert got.given("gender")
    assert got["gender"] is None


def test_a_partial_answer_gives_only_the_fields_it_holds(patients: ObjectSchema) -> None:
    """A PATCH without return_all_fields answers the written fields only (docs/reference/kizen.md §4)."""
    payload = record_payload("r1", name=("text", "Ada"))
    record = codec.decode_record(payload, "patients", fields=patients.fields, partial=True)
    assert record.fields == {"name": "Ada"}
    assert record.absent == set(patients.fields) - {"name"}


# --- the documented examples ---------------------------------------------------------------

EX = load("documented_examples.json")


def test_documented_add_response() -> None:
    """doc example add_response (app-engine docs, docs/reference/kizen.md §5): a dropdown read with code null."""
    record = codec.decode_record(EX["add_response"]["body"], "example_widgets")
    assert record["example_plugin_status"] == Option("Open", "…")


def test_documented_upsert_response_min() -> None:
    """test mock upsert_response_min (admin-cli respx): an id and an action, no fields."""
    record = codec.decode_record(EX["upsert_response_min"]["body"], "x")
    assert record.id == "rec-9"
    assert record.fields == {}


@pytest.mark.parametrize(
    ("key", "field_type", "expected"),
    [
        ("money", "money", Money(Decimal(32495), "USD")),
        ("money_empty", "money", None),
        ("dropdown", "dropdown", Option("Open", "o-open")),
        ("dynamictags", "dynamictags", [Option("Hot", "t1"), Option("Inbound", "t2")]),
        ("relationship_contacts", "relationship", [Ref("", "c1"), Ref("", "c2")]),
        ("team_selector", "team_selector",
         User(id="e1", email="grace@example.com", name="Grace Hopper")),
        ("date", "date", dt.date(2026, 3, 31)),
        ("datetime", "datetime", dt.datetime(2026, 1, 2, 15, 4, 5, tzinfo=dt.UTC)),
        ("integer", "integer", 40),
        ("checkbox", "checkbox", True),
        ("text_empty", "text", None),
        ("null", "text", None),
        ("multi_empty", "checkboxes", []),
    ],
)  # fmt: skip
def test_documented_read_value_shapes(key: str, field_type: str, expected: Any) -> None:
    """test fixture read_value_shapes_by_type (app-builder-cli kizenData.test.ts)."""
    assert codec.decode_value(field_type, EX["read_value_shapes_by_type"][key]) == expected


def test_documented_stage_read() -> None:
    """doc pipeline_stage_read: {id, name, status, order} → an Option."""
    value = {"id": "s-won", "name": "Won", "status": "won", "order": 3}
    assert codec.decode_value("stage", value) == Option("Won", "s-won")


def test_documented_write_shape(patients: ObjectSchema) -> None:
    """doc write_fields_wire_shape / upsert_request: options as {"id"}, name-keyed."""
    fields = codec.encode_fields(patients, {"gender": Option("Female", None), "name": "Ada"})
    assert fields == [
        {"name": "gender", "value": {"id": "78238cfd-d8f7-4539-ba19-76435a6bd92c"}},
        {"name": "name", "value": "Ada"},
    ]
    assert EX["upsert_request"]["body"]["fields"] == fields[:1]


# --- one row per field type, both ways -----------------------------------------------------

D = dt.datetime(2026, 3, 31, 12, 27, 20, 152070, tzinfo=CDT)

# (field, wire read value, neutral value, neutral value to write, wire write value, evidence)
ROWS: list[tuple[str, Any, Any, Any, Any, str]] = [
    ("name", "VTI", "VTI", "VTI", "VTI", "text: get_tax_lot.json"),
    ("email_address", "a@b.co", "a@b.co", "a@b.co", "a@b.co", "email: docs/reference/kizen.md §5"),
    ("notes", "two\nlines", "two\nlines", "two\nlines", "two\nlines", "longtext: docs/reference/kizen.md §5"),
    ("summary", "**b**", "**b**", "**b**", "**b**", "wysiwyg: stored as longtext, docs/reference/kizen.md §5"),
    ("phone", "+13125550100", "+13125550100", "+13125550100", "+13125550100", "docs/reference/kizen.md §5 E.164"),
    ("seats", 40, 40, 40, 40, "integer: read_value_shapes_by_type"),
    ("ratio", 5.0, Decimal("5"), Decimal("5.5"), 5.5, "decimal: get_tax_lot.json"),
    ("value", {"currency": "USD", "symbol": "$", "amount": 320.81},
     Money(Decimal("320.81"), "USD"), Money("320.81", "USD"), 320.81, "money: get_tax_lot.json"),
    ("score", 3, 3, 3, 3, "rating: docs/reference/kizen.md §5 (admin-cli coerces to int)"),
    ("renewal", "2026-03-31", dt.date(2026, 3, 31), dt.date(2026, 3, 31), "2026-03-31", "date docs/reference/kizen.md §5"),
    ("last_seen", "2026-03-31T12:27:20.152070-05:00", D, D,
     "2026-03-31T12:27:20.152070-05:00", "datetime: get_tax_lot.json"),
    ("active", True, True, False, False, "checkbox: docs/reference/kizen.md §5"),
    ("size", {"id": "opt-small", "code": "small", "name": "Small"}, Option("Small", "opt-small"),
     Option("Small", "opt-small"), {"id": "opt-small"}, "dropdown: admin-cli drift test"),
    ("channel", {"id": "opt-email", "code": "email", "name": "Email"},
     Option("Email", "opt-email"), Option("Email"), {"id": "opt-email"}, "radio: docs/reference/kizen.md §5"),
    ("flavour", {"id": "opt-sour", "code": "sour", "name": "Sour"}, Option("Sour", "opt-sour"),
     "sour", {"id": "opt-sour"}, "choices: docs/reference/kizen.md §5 (label matched case-insensitively, §11)"),
    ("region", {"id": "opt-north", "code": "north", "name": "North"},
     Option("North", "opt-north"), Option("North", "opt-north"), {"id": "opt-north"},
     "selector: docs/reference/kizen.md §5"),
    ("consent", {"id": "yn-maybe", "code": "maybe", "name": "Maybe"},
     Option("Maybe", "yn-maybe"), Option("Maybe"), {"id": "yn-maybe"}, "yesnomaybe: docs/reference/kizen.md §5"),
    ("state", {"id": "opt-open", "code": "open", "name": "Open"}, Option("Open", "opt-open"),
     Option("Open", "opt-open"), {"id": "opt-open"}, "status: docs/reference/kizen.md §5"),
    ("features", [{"id": "opt-api", "code": "api", "name": "Api"}], [Option("Api", "opt-api")],
     [Option("Api", "opt-api"), Option("Sso")], [{"id": "opt-api"}, {"id": "opt-sso"}],
     "checkboxes: docs/reference/kizen.md §5"),
    ("labels", [{"id": "t1", "name": "Hot"}], [Option("Hot", "t1")],
     [Option("Hot", "t1"), Option("New tag")], [{"id": "t1"}, {"name": "New tag"}],
     "dynamictags: read_value_shapes_by_type; new tags by name (admin-cli, docs/reference/kizen.md §5)"),
    ("attachments", [{"id": "file-1", "name": "a.pdf", "url": "https://files/a.pdf"}],
     [File("file-1", "a.pdf", "https://files/a.pdf")], [File("file-1")], ["file-1"],
     "files: docs/reference/kizen.md §5 (list of uploaded-file UUIDs)"),
    ("owner", {"id": "e1", "deleted": False, "first_name": "Alex", "last_name": "Example",
               "email": "alex@example.com"},
     User(id="e1", email="alex@example.com", name="Alex Example"), User(id="e1"), "e1",
     "team_selector: get_tax_lot.json; write a bare UUID (app-engine, docs/reference/kizen.md §5)"),
    ("company", {"id": "co-1", "name": "Acme"}, Ref("companies_company", "co-1"),
     Ref("companies_company", "co-1"), {"id": "co-1"},
     "relationship to-one: docs/reference/kizen.md §5, documented put_relationship_link"),
    ("contacts", [{"id": "c1", "display_name": "Ada"}], [Ref("client_client", "c1")],
     [Ref("client_client", "c1")], [{"id": "c1"}], "relationship to-many: docs/reference/kizen.md §5"),
    ("tz", "America/Chicago", "America/Chicago", "Europe/Paris", "Europe/Paris", "timezone docs/reference/kizen.md §5"),
    ("hologram", {"x": [1]}, {"x": [1]}, {"y": 2}, {"y": 2}, "unknown type: kept raw"),
]  # fmt: skip


def test_rows_cover_every_type(widgets: ObjectSchema) -> None:
    covered = {codec.field_type_of(widgets.fields[r[0]]) for r in ROWS}
    assert covered | {"stage"} == set(TYPES) | {"hologram"}


@pytest.mark.parametrize("row", ROWS, ids=[r[0] for r in ROWS])
def test_type_read(widgets: ObjectSchema, row: tuple[str, Any, Any, Any, Any, str]) -> None:
    slug, wire, neutral, _, _, _evidence = row
    spec = widgets.fields[slug]
    payload = record_payload("r1", **{slug: (codec.field_type_of(spec), wire)})
    assert codec.decode_record(payload, "widgets", fields=widgets.fields)[slug] == neutral


@pytest.mark.parametrize("row", ROWS, ids=[r[0] for r in ROWS])
def test_type_write(widgets: ObjectSchema, row: tuple[str, Any, Any, Any, Any, str]) -> None:
    slug, _, _, value, wire, _evidence = row
    assert codec.encode_fields(widgets, {slug: value}) == [{"name": slug, "value": wire}]


def test_type_table_neutral_types(widgets: ObjectSchema) -> None:
    expected = {
        "name": FieldType.text, "email_address": FieldType.email, "notes": FieldType.long_text,
        "summary": FieldType.long_text, "phone": FieldType.phone, "seats": FieldType.integer,
        "ratio": FieldType.number, "value": FieldType.money, "score": FieldType.rating,
        "renewal": FieldType.date, "last_seen": FieldType.datetime, "active": FieldType.bool,
        "size": FieldType.option, "channel": FieldType.option, "flavour": FieldType.option,
        "region": FieldType.option, "consent": FieldType.option, "state": FieldType.status,
        "features": FieldType.option, "labels": FieldType.tags, "attachments": FieldType.file,
        "owner": FieldType.user, "company": FieldType.reference, "contacts": FieldType.reference,
        "tz": FieldType.timezone, "stage": FieldType.status, "created": FieldType.datetime,
        "hologram": FieldType.unknown,
    }  # fmt: skip
    assert {s: f.type for s, f in widgets.fields.items()} == expected
    multi = {s for s, f in widgets.fields.items() if f.multi}
    assert multi == {"features", "labels", "attachments", "contacts"}
    assert widgets.fields["stage"].writable  # moved by the provider (PATCH …/move)


# --- reads: the awkward shapes ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("field_type", "wire", "expected"),
    [
        # orjson renders decimals as strings (docs/reference/kizen.md §5)
        ("decimal", "12.50", Decimal("12.50")),
        ("integer", "7", 7),
        ("money", {"currency": "EUR", "symbol": "€", "amount": "9.99"}, Money("9.99", "EUR")),
        ("text", {"value": "wrapped"}, "wrapped"),  # app-engine: values may be {value}
        ("rating", {"id": "r1", "name": "1 - Low", "code": "1"}, 1),
        ("rating", "4", 4),
        ("timezone", {"id": "America/Chicago", "code": "America/Chicago"}, "America/Chicago"),
        ("phonenumber", {"e164": "+13125550100", "formatted": "(312)"}, "+13125550100"),
        ("relationship", [{"id": "x1"}], [Ref("", "x1")]),
        ("files", ["f1"], [File("f1")]),
        ("team_selector", "e9", User(id="e9")),
    ],
)
def test_decode_value_variants(field_type: str, wire: Any, expected: Any) -> None:
    assert codec.decode_value(field_type, wire) == expected


def test_decode_unreadable_value_names_the_field(widgets: ObjectSchema) -> None:
    payload = record_payload("r1", renewal=("date", "last tuesday"))
    with pytest.raises(ProviderError, match="'renewal'"):
        codec.decode_record(payload, "widgets", fields=widgets.fields)


def test_decode_record_fields_as_list() -> None:
    """app-engine: ``fields`` may be an array in some surfaces (docs/reference/kizen.md §4)."""
    payload = {"id": "r1", "fields": [{"id": "f1", "name": "name", "field_type": "text",
                                        "value": "Ada"}]}  # fmt: skip
    assert codec.decode_record(payload)["name"] == "Ada"


def test_decode_record_without_id_is_an_error() -> None:
    with pytest.raises(ProviderError, match="without an id"):
        codec.decode_record({"fields": {}})


def test_value_summary_is_left_out_until_expanded(widgets: ObjectSchema) -> None:
    """Summarised relationships (> 100 values) carry value_summary, not value (docs/reference/kizen.md §1.1, §4)."""
    payload = record_payload("r1", name=("text", "W"))
    fid = widgets.fields["contacts"].provider_id
    assert fid is not None
    payload["fields"][fid] = {"id": fid, "name": "contacts", "field_type": "relationship",
                              "value_summary": {"count": 150}}  # fmt: skip
    record = codec.decode_record(payload, "widgets", fields=widgets.fields)
    assert "contacts" not in record.fields
    assert codec.summarised_fields(payload) == [(fid, "contacts")]
    merged = codec.merge_field_values(payload, fid, [{"id": "c1", "display_name": "Ada"}])
    assert codec.decode_record(merged, "widgets", fields=widgets.fields)["contacts"] == [
        Ref("client_client", "c1")
    ]
    assert merged["fields"][fid]["value_summary"] == {"count": 150}


# --- writes: changes, clearing, keys, bad input ---------------------------------------------


def test_add_remove_clear(widgets: ObjectSchema) -> None:
    fields = codec.encode_fields(
        widgets,
        {"labels": add(Option("Hot", "t1")), "features": remove("Api"), "contacts": clear(),
         "renewal": clear(), "notes": None},
    )  # fmt: skip
    assert fields == [
        {"name": "labels", "add_values": [{"id": "t1"}]},
        {"name": "features", "remove_values": [{"id": "opt-api"}]},
        {"name": "contacts", "value": []},
        {"name": "renewal", "value": None},
        # allows_nulls: false → "" (docs/reference/kizen.md §5 Clearing)
        {"name": "notes", "value": ""},
    ]


def test_fields_by_id(contacts: ObjectSchema) -> None:
    """Contacts are created with field ids (docs/reference/kizen.md §11)."""
    fields = codec.encode_fields(contacts, {"email": "a@b.co"}, key="id")
    assert fields == [{"id": "c0000000-0000-4000-8000-000000000001", "value": "a@b.co"}]


@pytest.mark.parametrize(
    ("slug", "value", "message"),
    [
        ("size", "Medium", "unknown option 'Medium'"),
        ("seats", 1.5, "expected a whole number"),
        ("seats", 2**40, "32-bit"),
        ("last_seen", dt.datetime(2026, 1, 1), "naive datetime"),
        ("renewal", D, "expected a date"),
        ("value", Money("1", "EUR"), "EUR given for a USD field"),
        ("owner", User(email="a@b.co"), "team member's id"),
        ("company", Ref("people", "p1"), "companies_company"),
        ("name", add("x"), "only apply to multi fields"),
        ("stage", Option("Won", "s1"), "PATCH .../move"),
        ("created", D, "read-only"),
        ("active", "yes", "true or false"),
    ],
)
def test_bad_values_name_the_field(
    widgets: ObjectSchema, slug: str, value: Any, message: str
) -> None:
    with pytest.raises(ValidationError) as info:
        codec.encode_fields(widgets, {slug: value})
    (error,) = info.value.field_errors
    assert error.field == slug
    assert message in str(error)


def test_bad_values_are_reported_together(widgets: ObjectSchema) -> None:
    with pytest.raises(ValidationError) as info:
        codec.encode_fields(widgets, {"seats": "x", "active": 1, "name": "ok"})
    assert [e.field for e in info.value.field_errors] == ["seats", "active"]


# --- archive policy -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("verb", "policy", "body"),
    [
        ("create", None, {"unarchive": "prompt"}),
        ("create", "unarchive", {"unarchive": "unarchive"}),
        ("create", "replace", {"unarchive": "overwrite"}),
        ("upsert", None, {"oncreate_unarchive": "unarchive"}),
        ("upsert", "error", {"oncreate_unarchive": "prompt"}),
        ("upsert", "replace",
         {"oncreate_unarchive": "overwrite", "onupdate_archived_conflict": "overwrite"}),
        ("update", None, {}),
        ("update", "replace", {"archived_conflict": "overwrite"}),
    ],
)  # fmt: skip
def test_archive_policy(verb: Any, policy: Any, body: dict[str, str]) -> None:
    assert codec.archive_policy(verb, policy) == body


def test_archive_policy_unarchive_on_update_is_unsupported() -> None:
    with pytest.raises(Unsupported, match="on update"):
        codec.archive_policy("update", "unarchive")


# --- errors ---------------------------------------------------------------------------------


def test_error_positional_fields_zipped_to_slugs() -> None:
    """doc error_record_write_positional: entry n ↔ request fields[n]; {} = accepted."""
    sent: list[dict[str, Any]] = [{"name": "name", "value": "A"}, {"name": "size", "value": {"id": "bad"}},
            {"id": "uuid-3", "value": 3}]  # fmt: skip
    body = {
        "non_field_errors": ["Record could not be saved."],
        "fields": [{}, {"value": ["Select a valid choice."]}, {"value": ["Too big."]}],
    }
    error = codec.decode_error(400, body, request_fields=sent, field_slugs={"uuid-3": "seats"})
    assert isinstance(error, ValidationError)
    assert error.message == "Record could not be saved."
    got = [(e.field, e.message, e.value) for e in error.field_errors]
    assert got == [
        (None, "Record could not be saved.", None),
        ("size", "Select a valid choice.", {"id": "bad"}),
        ("seats", "Too big.", 3),
    ]
    assert error.field_errors[1].path == ("fields", 1, "value")


def test_error_documented_examples() -> None:
    e = codec.decode_error(404, EX["error_single_detail"]["body"])
    assert isinstance(e, NotFound)
    assert e.code == "not_found"
    assert e.message == "Not found."
    e = codec.decode_error(400, EX["error_field_detailed"]["body"])
    assert isinstance(e, ValidationError)
    assert e.code == "invalid"
    assert [(x.field, x.message) for x in e.field_errors] == [("name", "Enter a valid value.")]
    e = codec.decode_error(400, EX["error_record_write_positional"]["body"])
    assert isinstance(e, ValidationError)
    assert [x.field for x in e.field_errors] == [None, "fields[1]"]  # no request to zip with


@pytest.mark.parametrize(
    ("status", "body", "cls", "code"),
    [
        (400, {"email": ["This field is required."]}, ValidationError, None),
        (400, {"email": [{"message": "exists", "code": "unique"}]}, Conflict, "unique"),
        (400, {"detail": "Field x", "code": "does_not_exist"}, ValidationError, "does_not_exist"),
        (401, {"detail": "Invalid token."}, AuthError, None),
        (403, {"detail": "No.", "code": "forbidden_field_write"}, PermissionDenied,
         "forbidden_field_write"),
        (404, {"detail": "Not found.", "code": "not_found"}, NotFound, "not_found"),
        (405, {"detail": 'Method "PUT" not allowed.'}, ProviderError, None),
        (409, {"detail": "Locked.", "code": "conflict"}, Conflict, "conflict"),
        (429, {"detail": "Slow down."}, RateLimited, None),
        (500, {"detail": "Server error."}, ProviderError, None),
        (400, ["A bare list message."], ValidationError, None),
    ],
)  # fmt: skip
def test_error_shapes(status: int, body: Any, cls: type, code: str | None) -> None:
    e = codec.decode_error(status, body, retry_after=2.0)
    assert type(e) is cls
    assert e.code == code
    assert e.status == status
    assert e.provider == "kizen"
    if cls is RateLimited:
        assert e.retry_after == 2.0  # type: ignore[attr-defined]


def test_error_html_404_is_a_provider_error_with_the_text() -> None:
    """An HTML 404 (wrong path, e.g. a trailing slash: builder-cli fixtures README, docs/reference/kizen.md §9)."""
    html = "<!DOCTYPE html><html><body><h1>Not Found</h1><p>The resource</p></body></html>"
    e = codec.decode_error(404, html)
    assert type(e) is ProviderError
    assert e.raw == html
    assert "Not Found The resource" in e.message
    assert "trailing slash" in e.message


def test_error_truncated_json_and_text_on_auth() -> None:
    e = codec.decode_error(502, '{"detail": "upstr')
    assert type(e) is ProviderError
    assert e.raw == '{"detail": "upstr'
    assert type(codec.decode_error(401, "Unauthorized")) is AuthError


def test_match_keys() -> None:
    assert codec.match_key_for("client_client") == "email"
    assert codec.match_key_for("tax_lot") == "name"
    contacts = schema_from("contacts.fields.json")
    assert [f.slug for f in contacts.fields.values() if f.unique] == ["email"]


def test_rating_outside_its_scale_is_refused(widgets: ObjectSchema) -> None:
    """The scale comes from the options' codes (1..3 in widgets.fields.json)."""
    assert codec.encode_fields(widgets, {"score": 3}) == [{"name": "score", "value": 3}]
    with pytest.raises(ValidationError, match="4 is outside the scale"):
        codec.encode_fields(widgets, {"score": 4})


class _CountingRaw(dict[str, Any]):
    """A field's metadata that counts how often its options are read."""

    def __init__(self, items: Any) -> None:
        super().__init__(items)
        self.reads = 0

    def get(self, key: str, default: Any = None) -> Any:
        if key == "options":
            self.reads += 1
        return super().get(key, default)


def test_rating_scale_read_once_per_field(widgets: ObjectSchema) -> None:
    """Writing many ratings (a migration's records) reads the field's scale once, not the
    options again for every value."""
    spec = widgets.fields["score"]
    raw = _CountingRaw(spec.raw)
    schema = ObjectSchema(widgets.object, {**widgets.fields, "score": attrs.evolve(spec, raw=raw)})
    for n in (1, 2, 3, 2, 1):
        codec.encode_fields(schema, {"score": n})
    assert raw.reads == 1


def test_rating_written_from_its_option(widgets: ObjectSchema) -> None:
    """A rating option "1 - Low" (recording patients.excerpt.json) is written as 1."""
    assert codec.encode_fields(widgets, {"score": Option("1 - Low")}) == [
        {"name": "score", "value": 1}
    ]


def test_error_paginated_envelope_with_errors() -> None:
    """A paginated answer whose ``errors`` is non-empty comes as a 400 (docs/reference/kizen.md §8)."""
    body = {"count": 0, "next": None, "previous": None, "results": [],
            "errors": ["Invalid filter: unknown field"]}  # fmt: skip
    e = codec.decode_error(400, body)
    assert isinstance(e, ValidationError)
    assert e.message == "Invalid filter: unknown field"
    assert [(x.field, x.message) for x in e.field_errors] == [
        (None, "Invalid filter: unknown field")
    ]


@pytest.mark.parametrize(
    "body",
    [
        # DRF UniqueValidator wording, positional record-write body (docs/reference/kizen.md §9)
        {"non_field_errors": [], "fields": [{"value": ["Contact with this email already exists."]}]},
        # the archived conflict of unarchive: prompt (body UNCONFIRMED, docs/reference/kizen.md §6)
        {"non_field_errors": ["An archived widget with this name already exists. Choose to "
                              "unarchive it or overwrite."], "fields": [{}]},
        {"email": [{"message": "Taken.", "code": "unique"}]},
        {"non_field_errors": ['An archived contact matches "ada@x.io". Set oncreate_unarchive.'],
         "fields": [{}]},
    ],
)  # fmt: skip
def test_uniqueness_is_a_conflict(body: dict[str, Any]) -> None:
    sent = [{"name": "email", "value": "ada@x.io"}]
    e = codec.decode_error(400, body, request_fields=sent)
    assert type(e) is Conflict
    archived = "archived" in str(body)
    assert e.code == ("archived_conflict" if archived else "unique")


@pytest.mark.parametrize(
    "body",
    [
        {"fields": [{"value": ["Enter a valid email address."]}]},
        {"non_field_errors": ["This record is not archived."]},
    ],
)
def test_other_400_stay_validation_errors(body: dict[str, Any]) -> None:
    assert type(codec.decode_error(400, body)) is ValidationError


def test_drf_fields_entry_as_a_list_of_strings_keeps_its_message() -> None:
    """DRF's plain form ``{"fields": ["This field is required."]}`` (a PUT without ``fields``,
    docs/reference/kizen.md §9): the message is the error's, not "kizen answered HTTP 400"."""
    error = codec.decode_error(400, {"fields": ["This field is required."]})
    assert "This field is required." in str(error)
    assert [(e.field, e.message) for e in error.field_errors] == [
        ("fields", "This field is required.")
    ]


def test_an_archived_conflict_says_its_message_once() -> None:
    message = 'An archived contact matches "ada@x.io". Set oncreate_unarchive.'
    error = codec.decode_error(400, {"non_field_errors": [message], "fields": [{}]})
    assert isinstance(error, Conflict)
    assert str(error).count("An archived contact") == 1


def test_a_value_for_a_field_the_match_did_not_give_is_a_change(patients: ObjectSchema) -> None:
    """The noop check reads the match with a search, which leaves hidden fields out: their value
    is unknown, so an upsert writes rather than answer noop (docs/design.md §9)."""
    fields = _hide(patients, "gender")
    row = codec.decode_record(record_payload("r1", name=("text", "Ada")), "patients", fields=fields)
    schema = ObjectSchema(patients.object, fields)
    assert codec.would_change(row, {"gender": None}, schema)
    assert not codec.would_change(row, {"name": "Ada"}, schema)
