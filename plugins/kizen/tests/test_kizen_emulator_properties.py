"""Kizen emulator: property tests. Arbitrary write bodies never crash the emulator (every refusal
is a 4xx and changes nothing), and relationship links stay symmetric."""

from __future__ import annotations

import json
from typing import Any

import hypothesis.strategies as st
from crmbridge_kizen.emulator import KizenEmulator
from hypothesis import HealthCheck, given, settings
from kizen_emulator_support import client

FIELDS = [
    "name", "domain", "description", "industry", "categories", "employee_count",
    "annual_revenue", "phone", "owner", "created", "contacts", "deals", "nope",
]  # fmt: skip
#: One field of every type (the projects object), for the same property.
PROJECT_FIELDS = [
    "name", "summary", "notes", "priority", "health", "kind", "billable", "approved",
    "satisfaction", "budget", "hours", "start_date", "kickoff_at", "contact_email", "labels",
    "attachments", "timezone", "lead", "company", "stage",
]  # fmt: skip
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(["id", "name", "amount", "x"]), inner, max_size=2),
    max_leaves=6,
)  # fmt: skip
entry = st.fixed_dictionaries(
    {"name": st.sampled_from(FIELDS + PROJECT_FIELDS)},
    optional={"value": json_values, "add_values": json_values, "remove_values": json_values,
              "id": st.text(max_size=5)},
)  # fmt: skip
bodies = st.fixed_dictionaries(
    {"fields": st.lists(entry, max_size=4) | json_values},
    optional={"unarchive": st.sampled_from(["prompt", "unarchive", "overwrite", "x"]),
              "lookup_value": json_values},
)  # fmt: skip

EMU = KizenEmulator(seed="demo", demo_size=20)
C = client(EMU)
RIDS = {obj: EMU.records(obj)[0]["id"] for obj in ("companies_company", "projects")}


def snapshot(obj: str) -> str:
    return json.dumps(EMU.records(obj), sort_keys=True)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    body=bodies,
    verb=st.sampled_from(["add", "patch", "put", "upsert"]),
    obj=st.sampled_from(["companies_company", "projects"]),
)
def test_arbitrary_writes_never_crash(body: dict[str, Any], verb: str, obj: str) -> None:
    before = snapshot(obj)
    path = f"/api/records/{obj}"
    if verb == "add":
        r = C.post(f"{path}/add", json=body)
    elif verb == "upsert":
        r = C.post(f"{path}/upsert", json=body)
    else:
        r = C.request(verb.upper(), f"{path}/{RIDS[obj]}", json=body)
    assert r.status_code in (200, 201, 400), r.text
    if r.status_code == 400:
        assert snapshot(obj) == before
        assert isinstance(r.json(), dict)


@settings(max_examples=60, deadline=None)
@given(ops=st.lists(st.tuples(st.integers(0, 5), st.integers(0, 2), st.booleans()), max_size=25))
def test_relationship_links_stay_symmetric(ops: list[tuple[int, int, bool]]) -> None:
    emu = KizenEmulator()
    companies = [emu.seed_record("companies_company", {"name": f"C{i}"}) for i in range(3)]
    contacts = [emu.seed_record("client_client", {"email": f"p{i}@example.com"}) for i in range(6)]
    c = client(emu)
    for person, company, via_contact in ops:
        if via_contact:
            c.patch(f"/api/records/client_client/{contacts[person]}",
                    json={"fields": [{"name": "company_primary", "value": {"id": companies[company]}}]})  # fmt: skip
        else:
            c.patch(f"/api/records/companies_company/{companies[company]}",
                    json={"fields": [{"name": "contacts", "add_values": [{"id": contacts[person]}]}]})  # fmt: skip
    forward = {}
    for row in emu.records("client_client"):
        company = row["values"].get("company_primary")
        if company:
            forward[row["id"]] = company["id"]
    inverse = {}
    for row in emu.records("companies_company"):
        for contact in row["values"].get("contacts") or []:
            assert contact["id"] not in inverse  # one company per contact
            inverse[contact["id"]] = row["id"]
    assert forward == inverse
