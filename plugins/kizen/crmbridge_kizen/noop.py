"""Would a write change anything? Decides ``noop`` upserts without writing. Pure.

See docs/providers/kizen.md "noop": the provider reads the match first and calls
:func:`would_change` with the values the caller gave (already validated by the facade).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from crmbridge import (
    Add,
    Clear,
    FieldSpec,
    FieldType,
    File,
    Money,
    Option,
    Record,
    Ref,
    Remove,
    User,
)
from crmbridge.provider import ObjectSchema

from .options import find_option

__all__ = ["would_change"]


def _key(v: Any) -> Any:
    """A comparison key that ignores representation: options by label (unique per field,
    case-insensitively, docs/reference/kizen.md §11; given values are first resolved to the
    field's options by :func:`_given`), ref/user/file by id, numbers exactly."""
    if isinstance(v, Option):
        return ("option", v.label.casefold())
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


_OPTION_TYPES = (FieldType.option, FieldType.status, FieldType.tags)


def _given(spec: FieldSpec, v: Any) -> Any:
    """A given option value (a label, a code or an Option, possibly by id only) as the field's
    option, so it compares with what Kizen reads back (``{id, name}``): a tag written by label
    reads back as itself (issue 17: every upsert with tags wrote again)."""
    if spec.type in _OPTION_TYPES and isinstance(v, str | Option):
        return find_option(spec, v) or (v if isinstance(v, Option) else Option(v))
    return v


def would_change(record: Record, values: Mapping[str, Any], schema: ObjectSchema) -> bool:
    """Whether writing ``values`` (neutral, validated) to ``record`` would change anything.
    Used to answer ``noop`` for an upsert without writing (docs/providers/kizen.md "noop")."""
    for slug, given in values.items():
        spec = schema.field(slug)
        if not record.given(slug):
            return True  # absent (a hidden field a search row leaves out): unknown, so write
        if isinstance(given, Add | Remove):
            new: Any = type(given)([_given(spec, v) for v in given.values])
        elif isinstance(given, list | tuple):
            new = [_given(spec, v) for v in given]
        else:
            new = _given(spec, given)
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
