"""Answer bodies decoded by orjson where it gives what :func:`json.loads` gives (issue 24).

Why: a re-run over unchanged records costs what reading the source costs, and the client's share
of that was mostly :func:`json.loads` of Attio's verbose record JSON: ~3.4 KB per record, ~28 µs
per record of the ~65 µs the client spent per unchanged record (docs/benchmarks.md, "Re-run,
third pass"). orjson (https://github.com/ijl/orjson, a C/Rust extension) decodes the same page
in about half that.

orjson is a strict RFC 8259 parser; :func:`json.loads` is more lenient, and the two differ on
a few inputs (measured with orjson 3.13, tests/test_jsondecode.py):

* orjson refuses what :func:`json.loads` accepts: ``NaN`` and ``Infinity``, numbers that
  overflow a double (``1e400``), escaped lone surrogates (``"\\ud800"``), a UTF-8 byte order
  mark, UTF-16 and UTF-32 bodies, nesting deeper than 1,024 levels;
* orjson **accepts and decodes differently** integers outside 64 bits
  (``18446744073709551616`` becomes a float, where :func:`json.loads` keeps every digit).

So :func:`loads` gives exactly what :func:`json.loads` gives: a body orjson refuses is decoded
again by :func:`json.loads` (which accepts it, or raises its own error: a ``ValueError`` or a
``RecursionError``, which callers already tell apart), and a body with a run of 19 or more
digits — the only way to write an integer outside 64 bits, since 2**63 has 19 — goes to
:func:`json.loads` directly. The run is found with ``bytes.translate`` and ``bytes.find``
(~2 µs per record; a regular expression took 30). A long digit run inside a string (an id, a
number written as text) only costs that body the slower decoder.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

__all__ = ["loads"]

#: Each byte to 1 if it is an ASCII digit, else to 0 (``bytes.translate``).
_DIGITS = bytes(1 if 0x30 <= i <= 0x39 else 0 for i in range(256))
#: Nineteen digits in a row: the shortest integer orjson may not decode exactly.
_LONG_RUN = b"\x01" * 19


#: Bytes looked at a time for a long digit run: a copy of the whole body (a page of records is
#: ~1.7 MB) made and freed per answer raised the migrating process's peak RSS by a few MB
#: (bench/engine_memory.py, docs/benchmarks.md "Re-run, third pass").
_SLICE = 1 << 16


def _long_digit_run(content: bytes) -> bool:
    """Whether ``content`` holds :data:`_LONG_RUN` digits in a row, looked at a slice at a time
    (each slice reaches 18 bytes into the next, so a run across two is seen whole)."""
    view = memoryview(content)
    overlap = len(_LONG_RUN) - 1
    for start in range(0, len(content), _SLICE):
        if bytes(view[start : start + _SLICE + overlap]).translate(_DIGITS).find(_LONG_RUN) >= 0:
            return True
    return False


def loads(content: bytes) -> Any:
    """``json.loads(content)``: the same value, or the same error, faster for most bodies."""
    if not _long_digit_run(content):
        try:
            return orjson.loads(content)
        except orjson.JSONDecodeError:
            pass
    return json.loads(content)
