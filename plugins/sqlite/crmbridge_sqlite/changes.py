"""Apply validated values to stored ones: set, :func:`~crmbridge.add`, :func:`~crmbridge.remove`,
:func:`~crmbridge.clear` (docs/design.md §3).

The facade has already normalised the values against the schema (options carry their ids, single
values for multi fields are lists), so this is plain list arithmetic. A local file has no reason
to emulate anything: add and remove are native and atomic here (one transaction).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import crmbridge
from crmbridge import Add, Clear, FieldSpec, Option, Remove

__all__ = ["apply_changes", "same_item", "unique_key"]


def unique_key(value: Any) -> str:
    """What makes two values "the same", as a string: an option's label and text compare
    case-insensitively, anything else by its exact plain-data form. Used by add/remove and by
    the store's index of unique values (so uniqueness needs no scan of every record)."""
    if isinstance(value, Option):
        return "option:" + value.label.casefold()
    if isinstance(value, str):
        return "text:" + value.casefold()
    return "value:" + json.dumps(crmbridge.to_dict(value), sort_keys=True, default=str)


def same_item(a: Any, b: Any) -> bool:
    return unique_key(a) == unique_key(b)


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
