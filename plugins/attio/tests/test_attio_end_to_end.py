"""The provider against the Attio emulator (crmbridge_attio.emulator), sync and async: the write
forms the codec produces are the ones a wire-faithful Attio accepts, and upsert actions are true."""

from __future__ import annotations

import asyncio

import pytest

import crmbridge as cb
from crmbridge.testing.strict import StrictEmulators


@pytest.fixture
def crm() -> cb.Bridge:
    return cb.connect("attio", emulator=True)


def test_people_lifecycle(crm: cb.Bridge, crmbridge_strict_emulators: StrictEmulators) -> None:
    person = crm.create(
        "people",
        {"name": "Ada Lovelace", "email_addresses": ["ada@acme.com"],
         "phone_numbers": ["+44 20 7123 4567"]},
    )  # fmt: skip
    assert person["name"] == cb.PersonName("Ada", "Lovelace", "Ada Lovelace")
    assert person["phone_numbers"] == ["+442071234567"]

    same = crm.upsert("people", {"email_addresses": ["ada@acme.com"], "name": "Ada Lovelace"},
                      match="email_addresses")  # fmt: skip
    assert (same.action, same.record.id) == ("noop", person.id)
    changed = crm.upsert("people", {"email_addresses": ["ada@acme.com"], "name": "Ada King"},
                         match="email_addresses")  # fmt: skip
    assert (changed.action, changed.record.id) == ("updated", person.id)
    assert changed.record["name"].full == "Ada King"
    new = crm.upsert("people", {"email_addresses": ["bob@acme.com"], "name": "Bob"},
                     match="email_addresses")  # fmt: skip
    assert new.action == "created"
    assert new.record.id != person.id

    added = crm.update("people", person.id, {"email_addresses": cb.add("ada2@acme.com")})
    assert sorted(added["email_addresses"]) == ["ada2@acme.com", "ada@acme.com"]
    removed = crm.update("people", person.id, {"email_addresses": cb.remove("ada@acme.com")})
    assert removed["email_addresses"] == ["ada2@acme.com"]
    versions = crm.history("people", person.id, "email_addresses")
    assert [(v.value, v.active_until is None) for v in versions] == [
        ("ada@acme.com", False), ("ada2@acme.com", True),
    ]  # fmt: skip

    found = list(crm.query("people", cb.F("email_addresses").contains("acme"), page_size=1))
    assert sorted(r.id for r in found) == sorted([person.id, new.record.id])

    company = crm.create("companies", {"name": "Acme", "domains": ["acme.com"]})
    linked = crm.update("people", person.id, {"company": cb.Ref("companies", "acme.com")})
    assert linked["company"] == cb.Ref("companies", str(company.id))

    crm.delete("people", person.id)
    with pytest.raises(cb.NotFound), crmbridge_strict_emulators.expect(404, "not_found"):
        crm.get("people", person.id)
    with pytest.raises(cb.Unsupported):
        crm.archive("people", str(new.record.id))


def test_async_bridge_runs_the_same_plans() -> None:
    async def main() -> list[str]:
        async with cb.connect_async("attio", emulator=True) as crm:
            await crm.create("companies", {"name": "A", "domains": ["a.com"]})
            result = await crm.upsert("companies", {"domains": ["a.com"], "name": "A"},
                                      match="domains")  # fmt: skip
            assert result.action == "noop"
            return [r["name"] async for r in crm.query("companies", cb.F("name") == "A")]

    assert asyncio.run(main()) == ["A"]


def test_filters_through_references_are_answered_as_a_scan_would() -> None:
    """Path filters (``company.name``, a list entry's ``parent``) against the emulator: the same
    records as following the references by hand."""
    with cb.connect("attio", emulator={"seed": "demo", "demo_size": 60}) as crm:
        companies = {c.id: c for c in crm.query("companies")}
        people = list(crm.query("people"))
        name = next(c["name"] for c in companies.values())
        by_hand = {
            p.id for p in people if p["company"] and companies[p["company"].id]["name"] == name
        }
        found = {p.id for p in crm.query("people", cb.F("company.name") == name)}
        assert by_hand
        assert found == by_hand
        others = {p.id for p in crm.query("people", cb.F("company.name") != name)}
        assert others == {p.id for p in people} - by_hand

        entries = list(crm.query("sales_pipeline"))
        parent = entries[0]["parent"]
        mine = {e.id for e in entries if e["parent"] == parent}
        assert {e.id for e in crm.query("sales_pipeline", cb.F("parent") == parent)} == mine


def test_path_filter_attributes_are_read_once_and_checked() -> None:
    sent: list[str] = []
    with cb.connect("attio", emulator={"seed": "demo", "demo_size": 40},
                    on_request=lambda r: sent.append(f"{r.method} {r.url.path}")) as crm:  # fmt: skip
        crm.fields("people")
        sent.clear()
        list(crm.query("people", cb.F("company.name") == "x"))
        list(crm.query("people", cb.F("company.name") == "y"))
        assert sent.count("GET /v2/objects/companies/attributes") == 1
        sent.clear()
        with pytest.raises(cb.ValidationError, match="did you mean 'name'"):
            list(crm.query("people", cb.F("company.nmae") == "x"))
        # read again for a name it did not know, then refused before any query
        assert sent == ["GET /v2/objects/companies/attributes"]
