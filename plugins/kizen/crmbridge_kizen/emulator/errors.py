"""Kizen's error answers, DRF-shaped (docs/reference/kizen.md §9).

* ``{"detail": "Not found.", "code": "not_found"}`` for 401/404/405/429 (documented example
  ``error_single_detail``);
* ``{"<param>": ["This field is required."]}`` for a bad parameter;
* the positional record-write body ``{"non_field_errors": [...], "fields": [{}, {...}]}`` where entry *n*
  describes request ``fields[n]`` (``error_record_write_positional``, [SEED] ``ErrorResponse``);
* a paginated body with non-empty ``errors`` answered as 400 for a bad search (docs/reference/kizen.md §8);
* Django's HTML 404 for a path the router does not know, e.g. a trailing slash (docs/reference/kizen.md §9/§11).
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "HTML_NOT_FOUND",
    "HTML_SERVER_ERROR",
    "ApiError",
    "bad_param",
    "detail",
    "not_found",
    "search_error",
    "write_error",
]

HTML_NOT_FOUND = (
    '<!doctype html>\n<html lang="en">\n<head>\n  <title>Not Found</title>\n</head>\n<body>\n'
    "  <h1>Not Found</h1><p>The requested resource was not found on this server.</p>\n"
    "</body>\n</html>\n"
)
HTML_SERVER_ERROR = (
    '<!doctype html>\n<html lang="en">\n<head>\n  <title>Server Error (500)</title>\n</head>\n'
    "<body>\n  <h1>Server Error (500)</h1><p></p>\n</body>\n</html>\n"
)


class ApiError(Exception):
    """Raised by handlers; the router turns it into a response with ``status`` and JSON ``body``
    (or HTML when ``html`` is set)."""

    def __init__(self, status: int, body: Any = None, *, html: str | None = None) -> None:
        super().__init__(status)
        self.status = status
        self.body = body
        self.html = html


def detail(status: int, message: str, code: str) -> ApiError:
    return ApiError(status, {"detail": message, "code": code})


def not_found() -> ApiError:
    return detail(404, "Not found.", "not_found")


def bad_param(name: str, message: str = "This field is required.") -> ApiError:
    return ApiError(400, {name: [message]})


def write_error(
    field_errors: list[dict[str, Any]], non_field_errors: list[str] | None = None
) -> ApiError:
    """The positional record-write error: one entry per request field, ``{}`` when accepted."""
    body: dict[str, Any] = {
        "non_field_errors": list(non_field_errors or []),
        "fields": field_errors,
    }
    return ApiError(400, body)


def search_error(*messages: str) -> ApiError:
    """A search that cannot run: the paginated envelope with ``errors``, as HTTP 400 (docs/reference/kizen.md §8)."""
    return ApiError(
        400, {"count": 0, "next": None, "previous": None, "results": [], "errors": list(messages)}
    )
