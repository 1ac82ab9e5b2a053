"""Deduplicating deliveries: the same event redelivered, and the same change told twice.

* A redelivery keeps its ``Idempotency-Key`` (Attio retries a failed delivery up to 10 times over
  about 3 days, https://docs.attio.com/rest-api/guides/webhooks): a key seen within ``key_ttl``
  is dropped whole.
* Attio recomputes some attributes about a second after a write and sends a second
  ``record.updated`` for one change (issue 20, Activepieces PR #15064): the same (object, record,
  kind) within ``window`` seconds is folded into the first.
* Folding must not lose a second *real* change: a callback that read the record when the first
  was handed on may have read it before that change. So a change folded within the window is
  handed on once more when the window closes (the trailing edge, as a throttle with
  ``trailing=True`` does), and that starts a new window: a record changing all the time is
  handed on at most twice per window, and whatever the callback reads after the last hand-on is
  the record after its last change. Any later hand-on of the same record (a ``deleted`` after a
  folded ``updated``, say) supersedes what waits: changes of one record keep their order. The trailing hand-on is the caller's to make, when
  :meth:`Deduper.next_due` says (:class:`~crmbridge.webhooks.WebhookApp` runs a timer for it).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable

from ..changes.model import KINDS, Change

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
    """Remembers idempotency keys for ``key_ttl`` seconds and changes for ``window`` seconds,
    and the changes folded within a window until it closes (module docstring). Checking and
    remembering are separate: a delivery is remembered only once it was handed on, so one whose
    handling failed is taken again when the CRM retries it."""

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
        self._clock = clock
        self._trailing: dict[tuple[str, str, str], tuple[float, Change]] = {}

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
        """Remember a change handed on. It supersedes the folded changes of the same record that
        wait (of any kind): the callback now reads the record after them, and a folded
        ``updated`` must not follow a ``deleted`` already handed on."""
        self._changes.add((object, record, kind))
        for waiting in KINDS:
            self._trailing.pop((object, record, waiting), None)

    def fold(self, change: Change) -> None:
        """Remember ``change``, folded into one reported within the window, to hand on once more
        when that window closes (the newest such change of a record stands for all)."""
        key = (change.object, change.id, change.kind)
        if change.kind != "deleted" and self.seen_change(change.object, change.id, "deleted"):
            return  # a late event of a record whose deletion was handed on: nothing to re-read
        deadline = self._changes.deadlines.get(key)
        if deadline is not None and deadline > self._clock():
            self._trailing[key] = (deadline, change)

    def next_due(self) -> float | None:
        """Seconds until the next folded change is due (0 if one is), ``None`` if none waits."""
        if not self._trailing:
            return None
        return max(0.0, min(d for d, _ in self._trailing.values()) - self._clock())

    def due(self, *, every: bool = False) -> list[Change]:
        """The folded changes whose window has closed (every one with ``every=True``, e.g. at
        shutdown), oldest window first, forgotten here: hand each on, then :meth:`add_change`
        it (a new window), or :meth:`fold` it again after :meth:`add_change` to retry later."""
        now = self._clock()
        ready = sorted(
            (deadline, key) for key, (deadline, _) in self._trailing.items()
            if every or deadline <= now
        )  # fmt: skip
        return [self._trailing.pop(key)[1] for _, key in ready]
