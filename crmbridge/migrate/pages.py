"""The migration engine's source pages, read by a task of their own (issue 24).

A page is read (a request, then its answer decoded) while the page before it is written, so a
page switch costs the writers nothing: before, the engine asked for the next page only once the
current page's last records were queued, and the writers waited for the read, the decode and the
page's batched lookups (docs/benchmarks.md, "Issue 24 on a quiet machine": ~0.4 s at each page
switch of a Kizen → Attio run). The engine also starts the next object's reader while the
current object is copied, so the first page of the next object is there when the current one
drains (people wait for companies: their references need the companies' new ids).

How many requests are in flight is the bridge's (``AsyncBridge._page_iter``: one page ahead
where only an answer names the next page, up to ``ahead`` where pages are addressed by offset);
this reader holds at most ``hold`` pages beyond the one being written, so memory stays a few
pages whatever the number of records. Pages are asked for undecoded where the provider can
(``Query.lazy``, crmbridge/raw_rows.py): the engine decodes only the records that changed.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..bridge import AsyncBridge
    from ..provider import Page

__all__ = ["PageReader"]

#: Marks the end of the pages in the reader's queue.
_END = object()


class PageReader:
    """The pages of one source object from ``cursor`` on, read ahead by a task started at
    construction. Iterate it once; :meth:`close` stops the task (and drops what it read)."""

    def __init__(self, source: AsyncBridge, obj: str, cursor: Any, *, hold: int = 1) -> None:
        self.obj = obj
        self.cursor = cursor
        #: Pages the bridge may request at once (the engine raises it on a run of pages with
        #: nothing to write: a re-run then costs the source's read limit, not round trips).
        self.ahead = 1
        self._queue: asyncio.Queue[Any] = asyncio.Queue()
        self._room = asyncio.Semaphore(hold)
        pages = source._page_iter(
            obj,
            None,
            None,
            source.capabilities.max_page_size,
            None,
            cursor,
            lambda: self.ahead,
            lazy=True,
        )
        self._task = asyncio.ensure_future(self._fill(pages))

    async def _fill(self, pages: AsyncIterator[Page]) -> None:
        # A page is asked for only when fewer than ``hold`` pages wait for the engine: the one
        # it prepares plus ``hold`` (the await on the next answer would otherwise hold one more).
        it = aiter(pages)
        try:
            while True:
                await self._room.acquire()
                try:
                    page = await anext(it)
                except StopAsyncIteration:
                    self._queue.put_nowait(_END)
                    return
                except Exception as exc:  # handed to the consumer, in order, after the pages
                    self._queue.put_nowait(exc)
                    return
                self._queue.put_nowait(page)
        finally:  # the bridge cancels the pages it asked for ahead (AsyncBridge._page_iter)
            aclose = getattr(it, "aclose", None)
            if aclose is not None:
                await aclose()

    async def __aiter__(self) -> AsyncIterator[Page]:
        while True:
            item = await self._queue.get()
            if item is _END:
                return
            if isinstance(item, Exception):
                raise item
            self._room.release()
            yield item

    async def close(self) -> None:
        """Stop reading: the task is cancelled and awaited (so no request outlives the scan)."""
        self._task.cancel()
        await asyncio.wait([self._task])
