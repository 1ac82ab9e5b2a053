"""The fixtures crmbridge's pytest plugin gives users' own tests (docs/testing.md)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import vcr
from toy_provider import ToyCRM, ToyProvider

import crmbridge
from crmbridge.testing import VCR_CONFIG  # type: ignore[attr-defined]

pytest_plugins = ["pytester"]


def test_attio_emulator_is_a_connected_bridge(crmbridge_attio_emulator: crmbridge.Bridge) -> None:
    assert isinstance(crmbridge_attio_emulator, crmbridge.Bridge)
    assert crmbridge_attio_emulator.name == "attio"
    assert crmbridge_attio_emulator.emulator is not None
    person = crmbridge_attio_emulator.create("people", {"email_addresses": ["a@example.com"]})
    assert crmbridge_attio_emulator.get("people", person.id).id == person.id


def test_kizen_emulator_is_a_connected_bridge(crmbridge_kizen_emulator: crmbridge.Bridge) -> None:
    assert crmbridge_kizen_emulator.name == "kizen"
    contact = crmbridge_kizen_emulator.create("client_client", {"email": "k@example.com"})
    assert crmbridge_kizen_emulator.get("client_client", contact.id).id == contact.id


def test_emulator_factory_passes_options(crmbridge_emulator: Any) -> None:
    """Options reach the emulator: a seeded one has records, a plain one none."""
    seeded = crmbridge_emulator("attio", seed="demo")
    plain = crmbridge_emulator("attio")
    assert next(iter(seeded.query("people", limit=1)), None) is not None
    assert list(plain.query("people")) == []
    assert seeded.emulator is not plain.emulator


def test_emulators_are_fresh_for_each_test(pytester: pytest.Pytester) -> None:
    """Two tests writing the same unique value each start from an empty emulator."""
    pytester.makepyfile(
        """
        def test_one(crmbridge_attio_emulator):
            crmbridge_attio_emulator.create("people", {"email_addresses": ["same@example.com"]})
            assert len(list(crmbridge_attio_emulator.query("people"))) == 1

        def test_two(crmbridge_attio_emulator):
            crmbridge_attio_emulator.create("people", {"email_addresses": ["same@example.com"]})
            assert len(list(crmbridge_attio_emulator.query("people"))) == 1
        """
    )
    pytester.runpytest_inprocess("-p", "no:cacheprovider").assert_outcomes(passed=2)


def test_vcr_config_defaults(crmbridge_vcr_config: dict[str, Any]) -> None:
    """Replay only; every credential header filtered; POST bodies matched."""
    assert crmbridge_vcr_config["record_mode"] == "none"
    filtered = {h for h, _ in crmbridge_vcr_config["filter_headers"]}
    assert {"authorization", "x-api-key", "x-user-id", "x-business-id"} <= filtered
    assert "body" in crmbridge_vcr_config["match_on"]


def test_vcr_config_record_mode_from_environment(
    monkeypatch: pytest.MonkeyPatch, pytester: pytest.Pytester
) -> None:
    monkeypatch.setenv("CRMBRIDGE_RECORD", "once")
    pytester.makepyfile(
        """
        def test_mode(crmbridge_vcr_config):
            assert crmbridge_vcr_config["record_mode"] == "once"
        """
    )
    pytester.runpytest_inprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_cassettes_never_hold_credentials(tmp_path: Path) -> None:
    """Recording a real exchange with VCR_CONFIG writes no token into the cassette, and the
    cassette replays (the body matcher included)."""
    service = ToyCRM(token="super-secret-token-123")
    cassette = tmp_path / "toy.yaml"
    recorder = vcr.VCR(**{**VCR_CONFIG, "record_mode": "all"})
    with (
        recorder.use_cassette(str(cassette)),
        crmbridge.connect(
            ToyProvider, token=service.token, transport=httpx.MockTransport(service)
        ) as crm,
    ):
        crm.create("contacts", {"email": "r@example.com"})
    text = cassette.read_text()
    assert "super-secret-token-123" not in text
    assert "[redacted]" in text
    replayer = vcr.VCR(**VCR_CONFIG)
    with (
        replayer.use_cassette(str(cassette)) as played,
        crmbridge.connect(
            ToyProvider, token=service.token, transport=httpx.MockTransport(service)
        ) as crm,
    ):
        crm.create("contacts", {"email": "r@example.com"})
    assert played.play_count >= 1


def test_instant_retries_skip_the_wait(crmbridge_instant_retries: None) -> None:
    """A 503 then a 200: retried at once, not after the policy's backoff."""
    service = ToyCRM()
    service.queue = [httpx.Response(503, json={"error": "busy"})] * 2
    policy = crmbridge.RetryPolicy(attempts=3, wait_initial=5.0, wait_max=5.0)
    with crmbridge.connect(
        ToyProvider, token=service.token, transport=httpx.MockTransport(service), retry=policy
    ) as crm:
        started = time.monotonic()
        assert list(crm.query("contacts")) == []
        assert time.monotonic() - started < 1.0
    # objects (503, 503, 200), then fields and the page
    assert len(service.requests) == 5


def test_instant_retries_keep_the_attempt_bound(crmbridge_instant_retries: None) -> None:
    """Testing mode does not retry more often than the policy allows."""
    service = ToyCRM()
    service.queue = [httpx.Response(503, json={"error": "busy"})] * 10
    policy = crmbridge.RetryPolicy(attempts=2, wait_initial=5.0)
    with (
        crmbridge.connect(
            ToyProvider, token=service.token, transport=httpx.MockTransport(service), retry=policy
        ) as crm,
        pytest.raises(crmbridge.ProviderError),
    ):
        list(crm.query("contacts"))
    assert len(service.requests) == 2


