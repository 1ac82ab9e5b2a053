"""Property tests: neutral value → Kizen write form → Kizen read form → the same neutral value,
and bad input never escapes as anything but a crmbridge error."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from crmbridge_kizen import codec
from hypothesis import given, settings
from hypothesis import strategies as st
from kizen_support import schema_from

from crmbridge import CRMError, Money, Option, Ref, ValidationError

SCHEMA = schema_from("widgets.fields.json")


def echo(slug: str, wire: Any) -> Any:
    """What Kizen reads back for a written value (docs/reference/kizen.md §5 read column)."""
    spec = SCHEMA.fields[slug]
    ft = codec.field_type_of(spec)
    if ft == "money":
        return {"currency": "USD", "symbol": "$", "amount": wire}
    if ft in ("dropdown", "radio", "status", "checkboxes"):
        by_id = {o.id: o for o in spec.options}

        def full(ref: dict[str, str]) -> dict[str, Any]:
            o = by_id[ref["id"]]
            return {"id": o.id, "code": o.label.lower(), "name": o.label}

        return [full(w) for w in wire] if isinstance(wire, list) else full(wire)
    if ft == "relationship":
        return [{"id": w["id"], "name": "x"} for w in wire] if isinstance(wire, list) else wire
    return wire


def roundtrip(slug: str, value: Any) -> Any:
    spec = SCHEMA.fields[slug]
    (entry,) = codec.encode_fields(SCHEMA, {slug: value})
    return codec.decode_value(codec.field_type_of(spec), echo(slug, entry["value"]), spec)


TEXT = st.text(min_size=1, max_size=50)
OFFSETS = st.integers(-12 * 60, 14 * 60).map(lambda m: dt.timezone(dt.timedelta(minutes=m)))
DECIMALS = st.decimals(min_value=-(10**9), max_value=10**9, places=2, allow_nan=False)


@given(st.sampled_from(["name", "email_address", "notes", "summary", "phone", "tz"]), TEXT)
def test_text_like(slug: str, value: str) -> None:
    assert roundtrip(slug, value) == value


@given(st.integers(-(2**31), 2**31 - 1))
def test_integer(value: int) -> None:
    assert roundtrip("seats", value) == value


@given(DECIMALS)
def test_decimal(value: Decimal) -> None:
    assert roundtrip("ratio", value) == value


@given(DECIMALS)
def test_money(value: Decimal) -> None:
    assert roundtrip("value", Money(value, "USD")) == Money(value, "USD")


@given(st.dates())
def test_date(value: dt.date) -> None:
    assert roundtrip("renewal", value) == value


@given(st.datetimes(timezones=OFFSETS))
def test_datetime(value: dt.datetime) -> None:
    assert roundtrip("last_seen", value) == value


@given(st.booleans())
def test_checkbox(value: bool) -> None:
    assert roundtrip("active", value) is value


@given(st.sampled_from(["size", "channel", "state"]), st.data())
def test_options(slug: str, data: st.DataObject) -> None:
    option = data.draw(st.sampled_from(SCHEMA.fields[slug].options))
    # labels match case-insensitively (docs/reference/kizen.md §11)
    by_label = Option(option.label.upper())
    assert roundtrip(slug, by_label) == option


@given(st.lists(st.sampled_from(SCHEMA.fields["features"].options), unique=True))
def test_checkboxes(options: list[Option]) -> None:
    assert roundtrip("features", options) == options


@given(st.lists(st.uuids().map(str), max_size=5))
def test_to_many_relationship(ids: list[str]) -> None:
    refs = [Ref("client_client", i) for i in ids]
    assert roundtrip("contacts", refs) == refs


ANY = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text() | st.dates()
    | st.decimals(allow_nan=True),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=5,
)  # fmt: skip


@settings(max_examples=300)
@given(st.sampled_from(sorted(SCHEMA.fields)), ANY)
def test_bad_input_is_a_validation_error(slug: str, value: Any) -> None:
    error: ValidationError | None = None
    try:
        codec.encode_fields(SCHEMA, {slug: value})
    except ValidationError as e:
        error = e
    if error is not None:
        assert error.field_errors
        assert error.field_errors[0].field == slug


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=300)
@given(st.integers(400, 599), JSONISH | st.text())
def test_any_error_body_decodes(status: int, body: Any) -> None:
    if not isinstance(body, dict | list | str):
        body = str(body)
    error = codec.decode_error(status, body, request_fields=[{"name": "name", "value": 1}])
    assert isinstance(error, CRMError)
    assert error.status == status
    assert error.raw == body


@settings(max_examples=200)
@given(st.sampled_from(sorted(SCHEMA.fields)), JSONISH)
def test_any_read_value_decodes_or_names_the_field(slug: str, value: Any) -> None:
    spec = SCHEMA.fields[slug]
    payload = {"id": "r1", "fields": {"f": {"id": "f", "name": slug,
                                            "field_type": codec.field_type_of(spec),
                                            "value": value}}}  # fmt: skip
    error: CRMError | None = None
    try:
        codec.decode_record(payload, "widgets", fields=SCHEMA.fields)
    except CRMError as e:
        error = e
    if error is not None:
        assert repr(slug) in error.message
