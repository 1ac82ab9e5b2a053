"""DRF page-number pagination, as Kizen's paginated lists use it (docs/reference/kizen.md §8).

``page`` and ``page_size`` are query-string parameters; the default page size is 100 and larger
sizes are capped at 1000 (DRF's ``max_page_size`` caps silently); a page that is not a positive
integer, or is past the end, is DRF's 404 ``"Invalid page."``. The envelope is
``{count, next, previous, results, errors}`` (documented example ``paginated_envelope``) with absolute
``next``/``previous`` URLs built from the request's own URL, so they work in-process and over HTTP;
page 1's link carries no ``page`` parameter, as DRF does.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx

from .errors import detail

__all__ = ["DEFAULT_PAGE_SIZE", "MAX_PAGE_SIZE", "PageRequest"]

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000


class PageRequest:
    """The page a request asks for."""

    def __init__(self, url: httpx.URL) -> None:
        self.url = url
        params = url.params
        try:
            self.page = int(params.get("page", "1"))
        except ValueError:
            raise detail(404, "Invalid page.", "not_found") from None
        if self.page < 1:
            raise detail(404, "Invalid page.", "not_found")
        try:
            size = int(params.get("page_size", str(DEFAULT_PAGE_SIZE)))
        except ValueError:
            size = DEFAULT_PAGE_SIZE
        self.size = min(size if size >= 1 else DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)

    def window(self, count: int) -> slice:
        """The slice of ``count`` items on this page; past the end is "Invalid page."."""
        start = (self.page - 1) * self.size
        if self.page > 1 and start >= count:
            raise detail(404, "Invalid page.", "not_found")
        return slice(start, start + self.size)

    def envelope(self, count: int, results: Sequence[Any]) -> dict[str, Any]:
        page, url = self.page, self.url
        nxt = str(url.copy_set_param("page", str(page + 1))) if page * self.size < count else None
        if page <= 1:
            prev = None
        elif page == 2:
            prev = str(url.copy_remove_param("page"))
        else:
            prev = str(url.copy_set_param("page", str(page - 1)))
        return {
            "count": count,
            "next": nxt,
            "previous": prev,
            "results": list(results),
            "errors": [],
        }
