"""The Attio provider against the conformance suite, on its emulator, sync and async."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from crmbridge_attio.emulator import AttioEmulator

import crmbridge
from crmbridge import User
from crmbridge.testing import ProviderConformance


class TestAttio(ProviderConformance):
    object_slug = "people"
    match_field = "email_addresses"
    value_objects = ("people", "companies", "deals")
    # Users cannot be invented: the emulator's workspace member (its ids are deterministic).
    sample_values = {"owner": User(id=AttioEmulator().workspace.members[0].id)}

    @pytest.fixture
    def bridge(self) -> Iterator[crmbridge.Bridge]:
        with crmbridge.connect("attio", emulator=True) as crm:
            yield crm


class TestAttioAsync(TestAttio):
    asynchronous = True
