"""Fixtures for the Kizen provider tests (helpers live in ``kizen_support``)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from crmbridge_kizen import codec

import crmbridge
from crmbridge.provider import ObjectSchema

# Test directories are not packages (importlib mode): make the shared helpers importable.
sys.path.insert(0, str(Path(__file__).parent))

from crmbridge_kizen.emulator import KizenEmulator
from kizen_emulator_support import client
from kizen_support import CREDS, FakeKizen, load, schema_from


@pytest.fixture
def widgets() -> ObjectSchema:
    """SYNTHETIC: one field per Kizen type (data/widgets.fields.json)."""
    return schema_from("widgets.fields.json")


@pytest.fixture
def contacts() -> ObjectSchema:
    """SYNTHETIC: contact default fields (data/contacts.fields.json)."""
    return schema_from("contacts.fields.json")


@pytest.fixture
def patients() -> ObjectSchema:
    """LIVE: recording patients.excerpt.json (tool-level ``api_name`` spelling)."""
    data = load("patients.excerpt.json")
    obj = codec.decode_object(data)
    fields = {f["api_name"]: codec.decode_field(f, "patients") for f in data["fields"]}
    return ObjectSchema(obj, fields)


@pytest.fixture
def emu() -> KizenEmulator:
    """A fresh emulator, for the emulator's own tests (a module may override it with a seeded one)."""
    return KizenEmulator()


@pytest.fixture
def c(emu: KizenEmulator) -> httpx.Client:
    """An in-process client on ``emu``, authenticated."""
    return client(emu)


@pytest.fixture
def fake() -> FakeKizen:
    return FakeKizen()


@pytest.fixture
def crm(fake: FakeKizen) -> Iterator[crmbridge.Bridge]:
    """A Bridge to the scripted fake Kizen through the real facade and drivers."""
    with crmbridge.connect("kizen", transport=httpx.MockTransport(fake), **CREDS) as bridge:
        yield bridge


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "cassette(name): the cassette a test replays")


@pytest.fixture(autouse=True)
def _strict(request: pytest.FixtureRequest) -> Iterator[None]:
    """Strict mode (crmbridge.testing.strict) for every test of the provider, as the Attio
    tests have it: a 4xx from an emulator that neither the provider's plan nor the test
    expected fails the test (issue 17 "Both"). The emulator's own tests
    (``test_kizen_emulator_*``) and the conformance run send refused requests on purpose and
    are not strict."""
    module = request.node.module.__name__.rpartition(".")[2]
    # The conformance suite provokes refusals on purpose too (archived records: 404, 400).
    if module.startswith("test_kizen_emulator_") or module == "test_kizen_conformance":
        yield
        return
    request.getfixturevalue("crmbridge_strict_emulators")
    yield


@pytest.fixture
def strict() -> Iterator[tuple[crmbridge.Bridge, KizenEmulator]]:
    """A Bridge on a fresh emulator; strict mode comes from ``_strict`` above."""
    emu = KizenEmulator()
    with crmbridge.connect("kizen", emulator=emu) as bridge:
        yield bridge, emu
