"""The pytest plugin: fixtures for users' own tests (see :mod:`crmbridge.testing` and
``docs/testing.md``). Registered with the ``pytest11`` entry point, so installing crmbridge is
enough; ``-p no:crmbridge`` turns it off."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from ..bridge import Bridge, connect
from .vcr import vcr_config_for

#: ``crmbridge_emulator(name, **options)``: a connected Bridge to a fresh emulator of ``name``.
EmulatorFactory = Callable[..., Bridge]


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
def crmbridge_emulator() -> Iterator[EmulatorFactory]:
    """A factory of Bridges to fresh in-process emulators of any provider that ships one:
    ``crm = crmbridge_emulator("attio", seed="demo", latency_ms=5)``; each is closed after the
    test. Keyword arguments go to the emulator (seed, faults, latency, rate limits)."""
    opened: list[Bridge] = []

    def make(provider: str, **options: Any) -> Bridge:
        crm = connect(provider, emulator=options or True)
        opened.append(crm)
        return crm

    yield make
    for crm in opened:
        crm.close()


@pytest.fixture
def attio_emulator(crmbridge_emulator: EmulatorFactory) -> Bridge:
    """A Bridge to a fresh in-process Attio emulator (state inspectable as ``.emulator``)."""
    return crmbridge_emulator("attio")


@pytest.fixture
def kizen_emulator(crmbridge_emulator: EmulatorFactory) -> Bridge:
    """A Bridge to a fresh in-process Kizen emulator (state inspectable as ``.emulator``)."""
    return crmbridge_emulator("kizen")
