"""add/remove/clear resolution and the upsert no-op comparison (crmbridge_attio.changes)."""

from __future__ import annotations

from crmbridge_attio import changes, codec

import crmbridge as cb


def attr(slug: str, kind: str, multi: bool = False) -> cb.FieldSpec:
    return codec.decode_attribute(
        {"api_slug": slug, "title": slug, "type": kind, "is_writable": True,
         "is_multiselect": multi, "is_unique": slug == "email_addresses"}
    )  # fmt: skip


TAGS = codec.with_options(attr("tags", "select", multi=True),
                          [cb.Option("VIP", "o-vip"), cb.Option("New", "o-new")])  # fmt: skip
SCHEMA = cb.ObjectSchema(
    cb.ObjectSpec("people", "People"),
    {"email_addresses": attr("email_addresses", "email-address", multi=True), "tags": TAGS,
     "name": attr("name", "personal-name")},
)  # fmt: skip
CURRENT = cb.Record(
    "people", "p-1",
    {"email_addresses": ["ada@acme.com"], "tags": [cb.Option("VIP", "o-vip")],
     "name": cb.PersonName("Ada", "Lovelace", "Ada Lovelace")},
)  # fmt: skip


def test_resolve_against_current_values() -> None:
    resolved = changes.resolve(
        SCHEMA,
        {"email_addresses": cb.add("ADA@acme.com", "b@acme.com"), "tags": cb.remove("VIP"),
         "name": "Ada King"},
        CURRENT,
    )  # fmt: skip
    assert resolved == {
        "email_addresses": ["ada@acme.com", "b@acme.com"],  # case-insensitive: no duplicate
        "tags": [],  # removed by label although the record holds it with its id
        "name": "Ada King",
    }
    assert changes.resolve(SCHEMA, {"tags": cb.clear()}, CURRENT) == {"tags": []}
    assert changes.resolve(SCHEMA, {"tags": cb.add("New")}, None) == {"tags": ["New"]}


def test_unchanged_follows_assert_semantics() -> None:
    """The match attribute only gains values; other multiselects must be exactly equal."""
    same = {"email_addresses": ["ada@acme.com"], "tags": ["VIP"],
            "name": cb.PersonName("Ada", "Lovelace")}  # fmt: skip
    assert changes.unchanged(SCHEMA, CURRENT, same, match="email_addresses")
    assert not changes.unchanged(SCHEMA, CURRENT, {**same, "tags": ["VIP", "New"]},
                                 match="email_addresses")  # fmt: skip
    assert not changes.unchanged(SCHEMA, CURRENT, {**same, "tags": []}, match="email_addresses")
    assert not changes.unchanged(SCHEMA, CURRENT, {"email_addresses": ["new@acme.com"]},
                                 match="email_addresses")  # fmt: skip
    assert not changes.unchanged(SCHEMA, CURRENT, {"unknown": 1}, match="email_addresses")


def test_members_given_by_email_take_their_ids() -> None:
    deals = cb.ObjectSchema(
        cb.ObjectSpec("deals", "Deals"),
        {"owner": attr("owner", "actor-reference"), "team": attr("team", "actor-reference", True),
         "name": attr("name", "text")},
    )  # fmt: skip
    values = {
        "owner": cb.User(email="Ada@Acme.com"),
        "team": cb.add(cb.User(email="bob@acme.com"), cb.User(id="m-3")),
        "name": "ada@acme.com",  # not an actor: left alone
    }
    assert changes.member_emails(deals, values) == {"ada@acme.com", "bob@acme.com"}
    members = codec.decode_member_ids({"data": [
        {"id": {"workspace_member_id": "m-1"}, "email_address": "ada@acme.com"},
        {"id": {"workspace_member_id": "m-2"}, "email_address": "BOB@acme.com"},
        {"id": {}, "email_address": "broken@acme.com"},
    ]})  # fmt: skip
    assert members == {"ada@acme.com": "m-1", "bob@acme.com": "m-2"}
    assert changes.with_member_ids(deals, values, members) == {
        "owner": cb.User(id="m-1", email="Ada@Acme.com", kind="workspace-member"),
        "team": cb.add(cb.User(id="m-2", email="bob@acme.com", kind="workspace-member"),
                       cb.User(id="m-3")),
        "name": "ada@acme.com",
    }  # fmt: skip


def test_other_actors_are_left_for_the_encoder_to_refuse() -> None:
    deals = cb.ObjectSchema(cb.ObjectSpec("deals", "Deals"),
                            {"owner": attr("owner", "actor-reference")})  # fmt: skip
    token = {"owner": cb.User(email="bot@acme.com", kind="api-token")}
    assert changes.member_emails(deals, token) == set()
    assert changes.with_member_ids(deals, token, {"bot@acme.com": "m-9"}) == token
