"""Every recording in ``data/`` and ``cassettes/attio/`` (from ``shared/recordings/attio``) replayed against
the emulator after seeding the same data: status and body shape (keys at every level, value types)
must equal the recording's; error bodies must be equal outright where the recording is exact."""

from __future__ import annotations

import email.utils
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from crmbridge_attio.emulator import AttioEmulator
from crmbridge_attio.emulator.errors import type_name

DATA = Path(__file__).parent / "data"
CASSETTES = Path(__file__).parents[3] / "cassettes" / "attio"
Shape = dict[str, Any]


def cassette(name: str) -> list[dict[str, Any]]:
    """The interactions of a cassette: request (method, uri, body) and response (status, body)."""
    recorded = yaml.safe_load((CASSETTES / f"{name}.yaml").read_text())
    result = []
    for item in recorded["interactions"]:
        req, res = item["request"], item["response"]
        result.append(
            {
                "method": req["method"],
                "uri": req["uri"],
                "body": json.loads(req["body"]) if req["body"] else None,
                "status": res["status"]["code"],
                "response": json.loads(res["body"]["string"]),
                "headers": {k.lower(): v for k, v in res["headers"].items()},
            }
        )
    return result


def recorded(kind: str, name: str) -> Any:
    return json.loads((DATA / kind / name).read_text())


def documented(name: str) -> dict[str, Any]:
    examples = json.loads((DATA / "documented_examples.json").read_text())["examples"]
    found: dict[str, Any] = next(e for e in examples if e["name"] == name)
    return found


def shape(value: Any) -> Shape:
    """The shape of a JSON value: per kind, the keys (objects) or merged element shape (arrays).
    Array elements are merged so that a list's shape is the union of its elements' shapes."""
    kind = type_name(value)
    if kind == "object":
        return {"object": {k: shape(v) for k, v in value.items()}}
    if kind == "array":
        merged: Shape | None = None
        for item in value:
            merged = merge(merged, shape(item))
        return {"array": merged}
    return {kind: True}


def merge(a: Shape | None, b: Shape | None) -> Shape | None:
    if a is None:
        return b
    if b is None:
        return a
    out = dict(a)
    for kind, detail in b.items():
        if kind not in out:
            out[kind] = detail
        elif kind == "object":
            keys = set(out[kind]) | set(detail)
            out[kind] = {k: merge(out[kind].get(k), detail.get(k)) for k in keys}
        elif kind == "array":
            out[kind] = merge(out[kind], detail)
    return out


def test_shape_helper_sees_differences() -> None:
    """The comparison can fail: a missing key, a changed type or a null are all differences."""
    base = {"data": [{"a": 1, "b": "x"}]}
    assert shape(base) == shape({"data": [{"a": 2.5, "b": "y"}, {"a": 3, "b": "z"}]})
    assert shape(base) != shape({"data": [{"a": 1}]})
    assert shape(base) != shape({"data": [{"a": "1", "b": "x"}]})
    assert shape(base) != shape({"data": [{"a": 1, "b": None}]})


def replay(client: httpx.Client, interaction: dict[str, Any]) -> httpx.Response:
    url = httpx.URL(interaction["uri"])
    return client.request(
        interaction["method"],
        url.raw_path.decode(),
        json=interaction["body"],
    )


# --- cassettes ---------------------------------------------------------------------------------


def test_self_identify(client: httpx.Client) -> None:
    for interaction in cassette("self_identify"):
        response = replay(client, interaction)
        assert response.status_code == interaction["status"]
        assert shape(response.json()) == shape(interaction["response"])


def test_objects_list(client: httpx.Client) -> None:
    for interaction in cassette("objects_list"):
        response = replay(client, interaction)
        assert response.status_code == interaction["status"] == 200
        assert shape(response.json()) == shape(interaction["response"])
        slugs = [o["api_slug"] for o in response.json()["data"]]
        recorded_slugs = {o["api_slug"] for o in interaction["response"]["data"]}
        assert {"people", "companies", "deals"} <= recorded_slugs
        assert set(slugs) == {"people", "companies", "deals", "users", "workspaces"}


