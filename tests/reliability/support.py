"""Helpers for the reliability tests: emulators, mappings, and reading a target back."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import crmbridge as cb
from crmbridge.demo import bundled_mapping
from crmbridge.emulation import Emulator
from crmbridge.migrate import MappingFile, load_mapping
from crmbridge.plugins import get_provider

HERE = Path(__file__).parent

#: The target objects each direction's mapping writes, and the field that tells their records
#: apart (the match key, or a stable one for objects matched by name).
TARGET_OBJECTS = {
    "attio->kizen": ["companies_company", "client_client"],
    "kizen->attio": ["companies", "people"],
}
KEYS = {
    "companies_company": "name",
    "client_client": "email",
    "companies": "domains",
    "people": "email_addresses",
}


def target_key(record: cb.Record) -> Any:
    """The value a target record is lined up by in :func:`snapshot` (a list's first item)."""
    value = record.get(KEYS.get(record.object, "name"))
    return value[0] if isinstance(value, list) and value else value


def emulator(name: str, **options: Any) -> Emulator:
    return get_provider(name).create_emulator(**options)


def mapping_for(direction: str) -> MappingFile:
    if direction == "attio->kizen":
        return bundled_mapping()
    return load_mapping(HERE / "kizen-to-attio.toml")


def seeded_source(direction: str, size: int) -> Emulator:
    name = direction.split("->")[0]
    return emulator(name, seed="demo", demo_size=size, random_seed=11)


def _without_ids(value: Any) -> Any:
    """Option ids are the target's own, different in every emulator: compare labels."""
    if isinstance(value, list):
        return [_without_ids(v) for v in value]
    if isinstance(value, cb.Option):
        return cb.Option(value.label)
    return value


def snapshot(
    em: Emulator, objects: list[str], key: Callable[[cb.Record], Any]
) -> dict[str, list[Any]]:
    """Every record of ``objects`` in ``em``, as sorted (match key, fields) pairs without ids and
    timestamps, so two targets can be compared record by record."""
    volatile = {
        "created",
        "updated",
        "created_at",
        "record_id",
        "created_by",
        "owner",
        "company",
        "company_primary",
        "contacts",
        "team",
        "full_name",
        "display_name",
    }
    out: dict[str, list[Any]] = {}
    with cb.connect(em.name, emulator=em) as crm:
        for obj in objects:
            rows = []
            for r in crm.query(obj):
                fields = {
                    k: cb.to_dict(_without_ids(v)) for k, v in r.fields.items() if k not in volatile
                }
                rows.append((key(r), repr(sorted(fields.items()))))
            out[obj] = sorted(rows)
    return out


def assert_exactly_migrated(attio_url: str, token: str, kizen: cb.Bridge, size: int) -> None:
    """An Attio -> Kizen migration (docs/examples/attio-to-kizen.toml) of the ``size`` people at
    ``attio_url`` left exactly the right records in ``kizen``: every person once, with the right
    names and company."""
    with cb.connect("attio", base_url=attio_url, token=token, rate_limit=False) as attio:
        people = list(attio.query("people"))
        companies = {c.id: c["name"] for c in attio.query("companies")}
    contacts = list(kizen.query("client_client"))
    emails = Counter(c["email"] for c in contacts)
    assert len(people) == size
    assert len(contacts) == size
    assert max(emails.values()) == 1, "duplicate contacts"
    kizen_companies = {c.id: c["name"] for c in kizen.query("companies_company")}
    assert sorted(set(kizen_companies.values())) == sorted(set(companies.values()))
    by_email = {c["email"]: c for c in contacts}
    for person in people:
        contact = by_email[person["email_addresses"][0]]
        assert contact["first_name"] == person["name"].first
        assert contact["last_name"] == person["name"].last
        if person["company"] is not None:
            assert kizen_companies[contact["company_primary"].id] == companies[person["company"].id]
