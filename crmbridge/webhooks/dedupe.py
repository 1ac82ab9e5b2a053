"""Deduplicating deliveries: the same event redelivered, and the same change told twice.

* A redelivery keeps its ``Idempotency-Key`` (Attio retries a failed delivery up to 10 times over
  about 3 days, https://docs.attio.com/rest-api/guides/webhooks): a key seen within ``key_ttl``
  is dropped whole.
* Attio recomputes some attributes about a second after a write and sends a second
  ``record.updated`` for one change (issue 20, Activepieces PR #15064): the same (object, record,
  kind) within ``window`` seconds is one change.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable

__all__ = ["Deduper"]


class _Expiring:
    """Keys with a deadline, oldest first, pruned as time passes (bounded memory)."""

    def __init__(self, ttl: float, clock: Callable[[], float]) -> None:
        self.ttl = ttl
        self.clock = clock
        self.deadlines: OrderedDict[Hashable, float] = OrderedDict()

    def _prune(self) -> None:
        now = self.clock()
        while self.deadlines:
            deadline = next(iter(self.deadlines.values()))
            if deadline > now:
                return
            self.deadlines.popitem(last=False)

    def __contains__(self, key: Hashable) -> bool:
        self._prune()
        return key in self.deadlines

    def add(self, key: Hashable) -> None:
        self.deadlines.pop(key, None)
        self.deadlines[key] = self.clock() + self.ttl


class Deduper:
    """Remembers idempotency keys for ``key_ttl`` seconds and changes for ``window`` seconds.
    Checking and remembering are separate: a delivery is remembered only once it was handed
    on, so one whose handling failed is taken again when the CRM retries it."""

    def __init__(
        self,
        *,
        window: float = 5.0,
        key_ttl: float = 4 * 24 * 3600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if window < 0 or key_ttl < 0:
            raise ValueError("dedupe window and key ttl must not be negative")
        self._keys = _Expiring(key_ttl, clock)
        self._changes = _Expiring(window, clock)

    def seen_key(self, key: str | None) -> bool:
        """Whether a delivery with this ``Idempotency-Key`` was already taken."""
        return key is not None and key in self._keys

    def add_key(self, key: str | None) -> None:
        if key is not None:
            self._keys.add(key)

    def seen_change(self, object: str, record: str, kind: str) -> bool:
        """Whether this change of this record was already reported within the window."""
        return (object, record, kind) in self._changes

    def add_change(self, object: str, record: str, kind: str) -> None:
        self._changes.add((object, record, kind))