def _seed_custom_people_attributes(
    emulator: AttioEmulator, recorded_attrs: list[dict[str, Any]]
) -> None:
    """The recorded workspace's custom attributes, as its admin created them."""
    emulator.add_object("activities", "Lemlist Activity", "Lemlist Activities")
    for attr in recorded_attrs:
        if attr["is_system_attribute"]:
            continue
        targets = None
        if attr["type"] == "record-reference":
            targets = ["activities"]
            emulator.add_attribute(
                "activities",
                attr["relationship"]["api_slug"],
                "record-reference",
                title=attr["relationship"]["title"],
                targets=["people"],
            )
        emulator.add_attribute(
            "people",
            attr["api_slug"],
            attr["type"],
            title=attr["title"],
            is_multiselect=attr["is_multiselect"],
            description=attr["description"],
            targets=targets,
        )
        if attr["type"] == "record-reference":
            emulator.relate(
                ("people", attr["api_slug"]), ("activities", attr["relationship"]["api_slug"])
            )


def test_attributes_list_people(emulator: AttioEmulator, client: httpx.Client) -> None:
    interactions = cassette("attributes_list_people")
    recorded_attrs = interactions[0]["response"]["data"]
    _seed_custom_people_attributes(emulator, recorded_attrs)
    for interaction in interactions:
        response = replay(client, interaction)
        assert response.status_code == interaction["status"] == 200
        assert shape(response.json()) == shape(interaction["response"])
    ours = response.json()["data"]
    keys = (
        "api_slug",
        "title",
        "type",
        "is_system_attribute",
        "is_writable",
        "is_required",
        "is_unique",
        "is_multiselect",
        "is_archived",
        "default_value",
    )
    assert [{k: a[k] for k in keys} for a in ours] == [
        {k: a[k] for k in keys} for a in recorded_attrs
    ]
    relationships = {a["api_slug"]: a["relationship"] for a in ours if a["relationship"]}
    recorded_rel = {a["api_slug"]: a["relationship"] for a in recorded_attrs if a["relationship"]}
    for slug, rel in recorded_rel.items():
        assert {
            k: relationships[slug][k]
            for k in ("object_slug", "api_slug", "is_multiselect", "title")
        } == {k: rel[k] for k in ("object_slug", "api_slug", "is_multiselect", "title")}


def test_statuses_list_deals_stage(client: httpx.Client) -> None:
    (interaction,) = cassette("statuses_list_deals_stage")
    response = replay(client, interaction)
    assert response.status_code == 200
    assert shape(response.json()) == shape(interaction["response"])
    assert [s["title"] for s in response.json()["data"]] == [
        s["title"] for s in interaction["response"]["data"]
    ]


def test_lists_list(emulator: AttioEmulator, client: httpx.Client) -> None:
    interactions = cassette("lists_list")
    for lst in interactions[0]["response"]["data"]:
        emulator.add_list(
            lst["api_slug"],
            lst["name"],
            lst["parent_object"][0],
            workspace_access=lst["workspace_access"],
        )
    for interaction in interactions:
        response = replay(client, interaction)
        assert response.status_code == 200
        assert shape(response.json()) == shape(interaction["response"])


# --- seeding records from a recording -------------------------------------------------------------


def _input_form(value: dict[str, Any]) -> Any:
    """The write form of a recorded (read-shape) value."""
    kind = value["attribute_type"]
    if kind in ("text", "number", "date", "timestamp", "checkbox", "rating"):
        return value["value"]
    if kind == "currency":
        return value["currency_value"]
    if kind == "domain":
        return value["domain"]
    if kind == "email-address":
        return value["original_email_address"]
    if kind == "phone-number":
        return value["original_phone_number"]
    if kind == "select":
        return value["option"]["title"]
    if kind == "status":
        return value["status"]["title"]
    if kind == "personal-name":
        return {k: value[k] for k in ("first_name", "last_name", "full_name")}
    if kind == "location":
        keys = ("line_1", "line_2", "line_3", "line_4", "locality", "region", "postcode")
        return {k: value[k] for k in (*keys, "country_code", "latitude", "longitude")}
    if kind == "actor-reference":
        return {k: value[k] for k in ("referenced_actor_type", "referenced_actor_id")}
    if kind == "interaction":
        return {k: value[k] for k in ("interaction_type", "interacted_at", "owner_actor")}
    raise AssertionError(f"no input form for {kind}")


SYSTEM_VALUES = {"record_id", "created_at", "created_by"}


