"""Ids and timestamps in Attio's formats.

Timestamps are UTC with nine fractional digits and ``Z`` (``2025-07-27T01:45:27.220000000Z``,
every recording; Attio's clock has millisecond resolution, the rest is zero-padded). Because the
format is fixed-width, timestamp strings compare in time order, which the filters rely on. Ids are
UUIDv4-shaped strings drawn from a seeded generator so that an emulator's data is reproducible.
"""

from __future__ import annotations

import os
import random
import re
import time
import uuid
from datetime import UTC, date, datetime, timedelta

__all__ = [
    "IdFactory",
    "execution_id",
    "format_timestamp",
    "now_timestamp",
    "parse_date",
    "parse_timestamp",
    "timestamp_at_ms",
]


class IdFactory:
    """Deterministic UUIDv4 strings for a given seed."""

    def __init__(self, seed: int) -> None:
        self._random = random.Random(f"attio-emulator-ids-{seed}")

    def new(self) -> str:
        return str(uuid.UUID(int=self._random.getrandbits(128), version=4))


def format_timestamp(moment: datetime) -> str:
    """``2023-01-02T13:00:00.123000000Z`` (always UTC, nanosecond width)."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond:06d}000Z"


def now_timestamp() -> str:
    """Now, at Attio's millisecond resolution."""
    return timestamp_at_ms(int(time.time() * 1000))


def timestamp_at_ms(ms: int) -> str:
    """:func:`format_timestamp` of a millisecond since the epoch, without building a datetime:
    every answer pays for one or two (``x-accurate-at``, a call's ``now``), ~3.4 → ~1.4 µs
    (issue 24, a GET's CPU; docs/benchmarks.md §11)."""
    t = time.gmtime(ms // 1000)
    return (
        f"{t.tm_year:04d}-{t.tm_mon:02d}-{t.tm_mday:02d}T"
        f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d}.{ms % 1000:03d}000000Z"
    )


def execution_id() -> str:
    """A random UUIDv4 string, as ``str(uuid.uuid4())`` (``x-attio-execution-id`` of every answer,
    recorded in every cassette) at a third of its cost: the version nibble is ``4`` and the
    variant bits ``10`` (RFC 9562 §5.4)."""
    h = os.urandom(16).hex()
    variant = "89ab"[int(h[16], 16) & 3]
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{variant}{h[17:20]}-{h[20:]}"


_TS = re.compile(
    r"^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?"
    r"(Z|[+-]\d{2}:?\d{2})?)?)?)?$"
)


def parse_timestamp(text: str) -> str | None:
    """Coerce a partial ISO-8601 string as Attio does for ``timestamp`` values: ``2023``,
    ``2023-01``, ``2023-01-02T13:00`` … become ``…T…Z`` in UTC; ``None`` if unparseable
    (spec ``output-value`` timestamp description)."""
    match = _TS.match(text.strip())
    if not match:
        return None
    year, month, day, hour, minute, second, frac, zone = match.groups()
    try:
        moment = datetime(
            int(year),
            int(month or 1),
            int(day or 1),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            int((frac or "0").ljust(9, "0")[:6]),
            tzinfo=UTC,
        )
    except ValueError:
        return None
    if zone and zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        digits = zone[1:].replace(":", "")
        moment -= sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    nanos = (frac or "0").ljust(9, "0")[:9]
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + nanos + "Z"


def parse_date(text: str) -> str | None:
    """Coerce to ``YYYY-MM-DD`` as Attio does for ``date`` values: partial dates are padded,
    times trimmed after converting to UTC (spec ``output-value`` date description)."""
    stamp = parse_timestamp(text)
    if stamp is None:
        return None
    day = stamp[:10]
    try:
        date.fromisoformat(day)
    except ValueError:
        return None
    return day
