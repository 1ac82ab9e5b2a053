"""Giving the C heap's free pages back to the system between pages of a long run (issue 24).

Measured with bench/memory_probe.py (docs/benchmarks.md, "Engine memory and re-run"): the
migrating process's RSS grew ~0.4 MB per page of 500 records while Python's own blocks and
SQLite's heap stayed flat; what grew was memory glibc's ``malloc`` held *free*. Once the first
answer body of a few MB (a page of records) is freed, glibc raises its mmap threshold to that
size (mallopt(3), ``M_MMAP_THRESHOLD``: the threshold is dynamic), so the next bodies are carved
from the heap instead of mapped apart; the small long-lived blocks allocated meanwhile (SQLite's
page cache, the id map cache) land between them, and ``free`` only gives back the heap's top
(``M_TRIM_THRESHOLD``). ``malloc_trim(0)`` returns every whole free page of the heap, wherever
it lies (malloc_trim(3), glibc ≥ 2.8): with it after each page the same run stayed flat.

It changes no setting of the process (unlike ``mallopt`` or ``MALLOC_*`` variables, which would
be the process owner's choice, as the collector's is: crmbridge/migrate/collector.py), so a
library may call it (tests/test_side_effects.py). It costs ~0.4 ms a call with a 40 MB heap.
Elsewhere than glibc it does nothing.
"""

from __future__ import annotations

import functools
import math
import sys
import time
from collections.abc import Callable

__all__ = ["return_free_memory"]


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    import ctypes  # here, not at import: `import crmbridge` stays cheap (bench/startup.py)

    try:
        trim = ctypes.CDLL(None).malloc_trim  # the process's own libc
    except (OSError, AttributeError):  # a libc without it (musl)
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim


#: Seconds between two trims at the least. A re-run over unchanged data reads up to ~100 pages
#: a second, and a trim after each cost ~5 µs per record: the next page's buffers were faulted
#: back in (engineer rerun, docs/benchmarks.md "Re-run, third pass": client 30.5 -> 25.5 µs per
#: record without them). A migration that writes spends seconds on a page, so each of its pages
#: is still followed by a trim.
MIN_INTERVAL = 0.1
_last = -math.inf


def _now() -> float:
    return time.monotonic()


def return_free_memory() -> bool:
    """Ask the C allocator to give its free pages back to the system, unless it was asked less
    than :data:`MIN_INTERVAL` ago; returns whether it can be asked (glibc)."""
    global _last
    trim = _malloc_trim()
    if trim is None:
        return False
    now = _now()
    if now - _last >= MIN_INTERVAL:
        _last = now
        trim(0)
    return True
