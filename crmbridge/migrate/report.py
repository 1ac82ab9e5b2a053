"""What a migration did, per object: created / updated / unarchived / noop / failed."""

from __future__ import annotations

from collections import Counter

import attrs
from rich.table import Table

__all__ = ["ObjectReport", "Report"]

COLUMNS = ("created", "updated", "unarchived", "noop", "failed")


@attrs.define
class ObjectReport:
    """Counts for one object pair."""

    key: str
    counts: Counter[str] = attrs.field(factory=Counter)
    references_fixed: int = 0
    unresolved: int = 0
    skipped_complete: bool = False

    def count(self, action: str) -> None:
        self.counts[action] += 1

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def writes(self) -> int:
        return sum(self.counts[a] for a in ("created", "updated", "unarchived"))


@attrs.define
class Report:
    """The whole run."""

    objects: dict[str, ObjectReport] = attrs.field(factory=dict)

    @property
    def failed(self) -> int:
        return sum(o.counts["failed"] for o in self.objects.values())

    @property
    def writes(self) -> int:
        return sum(o.writes for o in self.objects.values())

    def totals(self) -> Counter[str]:
        out: Counter[str] = Counter()
        for o in self.objects.values():
            out.update(o.counts)
        return out

    def table(self, *, dry_run: bool = False) -> Table:
        """A rich table, one row per object and a total."""
        columns = ("planned", "noop") if dry_run else COLUMNS
        table = Table(title="migration report")
        widest = max((len(p) for k in self.objects for p in k.split("->")), default=6)
        table.add_column("object", overflow="fold", min_width=widest + 2)
        refs = ["refs fixed"] + (["refs unresolved"] if self.unresolved else [])
        for column in (*columns, *refs):
            table.add_column(column, justify="right", min_width=len(column.split()[0]))

        def ref_cells(objects: list[ObjectReport]) -> list[str]:
            cells = [str(sum(o.references_fixed for o in objects))]
            if self.unresolved:
                cells.append(str(sum(o.unresolved for o in objects)))
            return cells

        for o in self.objects.values():
            note = " (already complete)" if o.skipped_complete else ""
            table.add_row(
                o.key.replace("->", " → ") + note,
                *(str(o.counts[c]) for c in columns),
                *ref_cells([o]),
            )
        totals = self.totals()
        table.add_row(
            "[bold]total[/]",
            *(f"[bold]{totals[c]}[/]" for c in columns),
            *ref_cells(list(self.objects.values())),
        )
        return table

    @property
    def unresolved(self) -> int:
        """References left empty: their target record was never migrated (it failed, or its
        object is not in the mapping's run)."""
        return sum(o.unresolved for o in self.objects.values())

    def as_dict(self) -> dict[str, dict[str, int]]:
        return {
            k: {
                **{c: o.counts[c] for c in (*COLUMNS, "planned")},
                "references_fixed": o.references_fixed,
                "references_unresolved": o.unresolved,
            }
            for k, o in self.objects.items()
        }