def _collapse(emulator: AttioEmulator, obj: str, payload: dict[str, list[Any]]) -> dict[str, Any]:
    """Single-value attributes are written unwrapped."""
    attrs = emulator.workspace.objects[obj].attributes
    return {s: (v if attrs[s].is_multiselect else v[0]) for s, v in payload.items()}


def seed_like(emulator: AttioEmulator, obj: str, records: list[dict[str, Any]]) -> None:
    """Give ``obj`` the recorded workspace's attributes (adding its custom ones, archiving ours that
    it lacks) and create the recorded records with the same values, actors and times."""
    seen: dict[str, dict[str, Any]] = {}
    multi: set[str] = set()
    for record in records:
        for slug, values in record["values"].items():
            if values:
                seen.setdefault(slug, values[0])
            if len(values) > 1:
                multi.add(slug)
            seen.setdefault(slug, {})
    for slug, sample in seen.items():
        try:
            emulator.attribute(obj, slug)
        except KeyError:
            kind = sample.get("attribute_type", "text")
            options = None
            if kind == "select":
                options = sorted(
                    {v["option"]["title"] for r in records for v in r["values"].get(slug, [])}
                )
            emulator.add_attribute(obj, slug, kind, is_multiselect=slug in multi, options=options)
        else:
            if sample.get("attribute_type") == "select":
                attribute = emulator.attribute(obj, slug)
                for record in records:
                    for value in record["values"].get(slug, []):
                        if attribute.option(value["option"]["title"]) is None:
                            emulator.add_option(obj, slug, value["option"]["title"])
    for ours in list(emulator.workspace.objects[obj].attributes):
        if ours not in seen:
            emulator.archive_attribute(obj, ours)
    for record in records:
        groups: dict[tuple[str, str | None, str], dict[str, Any]] = {}
        for slug, values in record["values"].items():
            if slug in SYSTEM_VALUES:
                continue
            for value in values:
                actor = value["created_by_actor"]
                key = (actor["type"], actor["id"], value["active_from"])
                items = groups.setdefault(key, {}).setdefault(slug, [])
                items.append(_input_form(value))
        creator = (
            record["values"]
            .get("record_id", [{}])[0]
            .get("created_by_actor", {"type": "api-token", "id": emulator.workspace.token_id})
        )
        first: dict[str, Any] = {}
        rest: list[tuple[dict[str, Any], str, dict[str, Any]]] = []
        for (kind, actor_id, at), payload in groups.items():
            if kind == creator["type"] and actor_id == creator["id"] and not first:
                first = payload
            else:
                rest.append(({"type": kind, "id": actor_id}, at, payload))
        made = emulator.seed_record(
            obj, _collapse(emulator, obj, first), created_at=record["created_at"], actor=creator
        )
        for actor, at, payload in rest:
            emulator.seed_values(obj, made, _collapse(emulator, obj, payload), actor=actor, at=at)


def test_companies_query(emulator: AttioEmulator, client: httpx.Client) -> None:
    (interaction,) = cassette("companies_query")
    seed_like(emulator, "companies", interaction["response"]["data"])
    response = replay(client, interaction)
    assert response.status_code == 200
    assert shape(response.json()) == shape(interaction["response"])
    assert (
        response.headers["x-attio-record-query-score"]
        == interaction["headers"]["x-attio-record-query-score"][0]
    )
    ours = response.json()["data"]
    assert len(ours) == 5
    theirs = interaction["response"]["data"]
    assert [list(r["values"]) for r in ours] == [list(r["values"]) for r in theirs]
    assert next(r["values"]["domains"] for r in ours)[0]["root_domain"] == "popl.co"


def test_people_create(emulator: AttioEmulator, client: httpx.Client) -> None:
    expected = recorded("responses", "people_create_rbeene.json")
    for slug in list(emulator.workspace.objects["people"].attributes):
        if slug not in expected["data"]["values"]:
            emulator.archive_attribute("people", slug)
    name = expected["data"]["values"]["name"][0]
    payload = {"values": {"name": {k: name[k] for k in ("first_name", "last_name", "full_name")}}}
    response = client.post("/v2/objects/people/records", json={"data": payload})
    assert response.status_code == 200
    assert shape(response.json()) == shape(expected)
    assert list(response.json()["data"]["values"]) == list(expected["data"]["values"])
    assert response.json()["data"]["web_url"].startswith("https://app.attio.com/")
    assert "/person/" in response.json()["data"]["web_url"]


