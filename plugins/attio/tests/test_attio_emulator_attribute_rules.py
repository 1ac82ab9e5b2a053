"""The Attio emulator refuses attribute definitions the spec rules out (emulator/attribute_rules.py):
status on objects, multiselect single-only types, currency and record-reference config."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

#: A valid body (the spec's keys, all of them: docs/reference/attio.md §2).
ATTRIBUTE_BODY: dict[str, Any] = {
    "title": "Tier", "description": None, "api_slug": "tier", "type": "select",
    "is_required": False, "is_unique": False, "is_multiselect": False, "default_value": None,
    "config": {},
}  # fmt: skip


def _post(
    client: httpx.Client, target: str = "objects/companies", **changes: Any
) -> httpx.Response:
    return client.post(f"/v2/{target}/attributes", json={"data": {**ATTRIBUTE_BODY, **changes}})


def _paths(response: httpx.Response) -> list[list[Any]]:
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "validation_type"
    return [e["path"] for e in response.json()["validation_errors"]]


def test_status_attributes_are_refused_on_objects_and_made_on_lists(client: httpx.Client) -> None:
    assert _paths(_post(client, type="status", api_slug="phase")) == [["data", "type"]]
    body = {"name": "Pipeline", "api_slug": "pipeline", "parent_object": "companies",
            "workspace_access": "full-access", "workspace_member_access": []}  # fmt: skip
    assert client.post("/v2/lists", json={"data": body}).status_code == 200
    made = _post(client, "lists/pipeline", type="status", api_slug="phase")
    assert made.status_code == 200, made.text


@pytest.mark.parametrize("kind", ["text", "number", "checkbox", "date", "timestamp", "rating"])
def test_single_only_types_cannot_be_multiselect(client: httpx.Client, kind: str) -> None:
    response = _post(client, type=kind, api_slug="many", is_multiselect=True)
    assert _paths(response) == [["data", "is_multiselect"]]


def test_a_multiselect_select_is_made(client: httpx.Client) -> None:
    made = _post(client, api_slug="labels", is_multiselect=True)
    assert made.status_code == 200
    assert made.json()["data"]["is_multiselect"] is True


def test_currency_needs_a_known_code_and_display_type(client: httpx.Client) -> None:
    assert _paths(_post(client, type="currency", api_slug="mrr")) == [
        ["data", "config", "currency"]
    ]
    bad = _post(client, type="currency", api_slug="mrr",
                config={"currency": {"default_currency_code": "XXX"}})  # fmt: skip
    assert _paths(bad) == [
        ["data", "config", "currency", "default_currency_code"],
        ["data", "config", "currency", "display_type"],
    ]


def test_a_record_reference_names_at_least_one_object(client: httpx.Client) -> None:
    response = _post(client, type="record-reference", api_slug="partner",
                     config={"record_reference": {"allowed_objects": []}})  # fmt: skip
    assert _paths(response) == [["data", "config", "record_reference", "allowed_objects"]]


def test_an_empty_title_is_refused(client: httpx.Client) -> None:
    assert _paths(_post(client, title=" ")) == [["data", "title"]]
