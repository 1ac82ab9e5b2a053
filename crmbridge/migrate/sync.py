"""Live sync (``crmbridge sync SRC DST --map …``, issue 20): delta migrations one after another,
``interval`` seconds apart, so creates, updates and deletes in the source reach the target through
the same mapping, state, conflict rules and ``deletes`` policy as a migration
(crmbridge/migrate/delta.py). Stopping at any moment is safe: each cycle saves its feed cursors only
once its writes are in the state, and the next run reads again whatever was not saved.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from ..changes.model import Change
from .mapping import MappingFile
from .report import Report

__all__ = ["sync_async", "waker"]


async def sync_async(
    source: Any,
    target: Any,
    mapping: str | Path | MappingFile,
    *,
    interval: float = 30.0,
    cycles: int | None = None,
    on_cycle: Callable[[int, Report], Awaitable[None] | None] | None = None,
    stop: asyncio.Event | None = None,
    wake: asyncio.Event | None = None,
    **options: Any,
) -> int:
    """Run delta migrations from ``source`` to ``target`` until ``stop`` is set or ``cycles``
    ran; ``on_cycle(n, report)`` after each (may be async). Setting ``wake`` starts the next
    cycle at once instead of after ``interval`` — what a webhook delivery does (:func:`waker`).
    ``options`` are :func:`crmbridge.migrate.migrate_async`'s (``state``, ``deletes``, ...).
    Returns the number of cycles run."""
    from . import migrate_async

    if interval < 0:
        raise ValueError("interval must not be negative")
    stop = stop or asyncio.Event()
    done = 0
    while not stop.is_set():
        report = await migrate_async(source, target, mapping, delta=True, **options)
        done += 1
        if on_cycle is not None:
            result = on_cycle(done, report)
            if result is not None:
                await result
        if cycles is not None and done >= cycles:
            break
        await _pause(stop, wake, interval)
    return done


async def _pause(stop: asyncio.Event, wake: asyncio.Event | None, interval: float) -> None:
    """Until ``stop`` or ``wake`` is set, at most ``interval`` seconds; ``wake`` is then reset
    (a delivery arriving during the cycle that follows starts one more)."""
    waiters = [asyncio.ensure_future(stop.wait())]
    if wake is not None:
        waiters.append(asyncio.ensure_future(wake.wait()))
    _, pending = await asyncio.wait(waiters, timeout=interval, return_when=asyncio.FIRST_COMPLETED)
    for waiter in pending:
        waiter.cancel()
    if wake is not None:
        wake.clear()


def waker(wake: asyncio.Event, objects: set[str] | None = None) -> Callable[[Change], None]:
    """A webhook callback (:class:`crmbridge.webhooks.WebhookApp`) that wakes :func:`sync_async`
    for a change of one of ``objects`` (all when ``None``), from any thread."""
    loop = asyncio.get_running_loop()

    def on_change(change: Change) -> None:
        if objects is None or change.object in objects:
            loop.call_soon_threadsafe(wake.set)

    return on_change