def test_people_query(emulator: AttioEmulator, client: httpx.Client) -> None:
    expected = recorded("responses", "people_query_rbeene.json")
    seed_like(emulator, "people", expected["data"])
    response = client.post("/v2/objects/people/records/query", json={})
    assert response.status_code == 200
    assert shape(response.json()) == shape(expected)
    phone = response.json()["data"][0]["values"]["phone_numbers"][0]
    assert list(phone) == list(expected["data"][0]["values"]["phone_numbers"][0])
    assert phone["phone_number"] == "+12125551234"
    assert phone["country_code"] == "US"


# --- recorded errors: equal outright ----------------------------------------------------------------


def test_error_missing_values(client: httpx.Client) -> None:
    expected = recorded("errors", "rbeene_400_validation_type_missing_values.json")
    response = client.post("/v2/objects/people/records", json={"data": {}})
    assert response.status_code == 400
    assert response.json() == expected


def test_error_personal_name(client: httpx.Client) -> None:
    expected = recorded("errors", "rbeene_400_validation_type_personal_name.json")
    response = client.post("/v2/objects/people/records", json={"data": {"values": {"name": {}}}})
    assert response.status_code == 400
    assert response.json() == expected


def test_error_unauthorized(emulator: AttioEmulator) -> None:
    expected = recorded("errors", "rbeene_401_auth_error.json")
    with emulator.client(auth=False) as http:
        response = http.get("/v2/self", headers={"Authorization": "Bearer too-short"})
    assert response.status_code == 401
    assert response.json() == expected


def test_error_unknown_endpoint(client: httpx.Client) -> None:
    expected = recorded("errors", "rbeene_404_not_found_endpoint.json")
    response = client.get("/v2/attributes/non-existent-id")
    assert response.status_code == 404
    assert response.json() == expected


@pytest.mark.parametrize("name", ["companies_list", "records_global_search"])
def test_recorded_error_cassettes(client: httpx.Client, name: str) -> None:
    (interaction,) = cassette(name)
    response = replay(client, interaction)
    assert response.status_code == interaction["status"]
    assert response.json() == interaction["response"]
    # Byte for byte: Attio sends compact JSON, and the recorded Content-Length proves it.
    assert response.content == json.dumps(interaction["response"], separators=(",", ":")).encode()
    assert len(response.content) == int(interaction["headers"]["content-length"][0])


# --- documented examples --------------------------------------------------------------------------


def test_documented_rate_limit(emulator: AttioEmulator) -> None:
    example = documented("rate_limit_429")
    limited = AttioEmulator(rate_limits=True)
    with httpx.Client(
        transport=limited.transport(),
        base_url=limited.base_url,
        headers={"Authorization": f"Bearer {limited.token}"},
    ) as http:
        responses = [
            http.post("/v2/objects/people/records", json={"data": {"values": {}}})
            for _ in range(26)
        ]
    response = responses[-1]
    assert response.status_code == example["http_status"] == 429
    assert response.json() == example["body"]
    assert email.utils.parsedate_to_datetime(response.headers["Retry-After"]) is not None
    assert response.headers["Retry-After"].endswith(" GMT")


def test_documented_matching_attribute_not_unique(client: httpx.Client) -> None:
    example = documented("assert_matching_attribute_not_unique")
    response = client.put(
        "/v2/objects/companies/records",
        params={"matching_attribute": "name"},
        json={"data": {"values": {"name": "Acme"}}},
    )
    assert response.status_code == example["http_status"]
    assert response.json() == example["body"]


def test_documented_uniqueness_conflict(emulator: AttioEmulator, client: httpx.Client) -> None:
    example = documented("create_uniqueness_conflict")
    body = {"data": {"values": {"email_addresses": ["someone@gmail.com"]}}}
    assert client.post("/v2/objects/people/records", json=body).status_code == 200
    response = client.post("/v2/objects/people/records", json=body)
    assert response.status_code == example["http_status"]
    attribute_id = emulator.attribute("people", "email_addresses").id
    assert response.json() == {
        **example["body"],
        "message": example["body"]["message"].replace(
            "b8bfd231-5bd9-4092-9d39-dbf3f0e6e0d9", attribute_id
        ),
    }


