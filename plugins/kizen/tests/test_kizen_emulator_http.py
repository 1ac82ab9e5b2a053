"""Kizen emulator: auth, routing, objects and fields, and the HTTP form (docs/reference/kizen.md §2, §3)."""

from __future__ import annotations

import httpx
import pytest
from crmbridge_kizen.emulator import KizenEmulator
from crmbridge_kizen.emulator.schema import FIELD_TYPES
from kizen_emulator_support import auth_headers, client

import crmbridge as cb

# --- auth and routing ---------------------------------------------------------------------------


@pytest.mark.parametrize("missing", ["X-API-KEY", "X-USER-ID", "X-BUSINESS-ID"])
def test_each_auth_header_is_required(emu: KizenEmulator, missing: str) -> None:
    headers = {k: v for k, v in auth_headers(emu).items() if k != missing}
    r = emu.client(auth=False, headers=headers).get("/api/custom-objects")
    assert r.status_code == 401
    assert r.json() == {
        "detail": "Authentication credentials were not provided.",
        "code": "not_authenticated",
    }


def test_wrong_credentials_are_401_in_drf_shape(emu: KizenEmulator) -> None:
    headers = {**auth_headers(emu), "X-BUSINESS-ID": "another-business"}
    r = emu.client(auth=False, headers=headers).get("/api/custom-objects")
    assert r.status_code == 401
    assert r.json()["code"] == "authentication_failed"
    assert set(r.json()) == {"detail", "code"}


def test_header_names_are_case_insensitive(emu: KizenEmulator) -> None:
    headers = {k.lower(): v for k, v in auth_headers(emu).items()}
    r = emu.client(auth=False, headers=headers).get("/api/custom-objects")
    assert r.status_code == 200


def test_custom_credentials() -> None:
    emu = KizenEmulator(api_key="K", user_id="U", business_id="B")
    assert emu.credentials() == {"api_key": "K", "user_id": "U", "business_id": "B"}
    assert client(emu).get("/api/custom-objects").status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/api/custom-objects/",
        "/api/records/client_client/search/",
        "/api/records/client_client/",
        "/api/client/custom-object/",
    ],
)
def test_trailing_slash_is_an_html_404(emu: KizenEmulator, path: str) -> None:
    for c in (client(emu), client(emu, auth=False)):
        r = c.request("POST" if "search" in path else "GET", path, json={})
        assert r.status_code == 404
        assert r.headers["content-type"].startswith("text/html")
        assert "Not Found" in r.text


@pytest.mark.parametrize("path", ["/records/client_client/search", "/api/nope", "/v2/objects"])
def test_unknown_paths_are_html_404(emu: KizenEmulator, path: str) -> None:
    r = client(emu).get(path)
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("text/html")


def test_wrong_method_is_405(emu: KizenEmulator) -> None:
    r = client(emu).get("/api/records/client_client/search")
    assert r.status_code == 405
    assert r.json()["code"] == "method_not_allowed"


def test_unknown_object_and_record_are_json_404(emu: KizenEmulator) -> None:
    c = client(emu)
    assert c.get("/api/records/nope/123").json() == {"detail": "Not found.", "code": "not_found"}
    assert c.get("/api/records/client_client/123").status_code == 404


def test_every_response_has_a_request_id(emu: KizenEmulator) -> None:
    c = client(emu)
    ids = {c.get("/api/custom-objects").headers["x-request-id"] for _ in range(3)}
    ids.add(c.get("/api/nope").headers["x-request-id"])
    assert len(ids) == 4


def test_unknown_seed_is_refused() -> None:
    with pytest.raises(cb.ConfigError, match="seed"):
        KizenEmulator(seed="bogus")


# --- objects and fields -------------------------------------------------------------------------


def test_custom_only_defaults_to_true(emu: KizenEmulator) -> None:
    c = client(emu)
    custom = [o["name"] for o in c.get("/api/custom-objects").json()["results"]]
    everything = c.get("/api/custom-objects", params={"custom_only": "false"}).json()
    assert "client_client" not in custom
    assert "companies_company" not in custom
    assert {"deals", "projects"} <= set(custom)
    assert [o["name"] for o in everything["results"]][:2] == ["client_client", "companies_company"]
    assert set(everything) == {"count", "next", "previous", "results", "errors"}
    assert everything["count"] == 4


def test_object_by_name_and_by_uuid(emu: KizenEmulator) -> None:
    c = client(emu)
    by_name = c.get("/api/custom-objects/deals").json()
    by_id = c.get(f"/api/custom-objects/{by_name['id']}").json()
    assert by_name == by_id
    assert by_name["object_type"] == "pipeline"
    stage = next(f for f in by_name["fields"] if f["name"] == "stage")
    assert [o["status"] for o in stage["options"]] == ["open", "open", "open", "won", "lost"]


def test_fields_is_a_bare_array_by_uuid_only(emu: KizenEmulator) -> None:
    c = client(emu)
    obj = c.get("/api/custom-objects/companies_company").json()
    fields = c.get(f"/api/custom-objects/{obj['id']}/fields").json()
    assert isinstance(fields, list)
    names = [f["name"] for f in fields]
    assert names[:5] == ["name", "owner", "created", "updated", "display_name"]
    assert {"domain", "description", "industry", "employee_count", "annual_revenue"} <= set(names)
    assert c.get("/api/custom-objects/companies_company/fields").status_code == 404
    for key in ("id", "name", "display_name", "field_type", "is_required", "is_read_only",
                "options", "relation", "access"):  # fmt: skip
        assert key in fields[0]


