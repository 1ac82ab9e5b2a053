"""``crmbridge migrate --verify``: did every value arrive? Read both sides and compare.

For each object pair of the mapping, every source record is transformed as a run would transform
it (:meth:`~crmbridge.migrate.plan.ObjectPlan.transform`: options by label, users paired,
references through the id map) and compared, field by field, with the target record the id map
names. Only fields the source gave are compared (absent is not empty, docs/design.md §9). Values
are compared in a neutral form: options by label (case-insensitive), references, users and files
by id, numbers as decimals, lists as sets (a CRM keeps a value once), ``None`` and ``[]`` and ``""`` as empty. A source
record the id map does not know, or whose target record is gone, is a difference too.

:func:`verify_async` reads; :class:`VerifyReport` holds the differences and shows them as a rich
table or as plain data (``--json``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from ..model import File, Location, Money, Option, PersonName, Record, Ref, RefBy, User, to_dict
from .mapping import MappingFile, load_mapping
from .plan import ObjectPlan
from .prepare import prepare_plans
from .state import StateStore, open_state

if TYPE_CHECKING:
    from rich.table import Table

    from ..bridge import AsyncBridge

__all__ = ["Difference", "VerifyReport", "comparable", "verify", "verify_async"]

#: What a missing target record shows as its value.
MISSING = "<no target record>"


@attrs.frozen
class Difference:
    """One field of one record that does not hold in the target what the source holds."""

    object: str  # "source->target"
    source_id: str
    target_id: str | None
    field: str
    expected: Any
    actual: Any

    def as_dict(self) -> dict[str, Any]:
        return {
            "object": self.object,
            "source_id": self.source_id,
            "target_id": self.target_id,
            "field": self.field,
            "expected": to_dict(self.expected),
            "actual": self.actual if self.actual == MISSING else to_dict(self.actual),
        }


@attrs.define
class VerifyReport:
    """Differences per object pair, and how many records were compared."""

    checked: dict[str, int] = attrs.field(factory=dict)
    differences: list[Difference] = attrs.field(factory=list)

    @property
    def ok(self) -> bool:
        return not self.differences

    def as_dict(self) -> dict[str, Any]:
        return {
            "checked": dict(self.checked),
            "differences": [d.as_dict() for d in self.differences],
        }

    def table(self) -> Table:
        """The differences, one row per object and field (rich comes with the ``cli`` extra)."""
        from rich.table import Table

        table = Table(title=f"verify: {len(self.differences)} difference(s)")
        for column in ("object", "field", "source id", "target id", "source says", "target has"):
            table.add_column(column, overflow="fold")
        for d in self.differences:
            table.add_row(d.object, d.field, d.source_id, d.target_id or "-",
                          _show(d.expected), _show(d.actual))  # fmt: skip
        return table


def _show(value: Any) -> str:
    if isinstance(value, Option):
        return value.label
    if isinstance(value, list):
        return ", ".join(_show(v) for v in value)
    return "-" if value is None else str(value)


def _number(v: Any) -> Any:
    try:
        return Decimal(str(v)).normalize()
    except (InvalidOperation, ValueError):
        return v


def comparable(value: Any) -> Any:
    """``value`` in the form both sides are compared in (see the module docstring)."""
    if isinstance(value, list | tuple):
        items = {comparable(v) for v in value} - {None}  # a multi field holds each value once
        return tuple(sorted(items, key=repr)) or None
    if value is None or value == "":
        return None
    if isinstance(value, Option):
        return ("option", value.label.casefold())
    if isinstance(value, Ref | File):
        return ("id", value.id)
    if isinstance(value, RefBy):
        return ("ref_by", value.field, comparable(value.value))
    if isinstance(value, User):
        return ("user", value.id or (value.email or "").casefold())
    if isinstance(value, Money):
        return ("money", _number(value.amount))
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float | Decimal):
        return _number(value)
    if isinstance(value, PersonName):
        return ("name", value.first or None, value.last or None)
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC) if value.tzinfo else value
    if isinstance(value, Location):
        return attrs.astuple(value)
    if isinstance(value, str):
        return value.strip()
    return value


def _same(expected: Any, actual: Any) -> bool:
    e, a = comparable(expected), comparable(actual)
    if e == a:
        return True
    # A name given as a full name only, or as text (a text field mapped to a name field): the
    # target splits it into parts; compare what it shows.
    if isinstance(expected, PersonName | str) and isinstance(actual, PersonName):
        shown = expected.display if isinstance(expected, PersonName) else expected
        return shown.strip() == actual.display.strip()
    return False


async def _records(bridge: AsyncBridge, obj: str) -> dict[str, Record]:
    out: dict[str, Record] = {}
    async for page in bridge.pages(obj, page_size=bridge.capabilities.max_page_size):
        for record in page.records:
            if record.id is not None:
                out[record.id] = record
    return out


def _compare(plan: ObjectPlan, record: Record, target: Record | None, target_id: str | None,
             values: Mapping[str, Any]) -> Iterable[Difference]:  # fmt: skip
    assert record.id is not None
    for slug, expected in values.items():
        if target is None:
            yield Difference(plan.map.key, record.id, target_id, slug, expected, MISSING)
            return
        actual = target.fields.get(slug)
        if not target.given(slug) and comparable(expected) is None:
            continue
        if not _same(expected, actual):
            yield Difference(plan.map.key, record.id, target_id, slug, expected, actual)


async def verify_async(
    source: AsyncBridge,
    target: AsyncBridge,
    mapping: str | Path | MappingFile,
    *,
    state: str | Path | StateStore = "crmbridge-state.db",
) -> VerifyReport:
    """Compare every mapped field of every source record with its target record, through the id
    map in ``state``. Writes nothing."""
    plan_file = mapping if isinstance(mapping, MappingFile) else load_mapping(mapping)
    store = open_state(state)
    try:
        report = VerifyReport()
        # A missing option label shows as a difference, not a refusal.
        prepared = await prepare_plans(
            source, target, plan_file, create_options=True, can_create_options=True
        )
        for plan in prepared.plans:
            targets = await _records(target, plan.map.target)
            checked = 0
            async for page in source.pages(
                plan.map.source, page_size=source.capabilities.max_page_size
            ):
                for record in page.records:
                    if record.id is None:
                        continue
                    checked += 1
                    whole = record
                    if record.absent & plan.reads:  # hidden fields left out: read it whole
                        whole = await source.get(plan.map.source, record.id)
                    try:
                        values, deferred = plan.transform(whole, store.target_id)
                    except Exception as exc:  # a transform that fails is a difference
                        report.differences.append(Difference(
                            plan.map.key, record.id, None, "*", "a value", f"error: {exc}"
                        ))  # fmt: skip
                        continue
                    for slug, refs in deferred.items():
                        values[slug] = refs  # unresolved: never migrated, so they differ
                    target_id = store.target_id(plan.map.source, record.id)
                    found = targets.get(target_id) if target_id else None
                    if found is not None and found.absent & values.keys():
                        # A list answer left fields out (Kizen: hidden ones): read the record.
                        found = await target.get(plan.map.target, found.id or "")
                    report.differences.extend(_compare(plan, record, found, target_id, values))
            report.checked[plan.map.key] = checked
        from .verify_notes import verify_notes_and_tasks

        await verify_notes_and_tasks(source, target, plan_file, prepared.plans, store, report)
        return report
    finally:
        if not isinstance(state, StateStore):
            store.close()


def verify(
    source: AsyncBridge,
    target: AsyncBridge,
    mapping: str | Path | MappingFile,
    *,
    state: str | Path | StateStore = "crmbridge-state.db",
) -> VerifyReport:
    """:func:`verify_async`, run to completion (the Python API of ``migrate --verify``)."""
    import asyncio

    return asyncio.run(verify_async(source, target, mapping, state=state))
