"""``migrate --create-fields`` (crmbridge/migrate/new_fields.py, field_creation.py): a mapping
naming fields the target lacks is refused before any write without the flag (naming every field
and the flag), planned and printed in a dry run, and run with it; both directions between the
emulators."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import attrs
import pytest

import crmbridge as cb
from crmbridge.emulation import Emulator
from crmbridge.migrate import Report, migrate, parse_mapping, verify
from crmbridge.plugins import get_provider

ATTIO_TO_KIZEN = {
    "objects": [
        {
            "source": "companies",
            "target": "companies_company",
            "fields": {
                "name": "name",
                "domains": {"to": "domain", "transform": "first"},
                "employee_range": "employee_range",
                "foundation_date": "founded",
                "funding_raised_usd": "funding",
                "categories": "sectors",
            },
        }
    ]
}
KIZEN_TO_ATTIO = {
    "objects": [
        {
            "source": "companies_company",
            "target": "companies",
            "match": "domains",
            "fields": {
                "name": "name",
                "domain": "domains",
                "industry": "industry",
                "employee_count": "headcount",
                "annual_revenue": "revenue",
                "description": "summary",
            },
        }
    ]
}


def _emulators(source: str, target: str) -> tuple[Emulator, Emulator]:
    return (
        get_provider(source).create_emulator(seed="demo", demo_size=30, random_seed=5),
        get_provider(target).create_emulator(),
    )


def _migrate(source: Emulator, target: Emulator, mapping: Any, tmp: Path, **kw: Any) -> Report:
    return migrate(
        cb.connect_async(source.name, emulator=source),
        cb.connect_async(target.name, emulator=target),
        parse_mapping(mapping),
        state=tmp / "s.db",
        failures=None,
        **kw,
    )


def _writes(emulator: Emulator) -> list[str]:
    return [k for k in emulator.requests if not k.startswith("GET")]


@pytest.mark.parametrize(
    ("source", "target", "mapping", "missing"),
    [
        ("attio", "kizen", ATTIO_TO_KIZEN, ["employee_range", "founded", "funding", "sectors"]),
        ("kizen", "attio", KIZEN_TO_ATTIO, ["industry", "headcount", "revenue", "summary"]),
    ],
)
def test_without_the_flag_every_missing_field_is_named_before_any_write(
    tmp_path: Path, source: str, target: str, mapping: Any, missing: list[str]
) -> None:
    src, dst = _emulators(source, target)
    with pytest.raises(cb.ValidationError) as caught:
        _migrate(src, dst, mapping, tmp_path)
    text = str(caught.value)
    for slug in missing:
        assert f"has no field {slug!r}" in text
    assert text.count("pass --create-fields to create it") == len(missing)
    assert _writes(dst) == []


def test_attio_to_kizen_creates_the_fields_then_copies_the_values(tmp_path: Path) -> None:
    src, dst = _emulators("attio", "kizen")
    report = _migrate(src, dst, ATTIO_TO_KIZEN, tmp_path, create_fields=True)
    assert report.failed == 0
    with cb.connect("attio", emulator=src) as attio, cb.connect("kizen", emulator=dst) as kizen:
        fields = kizen.schema("companies_company").fields
        assert (fields["employee_range"].type, fields["founded"].type) == (
            cb.FieldType.option, cb.FieldType.date
        )  # fmt: skip
        assert fields["sectors"].multi
        assert fields["funding"].type is cb.FieldType.money
        made = {c["name"]: c for c in kizen.query("companies_company")}
        companies = list(attio.query("companies"))
        assert len(made) == len(companies)
        for company in companies:
            copy = made[company["name"]]
            assert copy["founded"] == company["foundation_date"]
            assert _label(copy["employee_range"]) == _label(company["employee_range"])
            assert {o.label for o in copy["sectors"]} == {o.label for o in company["categories"]}
            amount = company["funding_raised_usd"]
            assert (copy["funding"].amount if copy["funding"] else None) == (
                amount.amount if amount else None
            )
    again = _migrate(src, dst, ATTIO_TO_KIZEN, tmp_path, create_fields=True)
    assert again.writes == 0  # the fields exist now: nothing to create, every record a noop
    checked = verify(
        cb.connect_async("attio", emulator=src),
        cb.connect_async("kizen", emulator=dst),
        parse_mapping(ATTIO_TO_KIZEN),
        state=tmp_path / "s.db",
    )
    assert checked.ok, checked.differences
    assert checked.checked


def test_kizen_to_attio_creates_the_fields_then_copies_the_values(tmp_path: Path) -> None:
    src, dst = _emulators("kizen", "attio")
    report = _migrate(src, dst, KIZEN_TO_ATTIO, tmp_path, create_fields=True)
    assert report.failed == 0
    checked = verify(
        cb.connect_async("kizen", emulator=src),
        cb.connect_async("attio", emulator=dst),
        parse_mapping(KIZEN_TO_ATTIO),
        state=tmp_path / "s.db",
    )
    assert checked.ok, checked.differences
    with cb.connect("kizen", emulator=src) as kizen, cb.connect("attio", emulator=dst) as attio:
        fields = attio.schema("companies").fields
        assert fields["headcount"].type is cb.FieldType.number
        assert fields["summary"].type is cb.FieldType.text  # Attio has no long text
        made = {c["domains"][0]: c for c in attio.query("companies")}
        for company in kizen.query("companies_company"):
            copy = made[company["domain"]]
            assert copy["headcount"] == company["employee_count"]
            assert _label(copy["industry"]) == _label(company["industry"])
            assert copy["summary"] == company["description"]


def test_a_dry_run_prints_the_fields_and_creates_nothing(tmp_path: Path) -> None:
    src, dst = _emulators("kizen", "attio")
    lines: list[dict[str, Any]] = []
    _migrate(src, dst, KIZEN_TO_ATTIO, tmp_path, create_fields=True, dry_run=True,
             on_plan=lines.append)  # fmt: skip
    created = {line["field"]: line for line in lines if line["action"] == "create_field"}
    assert sorted(created) == ["headcount", "industry", "revenue", "summary"]
    assert created["industry"]["type"] == "option"
    assert created["industry"]["options"]  # the source's labels
    assert created["revenue"]["currency"] == "USD"
    assert _writes(dst) == []
    with cb.connect("attio", emulator=dst) as attio:
        assert "headcount" not in attio.schema("companies").fields


def test_a_field_the_target_cannot_create_is_refused_before_any_write(tmp_path: Path) -> None:
    mapping = {"objects": [{**ATTIO_TO_KIZEN["objects"][0], "fields": {
        "name": "name", "team": "staff", "domains": "site_list"}}]}  # fmt: skip
    src, dst = _emulators("attio", "kizen")
    with pytest.raises(cb.ValidationError) as caught:
        _migrate(src, dst, mapping, tmp_path, create_fields=True)
    assert [e.field for e in caught.value.field_errors] == [
        "companies_company.staff",
        "companies_company.site_list",
    ]
    assert "would reference people, which this mapping does not migrate" in str(caught.value)
    assert "kizen cannot create a multi domain field" in str(caught.value)
    assert _writes(dst) == []


def _label(value: Any) -> Any:
    return value.label if isinstance(value, cb.Option) else value


def test_a_new_option_field_takes_every_label_once() -> None:
    from crmbridge import FieldSpec, FieldType, Option
    from crmbridge.migrate.new_fields import definition_for

    mapping = parse_mapping({"objects": [{"source": "a", "target": "b", "fields": {
        "kind": {"to": "kind", "transform": "map_options", "options": {"Old": "New"}}}}]})  # fmt: skip
    om = mapping.objects[0]
    source = FieldSpec("kind", "Kind", FieldType.status,
                       options=[Option("Old"), Option("open"), Option("Open"), Option("New")])  # fmt: skip
    spec = definition_for(om, om.fields[0], "kind", source, {"a": "b"})
    assert (spec.type, [o.label for o in spec.options]) == (FieldType.option, ["New", "open"])


@pytest.mark.parametrize(
    ("source", "target", "objects"),
    [
        ("attio", "kizen", [("companies", "companies_company", {"name": "name"}, None),
                            ("people", "client_client", {"email_addresses": {
                                "to": "email", "transform": "first"}, "company": "employer"},
                             None)]),
        ("kizen", "attio", [("companies_company", "companies", {"name": "name", "domain": "domains"},
                             "domains"),
                            ("client_client", "people", {"email": "email_addresses",
                                                         "company_primary": "employer"},
                             "email_addresses")]),
    ],
)  # fmt: skip
def test_a_new_reference_field_points_to_the_migrated_records(
    tmp_path: Path, source: str, target: str, objects: list[Any]
) -> None:
    mapping = {"objects": [
        {"source": s, "target": t, "fields": f, **({"match": m} if m else {})}
        for s, t, f, m in objects
    ]}  # fmt: skip
    src, dst = _emulators(source, target)
    report = _migrate(src, dst, mapping, tmp_path, create_fields=True)
    assert report.failed == 0
    (companies, _, _, _), (people, contacts, _, _) = objects
    target_companies = objects[0][1]
    with cb.connect(source, emulator=src) as a, cb.connect(target, emulator=dst) as b:
        employer = b.schema(contacts).fields["employer"]
        assert (employer.type, employer.target_objects) == (
            cb.FieldType.reference, (target_companies,)
        )  # fmt: skip
        names = {c.id: c["name"] for c in a.query(companies)}
        made = {c.id: c["name"] for c in b.query(target_companies)}
        source_ref = "company" if source == "attio" else "company_primary"
        pointed = {}
        for person in a.query(people):
            ref = person[source_ref]
            key = person["email_addresses"][0] if source == "attio" else person["email"]
            pointed[key] = names[ref.id] if ref else None
        assert any(pointed.values())
        for contact in b.query(contacts):
            key = contact["email"] if target == "kizen" else contact["email_addresses"][0]
            ref = contact["employer"]
            assert (made[ref.id] if ref else None) == pointed[key]


def test_the_flag_needs_a_target_that_creates_fields_only_when_one_is_missing(
    tmp_path: Path,
) -> None:
    """A target that cannot create fields refuses --create-fields only when there is something to
    create (naming the flag), before any write."""
    from crmbridge.migrate.prepare import prepare_plans

    src, dst = _emulators("kizen", "attio")

    async def prepare(mapping: Any) -> Any:
        source = cb.connect_async("kizen", emulator=src)
        target = cb.connect_async("attio", emulator=dst)
        target.provider.capabilities = attrs.evolve(  # type: ignore[misc]
            target.provider.capabilities, create_fields=False
        )
        async with source, target:
            return await prepare_plans(source, target, parse_mapping(mapping),
                                       create_options=True, can_create_options=True,
                                       create_fields=True)  # fmt: skip

    fits = {"objects": [{**KIZEN_TO_ATTIO["objects"][0], "fields": {"name": "name",
                                                                     "domain": "domains"}}]}  # fmt: skip
    assert asyncio.run(prepare(fits)).new_fields == {}
    with pytest.raises(cb.Unsupported, match="cannot create fields \\(--create-fields\\)"):
        asyncio.run(prepare(KIZEN_TO_ATTIO))
    assert _writes(dst) == []
