"""crmbridge.hostile: the shape checks that run before any schema or request."""

from __future__ import annotations

from decimal import Decimal

import attrs
import pytest

import crmbridge as cb
from crmbridge.hostile import MAX_DEPTH, check_filter, check_match, check_number, check_values


@pytest.mark.parametrize(
    "number",
    [float("nan"), float("inf"), -float("inf"), Decimal("sNaN"), Decimal("-Infinity"),
     10**400, Decimal("-1e309")],
)  # fmt: skip
def test_numbers_json_cannot_carry(number: object) -> None:
    assert check_number(number)  # type: ignore[arg-type]


@pytest.mark.parametrize("number", [0, -5, 1.5, Decimal("12.50"), 10**300, Decimal("1e308")])
def test_numbers_json_carries(number: object) -> None:
    assert check_number(number) is None  # type: ignore[arg-type]


def test_text_parts_of_neutral_values_whether_or_not_their_types_are_resolved() -> None:
    """cattrs resolves the string annotations of attrs classes to classes: both forms count."""
    for _ in range(2):
        with pytest.raises(cb.ValidationError, match=r"Option\.label must be a string"):
            check_values({"stage": cb.Option(None)})  # type: ignore[arg-type]
        with pytest.raises(cb.ValidationError, match=r"Ref\.id must be a string"):
            check_values({"company": [cb.Ref("companies", None)]})  # type: ignore[arg-type]
        check_values({"stage": cb.Option("Won", id=None), "owner": cb.User(email="a@b.co")})
        attrs.resolve_types(cb.Option)
        attrs.resolve_types(cb.Ref)
        attrs.resolve_types(cb.User)


def test_nesting_is_bounded_and_the_error_prints() -> None:
    value: object = "x"
    for _ in range(5000):
        value = [value]
    with pytest.raises(cb.ValidationError, match=f"more than {MAX_DEPTH} levels") as info:
        check_values({"name": value})
    assert len(str(info.value)) < 500
    with pytest.raises(cb.ValidationError):
        check_filter({"name": {"$eq": value}})


@pytest.mark.parametrize("values", [None, [], "name=x", {1: "x"}])
def test_values_must_be_a_mapping_with_string_keys(values: object) -> None:
    with pytest.raises(cb.ValidationError):
        check_values(values)


@pytest.mark.parametrize("match", [5, "", ["email"], b"email"])
def test_match_is_a_field_name_or_none(match: object) -> None:
    with pytest.raises(cb.ValidationError, match="match must be"):
        check_match(match)
    check_match(None)
    check_match("email")


def test_a_number_where_text_goes_is_left_to_the_provider_if_finite() -> None:
    """Attio takes coordinates as numbers and writes them as strings (its plugin's parse)."""
    check_values({"office": cb.Location(latitude=51.5, longitude="-0.12")})  # type: ignore[arg-type]
    with pytest.raises(cb.ValidationError, match="not a finite number"):
        check_values({"office": cb.Location(latitude=float("nan"))})  # type: ignore[arg-type]
