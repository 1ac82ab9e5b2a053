"""What ``crmbridge sync`` shows while it runs (issue 20: "progress and counts live on screen").

On a terminal, one table redrawn in place: per mapped object, what the sync has written since it
started (created, updated, unarchived, archived, deleted, failed, conflicts) and what is still
pending, with the cycles run, when the last change went through and when the next cycle starts.
Elsewhere (a log file, a container's output) a table redrawn in place is noise: one line per
cycle instead (:meth:`SyncStatus.line`), as before. rich comes with the ``cli`` extra.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable

import attrs
from rich.table import Table

from .report import COLUMNS, OPTIONAL, Report

__all__ = ["SyncStatus"]

#: The columns of the table: what was written (``noop`` is what a sync mostly does: left out).
SHOWN = tuple(c for c in (*COLUMNS, *OPTIONAL) if c not in ("noop", "gone"))
#: Always shown, even at zero; the others only once a cycle counted one.
ALWAYS = ("created", "updated", "failed")


def _ago(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


@attrs.define
class SyncStatus:
    """The running totals of a sync, rendered by rich (``Live(status)``) or as lines."""

    interval: float
    #: A webhook delivery starts the next cycle at once (``--webhook-port``).
    webhooks: bool = False
    clock: Callable[[], float] = time.monotonic
    cycles: int = 0
    totals: dict[str, Counter[str]] = attrs.field(factory=dict)
    pending: dict[str, int] = attrs.field(factory=dict)
    last_change: float | None = None
    next_cycle: float | None = None
    #: The sync ended (its cycles ran, or Ctrl-C): the last frame says so.
    stopped: bool = False

    def add(self, report: Report) -> None:
        """Count one cycle's report in."""
        now = self.clock()
        self.cycles += 1
        for key, obj in report.objects.items():
            self.totals.setdefault(key, Counter()).update(
                {k: v for k, v in obj.counts.items() if k in SHOWN}
            )
            self.pending[key] = obj.pending
            if any(obj.counts[k] for k in SHOWN):
                self.last_change = now
        self.next_cycle = now + self.interval

    def line(self, report: Report) -> str:
        """One cycle as one line, for output that is not a terminal."""
        counts = ", ".join(f"{k} {v}" for k, v in sorted(report.totals().items()) if v)
        return f"cycle {self.cycles}: {counts or 'no change'}"

    def caption(self) -> str:
        now = self.clock()
        parts = [f"{self.cycles} cycle{'s' if self.cycles != 1 else ''}"]
        if self.last_change is not None:
            parts.append(f"last change {_ago(now - self.last_change)} ago")
        if self.stopped:
            return " · ".join([*parts, "stopped: the same command continues"])
        if self.next_cycle is None or now >= self.next_cycle:
            parts.append(f"cycle {self.cycles + 1} running")
        else:
            wait = f"next cycle in {self.next_cycle - now:.0f} s"
            parts.append(wait + (" or on a webhook delivery" if self.webhooks else ""))
        return " · ".join(parts) + " · Ctrl-C stops safely"

    def __rich__(self) -> Table:
        columns = [c for c in SHOWN
                   if c in ALWAYS or any(t[c] for t in self.totals.values())]  # fmt: skip
        table = Table(title="crmbridge sync", caption=self.caption(), title_justify="left")
        table.add_column("object")
        for column in [*columns, "pending"]:
            table.add_column(column, justify="right")
        for key, totals in self.totals.items():
            table.add_row(key, *(f"{totals[c]:,}" for c in columns), f"{self.pending[key]:,}")
        return table
