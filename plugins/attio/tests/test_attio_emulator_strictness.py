"""The Attio emulator's strictness suite (issue 17): for every rule, a request the real Attio
refuses is refused here with Attio's error shape. The filter-operator rules (one request per
attribute-type page) are in test_attio_emulator_filters.py ``test_filter_errors``; the provider's
side — it never sends such a request — is test_attio_strict_provider.py. Every rule and its
source is listed in docs/emulators/attio.md."""

from __future__ import annotations

import email.utils
import time
from typing import Any

import httpx
import pytest
from crmbridge_attio.emulator import AttioEmulator

PEOPLE = "/v2/objects/people/records"


@pytest.fixture
def emulator() -> AttioEmulator:
    emu = AttioEmulator()
    emu.add_attribute("people", "deal", "currency", currency="USD")
    emu.add_attribute("people", "score", "number")
    emu.add_attribute("people", "office", "location")
    emu.add_attribute("people", "desk_phone", "phone-number")
    return emu


def create(client: httpx.Client, values: dict[str, Any]) -> httpx.Response:
    return client.post(PEOPLE, json={"data": {"values": values}})


LOCATION = dict.fromkeys(
    ("line_1", "line_2", "line_3", "line_4", "locality", "region", "postcode", "country_code",
     "latitude", "longitude"),
)  # fmt: skip


@pytest.mark.parametrize(
    ("values", "path"),
    [
        # latitude/longitude are strings (spec input-value, location): a number is a 400
        ({"office": {**LOCATION, "latitude": 51.5}}, ["latitude"]),
        # ... matching the spec's patterns
        ({"office": {**LOCATION, "latitude": "91.0"}}, ["latitude"]),
        ({"office": {**LOCATION, "longitude": "-180.5"}}, ["longitude"]),
        # country_code is in the spec's ISO 3166-1 alpha-2 enum ("UK" is not; "GB" is)
        ({"office": {**LOCATION, "country_code": "UK"}}, ["country_code"]),
        (
            {"desk_phone": {"original_phone_number": "02071234567", "country_code": "XX"}},
            ["country_code"],
        ),
        # a phone object needs both keys (docs attribute-types-phone-number)
        ({"desk_phone": {"original_phone_number": "+442071234567"}}, ["country_code"]),
    ],
)
def test_values_the_spec_constrains_are_refused(
    client: httpx.Client, values: dict[str, Any], path: list[str]
) -> None:
    response = create(client, values)
    assert response.status_code == 400, response.text
    body = response.json()
    assert (body["type"], body["code"]) == ("invalid_request_error", "validation_type")
    assert [e["path"] for e in body["validation_errors"]] == [path]


@pytest.mark.parametrize(
    "amount",
    [4.99999, "4.99999", "1e3", {"currency_value": "4.99"}],
)
def test_currency_amounts_are_decimals_of_at_most_four_places(
    client: httpx.Client, amount: Any
) -> None:
    """ "We accept values with up to 4 decimal places of precision"; a string is converted
    "where possible" (a plain decimal, at the top level); the object form takes a number."""
    response = create(client, {"deal": amount})
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "validation_type"


def test_valid_forms_are_accepted_as_the_docs_show_them(client: httpx.Client) -> None:
    response = create(
        client,
        {
            "deal": "1234.5678",
            "score": 3.14159,
            "office": {**LOCATION, "country_code": "GB", "latitude": "51.5", "longitude": "-0.12"},
            "desk_phone": {"original_phone_number": "020 7123 4567", "country_code": "GB"},
            "name": "Lovelace, Ada",
        },
    )
    assert response.status_code == 200, response.text
    values = response.json()["data"]["values"]
    assert values["deal"][0]["currency_value"] == 1234.5678
    assert values["score"][0]["value"] == 3.1416  # four decimal places (docs, number)
    assert values["desk_phone"][0]["phone_number"] == "+442071234567"
    assert (values["name"][0]["first_name"], values["name"][0]["last_name"]) == ("Ada", "Lovelace")


@pytest.mark.parametrize("slug", ["twitter_follower_count", "last_interaction"])
def test_show_historic_is_refused_for_enriched_and_interaction_attributes(
    client: httpx.Client, slug: str
) -> None:
    """Spec: show_historic "cannot be set to true for COMINT attributes or enriched attributes
    on people/company objects"; without it the values are answered."""
    record = create(client, {"job_title": "CEO"}).json()["data"]["id"]["record_id"]
    path = f"{PEOPLE}/{record}/attributes/{slug}/values"
    response = client.get(path, params={"show_historic": "true"})
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "validation_type"
    assert client.get(path).status_code == 200
    assert (
        client.get(
            f"{PEOPLE}/{record}/attributes/job_title/values", params={"show_historic": "true"}
        ).status_code
        == 200
    )


def test_every_answer_carries_date_and_x_accurate_at(client: httpx.Client) -> None:
    """As every recorded answer does (cassettes/attio/*.yaml), errors and 429s included."""
    for response in (client.get("/v2/self"), client.get(f"{PEOPLE}/nope"),
                     client.post(f"{PEOPLE}/query", json={"filter": {"nope": 1}})):  # fmt: skip
        stamp = email.utils.parsedate_to_datetime(response.headers["date"]).timestamp()
        assert abs(stamp - time.time()) < 5
        assert response.headers["x-accurate-at"].endswith("Z")
    limited = AttioEmulator(rate_limits=True)
    limited.rate_limits = limited.rate_limits.scaled(0.01)  # type: ignore[union-attr]
    with limited.client() as http:
        answers = [http.get("/v2/self") for _ in range(3)]
    throttled = [r for r in answers if r.status_code == 429]
    assert throttled
    assert "date" in throttled[0].headers
    assert "retry-after" in throttled[0].headers
