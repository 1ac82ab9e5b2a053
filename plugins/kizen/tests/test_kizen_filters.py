"""Neutral filters → Kizen search filter groups (docs/reference/kizen.md §8)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import attrs
import pytest
from crmbridge_kizen import filters
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from kizen_support import load, schema_from

from crmbridge import F, Option, Ref, Unsupported, User, ValidationError
from crmbridge.filters import And, Condition, Filter, Not, Or
from crmbridge.provider import ObjectSchema

EX = load("documented_examples.json")


def uuid(n: int) -> str:
    return f'"custom"::00000000-0000-4000-8000-{n:012d}'


def only_filter(where: Filter, schema: ObjectSchema) -> dict[str, Any]:
    groups = filters.to_groups(where, schema)
    assert len(groups["query"]) == 1
    (f,) = groups["query"][0]["filters"]
    return f  # type: ignore[no-any-return]


def test_documented_search_body(widgets: ObjectSchema) -> None:
    """doc search_request: a custom field by "custom"::<uuid>, field_names in the body."""
    body = filters.search_body(F("email_address") == "some text", widgets,
                               field_names=["name", "email_address"])  # fmt: skip
    doc = EX["search_request"]["body"]
    assert body.keys() == doc.keys()
    assert body["query"][0]["filters"][0].keys() == doc["query"][0]["filters"][0].keys()
    assert body["query"][0]["filters"][0]["field"] == uuid(2)
    assert body["field_names"] == ["name", "email_address"]


def test_documented_stage_filter(widgets: ObjectSchema) -> None:
    """client code stage_filter: overwrite {"type": "stage"}."""
    won: Any = (Option("Won", "s-won"),)
    stage = attrs.evolve(widgets.fields["stage"], options=won)
    schema = ObjectSchema(widgets.object, {**widgets.fields, "stage": stage})
    f = only_filter(F("stage") == "Won", schema)
    assert f == {**EX["stage_filter"]["filter"], "value": "s-won"}


def test_documented_default_field_spelling(widgets: ObjectSchema) -> None:
    """doc filter_wire_format_full: default fields by api_name, type fields, subtype non_custom."""
    f = only_filter(F("name") == "some text", widgets)
    assert f == {"type": "fields", "subtype": "non_custom", "field": "name",
                 "condition": "=", "value": "some text"}  # fmt: skip


TAG = "7e0c1a52-0000-4000-8000-000000000001"
D = dt.datetime(2026, 3, 31, 12, 27, 20, 152070, tzinfo=dt.timezone(dt.timedelta(hours=-5)))

# (filter, condition, value): one or more rows per type family (docs/reference/kizen.md §8 conditions by type)
CONDITIONS: list[tuple[Filter, str, Any]] = [
    (F("email_address").contains("@acme"), "contains", "@acme"),
    (~F("email_address").contains("@acme"), "!contains", "@acme"),
    (F("email_address").starts_with("a"), "starts_with", "a"),
    (~F("email_address").ends_with(".io"), "!ends_with", ".io"),
    (F("email_address") != "x", "!=", "x"),
    (F("notes").is_empty(), "is_blank", True),
    (~F("notes").is_empty(), "is_blank", False),
    (F("phone").contains("312"), "contains", "312"),
    (F("seats") >= 3, ">=", 3),
    (F("ratio") < Decimal("0.5"), "<", 0.5),
    (F("value") > 1000, ">", 1000),
    (F("score").is_in([4, 5]), "is_any_of", ["4", "5"]),  # number strings
    (F("renewal") <= dt.date(2026, 3, 31), "<=", "2026-03-31"),
    (F("last_seen") > D, ">", "2026-03-31T17:27:20.152Z"),
    (F("active") == True, "=", True),  # noqa: E712
    (F("size") == "Large", "=", "opt-large"),
    (F("size") != Option("Small"), "!=", "opt-small"),
    (F("consent").is_in(["Yes", "Maybe"]), "is_any_of", ["yn-yes", "yn-maybe"]),
    (~F("state").is_in(["Open"]), "is_none_of", ["opt-open"]),
    (F("features").contains("Api"), "has", ["opt-api"]),
    (~F("features").contains("Api"), "!has", ["opt-api"]),
    (F("features").is_in(["Api", "Sso"]), "has_any", ["opt-api", "opt-sso"]),
    (~F("labels").is_in([TAG]), "!has_any", [TAG]),  # a tag id (labels: test_tags_by_label)
    (F("owner") == User(id="e1"), "=", "e1"),
    (F("owner").is_in(["e1", "e2"]), "is_any_of", ["e1", "e2"]),
    (F("company") == Ref("companies_company", "co1"), "is_any_of", ["co1"]),
    (F("contacts").contains("c1"), "contains", ["c1"]),
    (~F("contacts").contains("c1"), "!contains", ["c1"]),
    (F("attachments") > 0, ">", 0),
    (F("tz") == "America/Chicago", "=", "America/Chicago"),
    (F("seats") == None, "is_blank", True),  # noqa: E711  value may never be null (docs/reference/kizen.md §8)
    (F("seats") != None, "is_blank", False),  # noqa: E711
]


@pytest.mark.parametrize(("where", "condition", "value"), CONDITIONS,
                         ids=[str(i) for i in range(len(CONDITIONS))])  # fmt: skip
def test_conditions_per_type(
    widgets: ObjectSchema, where: Filter, condition: str, value: Any
) -> None:
    f = only_filter(where, widgets)
    assert (f["condition"], f["value"]) == (condition, value)


@pytest.mark.parametrize(
    ("where", "message"),
    [
        (F("notes").contains("x"), "longtext field 'notes' with contains"),
        (~(F("seats") < 3), "with not lt"),
        (F("active") != True, "checkbox field 'active' with ne"),  # noqa: E712
        (F("phone").starts_with("+1"), "phonenumber"),
        (F("stage").is_empty(), "stage field .stage. with is_empty"),
        (F("active").is_empty(), "checkbox field 'active' with is_empty"),
        (F("hologram") == "x", "hologram"),
        (F("name") > "m", "text field 'name' with gt"),
        (F("value.amount") > 1, "sub-property"),
    ],
)
def test_unsupported_conditions(widgets: ObjectSchema, where: Filter, message: str) -> None:
    with pytest.raises(Unsupported, match=message):
        filters.to_groups(where, widgets)


@pytest.mark.parametrize(
    ("where", "message"),
    [
        (F("size") == "Medium", "one of 'Small', 'Large'"),
        (F("renewal") == D, "datetime.date"),
        (F("last_seen") > dt.datetime(2026, 1, 1), "timezone-aware"),
        (F("seats") > "3", "a number"),
        (F("nope") == 1, "no field 'nope'"),
        (F("size").is_in([]), "at least one value"),
        (F("name").is_in([]), "at least one value"),
    ],
)
def test_bad_filter_values(widgets: ObjectSchema, where: Filter, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        filters.to_groups(where, widgets)


def test_layout_two_levels(widgets: ObjectSchema) -> None:
    where = (F("name") == "a") & (F("seats") > 1) & ((F("size") == "Small") | (F("tz") == "UTC"))
    groups = filters.to_groups(where, widgets)
    assert groups["and"] is True
    assert [(g["and"], [f["condition"] for f in g["filters"]]) for g in groups["query"]] == [
        (True, ["=", ">"]),
        (False, ["=", "="]),
    ]
    either = (F("name") == "a") | ((F("seats") > 1) & (F("tz") == "UTC"))
    groups = filters.to_groups(either, widgets)
    assert groups["and"] is False
    assert [g["and"] for g in groups["query"]] == [False, True]


def test_not_pushed_down_and_in_expanded(widgets: ObjectSchema) -> None:
    groups = filters.to_groups(~((F("name") == "a") | F("email_address").is_in(["x", "y"])),
                               widgets)  # fmt: skip
    assert groups["and"] is True
    (group,) = groups["query"]
    assert [(f["condition"], f["value"]) for f in group["filters"]] == [
        ("!=", "a"), ("!=", "x"), ("!=", "y")]  # fmt: skip


def test_three_levels_unsupported(widgets: ObjectSchema) -> None:
    where = (F("name") == "a") | ((F("seats") > 1) & ((F("tz") == "UTC") | (F("seats") < 0)))
    with pytest.raises(Unsupported, match="two levels"):
        filters.to_groups(where, widgets)


def test_no_filter_is_everything(widgets: ObjectSchema) -> None:
    assert filters.search_body(None, widgets) == {"query": [], "and": True}


def test_ordering(widgets: ObjectSchema) -> None:
    from crmbridge.filters import Sort

    assert filters.ordering([Sort("name", descending=True)], widgets) == "-name"
    assert filters.ordering([], widgets) is None


# --- property: the groups mean what the neutral filter means ------------------------------

SCHEMA = schema_from("widgets.fields.json")
NAMES = st.sampled_from(["ada", "alan", "grace", "bob"])
SIZES = st.sampled_from(["Small", "Large"])


def conditions() -> st.SearchStrategy[Filter]:
    return st.one_of(
        st.builds(lambda v: F("name") == v, NAMES),
        st.builds(lambda v: F("name") != v, NAMES),
        st.builds(lambda v: F("name").starts_with(v[:2]), NAMES),
        st.builds(lambda v: F("name").contains(v[1:3]), NAMES),
        st.builds(lambda vs: F("name").is_in(vs), st.lists(NAMES, min_size=1, max_size=3)),
        st.builds(lambda n: F("seats") > n, st.integers(0, 5)),
        st.builds(lambda n: F("seats") <= n, st.integers(0, 5)),
        st.builds(lambda n: F("seats") == n, st.integers(0, 5)),
        st.builds(lambda v: F("size") == v, SIZES),
        st.builds(lambda vs: F("size").is_in(vs), st.lists(SIZES, min_size=1, max_size=2)),
    )


def trees() -> st.SearchStrategy[Filter]:
    return st.recursive(
        conditions(),
        lambda inner: st.one_of(
            st.builds(lambda xs: And(tuple(xs)), st.lists(inner, min_size=2, max_size=3)),
            st.builds(lambda xs: Or(tuple(xs)), st.lists(inner, min_size=2, max_size=3)),
            st.builds(Not, inner),
        ),
        max_leaves=6,
    )


RECORDS = st.fixed_dictionaries({"name": NAMES, "seats": st.integers(0, 5), "size": SIZES})
SIZE_IDS = {"Small": "opt-small", "Large": "opt-large"}


def neutral(f: Filter, r: dict[str, Any]) -> bool:
    if isinstance(f, And):
        return all(neutral(i, r) for i in f.items)
    if isinstance(f, Or):
        return any(neutral(i, r) for i in f.items)
    if isinstance(f, Not):
        return not neutral(f.item, r)
    assert isinstance(f, Condition)
    v = r[f.field]
    ops: dict[str, Callable[[], bool]] = {"eq": lambda: v == f.value, "ne": lambda: v != f.value, "gt": lambda: v > f.value,
           "lte": lambda: v <= f.value, "in": lambda: v in f.value,
           "contains": lambda: f.value in v, "starts_with": lambda: v.startswith(f.value)}  # fmt: skip
    return bool(ops[f.op]())


def kizen(groups: dict[str, Any], r: dict[str, Any]) -> bool:
    """How Kizen evaluates a search body (our reading of docs/reference/kizen.md §8)."""
    by_field = {"name": r["name"], "seats": r["seats"]}

    def one(f: dict[str, Any]) -> bool:
        field = f["field"]
        v = by_field["name"] if field == "name" else (
            by_field["seats"] if field == uuid(6) else SIZE_IDS[r["size"]])  # fmt: skip
        x = f["value"]
        table: dict[str, Callable[[], bool]] = {
            "=": lambda: v == x,
            "!=": lambda: v != x,
            ">": lambda: v > x,
            "<=": lambda: v <= x,
            "<": lambda: v < x,
            ">=": lambda: v >= x,
            "is_any_of": lambda: v in x,
            "is_none_of": lambda: v not in x,
            "contains": lambda: x in v,
            "!contains": lambda: x not in v,
            "starts_with": lambda: v.startswith(x),
            "!starts_with": lambda: not v.startswith(x),
        }
        return bool(table[f["condition"]]())

    results = [(all if g["and"] else any)(one(f) for f in g["filters"]) for g in groups["query"]]
    return (all if groups["and"] else any)(results)


@settings(max_examples=300, deadline=None)
@given(trees(), st.lists(RECORDS, min_size=1, max_size=5))
def test_groups_mean_the_same_as_the_filter(where: Filter, records: list[dict[str, Any]]) -> None:
    try:
        groups = filters.to_groups(where, SCHEMA)
    except Unsupported:
        groups = None
    assume(groups is not None)
    assert groups is not None
    for r in records:
        assert kizen(groups, r) == neutral(where, r), (where, groups, r)
