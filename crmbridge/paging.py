"""Bounds on pagination, whatever the CRM: a hostile or broken server cannot make a read loop
for ever or end it early in silence.

Issue 15 ("hostile answers stay bounded"): a Kizen ``next`` link pointing back to a page already
read yielded 836 records from 30 and never ended; a ``next`` that was not a string ended the
read silently after 5 of 30. Providers read their CRM's page shape (the plugin owns it) and hand
the link and the announced total to :class:`PageGuard`, which owns the cross-CRM rules:

* a link must be a string (or absent / ``null`` on the last page), else :class:`ProviderError`;
* a link (or cursor) seen before in the same read is a cycle: :class:`ProviderError`;
* more rows than the largest total the server announced is a cycle too (the largest, so records
  deleted while paging never trip it);
* a page that starts with the record another page started with is a repeat: it catches a server
  that ignores the offset (Attio's cursors are offsets, which never repeat themselves).
"""

from __future__ import annotations

import json
from typing import Any

from .errors import ProviderError

__all__ = ["PageGuard", "next_link"]


def next_link(value: Any, *, provider: str) -> str | None:
    """``value`` as the link to the next page: ``None`` when there is none (absent, ``null`` or
    empty), the string itself, else a :class:`ProviderError` — a malformed link must not end a
    read as if it were the last page."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value
    raise ProviderError(
        f"{provider} answered a page whose link to the next page is not a link: {value!r:.80}",
        provider=provider,
        code="malformed_page",
        raw=value,
    )


class PageGuard:
    """One read's pages: call :meth:`step` once per page, in order."""

    def __init__(self, provider: str) -> None:
        self.provider = provider
        self.rows = 0
        self.total: int | None = None
        self._seen: set[str] = set()
        self._firsts: set[str] = set()

    def step(self, cursor: Any, *, rows: int, total: Any = None, first: str | None = None) -> None:
        """Account for a page of ``rows`` rows whose next cursor is ``cursor`` (``None``: last
        page), whose answer announced ``total`` rows in all (``None``: not said) and whose first
        record has the id ``first``."""
        if first is not None:
            if first in self._firsts:
                raise ProviderError(
                    f"{self.provider} sent a page starting with record {first} again: its pages "
                    "repeat, reading stopped",
                    provider=self.provider,
                    code="pagination_cycle",
                )
            self._firsts.add(first)
        self.rows += rows
        if isinstance(total, int) and not isinstance(total, bool) and total >= 0:
            self.total = total if self.total is None else max(self.total, total)
        if self.total is not None and self.rows > self.total:
            raise ProviderError(
                f"{self.provider} sent {self.rows} rows where it announced {self.total}: its "
                "pages repeat, reading stopped",
                provider=self.provider,
                code="pagination_cycle",
            )
        if cursor is None:
            return
        key = cursor if isinstance(cursor, str) else json.dumps(cursor, sort_keys=True, default=str)
        if key in self._seen:
            raise ProviderError(
                f"{self.provider} linked back to a page already read ({key[:120]}): its pages "
                "form a cycle, reading stopped",
                provider=self.provider,
                code="pagination_cycle",
            )
        self._seen.add(key)
