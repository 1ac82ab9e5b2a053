"""Normalisation of user values, one row per neutral type."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

import crmbridge as cb
from crmbridge.filters import Condition
from crmbridge.plugin import normalize_values
from crmbridge.validation import normalize_filter, normalize_value

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
    (spec(T.person_name), "Ada Lovelace", cb.PersonName("Ada", "Lovelace", "Ada Lovelace")),
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
        spec(T.timezone, options=[cb.Option("Europe/Paris", "Europe/Paris")]),
        "europe/paris",
        "Europe/Paris",
    ),
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
    (
        spec(T.timezone, options=[cb.Option("Europe/Paris", "Europe/Paris")]),
        "Mars/Olympus",
        "an IANA time zone the field lists",
    ),
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
        normalize_values(schema, {"x": "1"}, creating=True)
    assert info.value.field_errors[0].code == "required"
    assert normalize_values(schema, {"x": "1"}) == {"x": "1"}
    with pytest.raises(cb.ValidationError, match="must be a mapping"):
        normalize_values(schema, ["x"])  # type: ignore[arg-type]


# --- filter values ------------------------------------------------------------------------------

SCHEMA = cb.ObjectSchema(
    cb.ObjectSpec("deals", "Deals"),
    {
        f.slug: f
        for f in [
            cb.FieldSpec("name", "Name", T.text),
            cb.FieldSpec("email", "E-mail", T.email),
            cb.FieldSpec("person", "Person", T.person_name),
            cb.FieldSpec("stage", "Stage", T.status, options=[cb.Option("Won", "w")]),
            cb.FieldSpec("amount", "Amount", T.number),
            cb.FieldSpec("closed", "Closed", T.date),
            cb.FieldSpec("created_at", "Created", T.datetime),
            cb.FieldSpec("company", "Company", T.reference, target_objects=["companies"]),
            cb.FieldSpec("place", "Place", T.location),
        ]
    },
)


def test_filter_values_take_their_neutral_form() -> None:
    where = (
        (cb.F("stage") == "won")
        & cb.F("amount").is_in(["12.5", 3])
        & ~(cb.F("closed") < "2024-05-01")
        & (cb.F("created_at") >= "2024-05-01")
        & (cb.F("company") == "c1")
        & cb.F("email").contains("@acme")
        & (cb.F("place.locality") == "Paris")
        & cb.F("name").is_empty()
    )
    assert normalize_filter(SCHEMA, where) == (
        (cb.F("stage") == cb.Option("Won", "w"))
        & cb.F("amount").is_in([Decimal("12.5"), 3])
        & ~(cb.F("closed") < dt.date(2024, 5, 1))
        & (cb.F("created_at") >= dt.datetime(2024, 5, 1, tzinfo=dt.UTC))
        & (cb.F("company") == cb.Ref("companies", "c1"))
        & cb.F("email").contains("@acme")
        & (cb.F("place.locality") == "Paris")
        & cb.F("name").is_empty()
    )


def test_filter_values_that_do_not_fit_are_all_reported() -> None:
    where = (
        (cb.F("stage") == "Wonn")
        | (cb.F("amount") > "lots")
        | (cb.F("person") == cb.PersonName("Ada", "Lovelace"))
        | Condition("name", "is_empty", "yes")
        | Condition("amount", "in", 3)
        | (cb.F("company") == cb.RefBy("companies", "domains", "a.co"))
    )
    with pytest.raises(cb.ValidationError) as info:
        normalize_filter(SCHEMA, where)
    errors = {e.field: e for e in info.value.field_errors}
    assert sorted(errors) == ["amount", "company", "name", "person", "stage"]
    assert len(info.value.field_errors) == 6  # two for amount
    assert "did you mean 'Won'" in errors["stage"].message
    assert errors["person"].expected == "a string"
    assert errors["name"].expected == "true or false"
    assert all(e.code == "invalid_filter_value" for e in info.value.field_errors)


def test_filter_on_an_unknown_field_names_it() -> None:
    with pytest.raises(cb.ValidationError, match=r"'nmae'.*did you mean 'name'"):
        normalize_filter(SCHEMA, cb.F("nmae") == "x")


def test_dict_filters_work_like_typed_ones_on_kizen() -> None:
    """The CLI's JSON filters hold dates as strings; Kizen's filter syntax needs a date."""
    with cb.connect("kizen", emulator={"seed": "demo"}) as crm:
        typed = list(crm.query("client_client", cb.F("birthday") > dt.date(1990, 1, 1)))
        given = list(crm.query("client_client", {"birthday": {"$gt": "1990-01-01"}}))
    assert typed
    assert [r.id for r in given] == [r.id for r in typed]


def _day(d: int) -> dt.datetime:
    return dt.datetime(2024, 5, d, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        (cb.F("created_at") == "2024-05-01",
         (cb.F("created_at") >= _day(1)) & (cb.F("created_at") < _day(2))),
        (cb.F("created_at") != dt.date(2024, 5, 1),
         (cb.F("created_at") < _day(1)) | (cb.F("created_at") >= _day(2))),
        (cb.F("created_at") <= "2024-05-01", cb.F("created_at") < _day(2)),
        (cb.F("created_at") > "2024-05-01", cb.F("created_at") >= _day(2)),
        (cb.F("created_at") < "2024-05-01", cb.F("created_at") < _day(1)),
        (cb.F("created_at").is_in(["2024-05-01", "2024-05-03"]),
         ((cb.F("created_at") >= _day(1)) & (cb.F("created_at") < _day(2)))
         | ((cb.F("created_at") >= _day(3)) & (cb.F("created_at") < _day(4)))),
        (cb.F("created_at") == "2024-05-01T10:00:00+00:00",  # a time: compared as given
         cb.F("created_at") == dt.datetime(2024, 5, 1, 10, tzinfo=dt.UTC)),
    ],
)  # fmt: skip
def test_a_day_against_a_timestamp_means_the_whole_day_in_utc(where: Any, expected: Any) -> None:
    assert normalize_filter(SCHEMA, where) == expected


def test_filter_comparisons_that_stay_as_given() -> None:
    schema = cb.ObjectSchema(
        cb.ObjectSpec("contacts", "Contacts"),
        {
            "tags": cb.FieldSpec("tags", "Tags", T.tags, multi=True),  # no options listed
            "score": cb.FieldSpec("score", "Score", T.integer),
            "stage": SCHEMA.fields["stage"],
        },
    )
    where = (
        cb.F("tags").contains("vip")  # an id or a label: the provider decides
        & (cb.F("score") > 2.5)  # a whole-number field compared with any number
        & cb.F("stage").is_in(["Won", None])  # "or no value"
    )
    assert normalize_filter(schema, where) == (
        cb.F("tags").contains("vip")
        & (cb.F("score") > 2.5)
        & cb.F("stage").is_in([cb.Option("Won", "w"), None])
    )
    with pytest.raises(cb.ValidationError, match="whole number"):
        normalize_filter(schema, cb.F("score") == 2.5)


def test_a_money_in_another_currency_than_the_fields_is_refused() -> None:
    usd = cb.FieldSpec("value", "Value", T.money, currency="USD")
    assert normalize_value(usd, cb.Money(1, "USD")) == cb.Money(1, "USD")
    assert normalize_value(usd, 12.5) == cb.Money("12.5")
    with pytest.raises(cb.ValidationError, match=r"EUR given for a USD field"):
        normalize_value(usd, cb.Money(1, "EUR"))


def test_an_attio_create_reports_a_bad_stage_and_a_wrong_currency_at_once() -> None:
    """The field's currency is checked in the validation pass, with every other problem."""
    with cb.connect("attio", emulator=True) as crm:
        assert crm.schema("deals").field("value").currency == "USD"
        member = crm.request("GET", "/v2/workspace_members").json()["data"][0]
        owner = cb.User(id=member["id"]["workspace_member_id"])
        values = {"name": "Big", "owner": owner, "stage": "Nope", "value": cb.Money(10, "EUR")}
        with pytest.raises(cb.ValidationError) as info:
            crm.create("deals", values)
    assert {e.field for e in info.value.field_errors} == {"stage", "value"}


def test_a_kizen_money_field_has_its_currency() -> None:
    with cb.connect("kizen", emulator=True) as crm:
        money = [f for o in crm.objects() for f in crm.fields(o.slug) if f.type is T.money]
    assert money
    assert all(f.currency for f in money)
