"""Values in the form Attio stores them, so that an upsert repeated with the same input compares
equal to what Attio holds and is a ``noop`` that sends no write (issue 23 "upserts settle").

Attio normalises some values on write; comparing the caller's form with the stored one would call
every re-run a change:

* ``domain``: lower case, without scheme, path, port or ``www.`` (``https://www.acme.com/`` is
  stored as ``acme.com``; docs/migrate.md §1, the emulator's ``_domain`` in
  crmbridge_attio/emulator/values.py);
* ``number``: a 64-bit float with four decimal places (docs/reference/attio.md §3): ``3.14159`` is
  stored as ``3.1416``. A non-zero number that would be stored as 0 is refused: rounding would
  change its meaning. (Money is refused beyond four decimals by the encoder already.)

References given by a match value (:class:`~crmbridge.RefBy`) are resolved to the record's id by
the provider before comparing (``AttioProvider.prepare_upsert``): Attio answers references as ids.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

from crmbridge import Add, FieldType, ObjectSchema, Remove, ValidationError

__all__ = ["stored_domain", "stored_number", "stored_values"]

_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://")
_FOUR = Decimal("0.0001")


def stored_domain(value: Any) -> Any:
    """``value`` as Attio stores a domain (other values unchanged, for the encoder to judge)."""
    if not isinstance(value, str):
        return value
    host = _SCHEME.sub("", value.strip().lower())
    host = re.split(r"[/?#]", host, maxsplit=1)[0].split(":")[0]
    return host.removeprefix("www.") or value


def stored_number(value: Any, field: str) -> Any:
    """``value`` rounded to four decimal places as Attio stores it; a non-zero value that would
    round to zero is a :class:`~crmbridge.ValidationError`."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return value
    if isinstance(value, int):
        return value
    try:
        exact = Decimal(str(value))
        rounded = exact.quantize(_FOUR, rounding=ROUND_HALF_EVEN)
    except InvalidOperation:
        return value
    if rounded == exact:
        return value
    if rounded == 0:
        raise ValidationError(
            f"{field}: Attio keeps four decimal places, so {value} would be stored as 0",
            provider="attio",
            code="rounding_changes_meaning",
        )
    return int(rounded) if rounded == rounded.to_integral_value() else rounded


_BY_TYPE = {FieldType.domain: lambda v, _: stored_domain(v), FieldType.number: stored_number}


def stored_values(schema: ObjectSchema, values: Mapping[str, Any]) -> dict[str, Any]:
    """``values`` with domains and numbers in Attio's stored form."""
    out = dict(values)
    for slug, value in values.items():
        spec = schema.fields.get(slug)
        rule = _BY_TYPE.get(spec.type) if spec is not None else None
        if rule is None:
            continue
        if isinstance(value, list | tuple):
            out[slug] = [rule(v, slug) for v in value]
        elif isinstance(value, Add | Remove):
            out[slug] = type(value)(tuple(rule(v, slug) for v in value.values))
        else:
            out[slug] = rule(value, slug)
    return out
