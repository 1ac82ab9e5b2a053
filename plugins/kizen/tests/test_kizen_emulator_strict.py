"""The Kizen emulator refuses what the real service refuses, with the real error shape, and answers
as Kizen answers (issue 17 "Kizen" and "Both"). Each test names the rule's source; the rules are
listed in docs/emulators/kizen.md "Strictness rules"."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from crmbridge_kizen.emulator import KizenEmulator
from kizen_emulator_support import add, values

CO = "/api/records/companies_company"
CT = "/api/records/client_client"
DEALS = "/api/records/deals"


def refused(r: httpx.Response, index: int, key: str = "value") -> list[str]:
    """The messages of the positional 400 body's entry ``index`` (docs/reference/kizen.md §9)."""
    assert r.status_code == 400, r.text
    body = r.json()
    assert set(body) >= {"non_field_errors", "fields"}
    messages: list[str] = body["fields"][index][key]
    assert messages
    assert all(isinstance(m, str) for m in messages)
    return messages


# --- answers as Kizen sends them ------------------------------------------------------------------


def test_add_answers_200(c: httpx.Client) -> None:
    """The records spec (add → 200) and the live schema digest (admin-cli schema_snapshot.json:
    add → 200/400, docs/reference/kizen.md §12) over app-engine's prose (201)."""
    r = c.post(f"{CO}/add", json={"fields": [{"name": "name", "value": "Acme"}]})
    assert r.status_code == 200
    assert r.json()["action"] == "created"


# --- values -------------------------------------------------------------------------------------


@pytest.mark.parametrize("number", ["+1 555 12", "12345678", "+36 1 234"])
def test_phone_numbers_are_checked_with_libphonenumber(c: httpx.Client, number: str) -> None:
    """A phone number must be a possible number (for the field's ``default_country`` when
    national): libphonenumber, not a hand-written pattern (issue 19)."""
    r = c.post(f"{CO}/add", json={"fields": [{"name": "name", "value": "X"},
                                             {"name": "phone", "value": number}]})  # fmt: skip
    assert refused(r, 1) == ["Enter a valid phone number."]


@pytest.mark.parametrize("number", ["+36 1 234 5678", "(312) 555-0100", "+44 20 7123 4567"])
def test_possible_phone_numbers_are_accepted(c: httpx.Client, number: str) -> None:
    body = add(c, CO, name="X", phone=number)
    assert values(body)["phone"] == number


# --- schema: default fields, dynamic tags, options ------------------------------------------------


def _object_id(emu: KizenEmulator, name: str) -> str:
    return emu.object_def(name).id


def test_is_default_comes_from_settings_search_not_fields(
    c: httpx.Client, emu: KizenEmulator
) -> None:
    """kizen-admin-cli ``api/schema.py``: ``/fields/settings-search`` carries ``is_default``;
    app-engine's ``/fields`` key list does not (docs/reference/kizen.md §3)."""
    oid = _object_id(emu, "client_client")
    plain = c.get(f"/api/custom-objects/{oid}/fields").json()
    assert all("is_default" not in f for f in plain)
    settings = {
        f["name"]: f for f in c.get(f"/api/custom-objects/{oid}/fields/settings-search").json()
    }
    assert settings["company_primary"]["is_default"] is True
    assert settings["tags"]["is_default"] is True
    assert settings["deals"]["is_default"] is False  # the deals' custom relationship


def test_dynamic_tags_have_no_options_and_their_own_endpoints(
    c: httpx.Client, emu: KizenEmulator
) -> None:
    """Tags are not options of their field's metadata; contacts list them at
    ``/api/client/fields/{id}/tags``, other objects at ``/api/pipelines/{object}/fields/{id}/tags``
    (kizen-admin-cli ``api/schema.py`` ``get_field_tags``)."""
    emu.seed_record(
        "client_client", {"email": "a@x.com", "tags": [{"name": "VIP"}, {"name": "Lead"}]}
    )
    emu.seed_record("projects", {"name": "P", "labels": [{"name": "Hot"}]})
    contacts, projects = _object_id(emu, "client_client"), _object_id(emu, "projects")
    tags_id, labels_id = emu.field("client_client", "tags").id, emu.field("projects", "labels").id
    for oid in (contacts, projects):
        for path in ("fields", "fields/settings-search"):
            rows = c.get(f"/api/custom-objects/{oid}/{path}").json()
            assert all(f["options"] is None for f in rows if f["field_type"] == "dynamictags")
    page = c.get(f"/api/client/fields/{tags_id}/tags", params={"ordering": "name"}).json()
    assert [t["name"] for t in page["results"]] == ["Lead", "VIP"]
    assert set(page["results"][0]) == {"id", "name"}
    found = c.get(f"/api/client/fields/{tags_id}/tags", params={"search": "vi"}).json()
    assert [t["name"] for t in found["results"]] == ["VIP"]
    hot = c.get(f"/api/pipelines/{projects}/fields/{labels_id}/tags").json()["results"]
    assert [t["name"] for t in hot] == ["Hot"]
    assert c.get(f"/api/pipelines/{contacts}/fields/{tags_id}/tags").status_code == 404
    assert c.get(f"/api/client/fields/{labels_id}/tags").status_code == 404


