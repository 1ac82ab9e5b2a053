"""The Attio provider against the conformance suite, on its emulator, sync and async."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from crmbridge_attio.emulator import AttioEmulator

import crmbridge
from crmbridge import User
from crmbridge.testing import ProviderConformance

#: Custom attributes of the types Attio's standard objects lack (created through the public
#: passthrough, as a user would), so the value, comparison and sort tests cover them too.
CUSTOM = (("score", "number"), ("active", "checkbox"), ("last_seen", "timestamp"),
          ("stars", "rating"))  # fmt: skip


def add_custom_attributes(crm: crmbridge.Bridge) -> None:
    for slug, type_ in CUSTOM:
        data = {
            "title": slug.replace("_", " ").title(),
            "description": None,
            "api_slug": slug,
            "type": type_,
            "is_required": False,
            "is_unique": False,
            "is_multiselect": False,
            "default_value": None,
            "config": {},
        }
        crm.request("POST", "/v2/objects/people/attributes", json={"data": data})
    crm.invalidate_schema()


#: The conformance suite runs with the emulator strict (crmbridge.testing.strict): any 4xx it
#: did not provoke on purpose fails the test. These are the ones it provokes.
pytestmark = pytest.mark.usefixtures("crmbridge_strict_emulators")


class TestAttio(ProviderConformance):
    object_slug = "people"
    match_field = "email_addresses"
    value_objects = ("people", "companies", "deals")
    # Users cannot be invented: the emulator's workspace member (its ids are deterministic).
    sample_values = {"owner": User(id=AttioEmulator().workspace.members[0].id)}

    @pytest.fixture
    def bridge(self) -> Iterator[crmbridge.Bridge]:
        with crmbridge.connect("attio", emulator=True) as crm:
            add_custom_attributes(crm)
            yield crm


class TestAttioAsync(TestAttio):
    asynchronous = True
