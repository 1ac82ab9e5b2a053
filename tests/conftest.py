"""Shared fixtures for the core tests."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from toy_provider import ToyCRM, ToyPlugin

import crmbridge
from crmbridge import plugins


@pytest.fixture
def toy_plugin() -> Iterator[ToyPlugin]:
    """The toy provider registered as a throwaway plugin for one test."""
    plugin = ToyPlugin()
    plugins.register_plugin(plugin, name="toy-test-plugin")
    try:
        yield plugin
    finally:
        plugins.unregister_plugin(plugin)


@pytest.fixture
def toy_crm() -> ToyCRM:
    return ToyCRM()


@pytest.fixture
def toy(toy_plugin: ToyPlugin, toy_crm: ToyCRM) -> Iterator[crmbridge.Bridge]:
    """A Bridge to the toy CRM through an httpx.MockTransport."""
    with crmbridge.connect(
        "toy", token=toy_crm.token, transport=httpx.MockTransport(toy_crm)
    ) as crm:
        yield crm


# Real PostgreSQL and Redis servers (issue 22), for the tests that ask for them.
from infra.servers import postgres_server, postgres_url, redis_server, redis_url  # noqa: E402, F401
from infra.states import feed_store, feed_store_spec, state_spec  # noqa: E402, F401
