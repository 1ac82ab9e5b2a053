"""Reading Kizen field values: one decoder per neutral type, in one table. Pure.

Read shapes are those of docs/reference/kizen.md §5 (read column), the live recording
``get_tax_lot.json`` and the documented ``read_value_shapes_by_type``; each decoder cites its source.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from crmbridge import FieldSpec, FieldType, File, Money, Option, Ref, User

from .errors import bad_payload as _bad_payload
from .types import TYPES, UNKNOWN, KizenType

__all__ = ["decode_user", "decode_value", "field_currency", "rating_of"]


def _text(v: Any, spec: FieldSpec | None) -> str | None:
    if isinstance(v, str):
        return v or None  # "" is how a cleared text reads back (documented_examples text_empty)
    if isinstance(v, int | float) and not isinstance(v, bool):
        return str(v)
    raise _bad_payload("a text value", v)


def _phone(v: Any, spec: FieldSpec | None) -> str | None:
    # Read shape UNCONFIRMED (docs/reference/kizen.md §5 phonenumber): a string, or an object with a number.
    if isinstance(v, Mapping):
        for key in ("e164", "e164_phone_number", "formatted", "number", "value"):
            if isinstance(v.get(key), str):
                return str(v[key]) or None
        raise _bad_payload("a phone number", v)
    return _text(v, spec)


def _decimal(v: Any, spec: FieldSpec | None) -> Decimal:
    # Decimals arrive as numbers (recording get_tax_lot.json: 5.0) or strings (app-engine's orjson
    # renderer, docs/reference/kizen.md §5): both become an exact Decimal.
    if isinstance(v, bool) or not isinstance(v, int | float | str | Decimal):
        raise _bad_payload("a number", v)
    try:
        return Decimal(str(v))
    except InvalidOperation:
        raise _bad_payload("a number", v) from None


def _integer(v: Any, spec: FieldSpec | None) -> int:
    d = _decimal(v, spec)
    if d != d.to_integral_value():
        raise _bad_payload("an integer", v)
    return int(d)


def _money(v: Any, spec: FieldSpec | None) -> Money | None:
    # {currency, symbol, amount}; an empty money field reads amount: null (docs/reference/kizen.md §5,
    # recording get_tax_lot.json, documented_examples money_empty).
    currency = field_currency(spec)
    if isinstance(v, Mapping):
        if v.get("amount") is None:
            return None
        return Money(_decimal(v["amount"], spec), v.get("currency") or currency)
    return Money(_decimal(v, spec), currency)


def field_currency(spec: FieldSpec | None) -> str | None:
    """The money field's currency (``FieldSpec.currency``, from ``money_options``)."""
    return spec.currency if spec is not None else None


def _date(v: Any, spec: FieldSpec | None) -> dt.date:
    if isinstance(v, str):
        try:
            return dt.date.fromisoformat(v[:10])
        except ValueError:
            pass
    raise _bad_payload("a date", v)


def _datetime(v: Any, spec: FieldSpec | None) -> dt.datetime:
    if isinstance(v, str):
        try:
            return dt.datetime.fromisoformat(v)
        except ValueError:
            pass
    raise _bad_payload("a datetime", v)


def _bool(v: Any, spec: FieldSpec | None) -> bool:
    if isinstance(v, bool):
        return v
    raise _bad_payload("a checkbox value", v)


def _option(v: Any, spec: FieldSpec | None) -> Option:
    # {id, code, name} (docs/reference/kizen.md §5, documented_examples dropdown); a bare option id is what
    # app-engine's doc describes: resolved against the schema's options when known.
    if type(v) is dict or isinstance(v, Mapping):
        oid = str(v["id"]) if v.get("id") else None
        if not v.get("name") and oid and spec is not None:
            known = next((o for o in spec.options if o.id == oid), None)
            if known is not None:
                return known
        label = v.get("name") or v.get("code") or oid
        if label is None:
            raise _bad_payload("an option", v)
        return Option(label=str(label), id=oid)
    if isinstance(v, str):
        known = spec.option(v) if spec is not None else None
        return known or Option(label=v)
    raise _bad_payload("an option", v)


def rating_of(v: Any, spec: FieldSpec | None) -> int:
    # Read shape UNCONFIRMED (docs/reference/kizen.md §5 rating): an integer, a number string, or one of the
    # field's options {id, name: "1 - Low", code: "1"} (recording patients.excerpt.json).
    if isinstance(v, Mapping):
        v = v.get("code") or v.get("name")
        if isinstance(v, str):
            m = re.match(r"\s*(\d+)", v)
            v = m.group(1) if m else v
    return _integer(v, spec)


