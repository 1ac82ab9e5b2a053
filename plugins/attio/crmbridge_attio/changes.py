"""Change markers against a record's current values, and "would this write change anything?".
Pure, no IO.

Attio has no native ``remove`` and its assert syncs every multiselect (but the match attribute) to
exactly the list given (reference attio.md §4), so the provider resolves ``add`` / ``remove`` /
``clear`` into plain lists against the record it read, and compares values in their Attio write
form to tell an upsert's ``noop`` from ``updated``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from crmbridge import Add, Clear, FieldSpec, ObjectSchema, Record, Remove, ValidationError

from . import codec
from .values import BadValue

__all__ = ["as_list", "resolve", "unchanged", "value_key"]


def as_list(value: Any) -> list[Any]:
    if value is None or isinstance(value, Clear):
        return []
    if isinstance(value, Add | Remove):
        return list(value.values)
    if isinstance(value, list | tuple):
        return list(value)
    return [value]


def value_key(spec: FieldSpec, value: Any) -> str:
    """A comparable form of a value: its Attio write element (so an option by label and by id,
    or a name with and without ``full``, compare equal when Attio would store the same)."""
    try:
        encoded = codec.encode_value(spec, value)
    except (BadValue, ValidationError):
        encoded = repr(value)
    text = json.dumps(encoded, sort_keys=True, default=str)
    return text.casefold() if spec.type.value in ("email", "domain") else text


#: Hoisted: ``isinstance(x, A | B)`` builds the union on every call (this runs per value).
_CHANGES = (Add, Remove, Clear)


def resolve(
    schema: ObjectSchema, values: Mapping[str, Any], current: Record | None
) -> dict[str, Any]:
    """Changes against the record's current values → plain values: ``add`` appends what is not
    there yet, ``remove`` keeps the rest, ``clear`` empties. With no current record (create),
    ``add`` is a set and ``remove`` leaves nothing."""
    out: dict[str, Any] = {}
    for slug, value in values.items():
        if not isinstance(value, _CHANGES):
            out[slug] = value
            continue
        spec = schema.fields.get(slug)
        if spec is None or isinstance(value, Clear):
            out[slug] = [] if isinstance(value, Clear) else value
            continue
        have = as_list(current.fields.get(slug)) if current is not None else []
        if isinstance(value, Add):
            keys = {value_key(spec, v) for v in have}
            out[slug] = have + [v for v in value.values if value_key(spec, v) not in keys]
        else:
            drop = {value_key(spec, v) for v in value.values}
            out[slug] = [v for v in have if value_key(spec, v) not in drop]
    return out


def unchanged(
    schema: ObjectSchema, record: Record, values: Mapping[str, Any], *, match: str
) -> bool:
    """Whether writing ``values`` would leave ``record`` as it is. Assert semantics (reference
    attio.md §4): the match attribute only gains values; every other multiselect is synced to
    exactly the list given."""
    for slug, value in values.items():
        spec = schema.fields.get(slug)
        if spec is None:
            return False
        have = {value_key(spec, v) for v in as_list(record.fields.get(slug))}
        want = {value_key(spec, v) for v in as_list(value)}
        if slug == match:
            if not want <= have:
                return False
        elif want != have:
            return False
    return True
