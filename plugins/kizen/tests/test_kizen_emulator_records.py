"""Kizen emulator: record reads and writes, archive, upsert and their conflicts (docs/reference/kizen.md §4 to §7, §9)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from crmbridge_kizen.emulator import KizenEmulator
from kizen_emulator_support import add, field_id, values

CO = "/api/records/companies_company"
CT = "/api/records/client_client"


# --- reads --------------------------------------------------------------------------------------


def test_add_answers_created_with_kizen_read_shape(c: httpx.Client, emu: KizenEmulator) -> None:
    body = add(c, CO, name="Acme", annual_revenue=1250.5, industry={"name": "Software"})
    assert body["action"] == "created"
    assert body["client_info"] is None
    assert body["access"] == {"view": True, "edit": True, "remove": True}
    assert body["display_name"] == "Acme"
    fid = field_id(emu, "companies_company", "annual_revenue")
    assert body["fields"][fid] == {
        "id": fid,
        "name": "annual_revenue",
        "field_type": "money",
        "display_name": "Annual Revenue",
        "value": {"currency": "USD", "symbol": "$", "amount": 1250.5},
    }
    v = values(body)
    assert v["industry"]["name"] == "Software"
    assert set(v["industry"]) == {"id", "code", "name"}
    assert v["owner"]["id"] == emu.user_id  # the caller is the default owner
    assert v["created"].endswith("+00:00")


def test_blank_fields_are_omitted(c: httpx.Client) -> None:
    body = add(c, CO, name="Blank Co", domain="")
    assert "domain" not in values(body)
    assert "description" not in values(body)
    got = c.get(f"{CO}/{body['id']}").json()
    assert set(got) == {"id", "object_type", "client_info", "access", "fields"}


def test_get_with_field_names_and_detail_summary(c: httpx.Client) -> None:
    rid = add(c, CO, name="Acme", domain="acme.com")["id"]
    only = c.get(f"{CO}/{rid}", params={"field_names": "domain,nope"}).json()
    assert list(values(only)) == ["domain"]
    defaults = c.get(f"{CO}/{rid}", params={"field_names": ""}).json()
    assert "domain" not in values(defaults)
    assert "name" in values(defaults)
    detail = c.get(f"{CO}/{rid}", params={"detail_summary": "true"}).json()
    assert detail["lead_source_types"] == []
    assert detail["num_upcoming_activities"] == 0


def test_contact_reads_have_client_info_and_full_name(c: httpx.Client) -> None:
    body = add(c, CT, first_name="Ada", last_name="Lovelace", email="ada@example.com")
    assert body["client_info"] == {
        "display_name": "Ada Lovelace",
        "email_on_suppression_list": False,
        "num_addresses_v2": 0,
    }
    assert values(body)["full_name"] == "Ada Lovelace"


def test_lookup_is_exact_and_case_sensitive(c: httpx.Client) -> None:
    rid = add(c, CT, email="Ada@Example.com")["id"]
    assert c.get(f"{CT}/lookup", params={"identifier": "Ada@Example.com"}).json()["id"] == rid
    assert c.get(f"{CT}/lookup", params={"identifier": "ada@example.com"}).status_code == 404
    missing = c.get(f"{CT}/lookup")
    assert missing.status_code == 400
    assert missing.json() == {"identifier": ["This field is required."]}


def test_lookup_all_fields_false_gives_default_fields(c: httpx.Client) -> None:
    add(c, CO, name="Acme", domain="acme.com")
    body = c.get(f"{CO}/lookup", params={"identifier": "Acme", "all_fields": "false"}).json()
    assert "domain" not in values(body)
    assert values(body)["name"] == "Acme"


# --- updates ------------------------------------------------------------------------------------


def test_patch_answers_written_fields_and_ignores_unknown_keys(c: httpx.Client) -> None:
    rid = add(c, CO, name="Acme", domain="acme.com")["id"]
    r = c.patch(
        f"{CO}/{rid}",
        json={"fields": [{"name": "employee_count", "value": 12}], "archived": True, "x": 1},
    )
    assert r.status_code == 200
    assert set(values(r.json())) == {"employee_count", "updated"}
    full = c.patch(f"{CO}/{rid}", params={"return_all_fields": "true"}, json={"fields": []})
    assert values(full.json())["domain"] == "acme.com"
    assert c.get(f"{CO}/{rid}").status_code == 200  # "archived": true did nothing


def test_put_requires_fields_and_answers_everything(c: httpx.Client) -> None:
    rid = add(c, CO, name="Acme", domain="acme.com")["id"]
    assert c.put(f"{CO}/{rid}", json={}).json() == {"fields": ["This field is required."]}
    body = c.put(f"{CO}/{rid}", json={"fields": [{"name": "domain", "value": "acme.io"}]}).json()
    assert values(body)["domain"] == "acme.io"
    assert values(body)["name"] == "Acme"


def test_write_by_field_id_and_clearing_with_null(c: httpx.Client, emu: KizenEmulator) -> None:
    rid = add(c, CO, name="Acme", domain="acme.com")["id"]
    fid = field_id(emu, "companies_company", "domain")
    c.patch(f"{CO}/{rid}", json={"fields": [{"id": fid, "value": None}]})
    assert "domain" not in values(c.get(f"{CO}/{rid}").json())


def test_option_references_by_id_name_and_bare_id(c: httpx.Client, emu: KizenEmulator) -> None:
    industry = emu.field("companies_company", "industry")
    option = industry.options[2]  # type: ignore[index]
    for ref in ({"id": option.id}, {"name": option.name.upper()}, option.id):
        body = add(c, CO, name=f"Acme {ref!s}", industry=ref)
        assert values(body)["industry"] == {
            "id": option.id,
            "code": option.code,
            "name": option.name,
        }


def test_value_vs_add_values_per_multiplicity(c: httpx.Client) -> None:
    rid = add(c, CO, name="Acme", categories=[{"name": "B2B"}])["id"]
    r = c.patch(
        f"{CO}/{rid}",
        json={
            "fields": [{"name": "categories", "add_values": [{"name": "SaaS"}, {"name": "B2B"}]}]
        },
    )
    assert [o["name"] for o in values(r.json())["categories"]] == ["B2B", "SaaS"]
    r = c.patch(
        f"{CO}/{rid}", json={"fields": [{"name": "categories", "remove_values": [{"name": "B2B"}]}]}
    )
    assert [o["name"] for o in values(r.json())["categories"]] == ["SaaS"]
    bad = c.patch(
        f"{CO}/{rid}",
        json={
            "fields": [
                {"name": "domain", "add_values": ["x"]},
                {"name": "categories", "value": "B2B"},
            ]
        },
    )
    assert bad.status_code == 400
    assert bad.json() == {
        "non_field_errors": [],
        "fields": [
            {"add_values": ["This field does not allow multiple values."]},
            {"value": ['Expected a list of items but got type "str".']},
        ],
    }


def test_dynamic_tags_by_name_are_created(c: httpx.Client, emu: KizenEmulator) -> None:
    body = add(c, CT, email="t@example.com", titles=[{"name": "CTO"}])
    tag = values(body)["titles"][0]
    assert set(tag) == {"id", "name"}
    assert tag["name"] == "CTO"
    again = add(c, CT, email="u@example.com", titles=[{"name": "cto"}, {"id": tag["id"]}])
    assert values(again)["titles"] == [tag]


def test_positional_field_errors(c: httpx.Client) -> None:
    r = c.post(
        f"{CO}/add",
        json={
            "fields": [
                {"name": "name", "value": "Acme"},
                {"name": "employee_count", "value": "many"},
                {"name": "domain", "value": "acme.com"},
                {"name": "no_such_field", "value": 1},
                {"name": "created", "value": "2020-01-01"},
                {"name": "industry", "value": {"id": "nope"}},
            ]
        },
    )
    assert r.status_code == 400
    errors = r.json()["fields"]
    assert len(errors) == 6
    assert errors[0] == {}
    assert errors[2] == {}
    assert errors[1] == {"value": ["A valid integer is required."]}
    assert "name" in errors[3]
    assert errors[4] == {"value": ["This field is read-only."]}
    assert errors[5] == {"value": ['Invalid pk "nope" - object does not exist.']}
    assert c.post(f"{CO}/search", json={}).json()["count"] == 0  # nothing written


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("domain", "x" * 256, "Ensure this field has no more than 255 characters."),
        ("employee_count", 2**31, "Ensure this value is less than or equal to 2147483647."),
        ("annual_revenue", "lots", "A valid number is required."),
        ("phone", "call me", "Enter a valid phone number."),
        ("owner", "nobody", 'Invalid pk "nobody" - object does not exist.'),
    ],
)
def test_type_validation(c: httpx.Client, field: str, value: Any, message: str) -> None:
    r = c.post(
        f"{CO}/add",
        json={"fields": [{"name": "name", "value": "X"}, {"name": field, "value": value}]},
    )
    assert r.status_code == 400
    assert r.json()["fields"] == [{}, {"value": [message]}]


def test_name_is_required_on_add(c: httpx.Client) -> None:
    r = c.post(f"{CO}/add", json={"fields": [{"name": "domain", "value": "a.com"}]})
    assert r.status_code == 400
    assert r.json()["non_field_errors"] == ['The field "name" is required.']


# --- uniqueness and archive ---------------------------------------------------------------------


def test_unique_contact_email_case_insensitive(c: httpx.Client) -> None:
    add(c, CT, email="ada@example.com")
    r = c.post(f"{CT}/add", json={"fields": [{"name": "first_name", "value": "A"},
                                             {"name": "email", "value": "ADA@example.com"}]})  # fmt: skip
    assert r.status_code == 400
    assert r.json()["fields"] == [{}, {"value": ["Contact with this email already exists."]}]


def test_unique_record_name_is_exact(c: httpx.Client) -> None:
    add(c, CO, name="Acme")
    assert (
        c.post(f"{CO}/add", json={"fields": [{"name": "name", "value": "Acme"}]}).status_code == 400
    )
    add(c, CO, name="ACME")  # case variants may coexist (docs/reference/kizen.md §6)


def test_archive_unarchive_cycle(c: httpx.Client, emu: KizenEmulator) -> None:
    rid = add(c, CO, name="Acme", domain="acme.com")["id"]
    r = c.delete(f"{CO}/{rid}")
    assert r.status_code == 204
    assert r.content == b""
    assert c.get(f"{CO}/{rid}").status_code == 404
    assert c.delete(f"{CO}/{rid}").status_code == 404
    assert c.patch(f"{CO}/{rid}", json={"fields": []}).status_code == 404
    assert c.post(f"{CO}/search", json={}).json()["count"] == 0
    assert [r["archived"] for r in emu.records("companies_company")] == [True]
    r = c.patch(f"{CO}/{rid}/unarchive")
    assert r.status_code == 200
    assert values(r.json())["domain"] == "acme.com"  # data kept
    assert c.patch(f"{CO}/{rid}/unarchive").status_code == 400  # not archived


def test_add_over_archived_name(c: httpx.Client, emu: KizenEmulator) -> None:
    rid = add(c, CO, name="Acme", domain="acme.com")["id"]
    c.delete(f"{CO}/{rid}")
    body = {"fields": [{"name": "name", "value": "Acme"}, {"name": "employee_count", "value": 3}]}
    prompt = c.post(f"{CO}/add", json=body)
    assert prompt.status_code == 400
    assert prompt.json()["fields"] == [{}, {}]
    assert "archived" in prompt.json()["non_field_errors"][0]
    restored = c.post(f"{CO}/add", json={**body, "unarchive": "unarchive"})
    assert restored.json()["id"] == rid
    assert restored.json()["action"] == "unarchived"
    assert values(restored.json())["domain"] == "acme.com"
    assert values(restored.json())["employee_count"] == 3
    c.delete(f"{CO}/{rid}")
    new = c.post(f"{CO}/add", json={**body, "unarchive": "overwrite"}).json()
    assert new["id"] != rid
    archived = emu.records("companies_company", archived=True)
    assert [r["values"]["name"] for r in archived] == [f"Acme (archived-{rid[:8]})"]
    assert c.post(f"{CO}/add", json={**body, "unarchive": "bogus"}).status_code == 400


def test_update_onto_an_archived_name(c: httpx.Client, emu: KizenEmulator) -> None:
    old = add(c, CO, name="Acme")["id"]
    c.delete(f"{CO}/{old}")
    rid = add(c, CO, name="Other")["id"]
    rename = {"fields": [{"name": "name", "value": "Acme"}]}
    assert c.patch(f"{CO}/{rid}", json=rename).status_code == 400
    r = c.patch(f"{CO}/{rid}", json={**rename, "archived_conflict": "overwrite"})
    assert r.status_code == 200
    assert values(r.json())["name"] == "Acme"
    assert c.get(f"{CO}/lookup", params={"identifier": "Acme"}).json()["id"] == rid
    assert emu.record("companies_company", old)["values"]["name"] == f"Acme (archived-{old[:8]})"


# --- upsert -------------------------------------------------------------------------------------


def test_upsert_creates_then_updates_case_insensitively(c: httpx.Client) -> None:
    r = c.post(f"{CT}/upsert", json={"lookup_value": "Ada@Example.com",
                                     "fields": [{"name": "first_name", "value": "Ada"}]})  # fmt: skip
    assert r.status_code == 201
    assert r.json()["action"] == "created"
    assert values(r.json())["email"] == "Ada@Example.com"  # lookup field auto-injected
    rid = r.json()["id"]
    r = c.post(f"{CT}/upsert", json={"lookup_value": "ada@example.com",
                                     "fields": [{"name": "last_name", "value": "Lovelace"}]})  # fmt: skip
    assert r.status_code == 200
    assert (r.json()["action"], r.json()["id"]) == ("updated", rid)
    assert set(values(r.json())) == {"last_name", "updated"}
    # ...while lookup stays case-sensitive (docs/reference/kizen.md §13.3)
    assert c.get(f"{CT}/lookup", params={"identifier": "ada@example.com"}).status_code == 404


def test_upsert_first_match_wins(c: httpx.Client) -> None:
    first = add(c, CO, name="Acme")["id"]
    add(c, CO, name="ACME")
    r = c.post(f"{CO}/upsert", json={"lookup_value": "acme", "fields": []})
    assert r.json()["id"] == first


def test_upsert_validation(c: httpx.Client) -> None:
    assert c.post(f"{CO}/upsert", json={}).json() == {"lookup_value": ["This field is required."]}
    assert c.post(f"{CO}/upsert", json={"lookup_value": ""}).status_code == 400
    bad = c.post(f"{CO}/upsert", json={"lookup_value": "a", "oncreate_unarchive": "x"})
    assert bad.status_code == 400


def test_upsert_archived_match_policies(c: httpx.Client, emu: KizenEmulator) -> None:
    rid = add(c, CO, name="Acme", domain="acme.com")["id"]
    c.delete(f"{CO}/{rid}")
    body: dict[str, Any] = {
        "lookup_value": "ACME",
        "fields": [{"name": "employee_count", "value": 7}],
    }
    for policy in (None, "prompt"):
        r = c.post(f"{CO}/upsert", json={**body, "oncreate_unarchive": policy})
        assert r.status_code == 400
        assert "archived" in r.json()["non_field_errors"][0]
        assert r.json()["fields"] == [{}]
    assert len(emu.records("companies_company")) == 1
    r = c.post(f"{CO}/upsert", json={**body, "oncreate_unarchive": "unarchive"})
    assert (r.status_code, r.json()["action"], r.json()["id"]) == (201, "unarchived", rid)
    assert values(r.json())["name"] == "Acme"  # identity untouched
    assert values(r.json())["employee_count"] == 7
    c.delete(f"{CO}/{rid}")
    r = c.post(f"{CO}/upsert", json={**body, "oncreate_unarchive": "overwrite"})
    assert (r.status_code, r.json()["action"]) == (201, "created")
    assert r.json()["id"] != rid
    assert values(r.json())["name"] == "ACME"


def test_upsert_onupdate_archived_conflict(c: httpx.Client) -> None:
    old = add(c, CO, name="Beta")["id"]
    c.delete(f"{CO}/{old}")
    add(c, CO, name="Alpha")
    body: dict[str, Any] = {"lookup_value": "alpha", "fields": [{"name": "name", "value": "Beta"}]}
    assert c.post(f"{CO}/upsert", json=body).status_code == 400
    r = c.post(f"{CO}/upsert", json={**body, "onupdate_archived_conflict": "overwrite"})
    assert (r.status_code, r.json()["action"]) == (200, "updated")


# --- relationships ------------------------------------------------------------------------------


def test_relationship_both_sides_and_moves(c: httpx.Client) -> None:
    acme = add(c, CO, name="Acme")["id"]
    globex = add(c, CO, name="Globex")["id"]
    ada = add(c, CT, email="ada@example.com", first_name="Ada", company_primary={"id": acme})
    assert values(ada)["company_primary"] == {"id": acme, "name": "Acme", "display_name": "Acme"}
    contacts = values(c.get(f"{CO}/{acme}").json())["contacts"]
    assert [x["id"] for x in contacts] == [ada["id"]]
    assert set(contacts[0]) >= {"id", "display_name", "first_name", "last_name", "email"}
    # moving the contact (to-one side) removes it from the old company
    c.patch(f"{CT}/{ada['id']}", json={"fields": [{"name": "company_primary", "value": globex}]})
    assert "contacts" not in values(c.get(f"{CO}/{acme}").json())
    assert len(values(c.get(f"{CO}/{globex}").json())["contacts"]) == 1
    # archived related records are not shown
    c.delete(f"{CT}/{ada['id']}")
    assert "contacts" not in values(c.get(f"{CO}/{globex}").json())


def test_relationship_errors(c: httpx.Client) -> None:
    acme = add(c, CO, name="Acme")["id"]
    r = c.post(f"{CT}/add", json={"fields": [{"name": "company_primary", "value": {"id": "nope"}}]})
    assert r.json()["fields"] == [{"value": ['Invalid pk "nope" - object does not exist.']}]
    two = c.post(
        f"{CT}/add",
        json={"fields": [{"name": "company_primary", "value": [{"id": acme}, {"id": acme + "x"}]}]},
    )
    assert two.status_code == 400


def test_value_summary_past_100_and_field_values(c: httpx.Client, emu: KizenEmulator) -> None:
    acme = add(c, CO, name="Acme")["id"]
    for i in range(101):
        emu.seed_record("client_client", {"email": f"p{i}@example.com", "first_name": f"P{i}",
                                          "company_primary": {"id": acme}})  # fmt: skip
    body = c.get(f"{CO}/{acme}").json()
    fid = field_id(emu, "companies_company", "contacts")
    entry = body["fields"][fid]
    assert "value" not in entry
    assert entry["value_summary"] == {"count": 101}
    page = c.get(f"/api/records/{acme}/field-values/{fid}", params={"page_size": 50}).json()
    assert page["count"] == 101
    assert len(page["results"]) == 50
    assert set(page["results"][0]) == {"id", "first_name", "last_name", "full_name", "email",
                                       "display_name"}  # fmt: skip
    assert page["next"].startswith("https://app.go.kizen.com/api/records/")
    found = c.get(f"/api/records/{acme}/field-values/{fid}", params={"search": "p100"}).json()
    assert [r["first_name"] for r in found["results"]] == ["P100"]
    # 100 exactly is still listed
    c.delete(f"{CT}/{page['results'][0]['id']}")
    assert len(values(c.get(f"{CO}/{acme}").json())["contacts"]) == 100


def test_to_many_relationship_add_and_remove(c: httpx.Client, emu: KizenEmulator) -> None:
    a = add(c, CT, email="a@example.com")["id"]
    b = add(c, CT, email="b@example.com")["id"]
    deal = add(c, "/api/records/deals", name="Big deal", contacts=[{"id": a}])["id"]
    r = c.patch(
        f"/api/records/deals/{deal}",
        json={"fields": [{"name": "contacts", "add_values": [{"id": b}]}]},
    )
    assert [x["id"] for x in values(r.json())["contacts"]] == [a, b]
    assert [x["id"] for x in values(c.get(f"{CT}/{b}").json())["deals"]] == [deal]
    r = c.patch(
        f"/api/records/deals/{deal}", json={"fields": [{"name": "contacts", "remove_values": [a]}]}
    )
    assert [x["id"] for x in values(r.json())["contacts"]] == [b]
    assert "deals" not in values(c.get(f"{CT}/{a}").json())


# --- pipelines ----------------------------------------------------------------------------------


def test_pipeline_stage_default_and_move(c: httpx.Client, emu: KizenEmulator) -> None:
    deal = add(c, "/api/records/deals", name="Deal", entity_value=500)
    stage = values(deal)["stage"]
    assert set(stage) == {"id", "name", "status", "order"}
    assert (stage["name"], stage["status"], stage["order"]) == ("New Lead", "open", 0)
    won = emu.field("deals", "stage").options[3]  # type: ignore[index]
    r = c.patch(f"/api/records/deals/{deal['id']}/move", json={"stage_id": won.id})
    assert r.status_code == 200
    assert values(r.json())["stage"]["status"] == "won"
    assert (
        c.patch(f"/api/records/deals/{deal['id']}/move", json={"stage_id": "x"}).status_code == 400
    )
    other = add(c, CO, name="NoPipeline")["id"]
    assert c.patch(f"{CO}/{other}/move", json={"stage_id": won.id}).status_code == 404


# --- all field types round trip -----------------------------------------------------------------


def test_every_projects_field_type_round_trips(c: httpx.Client, emu: KizenEmulator) -> None:
    company = add(c, CO, name="Acme")["id"]
    written = {
        "name": "Apollo",
        "summary": "<p>Hi</p>",
        "notes": "**bold**",
        "priority": {"name": "High"},
        "health": {"name": "At Risk"},
        "kind": {"name": "Renewal"},
        "billable": False,
        "approved": {"name": "maybe"},
        "satisfaction": "4",
        "budget": 1200,
        "hours": "12.5",
        "start_date": "2026-03-31",
        "kickoff_at": "2026-01-02T15:04:05Z",
        "contact_email": "pm@example.com",
        "labels": [{"name": "Hot"}, {"name": "Inbound"}],
        "attachments": [{"id": "3f2d2c1e-1111-4222-8333-444455556666"}],
        "timezone": "America/Chicago",
        "lead": emu.user_id,
        "company": {"id": company},
    }
    v = values(add(c, "/api/records/projects", **written))
    assert v["summary"] == "<p>Hi</p>"
    assert v["priority"]["name"] == "High"
    assert v["approved"] == {"id": v["approved"]["id"], "code": "maybe", "name": "Maybe"}
    assert v["billable"] is False
    assert v["satisfaction"] == 4
    assert v["budget"] == {"currency": "EUR", "symbol": "€", "amount": 1200}
    assert v["hours"] == 12.5
    assert v["start_date"] == "2026-03-31"
    assert v["kickoff_at"] == "2026-01-02T15:04:05.000000+00:00"
    assert [t["name"] for t in v["labels"]] == ["Hot", "Inbound"]
    assert v["attachments"][0]["id"] == "3f2d2c1e-1111-4222-8333-444455556666"
    assert v["timezone"] == {
        "id": "America/Chicago",
        "code": "America/Chicago",
        "name": "America/Chicago",
    }
    assert v["lead"]["id"] == emu.user_id
    assert v["company"]["id"] == company
    bad = c.post("/api/records/projects/add", json={"fields": [
        {"name": "name", "value": "X"}, {"name": "satisfaction", "value": 9},
        {"name": "timezone", "value": "Mars/Base"}, {"name": "billable", "value": "yes"},
        {"name": "start_date", "value": "31/03/2026"}, {"name": "kickoff_at", "value": "soon"},
    ]})  # fmt: skip
    errors = bad.json()["fields"]
    assert errors[0] == {}
    assert all(e for e in errors[1:])


def test_programmatic_seeding_and_inspection(emu: KizenEmulator) -> None:
    rid = emu.seed_record("companies_company", {"name": "Seeded", "employee_count": 3},
                          created="2026-01-01T00:00:00Z", archived=True)  # fmt: skip
    (row,) = emu.records("companies_company")
    assert row["id"] == rid
    assert row["archived"] is True
    assert row["values"]["created"] == "2026-01-01T00:00:00.000000+00:00"
    with pytest.raises(ValueError, match="invalid seed values"):
        emu.seed_record("companies_company", {"employee_count": "x"})


def test_refused_upsert_overwrite_renames_nothing(c: httpx.Client, emu: KizenEmulator) -> None:
    old = add(c, CO, name="Gamma")["id"]
    c.delete(f"{CO}/{old}")
    add(c, CO, name="Taken")
    r = c.post(f"{CO}/upsert", json={"lookup_value": "gamma", "oncreate_unarchive": "overwrite",
                                     "fields": [{"name": "name", "value": "Taken"}]})  # fmt: skip
    assert r.status_code == 400
    assert r.json()["fields"] == [{"value": ["Company with this name already exists."]}]
    assert emu.record("companies_company", old)["values"]["name"] == "Gamma"


@pytest.mark.parametrize("number", ["1e400", "NaN", "Infinity", "-1e999"])
def test_non_finite_numbers_are_refused(c: httpx.Client, number: str) -> None:
    content = f'{{"fields": [{{"name": "name", "value": "N"}}, {{"name": "annual_revenue", "value": {number}}}]}}'
    r = c.post(f"{CO}/add", content=content, headers={"content-type": "application/json"})
    assert r.status_code == 400
    assert r.json()["fields"][1] == {"value": ["A valid number is required."]}
    r = c.post(f"{CO}/add", json={"fields": [{"name": "name", "value": "N"},
                                             {"name": "annual_revenue", "value": "1e400"}]})  # fmt: skip
    assert r.status_code == 400


def test_huge_integers_for_decimals_are_refused(c: httpx.Client) -> None:
    content = (
        '{"fields": [{"name": "name", "value": "N"}, {"name": "hours", "value": 1'
        + "0" * 400
        + "}]}"
    )
    r = c.post(
        "/api/records/projects/add", content=content, headers={"content-type": "application/json"}
    )
    assert r.status_code == 400
    assert r.json()["fields"][1] == {"value": ["A valid number is required."]}


def test_an_emulator_bug_is_an_html_500(
    c: httpx.Client, emu: KizenEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*args: Any) -> Any:
        raise RuntimeError("bug")

    monkeypatch.setattr(emu.router.handlers, "get", boom)
    r = c.get(f"{CO}/x")
    assert r.status_code == 500
    assert "Server Error" in r.text


def test_unarchive_refused_when_the_identity_is_taken(c: httpx.Client, emu: KizenEmulator) -> None:
    old = add(c, CO, name="Acme")["id"]
    c.delete(f"{CO}/{old}")
    assert c.get(f"{CO}/lookup", params={"identifier": "Acme"}).status_code == 404
    # over the API every path to a live "Acme" renames the archived one; seeding skips that
    emu.seed_record("companies_company", {"name": "Acme"})
    r = c.patch(f"{CO}/{old}/unarchive")
    assert r.status_code == 400
    assert "already exists" in r.json()["non_field_errors"][0]


def test_bulk_archive_needs_the_object_uuid(c: httpx.Client, emu: KizenEmulator) -> None:
    rid = add(c, CO, name="Acme")["id"]
    by_name = c.post("/api/custom-objects/companies_company/bulk-archive-entity-record",
                     json={"record_ids": [rid]})  # fmt: skip
    assert by_name.status_code == 404
    uuid = emu.object_def("companies_company").id
    url = f"/api/custom-objects/{uuid}/bulk-archive-entity-record"
    assert c.post(url, json={"record_ids": [rid, rid, "nope"]}).json()["number_archived"] == 1
    assert c.post(url, json={}).json() == {"record_ids": ["This field is required."]}
