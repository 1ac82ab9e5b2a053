"""The provider against the strict emulator (issue 17, Kizen): it sends only what Kizen accepts
(the ``strict`` fixture fails a test on any 4xx) and reads back what it wrote."""

from __future__ import annotations

import pytest
from crmbridge_kizen import codec, filters
from crmbridge_kizen.emulator import KizenEmulator

import crmbridge
from crmbridge import F, Option, ValidationError, add, remove
from crmbridge.provider import ObjectSchema

Strict = tuple[crmbridge.Bridge, KizenEmulator]


def writes(emu: KizenEmulator) -> list[str]:
    """Every record write the emulator has answered, for counting."""
    return [r for r in emu.request_log if r.split()[0] in ("POST", "PATCH", "PUT")
            and not r.endswith("/search")]  # fmt: skip


@pytest.fixture
def log(strict: Strict) -> Strict:
    _crm, emu = strict
    emu.request_log = []  # type: ignore[attr-defined]
    handle = emu.handle

    def logged(request):  # type: ignore[no-untyped-def]
        emu.request_log.append(f"{request.method} {request.url.path}")  # type: ignore[attr-defined]
        return handle(request)

    emu.handle = logged  # type: ignore[method-assign]
    return strict


# --- Email Status --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "given", ["Unsubscribed From All", "unsubscribed from all", Option("Unsubscribed From All")]
)
def test_email_status_filters_by_slug(strict: Strict, given: object) -> None:
    """kizen-admin-cli ``filtering.py``: Email Status takes slugs of its labels, never ids."""
    crm, _emu = strict
    crm.create("client_client", {"email": "u@x.com", "email_status": "Unsubscribed From All"})
    crm.create("client_client", {"email": "o@x.com", "email_status": "Opted In"})
    found = [r["email"] for r in crm.query("client_client", where=F("email_status") == given)]
    assert found == ["u@x.com"]
    others = crm.query("client_client", where=~F("email_status").is_in([given]))
    assert [r["email"] for r in others] == ["o@x.com"]


# --- dynamic tags --------------------------------------------------------------------------------


def test_tags_by_label_filter_and_write_by_id(log: Strict) -> None:
    """Tags resolve name → id through the tag endpoints (kizen-admin-cli ``api/schema.py``)."""
    crm, emu = log
    crm.create("client_client", {"email": "a@x.com", "tags": ["VIP", "Lead"]})
    crm.create("client_client", {"email": "b@x.com", "tags": ["vip"]})  # the same tag, by id
    assert len(emu.field("client_client", "tags").options or ()) == 2
    found = crm.query("client_client", where=F("tags").contains("VIP"))
    assert sorted(r["email"] for r in found) == ["a@x.com", "b@x.com"]
    with pytest.raises(ValidationError, match="Nope"):
        list(crm.query("client_client", where=F("tags").contains("Nope")))


def test_an_upsert_with_tags_settles(log: Strict) -> None:
    """Tags read back compare equal to what was written: the second upsert writes nothing."""
    crm, emu = log
    first = crm.upsert("client_client", {"email": "a@x.com", "tags": ["VIP", "Lead"]})
    assert first.action == "created"
    before = len(writes(emu))
    again = crm.upsert("client_client", {"email": "a@x.com", "tags": ["lead", "VIP"]})
    assert again.action == "noop"
    assert len(writes(emu)) == before
    more = crm.upsert("client_client", {"email": "a@x.com", "tags": add("New")})
    assert more.action == "updated"
    assert {o.label for o in more.record["tags"]} == {"VIP", "Lead", "New"}


def test_create_option_on_tags_and_stages(strict: Strict) -> None:
    """``--create-options``: a stage through ``/api/pipelines/{object}/stages``; a tag is made by
    the first write that names it, so an existing one is found and a new one has no id yet."""
    crm, emu = strict
    crm.create("projects", {"name": "P", "labels": ["Hot"]})
    schema = crm.schema("projects")
    hot = crm.run(crm.provider.create_option(schema, schema.fields["labels"], "hot"))
    assert hot == Option("Hot", emu.field("projects", "labels").option_named("Hot").id)  # type: ignore[union-attr]
    new = crm.run(crm.provider.create_option(schema, schema.fields["labels"], "Cold"))
    assert new == Option("Cold")
    deals = crm.schema("deals")
    stage = crm.run(crm.provider.create_option(deals, deals.fields["stage"], "Discovery"))
    assert stage.id == emu.field("deals", "stage").option_named("Discovery").id  # type: ignore[union-attr]


# --- default fields ------------------------------------------------------------------------------


def test_is_default_is_read_from_settings_search(strict: Strict) -> None:
    """The emulator's ``/fields`` has no ``is_default``; the provider reads it from
    ``…/fields/settings-search`` and filters default fields by api name."""
    crm, _emu = strict
    fields = crm.schema("client_client").fields
    assert fields["company_primary"].raw["is_default"] is True
    assert fields["deals"].raw["is_default"] is False
    acme = crm.create("companies_company", {"name": "Acme"})
    crm.create("client_client", {"email": "a@x.com", "company_primary": acme.id})
    found = crm.query("client_client", where=F("company_primary") == acme.id)
    assert [r["email"] for r in found] == ["a@x.com"]


