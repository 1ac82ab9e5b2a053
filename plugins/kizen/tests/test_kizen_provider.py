"""The provider's plans through the real facade and drivers, against a scripted fake Kizen."""

from __future__ import annotations

import json
import logging
from typing import Any

import httpx
import pytest
from crmbridge_kizen import refs
from crmbridge_kizen.provider import KizenProvider
from kizen_support import BASE, CREDS, FakeKizen, body, record_payload

import crmbridge
from crmbridge import (
    ConfigError,
    Conflict,
    F,
    NotFound,
    Option,
    ProviderError,
    RateLimited,
    Unsupported,
    ValidationError,
    add,
    remove,
)
from crmbridge.http import RetryPolicy

W = "/api/records/widgets"


def widget(rid: str = "w1", name: str = "Gizmo", **more: tuple[str, Any]) -> dict[str, Any]:
    return record_payload(rid, name=("text", name), **more)


# --- configuration and auth -----------------------------------------------------------------


def test_auth_headers_and_secrets_never_shown(
    crm: crmbridge.Bridge, fake: FakeKizen, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fake.on("GET", W + "/w1", fake.json(widget()))
    crm.get("widgets", "w1")
    request = fake.sent()[0]
    assert request.headers["X-API-KEY"] == CREDS["api_key"]
    assert request.headers["X-USER-ID"] == CREDS["user_id"]
    assert request.headers["X-BUSINESS-ID"] == CREDS["business_id"]
    shown = repr(crm) + repr(crm.provider) + caplog.text
    for secret in CREDS.values():
        assert secret not in shown


def test_missing_credentials_name_the_env_vars(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in KizenProvider.env.values():
        monkeypatch.delenv(var, raising=False)
    with pytest.raises(ConfigError, match="KIZEN_USER_ID"):
        crmbridge.connect("kizen", api_key="k", business_id="b")


def test_base_url_from_env_without_trailing_slash(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIZEN_BASE_URL", "https://app.fmo.kizen.com/")
    provider = KizenProvider.from_config(**CREDS)
    assert provider.base_url == "https://app.fmo.kizen.com"
    assert KizenProvider.from_config(**CREDS, base_url=BASE).base_url == BASE
    assert KizenProvider.from_config(**CREDS, base_url=BASE + "/api/").base_url == BASE


# --- schema ---------------------------------------------------------------------------------


def test_objects_and_fields(crm: crmbridge.Bridge, fake: FakeKizen) -> None:
    assert [o.slug for o in crm.objects()] == ["widgets", "client_client"]
    fields = {f.slug: f for f in crm.fields("widgets")}
    assert fields["size"].options[0] == Option("Small", "opt-small")
    objects_request = fake.requests[0]
    assert objects_request.url.path == "/api/custom-objects"
    assert objects_request.url.params["custom_only"] == "false"


def test_contacts_object_from_client_endpoint() -> None:
    """Contacts come from /api/client/custom-object when custom-objects omits them (docs/reference/kizen.md §3)."""
    fake = FakeKizen()
    fake.on("GET", "/api/custom-objects", fake.json({"count": 0, "next": None, "results": []}))
    fake.on("GET", "/api/client/custom-object", fake.json({"id": "c-uuid", "object_name": "C"}))
    with crmbridge.connect("kizen", transport=httpx.MockTransport(fake), **CREDS) as crm:
        (contacts,) = crm.objects()
    assert (contacts.slug, contacts.provider_id) == ("client_client", "c-uuid")


# --- reads ----------------------------------------------------------------------------------


def test_get(crm: crmbridge.Bridge, fake: FakeKizen) -> None:
    fake.on("GET", W + "/w1", fake.json(widget(size=("dropdown", {"id": "opt-small"}))))
    record = crm.get("widgets", "w1")
    assert record["name"] == "Gizmo"
    assert record["size"] == Option("Small", "opt-small")
    assert record["labels"] == []  # omitted blank multi field
    assert fake.sent()[0].url.params["include_hidden_fields"] == "true"


def test_get_archived_is_not_found(crm: crmbridge.Bridge, fake: FakeKizen) -> None:
    fake.on("GET", W + "/gone", fake.json({"detail": "Not found.", "code": "not_found"}, 404))
    with pytest.raises(NotFound, match=r"Not found\.") as info:
        crm.get("widgets", "gone")
    assert info.value.code == "not_found"


def test_get_expands_summarised_relationships(crm: crmbridge.Bridge, fake: FakeKizen) -> None:
    payload = widget()
    fid = "00000000-0000-4000-8000-000000000024"
    payload["fields"][fid] = {"id": fid, "name": "contacts", "field_type": "relationship",
                              "value_summary": {"count": 150}}  # fmt: skip
    fake.on("GET", W + "/w1", fake.json(payload))
    pages = f"/api/records/w1/field-values/{fid}"
    fake.on("GET", pages,
            fake.json({"count": 2, "next": f"{BASE}{pages}?page=2",
                       "results": [{"id": "c1", "display_name": "Ada"}]}),
            fake.json({"count": 2, "next": None,
                       "results": [{"id": "c2", "display_name": "Alan"}]}))  # fmt: skip
    record = crm.get("widgets", "w1")
    assert [r.id for r in record["contacts"]] == ["c1", "c2"]


def test_query_follows_next_with_same_body(crm: crmbridge.Bridge, fake: FakeKizen) -> None:
    page1 = {
        "count": 3,
        "next": f"{BASE}{W}/search?page=2&page_size=2",
        "previous": None,
        "results": [widget("w1"), widget("w2")],
        "errors": None,
    }
    page2 = {"count": 3, "next": None, "results": [widget("w3")], "errors": None}
    fake.on("POST", W + "/search", fake.json(page1), fake.json(page2))  # fmt: skip
    records = list(crm.query("widgets", where=F("name") == "Gizmo", order_by=["-name"],
                             page_size=2))  # fmt: skip
    assert [r.id for r in records] == ["w1", "w2", "w3"]
    first, second = fake.sent("POST")
    assert dict(first.url.params) == {"page": "1", "page_size": "2", "ordering": "-name"}
    assert second.url.params["page"] == "2"
    expected = {"query": [{"and": True, "filters": [
        {"type": "fields", "subtype": "non_custom", "field": "name", "condition": "=",
         "value": "Gizmo"}]}], "and": True}  # fmt: skip
    assert body(first) == body(second) == expected
    assert not first.url.path.endswith("/")


def test_query_page_size_capped_at_1000(crm: crmbridge.Bridge, fake: FakeKizen) -> None:
    fake.on("POST", W + "/search", fake.json({"count": 0, "next": None, "results": []}))
    assert list(crm.query("widgets", page_size=5000)) == []
    assert fake.sent()[0].url.params["page_size"] == "1000"
    assert body(fake.sent()[0]) == {"query": [], "and": True}


def test_query_refuses_next_on_another_host(crm: crmbridge.Bridge, fake: FakeKizen) -> None:
    """Credentials go only to the base URL's host (docs/reference/kizen.md §13.17)."""
    page = {"count": 2, "next": "https://evil.example.com/api/records/widgets/search?page=2",
            "results": [widget()]}  # fmt: skip
    fake.on("POST", W + "/search", fake.json(page))
    with pytest.raises(ProviderError, match="another host"):
        list(crm.query("widgets"))
    assert all(r.url.host == "app.go.kizen.com" for r in fake.requests)


def test_query_unsupported_filter_sends_nothing(crm: crmbridge.Bridge, fake: FakeKizen) -> None:
    with pytest.raises(Unsupported, match="'notes'"):
        list(crm.query("widgets", where=F("notes").contains("x")))
    with pytest.raises(Unsupported, match="one field"):
        list(crm.query("widgets", order_by=["name", "seats"]))
    assert fake.sent() == []


# --- writes ---------------------------------------------------------------------------------


TAGS = r"/api/pipelines/[^/]+/fields/00000000-0000-4000-8000-000000000020/tags"


def test_create(crm: crmbridge.Bridge, fake: FakeKizen) -> None:
    """Tags by label are written by id when Kizen has them (found through the tag endpoint: field
    metadata lists no tags, kizen-admin-cli api/schema.py); a new one goes by name (Kizen makes it)."""
    fake.on("POST", W + "/add", fake.json({**widget(), "action": "created"}, 201))
    fake.on("GET", TAGS, lambda r: fake.json({"count": 1, "next": None, "results": [
        {"id": "tag-hot", "name": "Hot"}] if r.url.params["search"] == "hot" else []}))  # fmt: skip
    record = crm.create("widgets", {"name": "Gizmo", "size": "small", "labels": ["hot", "Cold"]})
    assert record.id == "w1"
    searched = sorted(r.url.params["search"] for r in fake.sent("GET", TAGS))
    assert searched == ["Cold", "hot"]
    assert body(fake.sent("POST")[0]) == {
        "fields": [
            {"name": "name", "value": "Gizmo"},
            {"name": "size", "value": {"id": "opt-small"}},
            {"name": "labels", "value": [{"id": "tag-hot"}, {"name": "Cold"}]},
        ],
        "unarchive": "prompt",
    }


def test_create_contact_uses_field_ids(crm: crmbridge.Bridge, fake: FakeKizen) -> None:
    """Name-keyed contact creates can 403; ids are the proven path (docs/reference/kizen.md §11)."""
    fake.on("POST", "/api/records/client_client/add",
            fake.json(record_payload("c1", email=("email", "ada@x.io"))))  # fmt: skip
    crm.create("client_client", {"email": "ada@x.io"}, on_archived="unarchive")
    assert body(fake.sent()[0]) == {
        "fields": [{"id": "c0000000-0000-4000-8000-000000000001", "value": "ada@x.io"}],
        "unarchive": "unarchive",
    }


def test_update_add_remove(crm: crmbridge.Bridge, fake: FakeKizen) -> None:
    fake.on("PATCH", W + "/w1", fake.json(widget()))
    crm.update("widgets", "w1", {"features": add("Api"), "labels": remove(Option("Hot", "t1"))},
               on_archived="replace")  # fmt: skip
    request = fake.sent()[0]
    assert request.url.params["return_all_fields"] == "true"
    assert body(request) == {
        "fields": [
            {"name": "features", "add_values": [{"id": "opt-api"}]},
            {"name": "labels", "remove_values": [{"id": "t1"}]},
        ],
        "archived_conflict": "overwrite",
    }


def test_positional_write_error_is_zipped(crm: crmbridge.Bridge, fake: FakeKizen) -> None:
    error = {"non_field_errors": [], "fields": [{}, {"value": ["Ensure this value is <= 10."]}]}
    fake.on("PATCH", W + "/w1", fake.json(error, 400, {"X-Request-ID": "req-42"}))
    with pytest.raises(ValidationError) as info:
        crm.update("widgets", "w1", {"name": "G", "seats": 11})
    e = info.value
    assert [(x.field, x.value) for x in e.field_errors] == [("seats", 11)]
    assert e.request_id == "req-42"
    assert "seats" in str(e)


def test_contact_write_error_zipped_from_field_ids(crm: crmbridge.Bridge, fake: FakeKizen) -> None:
    fake.on(
        "POST",
        "/api/records/client_client/add",
        fake.json({"fields": [{"value": ["Enter a valid email address."]}]}, 400),
    )
    with pytest.raises(ValidationError) as info:
        crm.create("client_client", {"email": "ada@x.io"})
    assert info.value.field_errors[0].field == "email"


def test_409_conflict_retried_only_when_idempotent(fake: FakeKizen) -> None:
    locked = fake.json({"detail": "Record is locked.", "code": "conflict"}, 409)
    fake.on("PATCH", W + "/w1", locked, fake.json(widget()))
    fake.on("POST", W + "/add", locked, fake.json(widget()))
    with crmbridge.connect("kizen", transport=httpx.MockTransport(fake),
                           retry=RetryPolicy(attempts=3), **CREDS) as crm:  # fmt: skip
        assert crm.update("widgets", "w1", {"name": "G"}).id == "w1"
        assert len(fake.sent("PATCH")) == 2
        with pytest.raises(Conflict):
            crm.create("widgets", {"name": "G"})
        assert len(fake.sent("POST")) == 1


def test_429_retry_after_honoured(crm: crmbridge.Bridge, fake: FakeKizen) -> None:
    fake.on("GET", W + "/w1",
            fake.json({"detail": "Request was throttled."}, 429, {"Retry-After": "3"}),
            fake.json(widget()))  # fmt: skip
    assert crm.get("widgets", "w1").id == "w1"
    assert len(fake.sent()) == 2


def test_429_error_carries_retry_after() -> None:
    response = httpx.Response(429, json={"detail": "x"}, headers={"Retry-After": "7"},
                              request=httpx.Request("GET", BASE + W))  # fmt: skip
    error = KizenProvider.from_config(**CREDS).decode_error(response)
    assert isinstance(error, RateLimited)
    assert error.retry_after == 7.0


def test_html_404_is_provider_error(crm: crmbridge.Bridge, fake: FakeKizen) -> None:
    fake.on("GET", W + "/w1", httpx.Response(404, text="<html><h1>Not Found</h1></html>"))
    with pytest.raises(ProviderError) as info:
        crm.get("widgets", "w1")
    assert type(info.value) is ProviderError
    assert info.value.raw == "<html><h1>Not Found</h1></html>"


# --- upsert ---------------------------------------------------------------------------------


def _no_match(fake: FakeKizen) -> None:
    fake.on("POST", W + "/search", fake.json({"count": 0, "next": None, "results": []}))


def test_upsert_sends_lookup_value_and_fields(crm: crmbridge.Bridge, fake: FakeKizen) -> None:
    _no_match(fake)
    fake.on("POST", W + "/upsert", fake.json({**widget(), "action": "created"}, 201))
    result = crm.upsert("widgets", {"name": "Gizmo", "seats": 3})
    assert result.action == "created"
    assert result.record.id == "w1"
    search, upsert = fake.sent("POST")
    assert body(search)["query"][0]["filters"][0]["value"] == "Gizmo"
    assert upsert.url.params["return_all_fields"] == "true"
    assert body(upsert) == {
        "lookup_value": "Gizmo",
        "fields": [{"name": "name", "value": "Gizmo"}, {"name": "seats", "value": 3}],
        "oncreate_unarchive": "unarchive",
    }


@pytest.mark.parametrize(("action", "status"), [("updated", 200), ("unarchived", 201)])
def test_upsert_action_from_kizen(
    crm: crmbridge.Bridge, fake: FakeKizen, action: str, status: int
) -> None:
    _no_match(fake)
    fake.on("POST", W + "/upsert", fake.json({**widget(), "action": action}, status))
    assert crm.upsert("widgets", {"name": "Gizmo"}, on_archived="error").action == action
    assert body(fake.sent("POST")[1])["oncreate_unarchive"] == "prompt"


def test_upsert_noop_when_nothing_would_change(crm: crmbridge.Bridge, fake: FakeKizen) -> None:
    """Upsert matching is case-insensitive (docs/reference/kizen.md §6): a case-variant match is still a noop check."""
    current = widget("w7", "GIZMO", seats=("integer", 3))
    fake.on("POST", W + "/search", fake.json({"count": 1, "next": None, "results": [current]}))
    result = crm.upsert("widgets", {"name": "GIZMO", "seats": 3})
    assert result.action == "noop"
    assert result.record.id == "w7"
    assert [r.url.path for r in fake.sent()] == [W + "/search"]


def test_upsert_writes_when_something_changes(crm: crmbridge.Bridge, fake: FakeKizen) -> None:
    current = widget("w7", "gizmo", seats=("integer", 3))
    fake.on("POST", W + "/search", fake.json({"count": 1, "next": None, "results": [current]}))
    fake.on("POST", W + "/upsert", fake.json({"id": "w7", "action": "updated"}))
    fake.on("GET", W + "/w7", fake.json(widget("w7", "Gizmo", seats=("integer", 4))))
    result = crm.upsert("widgets", {"name": "Gizmo", "seats": 4})
    assert result.action == "updated"
    assert result.record["seats"] == 4  # minimal answer: read back (upsert_response_min)


def test_upsert_other_match_needs_emulate(crm: crmbridge.Bridge, fake: FakeKizen) -> None:
    with pytest.raises(Unsupported, match="emulate=True"):
        crm.upsert("widgets", {"name": "G", "email_address": "a@b.co"}, match="email_address")
    assert fake.sent() == []


def test_emulated_upsert_creates_then_updates(crm: crmbridge.Bridge, fake: FakeKizen) -> None:
    existing = widget("w2", "G", email_address=("email", "a@b.co"))
    fake.on("POST", W + "/search",
            fake.json({"count": 0, "next": None, "results": []}),
            fake.json({"count": 1, "next": None, "results": [existing]}))  # fmt: skip
    fake.on("POST", W + "/add", fake.json({**existing, "action": "created"}, 201))
    fake.on("PATCH", W + "/w2", fake.json(widget("w2", "H")))
    values = {"name": "G", "email_address": "a@b.co"}
    assert crm.upsert("widgets", values, match="email_address", emulate=True).action == "created"
    assert body(fake.sent("POST", W + "/add")[0])["unarchive"] == "unarchive"
    changed = {"name": "H", "email_address": "a@b.co"}
    assert crm.upsert("widgets", changed, match="email_address", emulate=True).action == "updated"
    assert crm.upsert("widgets", values, match="email_address", emulate=True).action == "noop"


def test_emulated_upsert_ambiguous_is_conflict(crm: crmbridge.Bridge, fake: FakeKizen) -> None:
    rows = [widget("w1", "A"), widget("w2", "B")]
    fake.on("POST", W + "/search", fake.json({"count": 2, "next": None, "results": rows}))
    with pytest.raises(Conflict, match=r"matches several widgets records \(2"):
        crm.upsert("widgets", {"email_address": "a@b.co"}, match="email_address", emulate=True)
    assert fake.sent("POST", W + "/add") == []


# --- archive, restore, delete ---------------------------------------------------------------


def test_archive_restore_and_no_delete(crm: crmbridge.Bridge, fake: FakeKizen) -> None:
    fake.on("DELETE", W + "/w1", httpx.Response(204))
    fake.on("PATCH", W + "/w1/unarchive", httpx.Response(200))
    fake.on("GET", W + "/w1", fake.json(widget()))
    crm.archive("widgets", "w1")
    assert crm.restore("widgets", "w1").id == "w1"
    assert [(r.method, r.url.path) for r in fake.sent()] == [
        ("DELETE", W + "/w1"), ("PATCH", W + "/w1/unarchive"), ("GET", W + "/w1")]  # fmt: skip
    with pytest.raises(Unsupported, match=r"archive\(\)"):
        crm.delete("widgets", "w1")
    assert not crm.capabilities.delete
    assert crm.capabilities.archive


def test_capabilities() -> None:
    caps = KizenProvider.capabilities
    assert caps.native_upsert
    assert caps.upsert_match == "fixed"
    assert caps.add_values
    assert caps.remove_values
    assert caps.restore
    assert not caps.history
    assert not caps.lists
    assert caps.max_page_size == 1000
    assert caps.read_rate is None
    assert caps.write_rate is None


def test_async_bridge_runs_the_same_plans(fake: FakeKizen) -> None:
    """One plan, two drivers (docs/design.md §2): the async facade sends the same requests."""
    import asyncio

    page = {"count": 2, "next": f"{BASE}{W}/search?page=2", "results": [widget("w1")]}
    last = {"count": 2, "next": None, "results": [widget("w2")]}
    fake.on("POST", W + "/search", fake.json(page), fake.json(last))
    fake.on("POST", W + "/upsert", fake.json({**widget("w3"), "action": "created"}, 201))

    async def main() -> tuple[list[str | None], str]:
        async with crmbridge.connect_async(
            "kizen", transport=httpx.MockTransport(fake), **CREDS
        ) as crm:
            ids = [r.id async for r in crm.query("widgets")]
            fake.on("POST", W + "/search", fake.json({"count": 0, "next": None, "results": []}))
            result = await crm.upsert("widgets", {"name": "New"})
            return ids, result.action

    assert asyncio.run(main()) == (["w1", "w2"], "created")
    assert [r.url.params.get("page") for r in fake.sent("POST", W + "/search")] == ["1", "2", "1"]


def test_upsert_many_case_variants_skip_the_noop_check(
    crm: crmbridge.Bridge, fake: FakeKizen
) -> None:
    """More candidates than one page: Kizen's "first match wins" is unknowable, so write."""
    rows = [widget("w1", "gizmo"), widget("w2", "GIZMO")]
    fake.on("POST", W + "/search", fake.json({"count": 12, "next": f"{BASE}{W}/search?page=2",
                                              "results": rows}))  # fmt: skip
    fake.on("POST", W + "/upsert", fake.json({**widget("w1"), "action": "updated"}))
    assert crm.upsert("widgets", {"name": "gizmo"}).action == "updated"
    assert len(fake.sent("POST", W + "/search")) == 1


def test_detect_noop_off_sends_only_the_upsert(fake: FakeKizen) -> None:
    class Eager(KizenProvider):
        detect_noop = False

    fake.on("POST", W + "/upsert", fake.json({**widget(), "action": "updated"}))
    with crmbridge.connect(Eager, transport=httpx.MockTransport(fake), **CREDS) as crm:
        assert crm.upsert("widgets", {"name": "Gizmo"}).action == "updated"
    assert [r.url.path for r in fake.sent()] == [W + "/upsert"]


def test_object_by_uuid(crm: crmbridge.Bridge, fake: FakeKizen) -> None:
    """Objects are named by api_name or UUID (docs/reference/kizen.md §3); paths use the api_name."""
    fake.on("GET", W + "/w1", fake.json(widget()))
    record = crm.get("11111111-1111-4111-8111-111111111111", "w1")
    assert record.object == "widgets"
    assert fake.sent()[0].url.path == W + "/w1"


def test_auth_error_shows_no_secret(crm: crmbridge.Bridge, fake: FakeKizen) -> None:
    fake.on("GET", W + "/w1", fake.json({"detail": "Invalid API key."}, 401))
    with pytest.raises(crmbridge.AuthError) as info:
        crm.get("widgets", "w1")
    shown = str(info.value) + repr(info.value) + str(info.value.raw) + str(info.value.request)
    for secret in CREDS.values():
        assert secret not in shown


def test_query_fields_reach_kizen_as_field_names(strict: tuple[crmbridge.Bridge, Any]) -> None:
    crm, _ = strict
    crm.create("client_client", {"email": "ada@example.com", "first_name": "Ada", "last_name": "L"})
    sent: list[Any] = []
    crm.driver.on_request = sent.append
    (record,) = crm.query("client_client", fields=["email", "first_name"])
    assert set(record.fields) == {"email", "first_name"}
    body = json.loads(sent[-1].content)
    assert body["field_names"] == ["email", "first_name"]


def test_reference_by_a_field_that_finds_no_record_is_refused_before_any_write(
    strict: tuple[crmbridge.Bridge, Any],
) -> None:
    """Kizen takes relationship values by record id only: a ``RefBy`` is looked up first (one
    search), and one that finds no record — or several — is a clear error naming the field and
    the value, with no write sent."""
    crm, _ = strict
    crm.schema("client_client")
    sent: list[Any] = []
    crm.driver.on_request = sent.append
    ref = crmbridge.RefBy("companies_company", "name", "Acme")
    with pytest.raises(crmbridge.ValidationError, match="company_primary") as info:
        crm.create("client_client", {"email": "a@b.co", "company_primary": ref})
    assert "no record of 'companies_company' with name = 'Acme'" in str(info.value)
    assert "has no field" not in str(info.value)
    assert [r.method for r in sent if not r.url.path.endswith("/search")] == ["GET"] * len(
        [r for r in sent if not r.url.path.endswith("/search")]
    )
    assert not any(r.url.path.endswith(("/add", "/upsert")) for r in sent)


def test_references_by_value_and_members_by_email_are_written_as_ids() -> None:
    """``RefBy`` → the one record holding the value (Kizen compares names case-insensitively);
    ``User(email=…)`` → the employee of ``GET /api/team`` with that e-mail; an e-mail no
    employee has, or a value no record holds, is refused naming it, before any write."""
    with crmbridge.connect("kizen", emulator=True) as crm:
        acme = crm.create("companies_company", {"name": "Acme"})
        lead = crm.run(crm.provider.list_users())[1]
        assert lead.email
        project = crm.create("projects", {
            "name": "P1", "company": crmbridge.RefBy("companies_company", "name", "ACME"),
            "lead": crmbridge.User(email=lead.email.upper()),
        })  # fmt: skip
        assert project["company"] == crmbridge.Ref("companies_company", acme.id)
        assert project["lead"].id == lead.id
        writes = sum(n for k, n in crm.emulator.requests.items() if not k.startswith("GET"))
        with pytest.raises(crmbridge.ValidationError) as info:
            crm.create("projects", {
                "name": "P2", "lead": crmbridge.User(email="nobody@example.com"),
                "company": crmbridge.RefBy("companies_company", "name", "Nowhere"),
            })  # fmt: skip
        assert "nobody@example.com" in str(info.value)
        assert "no record of 'companies_company' with name = 'Nowhere'" in str(info.value)
        assert sum(n for k, n in crm.emulator.requests.items() if not k.startswith("GET")) == (
            writes + 1  # the one search for "Nowhere"
        )
        # A value that found nothing is not remembered as such: once the record exists, it
        # resolves (a migration may write the referenced record after a first try).
        nowhere = crm.create("companies_company", {"name": "Nowhere"})
        later = crm.create("projects", {
            "name": "P3", "company": crmbridge.RefBy("companies_company", "name", "Nowhere"),
        })  # fmt: skip
        assert later["company"] == crmbridge.Ref("companies_company", nowhere.id)


def test_a_reference_by_a_value_several_records_hold_is_refused() -> None:
    """Names are unique on Kizen, other fields need not be: two records found is no answer."""
    crm = crmbridge.connect("kizen", emulator=True)
    schema = crm.schema("projects")
    ref = crmbridge.RefBy("companies_company", "website", "acme.com")
    values = {"company": ref}
    found = {refs.ref_key(ref): ["c1", "c2"]}
    problem = refs.missing(schema, values, {}, found)
    assert problem is not None
    assert "2 records of 'companies_company'" in str(problem)
    assert refs.missing(schema, values, {}, {refs.ref_key(ref): ["c1"]}) is None
    assert refs.substituted(schema, values, {}, {refs.ref_key(ref): ["c1"]}) == {
        "company": crmbridge.Ref("companies_company", "c1")
    }
