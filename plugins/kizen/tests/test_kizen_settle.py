"""Upserts settle on Kizen (issue 23): for every field type and the value forms users pass, an
upsert repeated with the same input is a ``noop`` that sends no write — which on Kizen would fire
automations and move "Last Modified" (property test on the emulator; the comparison is
crmbridge_kizen/noop.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from crmbridge_kizen.emulator import KizenEmulator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import crmbridge as cb
from crmbridge import Money, Option, Ref, RefBy, User


@pytest.fixture(scope="module")
def kizen() -> Any:
    emulator = KizenEmulator()
    with cb.connect("kizen", emulator=emulator) as crm:
        company = crm.create("companies_company", {"name": "Acme"})
        schema = crm.schema("projects")
        lead = crm.run(crm.provider.list_users())[1]
        yield emulator, crm, company.id, schema, lead


def _labels(options: tuple[Option, ...]) -> st.SearchStrategy[Any]:
    """An option by label in any case, as an Option, or by id."""
    option = st.sampled_from(options)
    return st.one_of(
        option.flatmap(lambda o: st.sampled_from([o.label, o.label.lower(), o.label.upper()])),
        option.map(lambda o: Option(o.label)),
        option.map(lambda o: o.id),
    )


def _forms(company_id: str, schema: Any, lead: User) -> st.SearchStrategy[tuple[str, Any]]:
    f = schema.fields
    return st.one_of(
        st.tuples(st.just("summary"), st.text(min_size=1, max_size=20).filter(str.strip)),
        st.tuples(st.just("notes"), st.text(min_size=1, max_size=20).filter(str.strip)),
        st.tuples(st.just("priority"), _labels(f["priority"].options)),
        st.tuples(st.just("health"), _labels(f["health"].options)),
        st.tuples(st.just("kind"), _labels(f["kind"].options)),
        st.tuples(st.just("approved"), _labels(f["approved"].options)),
        st.tuples(st.just("billable"), st.booleans()),
        st.tuples(st.just("satisfaction"), st.integers(1, 5)),
        st.tuples(st.just("budget"), st.one_of(
            st.decimals(0, 10**6, places=2).map(Money), st.integers(0, 10**6)
        )),
        st.tuples(st.just("hours"), st.one_of(
            st.integers(0, 10**4), st.decimals(0, 10**4, places=2),
            st.floats(0, 1e4, allow_nan=False),
        )),
        st.tuples(st.just("start_date"), st.dates(dt.date(1990, 1, 1), dt.date(2035, 1, 1))),
        st.tuples(st.just("kickoff_at"), st.datetimes(
            dt.datetime(2000, 1, 1), dt.datetime(2030, 1, 1), timezones=st.just(dt.UTC)
        ).map(lambda d: d.replace(microsecond=0))),
        st.tuples(st.just("contact_email"), st.sampled_from(["ada@example.com", "Ada@Example.com"])),
        st.tuples(st.just("labels"), st.lists(
            st.sampled_from(["alpha", "Beta", "gamma"]), max_size=3, unique=True
        )),
        st.tuples(st.just("timezone"), st.sampled_from(
            ["Europe/Paris", "europe/paris", "America/Chicago"]
        )),
        st.tuples(st.just("lead"), st.sampled_from([
            lead, User(id=lead.id), lead.id, User(email=lead.email),
            User(email=lead.email.upper()),
        ])),
        st.tuples(st.just("company"), st.sampled_from([
            company_id, Ref("companies_company", company_id),
            RefBy("companies_company", "name", "Acme"), RefBy("companies_company", "name", "acme"),
        ])),
    )  # fmt: skip


def _writes(emulator: KizenEmulator) -> int:
    return sum(n for k, n in emulator.requests.items()
               if not k.startswith("GET") and not k.endswith("/search"))  # fmt: skip


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])  # fmt: skip
@given(data=st.data())
def test_a_repeated_upsert_is_a_noop_that_sends_no_write(kizen: Any, data: st.DataObject) -> None:
    emulator, crm, company_id, schema, lead = kizen
    field, value = data.draw(_forms(company_id, schema, lead))
    values = {"name": f"Project {data.draw(st.integers(0, 10**9))}", field: value}
    crm.upsert("projects", values, match="name")
    writes = _writes(emulator)
    again = crm.upsert("projects", values, match="name")
    assert again.action == "noop", (field, value, again.record.get(field))
    assert _writes(emulator) == writes


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])  # fmt: skip
@given(phone=st.sampled_from(["+1 (415) 555-0100", "+14155550100", "+36 1 234 5678",
                              "+44 20 7946 0958"]), n=st.integers(0, 10**9))  # fmt: skip
def test_phone_numbers_as_typed_settle(kizen: Any, phone: str, n: int) -> None:
    emulator, crm, *_ = kizen
    values = {"email": f"c{n}@example.com", "first_name": "Ada", "mobile_phone": phone}
    crm.upsert("client_client", values, match="email")
    writes = _writes(emulator)
    assert crm.upsert("client_client", values, match="email").action == "noop"
    assert _writes(emulator) == writes