@pytest.mark.parametrize("slug", ["tags", "company_primary", "company_additional", "titles"])
def test_default_field_fallback_without_settings(slug: str) -> None:
    """Without ``is_default`` (settings cannot be read) the fallback list decides, and it holds
    every default contact field (kizen/builder-cli client_client fixture)."""
    kind = "relationship" if slug.startswith("company") else "dynamictags"
    spec = codec.decode_field({"id": "f1", "name": slug, "field_type": kind}, "client_client")
    schema = ObjectSchema(codec.decode_object({"name": "client_client", "id": "o"}), {slug: spec})
    op = F(slug).is_empty()
    (group,) = filters.to_groups(op, schema)["query"]
    assert group["filters"][0]["subtype"] == "non_custom"
    assert group["filters"][0]["field"] == slug


# --- the pipeline stage --------------------------------------------------------------------------


def test_the_stage_is_moved_not_written(log: Strict) -> None:
    """A neutral write of ``stage`` becomes ``PATCH …/move {"stage_id"}`` (docs/decisions.md,
    kizen: the stage is written like any field); it filters with the stage overwrite."""
    crm, emu = log
    deal = crm.create("deals", {"name": "D", "stage": "Proposal"})
    assert deal["stage"].label == "Proposal"
    assert any(r.endswith("/move") for r in emu.request_log)
    moved = crm.update("deals", deal.id, {"stage": "Won", "source": "Referral"})
    assert (moved["stage"].label, moved["source"].label) == ("Won", "Referral")
    assert [r.id for r in crm.query("deals", where=F("stage") == "Won")] == [deal.id]
    assert [r.id for r in crm.query("deals", where=F("stage").is_in(["Won", "Lost"]))] == [deal.id]
    assert list(crm.query("deals", where=F("stage") != "Won")) == []
    before = len(writes(emu))
    assert crm.upsert("deals", {"name": "D", "stage": "Won"}).action == "noop"
    assert len(writes(emu)) == before
    with pytest.raises(ValidationError, match="stage"):
        crm.update("deals", deal.id, {"stage": "Nowhere"})


# --- values refused before sending ---------------------------------------------------------------


def test_a_rating_outside_its_scale_is_refused_before_sending(log: Strict) -> None:
    crm, emu = log
    with pytest.raises(ValidationError) as info:
        crm.create("projects", {"name": "P", "satisfaction": 6})
    assert [e.field for e in info.value.field_errors] == ["satisfaction"]
    assert "1 to 5" in str(info.value.field_errors[0])
    assert writes(emu) == []


def test_hidden_fields_are_read_by_get(strict: Strict) -> None:
    """GET asks for hidden fields (``include_hidden_fields=true``, as Kizen's CLI does)."""
    crm, emu = strict
    emu.add_field("companies_company", "secret", "text", is_hidden=True)
    rid = crm.create("companies_company", {"name": "Acme", "secret": "s3"}).id
    assert crm.get("companies_company", rid)["secret"] == "s3"


def test_tags_read_back_are_known_without_another_lookup(log: Strict) -> None:
    """A tag the connection has read back (a write's answer) needs no tag lookup again."""
    crm, emu = log
    rid = crm.create("client_client", {"email": "a@x.com"}).id
    crm.update("client_client", rid, {"titles": add("CTO")})
    emu.request_log.clear()  # type: ignore[attr-defined]
    crm.update("client_client", rid, {"titles": remove("CTO")})
    assert [r for r in emu.request_log if r.endswith("/tags")] == []  # type: ignore[attr-defined]
    assert crm.get("client_client", rid)["titles"] == []


def test_an_option_code_is_written_as_its_option(strict: Strict) -> None:
    """Option codes are accepted where Kizen's tools accept them: in writes (kizen-admin-cli
    ``tools/planners/records.py`` matches label, then code)."""
    crm, _ = strict
    record = crm.create("client_client", {"email": "s@x.com", "email_status": "suppression_list"})
    assert record["email_status"].label == "Suppression List"
    with pytest.raises(ValidationError, match="email_status"):
        crm.create("client_client", {"email": "t@x.com", "email_status": "no_such_code"})


def test_an_unsupported_tag_filter_is_refused_before_the_tag_lookup(log: Strict) -> None:
    """``titles == "x"``: dynamic tags have no ``eq``; the Unsupported comes before the label is
    looked up (found by the hypothesis run in tests/reliability/test_bad_input.py)."""
    crm, emu = log
    crm.fields("client_client")
    emu.request_log = []  # type: ignore[attr-defined]
    with pytest.raises(crmbridge.Unsupported, match="dynamictags field 'titles' with eq"):
        list(crm.query("client_client", F("titles") == "Some Title"))
    assert emu.request_log == []  # type: ignore[attr-defined]