@pytest.mark.parametrize(("obj", "field"), [("deals", "stage"), ("client_client", "email_status"),
                                            ("projects", "labels")])  # fmt: skip
def test_options_endpoint_refuses_stages_tags_and_email_status(
    c: httpx.Client, emu: KizenEmulator, obj: str, field: str
) -> None:
    """Stages are their own resource (``/api/pipelines/{object}/stages``, kizen-admin-cli
    ``api/pipelines.py``), tags are made by writing them, Email Status is fixed."""
    path = f"/api/custom-objects/{_object_id(emu, obj)}/fields/{emu.field(obj, field).id}/options"
    r = c.post(path, json={"name": "New"})
    assert r.status_code == 400
    assert isinstance(r.json()["name"], list)


def test_a_stage_is_added_to_the_pipeline(c: httpx.Client, emu: KizenEmulator) -> None:
    path = f"/api/pipelines/{_object_id(emu, 'deals')}/stages"
    assert c.post(path, json={"name": "Discovery"}).json() == {
        "status": ["This field is required."]
    }
    r = c.post(path, json={"name": "Discovery", "status": "open", "order": 5})
    assert r.status_code == 201
    assert emu.field("deals", "stage").option(r.json()["id"]) is not None


# --- search filters -------------------------------------------------------------------------------


def _search(c: httpx.Client, path: str, *filters: dict[str, Any]) -> httpx.Response:
    return c.post(f"{path}/search", json={"query": [{"and": True, "filters": list(filters)}]})


def _default(name: str, condition: str, value: Any, **more: Any) -> dict[str, Any]:
    return {"type": "fields", "subtype": "non_custom", "field": name, "condition": condition,
            "value": value, **more}  # fmt: skip


def _custom(emu: KizenEmulator, obj: str, name: str, condition: str, value: Any) -> dict[str, Any]:
    return {"type": "fields_v2", "subtype": "custom",
            "field": f'"custom"::{emu.field(obj, name).id}', "condition": condition,
            "value": value}  # fmt: skip


def _search_error(r: httpx.Response) -> str:
    """A refused search: 400 with the paginated body and its errors (docs/reference/kizen.md §8)."""
    assert r.status_code == 400, r.text
    body = r.json()
    assert body["results"] == []
    assert body["errors"]
    return str(body["errors"][0])


def test_email_status_is_filtered_by_slug_or_code_never_id_or_label(
    c: httpx.Client, emu: KizenEmulator
) -> None:
    """admin-cli ``filtering.py``: "the API takes snake_case slugs of the option names"."""
    emu.seed_record(
        "client_client", {"email": "u@x.com", "email_status": {"name": "Unsubscribed From All"}}
    )
    emu.seed_record("client_client", {"email": "o@x.com", "email_status": {"name": "Opted In"}})
    field = emu.field("client_client", "email_status")
    for token in ("unsubscribed_from_all", "unsubscribed"):  # slug of the label, or its code
        r = _search(c, CT, _default("email_status", "=", token))
        assert [values(x)["email"] for x in r.json()["results"]] == ["u@x.com"]
    unsubscribed = field.option_named("Unsubscribed From All")
    assert unsubscribed is not None
    for wrong in (unsubscribed.id, "Unsubscribed From All"):
        assert "not an Email Status" in _search_error(
            _search(c, CT, _default("email_status", "=", wrong))
        )


def test_labels_where_ids_are_due_are_refused(c: httpx.Client, emu: KizenEmulator) -> None:
    """Kizen's filter builder sends option and tag ids (admin-cli ``filtering.py`` ``opt_id``,
    ``tag_id``); a label is not one."""
    emu.seed_record("projects", {"name": "P", "labels": [{"name": "Hot"}]})
    assert "not an option id" in _search_error(
        _search(c, CO, _custom(emu, "companies_company", "industry", "=", "Software"))
    )
    assert "not an option id" in _search_error(
        _search(c, "/api/records/projects", _custom(emu, "projects", "labels", "has_any", ["Hot"]))
    )


