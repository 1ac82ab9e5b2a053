"""Pagination: queries go past several pages, with no record lost or repeated (docs/reference/attio.md §11: the
bug competitors shipped was reading only the first page)."""

from __future__ import annotations

from typing import Any

from ...provider import Query
from .base import ConformanceBase
from .kit import Kit

__all__ = ["PaginationTests"]


class PaginationTests(ConformanceBase):
    """``query()`` and the provider's ``query`` plan page by page."""

    def _make(self, kit: Kit) -> list[str]:
        return [kit.create(n).id or "" for n in range(self.pagination_records)]

    def test_query_reads_every_page(self, crm: Any, kit: Kit) -> None:
        """With page_size=2, query() yields every record once, across all pages."""
        ids = self._make(kit)
        got = kit.ours(crm.query(self.object_slug, page_size=2))
        assert sorted(got) == sorted(ids), f"missing {set(ids) - set(got)}"
        assert len(got) == len(set(got)), "a record came twice"

    def test_pages_are_bounded_and_chained(self, crm: Any, kit: Kit) -> None:
        """The provider's query plan serves at most page_size records per page and a cursor to
        the next page until the last; following the cursors visits more than four pages."""
        ids = self._make(kit)
        schema = crm.schema(self.object_slug)
        query = Query(page_size=2)
        cursor: Any = None
        seen: list[str] = []
        pages = 0
        while True:
            page = crm.run(crm.provider.query(schema, query, cursor))
            pages += 1
            assert len(page.records) <= 2, f"page of {len(page.records)} for page_size=2"
            seen += [r.id for r in page.records]
            if page.next is None or not page.records:
                break
            cursor = page.next
            assert pages < 10_000, "pagination does not end"
        assert pages >= -(-len(ids) // 2), f"only {pages} page(s) for {len(ids)} records"
        mine = [i for i in seen if i in set(ids)]
        assert sorted(mine) == sorted(ids)
        assert len(seen) == len(set(seen)), "a record came on two pages"

    def test_pages_resume_from_a_cursor(self, crm: Any, kit: Kit) -> None:
        """``pages(cursor=page.next)`` continues where an earlier walk stopped — what a
        migration does when it resumes from a checkpoint: the pages after the cursor hold every
        record the first pages did not, none twice. The cursor is JSON-able."""
        import json

        ids = self._make(kit)
        walk = crm.pages(self.object_slug, page_size=2)
        first = next(walk)
        assert first.next is not None, "one page for more records than page_size"
        cursor = json.loads(json.dumps(first.next))
        before = [r.id for r in first.records]
        after = [r.id for page in crm.pages(self.object_slug, page_size=2, cursor=cursor)
                 for r in page.records]  # fmt: skip
        mine = [i for i in before + after if i in set(ids)]
        assert sorted(mine) == sorted(ids), f"missing {set(ids) - set(mine)}"
        assert len(before + after) == len(set(before + after)), "a record came twice"

    def test_limit_stops_early(self, crm: Any, kit: Kit) -> None:
        """limit=N yields N records and stops."""
        self._make(kit)
        assert len(list(crm.query(self.object_slug, page_size=2, limit=3))) == 3

    def test_page_size_is_capped(self, crm: Any, kit: Kit) -> None:
        """A page_size above Capabilities.max_page_size is capped, not refused."""
        self._make(kit)
        huge = crm.capabilities.max_page_size * 10
        got = kit.ours(crm.query(self.object_slug, page_size=huge))
        assert len(got) == self.pagination_records
