"""Webhook signatures: HMAC-SHA256 of the exact body, hex, compared in constant time.

Attio signs every delivery with the webhook's secret and sends the digest in ``Attio-Signature``,
duplicated as ``X-Attio-Signature`` for legacy middleware
(https://docs.attio.com/rest-api/guides/webhooks "Authenticating"). A delivery with a wrong, a
malformed or no signature is refused; which headers to read is the provider's
(:attr:`crmbridge.Provider.webhook_signature_headers`).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping

from ..errors import AuthError
from ..provider import Secret

__all__ = ["SignatureRefused", "sign", "verify"]


class SignatureRefused(AuthError):
    """A delivery whose signature is missing or does not match its body (never processed)."""


def _key(secret: str | Secret) -> bytes:
    return (secret.reveal() if isinstance(secret, Secret) else secret).encode()


def sign(secret: str | Secret, body: bytes) -> str:
    """The hex HMAC-SHA256 of ``body`` under ``secret`` (what the CRM sends)."""
    return hmac.new(_key(secret), body, hashlib.sha256).hexdigest()


def verify(
    secret: str | Secret,
    body: bytes,
    headers: Mapping[str, str],
    names: Iterable[str],
) -> None:
    """Raise :class:`SignatureRefused` unless one of the ``names`` headers holds ``body``'s
    signature. Every header present must match: a second, different signature is a tampered
    delivery. Compared with :func:`hmac.compare_digest` (constant time); the secret and the
    expected digest never appear in the error."""
    if not isinstance(body, bytes):
        raise TypeError("verify() needs the raw body bytes, exactly as received")
    lowered = {k.lower(): v for k, v in headers.items()}
    given = [lowered[n.lower()] for n in names if n.lower() in lowered]
    if not given:
        raise SignatureRefused(
            f"webhook delivery refused: no signature header ({', '.join(names)})"
        )
    expected = sign(secret, body).encode()
    for value in given:
        if not hmac.compare_digest(value.strip().lower().encode(), expected):
            raise SignatureRefused(
                "webhook delivery refused: the signature does not match the body"
            )