def test_default_and_custom_fields_are_named_their_own_way(
    c: httpx.Client, emu: KizenEmulator
) -> None:
    """Default fields by api name (``non_custom``), custom ones by ``"custom"::<uuid>``
    (admin-cli ``filtering.py``)."""
    assert "default field" in _search_error(
        _search(c, CT, _custom(emu, "client_client", "email", "=", "a"))
    )
    assert "custom field" in _search_error(_search(c, CO, _default("domain", "=", "a.com")))


def test_stage_filters_need_the_stage_overwrite_and_stage_ids(
    c: httpx.Client, emu: KizenEmulator
) -> None:
    """docs/reference/kizen.md §8: ``"overwrite": {"type": "stage"}`` with stage conditions."""
    stage = emu.field("deals", "stage")
    won = stage.option_named("Won")
    assert won is not None
    deal = emu.seed_record("deals", {"name": "D", "stage": {"id": won.id}})
    overwrite = {"overwrite": {"type": "stage"}}
    ok = _search(c, DEALS, {**_default("stage", "=", won.id, **overwrite), "type": "fields_v2"})
    assert [x["id"] for x in ok.json()["results"]] == [deal]
    assert "overwrite" in _search_error(_search(c, DEALS, _default("stage", "=", won.id)))
    assert "not an option id" in _search_error(
        _search(c, DEALS, _default("stage", "=", "Won", **overwrite))
    )
    assert "not valid" in _search_error(
        _search(c, DEALS, _default("stage", "is_blank", True, **overwrite))
    )


# --- writes and answers ---------------------------------------------------------------------------


def test_the_stage_is_never_written_as_a_field(c: httpx.Client, emu: KizenEmulator) -> None:
    """docs/reference/kizen.md §5: the stage is moved with ``PATCH …/move {"stage_id"}``."""
    won = emu.field("deals", "stage").option_named("Won")
    assert won is not None
    r = c.post(f"{DEALS}/add", json={"fields": [{"name": "name", "value": "D"},
                                                {"name": "stage", "value": {"id": won.id}}]})  # fmt: skip
    assert "move" in refused(r, 1)[0]
    deal = add(c, DEALS, name="D")["id"]
    r = c.patch(f"{DEALS}/{deal}", json={"fields": [{"name": "stage", "value": {"id": won.id}}]})
    assert "move" in refused(r, 0)[0]
    moved = c.patch(f"{DEALS}/{deal}/move", json={"stage_id": won.id})
    assert moved.status_code == 200
    assert values(moved.json())["stage"]["name"] == "Won"


def test_hidden_fields_only_with_include_hidden_fields(c: httpx.Client, emu: KizenEmulator) -> None:
    """docs/reference/kizen.md §4: hidden fields are left out unless a GET asks with
    ``include_hidden_fields=true``; search has no such parameter."""
    emu.add_field("companies_company", "secret", "text", is_hidden=True)
    rid = add(c, CO, name="Acme", secret="s3")["id"]
    assert "secret" not in values(c.get(f"{CO}/{rid}").json())
    shown = c.get(f"{CO}/{rid}", params={"include_hidden_fields": "true"}).json()
    assert values(shown)["secret"] == "s3"
    assert "secret" not in values(c.post(f"{CO}/search", json={}).json()["results"][0])


def test_patch_answers_only_the_written_fields(c: httpx.Client, emu: KizenEmulator) -> None:
    """docs/reference/kizen.md §4 PATCH: the written fields (and ``updated``) unless
    ``return_all_fields=true``; blank fields are never sent."""
    rid = add(c, CO, name="Acme", domain="acme.com", employee_count=5)["id"]
    r = c.patch(f"{CO}/{rid}", json={"fields": [{"name": "employee_count", "value": 6}]})
    assert set(values(r.json())) == {"employee_count", "updated"}
    full = c.patch(f"{CO}/{rid}", params={"return_all_fields": "true"},
                   json={"fields": [{"name": "employee_count", "value": 7}]})  # fmt: skip
    assert {"name", "domain", "employee_count"} <= set(values(full.json()))
    assert "description" not in values(full.json())  # blank: left out


def test_a_rating_outside_its_scale_is_refused(c: httpx.Client) -> None:
    r = c.post("/api/records/projects/add", json={"fields": [{"name": "name", "value": "P"},
                                                             {"name": "satisfaction", "value": 6}]})  # fmt: skip
    assert refused(r, 1) == ["Ensure this value is between 1 and 5."]
