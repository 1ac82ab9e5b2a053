"""The crmbridge exception tree (docs/design.md §5).

Every error a provider raises is one of these, whatever the CRM said, so that code written for one
CRM handles the others::

    CRMError                      base: provider, status, code, request_id, raw body
    ├── ConfigError               bad configuration: unknown provider, missing credentials
    ├── TransportError            network failure or timeout; no answer from the CRM
    ├── RateLimited               429; retry_after in seconds (from Retry-After, seconds or HTTP-date)
    ├── AuthError                 401: the credentials were refused
    ├── PermissionDenied          403: authenticated, but not allowed
    ├── NotFound                  404: no such record, object, field or endpoint (also a LookupError)
    ├── ValidationError           the input is wrong; field_errors name field, value, expectation
    │                             (also a ValueError); raised before any request where possible
    ├── Conflict                  uniqueness conflict, archived-record conflict, ambiguous match
    ├── Unsupported               the provider cannot do this (and says so in its Capabilities)
    └── ProviderError             anything else the CRM answered: 5xx, malformed bodies, unknown codes

Messages, reprs and ``str()`` never contain credentials: errors are built from response bodies and
redacted request summaries only (see :mod:`crmbridge.http`). ``raw`` keeps the body as the CRM sent it
(parsed JSON where it was JSON, text otherwise) so nothing is lost.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import attrs

__all__ = [
    "AuthError",
    "CRMError",
    "ConfigError",
    "Conflict",
    "FieldError",
    "NotFound",
    "PermissionDenied",
    "ProviderError",
    "RateLimited",
    "TransportError",
    "Unsupported",
    "ValidationError",
    "did_you_mean",
]


@attrs.frozen
class FieldError:
    """One problem with one field: which field, the value given, what was wrong, what was expected.

    ``path`` keeps the CRM's own path to the problem when it gives one (Attio's zod ``path``).
    """

    field: str | None
    message: str
    value: Any = None
    expected: str | None = None
    code: str | None = None
    path: tuple[str | int, ...] = ()

    def __str__(self) -> str:
        where = self.field or ".".join(str(p) for p in self.path) or "(request)"
        text = f"{where}: {self.message}"
        if self.value is not None:
            try:
                got = repr(self.value)
            except RecursionError:  # a hostile value nested deeper than repr recurses
                got = f"a {type(self.value).__name__} nested too deeply to show"
            text += f" (got {got[:200]})"
        if self.expected:
            text += f"; expected {self.expected}"
        return text


class CRMError(Exception):
    """Base of every crmbridge error.

    Attributes: ``provider`` (name), ``status`` (HTTP status or ``None``), ``code`` (the CRM's error
    code), ``request_id`` (Attio ``x-attio-execution-id``, Kizen ``X-Request-ID``), ``raw`` (the body),
    ``request`` (a redacted ``"METHOD url"`` summary).
    """

    def __init__(
        self,
        message: str,
        *,
        provider: str | None = None,
        status: int | None = None,
        code: str | None = None,
        request_id: str | None = None,
        raw: Any = None,
        request: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.provider = provider
        self.status = status
        self.code = code
        self.request_id = request_id
        self.raw = raw
        self.request = request

    def __str__(self) -> str:
        parts = [self.message]
        details = []
        if self.provider:
            details.append(self.provider)
        if self.status is not None:
            details.append(str(self.status))
        if self.code:
            details.append(self.code)
        if self.request:
            details.append(self.request)
        if self.request_id:
            details.append(f"request id {self.request_id}")
        if details:
            parts.append(f"[{', '.join(details)}]")
        return " ".join(parts)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.message!r}, status={self.status!r}, code={self.code!r})"
        )


class ConfigError(CRMError):
    """The configuration is wrong: unknown provider, missing or malformed credentials or options."""


class TransportError(CRMError):
    """The request got no answer: connection refused or dropped, DNS, TLS, timeout."""


class RateLimited(CRMError):
    """The CRM answered 429. ``retry_after`` is how long it asked us to wait, in seconds."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.retry_after = retry_after


class AuthError(CRMError):
    """The credentials were refused (401)."""


class PermissionDenied(CRMError):
    """Authenticated, but not allowed to do this (403)."""


class NotFound(CRMError, LookupError):
    """No such record, object, field or endpoint (404)."""


class ValidationError(CRMError, ValueError):
    """The input is wrong. ``field_errors`` lists each problem by field."""

    def __init__(self, message: str, *, field_errors: Sequence[FieldError] = (), **kw: Any) -> None:
        super().__init__(message, **kw)
        self.field_errors = tuple(field_errors)

    def __str__(self) -> str:
        base = super().__str__()
        if not self.field_errors:
            return base
        lines = "\n".join(f"  - {e}" for e in self.field_errors)
        return f"{base}\n{lines}"


class Conflict(CRMError):
    """A uniqueness conflict, a conflict with an archived record, an ambiguous match, or a
    concurrent write (Kizen 409)."""


class Unsupported(CRMError, NotImplementedError):
    """The provider cannot do this natively and does not emulate it (see ``Capabilities``)."""


class ProviderError(CRMError):
    """Any other answer from the CRM: 5xx, an unknown error code, a body crmbridge cannot read."""


def did_you_mean(name: str, candidates: Iterable[str], *, cutoff: float = 0.6) -> str:
    """``"; did you mean 'email', 'emails'?"`` when some of ``candidates`` are spelled like
    ``name``, else ``""``: the hint every "unknown field / option / zone" message ends with."""
    import difflib

    close = difflib.get_close_matches(name, list(candidates), n=3, cutoff=cutoff)
    return f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
