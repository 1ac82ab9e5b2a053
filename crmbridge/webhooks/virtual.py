"""Virtual webhooks: the callback a webhook receiver would call, fed by polling
:meth:`~crmbridge.Bridge.changes` — for Kizen (no record webhooks, only ``activity.logged``:
docs/reference/kizen.md) and any CRM without webhooks, as Unified.to and Apideck offer (issue 20)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..changes.drive import StoreArg
from ..changes.model import Change

if TYPE_CHECKING:
    from ..bridge import Bridge

__all__ = ["poll"]


def poll(
    crm: Bridge,
    object: str,
    callback: Callable[[Change], Any],
    *,
    cursor: Any = None,
    store: StoreArg = None,
    interval: float = 5.0,
    on_cursor: Callable[[Any], Any] | None = None,
    stop: threading.Event | None = None,
    passes: int | None = None,
) -> Any:
    """Call ``callback`` with each change of ``object``, pass after pass, ``interval`` seconds
    apart, until ``stop`` is set (or ``passes`` passes ran). ``on_cursor`` is given the cursor
    after each change and at the end of each pass: save it to resume exactly there. A callback
    that raises stops the poll with the cursor of the last change it took. Returns the cursor."""
    stop = stop or threading.Event()
    done = 0
    while not stop.is_set():
        feed = crm.changes(object, cursor, store=store)
        for change in feed:
            callback(change)
            cursor = change.cursor
            if on_cursor is not None:
                on_cursor(cursor)
            if stop.is_set():
                return cursor
        cursor = feed.cursor
        if on_cursor is not None:
            on_cursor(cursor)
        done += 1
        if passes is not None and done >= passes:
            break
        stop.wait(interval)
    return cursor
