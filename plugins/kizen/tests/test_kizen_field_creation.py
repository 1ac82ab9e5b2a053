"""Kizen field creation (crmbridge_kizen/field_creation.py and the provider's create_field), on the
strict emulator: what is created for each neutral definition, what is refused before any request."""

from __future__ import annotations

import pytest
from crmbridge_kizen.emulator import KizenEmulator
from crmbridge_kizen.field_creation import field_body, planned_field

import crmbridge as cb
from crmbridge import FieldSpec, FieldType, ObjectSchema, Option

T = FieldType
Strict = tuple[cb.Bridge, KizenEmulator]


@pytest.mark.parametrize(
    ("given", "field_type", "neutral", "multi"),
    [
        (FieldSpec("notes", "Notes", T.long_text), "longtext", T.long_text, False),
        (FieldSpec("tier", "Tier", T.option), "dropdown", T.option, False),
        (FieldSpec("labels", "Labels", T.option, multi=True), "checkboxes", T.option, True),
        (FieldSpec("labels", "Labels", T.tags), "dynamictags", T.tags, True),
        (FieldSpec("site", "Site", T.domain), "text", T.text, False),
        (FieldSpec("amount", "Amount", T.number), "decimal", T.number, False),
    ],
)
def test_what_kizen_creates(
    given: FieldSpec, field_type: str, neutral: FieldType, multi: bool
) -> None:
    planned = planned_field(given)
    assert (planned.raw["field_type"], planned.type, planned.multi) == (field_type, neutral, multi)


@pytest.mark.parametrize(
    ("given", "message"),
    [
        (FieldSpec("boss", "Boss", T.reference, target_objects=["a", "b"]), "points to one"),
        (FieldSpec("deck", "Deck", T.file), "uploads"),
        (FieldSpec("aliases", "Aliases", T.text, multi=True), "multi text"),
        (FieldSpec("bad-name", "Bad", T.text), "letters, digits and _"),
        (FieldSpec("owner", "Owner", T.text), "reserves"),
    ],
)
def test_what_kizen_refuses(given: FieldSpec, message: str) -> None:
    with pytest.raises(cb.ValidationError, match=message):
        planned_field(given)


def test_the_body_is_the_admin_cli_one() -> None:
    planned = planned_field(FieldSpec("tier", "Tier", T.option, options=[Option("Gold")]))
    assert field_body(planned, "cat") == {
        "name": "tier", "display_name": "Tier", "field_type": "dropdown", "category": "cat",
        "is_required": False, "is_hidden": False, "options": [{"name": "Gold", "code": "Gold"}],
    }  # fmt: skip


def test_created_fields_are_written_to(strict: Strict) -> None:
    crm, _ = strict
    tier = crm.create_field(
        "companies_company", FieldSpec("tier", "Tier", T.option, options=[Option("Gold")])
    )
    assert [o.label for o in tier.options] == ["Gold"]
    crm.create_field("companies_company", FieldSpec("mrr", "MRR", T.money, currency="EUR"))
    crm.create_field("companies_company", FieldSpec("labels", "Labels", T.tags))
    record = crm.create(
        "companies_company",
        {"name": "Acme", "tier": "Gold", "mrr": cb.Money(5, "EUR"), "labels": ["hot"]},
    )
    assert record["tier"].label == "Gold"
    assert record["mrr"] == cb.Money(5, "EUR")
    assert [o.label for o in record["labels"]] == ["hot"]
    added = crm.create_option("companies_company", "tier", "Silver")
    assert crm.schema("companies_company").fields["tier"].option("Silver") == added


def test_without_a_category_in_the_schema_the_categories_are_read(strict: Strict) -> None:
    crm, emu = strict
    schema = crm.schema("companies_company")
    bare = ObjectSchema(schema.object, {"name": FieldSpec("name", "Name", T.text)})
    planned = crm.provider.field_to_create(bare, FieldSpec("tier", "Tier", T.text))
    before = emu.requests["GET " + f"/api/custom-objects/{schema.object.provider_id}/categories"]
    created = crm.run(crm.provider.create_field(bare, planned))
    assert created.slug == "tier"
    assert (
        emu.requests[f"GET /api/custom-objects/{schema.object.provider_id}/categories"]
        == before + 1
    )


def test_email_status_options_are_refused_before_any_request(strict: Strict) -> None:
    crm, emu = strict
    crm.schema("client_client")
    before = sum(emu.requests.values())
    with pytest.raises(cb.ValidationError, match="fixes the Email Status options"):
        crm.create_option("client_client", "email_status", "Bounced")
    assert sum(emu.requests.values()) == before


def test_a_relationship_is_created_with_its_inverse_and_written(strict: Strict) -> None:
    crm, _ = strict
    spec = FieldSpec("main_deal", "Main deal", T.reference, target_objects=["deals"])
    planned = crm.provider.field_to_create(crm.schema("companies_company"), spec)
    assert (planned.raw["relation"]["relation_type"], planned.multi) == ("primary", False)
    made = crm.create_field("companies_company", spec)
    assert (made.type, made.target_objects, made.multi) == (T.reference, ("deals",), False)
    inverse = [f for f in crm.fields("deals", refresh=True)
               if f.type is T.reference and f.target_objects == ("companies_company",)
               and f.multi and f.label == "Company"]  # fmt: skip
    assert inverse, "no inverse field on deals"
    stage = crm.schema("deals").fields["stage"].options[0]
    deal = crm.create("deals", {"name": "Big one", "stage": stage})
    company = crm.create("companies_company", {"name": "Acme", "main_deal": deal.id})
    assert company["main_deal"] == cb.Ref("deals", deal.id)
    assert crm.get("deals", deal.id)[inverse[0].slug] == [cb.Ref("companies_company", company.id)]
