"""The ``attio`` SDK from PyPI against ``crmbridge emulate attio``: the command users run, in a
process of its own, with a token of our choosing."""

from __future__ import annotations

import attio
import pytest

from crmbridge.testing.processes import served_emulator

TOKEN = "sdk-test-token-" + "0123456789abcdef" * 3 + "0"


def test_sdk_create_get_assert_query_update_delete() -> None:
    with (
        served_emulator("attio", "--token", TOKEN) as url,
        attio.SDK(oauth2=TOKEN, server_url=url) as sdk,
    ):
        created = sdk.records.post_v2_objects_object_records(
            object="companies", data={"values": {"name": ["Acme"], "domains": ["acme.example"]}}
        )
        rid = created.data.id.record_id
        assert (
            sdk.records.get_v2_objects_object_records_record_id_(
                object="companies", record_id=rid
            ).data.id.record_id
            == rid
        )
        asserted = sdk.records.put_v2_objects_object_records(
            object="companies",
            matching_attribute="domains",
            data={"values": {"domains": ["acme.example"], "description": ["Anvils"]}},
        )
        assert asserted.data.id.record_id == rid
        found = sdk.records.post_v2_objects_object_records_query(
            object="companies", filter_={"domains": "acme.example"}, limit=5
        )
        assert [r.id.record_id for r in found.data] == [rid]
        patched = sdk.records.patch_v2_objects_object_records_record_id_(
            object="companies", record_id=rid, data={"values": {"name": ["Acme Corp"]}}
        )
        assert patched.data.values["name"][0].value == "Acme Corp"
        sdk.records.delete_v2_objects_object_records_record_id_(object="companies", record_id=rid)
        with pytest.raises(attio.errors.SDKError) as gone:
            sdk.records.get_v2_objects_object_records_record_id_(object="companies", record_id=rid)
        assert gone.value.status_code == 404
    with (
        served_emulator("attio", "--token", TOKEN) as url,
        attio.SDK(oauth2="wrong" * 13, server_url=url) as bad,
    ):
        with pytest.raises(attio.errors.SDKError) as refused:
            bad.objects.get_v2_objects()
        assert refused.value.status_code == 401
