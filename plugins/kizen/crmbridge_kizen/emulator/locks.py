"""Record write locks: a write to a record another write holds is answered 409 ``conflict``.

Kizen locks a record while a write to it runs; a concurrent write or archive is refused with 409
and the code ``conflict`` (docs/reference/kizen.md §4 "partial update", §9, §10: "per-record
write locks (409)"). The emulator answers each request after its latency, one at a time under
its lock, so two writes never overlap inside it. Here a write *holds* its record from its arrival
(:meth:`RecordLocks.arrive`, when the rate limit counts it) to its answer
(:meth:`RecordLocks.release`); a write to the same record arriving in that window is refused
with 409, after its own latency, changing nothing. The body is DRF's ``{"detail", "code"}``
(docs/reference/kizen.md §9; the wording is ours: Kizen's is not published).

Which record a write holds (emulation choices, docs/emulators/kizen.md "Record write locks"):
``PUT``, ``PATCH`` and ``DELETE /api/records/{object}/{id}`` and ``PATCH …/{id}/unarchive|move``
hold ``{id}``; an upsert holds its live match, or — no live match yet — its lookup value in its
object (two concurrent upserts of one new identity: the second is refused). ``add`` holds
nothing. A hold ends at the answer, or after ``HOLD_MAX`` seconds if the answer never comes (a
client that gave up during the latency).

:meth:`RecordLocks.contend` makes the next writes to a record answer 409, as if another client's
writes held it: tests inject conflicts with it.
"""

from __future__ import annotations

import itertools
import json
import re
from collections import Counter

import httpx

from .store import Store

__all__ = ["HOLD_MAX", "RecordLocks"]

#: Seconds after which a hold whose answer never came is let go.
HOLD_MAX = 30.0
#: Request extension: ``(key, token)`` of the hold this request took; token 0: it was refused.
_HOLD = "kizen_record_hold"

_BY_ID = re.compile(r"^/api/records/[^/]+/([^/]+)(?:/(?:unarchive|move))?$")
_UPSERT = re.compile(r"^/api/records/([^/]+)/upsert$")
_VERBS = frozenset({"add", "lookup", "search", "upsert"})

Key = tuple[str, ...]


class RecordLocks:
    """The records held by writes in flight (used under the emulator's lock)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._held: dict[Key, tuple[int, float]] = {}
        self._tokens = itertools.count(1)
        self._contended: Counter[str] = Counter()
        #: Writes refused with 409, in all.
        self.conflicts = 0

    def key(self, request: httpx.Request) -> Key | None:
        """The record ``request`` writes, or ``None`` if it holds none."""
        path, method = request.url.path, request.method
        if method in ("PUT", "PATCH", "DELETE"):
            m = _BY_ID.match(path)
            if m is not None and m.group(1) not in _VERBS:
                return ("id", m.group(1))
            return None
        m = _UPSERT.match(path)
        if method != "POST" or m is None:
            return None
        try:
            body = json.loads(request.content or b"{}")
        except ValueError:
            return None
        lookup = body.get("lookup_value") if isinstance(body, dict) else None
        state = self.store.object(m.group(1))
        if not isinstance(lookup, str) or state is None:
            return None
        live = state.matches(lookup, exact=False, archived=False)
        if live:
            return ("id", live[0].id)
        return ("new", state.obj.id, lookup.casefold())

    def arrive(self, request: httpx.Request, now: float) -> None:
        """A write arrived: hold its record, or mark it refused if another write holds it."""
        key = self.key(request)
        if key is None:
            return
        held = self._held.get(key)
        if (key[0] == "id" and self._contended[key[1]] > 0) or (held and held[1] > now):
            request.extensions[_HOLD] = (key, 0)  # refused: holds nothing
            return
        token = next(self._tokens)
        self._held[key] = (token, now + HOLD_MAX)
        request.extensions[_HOLD] = (key, token)

    def refused(self, request: httpx.Request) -> bool:
        """Whether ``request`` arrived while its record was held: it is answered 409 now."""
        hold = request.extensions.get(_HOLD)
        if hold is None or hold[1] != 0:
            return False
        key = hold[0]
        if key[0] == "id" and self._contended[key[1]] > 0:
            self._contended[key[1]] -= 1
        self.conflicts += 1
        return True

    def release(self, request: httpx.Request) -> None:
        """The answer to ``request`` is out: let its record go."""
        hold = request.extensions.pop(_HOLD, None)
        if hold is None or hold[1] == 0:
            return
        key, token = hold
        if self._held.get(key, (None,))[0] == token:
            del self._held[key]

    def contend(self, record_id: str, times: int = 1) -> None:
        """The next ``times`` writes to ``record_id`` that get an answer (not a 429 or an
        injected fault) find it held by another client's write: 409."""
        self._contended[record_id] += times
