"""The provider's side of the strictness suite (issue 17): against the strict emulator (any 4xx
nobody expected fails the test, crmbridge.testing.strict, enabled by conftest.py), the provider
sends only what Attio accepts — operators each attribute-type page lists, values in the forms the
spec constrains — and refuses, before any request, what Attio cannot express."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

import crmbridge as cb
from crmbridge import F


@pytest.fixture
def crm() -> Iterator[cb.Bridge]:
    with cb.connect("attio", emulator=True) as bridge:
        emulator: Any = bridge.emulator  # type: ignore[attr-defined]
        emulator.add_attribute("people", "deal", "currency", currency="USD")
        emulator.add_attribute("people", "score", "number")
        emulator.add_attribute("people", "office", "location")
        emulator.add_attribute("people", "desk_phone", "phone-number")
        emulator.add_attribute("people", "owner", "actor-reference")
        yield bridge


def _sent(crm: cb.Bridge) -> int:
    return sum(crm.emulator.requests.values())  # type: ignore[attr-defined]


def test_upserts_on_email_and_domain_use_an_or_of_eq(crm: cb.Bridge) -> None:
    """E-mail and domain pages list no ``$in``: the upsert's read by match key is an ``$eq``
    (an ``$or`` of them for several values); the emulator answers ``$in`` with 400."""
    first = crm.upsert("people", {"email_addresses": ["ada@x.com", "a@y.com"]},
                       match="email_addresses")  # fmt: skip
    again = crm.upsert("people", {"email_addresses": ["ada@x.com", "a@y.com"]},
                       match="email_addresses")  # fmt: skip
    assert (first.action, again.action) == ("created", "noop")
    company = crm.upsert("companies", {"domains": ["acme.com"], "name": "Acme"}, match="domains")
    assert company.action == "created"
    found = crm.query("people", where=F("email_addresses").is_in(["a@y.com", "no@z.com"]))
    assert [r.id for r in found] == [first.record.id]


@pytest.mark.parametrize(
    "where",
    [
        F("job_title").is_empty(),  # text: no $not_empty on its page
        F("email_addresses").is_empty(False),
        F("score").is_empty(),
        F("office.latitude") == "1.0",  # "not currently possible to filter by latitude"
        F("office.country_code").contains("G"),
        F("deal").contains("1"),
    ],
)
def test_what_attio_cannot_express_is_refused_before_any_request(
    crm: cb.Bridge, where: Any
) -> None:
    crm.fields("people")
    before = _sent(crm)
    with pytest.raises(cb.Unsupported):
        list(crm.query("people", where=where))
    assert _sent(crm) == before


def test_presence_is_expressed_where_the_page_lists_it(crm: cb.Bridge) -> None:
    with_phone = crm.create("people", {"desk_phone": "+14155552671", "job_title": "CEO"})
    crm.create("people", {"job_title": "CTO"})
    assert [r.id for r in crm.query("people", where=~F("desk_phone").is_empty())] == [with_phone.id]
    assert len(list(crm.query("people", where=F("name").is_empty()))) == 2


def test_actor_reference_filter_by_email_finds_the_members_records(crm: cb.Bridge) -> None:
    """``F("owner") == "ada@…"`` is sent as the member's id (both properties): today's e-mail
    sent as the id matched nothing."""
    member = crm.emulator.workspace.members[0]  # type: ignore[attr-defined]
    owned = crm.create("people", {"owner": member.email_address, "job_title": "CEO"})
    crm.create("people", {"job_title": "CTO"})
    for who in (member.email_address.upper(), cb.User(email=member.email_address)):
        assert [r.id for r in crm.query("people", where=F("owner") == who)] == [owned.id]
    with pytest.raises(cb.ValidationError, match="no member"):
        list(crm.query("people", where=F("owner") == "nobody@example.com"))


def test_values_go_in_the_forms_the_spec_constrains(crm: cb.Bridge) -> None:
    record = crm.create(
        "people",
        {
            "name": "Lovelace, Ada",
            "office": cb.Location(locality="London", country_code="gb",
                                  latitude=51.5074, longitude=Decimal("-0.1278")),  # type: ignore[arg-type]
            "desk_phone": cb.Phone("020 7123 4567", "GB"),
            "deal": cb.Money("12345678901.25", "USD"),
            "score": 3.14159,
        },
    )  # fmt: skip
    assert record["name"] == cb.PersonName("Ada", "Lovelace", "Ada Lovelace")
    assert record["office"].latitude == "51.5074"
    assert record["office"].country_code == "GB"
    assert record["desk_phone"] == "+442071234567"
    assert record["deal"] == cb.Money(Decimal("12345678901.25"), "USD")
    assert record["score"] == 3.1416
    for where in (F("desk_phone") == "+44 20 7123 4567", F("score") == 3.14159,
                  F("deal") == cb.Money("12345678901.25")):  # fmt: skip
        assert [r.id for r in crm.query("people", where=where)] == [record.id]


def test_history_of_enriched_and_interaction_attributes_is_refused_unsent(crm: cb.Bridge) -> None:
    record = crm.create("people", {"job_title": "CEO"})
    before = _sent(crm)
    for slug in ("twitter_follower_count", "last_interaction"):
        with pytest.raises(cb.Unsupported, match="history"):
            crm.history("people", str(record.id), slug)
    assert _sent(crm) == before
    assert crm.history("people", str(record.id), "job_title")[0].value == "CEO"
