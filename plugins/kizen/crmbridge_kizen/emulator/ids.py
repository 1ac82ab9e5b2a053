"""Deterministic identifiers and Kizen's timestamp format.

Seeded objects, fields and options get ``uuid5`` ids derived from their names, so tests and docs can
name them and every run of ``--seed demo`` gives the same ids. Kizen's ids are UUIDs (docs/reference/kizen.md §3, "don't hard-code UUIDs": they differ per business, which is why clients look them up).
"""

from __future__ import annotations

import datetime as dt
import uuid

__all__ = ["NAMESPACE", "format_datetime", "stable_id", "utc_now"]

#: The namespace of every id the emulator derives (its own, fixed).
NAMESPACE = uuid.UUID("6b1f2c7e-0d3a-5c4e-9f21-4b7a8e6d5c10")


def stable_id(*parts: str) -> str:
    """A UUID derived from ``parts`` (e.g. ``stable_id("field", "client_client", "email")``)."""
    return str(uuid.uuid5(NAMESPACE, ":".join(parts)))


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def format_datetime(value: dt.datetime) -> str:
    """ISO-8601 with microseconds and an offset, as Kizen reads datetimes
    (``2026-03-31T12:27:20.152070-05:00`` in records/get_tax_lot.json [KZ-LIVE]); the emulator's
    tenant clock is UTC, so the offset is ``+00:00``."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.isoformat(timespec="microseconds")
