"""Checks on the *shape* of what a caller hands crmbridge, before any schema is read or any
request is sent — so a bad input is a :class:`~crmbridge.ValidationError` whatever the schema
cache holds, and never a ``TypeError``, ``OverflowError``, ``decimal.InvalidOperation`` or
``RecursionError`` from deep inside a codec (issue 15: "Exceptions that are not crmbridge
errors").

:mod:`crmbridge.validation` then checks each value against its field's type; this module owns
what is wrong whatever the field:

* numbers must be finite and fit an IEEE 754 double (±1.797…e308): JSON numbers interoperate as
  doubles (RFC 8259 §6, https://www.rfc-editor.org/rfc/rfc8259#section-6), and NaN / infinities
  have no JSON form at all;
* values and filters nest at most :data:`MAX_DEPTH` levels (a value nested 5,000 deep broke even
  the error's own ``str``);
* the text parts of the neutral value types (``Option.label``, ``Ref.id``, ...) are strings
  (finite numbers pass where a provider may take them as text, never as an option's label);
* ``values`` is a mapping with string keys; ``match`` a non-empty string or ``None``.
"""

from __future__ import annotations

import math
import sys
import typing
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import attrs

from .errors import FieldError, ValidationError

__all__ = ["MAX_DEPTH", "check_filter", "check_match", "check_number", "check_values"]

#: How deep a value (lists in lists, maps in maps) or a filter (and/or/not) may nest.
MAX_DEPTH = 64

_MAX = Decimal(sys.float_info.max)

#: Modules whose attrs classes (neutral values, typed filters) are looked into.
_OURS = frozenset({"crmbridge.model", "crmbridge.filters"})

#: Neutral values that name something by a label: a number there names nothing (``Option(0)``
#: is no option's label, as ``Option(None)`` is not), unlike a coordinate given as a number.
_NAMES = {"Option": "option"}


def check_number(v: int | float | Decimal) -> str | None:
    """What is wrong with a number (``None``: nothing): not finite, or too large for JSON."""
    if isinstance(v, float):
        return None if math.isfinite(v) else f"{v!r} is not a finite number"
    if isinstance(v, Decimal):
        if not v.is_finite():
            return f"{v!r} is not a finite number"
        return None if abs(v) <= _MAX else "larger than a JSON number can hold (±1.8e308)"
    if isinstance(v, int) and not isinstance(v, bool):
        if -_MAX <= v <= _MAX:
            return None
        return "larger than a JSON number can hold (±1.8e308)"
    return None


def _text_field(f: attrs.Attribute[Any]) -> tuple[bool, bool]:
    """Whether an attrs field holds text, and whether it may be ``None``. The type is a string
    (``from __future__ import annotations``) until something (cattrs) resolves it to a class."""
    kind: Any = f.type
    if isinstance(kind, str):
        text = kind.replace(" ", "")
        return text in ("str", "str|None", "None|str"), "None" in text
    if kind is str:
        return True, False
    args = set(typing.get_args(kind))
    return args == {str, type(None)}, type(None) in args


def _problem(value: Any, depth: int) -> str | None:
    """The first thing wrong with ``value``'s shape, or ``None``. Iterative in depth only up to
    :data:`MAX_DEPTH` levels, so a hostile value cannot exhaust the stack here."""
    if depth > MAX_DEPTH:
        return f"nested more than {MAX_DEPTH} levels deep"
    if isinstance(value, str | bool) or value is None:
        return None
    if isinstance(value, int | float | Decimal):
        return check_number(value)
    if isinstance(value, Mapping):
        for k, v in value.items():
            if not isinstance(k, str):
                return f"a map key must be a string, got {type(k).__name__}"
            found = _problem(v, depth + 1)
            if found:
                return found
        return None
    if isinstance(value, list | tuple | set | frozenset):
        for v in value:
            found = _problem(v, depth + 1)
            if found:
                return found
        return None
    if attrs.has(type(value)) and type(value).__module__ in _OURS:
        for f in attrs.fields(type(value)):
            v = getattr(value, f.name)
            text, optional = _text_field(f)
            if text:
                if v is None and optional:
                    continue
                named = _NAMES.get(type(value).__name__)
                if named is not None and f.name == "label" and not isinstance(v, str):
                    return (
                        f"unknown {named} {_summary(v)}: {type(value).__name__}.label must be a"
                        f" string, got {type(v).__name__}"
                    )
                if isinstance(v, int | float | Decimal) and not isinstance(v, bool):
                    # A number where text goes (Location(latitude=51.5)): a provider may take
                    # it (Attio writes coordinates as strings); it must be a finite one.
                    wrong = check_number(v)
                    if wrong:
                        return f"{type(value).__name__}.{f.name}: {wrong}"
                    continue
                if not isinstance(v, str):
                    return (
                        f"{type(value).__name__}.{f.name} must be a string"
                        f"{' or None' if optional else ''}, got {type(v).__name__}"
                    )
                continue
            found = _problem(v, depth + 1)
            if found:
                return found
    return None


def _summary(value: Any) -> str:
    """A short description of ``value`` that cannot recurse (the value may be hostile)."""
    if isinstance(value, list | tuple | set | frozenset | Mapping):
        return f"a {type(value).__name__} of {len(value)}"
    try:
        text = repr(value)
    except RecursionError:
        return type(value).__name__
    return text if len(text) <= 80 else text[:77] + "..."


def check_values(values: Any) -> None:
    """``values`` of a create, update or upsert: a mapping of field names to values whose shape
    is sound. One :class:`ValidationError` listing every field that is not."""
    if not isinstance(values, Mapping):
        raise ValidationError(
            f"values must be a mapping of field names to values, got {_summary(values)}",
            code="invalid_values",
        )
    errors = []
    for key, value in values.items():
        if not isinstance(key, str):
            errors.append(
                FieldError(None, f"a field name must be a string, got {_summary(key)}",
                           code="invalid_field_name")
            )  # fmt: skip
            continue
        found = _problem(value, 1)
        if found:
            errors.append(FieldError(key, found, value=_summary(value), code="invalid_value"))
    if errors:
        names = ", ".join(e.field or "?" for e in errors)
        raise ValidationError(f"{len(errors)} invalid value(s): {names}", field_errors=errors)


def check_match(match: Any) -> None:
    """An upsert's ``match``: a field name, or ``None`` for the provider's default."""
    if match is not None and (not isinstance(match, str) or not match):
        raise ValidationError(
            f"match must be a field name (a non-empty string) or None, got {_summary(match)}",
            code="invalid_match",
        )


def check_filter(where: Any) -> None:
    """A filter in typed or dict form: nesting bounded, numbers finite, text where text goes.
    Structure (operators, field names) is checked by :mod:`crmbridge.filters` and the schema."""
    if where is None:
        return
    found = _problem(where, 0)
    if found:
        raise ValidationError(f"invalid filter: {found}", code="invalid_filter_value")
