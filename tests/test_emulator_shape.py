"""The two built-in emulators in one shape (issue 16): the same module for the same role, and the
same conventions for state access — ``record()`` is ``None`` for a missing record (a ``KeyError``
for an unknown object), ``seed_record()`` returns the new record's id."""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

import pytest
from crmbridge_attio.emulator import AttioEmulator
from crmbridge_kizen.emulator import KizenEmulator

#: Role → module name, in both ``crmbridge_<provider>.emulator`` packages.
ROLES = {
    "the Emulator subclass: auth, error, 429 and 5xx bodies": "emulator",
    "state inspection and seeding for tests": "access",
    "method + path -> handler": "routes",
    "the endpoint handlers": "handlers",
    "state": "store",
    "objects and fields": "schema",
    "the standard seed": "seeds",
    "the demo data": "demo",
    "write-value validation": "values",
    "write operations": "writes",
    "filters": "filters",
    "error bodies": "errors",
    "ids and timestamps": "ids",
}


@pytest.mark.parametrize("package", ["crmbridge_attio.emulator", "crmbridge_kizen.emulator"])
def test_same_roles_same_module_names(package: str) -> None:
    found = {m.name for m in pkgutil.iter_modules(importlib.import_module(package).__path__)}
    missing = {role: name for role, name in ROLES.items() if name not in found}
    assert not missing, f"{package} lacks {missing}"


@pytest.mark.parametrize(
    ("emulator", "obj", "values"),
    [
        (AttioEmulator, "companies", {"name": "Acme"}),
        (KizenEmulator, "companies_company", {"name": "Acme"}),
    ],
)
def test_same_conventions_for_seeds_and_missing_records(
    emulator: Any, obj: str, values: dict[str, Any]
) -> None:
    emu = emulator()
    record_id = emu.seed_record(obj, values)
    assert isinstance(record_id, str)
    assert emu.record(obj, record_id) is not None
    assert emu.record(obj, "00000000-0000-4000-8000-000000000000") is None
    with pytest.raises(KeyError):
        emu.record("no_such_object", record_id)


@pytest.mark.parametrize("package", ["crmbridge_attio.emulator", "crmbridge_kizen.emulator"])
def test_routing_is_a_table(package: str) -> None:
    """Both route requests from a declared table of (method(s), path pattern, handler) rows,
    first match wins, not from a tree of conditions."""
    routes = importlib.import_module(f"{package}.routes").ROUTES
    assert len(routes) >= 15
    assert all(len(row) in (3, 4) for row in routes)
