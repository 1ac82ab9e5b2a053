"""A third-party client, the Speakeasy-generated ``attio`` SDK from PyPI (built from Attio's OpenAPI
spec, not by us), runs create / get / assert / query / update / delete against the emulator served
over real HTTP on loopback, and its response models accept every answer."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import attio
import pytest
from crmbridge_attio.emulator import AttioEmulator


def values(response: Any, key: str = "values") -> dict[str, list[Any]]:
    """A response's ``values`` map, untyped: the SDK types each value as a union of all 17 types."""
    found: dict[str, list[Any]] = getattr(response.data, key)
    return found


@pytest.fixture(scope="module")
def emulator() -> AttioEmulator:
    return AttioEmulator()


@pytest.fixture(scope="module")
def sdk(emulator: AttioEmulator) -> Iterator[attio.SDK]:
    with (
        emulator.serve() as server,
        attio.SDK(oauth2=emulator.token, server_url=server.url) as client,
    ):
        yield client


def test_self_disagreement_is_the_sdks(sdk: attio.SDK) -> None:
    """The SDK's newer spec requires ``token_level`` on ``/v2/self``; the live recording
    (``cassettes/self_identify.yaml``, 2026-05) has no such key, and the recordings win: the
    emulator answers the recorded shape and this SDK call fails validation on that one key only."""
    with pytest.raises(attio.errors.ResponseValidationError) as raised:
        sdk.meta.get_v2_self()
    assert "token_level" in str(raised.value)
    assert "Field required" in str(raised.value)


def test_objects_and_attributes(sdk: attio.SDK) -> None:
    objects = sdk.objects.get_v2_objects()
    assert {o.api_slug for o in objects.data} >= {
        "people",
        "companies",
        "deals",
        "users",
        "workspaces",
    }
    attributes = sdk.attributes.get_v2_target_identifier_attributes(
        target="objects", identifier="people"
    )
    assert "email_addresses" in [a.api_slug for a in attributes.data]
    statuses = sdk.attributes.get_v2_target_identifier_attributes_attribute_statuses(
        target="objects", identifier="deals", attribute="stage"
    )
    assert statuses.data[0].title == "Discovery"


def test_record_lifecycle(sdk: attio.SDK, emulator: AttioEmulator) -> None:
    created = sdk.records.post_v2_objects_object_records(
        object="people",
        data={
            "values": {
                "name": [
                    {"first_name": "Ada", "last_name": "Lovelace", "full_name": "Ada Lovelace"}
                ],
                "email_addresses": ["ada@example.com"],
                "phone_numbers": [{"original_phone_number": "+442071234567", "country_code": "GB"}],
                "primary_location": ["1 Infinite Loop, Cupertino, CA, 95014, US"],
            }
        },
    )
    record_id = created.data.id.record_id
    assert values(created)["email_addresses"][0].email_address == "ada@example.com"

    got = sdk.records.get_v2_objects_object_records_record_id_(object="people", record_id=record_id)
    assert got.data.id.record_id == record_id

    asserted = sdk.records.put_v2_objects_object_records(
        object="people",
        matching_attribute="email_addresses",
        data={"values": {"email_addresses": ["ada@example.com"], "job_title": ["Analyst"]}},
    )
    assert asserted.data.id.record_id == record_id
    assert values(asserted)["job_title"][0].value == "Analyst"

    found = sdk.records.post_v2_objects_object_records_query(
        object="people", filter_={"email_addresses": "ada@example.com"}, limit=10
    )
    assert [r.id.record_id for r in found.data] == [record_id]

    patched = sdk.records.patch_v2_objects_object_records_record_id_(
        object="people",
        record_id=record_id,
        data={"values": {"email_addresses": ["ada@analytical.org"]}},
    )
    assert len(values(patched)["email_addresses"]) == 2
    put = sdk.records.put_v2_objects_object_records_record_id_(
        object="people",
        record_id=record_id,
        data={"values": {"email_addresses": ["ada@analytical.org"]}},
    )
    assert [v.email_address for v in values(put)["email_addresses"]] == ["ada@analytical.org"]

    history = sdk.records.get_v2_objects_object_records_record_id_attributes_attribute_values(
        object="people", record_id=record_id, attribute="email_addresses", show_historic=True
    )
    assert len(history.data) == 2

    sdk.records.delete_v2_objects_object_records_record_id_(object="people", record_id=record_id)
    assert emulator.record("people", record_id) is None


def test_deal_with_status_currency_actor_and_references(sdk: attio.SDK) -> None:
    company = sdk.records.post_v2_objects_object_records(
        object="companies",
        data={"values": {"name": ["Acme"], "domains": ["acme.com"], "categories": ["B2B", "SAAS"]}},
    )
    deal = sdk.records.post_v2_objects_object_records(
        object="deals",
        data={
            "values": {
                "name": ["Big deal"],
                "stage": ["Proposal"],
                "owner": ["ada@crmbridge.test"],
                "value": [12500.5],
                "associated_company": [
                    {"target_object": "companies", "domains": [{"domain": "acme.com"}]}
                ],
            }
        },
    )
    assert values(deal)["associated_company"][0].target_record_id == company.data.id.record_id
    again = sdk.records.get_v2_objects_object_records_record_id_(
        object="companies", record_id=company.data.id.record_id
    )
    assert values(again)["associated_deals"][0].target_record_id == deal.data.id.record_id


def test_lists_and_entries(sdk: attio.SDK, emulator: AttioEmulator) -> None:
    emulator.add_list("sdk_pipeline", "SDK pipeline", "companies")
    emulator.add_attribute("sdk_pipeline", "stage", "status", statuses=["New", "Won"])
    company = emulator.seed_record("companies", {"name": "Entry Co"})
    lists = sdk.lists.get_v2_lists()
    assert "sdk_pipeline" in [lst.api_slug for lst in lists.data]
    entry = sdk.entries.post_v2_lists_list_entries(
        list_id="sdk_pipeline",
        data={
            "parent_record_id": company,
            "parent_object": "companies",
            "entry_values": {"stage": ["New"]},
        },
    )
    entry_id = entry.data.id.entry_id
    queried = sdk.entries.post_v2_lists_list_entries_query(
        list_id="sdk_pipeline", filter_={"stage": "New"}
    )
    assert [e.id.entry_id for e in queried.data] == [entry_id]
    updated = sdk.entries.patch_v2_lists_list_entries_entry_id_(
        list_id="sdk_pipeline", entry_id=entry_id, data={"entry_values": {"stage": ["Won"]}}
    )
    assert values(updated, "entry_values")["stage"][0].status.title == "Won"
    sdk.entries.delete_v2_lists_list_entries_entry_id_(list_id="sdk_pipeline", entry_id=entry_id)
    assert emulator.entries("sdk_pipeline") == []


def test_sdk_maps_errors(sdk: attio.SDK) -> None:
    with pytest.raises(attio.errors.SDKError) as raised:
        sdk.records.get_v2_objects_object_records_record_id_(
            object="people", record_id="00000000-0000-4000-8000-000000000000"
        )
    assert raised.value.status_code == 404
    # The typed error (not SDKDefaultError) means the SDK parsed our 404 body as Attio's.
    assert type(raised.value).__name__ == "GetV2ObjectsObjectRecordsRecordIDInvalidRequestError"
    error: Any = raised.value
    assert error.data.code == "not_found"
