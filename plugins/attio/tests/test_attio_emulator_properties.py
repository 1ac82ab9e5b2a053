"""Property-based checks (hypothesis) of the Attio emulator's invariants: whatever sequence of
writes a client sends, a unique attribute never holds the same value on two records and its index
agrees with the records; a refused write changes nothing; ``$not`` partitions the records; and no
body, however wrong, crashes the emulator: every answer is a 2xx/4xx in Attio's shapes."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import httpx
from crmbridge_attio.emulator import AttioEmulator
from crmbridge_attio.emulator.ids import parse_date, parse_timestamp
from crmbridge_attio.emulator.values import identity
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

EMAILS = st.sampled_from([f"u{i}@example.com" for i in range(6)])
OPERATION = st.tuples(
    st.sampled_from(["create", "patch", "put", "assert", "delete"]),
    st.integers(min_value=0, max_value=5),
    st.lists(EMAILS, min_size=0, max_size=3),
    st.sampled_from(["B2B", "B2C", "SAAS", "Nope"]),
)


def _client(emulator: AttioEmulator) -> httpx.Client:
    return emulator.client()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(OPERATION, min_size=1, max_size=25))
def test_unique_values_stay_unique(operations: list[tuple[str, int, list[str], str]]) -> None:
    emulator = AttioEmulator()
    emulator.add_attribute("people", "segment", "select", options=["B2B", "B2C", "SAAS"])
    with _client(emulator) as http:
        for kind, pick, emails, segment in operations:
            records = emulator.records("people")
            target = records[pick % len(records)]["id"]["record_id"] if records else None
            values: dict[str, Any] = {"email_addresses": emails, "segment": segment}
            before = json.dumps(emulator.records("people"), sort_keys=True)
            if kind == "create":
                response = http.post(
                    "/v2/objects/people/records", json={"data": {"values": values}}
                )
            elif kind == "assert":
                response = http.put(
                    "/v2/objects/people/records",
                    params={"matching_attribute": "email_addresses"},
                    json={"data": {"values": values}},
                )
            elif target is None:
                continue
            elif kind == "delete":
                response = http.delete(f"/v2/objects/people/records/{target}")
            else:
                method = "PATCH" if kind == "patch" else "PUT"
                response = http.request(
                    method,
                    f"/v2/objects/people/records/{target}",
                    json={"data": {"values": values}},
                )
            if response.status_code != 200:
                assert response.status_code == 400
                assert json.dumps(emulator.records("people"), sort_keys=True) == before
        owners: dict[str, str] = {}
        for record in emulator.records("people"):
            for value in record["values"]["email_addresses"]:
                assert value["email_address"] not in owners
                owners[value["email_address"]] = record["id"]["record_id"]
        obj = emulator.workspace.objects["people"]
        index = emulator.workspace.table(obj).index(obj.attributes["email_addresses"])
        assert index == {
            identity("email-address", {"email_address": e}): r for e, r in owners.items()
        }


FILTERS = st.recursive(
    st.one_of(
        st.builds(
            lambda n: {"name": {"first_name": {"$starts_with": n}}},
            st.sampled_from(["A", "G", "L", "x"]),
        ),
        st.builds(lambda s: {"score": {"$gte": s}}, st.integers(0, 6)),
        st.builds(lambda c: {"categories": c}, st.sampled_from(["B2B", "SAAS"])),
        st.just({"job_title": {"$starts_with": "C"}}),
    ),
    lambda inner: st.one_of(
        st.builds(lambda xs: {"$and": xs}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda xs: {"$or": xs}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda x: {"$not": x}, inner),
    ),
    max_leaves=6,
)

_FILTER_EMULATOR = AttioEmulator()
_FILTER_EMULATOR.add_attribute("people", "score", "number")
_FILTER_EMULATOR.add_attribute(
    "people", "categories", "select", is_multiselect=True, options=["B2B", "SAAS"]
)
for _i, (_first, _score, _cats, _job) in enumerate(
    [
        ("Ada", 5, ["B2B"], "CEO"),
        ("Grace", 3, [], None),
        ("Linus", None, ["SAAS", "B2B"], "Dev"),
        ("Alan", 0, ["SAAS"], None),
    ]
):
    _values: dict[str, Any] = {
        "name": {"first_name": _first, "last_name": "X", "full_name": f"{_first} X"},
        "categories": _cats,
    }
    if _score is not None:
        _values["score"] = _score
    if _job:
        _values["job_title"] = _job
    _FILTER_EMULATOR.seed_record("people", _values)


@settings(max_examples=80, deadline=None)
@given(FILTERS)
def test_not_partitions_the_records(filter_: dict[str, Any]) -> None:
    with _client(_FILTER_EMULATOR) as http:

        def ids(body: dict[str, Any]) -> set[str]:
            response = http.post("/v2/objects/people/records/query", json=body)
            assert response.status_code == 200, response.text
            return {r["id"]["record_id"] for r in response.json()["data"]}

        everything = ids({})
        matched = ids({"filter": filter_})
        rest = ids({"filter": {"$not": filter_}})
        assert matched | rest == everything
        assert not matched & rest


_WORDS = [
    "",
    "a",
    "B2B",
    "Proposal",
    "acme.com",
    "a@b.co",
    "+14155550100",
    "2023-01-01",
    "$eq",
    "$in",
    "$not",
    "name",
    "value",
    "path",
    "companies",
    "people",
    "team",
    "asc",
    "attribute",
]
_KEYS = [
    "name",
    "email_addresses",
    "domains",
    "categories",
    "stage",
    "company",
    "team",
    "primary_location",
    "phone_numbers",
    "$eq",
    "$in",
    "$not",
    "$and",
    "$or",
    "$contains",
    "$lt",
    "$not_empty",
    "path",
    "constraints",
    "value",
    "first_name",
    "option",
    "target_record_id",
    "target_object",
    "direction",
    "attribute",
    "field",
    "values",
    "data",
    "filter",
    "sorts",
    "limit",
    "offset",
    "full_name",
    "last_name",
    "line_1",
]
JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-5, 5)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from(_WORDS),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(_KEYS), inner, max_size=4)
    ),
    max_leaves=12,
)
_FUZZ_EMULATOR = AttioEmulator(seed="demo", demo_size=30)
_ROUTES = [
    ("POST", "/v2/objects/companies/records/query"),
    ("POST", "/v2/objects/people/records/query"),
    ("POST", "/v2/objects/companies/records"),
    ("POST", "/v2/objects/deals/records"),
    ("PUT", "/v2/objects/people/records?matching_attribute=email_addresses"),
    ("POST", "/v2/lists/sales_pipeline/entries/query"),
    ("POST", "/v2/lists/sales_pipeline/entries"),
    ("POST", "/v2/objects/companies/attributes"),
    ("POST", "/v2/objects/records/search"),
]


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.sampled_from(_ROUTES), JSON, st.sampled_from(["raw", "values", "query"]))
def test_no_body_crashes_the_emulator(route: tuple[str, str], body: Any, wrap: str) -> None:
    method, path = route
    if wrap == "values":
        body = {"data": {"values": body}}
    elif wrap == "query":
        body = {"filter": body, "sorts": body if isinstance(body, list) else None}
    with _client(_FUZZ_EMULATOR) as http:
        response = http.request(method, path, json=body)
    assert response.status_code in (200, 400, 404, 409), response.text
    expected = (
        {"data"} if response.status_code == 200 else {"status_code", "type", "code", "message"}
    )
    assert set(response.json()) >= expected


@settings(max_examples=200, deadline=None)
@given(
    st.datetimes(
        min_value=datetime(1900, 1, 2),
        max_value=datetime(9999, 12, 30),
        timezones=st.sampled_from(
            [timezone(timedelta(minutes=m)) for m in (-600, -330, 0, 345, 840)]
        ),
    )
)
def test_timestamps_are_coerced_to_utc_with_nine_digits(moment: datetime) -> None:
    """Spec ``output-value`` timestamp: any offset is converted to UTC, nanosecond width, ``Z``;
    a date keeps the UTC calendar day."""
    utc = moment.astimezone(UTC)
    expected = utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond:06d}000Z"
    assert parse_timestamp(moment.isoformat()) == expected
    assert parse_date(moment.isoformat()) == utc.date().isoformat()
