"""A CRM's users by e-mail, read once per provider and re-read for an e-mail it does not know —
at most once per :attr:`UserDirectory.refresh_after` seconds.

Writes name users by e-mail (an owner, a task's assignee), and both CRMs want ids: Attio's
``GET /v2/workspace_members`` (docs/reference/attio.md), Kizen's ``GET /api/team``
(docs/reference/kizen.md §8). A member may join while a long process runs, so an e-mail the
directory does not know is a reason to read the team again; but every write naming the same
stranger re-read it before, one request per write that was refused anyway. So an e-mail still
unknown after a read is refused from memory until the interval has passed. The same holds for a
CRM that refuses the list (Attio answers 403 to a token without ``user_management:read``).

Pure state: the providers' plans decide when to send the read (:meth:`UserDirectory.stale`) and
hand back what it answered (:meth:`UserDirectory.store`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Mapping

__all__ = ["UserDirectory"]


def _now() -> float:
    return time.monotonic()


class UserDirectory:
    """E-mail (case-folded) → user id, with the time it was read."""

    #: Seconds before an e-mail the last read did not know is a reason to read again.
    refresh_after: float = 60.0

    def __init__(self, clock: Callable[[], float] | None = None) -> None:
        #: Seconds on a monotonic clock (``None``: :func:`time.monotonic`, looked up per call).
        self.clock = clock
        #: ``None`` until the first read (or when the CRM refused to list its users).
        self.ids: dict[str, str] | None = None
        self._read_at: float | None = None

    def stale(self, emails: Collection[str]) -> bool:
        """Whether the team must be (re-)read to resolve ``emails`` (case-folded): never read,
        or one of them unknown (or the list refused) and the last read older than
        :attr:`refresh_after`."""
        if self._read_at is None:
            return True
        if self.ids is not None and all(email in self.ids for email in emails):
            return False
        return self._time() - self._read_at >= self.refresh_after

    def store(self, ids: Mapping[str, str]) -> dict[str, str]:
        """Keep what a read answered; returns it."""
        self.ids = dict(ids)
        self._read_at = self._time()
        return self.ids

    def refused(self) -> None:
        """The CRM refused to list its users: ask again only after :attr:`refresh_after`."""
        self.ids = None
        self._read_at = self._time()

    def _time(self) -> float:
        return self.clock() if self.clock is not None else _now()
