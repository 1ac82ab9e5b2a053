"""Kizen emulator: creating a field (``POST /api/custom-objects/{id}/fields``) and listing the
categories (emulator/field_creation.py), as kizen/kizen-admin-cli documents them."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from crmbridge_kizen.emulator import KizenEmulator
from kizen_emulator_support import add, client, values


def _setup() -> tuple[httpx.Client, str, str]:
    emu = KizenEmulator()
    http = client(emu)
    obj = str(emu.store.object("companies_company").obj.id)  # type: ignore[union-attr]
    (category,) = http.get(f"/api/custom-objects/{obj}/categories").json()
    return http, obj, category["id"]


def _create(http: httpx.Client, obj: str, **body: Any) -> httpx.Response:
    return http.post(f"/api/custom-objects/{obj}/fields", json=body)


def test_a_dropdown_is_created_with_its_options_and_listed() -> None:
    http, obj, category = _setup()
    r = _create(http, obj, category=category, display_name="Tier", field_type="dropdown",
                name="tier", options=[{"name": "Gold", "code": "gold"}, {"name": "Silver"}])  # fmt: skip
    assert r.status_code == 201, r.text
    made = r.json()
    assert (made["name"], made["field_type"], made["category"]) == ("tier", "dropdown", category)
    assert [(o["name"], o["code"]) for o in made["options"]] == [
        ("Gold", "gold"),
        ("Silver", "Silver"),
    ]
    listed = http.get(f"/api/custom-objects/{obj}/fields").json()
    assert made in listed
    record = add(http, "/api/records/companies_company", name="Acme", tier={"name": "Gold"})
    assert values(record)["tier"]["name"] == "Gold"


def test_the_api_name_defaults_to_the_display_name_and_wysiwyg_is_longtext() -> None:
    http, obj, category = _setup()
    made = _create(http, obj, category=category, display_name="Deal Notes", field_type="wysiwyg")
    assert made.status_code == 201
    assert (made.json()["name"], made.json()["field_type"]) == ("deal_notes", "longtext")
    assert made.json()["meta"] == {"is_markdown": True}


def test_rating_gets_its_scale_and_money_its_currency() -> None:
    http, obj, category = _setup()
    rating = _create(http, obj, category=category, display_name="Fit", field_type="rating").json()
    assert [o["code"] for o in rating["options"]] == ["1", "2", "3", "4", "5"]
    money = _create(http, obj, category=category, display_name="MRR", field_type="money",
                    money_options={"currency": "EUR"}).json()  # fmt: skip
    assert money["money_options"]["currency"] == "EUR"


@pytest.mark.parametrize(
    ("body", "key"),
    [
        ({"display_name": "X", "field_type": "text"}, "category"),
        ({"field_type": "text"}, "display_name"),
        ({"display_name": "X"}, "field_type"),
        ({"display_name": "X", "field_type": "blob"}, "field_type"),
        ({"display_name": "X", "field_type": "text", "options": [{"name": "A"}]}, "options"),
        ({"display_name": "X", "field_type": "dropdown", "options": [{"code": "a"}]}, "options"),
        ({"display_name": "X", "field_type": "text", "name": "domain"}, "name"),
        ({"display_name": "X", "field_type": "text", "name": "bad-name"}, "name"),
        ({"display_name": "X", "field_type": "relationship"}, "relation"),
    ],
)
def test_refusals_name_the_key(body: dict[str, Any], key: str) -> None:
    http, obj, category = _setup()
    r = _create(http, obj, **({"category": category} if key != "category" else {}), **body)
    assert r.status_code == 400, r.text
    assert list(r.json()) == [key]


def test_a_category_of_another_object_is_refused() -> None:
    http, obj, _ = _setup()
    r = _create(http, obj, category="00000000-0000-4000-8000-000000000000", display_name="X",
                field_type="text")  # fmt: skip
    assert r.status_code == 400
    assert "Invalid pk" in r.json()["category"][0]


def test_a_reserved_api_name_is_a_server_error() -> None:
    http, obj, category = _setup()
    r = _create(http, obj, category=category, display_name="First", field_type="text",
                name="first_name")  # fmt: skip
    assert r.status_code == 500
    assert r.headers["content-type"].startswith("text/html")


def test_other_methods_on_fields_are_405_and_unknown_objects_404() -> None:
    http, obj, _ = _setup()
    assert http.delete(f"/api/custom-objects/{obj}/fields").status_code == 405
    assert http.get("/api/custom-objects/nope/categories").status_code == 404


def test_a_relationship_makes_its_inverse_on_the_other_object() -> None:
    emu = KizenEmulator()
    http = client(emu)
    obj = str(emu.store.object("companies_company").obj.id)  # type: ignore[union-attr]
    deals = str(emu.store.object("deals").obj.id)  # type: ignore[union-attr]
    (category,) = http.get(f"/api/custom-objects/{obj}/categories").json()
    (deal_category,) = http.get(f"/api/custom-objects/{deals}/categories").json()
    relation = {"related_object": deals, "related_category": deal_category["id"],
                "relation_type": "additional"}  # fmt: skip
    no_name = _create(http, obj, category=category["id"], display_name="Deals won",
                      field_type="relationship", relation=relation)  # fmt: skip
    assert no_name.status_code == 500  # admin-cli: related_name is functionally required
    made = _create(http, obj, category=category["id"], display_name="Deals won",
                   field_type="relationship", relation={**relation, "related_name": "Winner"})  # fmt: skip
    assert made.status_code == 201, made.text
    assert made.json()["relation"]["cardinality"] == "many_to_many"
    fields = {f["name"]: f for f in http.get(f"/api/custom-objects/{deals}/fields").json()}
    inverse = fields["winner"]
    assert inverse["relation"]["relation_type"] == "additional_for"
    assert inverse["relation"]["related_field"] == made.json()["id"]
    assert made.json()["relation"]["related_field"] == inverse["id"]
    bad = _create(http, obj, category=category["id"], display_name="X", field_type="relationship",
                  relation={**relation, "related_name": "W", "relation_type": "many"})  # fmt: skip
    assert list(bad.json()["relation"]) == ["relation_type"]
