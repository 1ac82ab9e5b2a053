"""Attio's error bodies, raised by the handlers and turned into responses in one place.

Shape ``{status_code, type, code, message}`` plus ``validation_errors`` for ``validation_type``
(docs/reference/attio.md §5; recordings ``errors/rbeene_400_validation_type_*.json``,
``errors/rbeene_401_auth_error.json``, ``errors/rbeene_404_not_found_endpoint.json``). Message
templates are the spec's own examples (``attio-openapi.json`` error responses) where it has one.
"""

from __future__ import annotations

from typing import Any

__all__ = ["AttioError", "filter_error", "invalid_value", "not_found", "value_not_found"]


class AttioError(Exception):
    """An Attio error answer; :meth:`body` is the JSON that the API sends."""

    def __init__(
        self,
        status_code: int,
        type_: str,
        code: str,
        message: str,
        validation_errors: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.type = type_
        self.code = code
        self.message = message
        self.validation_errors = validation_errors

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "status_code": self.status_code,
            "type": self.type,
            "code": self.code,
            "message": self.message,
        }
        if self.validation_errors is not None:
            body["validation_errors"] = self.validation_errors
        return body


def bad_request(code: str, message: str) -> AttioError:
    """A 400 ``invalid_request_error`` (every 400 code in the spec uses that type)."""
    return AttioError(400, "invalid_request_error", code, message)


def not_found(message: str) -> AttioError:
    """404 ``not_found`` (spec: ``Record with ID "…" not found.`` and friends)."""
    return AttioError(404, "invalid_request_error", "not_found", message)


def slug_conflict(message: str) -> AttioError:
    """409 ``slug_conflict``: a slug or title another object, attribute or option has (spec)."""
    return AttioError(409, "invalid_request_error", "slug_conflict", message)


def value_not_found(message: str) -> AttioError:
    return bad_request("value_not_found", message)


def filter_error(message: str) -> AttioError:
    """400 ``filter_error`` (spec example message ``Error in filter.``)."""
    return bad_request("filter_error", message)


def invalid_value(slug: str, errors: list[dict[str, Any]]) -> AttioError:
    """400 ``validation_type`` for one attribute, as recorded in
    ``errors/rbeene_400_validation_type_personal_name.json``."""
    return AttioError(
        400,
        "invalid_request_error",
        "validation_type",
        f'An invalid value was passed to attribute with slug "{slug}".',
        errors,
    )


def body_invalid(errors: list[dict[str, Any]]) -> AttioError:
    """400 ``validation_type`` for the request body (``rbeene_400_validation_type_missing_values``)."""
    return AttioError(
        400, "invalid_request_error", "validation_type", "Body payload validation error.", errors
    )


def zod(
    code: str,
    path: list[str | int],
    message: str,
    **extra: Any,
) -> dict[str, Any]:
    """One zod-style ``validation_errors`` item (``{code, path, message, expected?, received?}``)."""
    return {"code": code, "path": path, "message": message, **extra}


def required(path: list[str | int], expected: str) -> dict[str, Any]:
    """The zod item for a missing key, exactly as recorded (``Required``/``undefined``)."""
    return zod("invalid_type", path, "Required", expected=expected, received="undefined")


def type_name(value: Any) -> str:
    """The zod name of a JSON value's type (``received``)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"
