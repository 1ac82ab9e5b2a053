"""Live sync (``crmbridge sync SRC DST --map …``, issue 20): delta migrations one after another,
``interval`` seconds apart, so creates, updates and deletes in the source reach the target through
the same mapping, state, conflict rules and ``deletes`` policy as a migration
(crmbridge/migrate/delta.py). Stopping at any moment is safe: each cycle saves its feed cursors only
once its writes are in the state, and the next run reads again whatever was not saved.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from .mapping import MappingFile
from .report import Report

__all__ = ["sync_async"]


async def sync_async(
    source: Any,
    target: Any,
    mapping: str | Path | MappingFile,
    *,
    interval: float = 30.0,
    cycles: int | None = None,
    on_cycle: Callable[[int, Report], Awaitable[None] | None] | None = None,
    stop: asyncio.Event | None = None,
    **options: Any,
) -> int:
    """Run delta migrations from ``source`` to ``target`` until ``stop`` is set or ``cycles``
    ran; ``on_cycle(n, report)`` after each (may be async). ``options`` are
    :func:`crmbridge.migrate.migrate_async`'s (``state``, ``deletes``, ...). Returns the number
    of cycles run."""
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
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval)
    return done
