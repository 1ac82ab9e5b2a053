"""Neutral filters and sorts → Attio filter JSON (docs/reference/attio.md §4, "Filtering")."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from crmbridge_attio import codec
from crmbridge_attio.filters import translate_filter, translate_sorts

import crmbridge as cb
from crmbridge import F
from crmbridge.filters import from_dict


def attr(slug: str, kind: str, **extra: Any) -> cb.FieldSpec:
    return codec.decode_attribute(
        {"api_slug": slug, "title": slug, "type": kind, "is_writable": True, **extra}
    )


SCHEMA = cb.ObjectSchema(
    cb.ObjectSpec("people", "People", "p"),
    {
        f.slug: f
        for f in (
            attr("name", "personal-name"),
            attr("email_addresses", "email-address", is_multiselect=True, is_unique=True),
            attr("description", "text"),
            attr("lead_score", "number"),
            attr("vip", "checkbox"),
            attr("deal_value", "currency"),
            attr("born", "date"),
            attr("created_at", "timestamp"),
            codec.with_options(attr("lead_source", "select"), [cb.Option("Web", "o-web")]),
            attr("stage", "status"),
            attr("company", "record-reference"),
            attr("owner", "actor-reference"),
            attr("primary_location", "location"),
            attr("domains", "domain", is_multiselect=True),
            attr("phone_numbers", "phone-number", is_multiselect=True),
            attr("last_interaction", "interaction"),
        )
    },
)


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        (F("description") == "hi", {"description": {"$eq": "hi"}}),
        (F("name").starts_with("Ad"), {"name": {"full_name": {"$starts_with": "Ad"}}}),
        (F("email_addresses").contains("@acme.com"),
         {"email_addresses": {"email_address": {"$contains": "@acme.com"}}}),
        (F("domains").ends_with(".io"), {"domains": {"domain": {"$ends_with": ".io"}}}),
        (F("phone_numbers") == "+12125551234",
         {"phone_numbers": {"phone_number": {"$eq": "+12125551234"}}}),
        (F("lead_score") >= 10, {"lead_score": {"$gte": 10}}),
        (F("lead_score") < 3.5, {"lead_score": {"$lt": 3.5}}),
        (F("deal_value") > cb.Money(100), {"deal_value": {"currency_value": {"$gt": "100"}}}),
        (F("deal_value") == cb.Money("12345678901234.5678"),  # exact, never a float's rounding
         {"deal_value": {"currency_value": {"$eq": "12345678901234.5678"}}}),
        (F("born") <= dt.date(2000, 1, 1), {"born": {"$lte": "2000-01-01"}}),
        (F("created_at") > dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
         {"created_at": {"$gt": "2024-01-01T00:00:00Z"}}),
        (F("created_at") >= dt.date(2024, 5, 1),  # a day: its start (full timestamps only)
         {"created_at": {"$gte": "2024-05-01T00:00:00Z"}}),
        (F("vip") == True, {"vip": {"$eq": True}}),  # noqa: E712
        (F("lead_source") == "Web", {"lead_source": {"$eq": "o-web"}}),
        (F("lead_source") == "Unknown", {"lead_source": {"$eq": "Unknown"}}),
        (F("lead_source").contains(cb.Option("Web")), {"lead_source": {"$eq": "o-web"}}),
        (F("stage") == cb.Option("Won"), {"stage": {"$eq": "Won"}}),
        (F("company") == cb.Ref("companies", "c-1"),
         {"company": {"target_record_id": {"$eq": "c-1"}}}),
        (F("company").is_in([cb.Ref("companies", "c-1"), cb.Ref("companies", "c-2")]),
         {"company": {"target_record_id": {"$in": ["c-1", "c-2"]}}}),
        (F("owner") == cb.User(id="m-1"),  # both properties, $eq only (actor-reference page)
         {"owner": {"referenced_actor_type": "workspace-member", "referenced_actor_id": "m-1"}}),
        (F("description").is_in(["a", "b"]), {"description": {"$in": ["a", "b"]}}),
        (F("lead_score").is_in([1, 2]),
         {"$or": [{"lead_score": {"$eq": 1}}, {"lead_score": {"$eq": 2}}]}),
        (F("description") != "x", {"$not": {"description": {"$eq": "x"}}}),
        (F("domains").is_empty(), {"$not": {"domains": {"$not_empty": True}}}),
        (F("name").is_empty(False), {"name": {"$not_empty": True}}),
        # $not_empty is listed for a phone's country_code, which every phone value has
        (F("phone_numbers").is_empty(),
         {"$not": {"phone_numbers": {"country_code": {"$not_empty": True}}}}),
        # e-mail and domain have no $in: an $or of $eq (issue 17)
        (F("email_addresses").is_in(["a@x.com", "b@x.com"]),
         {"$or": [{"email_addresses": {"email_address": {"$eq": "a@x.com"}}},
                  {"email_addresses": {"email_address": {"$eq": "b@x.com"}}}]}),
        (F("domains").is_in(["x.com"]), {"domains": {"domain": {"$eq": "x.com"}}}),
        # phone operands are normalised as writes are
        (F("phone_numbers") == "+1 (212) 555-1234",
         {"phone_numbers": {"phone_number": {"$eq": "+12125551234"}}}),
        (F("lead_score") == 3.14159, {"lead_score": {"$eq": 3.1416}}),
        (F("primary_location.country_code") == "US",
         {"primary_location": {"country_code": {"$eq": "US"}}}),
        (F("email_addresses.email_domain") == "acme.com",
         {"email_addresses": {"email_domain": {"$eq": "acme.com"}}}),
        (F("last_interaction") >= dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
         {"last_interaction": {"interacted_at": {"$gte": "2024-01-01T00:00:00Z"}}}),
        ((F("description") == "a") | ~(F("lead_score") > 1),
         {"$or": [{"description": {"$eq": "a"}}, {"$not": {"lead_score": {"$gt": 1}}}]}),
    ],
)  # fmt: skip
def test_translate(where: Any, expected: dict[str, Any]) -> None:
    assert translate_filter(where, SCHEMA) == expected


def test_dict_form() -> None:
    where = from_dict({"$and": [{"name": {"$contains": "Ada"}}, {"vip": True}]})
    assert translate_filter(where, SCHEMA) == {
        "$and": [{"name": {"full_name": {"$contains": "Ada"}}}, {"vip": {"$eq": True}}]
    }
    assert translate_filter(None, SCHEMA) is None


@pytest.mark.parametrize(
    ("where", "message"),
    [
        (F("vip") > 1, "cannot filter checkbox attribute 'vip' with 'gt'"),
        (F("lead_score").contains(1), "cannot filter number attribute 'lead_score'"),
        (F("primary_location") == "Paris", "location attribute 'primary_location' with 'eq'"),
        (F("owner").contains("x"), "actor-reference"),
        (F("stage").starts_with("W"), "status attribute 'stage'"),
        # $not_empty is not on the text, e-mail, location, select or number pages
        (F("description").is_empty(), "text attribute 'description' with 'is_empty'"),
        (F("email_addresses").is_empty(), "email-address attribute 'email_addresses'"),
        (F("primary_location").is_empty(), "location attribute 'primary_location'"),
        (F("lead_score").is_empty(), "number attribute 'lead_score'"),
        (F("primary_location.latitude") == "1", "by 'latitude'"),
        (F("primary_location.country_code").contains("U"), "by 'country_code' with 'contains'"),
        (F("email_addresses.original_email_address") == "a@x.com", "'original_email_address'"),
        (F("owner.referenced_actor_id") == "m-1", "type and id together"),
    ],
)
def test_unsupported(where: Any, message: str) -> None:
    with pytest.raises(cb.Unsupported) as info:
        translate_filter(where, SCHEMA)
    assert message in info.value.message


def test_unknown_field_and_sub_property() -> None:
    with pytest.raises(cb.ValidationError, match="did you mean 'lead_score'"):
        translate_filter(F("lead_scor") == 1, SCHEMA)
    with pytest.raises(cb.ValidationError, match="has no property 'zip'"):
        translate_filter(F("primary_location.zip") == "1", SCHEMA)


LIST = cb.ObjectSpec("pipeline", "Pipeline", "l", kind="list", raw={"parent_object": ["people"]})
ENTRIES = cb.ObjectSchema(LIST, {"parent": codec.parent_field(LIST)})
COMPANY = attr("company", "record-reference",
               config={"record_reference": {"allowed_object_ids": ["companies"]}})  # fmt: skip
PEOPLE = cb.ObjectSchema(SCHEMA.object, {**SCHEMA.fields, "company": COMPANY})


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        (F("company.name") == "Acme",
         {"path": [["people", "company"], ["companies", "name"]], "constraints": {"$eq": "Acme"}}),
        (F("company.domains").is_in(["a.co", "b.co"]),  # $or of $eq: not every type has $in
         {"$or": [{"path": [["people", "company"], ["companies", "domains"]],
                   "constraints": {"$eq": "a.co"}},
                  {"path": [["people", "company"], ["companies", "domains"]],
                   "constraints": {"$eq": "b.co"}}]}),
        (F("company.name") != "Acme",
         {"$not": {"path": [["people", "company"], ["companies", "name"]],
                   "constraints": {"$eq": "Acme"}}}),
        (F("company.name").is_empty(),
         {"$not": {"path": [["people", "company"], ["companies", "name"]],
                   "constraints": {"$not_empty": True}}}),
        (F("company.target_record_id") == "c1",  # a property of the reference itself
         {"company": {"target_record_id": {"$eq": "c1"}}}),
    ],
)  # fmt: skip
def test_filters_through_a_reference_are_path_filters(where: Any, expected: Any) -> None:
    assert translate_filter(where, PEOPLE) == expected


def test_list_entries_filter_on_their_parent() -> None:
    assert translate_filter(F("parent") == cb.Ref("people", "p"), ENTRIES) == {
        "path": [["pipeline", "parent_record"], ["people", "record_id"]],
        "constraints": {"$eq": "p"},
    }
    assert translate_filter(F("parent.target_record_id") == "p", ENTRIES) == {
        "path": [["pipeline", "parent_record"], ["people", "record_id"]],
        "constraints": {"$eq": "p"},
    }
    assert translate_filter(F("parent.name").contains("Ada"), ENTRIES) == {
        "path": [["pipeline", "parent_record"], ["people", "name"]],
        "constraints": {"$contains": "Ada"},
    }


def test_path_filters_attio_cannot_express() -> None:
    with pytest.raises(cb.Unsupported, match="one target object"):
        translate_filter(F("company.name") == "Acme", SCHEMA)  # no allowed object known
    with pytest.raises(cb.Unsupported, match="through one reference"):
        translate_filter(F("company.team.name") == "Ada", PEOPLE)
    with pytest.raises(cb.Unsupported, match="sorts by a list entry's parent"):
        translate_sorts([cb.Sort("parent")], ENTRIES)
    with pytest.raises(cb.Unsupported, match="parent's object"):
        translate_filter(F("parent.target_object") == "people", ENTRIES)


def test_sorts() -> None:
    sorts = [cb.Sort("created_at", descending=True), cb.Sort("name"),
             cb.Sort("name.first_name"), cb.Sort("deal_value")]  # fmt: skip
    assert translate_sorts(sorts, SCHEMA) == [
        {"direction": "desc", "attribute": "created_at"},
        {"direction": "asc", "attribute": "name", "field": "last_name"},
        {"direction": "asc", "attribute": "name", "field": "first_name"},
        {"direction": "asc", "attribute": "deal_value"},
    ]
    with pytest.raises(cb.ValidationError):
        translate_sorts([cb.Sort("nope")], SCHEMA)


TARGETS = {
    "companies": {
        f.slug: f
        for f in (attr("name", "text"), attr("created_at", "timestamp"),
                  attr("categories", "select", is_multiselect=True))
    }
}  # fmt: skip


def test_path_filters_take_the_target_attribute_type_when_known() -> None:
    steps = [["people", "company"], ["companies", "created_at"]]
    assert translate_filter(F("company.created_at") >= dt.date(2024, 5, 1), PEOPLE, TARGETS) == {
        "path": steps,
        "constraints": {"$gte": "2024-05-01T00:00:00Z"},
    }
    assert translate_filter(F("company.categories").contains("SaaS"), PEOPLE, TARGETS) == {
        "path": [["people", "company"], ["companies", "categories"]],
        "constraints": {"$eq": "SaaS"},  # a multiselect "has it", as in a direct filter
    }
    with pytest.raises(cb.ValidationError, match=r"no attribute 'nmae' .*did you mean 'name'"):
        translate_filter(F("company.nmae") == "Acme", PEOPLE, TARGETS)


def test_actor_reference_by_email_is_resolved_to_the_member_id() -> None:
    """``F("owner") == "ada@…"`` filters by the member's id, as writes resolve e-mails; an
    e-mail no member has is refused before sending (issue 17)."""
    from crmbridge_attio.filters import member_emails

    where = (F("owner") == "Ada@Example.com") | F("owner").is_in([cb.User(email="b@x.com")])
    assert member_emails(where, SCHEMA) == {"ada@example.com", "b@x.com"}
    members = {"ada@example.com": "m-1", "b@x.com": "m-2"}
    assert translate_filter(where, SCHEMA, members=members) == {"$or": [
        {"owner": {"referenced_actor_type": "workspace-member", "referenced_actor_id": "m-1"}},
        {"owner": {"referenced_actor_type": "workspace-member", "referenced_actor_id": "m-2"}},
    ]}  # fmt: skip
    with pytest.raises(cb.ValidationError, match="no member"):
        translate_filter(F("owner") == "nobody@x.com", SCHEMA, members=members)
    with pytest.raises(cb.ValidationError, match="not a workspace member's e-mail"):
        member_emails(F("owner") == "@", SCHEMA)  # before any request reads the members
