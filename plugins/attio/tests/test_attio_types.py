"""The type table, per attribute type both ways, and hypothesis round trips (neutral → write
payload → neutral) for every writable type. Write elements are checked against the spec's own
``input-value`` schema (tests/data/spec_value_schemas.json)."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from crmbridge_attio import codec
from crmbridge_attio.types import TYPES, UNKNOWN, lookup
from crmbridge_attio.values import BadValue, MatchRef
from hypothesis import given, settings
from hypothesis import strategies as st

import crmbridge as cb

SPEC = json.loads((Path(__file__).parent / "data" / "spec_value_schemas.json").read_text())
INPUT_VALUE = {**SPEC["input-value"], "components": {"schemas": {}}}

ENVELOPE = {
    "active_from": "2024-05-01T10:00:00.000000000Z",
    "active_until": None,
    "created_by_actor": {"type": "api-token", "id": "t-1"},
}


def spec_for(kind: str, *, multi: bool = False, **raw: Any) -> cb.FieldSpec:
    """A FieldSpec as decode_attribute builds it from an attribute of Attio type ``kind``."""
    payload = {
        "api_slug": "f", "title": "F", "type": kind, "is_writable": True,
        "is_multiselect": multi, **raw,
    }  # fmt: skip
    return codec.decode_attribute(payload)


STAGES = (cb.Option("Lead", "6d2b0c31-6e1d-4b5c-9b0e-0b9d7e0d1a01"),
          cb.Option("Won", "6d2b0c31-6e1d-4b5c-9b0e-0b9d7e0d1a02"))  # fmt: skip

#: type → (read element (type-specific keys), neutral value, write element)
CASES: dict[str, tuple[dict[str, Any], Any, Any]] = {
    "text": ({"value": "Popl"}, "Popl", {"value": "Popl"}),
    "number": ({"value": 24.5}, 24.5, {"value": 24.5}),
    "checkbox": ({"value": True}, True, {"value": True}),
    "currency": (
        {"currency_value": 100012, "currency_code": "USD"},
        cb.Money(100012, "USD"),
        {"currency_value": 100012},
    ),
    "date": ({"value": "2004-07-29"}, dt.date(2004, 7, 29), {"value": "2004-07-29"}),
    "timestamp": (
        {"value": "2023-11-24T15:17:48.000000000Z"},
        dt.datetime(2023, 11, 24, 15, 17, 48, tzinfo=dt.UTC),
        {"value": "2023-11-24T15:17:48Z"},
    ),
    "rating": ({"value": 4}, 4, {"value": 4}),
    "status": (
        {"status": {"id": {"status_id": STAGES[0].id}, "title": "Lead", "is_archived": False}},
        STAGES[0],
        {"status": STAGES[0].id},
    ),
    "select": (
        {"option": {"id": {"option_id": "o-1"}, "title": "B2C", "is_archived": False}},
        cb.Option("B2C", "o-1"),
        {"option": "o-1"},
    ),
    "record-reference": (
        {"target_object": "companies", "target_record_id": "891dcbfc-9141-415d-9b2a-2238a6cc012d"},
        cb.Ref("companies", "891dcbfc-9141-415d-9b2a-2238a6cc012d"),
        {"target_object": "companies", "target_record_id": "891dcbfc-9141-415d-9b2a-2238a6cc012d"},
    ),
    "actor-reference": (
        {"referenced_actor_type": "workspace-member", "referenced_actor_id": "m-1"},
        cb.User(id="m-1", kind="workspace-member"),
        {"referenced_actor_type": "workspace-member", "referenced_actor_id": "m-1"},
    ),
    "location": (
        {"line_1": "1 Infinite Loop", "line_2": None, "line_3": None, "line_4": None,
         "locality": "Cupertino", "region": "CA", "postcode": "95014", "country_code": "US",
         "latitude": "37.331741", "longitude": "-122.030333"},
        cb.Location(line_1="1 Infinite Loop", locality="Cupertino", region="CA",
                    postcode="95014", country_code="US", latitude="37.331741",
                    longitude="-122.030333"),
        {"line_1": "1 Infinite Loop", "line_2": None, "line_3": None, "line_4": None,
         "locality": "Cupertino", "region": "CA", "postcode": "95014", "country_code": "US",
         "latitude": "37.331741", "longitude": "-122.030333"},
    ),
    "domain": ({"domain": "app.attio.com", "root_domain": "attio.com"}, "app.attio.com",
               {"domain": "app.attio.com"}),
    "email-address": (
        {"original_email_address": "Alice@App.attio.com", "email_address": "alice@app.attio.com",
         "email_domain": "app.attio.com", "email_root_domain": "attio.com",
         "email_local_specifier": "alice"},
        "alice@app.attio.com",
        {"email_address": "alice@app.attio.com"},
    ),
    "phone-number": (
        {"original_phone_number": "+12125551234", "country_code": "US",
         "phone_number": "+12125551234"},
        "+12125551234",
        {"original_phone_number": "+12125551234", "country_code": None},
    ),
    "personal-name": (
        {"first_name": "Ada", "last_name": "Lovelace", "full_name": "Ada Lovelace"},
        cb.PersonName("Ada", "Lovelace", "Ada Lovelace"),
        {"first_name": "Ada", "last_name": "Lovelace", "full_name": "Ada Lovelace"},
    ),
    "interaction": (
        {"interaction_type": "email", "interacted_at": "2023-01-01T15:00:00.000000000Z",
         "owner_actor": {"type": "workspace-member", "id": "m-1"}},
        cb.Interaction("email", dt.datetime(2023, 1, 1, 15, tzinfo=dt.UTC),
                       cb.User(id="m-1", kind="workspace-member")),
        None,
    ),
}  # fmt: skip


def test_table_has_the_17_spec_types_and_one_row_each() -> None:
    assert set(CASES) == set(TYPES)
    assert len({row.neutral for row in TYPES.values()}) == 17
    assert lookup("not-a-type") is UNKNOWN
    assert lookup(None) is UNKNOWN


@pytest.mark.parametrize("kind", sorted(CASES))
def test_read(kind: str) -> None:
    """The read shape (docs/reference/attio.md §3) decodes to the neutral value."""
    element, neutral, _ = CASES[kind]
    spec = spec_for(kind)
    fields = codec.decode_values({"f": [{**ENVELOPE, **element, "attribute_type": kind}]},
                                 {"f": spec})  # fmt: skip
    assert fields == {"f": neutral}
    assert spec.type is TYPES[kind].neutral


@pytest.mark.parametrize("kind", sorted(CASES))
def test_write(kind: str) -> None:
    """The neutral value encodes to the documented write form, valid for the spec's
    ``input-value`` schema; non-writable types are refused with a ValidationError."""
    _, neutral, written = CASES[kind]
    spec = spec_for(kind)
    if written is None:
        assert not spec.writable
        with pytest.raises(cb.ValidationError, match="not writable") as info:
            codec.encode_record({"f": spec}, {"f": neutral})
        assert info.value.field_errors[0].field == "f"
        return
    assert codec.encode_record({"f": spec}, {"f": neutral}) == {"data": {"values": {"f": written}}}
    jsonschema.validate(written, INPUT_VALUE)


def test_multi_writes_arrays_and_clear_is_empty() -> None:
    spec = spec_for("email-address", multi=True)
    values = codec.encode_values({"e": spec}, {"e": ["a@x.com", "b@x.com"]})
    assert values == {"e": [{"email_address": "a@x.com"}, {"email_address": "b@x.com"}]}
    assert codec.encode_values({"e": spec}, {"e": "a@x.com"}) == {
        "e": [{"email_address": "a@x.com"}]
    }
    assert codec.encode_values({"e": spec}, {"e": cb.clear()}) == {"e": []}
    assert codec.encode_values({"e": spec}, {"e": cb.add("c@x.com")}) == {
        "e": [{"email_address": "c@x.com"}]
    }


@pytest.mark.parametrize(
    ("kind", "value", "expected"),
    [
        ("text", 3, "a string"),
        ("number", "3", "a number"),
        ("checkbox", "yes", "True or False"),
        ("rating", 6, "0 to 5"),
        ("date", dt.datetime(2024, 1, 1), "datetime.date"),
        ("phone-number", "555 1234", "E.164"),
        ("email-address", "nobody", "e-mail"),
        ("location", 12, "Location"),
        ("record-reference", "x", "Ref"),
        ("record-reference", cb.Ref("deals", "not-a-uuid"), "UUID"),
        ("actor-reference", cb.User(id="t", kind="api-token"), "workspace member"),
        ("currency", cb.Money("1.23456"), "4 decimal places"),
        ("select", 3, "Option"),
    ],
)
def test_bad_values_name_field_value_and_expectation(kind: str, value: Any, expected: str) -> None:
    spec = spec_for(kind)
    with pytest.raises(cb.ValidationError) as info:
        codec.encode_values({"f": spec}, {"f": value})
    (error,) = info.value.field_errors
    assert error.field == "f"
    assert error.value == value
    assert expected in str(error.expected)


def test_all_problems_reported_at_once() -> None:
    fields = {"a": spec_for("text"), "b": spec_for("interaction"), "c": spec_for("rating")}
    with pytest.raises(cb.ValidationError) as info:
        codec.encode_values(fields, {"a": 1, "b": None, "c": 9, "zz": "?"})
    assert sorted(e.field or "" for e in info.value.field_errors) == ["a", "b", "c", "zz"]


def test_system_attribute_refused() -> None:
    spec = codec.decode_attribute({"api_slug": "record_id", "title": "Record ID", "type": "text",
                                   "is_writable": False, "is_system_attribute": True})  # fmt: skip
    with pytest.raises(cb.ValidationError, match="cannot write") as info:
        codec.encode_values({"record_id": spec}, {"record_id": "x"})
    assert info.value.field_errors[0].code == "not_writable"


def test_currency_code_comes_from_the_attribute() -> None:
    """The code is not writable: a Money in another currency is refused, the same one accepted,
    and reads without a code get the configured one."""
    spec = spec_for("currency", config={"currency": {"default_currency_code": "EUR"}})
    assert codec.encode_values({"f": spec}, {"f": cb.Money("9.99", "EUR")}) == {
        "f": {"currency_value": 9.99}
    }
    with pytest.raises(cb.ValidationError, match="cannot write"):
        codec.encode_values({"f": spec}, {"f": cb.Money("9.99", "USD")})
    assert TYPES["currency"].decode({"currency_value": 5}, spec) == cb.Money(5, "EUR")


def test_other_write_forms() -> None:
    """Select/status by title, actor by e-mail, reference by matching attribute, phone
    normalised to E.164, name from a string, location as one line."""
    select = spec_for("select")
    assert codec.encode_value(select, cb.Option("Medium")) == {"option": "Medium"}
    actor = spec_for("actor-reference")
    assert codec.encode_value(actor, cb.User(email="a@x.com")) == {
        "workspace_member_email_address": "a@x.com"
    }
    assert codec.encode_value(actor, "a@x.com") == {"workspace_member_email_address": "a@x.com"}
    ref = spec_for("record-reference")
    assert codec.encode_value(ref, cb.Ref("companies", "acme.com")) == {
        "target_object": "companies", "domains": [{"domain": "acme.com"}],
    }  # fmt: skip
    assert codec.encode_value(ref, MatchRef("people", "email_addresses", "a@x.com")) == {
        "target_object": "people", "email_addresses": [{"email_address": "a@x.com"}],
    }  # fmt: skip
    assert codec.encode_value(ref, MatchRef("deals", "deal_code", "D-1")) == {
        "target_object": "deals", "deal_code": ["D-1"],
    }  # fmt: skip
    for element in (
        codec.encode_value(ref, cb.Ref("companies", "acme.com")),
        codec.encode_value(actor, "a@x.com"),
        codec.encode_value(select, "Medium"),
    ):
        jsonschema.validate(element, INPUT_VALUE)
    phone = spec_for("phone-number")
    assert codec.encode_value(phone, "+44 (20) 7123-4567")["original_phone_number"] == (
        "+442071234567"
    )
    assert codec.encode_value(phone, "0044 20 7123 4567")["original_phone_number"] == (
        "+442071234567"
    )
    name = spec_for("personal-name")
    # A full name alone is split as Attio splits its string form: "Last, First"; no comma means
    # a first name only (docs attribute-types-personal-name, Writing values).
    assert codec.encode_value(name, "Ada King Lovelace") == {
        "first_name": "Ada King Lovelace", "last_name": "", "full_name": "Ada King Lovelace",
    }  # fmt: skip
    assert codec.encode_value(name, cb.PersonName(full="Lovelace, Ada King")) == {
        "first_name": "Ada King", "last_name": "Lovelace", "full_name": "Lovelace, Ada King",
    }  # fmt: skip
    assert codec.encode_value(name, cb.PersonName(first="Ada")) == {
        "first_name": "Ada", "last_name": "", "full_name": "Ada",
    }  # fmt: skip
    location = spec_for("location")
    assert codec.encode_value(location, "1 Infinite Loop, Cupertino, CA, 95014, US") == (
        "1 Infinite Loop, Cupertino, CA, 95014, US"
    )
    assert len(codec.encode_value(location, cb.Location(locality="Paris"))) == 10


def test_location_coordinates_are_strings_and_country_codes_iso() -> None:
    """latitude/longitude go as strings matching the spec's patterns, country_code as an ISO
    3166-1 alpha-2 code of the spec's enum; anything else is refused before sending."""
    spec = spec_for("location")
    element = codec.encode_value(
        spec,
        cb.Location(country_code="gb", latitude=51.5, longitude="-0.1276"),  # type: ignore[arg-type]
    )
    assert (element["country_code"], element["latitude"], element["longitude"]) == (
        "GB", "51.5", "-0.1276",
    )  # fmt: skip
    jsonschema.validate(element, INPUT_VALUE)
    for bad in (cb.Location(country_code="UK"), cb.Location(latitude="91"),
                cb.Location(longitude="east")):  # fmt: skip
        with pytest.raises(cb.ValidationError):
            codec.encode_record({"f": spec}, {"f": bad})


