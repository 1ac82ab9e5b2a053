"""Neutral filters: the builder, the dict form, and the round trip between them."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmbridge import F, ValidationError
from crmbridge.filters import (
    And,
    Condition,
    Not,
    Or,
    Sort,
    from_dict,
    parse_sort,
    to_dict,
    walk,
)


def test_operators_build_conditions() -> None:
    assert (F("a") == 1) == Condition("a", "eq", 1)
    assert (F("a") != 1) == Condition("a", "ne", 1)
    assert (F("a") < 1) == Condition("a", "lt", 1)
    assert (F("a") <= 1) == Condition("a", "lte", 1)
    assert (F("a") > 1) == Condition("a", "gt", 1)
    assert (F("a") >= 1) == Condition("a", "gte", 1)
    assert F("a").is_in([1, 2]) == Condition("a", "in", (1, 2))
    assert F("a").contains("x") == Condition("a", "contains", "x")
    assert F("a").starts_with("x").op == "starts_with"
    assert F("a").ends_with("x").op == "ends_with"
    assert F("a").is_empty() == Condition("a", "is_empty", True)
    assert F("a").is_empty(False).value is False


def test_combinators_flatten() -> None:
    a, b, c = F("a") == 1, F("b") == 2, F("c") == 3
    assert (a & b & c) == And((a, b, c))
    assert (a | b | c) == Or((a, b, c))
    assert ~a == Not(a)
    assert ~~a == a
    assert list(walk((a & b) | ~c)) == [a, b, c]


def test_dict_form_examples() -> None:
    f = F("email").contains("@acme.com") & ~F("name").is_empty()
    assert to_dict(f) == {
        "$and": [{"email": {"$contains": "@acme.com"}}, {"$not": {"name": {"$is_empty": True}}}]
    }
    assert from_dict({"name": "Ada", "age": {"$gte": 30}}) == And(
        (Condition("name", "eq", "Ada"), Condition("age", "gte", 30))
    )


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({}, "non-empty"),
        ({"$xor": []}, "unknown filter keyword"),
        ({"a": {"$like": 1}}, "unknown operator"),
        ({"a": {"$in": 3}}, "takes a list"),
        ({"$and": "x"}, "non-empty list"),
        ({"a": {"$is_empty": "yes"}}, "true or false"),
    ],
)
def test_dict_form_errors_name_the_problem(bad: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        from_dict(bad)


def test_bad_builder_input() -> None:
    with pytest.raises(ValidationError):
        F("")
    with pytest.raises(ValidationError):
        F("a").is_in("abc")
    with pytest.raises(ValidationError):
        (F("a") == 1) & "b"  # type: ignore[operator]


scalars = st.none() | st.booleans() | st.integers() | st.text(max_size=8)
conditions = st.one_of(
    st.builds(
        Condition,
        st.sampled_from(["a", "b", "c"]),
        st.sampled_from(
            ["eq", "ne", "lt", "lte", "gt", "gte", "contains", "starts_with", "ends_with"]
        ),
        scalars,
    ),
    st.builds(
        lambda f, v: Condition(f, "in", tuple(v)),
        st.sampled_from(["a", "b"]),
        st.lists(scalars, max_size=3),
    ),
    st.builds(lambda f, v: Condition(f, "is_empty", v), st.sampled_from(["a"]), st.booleans()),
)
trees = st.recursive(
    conditions,
    lambda kids: (
        st.builds(lambda xs: And(tuple(xs)), st.lists(kids, min_size=1, max_size=3))
        | st.builds(lambda xs: Or(tuple(xs)), st.lists(kids, min_size=1, max_size=3))
        | st.builds(Not, kids)
    ),
    max_leaves=8,
)


@given(trees)
def test_dict_round_trip(tree: object) -> None:
    assert from_dict(to_dict(tree)) == tree  # type: ignore[arg-type]


def test_sorts() -> None:
    assert parse_sort("-created_at") == Sort("created_at", descending=True)
    assert parse_sort("+name") == Sort("name")
    assert str(Sort("x", True)) == "-x"
    with pytest.raises(ValidationError):
        parse_sort("-")
