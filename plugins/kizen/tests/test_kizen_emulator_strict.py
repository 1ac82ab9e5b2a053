"""The Kizen emulator refuses what the real service refuses, with the real error shape, and answers
as Kizen answers (issue 17 "Kizen" and "Both"). Each test names the rule's source; the rules are
listed in docs/emulators/kizen.md "Strictness rules"."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from crmbridge_kizen.emulator import KizenEmulator
from kizen_emulator_support import client, values

CO = "/api/records/companies_company"
CT = "/api/records/client_client"
DEALS = "/api/records/deals"


@pytest.fixture
def emu() -> KizenEmulator:
    return KizenEmulator()


@pytest.fixture
def c(emu: KizenEmulator) -> httpx.Client:
    return client(emu)


def add(c: httpx.Client, path: str, **fields: Any) -> dict[str, Any]:
    r = c.post(f"{path}/add", json={"fields": [{"name": k, "value": v} for k, v in fields.items()]})
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


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
