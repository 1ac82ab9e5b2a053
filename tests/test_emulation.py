"""The emulator base: a raw client on any emulator, with or without its credentials."""

from __future__ import annotations

import pytest

from crmbridge.plugins import get_provider


@pytest.mark.parametrize(
    ("provider", "path"), [("attio", "/v2/objects"), ("kizen", "/api/custom-objects")]
)
def test_client_talks_to_the_emulator_with_its_credentials(provider: str, path: str) -> None:
    emulator = get_provider(provider).create_emulator()
    with emulator.client() as http:
        assert http.get(path).status_code == 200
    with emulator.client(auth=False) as http:
        assert http.get(path).status_code in (401, 403)
    with emulator.client(headers={"X-Test": "1"}) as http:
        assert http.headers["X-Test"] == "1"
        assert http.get(path).status_code == 200  # the credentials are still there
