"""The neutral model: value classes, change markers, and lossless plain-dict round trips."""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

import crmbridge as cb
from crmbridge.model import structure_value, unstructure_value

texts = st.text(max_size=20)
opt_texts = st.none() | texts
values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | texts
    | st.decimals(allow_nan=False, allow_infinity=False, places=4)
    | st.dates()
    | st.datetimes(timezones=st.just(dt.UTC))
    | st.builds(cb.Money, st.decimals(allow_nan=False, allow_infinity=False, places=2), opt_texts)
    | st.builds(cb.PersonName, opt_texts, opt_texts, opt_texts)
    | st.builds(cb.Location, *[opt_texts] * 10)
    | st.builds(cb.Option, texts, opt_texts)
    | st.builds(cb.Ref, texts, texts)
    | st.builds(cb.User, opt_texts, opt_texts, opt_texts, opt_texts)
    | st.builds(cb.File, texts, opt_texts, opt_texts),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(texts, children, max_size=3),
    max_leaves=10,
)


@given(values)
def test_values_round_trip_through_json(value: object) -> None:
    plain = json.loads(json.dumps(unstructure_value(value)))
    assert structure_value(plain) == value


@given(st.dictionaries(st.text(min_size=1, max_size=10), values, max_size=5))
def test_records_round_trip_losslessly(fields: dict[str, object]) -> None:
    record = cb.Record(
        "people",
        "r1",
        fields,
        created_at=dt.datetime(2024, 1, 2, tzinfo=dt.UTC),
        url="https://x",
        raw={"id": "r1"},
    )
    back = cb.from_dict(cb.Record, json.loads(json.dumps(cb.to_dict(record))))
    assert back == record
    assert back.raw == record.raw
    assert back.created_at == record.created_at


def test_dict_with_tag_key_is_escaped() -> None:
    value = {"$type": "money", "amount": "1"}
    assert structure_value(unstructure_value(value)) == value


def test_specs_round_trip() -> None:
    spec = cb.FieldSpec(
        "stage",
        "Stage",
        cb.FieldType.status,
        options=[cb.Option("Won", "s1")],
        target_objects=["deals"],
        provider_id="a1",
    )
    plain = json.loads(json.dumps(cb.to_dict(spec)))
    assert plain["type"] == "status"
    assert cb.from_dict(cb.FieldSpec, plain) == spec
    obj = cb.ObjectSpec("people", "People", "o1", kind="object")
    assert cb.from_dict(cb.ObjectSpec, cb.to_dict(obj)) == obj


def test_change_markers() -> None:
    assert cb.add("a", "b") == cb.Add(("a", "b"))
    assert cb.remove("a").values == ("a",)
    assert cb.clear() == cb.Clear()
    assert structure_value(unstructure_value(cb.add(cb.Option("x")))) == cb.add(cb.Option("x"))


def test_money_is_exact() -> None:
    assert cb.Money(0.1).amount == Decimal("0.1")
    assert cb.Money("12.50", "EUR") == cb.Money(Decimal("12.50"), "EUR")
    with pytest.raises(TypeError):
        cb.Money(True)


def test_upsert_result_action_is_checked() -> None:
    record = cb.Record("people", "1")
    assert cb.UpsertResult("noop", record).action == "noop"
    with pytest.raises(ValueError):
        cb.UpsertResult("maybe", record)  # type: ignore[arg-type]


def test_field_option_lookup() -> None:
    spec = cb.FieldSpec(
        "tier",
        "Tier",
        cb.FieldType.option,
        options=[cb.Option("Gold", "g"), cb.Option("gold rush", "gr")],
    )
    assert spec.option("Gold") == cb.Option("Gold", "g")
    assert spec.option("g") == cb.Option("Gold", "g")
    assert spec.option("GOLD") == cb.Option("Gold", "g")
    assert spec.option(cb.Option("whatever", id="gr")) == cb.Option("gold rush", "gr")
    assert spec.option("Bronze") is None


def test_record_access() -> None:
    record = cb.Record("people", "1", {"name": "Ada"})
    assert record["name"] == "Ada"
    assert record.get("missing", 3) == 3
    assert "raw" not in repr(cb.Record("people", "1", raw={"secret": "x"}))


def test_unknown_tag_is_an_error() -> None:
    with pytest.raises(cb.ValidationError, match=r"unknown value tag \$type='nope'; known: add"):
        structure_value({"$type": "nope"})
    for bad, form in [
        ({"$type": "date", "value": "xx"}, "YYYY-MM-DD"),
        ({"$type": "ref", "object": "companies"}, "missing 1 required"),
        ({"$type": "add"}, '"values": a list'),
        ({"$type": "decimal", "value": "x"}, "a number as a string"),
    ]:
        with pytest.raises(cb.ValidationError, match=re.escape(form)):
            structure_value(bad)
    with pytest.raises(TypeError, match="cannot convert"):
        unstructure_value(object())


def test_a_record_keeps_which_fields_it_was_not_given_through_to_dict() -> None:
    """Absent is not empty (docs/design.md §9): ``absent`` survives a round trip."""
    from crmbridge import Record, from_dict, to_dict

    record = Record("people", "r1", {"name": None}, absent={"title"})
    back = from_dict(Record, to_dict(record))
    assert back.absent == {"title"}
    assert back.given("name")
    assert not back.given("title")
