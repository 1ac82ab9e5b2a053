"""Would a write change anything? Decides ``noop`` upserts without writing. Pure.

See docs/providers/kizen.md "noop": the provider reads the match first and calls
:func:`would_change` with the values the caller gave (already validated by the facade).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from crmbridge import Add, Clear, File, Money, Option, Record, Ref, Remove, User
from crmbridge.provider import ObjectSchema

__all__ = ["would_change"]


def _key(v: Any) -> Any:
    """A comparison key that ignores representation: option/ref/user/file by id, numbers exactly."""
    if isinstance(v, Option):
        return ("option", v.id) if v.id else ("option-label", v.label)
    if isinstance(v, Ref | File):
        return ("id", v.id)
    if isinstance(v, User):
        return ("user", v.id or v.email)
    if isinstance(v, Money):
        return ("number", v.amount)
    if isinstance(v, bool):
        return ("bool", v)
    if isinstance(v, int | float | Decimal):
        return ("number", Decimal(str(v)))
    if isinstance(v, str) and v == "":
        return None
    return v


def would_change(record: Record, values: Mapping[str, Any], schema: ObjectSchema) -> bool:
    """Whether writing ``values`` (neutral, validated) to ``record`` would change anything.
    Used to answer ``noop`` for an upsert without writing (docs/providers/kizen.md "noop")."""
    for slug, new in values.items():
        spec = schema.field(slug)
        current = record.fields.get(slug)
        have = [_key(x) for x in current] if isinstance(current, list) else None
        if isinstance(new, Add):
            if have is None or any(_key(x) not in have for x in new.values):
                return True
        elif isinstance(new, Remove):
            if have is None or any(_key(x) in have for x in new.values):
                return True
        elif isinstance(new, Clear) or new is None:
            if current not in (None, [], ""):
                return True
        elif spec.multi:
            items = new if isinstance(new, list | tuple) else [new]
            if have is None or sorted(map(repr, have)) != sorted(repr(_key(x)) for x in items):
                return True
        elif _key(new) != _key(current):
            return True
    return False