def test_documented_historic_actor_reference(emulator: AttioEmulator, client: httpx.Client) -> None:
    example = documented("historic_value_actor_reference")
    deal = client.post(
        "/v2/objects/deals/records",
        json={
            "data": {"values": {"name": "D", "stage": "Proposal", "owner": "ada@crmbridge.test"}}
        },
    ).json()["data"]
    other = emulator.add_member("Grace", "Hopper", "grace@crmbridge.test")
    record_id = deal["id"]["record_id"]
    client.patch(
        f"/v2/objects/deals/records/{record_id}",
        json={"data": {"values": {"owner": other.email_address}}},
    )
    response = client.get(
        f"/v2/objects/deals/records/{record_id}/attributes/owner/values",
        params={"show_historic": "true"},
    )
    assert response.status_code == 200
    data = response.json()["data"]
    assert len(data) == 2
    assert data[0]["active_until"] is not None
    assert data[1]["active_until"] is None
    assert shape({"data": data[:1]}) == shape(example["body"])


SPEC_ERRORS = {e["code"]: e for e in documented("spec_error_examples")["bodies"]}


def test_spec_error_value_not_found(client: httpx.Client) -> None:
    response = client.post(
        "/v2/objects/companies/records", json={"data": {"values": {"employee_range": "Medium"}}}
    )
    assert response.status_code == 400
    assert response.json() == {**SPEC_ERRORS["value_not_found"]}


def test_spec_error_filter(client: httpx.Client) -> None:
    response = client.post(
        "/v2/objects/people/records/query", json={"filter": {"name": {"$bogus": 1}}}
    )
    assert response.status_code == 400
    assert shape(response.json()) == shape(SPEC_ERRORS["filter_error"])
    assert response.json()["code"] == "filter_error"


def test_spec_error_missing_value(emulator: AttioEmulator, client: httpx.Client) -> None:
    response = client.post(
        "/v2/objects/deals/records", json={"data": {"values": {"name": "No stage"}}}
    )
    assert response.status_code == 400
    expected = SPEC_ERRORS["missing_value"]
    stage = emulator.attribute("deals", "stage").id
    assert response.json() == {
        **expected,
        "message": expected["message"].replace("41252299-f8c7-4b5e-99c9-4ff8321d2f96", stage),
    }


def test_spec_error_list_not_found(client: httpx.Client) -> None:
    response = client.post("/v2/lists/enterprise_sales/entries", json={"data": {}})
    assert response.status_code == 404
    assert response.json() == SPEC_ERRORS["not_found"]


def test_spec_error_slug_conflict(client: httpx.Client) -> None:
    url = "/v2/objects/companies/attributes/categories/options"
    assert client.post(url, json={"data": {"title": "Medium"}}).status_code == 200
    response = client.post(url, json={"data": {"title": "Medium"}})
    assert response.status_code == 409
    assert response.json() == SPEC_ERRORS["slug_conflict"]


def test_spec_error_system_edit_unauthorized(client: httpx.Client) -> None:
    response = client.patch(
        "/v2/objects/people/attributes/record_id", json={"data": {"title": "x"}}
    )
    assert response.status_code == 400
    assert response.json() == SPEC_ERRORS["system_edit_unauthorized"]


def test_spec_errors_entries(emulator: AttioEmulator, client: httpx.Client) -> None:
    emulator.add_list("pipeline", "Pipeline", "companies")
    company = emulator.seed_record("companies", {"name": "Acme"})
    entry = {"parent_record_id": company, "parent_object": "companies", "entry_values": {}}
    first = client.post("/v2/lists/pipeline/entries", json={"data": entry}).json()["data"]
    client.post("/v2/lists/pipeline/entries", json={"data": entry})
    response = client.put("/v2/lists/pipeline/entries", json={"data": entry})
    assert response.status_code == 400
    assert response.json() == SPEC_ERRORS["multiple_match_results"]
    other = emulator.seed_record("companies", {"name": "Other"})
    response = client.patch(
        f"/v2/lists/pipeline/entries/{first['id']['entry_id']}",
        json={"data": {"parent_record_id": other, "entry_values": {}}},
    )
    assert response.status_code == 400
    assert response.json() == SPEC_ERRORS["immutable_value"]
