"""Attio error bodies → the crmbridge error tree (docs/reference/attio.md §5; recordings/attio/errors).

Pure, like the rest of the codec (which re-exports :func:`decode_error`): the provider hands in the
status, the parsed body (or its text when it is not JSON), the request id and ``Retry-After``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from crmbridge import (
    AuthError,
    Conflict,
    CRMError,
    FieldError,
    NotFound,
    PermissionDenied,
    ProviderError,
    RateLimited,
    ValidationError,
)

__all__ = ["ERRORS_BY_CODE", "decode_error"]

PROVIDER = "attio"

#: Attio error ``code`` → crmbridge error (docs/reference/attio.md §5; recordings/attio/errors/*).
#: Codes not listed fall back on the HTTP status (:data:`_BY_STATUS`).
ERRORS_BY_CODE: Mapping[str, type[CRMError]] = {
    "validation_type": ValidationError,
    "value_not_found": ValidationError,
    "missing_value": ValidationError,
    "filter_error": ValidationError,
    "immutable_value": ValidationError,
    "system_edit_unauthorized": ValidationError,
    "self_merge": ValidationError,
    "matching_attribute_definition_not_unique": ValidationError,
    "uniqueness_conflict": Conflict,
    "multiple_match_results": Conflict,
    "slug_conflict": Conflict,
    "unauthorized": AuthError,
    "billing_error": PermissionDenied,
    "quota_exceeded": PermissionDenied,
    "not_found": NotFound,
    "rate_limit_exceeded": RateLimited,
}
_BY_STATUS: Mapping[int, type[CRMError]] = {
    400: ValidationError,
    401: AuthError,
    403: PermissionDenied,
    404: NotFound,
    409: Conflict,
    429: RateLimited,
}
_SLUG_IN_MESSAGE = re.compile(r'attribute with slug "([^"]+)"')


def _field_errors(body: Mapping[str, Any]) -> list[FieldError]:
    """``validation_errors`` (zod style) as :class:`FieldError`\\ s. The field is the attribute slug
    after ``data.values`` in the path, or the slug the message names
    (rbeene_400_validation_type_personal_name.json), or the first path element."""
    found = body.get("validation_errors")
    if not isinstance(found, list):
        return []
    named = _SLUG_IN_MESSAGE.search(str(body.get("message", "")))
    out = []
    for item in found:
        if not isinstance(item, Mapping):
            continue
        path = tuple(p for p in (item.get("path") or ()) if isinstance(p, str | int))
        if path[:2] in (("data", "values"), ("data", "entry_values")) and len(path) > 2:
            field: str | None = str(path[2])
        elif named:
            field = named.group(1)
        else:
            field = str(path[0]) if path else None
        expected = item.get("expected")
        options = item.get("options")
        if options and not expected:
            expected = "one of " + ", ".join(str(o) for o in options)
        out.append(
            FieldError(
                field=field,
                message=str(item.get("message") or "invalid"),
                value=item.get("received"),
                expected=str(expected) if expected is not None else None,
                code=item.get("code"),
                path=path,
            )
        )
    return out


def decode_error(
    status: int,
    body: Any,
    *,
    request_id: str | None = None,
    retry_after: float | None = None,
    request: str | None = None,
) -> CRMError:
    """An Attio error body ``{status_code, type, code, message, validation_errors?}`` as the
    right exception of the core tree, keeping code, message, field paths, status, request id
    (``x-attio-execution-id``) and the body. A body that is not Attio's JSON becomes a
    :class:`ProviderError` with the text (HTML from a proxy, a truncated body)."""
    common: dict[str, Any] = {
        "provider": PROVIDER,
        "status": status,
        "request_id": request_id,
        "request": request,
        "raw": body,
    }
    if not isinstance(body, Mapping):
        text = body if isinstance(body, str) else repr(body)
        snippet = " ".join(text.split())[:200]
        message = f"Attio answered HTTP {status} with a body that is not JSON: {snippet!r}"
        if status == 429:
            return RateLimited(message, retry_after=retry_after, **common)
        return ProviderError(message, **common)
    code = body.get("code") if isinstance(body.get("code"), str) else None
    message = str(body.get("message") or f"Attio answered HTTP {status}")
    cls: type[CRMError] = ERRORS_BY_CODE.get(code or "") or _BY_STATUS.get(status, ProviderError)
    if status >= 500:
        cls = ProviderError
    common["code"] = code
    if cls is RateLimited:
        return RateLimited(message, retry_after=retry_after, **common)
    if cls is ValidationError:
        return ValidationError(message, field_errors=_field_errors(body), **common)
    return cls(message, **common)