def test_every_fixture_is_under_the_crmbridge_prefix(pytester: pytest.Pytester) -> None:
    """pytest-recording owns ``vcr_config``: none of ours may shadow it (or anyone's)."""
    pytester.makepyfile("def test_nothing():\n    pass\n")
    result = pytester.runpytest_inprocess("--fixtures", "-p", "no:cacheprovider")
    ours = [
        line.split()[0]
        for line in result.outlines
        if "crmbridge/testing/pytest_plugin.py" in line or "crmbridge_provider_fixtures" in line
    ]
    assert "crmbridge_attio_emulator" in ours
    assert "crmbridge_kizen_emulator" in ours
    assert all(name.startswith("crmbridge_") for name in ours), ours
    markers = pytester.runpytest_inprocess("--markers", "-p", "no:cacheprovider").outlines
    mine = [line for line in markers if "crmbridge.testing" in line]
    assert mine
    assert all(line.startswith("@pytest.mark.crmbridge_") for line in mine), mine


API_TOKEN_PLUGIN = '''
import httpx, pytest
import crmbridge
from crmbridge import plugins

from crmbridge.plugin import hookimpl

class KeyProvider(crmbridge.Provider):
    """A third-party provider authenticating with its own header."""
    name = "keyed"
    default_base_url = "https://keyed.example"
    config_keys = ("key",)
    secret_keys = frozenset({"key"})

    def auth_headers(self):
        return {"Api-Token": self.config["key"].reveal()}

    def list_objects(self):
        yield self.build_request("GET", "/objects")
        return []

class Plugin:
    @hookimpl
    def crmbridge_register_providers(self, register):
        register(KeyProvider)

plugins.register_plugin(Plugin(), name="keyed-plugin")
'''

RECORDED_TESTS = """
import httpx, pytest
import crmbridge
import crmbridge.plugins

@pytest.mark.vcr
def test_attio():
    token = "attio-secret-token-1"
    emulator = crmbridge.plugins.get_provider("attio").create_emulator(token=token)
    with emulator.serve() as server, crmbridge.connect(
        "attio", token=token, base_url=server.url
    ) as crm:
        crm.create("people", {"email_addresses": ["ada@example.com"]})

@pytest.mark.vcr
def test_keyed():
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json=[]))
    with crmbridge.connect("keyed", key="keyed-secret-token-2", transport=transport) as crm:
        crm.objects()
"""


def test_pytest_recording_cassettes_hold_no_credential(pytester: pytest.Pytester) -> None:
    """With pytest-recording and its own ``vcr_config`` (it has one), recording against a
    served emulator writes no token: the Attio bearer token and a third-party plugin's ``Api-Token``
    are redacted, as ``Provider.sensitive_headers`` says."""
    pytest.importorskip("pytest_recording")
    pytester.makeconftest(API_TOKEN_PLUGIN)
    pytester.makepyfile(test_recorded=RECORDED_TESTS)
    try:
        result = pytester.runpytest_inprocess("--record-mode=once", "-p", "no:cacheprovider")
    finally:  # the conftest registered its provider in this process too
        crmbridge.plugins.unregister_plugin(name="keyed-plugin")
    result.assert_outcomes(passed=2)
    cassettes = sorted((pytester.path / "cassettes").rglob("*.yaml"))
    assert len(cassettes) == 2
    text = "".join(c.read_text() for c in cassettes)
    assert "attio-secret-token-1" not in text
    assert "keyed-secret-token-2" not in text
    assert text.count("[redacted]") >= 2


def test_a_plugins_own_header_is_sensitive() -> None:
    from crmbridge.http import redact_headers, sensitive_headers

    class Keyed(crmbridge.Provider):
        name = "keyed"
        config_keys = ("key",)

        def auth_headers(self) -> dict[str, str]:
            return {"Api-Token": str(self.config["key"])}

    assert Keyed.sensitive_headers() == {"api-token"}
    assert "api-token" in sensitive_headers([Keyed])
    assert redact_headers({"Api-Token": "t", "Accept": "x"}, Keyed.sensitive_headers()) == {
        "Api-Token": "[redacted]",
        "Accept": "x",
    }
    assert "api-token" in {h for h, _ in crmbridge.testing.vcr_config_for(providers=[Keyed])[
        "filter_headers"]}  # fmt: skip


def test_strict_emulators_fail_on_refusals_nobody_expected() -> None:
    """Strict mode records every 4xx an emulator answers; those neither the request
    (``expect=``) nor the test declared fail the test (crmbridge.testing.strict)."""

    from crmbridge.emulation import Emulator, refusal_watchers
    from crmbridge.provider import EXPECT
    from crmbridge.testing.strict import StrictEmulators

    class Refuser(Emulator):
        name = "refuser"
        base_url = "https://refuser.example"

        def handle(self, request: httpx.Request) -> httpx.Response:
            status = int(request.url.path.strip("/"))
            return self.json_response(status, {"code": f"c{status}"})

        def credentials(self) -> dict[str, str]:
            return {}

        def rate_limited_response(self, retry_after: float) -> httpx.Response:
            return self.json_response(429, {})

        def server_error_response(self) -> httpx.Response:
            return self.json_response(500, {})

    emulator = Refuser()
    strict = StrictEmulators().install()
    try:
        with emulator.client() as http:
            http.get("/200")
            declared = http.build_request("GET", "/404", extensions={EXPECT: (404,)})
            http.send(declared)
            with strict.expect(400, "c400"):
                http.get("/400")
            strict.check()  # nothing unexpected yet
            http.get("/409")
    finally:
        strict.uninstall()
    assert strict not in refusal_watchers
    assert [r.status for r in strict.refusals] == [404, 400, 409]
    with pytest.raises(AssertionError, match="GET /409 -> 409 c409"):
        strict.check()
