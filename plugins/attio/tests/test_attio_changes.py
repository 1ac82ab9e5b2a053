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
