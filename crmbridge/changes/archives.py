"""Finding the records that left a CRM's search (archived, deleted) by counting, not listing.

A CRM whose removed records drop out of search and that lists no removed records (Kizen,
docs/reference/kizen.md §7) shows a removal only as a smaller ``count``. The id scan compares
every live id with the store: ⌈N/page⌉ reads whatever the number of removals. When few records
were removed, counting is cheaper: the store knows when each record it holds alive was created
(``born``), and search can count the records created in a range (a filter on the read-only
creation time with ``>=`` and ``<``, one-record pages: docs/reference/kizen.md §4 "created", §8
datetime conditions and ``count``). A range whose count equals the store's holds no removal; one
whose count is smaller is split at the median of the store's creation times in it, and only the
halves that lost records are counted again, down to a range of at most a page, whose ids are read
once and compared (each missing one confirmed by a GET: 404 ⇒ removed). For ``k`` removals among
``N`` records that is about ``k · log2(N/page)`` count probes plus ``k`` small reads, instead of
``N/page`` reads: :func:`worth_it` picks the cheaper of the two before any probe.

Split points are whole multiples of the filter's resolution (Kizen's datetime filter values carry
milliseconds: docs/reference/kizen.md §8), so the store and the CRM put every record on the same
side of a split.

The search runs as :class:`~crmbridge.changes.feeds.ReadPage` steps of the feed, so it works in
both facades and its changes carry cursors like any other. It keeps no position of its own: a
resume counts again from the top, and what was confirmed before the cursor is already out of the
store's alive rows, so nothing is reported twice.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Generator
from typing import Any

from ..filters import F, Filter
from ..model import Record
from .store import born_key

__all__ = ["Bounds", "Search", "floor_to", "worth_it"]

Bounds = tuple[str | None, str | None]

#: Deeper than any real split (each level halves the store's rows): a guard against a store
#: and a CRM that disagree on where records fall.
_MAX_DEPTH = 64


def worth_it(removed: int, alive: int, page: int) -> bool:
    """Whether counting ``removed`` records out of ``alive`` is likely cheaper than the id scan
    (⌈alive/page⌉ reads): each removal costs about one probe per halving down to a page, plus
    the read of its range and some slack."""
    if removed <= 0 or alive <= page:
        return False
    depth = math.ceil(math.log2(alive / page))
    return removed * (depth + 2) < math.ceil(alive / page)


def floor_to(moment: dt.datetime, resolution: dt.timedelta) -> dt.datetime:
    """``moment`` rounded down to a whole multiple of ``resolution`` (from the epoch, UTC)."""
    epoch = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    steps = (moment.astimezone(dt.UTC) - epoch) // resolution
    return epoch + steps * resolution


def _parse(key: str) -> dt.datetime:
    return dt.datetime.strptime(key, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.UTC)


class Search:
    """What the bisection needs to know: the creation-time ``field``, the filter's
    ``resolution``, the ``page`` of a leaf read, and how to build a query (``query(where,
    fields, page_size)``)."""

    def __init__(
        self,
        field: str,
        resolution: dt.timedelta,
        page: int,
        query: Callable[[Filter | None, tuple[str, ...], int | None], Any],
    ) -> None:
        self.field = field
        self.resolution = resolution
        self.page = page
        self.query = query

    def where(self, bounds: Bounds) -> Filter | None:
        lo, hi = bounds
        parts = []
        if lo is not None:
            parts.append(F(self.field) >= _parse(lo))
        if hi is not None:
            parts.append(F(self.field) < _parse(hi))
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else parts[0] & parts[1]

    def count(self, bounds: Bounds) -> Any:
        """The query of a count probe (a one-record page, no fields)."""
        return self.query(self.where(bounds), (), 1)

    def ids(self, bounds: Bounds) -> Any:
        """The query of a leaf read (ids and creation times)."""
        return self.query(self.where(bounds), (self.field,), self.page)

    def split(self, bounds: Bounds, median: str) -> str | None:
        """A split point inside ``bounds`` near ``median`` (a resolution multiple), or ``None``
        when the range cannot be split any more."""
        lo, hi = bounds
        step = floor_to(_parse(median), self.resolution)
        if lo is not None and step <= _parse(lo):
            step += self.resolution
        if hi is not None and step >= _parse(hi):
            return None
        return born_key(step)

    def born(self, record: Record) -> str | None:
        value = record.get(self.field)
        return born_key(value) if isinstance(value, dt.datetime) else None


#: A leaf: its bounds. Yielded by :func:`leaves` for the feed to read and compare.
Leaf = Bounds


def leaves(
    search: Search,
    count_stored: Callable[[Bounds], int],
    median_stored: Callable[[Bounds, int], str | None],
    total: int,
) -> Generator[Any, Any, list[Leaf]]:
    """The ranges that lost records, each small enough to read: a generator that yields count
    queries (answered with the CRM's count) and returns the leaves. ``total`` is the CRM's count
    of the whole object."""
    out: list[Leaf] = []
    todo: list[tuple[Bounds, int, int]] = [((None, None), total, 0)]
    while todo:
        bounds, crm, depth = todo.pop()
        stored = count_stored(bounds)
        if stored <= crm:
            continue
        median = median_stored(bounds, stored // 2)
        point = None
        if stored > search.page and depth < _MAX_DEPTH and median is not None:
            point = search.split(bounds, median)
        if point is None:
            out.append(bounds)
            continue
        left: Bounds = (bounds[0], point)
        right: Bounds = (point, bounds[1])
        left_crm = yield search.count(left)
        todo.append((right, crm - left_crm, depth + 1))
        todo.append((left, left_crm, depth + 1))
    return out
