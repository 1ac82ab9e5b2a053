"""Neutral filters and sorts evaluated in Python over neutral values.

The values are stored as tagged JSON (see :mod:`.store`), which SQL cannot compare faithfully
(``Decimal``, options, names), so the provider decodes rows and applies :func:`matches` and
:func:`sort_key` here. Semantics, chosen to match what the CRMs do:

* text comparisons (``eq``, ``in``, ``contains``, ``starts_with``, ``ends_with``) ignore case;
* an option compares by its label, a name by its display form, money by its amount, a reference
  by the record id, a user by email or id;
* on a multi field a condition holds when it holds for *any* value (``ne``: for none);
* ``lt``/``gt``... compare numbers and dates; an empty value matches no comparison;
* ``is_empty`` treats ``None``, ``""`` and ``[]`` as empty; empty values sort last.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from crmbridge import Location, Money, Option, PersonName, Ref, Sort, User
from crmbridge.filters import And, Condition, Filter, Not, Or

__all__ = ["matches", "ordered"]


def _key(value: Any) -> Any:
    """A comparable primitive for a neutral value (see the module docstring)."""
    if isinstance(value, Option):
        return value.label.casefold()
    if isinstance(value, PersonName):
        return value.display.casefold()
    if isinstance(value, Money):
        return value.amount
    if isinstance(value, Ref):
        return value.id
    if isinstance(value, User):
        return (value.email or value.id or value.name or "").casefold()
    if isinstance(value, Location):
        parts = (value.line_1, value.locality, value.region, value.postcode, value.country_code)
        return ", ".join(p for p in parts if p).casefold()
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float | Decimal):
        return Decimal(str(value))
    if isinstance(value, str):
        return value.casefold()
    return value


def _like(target: Any, sample: Any) -> Any:
    """``target`` (from the filter, unnormalised) in the shape of a stored ``sample`` key."""
    key = _key(target)
    try:
        if isinstance(sample, Decimal) and isinstance(key, str):
            return Decimal(key)
        if isinstance(sample, dt.datetime) and isinstance(key, str):
            moment = dt.datetime.fromisoformat(key.replace("z", "+00:00"))
            return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
        if isinstance(sample, dt.date) and isinstance(key, str):
            return dt.date.fromisoformat(key)
    except (ValueError, InvalidOperation):
        return key
    return key


def _items(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _one(op: str, stored: Any, target: Any) -> bool:
    key = _key(stored)
    want = _like(target, key)
    if op in ("eq", "ne"):
        return bool(key == want)
    if op == "in":
        return any(key == _like(t, key) for t in target)
    if op in ("contains", "starts_with", "ends_with"):
        text, part = str(key), str(want)
        if op == "contains":
            return part in text
        return text.startswith(part) if op == "starts_with" else text.endswith(part)
    try:
        if op == "lt":
            return bool(key < want)
        if op == "lte":
            return bool(key <= want)
        if op == "gt":
            return bool(key > want)
        if op == "gte":
            return bool(key >= want)
    except TypeError:
        return False
    raise ValueError(f"unknown operator {op!r}")


def _condition(cond: Condition, fields: Mapping[str, Any]) -> bool:
    items = _items(fields.get(cond.field))
    if cond.op == "is_empty":
        empty = not [i for i in items if i not in ("", None)]
        return empty is bool(cond.value)
    if cond.op == "ne":
        return not any(_one("eq", i, cond.value) for i in items)
    return any(_one(cond.op, i, cond.value) for i in items)


def matches(where: Filter | None, fields: Mapping[str, Any]) -> bool:
    """Whether a record with ``fields`` satisfies ``where``."""
    if where is None:
        return True
    if isinstance(where, Condition):
        return _condition(where, fields)
    if isinstance(where, And):
        return all(matches(f, fields) for f in where.items)
    if isinstance(where, Or):
        return any(matches(f, fields) for f in where.items)
    if isinstance(where, Not):
        return not matches(where.item, fields)
    raise TypeError(f"not a filter: {where!r}")


def ordered(rows: Sequence[Any], sorts: Sequence[Sort], get: Any) -> list[Any]:
    """``rows`` sorted by ``sorts`` (stable; the last sort applied first); empty values last."""
    result = list(rows)
    for s in reversed(sorts):
        present = [r for r in result if _items(get(r).get(s.field))]
        empty = [r for r in result if not _items(get(r).get(s.field))]
        try:
            present.sort(key=lambda r: _key(_items(get(r).get(s.field))[0]), reverse=s.descending)
        except TypeError:  # mixed types: compare as text
            present.sort(
                key=lambda r: str(_key(_items(get(r).get(s.field))[0])), reverse=s.descending
            )
        result = present + empty
    return result
