"""Apply validated values to stored ones: set, :func:`~crmbridge.add`, :func:`~crmbridge.remove`,
:func:`~crmbridge.clear` (DESIGN §3).

The facade has already normalised the values against the schema (options carry their ids, single
values for multi fields are lists), so this is plain list arithmetic. A local file has no reason
to emulate anything: add and remove are native and atomic here (one transaction).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from crmbridge import Add, Clear, FieldSpec, Option, Remove

__all__ = ["apply_changes", "same_item"]


def _identity(value: Any) -> Any:
    """What makes two items of a multi field "the same" for add/remove: an option's label
    (case-insensitive) or id, a string case-insensitively, anything else by equality."""
    if isinstance(value, Option):
        return ("option", value.label.casefold())
    if isinstance(value, str):
        return ("text", value.casefold())
    return value


def same_item(a: Any, b: Any) -> bool:
    return bool(_identity(a) == _identity(b))


def _apply(spec: FieldSpec, old: Any, change: Any) -> Any:
    if isinstance(change, Clear) or change is None:
        return [] if spec.multi else None
    if isinstance(change, Add):
        current = list(old or [])
        for item in change.values:
            if not any(same_item(item, c) for c in current):
                current.append(item)
        return current
    if isinstance(change, Remove):
        return [c for c in (old or []) if not any(same_item(c, r) for r in change.values)]
    return list(change) if spec.multi else change


def apply_changes(
    fields: Mapping[str, FieldSpec], stored: Mapping[str, Any], changes: Mapping[str, Any]
) -> dict[str, Any]:
    """The record's values after ``changes``; empty values are dropped from storage."""
    out = dict(stored)
    for slug, change in changes.items():
        value = _apply(fields[slug], out.get(slug), change)
        if value is None or value == []:
            out.pop(slug, None)
        else:
            out[slug] = value
    return out