def _ref(v: Any, spec: FieldSpec | None) -> Ref:
    # Custom objects read {id, name[, display_name]}, contacts {id, first_name, last_name, email}
    # or {id, display_name} (docs/reference/kizen.md §5 relationship); the target object comes from the schema.
    target = spec.target_objects[0] if spec is not None and spec.target_objects else ""
    rid = v.get("id") if isinstance(v, Mapping) else v
    if not isinstance(rid, str) or not rid:
        raise _bad_payload("a related record", v)
    return Ref(target, rid)


def _user(v: Any, spec: FieldSpec | None) -> User:
    return decode_user(v)


def decode_user(v: Any) -> User:
    """A team member: a ``team_selector`` value, ``{id, deleted, first_name, last_name, email}``
    (recording get_tax_lot.json owner), or an employee of ``GET /api/team`` (the same read shape,
    docs/reference/kizen.md §5); a bare id is a member known by id only."""
    if isinstance(v, str):
        return User(id=v)
    if type(v) is not dict and not isinstance(v, Mapping):
        raise _bad_payload("a team member", v)
    first, last = v.get("first_name"), v.get("last_name")
    name: str | None = (
        f"{first} {last}" if first and last else str(first or last or "") or v.get("display_name")
    )
    return User(id=v.get("id"), email=v.get("email"), name=name or None)


def _file(v: Any, spec: FieldSpec | None) -> File:
    if isinstance(v, str):
        return File(v)
    if isinstance(v, Mapping) and v.get("id"):
        url = v.get("url") or v.get("file_url")
        return File(str(v["id"]), name=v.get("name"), url=url)
    raise _bad_payload("a file", v)


def _timezone(v: Any, spec: FieldSpec | None) -> str | None:
    # Options have id == code == the IANA name (docs/reference/kizen.md §5 timezone): keep the IANA name.
    if isinstance(v, Mapping):
        v = v.get("code") or v.get("id") or v.get("name")
    return _text(v, spec)


def _raw(v: Any, spec: FieldSpec | None) -> Any:
    return v


#: How each neutral type's value is read. One table.
_DECODERS: Mapping[FieldType, Callable[[Any, FieldSpec | None], Any]] = {
    FieldType.text: _text,
    FieldType.long_text: _text,
    FieldType.email: _text,
    FieldType.phone: _phone,
    FieldType.number: _decimal,
    FieldType.integer: _integer,
    FieldType.money: _money,
    FieldType.rating: rating_of,
    FieldType.date: _date,
    FieldType.datetime: _datetime,
    FieldType.bool: _bool,
    FieldType.option: _option,
    FieldType.status: _option,
    FieldType.tags: _option,
    FieldType.reference: _ref,
    FieldType.user: _user,
    FieldType.file: _file,
    FieldType.timezone: _timezone,
    FieldType.unknown: _raw,
}

_WRAPPED_OK = frozenset({FieldType.money, FieldType.option, FieldType.status, FieldType.tags,
                         FieldType.reference, FieldType.user, FieldType.file, FieldType.rating,
                         FieldType.timezone, FieldType.phone, FieldType.unknown})  # fmt: skip


#: Per ``field_type``: its row, its decoder and whether a ``{"value": x}`` wrapper is unwrapped.
#: Derived from the tables above once, as this runs for every value of every row.
_READS: Mapping[str, tuple[KizenType, Callable[[Any, FieldSpec | None], Any], bool]] = {
    field_type: (row, _DECODERS[row.neutral], row.neutral not in _WRAPPED_OK)
    for field_type, row in TYPES.items()
}
_READ_UNKNOWN = (UNKNOWN, _raw, False)


def decode_value(field_type: str | None, value: Any, spec: FieldSpec | None = None) -> Any:
    """One field value in neutral form. Multi fields give a list (``[]`` for null), single fields
    the value or ``None``. A scalar wrapped as ``{"value": x}`` is unwrapped (app-engine warns of
    it, docs/reference/kizen.md §4). Unknown types keep the raw value."""
    row, decode, unwraps = (
        _READS.get(field_type, _READ_UNKNOWN) if type(field_type) is str else _READ_UNKNOWN
    )
    if row is UNKNOWN:
        return value
    multi = spec.multi if spec is not None else (row.multi is True or type(value) is list)
    if multi:
        if value is None:
            return []
        items = value if type(value) is list else [value]
        out = []
        for item in items:
            if unwraps:
                item = _unwrap(item)
            decoded = decode(item, spec)
            if decoded is not None:
                out.append(decoded)
        return out
    if type(value) is list:
        value = value[0] if value else None  # a to-one relation read as a list
    if unwraps:
        value = _unwrap(value)
    return None if value is None else decode(value, spec)


def _unwrap(value: Any) -> Any:
    # ``type(...) is dict`` rather than an ABC ``Mapping`` check: JSON bodies only hold dicts.
    if type(value) is dict and len(value) == 1 and "value" in value:
        return value["value"]
    return value
