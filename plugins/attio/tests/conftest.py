"""Fixtures shared by the Attio emulator tests: a fresh emulator and a raw httpx client on it
(authenticated with the emulator's token), for tests that speak Attio's wire format directly."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from crmbridge_attio.emulator import AttioEmulator


@pytest.fixture
def emulator() -> AttioEmulator:
    return AttioEmulator()


@pytest.fixture
def client(emulator: AttioEmulator) -> Iterator[httpx.Client]:
    with emulator.client() as http:
        yield http