#: The live contact field list (kizen/builder-cli tests/fixtures/objects/client_client.json @
#: f8d1cd7b, a sanitized ``GET …/fields`` capture): api names in order, and Email Status's options.
LIVE_CONTACT_FIELDS = [
    "first_name", "last_name", "email", "created", "email_status", "business_phone",
    "mobile_phone", "home_phone", "company_primary", "company_additional", "titles", "tags",
    "updated", "birthday", "timezone",
]  # fmt: skip
LIVE_EMAIL_STATUSES = [
    ("Opted In", "opted_in"),
    ("Not Opted In", "not_opted_in"),
    ("Unsubscribed From All", "unsubscribed"),
    ("Suppression List", "suppression_list"),
]


def test_contact_object_has_the_live_default_fields(emu: KizenEmulator) -> None:
    """Issue 17: the real contact default fields, the real Email Status options and codes, and no
    field the real object lacks (``company``, ``owner``); ``full_name`` is the documented
    calculated field (docs/reference/kizen.md §1.1) that the capture does not list."""
    body = client(emu).get("/api/client/custom-object").json()
    assert body["name"] == "client_client"
    names = [f["name"] for f in body["fields"]]
    assert [n for n in names if n in LIVE_CONTACT_FIELDS] == LIVE_CONTACT_FIELDS
    assert set(names) - set(LIVE_CONTACT_FIELDS) == {"full_name", "deals"}  # deals: custom
    assert body["undeletable_fields"]["email"]["id"] == emu.field("client_client", "email").id
    by_name = {f["name"]: f for f in body["fields"]}
    assert by_name["titles"]["field_type"] == "dynamictags"
    assert by_name["full_name"]["is_read_only"] is True
    statuses = [(o["name"], o["code"]) for o in by_name["email_status"]["options"]]
    assert statuses == LIVE_EMAIL_STATUSES
    primary, additional = by_name["company_primary"], by_name["company_additional"]
    assert (primary["relation"]["relation_type"], primary["relation"]["cardinality"]) == (
        "primary", "many_to_one")  # fmt: skip
    assert additional["relation"]["cardinality"] == "many_to_many"
    assert primary["relation"]["related_object_object_name"] == "companies_company"
    tz = by_name["timezone"]["options"]
    assert {"id": "America/Chicago", "code": "America/Chicago", "name": "America/Chicago"} in tz


def test_contacts_companies_relationship_has_both_sides(emu: KizenEmulator) -> None:
    c = client(emu)
    contact = {f["name"]: f for f in c.get("/api/client/custom-object").json()["fields"]}
    company_obj = c.get("/api/custom-objects/companies_company").json()
    company = {f["name"]: f for f in company_obj["fields"]}
    forward, inverse = contact["company_primary"]["relation"], company["contacts"]["relation"]
    assert forward["related_object"] == company_obj["id"]
    assert forward["related_field"] == company["contacts"]["id"]
    assert inverse["related_field"] == contact["company_primary"]["id"]
    assert (forward["cardinality"], inverse["cardinality"]) == ("many_to_one", "one_to_many")
    assert (forward["relation_type"], inverse["relation_type"]) == ("primary", "primary_for")


def test_seeds_cover_all_24_field_types(emu: KizenEmulator) -> None:
    c = client(emu)
    seen = set()
    for obj in c.get("/api/custom-objects", params={"custom_only": "false"}).json()["results"]:
        seen |= {f["field_type"] for f in c.get(f"/api/custom-objects/{obj['id']}/fields").json()}
    assert len(FIELD_TYPES) == 24
    assert seen == FIELD_TYPES


def test_field_ids_are_deterministic() -> None:
    a, b = KizenEmulator(), KizenEmulator(seed="demo")
    assert a.field("client_client", "email").id == b.field("client_client", "email").id
    assert a.object_def("deals").id == b.object_def("deals").id


def test_custom_objects_pagination(emu: KizenEmulator) -> None:
    c = client(emu)
    page1 = c.get("/api/custom-objects", params={"custom_only": "false", "page_size": 3}).json()
    assert page1["count"] == 4
    assert len(page1["results"]) == 3
    assert page1["next"].startswith("https://app.go.kizen.com/api/custom-objects?")
    page2 = c.get(page1["next"]).json()
    assert len(page2["results"]) == 1
    assert page2["next"] is None
    assert page2["previous"] is not None


# --- over HTTP ----------------------------------------------------------------------------------


def test_served_over_http_with_absolute_next_urls() -> None:
    emu = KizenEmulator(seed="demo", demo_size=250)
    with emu.serve() as server, httpx.Client(headers=auth_headers(emu)) as c:
        url: str | None = f"{server.url}/api/records/client_client/search?page_size=100"
        seen: list[str] = []
        pages = 0
        while url:
            assert url.startswith(f"http://127.0.0.1:{server.port}/api/records/")
            body = c.post(url, json={}).json()
            seen += [r["id"] for r in body["results"]]
            url = body["next"]
            pages += 1
        assert pages == 3
        assert len(seen) == len(set(seen)) == body["count"] == 250
        r = c.get(f"{server.url}/api/custom-objects/")
        assert r.status_code == 404
        assert "Not Found" in r.text
        assert c.delete(f"{server.url}/api/records/client_client/{seen[0]}").status_code == 204
        assert c.get(f"{server.url}/api/records/client_client/{seen[0]}").status_code == 404


def test_async_in_process_client() -> None:
    import asyncio

    emu = KizenEmulator(seed="demo", demo_size=10, latency_ms=5)

    async def main() -> list[int]:
        async with httpx.AsyncClient(
            transport=emu.transport(), base_url=emu.base_url, headers=auth_headers(emu)
        ) as c:
            responses = await asyncio.gather(
                *(c.post("/api/records/client_client/search", json={}) for _ in range(5))
            )
            return [r.json()["count"] for r in responses]

    assert asyncio.run(main()) == [10] * 5
