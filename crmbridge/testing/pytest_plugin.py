"""The pytest plugin: fixtures for users' own tests (see :mod:`crmbridge.testing` and
``docs/testing.md``). Registered with the ``pytest11`` entry point, so installing crmbridge is
enough; ``-p no:crmbridge`` turns it off.

Every name is under the ``crmbridge_`` prefix, so none collides with another plugin's
(pytest-recording owns ``vcr_config``):

* ``crmbridge_emulator`` — a factory of Bridges to fresh in-process emulators;
* ``crmbridge_<provider>_emulator`` — one per registered provider that ships an emulator
  (``crmbridge_attio_emulator``, ...), made from the registry when pytest starts;
* ``crmbridge_vcr_config`` — vcrpy settings filtering every provider's credential headers;
* ``crmbridge_instant_retries`` — stamina's testing mode.

With pytest-recording installed, its cassettes are filtered too, whatever ``vcr_config`` says
(``pytest_recording_configure`` below).
"""

from __future__ import annotations

import types
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from ..bridge import Bridge, connect
from .vcr import redact_request, vcr_config_for

#: ``crmbridge_emulator(name, **options)``: a connected Bridge to a fresh emulator of ``name``.
EmulatorFactory = Callable[..., Bridge]


@pytest.fixture
def crmbridge_instant_retries() -> Iterator[None]:
    """Retries happen at once (stamina's testing mode), keeping each policy's attempt bound."""
    import stamina

    with stamina.set_testing(True, attempts=100, cap=True):
        yield


@pytest.fixture
def crmbridge_strict_emulators(request: pytest.FixtureRequest) -> Iterator[Any]:
    """Strict mode for every emulator the test uses: the test fails on any 4xx an emulator
    answered that neither the provider's plan nor the test expected (see
    :mod:`crmbridge.testing.strict`; ``.expect(status, code)`` inside a test)."""
    from .strict import StrictEmulators

    specs: tuple[str, ...] = ()
    for marker in request.node.iter_markers("crmbridge_emulator_refusals"):
        specs += tuple(str(a) for a in marker.args)
    strict = StrictEmulators.from_marker_args(specs).install()
    try:
        yield strict
    finally:
        strict.uninstall()
    strict.check()


@pytest.fixture
def crmbridge_vcr_config() -> dict[str, Any]:
    """vcrpy settings: credentials filtered, POST bodies matched, replay only unless
    ``CRMBRIDGE_RECORD`` says otherwise. With pytest-recording, return it from your own
    ``vcr_config`` fixture to match bodies as well."""
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


def _emulator_fixture(name: str) -> Any:
    def fixture(crmbridge_emulator: EmulatorFactory) -> Bridge:
        return crmbridge_emulator(name)

    fixture.__doc__ = (
        f"A Bridge to a fresh in-process {name} emulator (state inspectable as ``.emulator``)."
    )
    return pytest.fixture(name=f"crmbridge_{name}_emulator")(fixture)


def provider_fixtures() -> types.ModuleType:
    """A plugin holding ``crmbridge_<name>_emulator`` for each registered provider with an
    emulator (a plugin that fails to load adds none and stops nothing)."""
    from ..plugins import providers

    holder = types.ModuleType("crmbridge_provider_fixtures")
    for name, info in sorted(providers().items()):
        if info.cls.ships_emulator():
            setattr(holder, f"crmbridge_{name}_emulator", _emulator_fixture(name))
    return holder


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(provider_fixtures(), "crmbridge-provider-fixtures")
    config.addinivalue_line(
        "markers",
        "crmbridge_emulator_refusals(*specs): 4xx answers ('404', '400:uniqueness_conflict') the test "
        "expects from emulators in strict mode (crmbridge.testing.strict)",
    )


@pytest.hookimpl(optionalhook=True)
def pytest_recording_configure(config: pytest.Config, vcr: Any) -> None:
    """pytest-recording's hook: every cassette it records has the credential headers of every
    registered provider redacted, after the filters of the test's own ``vcr_config`` (which may
    name its own ``before_record_request``: so the redaction wraps vcrpy's builder of them)."""
    build = vcr._build_before_record_request  # vcrpy's: combines filter_headers & co per cassette

    def with_redaction(options: Any) -> Callable[[Any], Any]:
        given = build(options)

        def before_record_request(request: Any) -> Any:
            request = given(request)
            return None if request is None else redact_request(request)

        return before_record_request

    vcr._build_before_record_request = with_redaction