def test_numbers_keep_four_places_and_currency_is_exact() -> None:
    """Numbers are stored with four decimal places (docs attribute-types-number): the provider
    sends what Attio keeps. Currency amounts go exactly, never in a float's exponent form."""
    number = spec_for("number")
    assert codec.encode_value(number, 3.14159) == {"value": 3.1416}
    assert codec.encode_value(number, Decimal("2.00005")) == {"value": 2.0}
    money = spec_for("currency")
    assert codec.encode_value(money, cb.Money("12345678901.25")) == {
        "currency_value": 12345678901.25
    }
    assert codec.encode_value(money, cb.Money("1E+16")) == {"currency_value": 10**16}
    for bad in (cb.Money("0.00001"), cb.Money("1234567890123.4567")):
        with pytest.raises(cb.ValidationError):
            codec.encode_record({"f": money}, {"f": bad})


def test_phone_in_national_form_says_its_country() -> None:
    """A national number needs its country (docs attribute-types-phone-number): a Phone."""
    spec = spec_for("phone-number")
    assert codec.encode_value(spec, cb.Phone("020 7123 4567", "gb")) == {
        "original_phone_number": "02071234567", "country_code": "GB",
    }  # fmt: skip
    assert codec.encode_value(spec, cb.Phone("+44 20 7123 4567", "GB")) == {
        "original_phone_number": "+442071234567", "country_code": "GB",
    }  # fmt: skip
    for bad in (cb.Phone("020 7123 4567"), cb.Phone("020 7123 4567", "XX"), "020 7123 4567"):
        with pytest.raises(cb.ValidationError):
            codec.encode_record({"f": spec}, {"f": bad})


