"""Writing Kizen field values: one encoder per write form, in one table, and the ``on_archived``
policy of each write verb. Pure.

``{"fields": [{"name"|"id": ..., "value"|"add_values"|"remove_values": ...}]}`` (docs/reference/kizen.md §5 ``FieldRequest``); every bad value is reported, by field, before any request.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from crmbridge import (
    Add,
    Clear,
    FieldError,
    FieldSpec,
    File,
    Money,
    Option,
    Ref,
    Remove,
    Unsupported,
    User,
    ValidationError,
)
from crmbridge.provider import ObjectSchema, OnArchived
from crmbridge.upsert import DEFAULT_ON_ARCHIVED

from .errors import PROVIDER
from .options import find_option, is_stage
from .reads import rating_of
from .types import KizenType, Write, field_type_of, kizen_type

__all__ = ["FieldKey", "archive_policy", "encode_fields", "encode_value"]

FieldKey = Literal["name", "id"]


class _Invalid(Exception):
    def __init__(self, expected: str, message: str | None = None) -> None:
        super().__init__(expected)
        self.expected = expected
        self.message = message or "invalid value"


def _w_text(v: Any, spec: FieldSpec) -> str:
    if not isinstance(v, str):
        raise _Invalid("a string")
    return v


def _number_json(v: Any) -> int | float:
    if isinstance(v, bool):
        raise _Invalid("a number")
    if isinstance(v, int | float):
        return v
    try:
        d = Decimal(str(v)) if isinstance(v, Decimal | str) else None
    except InvalidOperation:
        d = None
    if d is None or not d.is_finite():
        raise _Invalid("a number")
    # JSON has no decimals: integral values go as integers, others as the nearest float.
    return int(d) if d == d.to_integral_value() else float(d)


def _w_number(v: Any, spec: FieldSpec) -> int | float:
    return _number_json(v)


def _w_integer(v: Any, spec: FieldSpec) -> int:
    n = _number_json(v)
    if isinstance(n, float):
        if not n.is_integer():
            raise _Invalid("a whole number")
        n = int(n)
    # Integer is 4 bytes (docs/reference/kizen.md §1.1 custom-fields page)
    if not -(2**31) <= n < 2**31:
        raise _Invalid("a 32-bit integer")
    return n


def _w_money(v: Any, spec: FieldSpec) -> int | float:
    # The currency is the field's (money_options.currency), not the value's (docs/reference/kizen.md §5).
    # The currency is the field's (FieldSpec.currency, docs/reference/kizen.md §5), checked by the
    # validation pass and here for direct codec calls.
    if isinstance(v, Money):
        currency = spec.currency
        if v.currency and currency and v.currency != currency:
            raise _Invalid(f"an amount in {currency}", f"{v.currency} given for a {currency} field")
        v = v.amount
    return _number_json(v)


def _w_date(v: Any, spec: FieldSpec) -> str:
    if isinstance(v, str):
        try:
            v = dt.date.fromisoformat(v)
        except ValueError:
            raise _Invalid("a date (YYYY-MM-DD)") from None
    if isinstance(v, dt.datetime) or not isinstance(v, dt.date):
        raise _Invalid("a date (YYYY-MM-DD)")
    return v.isoformat()


def _w_datetime(v: Any, spec: FieldSpec) -> str:
    if isinstance(v, str):
        try:
            v = dt.datetime.fromisoformat(v)
        except ValueError:
            raise _Invalid("an ISO 8601 datetime") from None
    if not isinstance(v, dt.datetime):
        raise _Invalid("an ISO 8601 datetime")
    if v.tzinfo is None:
        raise _Invalid("a datetime with a time zone", "naive datetime: Kizen needs an offset")
    return v.isoformat()


def _w_bool(v: Any, spec: FieldSpec) -> bool:
    if not isinstance(v, bool):
        raise _Invalid("true or false")
    return v


def _as_option(v: Any) -> Option:
    if isinstance(v, str):
        return Option(v)
    if isinstance(v, Option):
        return v
    raise _Invalid("an option label or Option")


def _w_option(v: Any, spec: FieldSpec) -> dict[str, str]:
    # {"id": option-uuid} is the live round-trip-tested form; {"name": label} is accepted
    # (docs/reference/kizen.md §5 dropdown, §13.5; documented_examples write_fields_wire_shape).
    opt = _as_option(v)
    found = find_option(spec, opt)  # label, id or code (docs/reference/kizen.md §11)
    if found is not None and found.id:
        return {"id": found.id}
    if spec.options and found is None and opt.id is None:
        labels = ", ".join(repr(o.label) for o in spec.options[:20])
        raise _Invalid(f"one of {labels}", f"unknown option {opt.label!r}")
    return {"id": opt.id} if opt.id else {"name": opt.label}


def _w_tag(v: Any, spec: FieldSpec) -> dict[str, str]:
    # Tags unknown to the schema go by name (admin-cli falls back to {"name": label}, docs/reference/kizen.md §5).
    opt = _as_option(v)
    found = spec.option(opt) or opt
    return {"id": found.id} if found.id else {"name": found.label}


def _w_record(v: Any, spec: FieldSpec) -> dict[str, str]:
    # {"id": record-uuid} (docs/reference/kizen.md §5 relationship; documented_examples put_relationship_link).
    if isinstance(v, Ref):
        if spec.target_objects and v.object and v.object not in spec.target_objects:
            raise _Invalid(f"a record of {' or '.join(spec.target_objects)}")
        return {"id": v.id}
    if isinstance(v, str) and v:
        return {"id": v}
    raise _Invalid("a Ref or a record id")


def _w_member(v: Any, spec: FieldSpec) -> str:
    # The team member's UUID, bare (app-engine, docs/reference/kizen.md §5 team_selector).
    if isinstance(v, User):
        v = v.id
    if isinstance(v, str) and v and "@" not in v:
        return v
    raise _Invalid("a team member id", "Kizen needs the team member's id, not an email")


def _w_file(v: Any, spec: FieldSpec) -> str:
    if isinstance(v, File):
        return v.id
    if isinstance(v, str) and v:
        return v
    raise _Invalid("a File or an uploaded file id")


#: Rating scales already read, by the identity of their field spec (which the entry holds, so
#: the id is not reused while it is cached): a schema's specs live as long as its cache, and
#: every record written reuses them. Not keyed by ``==``: ``raw`` is left out of a spec's
#: equality, so two equal specs may carry other scales. Cleared when full.
_SCALES: dict[int, tuple[FieldSpec, tuple[int, int] | None]] = {}
_SCALES_MAX = 256


def _rating_scale(spec: FieldSpec) -> tuple[int, int] | None:
    """``(min, max)`` of a rating field (:func:`_read_scale`), read once per field spec."""
    hit = _SCALES.get(id(spec))
    if hit is not None and hit[0] is spec:
        return hit[1]
    scale = _read_scale(spec)
    if len(_SCALES) >= _SCALES_MAX:
        _SCALES.clear()
    _SCALES[id(spec)] = (spec, scale)
    return scale


def _read_scale(spec: FieldSpec) -> tuple[int, int] | None:
    """``(min, max)`` of a rating field: its ``rating`` metadata, else its options' codes
    (``{name: "1 - Low", code: "1"}``, recording patients.excerpt.json); ``None`` when unknown."""
    raw = spec.raw if isinstance(spec.raw, Mapping) else {}
    scale = raw.get("rating")
    if isinstance(scale, Mapping):
        lo, hi = scale.get("min_value"), scale.get("max_value")
        if isinstance(lo, int) and isinstance(hi, int):
            return lo, hi
    codes = [rating_of(o, spec) for o in raw.get("options") or () if isinstance(o, Mapping)]
    return (min(codes), max(codes)) if codes else None


def _w_rating(v: Any, spec: FieldSpec) -> int:
    # An integer (admin-cli coerces "3" to 3, docs/reference/kizen.md §5); an option "1 - Low"
    # means 1. Kizen refuses a rating outside the field's scale (5 or 10, docs/reference/kizen.md
    # §1.1 custom-fields page): refused here, before any request.
    if isinstance(v, Option):
        found = spec.option(v) or v
        v = rating_of({"name": found.label}, spec)
    n = _w_integer(v, spec)
    scale = _rating_scale(spec)
    if scale is not None and not scale[0] <= n <= scale[1]:
        raise _Invalid(f"a rating from {scale[0]} to {scale[1]}", f"{n} is outside the scale")
    return n


def _w_read_only(v: Any, spec: FieldSpec) -> Any:
    raise _Invalid("nothing", "the stage is moved with PATCH .../move, not written as a field")


def _w_raw(v: Any, spec: FieldSpec) -> Any:
    return v


#: How a value is written, per write form (docs/reference/kizen.md §5). One table.
_ENCODERS: Mapping[Write, Callable[[Any, FieldSpec], Any]] = {
    Write.TEXT: _w_text,
    Write.NUMBER: _w_number,
    Write.INTEGER: _w_integer,
    Write.MONEY: _w_money,
    Write.DATE: _w_date,
    Write.DATETIME: _w_datetime,
    Write.BOOL: _w_bool,
    Write.OPTION: _w_option,
    Write.TAG: _w_tag,
    Write.RECORD: _w_record,
    Write.MEMBER: _w_member,
    Write.FILE: _w_file,
    Write.RATING: _w_rating,
    Write.READ_ONLY: _w_read_only,
    Write.RAW: _w_raw,
}


def _empty(spec: FieldSpec, row: KizenType) -> Any:
    # "Clearing: send value null" (docs/reference/kizen.md §5); multi fields clear to []; text fields that
    # declare allows_nulls: false clear to "".
    if spec.multi:
        return []
    raw = spec.raw if isinstance(spec.raw, Mapping) else {}
    if row.text_like and raw.get("allows_nulls") is False:
        return ""
    return None


#: Hoisted: ``isinstance(x, A | B)`` builds the union on every call (this runs per value).
_CHANGES = (Add, Remove)
_SEQUENCES = (list, tuple)


def _encode(spec: FieldSpec, value: Any) -> tuple[str, Any]:
    """``("value" | "add_values" | "remove_values", payload)`` for one value; raises ``_Invalid``."""
    row = kizen_type(field_type_of(spec))
    encode = _ENCODERS[row.write]
    if isinstance(value, _CHANGES):
        if not spec.multi:
            raise _Invalid("a plain value", "add()/remove() only apply to multi fields")
        key = "add_values" if isinstance(value, Add) else "remove_values"
        return key, [encode(v, spec) for v in value.values]
    if value is None or isinstance(value, Clear):
        if row.write is Write.READ_ONLY:
            encode(value, spec)
        return "value", _empty(spec, row)
    if spec.multi:
        items = value if isinstance(value, _SEQUENCES) else [value]
        return "value", [encode(v, spec) for v in items]
    return "value", encode(value, spec)


def _field_error(spec: FieldSpec, value: Any, e: _Invalid) -> FieldError:
    return FieldError(spec.slug, e.message, value=value, expected=e.expected)


def encode_value(spec: FieldSpec, value: Any) -> dict[str, Any]:
    """One ``FieldRequest`` body without its key: ``{"value": ...}``, ``{"add_values": [...]}``
    or ``{"remove_values": [...]}`` (docs/reference/kizen.md §5). Raises :class:`~crmbridge.ValidationError`."""
    try:
        key, payload = _encode(spec, value)
    except _Invalid as e:
        raise ValidationError(
            f"invalid value for {spec.slug!r}",
            provider=PROVIDER,
            field_errors=[_field_error(spec, value, e)],
        ) from None
    return {key: payload}


def encode_fields(
    schema: ObjectSchema, values: Mapping[str, Any], *, key: FieldKey = "name"
) -> list[dict[str, Any]]:
    """The ``fields`` list of a write body (docs/reference/kizen.md §5 ``FieldRequest``), one entry per
    value, in the order given. ``key="id"`` names fields by UUID (``provider_id``): contacts
    ``add`` needs it (docs/reference/kizen.md §11). Every bad value is reported in one
    :class:`~crmbridge.ValidationError`."""
    out: list[dict[str, Any]] = []
    errors: list[FieldError] = []
    fields = schema.fields
    for slug, value in values.items():
        spec = fields.get(slug) or schema.field(slug)
        if not spec.writable and kizen_type(field_type_of(spec)).write is not Write.READ_ONLY:
            errors.append(FieldError(slug, "the field is read-only", value=value))
            continue
        if is_stage(spec):  # the provider moves it (PATCH …/move); never sent as a field
            errors.append(FieldError(slug, "the stage is moved with PATCH .../move, not written "
                                           "as a field", value=value))  # fmt: skip
            continue
        try:
            change, payload = _encode(spec, value)
        except _Invalid as e:
            errors.append(_field_error(spec, value, e))
            continue
        if key == "id" and spec.provider_id:
            out.append({"id": spec.provider_id, change: payload})
        else:
            out.append({"name": spec.slug, change: payload})
    if errors:
        names = ", ".join(sorted({str(e.field) for e in errors}))
        raise ValidationError(f"invalid values for {names}", provider=PROVIDER,
                              field_errors=errors)  # fmt: skip
    return out


# --- archive policy ---------------------------------------------------------------------------

#: ``on_archived`` → the body key and value each write verb sends (docs/reference/kizen.md §6, §7;
#: seed enums UnarchiveEnum, OncreateUnarchiveEnum, ArchivedConflictEnum). ``None``: send nothing
#: (Kizen's default, which fails). The upsert default is crmbridge's (crmbridge/upsert.py).
_ARCHIVE_POLICY: Mapping[str, tuple[str, Mapping[str, str | None]]] = {
    "create": ("unarchive", {"error": "prompt", "unarchive": "unarchive", "replace": "overwrite"}),
    "upsert": ("oncreate_unarchive",
               {"error": "prompt", "unarchive": "unarchive", "replace": "overwrite"}),
    "update": ("archived_conflict", {"error": None, "replace": "overwrite"}),
}  # fmt: skip
_DEFAULT_POLICY: Mapping[str, OnArchived] = {
    "create": "error",
    "upsert": DEFAULT_ON_ARCHIVED,
    "update": "error",
}


def archive_policy(
    verb: Literal["create", "upsert", "update"], on_archived: OnArchived | None
) -> dict[str, str]:
    """The body keys that carry ``on_archived`` for ``verb``. On update Kizen can only fail or
    rename the archived record's identifier (``archived_conflict: overwrite``): ``unarchive``
    raises :class:`~crmbridge.Unsupported`. An upsert with ``replace`` also sets
    ``onupdate_archived_conflict: overwrite``."""
    policy = on_archived or _DEFAULT_POLICY[verb]
    key, table = _ARCHIVE_POLICY[verb]
    if policy not in table:
        raise Unsupported(
            f"kizen cannot {policy!r} an archived record on {verb}; use one of {', '.join(table)}",
            provider=PROVIDER,
        )
    value = table[policy]
    out = {key: value} if value else {}
    if verb == "upsert" and policy == "replace":
        out["onupdate_archived_conflict"] = "overwrite"
    return out
