"""The garbage collector's setting for a long migration in a process of its own.

A migration allocates many short-lived containers per record (the parsed JSON of every answer,
``Record``\\ s, requests); with CPython's default first-generation threshold (700 allocations)
the cyclic collector runs every few records, and each run of the older generations scans every
object the process holds. Profiling ``bench/migration.py`` found 2,000 collections per
5,000-record run, 15 to 18 of them full ones of 50 to 100 ms each — 1 to 1.4 s of a 21 s run in which no
request left, and the occasional 429 when a pause fell between the client's rate limiter
admitting a request and the server counting it. With a first threshold of 20,000 the same run
collected 60 times, 0 to 2 of them full, in 0.6 to 0.7 s.

The setting is the whole process's, so the library never changes it by itself: the
``crmbridge migrate`` and ``crmbridge demo`` commands, which own their process, do, and so can a
script that runs a migration and little else::

    from crmbridge.migrate import migrate, tuned_collector

    with tuned_collector():
        migrate("attio", "kizen", "mapping.toml")
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["tuned_collector"]

#: The first-generation threshold during a migration (CPython's default is 700).
THRESHOLD = 20_000


@contextmanager
def tuned_collector(threshold: int = THRESHOLD) -> Iterator[None]:
    """Run the block with the collector's first-generation threshold at least ``threshold``
    (the older generations' thresholds unchanged); the previous setting is restored after it.
    The collector stays on: cycles are still freed, only less often."""
    if threshold < 1:
        raise ValueError(f"threshold must be a positive number of allocations, got {threshold}")
    previous = gc.get_threshold()
    if previous[0] == 0:  # automatic collection is off: leave it off
        yield
        return
    gc.set_threshold(max(threshold, previous[0]), *previous[1:])
    try:
        yield
    finally:
        gc.set_threshold(*previous)