def test_naive_datetime_is_utc_and_aware_is_converted() -> None:
    spec = spec_for("timestamp")
    paris = dt.timezone(dt.timedelta(hours=2))
    assert codec.encode_value(spec, dt.datetime(2024, 5, 1, 12, 0, tzinfo=paris)) == {
        "value": "2024-05-01T10:00:00Z"
    }
    assert codec.encode_value(spec, dt.datetime(2024, 5, 1, 12, 0)) == {
        "value": "2024-05-01T12:00:00Z"
    }


# --- hypothesis round trips ----------------------------------------------------------------------

text = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=30)
plain = st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=12)
uuids = st.uuids().map(str)
aware = st.datetimes(
    min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2200, 1, 1), timezones=st.just(dt.UTC)
)
coords = st.decimals(min_value=-90, max_value=90, places=6).map(str)
optional = st.none() | plain

NEUTRAL: dict[str, st.SearchStrategy[Any]] = {
    "text": text,
    # Attio keeps four decimal places (docs attribute-types-number): values that have no more
    "number": st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False).map(lambda f: round(f, 4)),
    "checkbox": st.booleans(),
    # Attio keeps currency as a 64-bit float with 4 decimals: 15 significant digits round-trip.
    "currency": st.decimals(min_value=-(10**10), max_value=10**10, places=4).map(
        lambda d: cb.Money(d, "USD")
    ),
    "date": st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31)),
    "timestamp": aware.map(lambda d: d.replace(microsecond=d.microsecond)),
    "rating": st.integers(0, 5),
    "status": st.sampled_from(STAGES),
    "select": st.sampled_from(STAGES),
    "record-reference": st.builds(cb.Ref, st.sampled_from(["people", "companies", "deals"]), uuids),
    "actor-reference": uuids.map(lambda i: cb.User(id=i, kind="workspace-member")),
    "location": st.builds(
        cb.Location,
        optional,
        optional,
        optional,
        optional,
        optional,
        optional,
        optional,
        st.none() | st.sampled_from(["US", "GB", "FR"]),
        st.none() | coords,
        st.none() | coords,
    ),
    "domain": st.builds("{}.{}".format, plain, st.sampled_from(["com", "io", "co.uk"])),
    "email-address": st.builds("{}@{}.com".format, plain, plain),
    "phone-number": st.integers(10**7, 10**14).map(lambda n: f"+{n}"),
    "personal-name": st.builds(lambda f, la: cb.PersonName(f, la, f"{f} {la}"), plain, plain),
}


