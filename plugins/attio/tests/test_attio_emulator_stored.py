"""How the Attio emulator holds values (emulator/stored.py) against what Attio answers: every one of
the 17 value types renders with the keys, in the order, of the recordings (``data/responses/``,
``cassettes/attio/``), or of the spec's ``output-value`` where no recording has the type — active
and historic alike — and a seeded record is held in at most 2 KB (issue 24)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import yaml
from crmbridge_attio.emulator import AttioEmulator
from crmbridge_attio.emulator.schema import ATTRIBUTE_TYPES
from crmbridge_attio.emulator.store import DERIVED
from crmbridge_attio.emulator.stored import Stored

DATA = Path(__file__).parent / "data"
CASSETTES = Path(__file__).parents[3] / "cassettes" / "attio"
ENVELOPE = ("active_from", "active_until", "created_by_actor")


def _recorded_orders() -> dict[str, list[tuple[str, ...]]]:
    """attribute_type → the key orders of its values in every recorded response."""
    found: dict[str, list[tuple[str, ...]]] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "attribute_type" in node and "active_from" in node:
                found.setdefault(node["attribute_type"], []).append(tuple(node))
            for child in node.values():
                walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    for path in sorted((DATA / "responses").glob("*.json")):
        walk(json.loads(path.read_text()))
    for path in sorted(CASSETTES.glob("*.yaml")):
        for interaction in yaml.safe_load(path.read_text())["interactions"]:
            body = interaction["response"]["body"]["string"]
            if body.lstrip().startswith(("{", "[")):
                walk(json.loads(body))
    return found


def expected_orders() -> dict[str, tuple[str, ...]]:
    """Per type: the recorded order (one per type in the recordings), else the envelope, the
    spec's own keys in its order, then ``attribute_type`` last as every recording has it."""
    recorded = _recorded_orders()
    spec = json.loads((DATA / "spec_value_schemas.json").read_text())["output-value"]
    expected: dict[str, tuple[str, ...]] = {}
    for alternative in spec["anyOf"]:
        kind = alternative["properties"]["attribute_type"]["enum"][0]
        own = tuple(k for k in alternative["properties"] if k != "attribute_type")
        expected[kind] = (*ENVELOPE, *own, "attribute_type")
    for kind, orders in recorded.items():
        assert len(set(orders)) == 1, f"recordings disagree on {kind}: {set(orders)}"
        expected[kind] = orders[0]
    return expected


def test_expected_orders_cover_every_type_and_come_from_the_recordings() -> None:
    expected = expected_orders()
    assert set(expected) == set(ATTRIBUTE_TYPES)
    # Where the spec and a recording differ, the recording is taken (docs/emulators/attio.md).
    assert expected["phone-number"][3] == "phone_number"
    assert expected["timestamp"][-1] == "attribute_type"


WRITES: dict[str, Any] = {
    "text": "hello",
    "number": 12.5,
    "checkbox": True,
    "currency": 99.5,
    "date": "2024-02-03",
    "timestamp": "2024-02-03T04:05:06Z",
    "rating": 3,
    "select": "Red",
    "status": "Open",
    "actor-reference": "ada@crmbridge.test",
    "location": "1 Main St, Springfield, IL, 62701, US",
    "domain": ["example.com"],
    "email-address": ["ada@example.com"],
    "phone-number": ["+14155552671"],
    "personal-name": "Lovelace, Ada",
}
AGAIN: dict[str, Any] = {
    "text": "bye",
    "number": 7,
    "checkbox": False,
    "currency": 1,
    "date": "2025-01-01",
    "timestamp": "2025-01-01T00:00:00Z",
    "rating": 4,
    "select": "Blue",
    "status": "Closed",
    "actor-reference": "grace@crmbridge.test",
    "location": "2 High St, London, SW1A 1AA, GB",
    "domain": ["example.org"],
    "email-address": ["grace@example.org"],
    "phone-number": ["+442079460018"],
    "personal-name": "Hopper, Grace",
}


