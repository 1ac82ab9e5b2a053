"""Attio attribute creation (crmbridge_attio/attributes.py): what Attio creates for each neutral
definition, what it refuses before any request, and the bodies the emulator accepts."""

from __future__ import annotations

import pytest
from crmbridge_attio.attributes import attribute_body, planned_attribute

import crmbridge as cb
from crmbridge import FieldSpec, FieldType, Option
from crmbridge.plugins import get_provider

T = FieldType


@pytest.mark.parametrize(
    ("given", "on_list", "kind", "neutral", "multi"),
    [
        (FieldSpec("notes", "Notes", T.long_text), False, "text", T.text, False),
        (FieldSpec("seats", "Seats", T.integer), False, "number", T.number, False),
        (FieldSpec("labels", "Labels", T.tags), False, "select", T.option, True),
        (FieldSpec("phase", "Phase", T.status), False, "select", T.option, False),
        (FieldSpec("phase", "Phase", T.status), True, "status", T.status, False),
        (FieldSpec("mail", "Mail", T.email), False, "text", T.text, False),
        (FieldSpec("site", "Site", T.domain), False, "text", T.text, False),
        (FieldSpec("boss", "Boss", T.reference, multi=True, target_objects=["people"]), False,
         "record-reference", T.reference, True),
    ],
)  # fmt: skip
def test_what_attio_creates(
    given: FieldSpec, on_list: bool, kind: str, neutral: FieldType, multi: bool
) -> None:
    planned = planned_attribute(given, on_list=on_list)
    assert (planned.raw["type"], planned.type, planned.multi) == (kind, neutral, multi)
    assert (planned.slug, planned.label) == (given.slug, given.label)


@pytest.mark.parametrize(
    ("given", "message"),
    [
        (FieldSpec("Bad-Slug", "X", T.text), "snake case"),
        (FieldSpec("titles", "Titles", T.text, multi=True), "multiselect text"),
        (FieldSpec("deck", "Deck", T.file), "cannot create a file"),
        (FieldSpec("tier", "Tier", T.option, unique=True), "cannot be unique"),
        (FieldSpec("mrr", "MRR", T.money, currency="XXX"), "in 'XXX'"),
    ],
)
def test_what_attio_refuses(given: FieldSpec, message: str) -> None:
    with pytest.raises(cb.ValidationError, match=message):
        planned_attribute(given, on_list=False)


def test_bodies_carry_every_key_and_the_config() -> None:
    money = planned_attribute(FieldSpec("mrr", "MRR", T.money), on_list=False)
    body = attribute_body(money)["data"]
    assert set(body) == {"title", "description", "api_slug", "type", "is_required", "is_unique",
                         "is_multiselect", "default_value", "config"}  # fmt: skip
    assert body["config"] == {
        "currency": {"default_currency_code": "USD", "display_type": "symbol"}
    }
    ref = planned_attribute(FieldSpec("boss", "Boss", T.reference, target_objects=["people"]),
                            on_list=False)  # fmt: skip
    assert attribute_body(ref)["data"]["config"] == {
        "record_reference": {"allowed_objects": ["people"]}
    }


def test_created_on_the_emulator_and_written_to() -> None:
    emulator = get_provider("attio").create_emulator()
    with cb.connect("attio", emulator=emulator) as crm:
        mrr = crm.create_field("companies", FieldSpec("mrr", "MRR", T.money, currency="EUR"))
        boss = crm.create_field(
            "companies", FieldSpec("boss", "Boss", T.reference, target_objects=["people"])
        )
        phase = crm.create_field(
            "companies", FieldSpec("phase", "Phase", T.status, options=[Option("New")])
        )
        assert (mrr.currency, boss.target_objects, phase.type) == ("EUR", ("people",), T.option)
        person = crm.create("people", {"email_addresses": ["a@example.com"]})
        values = {"name": "Acme", "mrr": cb.Money(5, "EUR"), "boss": person.id, "phase": "New"}
        company = crm.create("companies", values)
        assert company["mrr"] == cb.Money(5, "EUR")
        assert company["boss"] == cb.Ref("people", person.id)
        assert company["phase"].label == "New"
