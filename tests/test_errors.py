"""The error tree."""

from __future__ import annotations

import crmbridge as cb


def test_tree() -> None:
    for cls in (
        cb.ConfigError,
        cb.TransportError,
        cb.RateLimited,
        cb.AuthError,
        cb.PermissionDenied,
        cb.NotFound,
        cb.ValidationError,
        cb.Conflict,
        cb.Unsupported,
        cb.ProviderError,
    ):
        assert issubclass(cls, cb.CRMError)
    assert issubclass(cb.NotFound, LookupError)
    assert issubclass(cb.ValidationError, ValueError)


def test_message_carries_context() -> None:
    err = cb.ValidationError(
        "bad",
        provider="attio",
        status=400,
        code="validation_type",
        request_id="exec-1",
        request="POST https://api.attio.com/v2/objects/people/records",
        field_errors=[cb.FieldError("name", "Required", expected="string", path=("first_name",))],
    )
    text = str(err)
    for part in ("bad", "attio", "400", "validation_type", "exec-1", "name: Required", "string"):
        assert part in text
    assert repr(err) == "ValidationError('bad', status=400, code='validation_type')"


def test_rate_limited_keeps_retry_after() -> None:
    assert cb.RateLimited("slow", retry_after=2.5).retry_after == 2.5