def test_every_type_renders_in_the_recorded_order(
    emulator: AttioEmulator, client: httpx.Client
) -> None:
    expected = expected_orders()
    emulator.add_member("Grace", "Hopper", "grace@crmbridge.test")
    emulator.add_list("tickets", "Tickets", "companies")
    for kind in WRITES:
        # A status lives on a list (attribute_rules.py); every other type on the object.
        parent = "tickets" if kind == "status" else "companies"
        emulator.add_attribute(
            parent,
            f"f_{kind.replace('-', '_')}",
            kind,
            is_multiselect=kind in ("domain", "email-address", "phone-number"),
            options=["Red", "Blue"] if kind == "select" else None,
            statuses=["Open", "Closed"] if kind == "status" else None,
            currency="EUR" if kind == "currency" else None,
        )
    emulator.add_attribute("companies", "f_ref", "record-reference", targets=["people"])
    person = client.post(
        "/v2/objects/people/records", json={"data": {"values": {"name": "Byron, Ada"}}}
    ).json()["data"]["id"]["record_id"]
    emulator.seed_values(
        "people",
        person,
        {
            "first_email_interaction": {
                "interaction_type": "email",
                "interacted_at": "2024-01-01T00:00:00.000000000Z",
                "owner_actor": {"type": "workspace-member", "id": None},
            }
        },
    )

    def values(kinds: dict[str, Any]) -> dict[str, Any]:
        return {f"f_{k.replace('-', '_')}": v for k, v in kinds.items() if k != "status"}

    company = client.post(
        "/v2/objects/companies/records",
        json={"data": {"values": {**values(WRITES), "f_ref": [person]}}},
    ).json()["data"]
    record_id = company["id"]["record_id"]
    entry = client.post(
        "/v2/lists/tickets/entries",
        json={
            "data": {
                "parent_record_id": record_id,
                "parent_object": "companies",
                "entry_values": {"f_status": "Open"},
            }
        },
    ).json()["data"]
    client.put(
        f"/v2/objects/companies/records/{record_id}",
        json={"data": {"values": {**values(AGAIN), "f_ref": []}}},
    )
    client.patch(
        f"/v2/lists/tickets/entries/{entry['id']['entry_id']}",
        json={"data": {"entry_values": {"f_status": "Closed"}}},
    )

    seen: dict[str, list[list[str]]] = {}

    def collect(rendered: dict[str, list[dict[str, Any]]]) -> None:
        for items in rendered.values():
            for value in items:
                seen.setdefault(value["attribute_type"], []).append(list(value))

    people = client.get(f"/v2/objects/people/records/{person}").json()["data"]
    collect(people["values"])
    collect(company["values"])
    collect(entry["entry_values"])
    for slug in [*values(WRITES), "f_ref"]:
        historic = client.get(
            f"/v2/objects/companies/records/{record_id}/attributes/{slug}/values",
            params={"show_historic": "true"},
        ).json()["data"]
        assert any(v["active_until"] is not None for v in historic), slug
        collect({slug: historic})
    entry_history = client.get(
        f"/v2/lists/tickets/entries/{entry['id']['entry_id']}/attributes/f_status/values",
        params={"show_historic": "true"},
    ).json()["data"]
    assert len(entry_history) == 2
    collect({"f_status": entry_history})

    assert set(seen) == set(ATTRIBUTE_TYPES)
    for kind, orders in seen.items():
        for order in orders:
            assert tuple(order) == expected[kind], kind


def test_values_are_held_compactly_and_share_their_write_stamp() -> None:
    """What keeps a seeded record small (issue 24; the bytes are bench/emulator_server.py's
    ``seed_bytes`` figure, docs/benchmarks.md §11 — a benchmark, not a test threshold): one
    tuple per value, not a dict; one stamp per write, shared by every value it stored; one
    shape per attribute type and key set; a single value held without a list; no history until
    a value is replaced; system values derived from the row."""
    emulator = AttioEmulator(seed="demo", demo_size=20)
    rows = [row for table in emulator.workspace.tables.values() for row in table.rows.values()]
    assert rows
    values, stamps, shapes = 0, set(), set()
    for row in rows:
        assert row.history is None
        assert any(held is DERIVED for held in row.active.values())  # record_id, created_at…
        for held in row.active.values():
            assert isinstance(held, Stored | list)
            if isinstance(held, list):
                assert len(held) >= 2  # a single value is held without a list
            for value in [held] if isinstance(held, Stored) else held:
                assert type(value) is Stored
                if value is not DERIVED:
                    values += 1
                    stamps.add(id(value[1]))
                    shapes.add(id(value[0]))
    assert values > 5 * len(rows)
    assert len(stamps) <= len(rows) * 2, "a write's values share one stamp"
    assert len(shapes) <= len(ATTRIBUTE_TYPES) * 2
