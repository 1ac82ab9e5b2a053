"""Creating fields and options through the facades (crmbridge/schema_writes.py): every bad
definition is refused before any request, a provider that cannot create says so, and what is made
is in the schema right after (the Attio emulator as the real target)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from toy_provider import ToyCRM

import crmbridge as cb
from crmbridge import FieldSpec, FieldType, Option
from crmbridge.plugins import get_provider


@pytest.fixture
def attio() -> Iterator[tuple[cb.Bridge, object]]:
    emulator = get_provider("attio").create_emulator()
    with cb.connect("attio", emulator=emulator) as crm:
        crm.schema("companies")
        yield crm, emulator


def _writes(emulator: object) -> list[str]:
    return [k for k in emulator.requests if not k.startswith("GET")]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (FieldSpec("", "Tier", FieldType.text), "needs a slug"),
        (FieldSpec("tier", " ", FieldType.text), "needs a label"),
        (FieldSpec("name", "Name", FieldType.text), "already has a field 'name'"),
        (FieldSpec("tier", "Tier", FieldType.unknown), "cannot be created"),
        (FieldSpec("tier", "Tier", FieldType.text, options=[Option("A")]), "has no options"),
        (FieldSpec("tier", "Tier", FieldType.option, options=[Option("A"), Option("a")]),
         "listed twice"),
        (FieldSpec("boss", "Boss", FieldType.reference), "target_objects"),
    ],
)  # fmt: skip
def test_bad_definitions_are_refused_before_any_request(
    attio: tuple[cb.Bridge, object], spec: FieldSpec, message: str
) -> None:
    crm, emulator = attio
    with pytest.raises(cb.ValidationError, match=message):
        crm.create_field("companies", spec)
    assert _writes(emulator) == []


def test_a_definition_must_be_a_fieldspec(attio: tuple[cb.Bridge, object]) -> None:
    crm, _ = attio
    with pytest.raises(cb.ValidationError, match=r"crmbridge\.FieldSpec, got dict"):
        crm.create_field("companies", {"slug": "tier"})  # type: ignore[arg-type]


def test_a_created_field_is_in_the_schema_with_its_options(
    attio: tuple[cb.Bridge, object],
) -> None:
    crm, _ = attio
    spec = FieldSpec("tier", "Tier", FieldType.option, options=[Option("Gold"), Option("Silver")])
    created = crm.create_field("companies", spec)
    assert (created.slug, created.type, [o.label for o in created.options]) == (
        "tier", FieldType.option, ["Gold", "Silver"]
    )  # fmt: skip
    assert [o.label for o in crm.schema("companies").fields["tier"].options] == ["Gold", "Silver"]
    record = crm.create("companies", {"name": "Acme", "tier": "Gold"})
    assert record["tier"] == Option("Gold", created.options[0].id)


def test_a_new_option_is_checked_then_created(attio: tuple[cb.Bridge, object]) -> None:
    crm, emulator = attio
    for label, message in (("", "needs a label"), ("b2b", "already has the option 'b2b'")):
        with pytest.raises(cb.ValidationError, match=message):
            crm.create_option("companies", "categories", label)
    with pytest.raises(cb.ValidationError, match="has no options to add to"):
        crm.create_option("companies", "name", "x")
    assert _writes(emulator) == []
    added = crm.create_option("companies", "categories", " Space ")
    assert added.label == "Space"
    assert crm.schema("companies").fields["categories"].option("Space") == added


def test_a_provider_that_cannot_create_fields_says_so(toy: cb.Bridge, toy_crm: ToyCRM) -> None:
    slug = toy.objects()[0].slug
    toy.schema(slug)
    sent = len(toy_crm.requests)
    with pytest.raises(cb.Unsupported, match="create_fields is false"):
        toy.create_field(slug, FieldSpec("tier", "Tier", FieldType.text))
    with pytest.raises(cb.Unsupported, match="create_options is false"):
        toy.create_option(slug, next(iter(toy.schema(slug).fields)), "x")
    assert len(toy_crm.requests) == sent


def test_the_async_facade_creates_fields_too() -> None:
    async def main() -> None:
        emulator = get_provider("attio").create_emulator()
        async with cb.connect_async("attio", emulator=emulator) as crm:
            spec = FieldSpec("nickname", "Nickname", FieldType.long_text)
            created = await crm.create_field("people", spec)
            assert created.type is FieldType.text  # Attio's text holds long text
            assert "nickname" in (await crm.schema("people")).fields

    asyncio.run(main())
