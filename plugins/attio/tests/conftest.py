"""Fixtures shared by the Attio tests: a fresh emulator and a raw httpx client on it
(authenticated with the emulator's token), for tests that speak Attio's wire format directly;
and strict mode (crmbridge.testing.strict) for every test of the provider: a 4xx from the
emulator that neither the provider's plan nor the test expected fails the test. The emulator's
own tests (``test_attio_emulator_*``) send refused requests on purpose and are not strict. Every
emulator here keeps its records' JSON, checked at each use (``_render_cache_verified``)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from crmbridge_attio.emulator import AttioEmulator


@pytest.fixture(autouse=True)
def _render_cache_verified(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every emulator of these tests keeps its records' JSON (emulator.py ``render_cache``) and
    checks each use against a fresh rendering: a change that did not invalidate it fails the
    test that made it, instead of answering stale bytes (byte-identical answers, issue 24)."""
    monkeypatch.setattr(AttioEmulator, "render_cache_default", "verify")


@pytest.fixture(autouse=True)
def _strict(request: pytest.FixtureRequest) -> Iterator[None]:
    if request.node.module.__name__.rpartition(".")[2].startswith("test_attio_emulator_"):
        yield
        return
    request.getfixturevalue("crmbridge_strict_emulators")
    yield


@pytest.fixture
def emulator() -> AttioEmulator:
    return AttioEmulator()


@pytest.fixture
def client(emulator: AttioEmulator) -> Iterator[httpx.Client]:
    with emulator.client() as http:
        yield http
