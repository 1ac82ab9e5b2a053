"""Upserts settle on Attio (issue 23): for every attribute type and the value forms users pass,
an upsert repeated with the same input is a ``noop`` that sends no write (property test on the
emulator). Values are put in Attio's stored form first (crmbridge_attio/settle.py)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from crmbridge_attio.emulator import AttioEmulator
from crmbridge_attio.settle import stored_domain, stored_number
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import crmbridge as cb
from crmbridge import Location, Money, Option, PersonName, Ref, RefBy, User

COMPANY_DOMAIN = "acme.com"
SEGMENTS = ["B2B", "B2C", "SaaS"]


@pytest.fixture(scope="module")
def attio() -> Any:
    emulator = AttioEmulator()
    for slug, kind, extra in (
        ("score", "number", {}),
        ("active", "checkbox", {}),
        ("budget", "currency", {"currency": "USD"}),
        ("born", "date", {}),
        ("met_at", "timestamp", {}),
        ("stars", "rating", {}),
        ("segment", "select", {"options": SEGMENTS}),
        ("labels", "select", {"options": SEGMENTS, "is_multiselect": True}),
        ("site", "domain", {}),
        ("owner", "actor-reference", {}),
    ):
        emulator.add_attribute("people", slug, kind, **extra)
    member = emulator.add_member("Grace", "Hopper", "grace@example.com")
    with cb.connect("attio", emulator=emulator) as crm:
        company = crm.create("companies", {"domains": [COMPANY_DOMAIN], "name": "Acme"})
        yield emulator, crm, company.id, member.id


def _forms(company_id: str, member_id: str) -> st.SearchStrategy[tuple[str, Any]]:
    """(attribute, value) in the forms a user passes."""
    numbers = st.one_of(
        st.integers(-10**6, 10**6),
        st.decimals(-10**6, 10**6, places=6,
                    allow_nan=False, allow_infinity=False).filter(lambda d: abs(d) >= Decimal("0.001") or d == 0),
        st.floats(-1e6, 1e6, allow_nan=False).filter(lambda f: abs(f) >= 0.001 or f == 0),
    )  # fmt: skip
    segment = st.sampled_from(SEGMENTS)
    label_case = segment.flatmap(lambda s: st.sampled_from([s, s.lower(), s.upper()]))
    return st.one_of(
        st.tuples(st.just("description"), st.text(min_size=1, max_size=20).filter(str.strip)),
        st.tuples(st.just("score"), numbers),
        st.tuples(st.just("active"), st.booleans()),
        st.tuples(st.just("budget"), st.decimals(0, 10**6, places=2).map(lambda d: Money(d))),
        st.tuples(st.just("born"), st.dates(dt.date(1950, 1, 1), dt.date(2030, 1, 1))),
        st.tuples(
            st.just("met_at"),
            st.datetimes(
                dt.datetime(2000, 1, 1), dt.datetime(2030, 1, 1), timezones=st.just(dt.UTC)
            ).map(lambda d: d.replace(microsecond=0)),
        ),
        st.tuples(st.just("stars"), st.integers(0, 5)),
        st.tuples(st.just("segment"), st.one_of(label_case, segment.map(Option))),
        st.tuples(st.just("labels"), st.lists(label_case, max_size=3)),
        st.tuples(
            st.just("site"),
            st.sampled_from(
                ["acme.org", "https://www.acme.org/", "http://Acme.org/about", "www.acme.org"]
            ),
        ),
        st.tuples(
            st.just("name"),
            st.sampled_from(
                [
                    "Ada Lovelace",
                    PersonName(first="Ada", last="Lovelace"),
                    PersonName(full="Ada Lovelace"),
                    PersonName("Ada", "Lovelace", "Ada Lovelace"),
                ]
            ),
        ),
        st.tuples(
            st.just("phone_numbers"),
            st.sampled_from([["+1 (415) 555-0100"], ["+14155550100"], ["+44 20 7946 0958"]]),
        ),
        st.tuples(
            st.just("company"),
            st.sampled_from(
                [
                    Ref("companies", company_id),
                    RefBy("companies", "domains", COMPANY_DOMAIN),
                    RefBy("companies", "domains", "https://www.acme.com/"),
                ]
            ),
        ),
        st.tuples(
            st.just("owner"),
            st.sampled_from(
                [User(id=member_id), User(email="grace@example.com"), "grace@example.com"]
            ),
        ),
        st.tuples(
            st.just("primary_location"), st.just(Location(locality="Paris", country_code="FR"))
        ),
    )


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])  # fmt: skip
@given(data=st.data())
def test_a_repeated_upsert_is_a_noop_that_sends_no_write(attio: Any, data: st.DataObject) -> None:
    emulator, crm, company_id, member_id = attio
    field, value = data.draw(_forms(company_id, member_id))
    email = f"p{data.draw(st.integers(0, 10**9))}@example.com"
    values = {"email_addresses": [email], field: value}
    crm.upsert("people", values, match="email_addresses")
    writes = sum(n for k, n in emulator.requests.items() if not k.startswith("GET")
                 and not k.endswith("/query"))  # fmt: skip
    again = crm.upsert("people", values, match="email_addresses")
    after = sum(n for k, n in emulator.requests.items() if not k.startswith("GET")
                and not k.endswith("/query"))  # fmt: skip
    assert again.action == "noop", (field, value, again.record.get(field))
    assert after == writes, (field, value)


def test_stored_forms() -> None:
    assert stored_domain("https://www.Acme.com/about?x=1") == "acme.com"
    assert stored_number(3.14159, "score") == Decimal("3.1416")
    assert stored_number(2.00001, "score") == 2
    with pytest.raises(cb.ValidationError, match="would be stored as 0"):
        stored_number(0.00001, "score")


def test_strangers_named_by_email_reread_the_members_at_most_once_a_minute(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each refused e-mail re-read ``GET /v2/workspace_members`` before (one request per write
    that was refused anyway); a member added since is found once the interval has passed."""
    emulator = AttioEmulator()
    emulator.add_attribute("people", "owner", "actor-reference")
    emulator.add_member("Grace", "Hopper", "grace@example.com")
    now = [1000.0]
    monkeypatch.setattr("crmbridge.directory._now", lambda: now[0])
    with cb.connect("attio", emulator=emulator) as crm:
        for i in range(3):
            with pytest.raises(cb.ValidationError, match=f"stranger{i}@example.com"):
                crm.upsert(
                    "people",
                    {"email_addresses": [f"p{i}@example.com"], "owner": f"stranger{i}@example.com"},
                    match="email_addresses",
                )
        assert emulator.requests["GET /v2/workspace_members"] == 1
        emulator.add_member("Stan", "Ger", "stranger0@example.com")
        now[0] += 60
        values = {"email_addresses": ["p0@example.com"], "owner": "stranger0@example.com"}
        assert crm.upsert("people", values, match="email_addresses").action == "created"
        assert emulator.requests["GET /v2/workspace_members"] == 2
