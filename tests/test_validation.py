"""Normalisation of user values, one row per neutral type."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

import crmbridge as cb
from crmbridge.validation import normalize_value

T = cb.FieldType


def spec(t: cb.FieldType, **kw: Any) -> cb.FieldSpec:
    return cb.FieldSpec("f", "F", t, **kw)


GOOD = [
    (spec(T.text), "x", "x"),
    (spec(T.long_text), "x\ny", "x\ny"),
    (spec(T.number), "1.5", Decimal("1.5")),
    (spec(T.number), 2, 2),
    (spec(T.integer), 3.0, 3),
    (spec(T.money), 12.5, cb.Money("12.5")),
    (spec(T.money), cb.Money(1, "EUR"), cb.Money(1, "EUR")),
    (spec(T.bool), False, False),
    (spec(T.date), "2024-05-01", dt.date(2024, 5, 1)),
    (spec(T.datetime), "2024-05-01T10:00:00Z", dt.datetime(2024, 5, 1, 10, tzinfo=dt.UTC)),
    (spec(T.rating), 4, 4),
    (spec(T.option, options=[cb.Option("Won", "w")]), "won", cb.Option("Won", "w")),
    (spec(T.option), "Anything", cb.Option("Anything")),
    (spec(T.status, options=[cb.Option("Lead", "l")]), cb.Option("x", "l"), cb.Option("Lead", "l")),
    (spec(T.email), " a@b.co ", "a@b.co"),
    (spec(T.phone), "+15550100", "+15550100"),
    (spec(T.domain), "acme.com", "acme.com"),
    (spec(T.url), "https://acme.com", "https://acme.com"),
    (spec(T.person_name), "Ada Lovelace", cb.PersonName("Ada", "Lovelace", "Ada Lovelace")),
    (spec(T.person_name), "Lovelace, Ada", cb.PersonName("Ada", "Lovelace", "Ada Lovelace")),
    (spec(T.location), cb.Location(locality="Paris"), cb.Location(locality="Paris")),
    (spec(T.reference, target_objects=["companies"]), "c1", cb.Ref("companies", "c1")),
    (
        spec(T.reference, target_objects=["companies"]),
        cb.RefBy("companies", "domains", "a.co"),
        cb.RefBy("companies", "domains", "a.co"),
    ),
    (spec(T.user), "me@acme.com", cb.User(email="me@acme.com")),
    (spec(T.user), "u1", cb.User(id="u1")),
    (spec(T.file), "f1", cb.File("f1")),
    (spec(T.timezone), "Europe/Paris", "Europe/Paris"),
    (
        spec(T.tags, multi=True, options=[cb.Option("VIP", "v")]),
        ["vip", "new"],
        [cb.Option("VIP", "v"), cb.Option("new")],
    ),
    (spec(T.unknown), {"raw": 1}, {"raw": 1}),
    (spec(T.text, multi=True), "x", ["x"]),
    (spec(T.text), None, None),
    (spec(T.text, multi=True), None, []),
    (spec(T.text, multi=True), cb.add("a"), cb.add("a")),
    (spec(T.text), cb.clear(), cb.clear()),
]


@pytest.mark.parametrize(("field", "given", "expected"), GOOD)
def test_accepts_and_normalises(field: cb.FieldSpec, given: Any, expected: Any) -> None:
    assert normalize_value(field, given) == expected


BAD = [
    (spec(T.text), 3, "a string"),
    (spec(T.number), True, "a number"),
    (spec(T.integer), 1.5, "a whole number"),
    (spec(T.bool), "yes", "true or false"),
    (spec(T.date), dt.datetime(2024, 1, 1), "without a time"),
    (spec(T.date), "May 1st", "a date"),
    (spec(T.datetime), "yesterday", "a datetime"),
    (spec(T.rating), -1, "0 or more"),
    (spec(T.option, options=[cb.Option("Won")]), "Lost", "one of 'Won'"),
    (spec(T.email), "not-an-email", "email address"),
    (spec(T.reference, target_objects=["a", "b"]), "id", "several objects"),
    (spec(T.reference, target_objects=["a"]), cb.Ref("b", "1"), "a reference to a"),
    (spec(T.reference, target_objects=["a"]), cb.RefBy("b", "k", "1"), "a reference to a"),
    (spec(T.interaction), "x", "read-only"),
    (spec(T.text), ["a", "b"], "a single text"),
    (spec(T.text), cb.remove("a"), None),
]


@pytest.mark.parametrize(("field", "given", "expected"), BAD)
def test_refuses_with_field_value_and_expectation(
    field: cb.FieldSpec, given: Any, expected: str | None
) -> None:
    with pytest.raises(cb.ValidationError) as info:
        normalize_value(field, given)
    (err,) = info.value.field_errors
    assert err.field == "f"
    assert err.value == given
    if expected:
        assert expected in (err.expected or "")
    assert "'f'" in str(info.value)


def test_required_fields_on_create() -> None:
    schema = cb.ObjectSchema(
        cb.ObjectSpec("o", "O"),
        {
            "name": cb.FieldSpec("name", "Name", T.text, required=True),
            "x": cb.FieldSpec("x", "X", T.text),
        },
    )
    with pytest.raises(cb.ValidationError, match="name") as info:
        cb.normalize_values(schema, {"x": "1"}, creating=True)
    assert info.value.field_errors[0].code == "required"
    assert cb.normalize_values(schema, {"x": "1"}) == {"x": "1"}
    with pytest.raises(cb.ValidationError, match="must be a mapping"):
        cb.normalize_values(schema, ["x"])  # type: ignore[arg-type]
