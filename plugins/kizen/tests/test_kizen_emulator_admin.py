"""Kizen emulator: adding one option to a field and listing the team (emulator/admin.py), and the
provider's ``create_option`` on it (issue 23: migrations create the labels a target lacks)."""

from __future__ import annotations

from crmbridge_kizen.emulator import KizenEmulator
from kizen_emulator_support import client, field_id

import crmbridge as cb


def _object_id(emu: KizenEmulator, name: str) -> str:
    return str(emu.store.object(name).obj.id)  # type: ignore[union-attr]


def test_an_option_is_added_one_at_a_time_and_kept() -> None:
    emu = KizenEmulator()
    http = client(emu)
    path = (
        f"/api/custom-objects/{_object_id(emu, 'companies_company')}/fields/"
        f"{field_id(emu, 'companies_company', 'categories')}/options"
    )
    r = http.post(path, json={"name": "Consulting"})
    assert r.status_code == 201
    added = r.json()
    assert added["name"] == "Consulting"
    assert added["id"]
    fields = http.get(f"/api/custom-objects/{_object_id(emu, 'companies_company')}/fields").json()
    (categories,) = [f for f in fields if f["name"] == "categories"]
    names = [o["name"] for o in categories["options"]]
    assert names[-1] == "Consulting"
    assert "B2B" in names
    again = http.post(path, json={"name": "consulting"})
    assert again.status_code == 400
    assert "already exists" in again.text
    assert http.post(path, json={}).status_code == 400


def test_options_cannot_be_added_to_a_text_field() -> None:
    emu = KizenEmulator()
    path = (
        f"/api/custom-objects/{_object_id(emu, 'companies_company')}/fields/"
        f"{field_id(emu, 'companies_company', 'domain')}/options"
    )
    assert client(emu).post(path, json={"name": "x"}).status_code == 400


def test_the_provider_creates_an_option_the_schema_then_lists(
    strict: tuple[cb.Bridge, KizenEmulator],
) -> None:
    kizen, _ = strict
    assert kizen.capabilities.create_options
    for obj, field in (("deals", "stage"), ("companies_company", "categories")):
        schema = kizen.schema(obj)
        option = kizen.run(kizen.provider.create_option(schema, schema.fields[field], "Discovery"))
        assert option.label == "Discovery"
        assert option.id
        kizen.invalidate_schema(obj)
        assert kizen.schema(obj).fields[field].option("Discovery") == option


def test_the_team_is_an_unpaginated_array_of_employees() -> None:
    emu = KizenEmulator()
    team = client(emu).get("/api/team").json()
    assert isinstance(team, list)
    assert team
    assert {"id", "email", "first_name", "last_name"} <= set(team[0])
