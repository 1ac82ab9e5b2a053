"""What a migration did, per object: created / updated / unarchived / noop / failed, and what is
still pending, gone from the source, or in conflict with an edit made in the target.

The report is the run's truth (issue 15): ``ok`` only when no record of the mapping is left
unwritten — neither failed in this run nor pending from an earlier one.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import TYPE_CHECKING, Any

import attrs

if TYPE_CHECKING:
    from rich.table import Table

__all__ = ["ObjectReport", "Report"]

COLUMNS = ("created", "updated", "unarchived", "noop", "failed")
#: Shown only when a run has some.
OPTIONAL = ("conflict", "gone", "archived", "deleted")
#: What happens to one record read from the source (the progress total counts these).
RECORD_ACTIONS = ("created", "updated", "unarchived", "noop", "failed", "conflict", "planned")


@attrs.define
class ObjectReport:
    """Counts for one object pair."""

    key: str
    counts: Counter[str] = attrs.field(factory=Counter)
    references_fixed: int = 0
    unresolved: int = 0
    skipped_complete: bool = False
    #: Records of this object not written yet after this run (failed now or before).
    pending: int = 0
    #: The mapping changed since the state was made: every record was written again.
    replanned: bool = False
    #: Target records someone else changed since the last write: source id, fields that differ.
    conflicts: list[dict[str, Any]] = attrs.field(factory=list)

    def count(self, action: str, n: int = 1) -> None:
        self.counts[action] += n

    @property
    def total(self) -> int:
        return sum(self.counts[a] for a in RECORD_ACTIONS)

    @property
    def writes(self) -> int:
        return sum(self.counts[a] for a in ("created", "updated", "unarchived"))

    def summary(self) -> str:
        shown = [f"{self.counts[c]} {c}" for c in (*COLUMNS, *OPTIONAL) if self.counts[c]]
        if self.pending:
            shown.append(f"{self.pending} pending")
        return ", ".join(shown) or "nothing to do"


@attrs.define
class Report:
    """The whole run."""

    objects: dict[str, ObjectReport] = attrs.field(factory=dict)
    #: The run's id in the state (``None`` for a dry run).
    run_id: str | None = None
    #: The failures file this run wrote, if a record failed.
    failures_path: str | None = None
    #: How many writes were in flight: fixed, or adapted to the target's answers
    #: (crmbridge/migrate/writers.py ``Writers.summary``).
    writers: dict[str, Any] = attrs.field(factory=dict)

    @property
    def failed(self) -> int:
        return sum(o.counts["failed"] for o in self.objects.values())

    @property
    def pending(self) -> int:
        """Records of the mapping not written yet: they keep the run from being ``ok``."""
        return sum(o.pending for o in self.objects.values())

    @property
    def ok(self) -> bool:
        return self.failed == 0 and self.pending == 0

    @property
    def writes(self) -> int:
        return sum(o.writes for o in self.objects.values())

    def totals(self) -> Counter[str]:
        out: Counter[str] = Counter()
        for o in self.objects.values():
            out.update(o.counts)
        return out

    def table(self, *, dry_run: bool = False) -> Table:
        """A rich table, one row per object and a total (rich comes with the ``cli`` extra)."""
        from rich.table import Table

        totals = self.totals()
        columns = ("planned", "noop") if dry_run else COLUMNS
        columns = (*columns, *(c for c in OPTIONAL if totals[c]))
        pending = ["pending"] if self.pending else []
        table = Table(title="migration report" + (f" (run {self.run_id})" if self.run_id else ""))
        widest = max((len(p) for k in self.objects for p in k.split("->")), default=6)
        table.add_column("object", overflow="fold", min_width=widest + 2)
        refs = ["refs fixed"] + (["refs unresolved"] if self.unresolved else [])
        for column in (*columns, *pending, *refs):
            table.add_column(column, justify="right", min_width=len(column.split()[0]))

        def ref_cells(objects: list[ObjectReport]) -> list[str]:
            cells = [str(sum(o.references_fixed for o in objects))]
            if self.unresolved:
                cells.append(str(sum(o.unresolved for o in objects)))
            return cells

        for o in self.objects.values():
            note = " (already complete)" if o.skipped_complete else ""
            note += " (mapping changed: re-planned)" if o.replanned else ""
            table.add_row(
                o.key.replace("->", " → ") + note,
                *(str(o.counts[c]) for c in columns),
                *([str(o.pending)] if pending else []),
                *ref_cells([o]),
            )
        table.add_row(
            "[bold]total[/]",
            *(f"[bold]{totals[c]}[/]" for c in columns),
            *([f"[bold]{self.pending}[/]"] if pending else []),
            *ref_cells(list(self.objects.values())),
        )
        return table

    @property
    def unresolved(self) -> int:
        """References left empty: their target record was never migrated (it failed, or its
        object is not in the mapping's run)."""
        return sum(o.unresolved for o in self.objects.values())

    def as_dict(self) -> dict[str, dict[str, Any]]:
        return {
            k: {
                **{c: o.counts[c] for c in (*COLUMNS, *OPTIONAL, "planned")},
                "pending": o.pending,
                "references_fixed": o.references_fixed,
                "references_unresolved": o.unresolved,
                "replanned": o.replanned,
                "conflicts": o.conflicts,
            }
            for k, o in self.objects.items()
        }

    def to_json(self) -> str:
        """The report as ``--report-json`` writes it."""
        return json.dumps(
            {
                "run": self.run_id,
                "ok": self.ok,
                "failed": self.failed,
                "pending": self.pending,
                "failures_file": self.failures_path,
                "objects": self.as_dict(),
                "writers": {k: _plain(v) for k, v in self.writers.items()},
            },
            indent=2,
        )


def _plain(value: Any) -> Any:
    """JSON keys are strings: the writers' pushback counts are keyed by HTTP status."""
    return {str(k): v for k, v in value.items()} if isinstance(value, dict) else value
