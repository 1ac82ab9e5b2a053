"""Giving the C heap's free pages back (crmbridge/heap.py): asked on glibc, nothing elsewhere, and
no setting of the process changed (a library may call it; tests/test_side_effects.py). The memory
figures are bench/engine_memory.py's and bench/memory_probe.py's."""

from __future__ import annotations

import ctypes
import math
import platform
import sys

import pytest

from crmbridge import heap

GLIBC = sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"


def test_the_allocator_is_asked_where_it_can_be() -> None:
    assert heap.return_free_memory() is GLIBC


@pytest.mark.skipif(not GLIBC, reason="glibc's malloc_trim")
def test_it_is_glibcs_malloc_trim_of_the_whole_heap(monkeypatch: pytest.MonkeyPatch) -> None:
    pads: list[int] = []
    heap._malloc_trim.cache_clear()
    real = ctypes.CDLL(None).malloc_trim

    class Spy:
        argtypes: object = None
        restype: object = None

        def __call__(self, pad: int) -> int:
            pads.append(pad)
            return int(real(pad))

    class Libc:
        malloc_trim = Spy()

    monkeypatch.setattr(ctypes, "CDLL", lambda name: Libc())
    monkeypatch.setattr(heap, "_last", -math.inf)  # not asked just now by another test
    try:
        assert heap.return_free_memory()
    finally:
        heap._malloc_trim.cache_clear()
    assert pads == [0]  # no pad kept at the top: every whole free page goes back


def test_a_libc_without_malloc_trim_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    heap._malloc_trim.cache_clear()
    monkeypatch.setattr(ctypes, "CDLL", lambda name: object())  # no malloc_trim attribute
    try:
        assert heap.return_free_memory() is False
    finally:
        heap._malloc_trim.cache_clear()


@pytest.mark.skipif(not GLIBC, reason="glibc's malloc_trim")
def test_it_is_asked_at_most_every_min_interval(monkeypatch: pytest.MonkeyPatch) -> None:
    """A re-run reads ~100 pages a second: a trim after each cost ~5 µs per record in page
    faults (docs/benchmarks.md "Engine memory and re-run"), so trims are spaced."""
    trims: list[int] = []
    clock = [1000.0]
    monkeypatch.setattr(heap, "_malloc_trim", lambda: trims.append)
    monkeypatch.setattr(heap, "_now", lambda: clock[0])
    monkeypatch.setattr(heap, "_last", -math.inf)
    for _ in range(5):
        assert heap.return_free_memory()
    assert trims == [0]
    clock[0] += heap.MIN_INTERVAL
    assert heap.return_free_memory()
    assert trims == [0, 0]
