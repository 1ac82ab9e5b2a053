"""Signatures: a delivery whose body was changed, signed with another secret, or not signed is
refused; the right one passes whatever header spelling (issue 20 "Done when")."""

from __future__ import annotations

import pytest

from crmbridge.webhooks import SignatureRefused, sign, verify

SECRET = "s3cret-webhook-key"
BODY = b'{"webhook_id":"w","events":[]}'
NAMES = ("Attio-Signature", "X-Attio-Signature")


def test_the_right_signature_passes_in_either_header() -> None:
    verify(SECRET, BODY, {"attio-signature": sign(SECRET, BODY)}, NAMES)
    verify(SECRET, BODY, {"X-Attio-Signature": sign(SECRET, BODY).upper()}, NAMES)


@pytest.mark.parametrize(
    ("body", "headers", "reason"),
    [
        (BODY + b" ", {"Attio-Signature": sign(SECRET, BODY)}, "does not match"),
        (BODY, {"Attio-Signature": sign("another", BODY)}, "does not match"),
        (BODY, {}, "no signature"),
        (BODY, {"Attio-Signature": "zz"}, "does not match"),
        (
            BODY,
            {"Attio-Signature": sign(SECRET, BODY), "X-Attio-Signature": sign("x", BODY)},
            "does not match",
        ),
    ],
    ids=["tampered", "wrong-secret", "unsigned", "garbage", "one-of-two-wrong"],
)
def test_a_bad_delivery_is_refused(body: bytes, headers: dict[str, str], reason: str) -> None:
    with pytest.raises(SignatureRefused, match=reason) as caught:
        verify(SECRET, body, headers, NAMES)
    assert SECRET not in str(caught.value)
    assert sign(SECRET, body) not in str(caught.value)
