"""The Attio provider against the conformance suite, on its emulator, sync and async."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import crmbridge
from crmbridge.testing import ProviderConformance


class TestAttio(ProviderConformance):
    object_slug = "people"
    match_field = "email_addresses"
    value_objects = ("people", "companies", "deals")

    @pytest.fixture
    def bridge(self) -> Iterator[crmbridge.Bridge]:
        with crmbridge.connect("attio", emulator=True) as crm:
            yield crm


class TestAttioAsync(TestAttio):
    asynchronous = True
