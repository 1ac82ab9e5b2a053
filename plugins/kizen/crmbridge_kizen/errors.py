"""Kizen error answers → the crmbridge error tree (docs/reference/kizen.md §9). Pure.

DRF shapes: ``{"detail", "code"}``; ``{"<field>": ["msg"]}`` and the detailed
``{"<field>": [{"message", "code"}]}``; record writes' ``{"non_field_errors": [...],
"fields": [{}, {...}]}`` whose entry *n* is about request ``fields[n]``; and bodies that are not JSON
at all (an HTML 404 for a wrong path, a truncated body).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from crmbridge import (
    AuthError,
    Conflict,
    CRMError,
    FieldError,
    PermissionDenied,
    ProviderError,
    RateLimited,
    ValidationError,
)
from crmbridge.http import error_class_for_status

__all__ = ["PROVIDER", "bad_payload", "decode_error"]

PROVIDER = "kizen"


def bad_payload(what: str, value: Any) -> ProviderError:
    """A Kizen answer crmbridge cannot read: a :class:`~crmbridge.ProviderError` saying what."""
    return ProviderError(f"kizen sent {what} crmbridge cannot read: {value!r}", provider=PROVIDER)


#: Codes that make a 400 a :class:`~crmbridge.Conflict` (uniqueness, docs/reference/kizen.md §9).
_CONFLICT_CODES = frozenset({"unique", "conflict"})
#: DRF's uniqueness wording ("<model> with this <field> already exists.", UniqueValidator's
#: default message; Kizen is a DRF API, docs/reference/kizen.md §9). Record writes answer it without a code,
#: in the positional body; the archived-record conflict (``unarchive: prompt``, body UNCONFIRMED,
#: docs/reference/kizen.md §6) is read the same way when it says so.
_UNIQUE_MESSAGE = re.compile(r"\bwith this\b.*\balready exists\b", re.IGNORECASE | re.DOTALL)
#: An archived record holds the identity (``prompt``; docs/reference/kizen.md §6, §7): "An archived contact
#: matches …", "An archived … already exists" (wording UNCONFIRMED: matched loosely).
_ARCHIVED_MESSAGE = re.compile(r"\barchived\b.*\b(matches|already exists|conflicts?)\b",
                               re.IGNORECASE | re.DOTALL)  # fmt: skip
_WRITE_KEYS = ("value", "add_values", "remove_values", "id", "name")


def _messages(raw: Any) -> list[tuple[str, str | None]]:
    """DRF messages as ``(text, code)``: ``["msg"]``, ``[{"message", "code"}]``, ``"msg"``."""
    if isinstance(raw, str):
        return [(raw, None)]
    if isinstance(raw, Mapping):
        if "message" in raw:
            return [(str(raw["message"]), raw.get("code"))]
        out: list[tuple[str, str | None]] = []
        for k, v in raw.items():
            out.extend((f"{k}: {t}", c) for t, c in _messages(v))
        return out
    if isinstance(raw, list):
        return [m for item in raw for m in _messages(item)]
    return [(str(raw), None)]


def _slug_of(entry: Mapping[str, Any], field_slugs: Mapping[str, str]) -> str | None:
    if isinstance(entry.get("name"), str):
        return str(entry["name"])
    fid = entry.get("id")
    if isinstance(fid, str):
        return field_slugs.get(fid, fid)
    return None


def _field_errors(
    body: Mapping[str, Any],
    request_fields: Sequence[Mapping[str, Any]],
    field_slugs: Mapping[str, str],
) -> list[FieldError]:
    errors: list[FieldError] = []
    for text, code in _messages(body.get("non_field_errors") or []):
        errors.append(FieldError(None, text, code=code))
    # a paginated answer with errors is a 400 (docs/reference/kizen.md §8): its "errors" are the messages
    if "results" in body:
        return errors + [FieldError(None, t, code=c) for t, c in _messages(body.get("errors"))]
    positional = body.get("fields")
    if isinstance(positional, list):
        # Entry n describes request fields[n]; {} means accepted (docs/reference/kizen.md §9, app-engine).
        for i, entry in enumerate(positional):
            if isinstance(entry, str):  # DRF's plain form: "fields": ["This field is required."]
                errors.append(FieldError("fields", entry))
                continue
            if not isinstance(entry, Mapping) or not entry:
                continue
            sent = request_fields[i] if i < len(request_fields) else {}
            slug = _slug_of(sent, field_slugs) if sent else None
            for part, raw in entry.items():
                value = sent.get(part) if part in _WRITE_KEYS[:3] else None
                for text, code in _messages(raw):
                    errors.append(FieldError(slug or f"fields[{i}]", text, value=value, code=code,
                                             path=("fields", i, str(part))))  # fmt: skip
    elif positional is not None:
        errors.extend(FieldError("fields", t, code=c) for t, c in _messages(positional))
    for key, raw in body.items():
        if key in ("non_field_errors", "fields", "detail", "code"):
            continue
        errors.extend(FieldError(str(key), t, code=c) for t, c in _messages(raw))
    return errors


def decode_error(
    status: int,
    body: Mapping[str, Any] | list[Any] | str,
    *,
    request_fields: Sequence[Mapping[str, Any]] = (),
    field_slugs: Mapping[str, str] | None = None,
    retry_after: float | None = None,
    request_id: str | None = None,
) -> CRMError:
    """The crmbridge error for a Kizen error answer (docs/reference/kizen.md §9).

    * ``{"detail", "code"}`` (DRF): the detail is the message, the code is kept.
    * ``{"<field>": ["msg"]}`` and ``{"<field>": [{"message", "code"}]}``: one field error each.
    * Record writes: ``{"non_field_errors": [...], "fields": [{}, {...}]}`` whose entry *n* is about
      request ``fields[n]``: zipped back to the slug named there (``request_fields``, with
      ``field_slugs`` mapping field UUIDs to api_names for id-keyed writes).
    * A body that is not JSON (an HTML 404 for a wrong path, a truncated body): a
      :class:`~crmbridge.ProviderError` with the raw text, except 401/403/429 whose meaning does
      not depend on the body.

    Status → class: 400 ValidationError (Conflict for ``unique``), 401 AuthError, 403
    PermissionDenied, 404 NotFound, 409 Conflict (``conflict``: concurrent archive/write),
    429 RateLimited (``retry_after``), anything else ProviderError.
    """
    slugs = field_slugs or {}
    cls = error_class_for_status(status)  # the core's one status table (docs/design.md §5)
    common: dict[str, Any] = {"provider": PROVIDER, "status": status, "request_id": request_id}
    if isinstance(body, str):
        if cls not in (AuthError, PermissionDenied, RateLimited):
            cls = ProviderError
        excerpt = " ".join(re.sub(r"<[^>]*>", " ", body).split())[:120]
        message = f"kizen answered HTTP {status} with a body that is not JSON"
        if excerpt:
            message += f": {excerpt!r}"
        if status == 404:
            message += " (an HTML 404 usually means the path does not exist, e.g. a trailing slash)"
        return _build(cls, message, raw=body, retry_after=retry_after, **common)
    original = body
    if isinstance(body, list):
        body = {"non_field_errors": body}
    errors = _field_errors(body, request_fields, slugs)
    code = body.get("code") if isinstance(body.get("code"), str) else None
    codes = {e.code for e in errors if e.code}
    if code is None and len(codes) == 1:
        code = next(iter(codes))
    if cls is ValidationError and not codes & _CONFLICT_CODES:
        for pattern, implied in ((_ARCHIVED_MESSAGE, "archived_conflict"),
                                 (_UNIQUE_MESSAGE, "unique")):  # fmt: skip
            if any(pattern.search(e.message) for e in errors):
                codes.add("conflict")
                code = code or implied
                break
    if cls is ValidationError and codes & _CONFLICT_CODES:
        cls = Conflict
    detail = body.get("detail")
    if detail is not None:
        message = "; ".join(t for t, _ in _messages(detail))
    elif errors and errors[0].field is None:
        message = errors[0].message  # the first non_field_errors entry
    elif errors:
        named = ", ".join(dict.fromkeys(str(e.field) for e in errors))
        message = f"kizen rejected {named}"
    else:
        message = f"kizen answered HTTP {status}"
    return _build(cls, message, raw=original, field_errors=errors, code=code,
                  retry_after=retry_after, **common)  # fmt: skip


def _build(
    cls: type[CRMError],
    message: str,
    *,
    field_errors: Sequence[FieldError] = (),
    retry_after: float | None = None,
    **kw: Any,
) -> CRMError:
    if cls is ValidationError:
        return ValidationError(message, field_errors=field_errors, **kw)
    if cls is RateLimited:
        return RateLimited(message, retry_after=retry_after, **kw)
    if field_errors and cls is not ValidationError:
        # the message is often the first error itself (an archived conflict): said once
        more = [str(e) for e in field_errors[:5] if e.message != message]
        if more:
            message += "; " + "; ".join(more)
    return cls(message, **kw)