def _round_trip_spec(kind: str) -> cb.FieldSpec:
    spec = spec_for(kind, config={"currency": {"default_currency_code": "USD"}})
    return codec.with_options(spec, STAGES) if kind in ("select", "status") else spec


def test_every_writable_type_has_a_strategy() -> None:
    assert set(NEUTRAL) == {kind for kind, row in TYPES.items() if row.writable}


@pytest.mark.parametrize("kind", sorted(NEUTRAL))
def test_round_trip(kind: str) -> None:
    """neutral → Attio write element → (as Attio echoes it) → neutral, unchanged."""
    spec = _round_trip_spec(kind)

    @settings(deadline=None, max_examples=60)
    @given(NEUTRAL[kind])
    def check(value: Any) -> None:
        written = codec.encode_values({"f": spec}, {"f": value})["f"]
        jsonschema.validate(written, INPUT_VALUE)
        element = {**ENVELOPE, **written, "attribute_type": kind}
        back = codec.decode_values({"f": [element]}, {"f": spec})["f"]
        if isinstance(value, float):
            assert back == pytest.approx(value)
        elif isinstance(value, cb.Money):
            assert back == cb.Money(Decimal(str(written["currency_value"])), "USD")
            assert back.amount == value.amount
        else:
            assert back == value

    check()


@given(st.text(max_size=20))
def test_phone_normalisation_never_crashes(raw: str) -> None:
    """Any string either normalises to E.164 or is refused with BadValue."""
    try:
        out = codec.encode_value(spec_for("phone-number"), raw)["original_phone_number"]
    except BadValue:
        return
    assert out.startswith("+")
    assert out[1:].isdigit()
