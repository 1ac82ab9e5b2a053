"""Identity, auth, configuration endpoints and unknown endpoints of the Attio emulator
(docs/reference/attio.md §2, §5, §7)."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest
from crmbridge_attio.emulator import DEFAULT_TOKEN, AttioEmulator


def data(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    return response.json()["data"]


ATTRIBUTE_BODY = {
    "title": "Tier",
    "description": "Customer tier",
    "api_slug": "tier",
    "type": "select",
    "is_required": False,
    "is_unique": False,
    "is_multiselect": False,
    "default_value": None,
    "config": {},
}


# --- auth ---------------------------------------------------------------------------------------


def test_token_is_required(emulator: AttioEmulator) -> None:
    assert len(DEFAULT_TOKEN) == 64
    assert emulator.credentials() == {"token": DEFAULT_TOKEN}
    with emulator.client(auth=False) as http:
        for headers in (
            {},
            {"Authorization": "Bearer " + "x" * 64},
            {"Authorization": "Token abc"},
        ):
            response = http.get("/v2/objects", headers=headers)
            assert response.status_code == 401
            assert response.json()["type"] == "auth_error"
            assert response.json()["code"] == "unauthorized"
        basic = base64.b64encode(f"{DEFAULT_TOKEN}:".encode()).decode()
        assert (
            http.get("/v2/objects", headers={"Authorization": f"Basic {basic}"}).status_code == 200
        )


def test_token_is_configurable() -> None:
    emulator = AttioEmulator(token="my-token")
    assert emulator.credentials() == {"token": "my-token"}
    with emulator.client(auth=False) as http:
        assert http.get("/v2/self", headers={"Authorization": "Bearer my-token"}).status_code == 200
        assert (
            http.get("/v2/self", headers={"Authorization": f"Bearer {DEFAULT_TOKEN}"}).status_code
            == 401
        )


def test_auth_is_checked_before_routing(emulator: AttioEmulator) -> None:
    with emulator.client(auth=False) as http:
        assert http.get("/v2/nowhere").status_code == 401


# --- unknown endpoints ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v2/objects/people/records"),
        ("DELETE", "/v2/objects/people"),
        ("PATCH", "/v2/notes"),  # notes cannot be changed (attio-openapi.json)
        ("POST", "/v2/self"),
        ("GET", "/v1/objects"),
        ("GET", "/"),
    ],
)
def test_unknown_endpoints(client: httpx.Client, method: str, path: str) -> None:
    response = client.request(method, path, params={"limit": 5})
    assert response.status_code == 404
    assert response.json() == {
        "status_code": 404,
        "type": "invalid_request_error",
        "code": "not_found",
        "message": f'Could not find endpoint "{method} {path}".',
    }


# --- identity and members ---------------------------------------------------------------------


def test_self(emulator: AttioEmulator, client: httpx.Client) -> None:
    body = client.get("/v2/self").json()
    assert body["active"] is True
    assert body["workspace_id"] == emulator.workspace.id == body["sub"]
    assert body["token_type"] == "Bearer"
    assert body["iss"] == "attio.com"
    assert "record_permission:read-write" in body["scope"].split()
    member_id = body["authorized_by_workspace_member_id"]
    member = data(client.get(f"/v2/workspace_members/{member_id}"))
    assert member["email_address"] == "ada@crmbridge.test"
    assert member["access_level"] == "admin"
    assert [m["id"] for m in data(client.get("/v2/workspace_members"))] == [member["id"]]
    missing = client.get("/v2/workspace_members/00000000-0000-4000-8000-000000000000")
    assert missing.status_code == 404


# --- objects and attributes ---------------------------------------------------------------------


def test_objects(emulator: AttioEmulator, client: httpx.Client) -> None:
    objects = data(client.get("/v2/objects"))
    assert [o["api_slug"] for o in objects] == [
        "people",
        "companies",
        "deals",
        "users",
        "workspaces",
    ]
    people = data(client.get("/v2/objects/people"))
    assert (people["singular_noun"], people["plural_noun"]) == ("Person", "People")
    by_id = data(client.get(f"/v2/objects/{people['id']['object_id']}"))
    assert by_id == people
    assert (
        client.get("/v2/objects/nope").json()["message"] == 'Object with slug/ID "nope" not found.'
    )


@pytest.mark.parametrize(
    ("obj", "unique", "required"),
    [
        ("people", {"record_id", "email_addresses"}, set()),
        ("companies", {"record_id", "domains"}, set()),
        ("deals", {"record_id"}, {"name", "stage", "owner"}),
        (
            "users",
            {"record_id", "primary_email_address", "user_id"},
            {"primary_email_address", "user_id"},
        ),
        ("workspaces", {"record_id", "workspace_id"}, {"workspace_id"}),
    ],
)
def test_standard_attributes(
    client: httpx.Client, obj: str, unique: set[str], required: set[str]
) -> None:
    attributes = data(client.get(f"/v2/objects/{obj}/attributes"))
    assert {a["api_slug"] for a in attributes if a["is_unique"]} == unique
    assert {a["api_slug"] for a in attributes if a["is_required"]} == required
    assert all(a["is_system_attribute"] for a in attributes)
    assert {"record_id", "created_at", "created_by"} <= {a["api_slug"] for a in attributes}


def test_attribute_paging_and_get(emulator: AttioEmulator, client: httpx.Client) -> None:
    everything = data(client.get("/v2/objects/people/attributes"))
    page = data(client.get("/v2/objects/people/attributes", params={"limit": 3, "offset": 1}))
    assert page == everything[1:4]
    company = data(client.get("/v2/objects/people/attributes/company"))
    assert company["config"]["record_reference"]["allowed_object_ids"] == [
        emulator.workspace.objects["companies"].id
    ]
    assert company["relationship"]["api_slug"] == "team"
    by_id = data(client.get(f"/v2/objects/people/attributes/{company['id']['attribute_id']}"))
    assert by_id == company
    assert client.get("/v2/objects/people/attributes/nope").status_code == 404


def test_create_attribute(emulator: AttioEmulator, client: httpx.Client) -> None:
    created = data(client.post("/v2/objects/companies/attributes", json={"data": ATTRIBUTE_BODY}))
    assert created["api_slug"] == "tier"
    assert created["is_system_attribute"] is False
    assert created["is_writable"] is True
    assert "tier" in [a["api_slug"] for a in data(client.get("/v2/objects/companies/attributes"))]
    again = client.post("/v2/objects/companies/attributes", json={"data": ATTRIBUTE_BODY})
    assert again.status_code == 409
    assert again.json()["code"] == "slug_conflict"
    record = emulator.record("companies", emulator.seed_record("companies", {"name": "x"}))
    assert record is not None
    assert record["values"]["tier"] == []


def test_create_attribute_validation(client: httpx.Client) -> None:
    response = client.post("/v2/objects/companies/attributes", json={"data": {"title": "x"}})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_type"
    assert [e["path"] for e in body["validation_errors"]] == [
        ["data", k] for k in ATTRIBUTE_BODY if k != "title"
    ]
    bad = client.post(
        "/v2/objects/companies/attributes",
        json={"data": {**ATTRIBUTE_BODY, "type": "personal-name"}},
    )
    assert bad.status_code == 400
    unique_select = client.post(
        "/v2/objects/companies/attributes", json={"data": {**ATTRIBUTE_BODY, "is_unique": True}}
    )
    assert unique_select.status_code == 400


def test_create_reference_and_currency_attributes(
    emulator: AttioEmulator, client: httpx.Client
) -> None:
    body = {
        **ATTRIBUTE_BODY,
        "api_slug": "partner",
        "type": "record-reference",
        "config": {"record_reference": {"allowed_objects": ["people"]}},
    }
    created = data(client.post("/v2/objects/companies/attributes", json={"data": body}))
    assert created["config"]["record_reference"]["allowed_object_ids"] == [
        emulator.workspace.objects["people"].id
    ]
    body = {
        **ATTRIBUTE_BODY,
        "api_slug": "mrr",
        "type": "currency",
        "config": {"currency": {"default_currency_code": "EUR", "display_type": "symbol"}},
    }
    created = data(client.post("/v2/objects/companies/attributes", json={"data": body}))
    assert created["config"]["currency"]["default_currency_code"] == "EUR"
    record = emulator.record("companies", emulator.seed_record("companies", {"mrr": 10}))
    assert record is not None
    assert record["values"]["mrr"][0]["currency_code"] == "EUR"


def test_options_and_statuses(client: httpx.Client) -> None:
    options = data(client.get("/v2/objects/companies/attributes/categories/options"))
    assert "B2B" in [o["title"] for o in options]
    created = data(
        client.post(
            "/v2/objects/companies/attributes/categories/options", json={"data": {"title": "Space"}}
        )
    )
    assert set(created) == {"id", "title", "is_archived"}
    assert set(created["id"]) == {"workspace_id", "object_id", "attribute_id", "option_id"}
    assert created["title"] == "Space"
    company = client.post(
        "/v2/objects/companies/records", json={"data": {"values": {"categories": ["Space"]}}}
    )
    assert company.status_code == 200
    # docs/reference/attio.md §2
    assert data(client.get("/v2/objects/deals/attributes/stage/options")) == []
    statuses = data(client.get("/v2/objects/deals/attributes/stage/statuses"))
    assert [s["title"] for s in statuses][:2] == ["Discovery", "Solution Definition"]
    status = data(
        client.post(
            "/v2/objects/deals/attributes/stage/statuses",
            json={"data": {"title": "On hold", "celebration_enabled": True}},
        )
    )
    assert status["celebration_enabled"] is True
    assert (
        client.post(
            "/v2/objects/deals/attributes/stage/statuses", json={"data": {"title": "On hold"}}
        ).status_code
        == 409
    )
    assert (
        client.post(
            "/v2/objects/deals/attributes/name/options", json={"data": {"title": "x"}}
        ).status_code
        == 400
    )
    assert (
        client.post(
            "/v2/objects/deals/attributes/name/statuses", json={"data": {"title": "x"}}
        ).status_code
        == 400
    )


def test_lists(emulator: AttioEmulator, client: httpx.Client) -> None:
    assert data(client.get("/v2/lists")) == []
    body = {
        "data": {
            "name": "Hiring",
            "api_slug": "hiring",
            "parent_object": "people",
            "workspace_access": "full-access",
            "workspace_member_access": [],
        }
    }
    created = data(client.post("/v2/lists", json=body))
    assert created["parent_object"] == ["people"]
    assert data(client.get("/v2/lists/hiring")) == created
    assert data(client.get(f"/v2/lists/{created['id']['list_id']}")) == created
    assert client.post("/v2/lists", json=body).status_code == 409
    attrs = data(client.get("/v2/lists/hiring/attributes"))
    assert [a["api_slug"] for a in attrs] == ["entry_id", "created_at", "created_by"]
    added = client.post(
        "/v2/lists/hiring/attributes",
        json={"data": {**ATTRIBUTE_BODY, "type": "rating", "api_slug": "fit"}},
    )
    assert added.status_code == 200
    missing = client.get("/v2/lists/nope")
    assert missing.status_code == 404
    assert missing.json()["message"] == 'Could not find list with slug/ID "nope".'


def test_archived_attributes_disappear(emulator: AttioEmulator, client: httpx.Client) -> None:
    emulator.archive_attribute("people", "job_title")
    assert "job_title" not in [
        a["api_slug"] for a in data(client.get("/v2/objects/people/attributes"))
    ]
    archived = data(client.get("/v2/objects/people/attributes", params={"show_archived": "true"}))
    assert "job_title" in [a["api_slug"] for a in archived]
    record = client.post("/v2/objects/people/records", json={"data": {"values": {}}}).json()["data"]
    assert "job_title" not in record["values"]
    response = client.post(
        "/v2/objects/people/records", json={"data": {"values": {"job_title": "x"}}}
    )
    assert response.status_code == 400


def test_update_attribute(emulator: AttioEmulator, client: httpx.Client) -> None:
    client.post("/v2/objects/companies/attributes", json={"data": ATTRIBUTE_BODY})
    company = client.post(
        "/v2/objects/companies/records", json={"data": {"values": {"tier": "Gold"}}}
    )
    assert company.status_code == 400  # no option "Gold" yet
    client.post("/v2/objects/companies/attributes/tier/options", json={"data": {"title": "Gold"}})
    rid = data(
        client.post("/v2/objects/companies/records", json={"data": {"values": {"tier": "Gold"}}})
    )["id"]["record_id"]
    slugs = [a["api_slug"] for a in data(client.get("/v2/objects/companies/attributes"))]
    renamed = data(
        client.patch(
            "/v2/objects/companies/attributes/tier",
            json={"data": {"api_slug": "level", "title": "Level", "is_required": True}},
        )
    )
    assert (renamed["api_slug"], renamed["title"], renamed["is_required"]) == (
        "level",
        "Level",
        True,
    )
    after = [a["api_slug"] for a in data(client.get("/v2/objects/companies/attributes"))]
    assert after == [("level" if s == "tier" else s) for s in slugs]
    record = data(client.get(f"/v2/objects/companies/records/{rid}"))
    assert record["values"]["level"][0]["option"]["title"] == "Gold"
    assert "tier" not in record["values"]
    archived = data(
        client.patch("/v2/objects/companies/attributes/level", json={"data": {"is_archived": True}})
    )
    assert archived["is_archived"] is True
    assert "level" not in data(client.get(f"/v2/objects/companies/records/{rid}"))["values"]


def test_system_attributes_cannot_be_updated(client: httpx.Client) -> None:
    response = client.patch("/v2/objects/people/attributes/name", json={"data": {"title": "x"}})
    assert response.status_code == 400
    assert response.json() == {
        "status_code": 400,
        "type": "invalid_request_error",
        "code": "system_edit_unauthorized",
        "message": "Cannot update a System attribute.",
    }


def test_update_options_and_statuses(emulator: AttioEmulator, client: httpx.Client) -> None:
    rid = emulator.seed_record("companies", {"categories": ["B2B"]})
    url = "/v2/objects/companies/attributes/categories/options"
    renamed = data(client.patch(f"{url}/B2B", json={"data": {"title": "Business"}}))
    assert renamed["title"] == "Business"
    record = data(client.get(f"/v2/objects/companies/records/{rid}"))
    assert record["values"]["categories"][0]["option"]["title"] == "Business"
    assert client.patch(f"{url}/Business", json={"data": {"title": "B2C"}}).status_code == 409
    assert (
        client.patch(f"{url}/Nope", json={"data": {"title": "x"}}).json()["code"]
        == "value_not_found"
    )
    client.patch(f"{url}/{renamed['id']['option_id']}", json={"data": {"is_archived": True}})
    assert "Business" not in [o["title"] for o in data(client.get(url))]
    assert "Business" in [
        o["title"] for o in data(client.get(url, params={"show_archived": "true"}))
    ]
    response = client.post(
        "/v2/objects/companies/records", json={"data": {"values": {"categories": ["Business"]}}}
    )
    assert response.json()["code"] == "value_not_found"
    statuses = "/v2/objects/deals/attributes/stage/statuses"
    won = data(
        client.patch(
            f"{statuses}/Closed Won",
            json={"data": {"celebration_enabled": True, "target_time_in_status": "P0Y0M1DT0H0M0S"}},
        )
    )
    assert (won["celebration_enabled"], won["target_time_in_status"]) == (True, "P0Y0M1DT0H0M0S")
    assert (
        client.patch(f"{statuses}/Proposal", json={"data": {"title": "Negotiation"}}).status_code
        == 409
    )


def test_create_and_update_objects(emulator: AttioEmulator, client: httpx.Client) -> None:
    body = {"data": {"api_slug": "projects", "singular_noun": "Project", "plural_noun": "Projects"}}
    created = data(client.post("/v2/objects", json=body))
    assert created["api_slug"] == "projects"
    assert client.post("/v2/objects", json=body).status_code == 409
    attrs = [a["api_slug"] for a in data(client.get("/v2/objects/projects/attributes"))]
    assert attrs == ["record_id", "created_at", "created_by"]
    emulator.add_attribute("projects", "client", "record-reference", targets=["companies"])
    company = emulator.seed_record("companies", {"name": "Acme"})
    project = emulator.seed_record(
        "projects", {"client": {"target_object": "companies", "target_record_id": company}}
    )
    emulator.add_list("accounts", "Accounts", "companies")
    emulator.seed_entry("accounts", company)
    renamed = data(
        client.patch("/v2/objects/companies", json={"data": {"api_slug": "organisations"}})
    )
    assert renamed["api_slug"] == "organisations"
    value = data(client.get(f"/v2/objects/projects/records/{project}"))["values"]["client"][0]
    assert value["target_object"] == "organisations"
    assert data(client.get("/v2/lists/accounts"))["parent_object"] == ["organisations"]
    assert client.get(f"/v2/objects/organisations/records/{company}").status_code == 200
    assert client.get("/v2/objects/companies").status_code == 404
    person = client.post(
        "/v2/objects/people/records",
        json={
            "data": {
                "values": {
                    "company": {"target_object": "organisations", "target_record_id": company}
                }
            }
        },
    )
    assert person.status_code == 200
    empty = client.patch("/v2/objects/projects", json={"data": {}})
    assert empty.status_code == 400
    clash = client.patch("/v2/objects/projects", json={"data": {"api_slug": "people"}})
    assert clash.status_code == 409
    nouns = data(client.patch("/v2/objects/projects", json={"data": {"singular_noun": "Job"}}))
    assert nouns["singular_noun"] == "Job"


def test_create_list_checks_members(client: httpx.Client) -> None:
    body = {
        "data": {
            "name": "Hiring",
            "api_slug": "hiring",
            "parent_object": "people",
            "workspace_access": None,
            "workspace_member_access": [
                {
                    "workspace_member_id": "00000000-0000-4000-8000-000000000000",
                    "level": "read-only",
                }
            ],
        }
    }
    response = client.post("/v2/lists", json=body)
    assert response.status_code == 400
    assert response.json()["code"] == "value_not_found"
    missing_parent = client.post(
        "/v2/lists",
        json={"data": {**body["data"], "parent_object": "nope", "workspace_member_access": []}},
    )
    assert missing_parent.status_code == 404
    assert missing_parent.json()["message"] == 'Parent object with slug/ID "nope" not found.'


def test_update_list(emulator: AttioEmulator, client: httpx.Client) -> None:
    emulator.add_list("hiring", "Hiring", "people")
    member = emulator.workspace.members[0].id
    body = {
        "data": {
            "name": "Recruiting",
            "api_slug": "recruiting",
            "workspace_access": None,
            "workspace_member_access": [{"workspace_member_id": member, "level": "read-only"}],
        }
    }
    updated = data(client.patch("/v2/lists/hiring", json=body))
    assert (updated["name"], updated["api_slug"], updated["workspace_access"]) == (
        "Recruiting",
        "recruiting",
        None,
    )
    assert updated["workspace_member_access"] == [
        {"level": "read-only", "workspace_member_id": member}
    ]
    assert client.get("/v2/lists/hiring").status_code == 404
    assert data(client.get("/v2/lists/recruiting"))["id"] == updated["id"]
    bad = client.patch(
        "/v2/lists/recruiting",
        json={"data": {"workspace_member_access": [{"workspace_member_id": "x"}]}},
    )
    assert bad.json()["code"] == "value_not_found"


def test_emulator_does_not_use_our_client() -> None:
    """Issue #6: the emulator is written from the docs, spec and recordings, not from our client:
    it imports nothing from the Attio provider, codec, types or filters modules."""
    import ast
    from pathlib import Path

    import crmbridge_attio.emulator as package

    forbidden = {"codec", "provider", "types", "filters"}
    for path in Path(package.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                module = node.module or ""
                if node.level >= 2 or module.startswith("crmbridge_attio"):
                    parts = set(module.split(".")) | {a.name for a in node.names}
                    assert not parts & forbidden, (path.name, module)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    assert not alias.name.startswith("crmbridge_attio."), (path.name, alias.name)
