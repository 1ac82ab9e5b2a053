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
from crmbridge.testing import VCR_CONFIG

pytest_plugins = ["pytester"]


def test_attio_emulator_is_a_connected_bridge(attio_emulator: crmbridge.Bridge) -> None:
    assert isinstance(attio_emulator, crmbridge.Bridge)
    assert attio_emulator.name == "attio"
    assert attio_emulator.emulator is not None
    person = attio_emulator.create("people", {"email_addresses": ["a@example.com"]})
    assert attio_emulator.get("people", person.id).id == person.id


def test_kizen_emulator_is_a_connected_bridge(kizen_emulator: crmbridge.Bridge) -> None:
    assert kizen_emulator.name == "kizen"
    contact = kizen_emulator.create("client_client", {"email": "k@example.com"})
    assert kizen_emulator.get("client_client", contact.id).id == contact.id


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
        def test_one(attio_emulator):
            attio_emulator.create("people", {"email_addresses": ["same@example.com"]})
            assert len(list(attio_emulator.query("people"))) == 1

        def test_two(attio_emulator):
            attio_emulator.create("people", {"email_addresses": ["same@example.com"]})
            assert len(list(attio_emulator.query("people"))) == 1
        """
    )
    pytester.runpytest_inprocess("-p", "no:cacheprovider").assert_outcomes(passed=2)


def test_vcr_config_defaults(vcr_config: dict[str, Any]) -> None:
    """Replay only; every credential header filtered; POST bodies matched."""
    assert vcr_config["record_mode"] == "none"
    filtered = {h for h, _ in vcr_config["filter_headers"]}
    assert {"authorization", "x-api-key", "x-user-id", "x-business-id"} <= filtered
    assert "body" in vcr_config["match_on"]


def test_vcr_config_record_mode_from_environment(
    monkeypatch: pytest.MonkeyPatch, pytester: pytest.Pytester
) -> None:
    monkeypatch.setenv("CRMBRIDGE_RECORD", "once")
    pytester.makepyfile(
        """
        def test_mode(vcr_config):
            assert vcr_config["record_mode"] == "once"
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


def test_instant_retries_skip_the_wait(instant_retries: None) -> None:
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


def test_instant_retries_keep_the_attempt_bound(instant_retries: None) -> None:
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
