"""The pytest plugin: fixtures for users' own tests (see :mod:`crmbridge.testing`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from .vcr import vcr_config_for


@pytest.fixture
def instant_retries() -> Iterator[None]:
    """Retries happen at once (stamina's testing mode), keeping each policy's attempt bound."""
    import stamina

    with stamina.set_testing(True, attempts=100, cap=True):
        yield


@pytest.fixture
def vcr_config() -> dict[str, Any]:
    """vcrpy settings: credentials filtered, POST bodies matched, replay only unless
    ``CRMBRIDGE_RECORD`` says otherwise."""
    return vcr_config_for()


@pytest.fixture
def attio_emulator() -> Iterator[Any]:
    """A Bridge to a fresh in-process Attio emulator (state inspectable as ``.emulator``)."""
    import crmbridge

    with crmbridge.connect("attio", emulator=True) as crm:
        yield crm


@pytest.fixture
def kizen_emulator() -> Iterator[Any]:
    """A Bridge to a fresh in-process Kizen emulator (state inspectable as ``.emulator``)."""
    import crmbridge

    with crmbridge.connect("kizen", emulator=True) as crm:
        yield crm
