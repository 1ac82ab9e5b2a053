"""Emulator responses validate against the response schemas of Attio's official OpenAPI 3.1 spec
(``data/attio-openapi.json``; OpenAPI 3.1 schemas are JSON Schema 2020-12, ``$ref`` s are
resolved within the spec).

Two OpenAPI-3.0 habits of the spec are read the way the recordings show the API behaves (the
recordings win): ``nullable: true`` (ignored by JSON Schema 2020-12) admits ``null`` — the recorded
system actor is ``{"type": "system", "id": null}`` (``cassettes/companies_query.yaml``) — and an
``enum`` under ``type: [..., "null"]`` admits ``null`` — every recorded attribute has
``config.currency.default_currency_code: null`` (``cassettes/attributes_list_people.yaml``).
Format checking is on except for ``date``: the spec declares ``format: date`` on timestamp values
that are full datetimes in every live recording (docs/reference/attio.md §1 gap 2), and the recordings win.
Error bodies are checked where the operation declares that status *and* that ``code`` (the spec's
code enums are incomplete: docs/reference/attio.md §1 gap 1).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import jsonschema  # type: ignore[import-untyped]
import pytest
from crmbridge_attio.emulator import AttioEmulator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SPEC_PATH = Path(__file__).parent / "data" / "attio-openapi.json"
SPEC_URI = "urn:attio-openapi"


def _nullable(node: Any) -> Any:
    """Apply the two readings of the module docstring to every schema object."""
    if isinstance(node, dict):
        node = {k: _nullable(v) for k, v in node.items()}
        kind = node.get("type")
        if node.pop("nullable", False):
            if isinstance(kind, str):
                node["type"] = [kind, "null"]
            elif isinstance(kind, list) and "null" not in kind:
                node["type"] = [*kind, "null"]
            kind = node.get("type")
        enum = node.get("enum")
        if (
            isinstance(kind, list)
            and "null" in kind
            and isinstance(enum, list)
            and None not in enum
        ):
            node["enum"] = [*enum, None]
        return node
    if isinstance(node, list):
        return [_nullable(v) for v in node]
    return node


@cache
def spec() -> dict[str, Any]:
    loaded: dict[str, Any] = _nullable(json.loads(SPEC_PATH.read_text()))
    return loaded


@cache
def registry() -> Registry[Any]:
    return Registry().with_resource(  # type: ignore[no-any-return]
        SPEC_URI, Resource.from_contents(spec(), default_specification=DRAFT202012)
    )


def _pointer(*parts: str) -> str:
    return "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


def _formats() -> jsonschema.FormatChecker:
    checker = jsonschema.FormatChecker()
    checker.checkers.pop("date", None)
    return checker


def check(template: str, method: str, response: httpx.Response) -> bool:
    """Validate ``response`` against the spec; ``False`` if the spec declares nothing to check."""
    operation = spec()["paths"][template][method.lower()]
    status = str(response.status_code)
    declared = operation["responses"].get(status)
    if declared is None:
        return False
    schema = declared["content"]["application/json"]["schema"]
    body = response.json()
    if status != "200":
        codes = schema["properties"]["code"].get("enum", [])
        if body.get("code") not in codes:
            return False
    pointer = _pointer(
        "paths",
        template,
        method.lower(),
        "responses",
        status,
        "content",
        "application/json",
        "schema",
    )
    validator = jsonschema.Draft202012Validator(
        {"$ref": f"{SPEC_URI}#/{pointer}"}, registry=registry(), format_checker=_formats()
    )
    errors = sorted(validator.iter_errors(body), key=lambda e: e.path)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message[:300]}" for e in errors[:5])
    return True


@pytest.fixture(scope="module")
def emulator() -> AttioEmulator:
    emu = AttioEmulator(seed="demo", demo_size=60)
    for slug, kind in (
        ("is_customer", "checkbox"),
        ("nps", "rating"),
        ("last_seen", "timestamp"),
        ("seats", "number"),
        ("renewal", "date"),
        ("notes", "text"),
    ):
        emu.add_attribute("companies", slug, kind)
    return emu


@pytest.fixture(scope="module")
def client(emulator: AttioEmulator) -> Iterator[httpx.Client]:
    with emulator.client() as http:
        yield http


def test_the_check_can_fail(client: httpx.Client) -> None:
    response = client.get("/v2/objects")
    broken = httpx.Response(200, json={"data": [{"id": {}, "api_slug": 3}]})
    assert check("/v2/objects", "GET", response)
    with pytest.raises(AssertionError):
        check("/v2/objects", "GET", broken)


def test_schema_endpoints(client: httpx.Client) -> None:
    cases = [
        ("/v2/self", "GET", "/v2/self"),
        ("/v2/workspace_members", "GET", "/v2/workspace_members"),
        ("/v2/objects", "GET", "/v2/objects"),
        ("/v2/objects/{object}", "GET", "/v2/objects/people"),
        ("/v2/objects/{object}", "GET", "/v2/objects/nope"),
        ("/v2/{target}/{identifier}/attributes", "GET", "/v2/objects/companies/attributes"),
        ("/v2/{target}/{identifier}/attributes", "GET", "/v2/lists/sales_pipeline/attributes"),
        (
            "/v2/{target}/{identifier}/attributes/{attribute}",
            "GET",
            "/v2/objects/people/attributes/company",
        ),
        (
            "/v2/{target}/{identifier}/attributes/{attribute}",
            "GET",
            "/v2/objects/people/attributes/nope",
        ),
        (
            "/v2/{target}/{identifier}/attributes/{attribute}/options",
            "GET",
            "/v2/objects/companies/attributes/categories/options",
        ),
        (
            "/v2/{target}/{identifier}/attributes/{attribute}/statuses",
            "GET",
            "/v2/objects/deals/attributes/stage/statuses",
        ),
        ("/v2/lists", "GET", "/v2/lists"),
        ("/v2/lists/{list}", "GET", "/v2/lists/sales_pipeline"),
        ("/v2/lists/{list}", "GET", "/v2/lists/nope"),
    ]
    members = client.get("/v2/workspace_members").json()["data"]
    member_id = members[0]["id"]["workspace_member_id"]
    cases.append(
        ("/v2/workspace_members/{workspace_member_id}", "GET", f"/v2/workspace_members/{member_id}")
    )
    for template, method, url in cases:
        assert check(template, method, client.request(method, url)), url


def test_schema_writes(client: httpx.Client) -> None:
    objects = {
        "data": {"api_slug": "projects", "singular_noun": "Project", "plural_noun": "Projects"}
    }
    assert check("/v2/objects", "POST", client.post("/v2/objects", json=objects))
    assert check("/v2/objects", "POST", client.post("/v2/objects", json=objects))  # 409
    patch = client.patch("/v2/objects/projects", json={"data": {"plural_noun": "Jobs"}})
    assert check("/v2/objects/{object}", "PATCH", patch)
    lists = {
        "data": {
            "name": "Hiring",
            "api_slug": "hiring",
            "parent_object": "projects",
            "workspace_access": "read-only",
            "workspace_member_access": [],
        }
    }
    assert check("/v2/lists", "POST", client.post("/v2/lists", json=lists))
    assert check("/v2/lists", "POST", client.post("/v2/lists", json=lists))  # 409
    renamed = client.patch("/v2/lists/hiring", json={"data": {"name": "Recruiting"}})
    assert check("/v2/lists/{list}", "PATCH", renamed)
    body: dict[str, Any] = {
        "data": {
            "title": "Tier",
            "description": None,
            "api_slug": "tier",
            "type": "select",
            "is_required": False,
            "is_unique": False,
            "is_multiselect": False,
            "default_value": None,
            "config": {},
        }
    }
    template = "/v2/{target}/{identifier}/attributes"
    assert check(template, "POST", client.post("/v2/objects/companies/attributes", json=body))
    assert check(
        template, "POST", client.post("/v2/objects/companies/attributes", json=body)
    )  # 409
    options = template + "/{attribute}/options"
    created = client.post(
        "/v2/objects/companies/attributes/tier/options", json={"data": {"title": "Gold"}}
    )
    assert check(options, "POST", created)
    attribute = template + "/{attribute}"
    patched = client.patch(
        "/v2/objects/companies/attributes/tier", json={"data": {"title": "Level"}}
    )
    assert check(attribute, "PATCH", patched)
    system = client.patch("/v2/objects/companies/attributes/name", json={"data": {"title": "x"}})
    assert check(attribute, "PATCH", system)
    option = client.patch(
        "/v2/objects/companies/attributes/tier/options/Gold", json={"data": {"title": "Platinum"}}
    )
    assert check(options + "/{option}", "PATCH", option)
    statuses = template + "/{attribute}/statuses"
    created = client.post(
        "/v2/objects/deals/attributes/stage/statuses", json={"data": {"title": "On hold"}}
    )
    assert check(statuses, "POST", created)
    status = client.patch(
        "/v2/objects/deals/attributes/stage/statuses/On hold", json={"data": {"is_archived": True}}
    )
    assert check(statuses + "/{status}", "PATCH", status)


def test_record_endpoints_with_every_value_type(
    emulator: AttioEmulator, client: httpx.Client
) -> None:
    company = client.post(
        "/v2/objects/companies/records",
        json={
            "data": {
                "values": {
                    "name": "Everything Inc",
                    "domains": ["https://www.everything.co.uk/about"],
                    "categories": ["B2B"],
                    "employee_range": "11-50",
                    "funding_raised_usd": "1250000.50",
                    "foundation_date": "2019-05",
                    "primary_location": "1 Infinite Loop, Cupertino, CA, 95014, US",
                    "is_customer": "true",
                    "nps": 4,
                    "last_seen": "2024-03-01T10:00:00+02:00",
                    "seats": 12.5,
                    "renewal": "2025-01-02T23:00:00-10:00",
                    "notes": {"value": "hello"},
                }
            }
        },
    )
    assert check("/v2/objects/{object}/records", "POST", company)
    company_id = company.json()["data"]["id"]["record_id"]
    emulator.seed_values(
        "companies",
        company_id,
        {
            "last_interaction": {
                "interaction_type": "email",
                "interacted_at": "2024-01-01T00:00:00.000000000Z",
                "owner_actor": {"type": "workspace-member", "id": emulator.workspace.members[0].id},
            },
            "twitter_follower_count": 1033,
        },
        actor={"type": "system", "id": None},
    )
    person = client.put(
        "/v2/objects/people/records",
        params={"matching_attribute": "email_addresses"},
        json={
            "data": {
                "values": {
                    "email_addresses": ["Everyone@Everything.co.uk"],
                    "name": "Everyone, Eve",
                    "phone_numbers": ["+4930123456"],
                    "company": "everything.co.uk",
                }
            }
        },
    )
    assert check("/v2/objects/{object}/records", "PUT", person)
    person_id = person.json()["data"]["id"]["record_id"]
    deal = client.post(
        "/v2/objects/deals/records",
        json={
            "data": {
                "values": {
                    "name": "Everything deal",
                    "stage": "Negotiation",
                    "owner": {
                        "referenced_actor_type": "workspace-member",
                        "referenced_actor_id": emulator.workspace.members[0].id,
                    },
                    "value": 99.99,
                    "associated_people": [
                        {"target_object": "people", "target_record_id": person_id}
                    ],
                    "associated_company": {
                        "target_object": "companies",
                        "target_record_id": company_id,
                    },
                }
            }
        },
    )
    assert check("/v2/objects/{object}/records", "POST", deal)
    record = "/v2/objects/{object}/records/{record_id}"
    for obj, rid in (("companies", company_id), ("people", person_id)):
        assert check(record, "GET", client.get(f"/v2/objects/{obj}/records/{rid}"))
    assert check(
        record, "GET", client.get("/v2/objects/people/records/00000000-0000-4000-8000-000000000000")
    )
    patch = client.patch(
        f"/v2/objects/people/records/{person_id}", json={"data": {"values": {"job_title": "CEO"}}}
    )
    assert check(record, "PATCH", patch)
    put = client.put(
        f"/v2/objects/people/records/{person_id}", json={"data": {"values": {"job_title": "CTO"}}}
    )
    assert check(record, "PUT", put)
    values = record + "/attributes/{attribute}/values"
    for attribute in ("job_title", "email_addresses", "company"):
        url = f"/v2/objects/people/records/{person_id}/attributes/{attribute}/values"
        assert check(values, "GET", client.get(url, params={"show_historic": "true"}))
    url = f"/v2/objects/companies/records/{company_id}/attributes/last_interaction/values"
    assert check(values, "GET", client.get(url))
    assert check(values, "GET", client.get(url, params={"show_historic": "true"}))  # COMINT 400
    assert check(
        record + "/entries",
        "GET",
        client.get(f"/v2/objects/companies/records/{company_id}/entries"),
    )
    query = "/v2/objects/{object}/records/query"
    for obj in ("people", "companies", "deals", "users", "workspaces"):
        assert check(
            query, "POST", client.post(f"/v2/objects/{obj}/records/query", json={"limit": 50})
        )
    assert check(
        query,
        "POST",
        client.post("/v2/objects/people/records/query", json={"filter": {"$bogus": 1}}),
    )
    assert check(query, "POST", client.post("/v2/objects/nope/records/query", json={}))
    create = "/v2/objects/{object}/records"
    bad_option = client.post(
        create.replace("{object}", "companies"), json={"data": {"values": {"categories": ["Nope"]}}}
    )
    assert check(create, "POST", bad_option)
    assert check(
        record,
        "DELETE",
        client.delete(f"/v2/objects/deals/records/{deal.json()['data']['id']['record_id']}"),
    )
    search = client.post(
        "/v2/objects/records/search",
        json={
            "query": "every",
            "objects": ["people", "companies"],
            "request_as": {"type": "workspace"},
        },
    )
    assert check("/v2/objects/records/search", "POST", search)
    assert len(search.json()["data"]) == 2


def test_entry_endpoints(emulator: AttioEmulator, client: httpx.Client) -> None:
    company = emulator.records("companies")[0]["id"]["record_id"]
    entries = "/v2/lists/{list}/entries"
    body = {
        "data": {
            "parent_record_id": company,
            "parent_object": "companies",
            "entry_values": {"stage": "Demo", "priority": 3, "expected_value": 5000},
        }
    }
    created = client.post("/v2/lists/sales_pipeline/entries", json=body)
    assert check(entries, "POST", created)
    entry_id = created.json()["data"]["id"]["entry_id"]
    entry = entries + "/{entry_id}"
    assert check(entry, "GET", client.get(f"/v2/lists/sales_pipeline/entries/{entry_id}"))
    patch = client.patch(
        f"/v2/lists/sales_pipeline/entries/{entry_id}",
        json={"data": {"entry_values": {"stage": "Won"}}},
    )
    assert check(entry, "PATCH", patch)
    put = client.put(
        f"/v2/lists/sales_pipeline/entries/{entry_id}",
        json={"data": {"entry_values": {"priority": 5}}},
    )
    assert check(entry, "PUT", put)
    url = f"/v2/lists/sales_pipeline/entries/{entry_id}/attributes/stage/values"
    assert check(
        entry + "/attributes/{attribute}/values",
        "GET",
        client.get(url, params={"show_historic": "true"}),
    )
    queried = client.post("/v2/lists/sales_pipeline/entries/query", json={"limit": 100})
    assert check(entries + "/query", "POST", queried)
    assert check(entries, "PUT", client.put("/v2/lists/sales_pipeline/entries", json=body))
    assert check(entry, "DELETE", client.delete(f"/v2/lists/sales_pipeline/entries/{entry_id}"))
    assert check(entry, "GET", client.get("/v2/lists/nope/entries/x"))


def test_notes_and_tasks(client: httpx.Client) -> None:
    """/v2/notes and /v2/tasks (emulator/handlers_notes.py)."""
    query = client.post("/v2/objects/people/records/query", json={"limit": 1}).json()
    person = query["data"][0]["id"]["record_id"]
    note = {"parent_object": "people", "parent_record_id": person, "title": "T"}
    task = {"content": "call", "format": "plaintext", "is_completed": False, "assignees": []}
    made = client.post(
        "/v2/notes", json={"data": {**note, "format": "markdown", "content": "# Hi **x**"}}
    )
    assert check("/v2/notes", "POST", made)
    note_id = made.json()["data"]["id"]["note_id"]
    assert made.json()["data"]["content_plaintext"] == "Hi x"
    assert check("/v2/notes", "GET", client.get("/v2/notes", params={"parent_record_id": person}))
    assert check("/v2/notes/{note_id}", "GET", client.get(f"/v2/notes/{note_id}"))
    assert check("/v2/notes/{note_id}", "DELETE", client.delete(f"/v2/notes/{note_id}"))
    assert check("/v2/notes/{note_id}", "GET", client.get(f"/v2/notes/{note_id}"))  # 404
    linked = [{"target_object": "people", "target_record_id": person}]
    made = client.post(
        "/v2/tasks",
        json={"data": {**task, "linked_records": linked, "deadline_at": "2030-01-01"}},
    )
    assert check("/v2/tasks", "POST", made)
    task_id = made.json()["data"]["id"]["task_id"]
    assert made.json()["data"]["deadline_at"] == "2030-01-01T00:00:00.000000000Z"
    assert check("/v2/tasks", "GET", client.get("/v2/tasks"))
    patched = client.patch(f"/v2/tasks/{task_id}", json={"data": {"is_completed": True}})
    assert check("/v2/tasks/{task_id}", "PATCH", patched)
    assert check("/v2/tasks/{task_id}", "GET", client.get(f"/v2/tasks/{task_id}"))
    assert check("/v2/tasks/{task_id}", "DELETE", client.delete(f"/v2/tasks/{task_id}"))
    assert check("/v2/tasks/{task_id}", "GET", client.get(f"/v2/tasks/{task_id}"))  # 404
