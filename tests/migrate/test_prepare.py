"""Planning a run or a ``--verify`` (crmbridge/migrate/prepare.py): both schemas read, the mapping
checked against them, the plans in dependency order with the target schemas kept."""

from __future__ import annotations

import asyncio

import attrs
import pytest
from reliability.support import emulator, seeded_source

import crmbridge as cb
from crmbridge.demo import bundled_mapping
from crmbridge.migrate import parse_mapping
from crmbridge.migrate.prepare import prepare_plans


def _bridges() -> tuple[cb.AsyncBridge, cb.AsyncBridge]:
    attio, kizen = seeded_source("attio->kizen", 5), emulator("kizen")
    return cb.connect_async("attio", emulator=attio), cb.connect_async("kizen", emulator=kizen)


def test_plans_come_in_dependency_order_with_the_target_schemas() -> None:
    mapping = bundled_mapping()
    people_first = attrs.evolve(mapping, objects=mapping.objects[::-1])
    prepared = asyncio.run(
        prepare_plans(*_bridges(), people_first, create_options=False, can_create_options=True)
    )
    keys = [p.map.key for p in prepared.plans]
    assert keys == ["companies->companies_company", "people->client_client"]
    assert set(prepared.targets) == {"companies_company", "client_client"}
    assert "email" in prepared.targets["client_client"].fields
    assert prepared.missing_options == {}


def test_a_mapping_that_does_not_fit_the_schemas_is_refused() -> None:
    people = {"source": "people", "target": "client_client", "match": "email"}
    mapping = parse_mapping({"objects": [{**people, "fields": {"no_such_field": "email"}}]})
    with pytest.raises(cb.ValidationError, match="no_such_field"):
        asyncio.run(
            prepare_plans(*_bridges(), mapping, create_options=False, can_create_options=True)
        )
