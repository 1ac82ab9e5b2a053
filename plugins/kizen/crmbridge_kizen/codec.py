"""The Kizen codec: payload dicts ⇄ neutral objects. Pure: no HTTP, no state.

Public and stable: :func:`decode_record`, :func:`decode_field`, :func:`decode_object`,
:func:`decode_error`, :func:`encode_fields`. Per-type rules come from the one table in
:mod:`crmbridge_kizen.types`; this module holds the value decoders and encoders, one per neutral type
(reads) and one per :class:`~crmbridge_kizen.types.Write` form (writes), each in one table.

Reads (reference kizen.md §4 "Response record shape", recording ``get_tax_lot.json``): a record's
``fields`` is a map keyed by field UUID whose entries carry ``name`` (the api_name), ``field_type``
and ``value``; the neutral record is keyed by api_name. Blank fields are omitted by the API
(reference §1.1 custom-fields page); given the schema, :func:`decode_record` fills them in as
``None`` or ``[]``.

Writes (reference §5 ``FieldRequest``): ``{"fields": [{"name"|"id": ..., "value"|"add_values"|
"remove_values": ...}]}``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from crmbridge import (
    Add,
    AuthError,
    Clear,
    Conflict,
    CRMError,
    FieldError,
    FieldSpec,
    FieldType,
    File,
    Money,
    NotFound,
    ObjectSpec,
    Option,
    PermissionDenied,
    ProviderError,
    RateLimited,
    Record,
    Ref,
    Remove,
    Unsupported,
    User,
    ValidationError,
)
from crmbridge.provider import ObjectSchema, OnArchived

from .types import (
    DEFAULT_MATCH_KEY,
    FIELD_TYPE_FOR,
    MATCH_KEYS,
    READ_ONLY_FIELD_NAMES,
    TO_MANY_RELATIONS,
    KizenType,
    Write,
    kizen_type,
)

__all__ = [
    "PROVIDER",
    "archive_policy",
    "decode_error",
    "decode_field",
    "decode_object",
    "decode_page",
    "decode_record",
    "decode_value",
    "encode_fields",
    "encode_value",
    "field_type_of",
    "match_key_for",
    "merge_field_values",
    "summarised_fields",
    "would_change",
]

PROVIDER = "kizen"
FieldKey = Literal["name", "id"]


def _bad_payload(what: str, value: Any) -> ProviderError:
    return ProviderError(f"kizen sent {what} crmbridge cannot read: {value!r}", provider=PROVIDER)


def match_key_for(object: str) -> str:
    """The field Kizen matches upserts on: ``email`` for contacts, ``name`` otherwise
    (reference kizen.md §6, not configurable)."""
    return MATCH_KEYS.get(object, DEFAULT_MATCH_KEY)


# --- schema -----------------------------------------------------------------------------------


def decode_object(payload: Mapping[str, Any]) -> ObjectSpec:
    """An object from ``GET /api/custom-objects`` (or ``/api/client/custom-object`` for contacts).

    The api_name is ``name`` in the API (reference kizen.md §3) and ``api_name`` in tool-level
    captures (recording ``patients.excerpt.json``); the label is ``object_name``/``display_name``.
    """
    slug = payload.get("name") or payload.get("api_name")
    if not isinstance(slug, str) or not slug:
        raise _bad_payload("an object without an api_name", payload)
    label = (
        payload.get("object_name")
        or payload.get("display_name")
        or payload.get("entity_name")
        or slug
    )
    oid = payload.get("id")
    return ObjectSpec(slug=slug, label=str(label), provider_id=str(oid) if oid else None,
                      raw=dict(payload))  # fmt: skip


def _is_to_many(payload: Mapping[str, Any]) -> bool:
    relation = payload.get("relation") or {}
    if not isinstance(relation, Mapping):
        return False
    kinds = {relation.get("relation_type"), relation.get("cardinality")}
    cardinality = payload.get("relation_cardinality")
    if cardinality:
        kinds.add(cardinality)
    return bool(kinds & TO_MANY_RELATIONS)


def decode_field(payload: Mapping[str, Any], object: str | None = None) -> FieldSpec:
    """A field from ``GET /api/custom-objects/{id}/fields`` (reference kizen.md §3: ``name`` is the
    api_name; ``api_name`` in the tool-level recording ``patients.excerpt.json``).

    ``multi`` comes from the type table, and for relationships from ``relation.relation_type`` /
    ``cardinality`` (§5). The match key (``name``, or ``email`` on contacts) is ``unique`` (§6).
    ``writable`` is false for read-only fields, the stage (moved, not written) and the system
    fields of :data:`~crmbridge_kizen.types.READ_ONLY_FIELD_NAMES`.
    """
    slug = payload.get("name") or payload.get("api_name")
    if not isinstance(slug, str) or not slug:
        raise _bad_payload("a field without an api_name", payload)
    row = kizen_type(payload.get("field_type"))
    multi = _is_to_many(payload) if row.multi is None else row.multi
    options: list[Option] = [
        Option(label=str(o.get("name") or o.get("code") or o.get("id")), id=o.get("id"))
        for o in payload.get("options") or ()
        if isinstance(o, Mapping)
    ]
    relation = payload.get("relation")
    targets: list[str] = []
    if isinstance(relation, Mapping) and relation.get("related_object_object_name"):
        targets.append(str(relation["related_object_object_name"]))
    writable = not (
        payload.get("is_read_only") or row.write is Write.READ_ONLY or slug in READ_ONLY_FIELD_NAMES
    )
    return FieldSpec(
        slug=slug,
        label=str(payload.get("display_name") or slug),
        type=row.neutral,
        multi=multi,
        unique=slug == match_key_for(object or ""),
        required=bool(payload.get("is_required")),
        writable=writable,
        # mypy's attrs plugin cannot type FieldSpec's ``converter=tuple`` fields (core issue).
        options=options,  # type: ignore[arg-type]
        target_objects=targets,  # type: ignore[arg-type]
        provider_id=str(payload["id"]) if payload.get("id") else None,
        raw=dict(payload),
    )


def field_type_of(spec: FieldSpec) -> str:
    """The Kizen ``field_type`` of ``spec``: from its Kizen metadata, else the default for its
    neutral type (:data:`~crmbridge_kizen.types.FIELD_TYPE_FOR`)."""
    raw = spec.raw
    if isinstance(raw, Mapping) and isinstance(raw.get("field_type"), str):
        return str(raw["field_type"])
    if spec.type is FieldType.option and spec.multi:
        return "checkboxes"
    return FIELD_TYPE_FOR.get(spec.type, "unknown")


# --- reading values ---------------------------------------------------------------------------


def _text(v: Any, spec: FieldSpec | None) -> str | None:
    if isinstance(v, str):
        return v or None  # "" is how a cleared text reads back (documented_examples text_empty)
    if isinstance(v, int | float) and not isinstance(v, bool):
        return str(v)
    raise _bad_payload("a text value", v)


def _phone(v: Any, spec: FieldSpec | None) -> str | None:
    # Read shape UNCONFIRMED (reference §5 phonenumber): a string, or an object with a number.
    if isinstance(v, Mapping):
        for key in ("e164", "e164_phone_number", "formatted", "number", "value"):
            if isinstance(v.get(key), str):
                return str(v[key]) or None
        raise _bad_payload("a phone number", v)
    return _text(v, spec)


def _decimal(v: Any, spec: FieldSpec | None) -> Decimal:
    # Decimals arrive as numbers (recording get_tax_lot.json: 5.0) or strings (app-engine's orjson
    # renderer, reference §5): both become an exact Decimal.
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
    # {currency, symbol, amount}; an empty money field reads amount: null (reference §5,
    # recording get_tax_lot.json, documented_examples money_empty).
    currency = _field_currency(spec)
    if isinstance(v, Mapping):
        if v.get("amount") is None:
            return None
        return Money(_decimal(v["amount"], spec), v.get("currency") or currency)
    return Money(_decimal(v, spec), currency)


def _field_currency(spec: FieldSpec | None) -> str | None:
    raw = spec.raw if spec is not None else None
    if isinstance(raw, Mapping):
        opts = raw.get("money_options")
        if isinstance(opts, Mapping) and isinstance(opts.get("currency"), str):
            return str(opts["currency"])
    return None


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
    # {id, code, name} (reference §5, documented_examples dropdown); a bare option id is what
    # app-engine's doc describes: resolved against the schema's options when known.
    if isinstance(v, Mapping):
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


def _rating(v: Any, spec: FieldSpec | None) -> int:
    # Read shape UNCONFIRMED (reference §5 rating): an integer, a number string, or one of the
    # field's options {id, name: "1 - Low", code: "1"} (recording patients.excerpt.json).
    if isinstance(v, Mapping):
        v = v.get("code") or v.get("name")
        if isinstance(v, str):
            m = re.match(r"\s*(\d+)", v)
            v = m.group(1) if m else v
    return _integer(v, spec)


def _ref(v: Any, spec: FieldSpec | None) -> Ref:
    # Custom objects read {id, name[, display_name]}, contacts {id, first_name, last_name, email}
    # or {id, display_name} (reference §5 relationship); the target object comes from the schema.
    target = spec.target_objects[0] if spec is not None and spec.target_objects else ""
    rid = v.get("id") if isinstance(v, Mapping) else v
    if not isinstance(rid, str) or not rid:
        raise _bad_payload("a related record", v)
    return Ref(target, rid)


def _user(v: Any, spec: FieldSpec | None) -> User:
    # {id, deleted, first_name, last_name, email} (recording get_tax_lot.json owner).
    if isinstance(v, str):
        return User(id=v)
    if not isinstance(v, Mapping):
        raise _bad_payload("a team member", v)
    name = " ".join(str(p) for p in (v.get("first_name"), v.get("last_name")) if p) or None
    return User(id=v.get("id"), email=v.get("email"), name=name or v.get("display_name"))


def _file(v: Any, spec: FieldSpec | None) -> File:
    if isinstance(v, str):
        return File(v)
    if isinstance(v, Mapping) and v.get("id"):
        url = v.get("url") or v.get("file_url")
        return File(str(v["id"]), name=v.get("name"), url=url)
    raise _bad_payload("a file", v)


def _timezone(v: Any, spec: FieldSpec | None) -> str | None:
    # Options have id == code == the IANA name (reference §5 timezone): keep the IANA name.
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
    FieldType.rating: _rating,
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


def decode_value(field_type: str | None, value: Any, spec: FieldSpec | None = None) -> Any:
    """One field value in neutral form. Multi fields give a list (``[]`` for null), single fields
    the value or ``None``. A scalar wrapped as ``{"value": x}`` is unwrapped (app-engine warns of
    it, reference §4). Unknown types keep the raw value."""
    row = kizen_type(field_type)
    decode = _DECODERS[row.neutral]
    multi = spec.multi if spec is not None else (row.multi is True or isinstance(value, list))
    if row.neutral is FieldType.unknown:
        return value
    if multi:
        if value is None:
            return []
        items = value if isinstance(value, list) else [value]
        return [x for x in (decode(_unwrap(row, i), spec) for i in items) if x is not None]
    if isinstance(value, list):
        value = value[0] if value else None  # a to-one relation read as a list
    value = _unwrap(row, value)
    return None if value is None else decode(value, spec)


def _unwrap(row: KizenType, value: Any) -> Any:
    if isinstance(value, Mapping) and row.neutral not in _WRAPPED_OK and set(value) == {"value"}:
        return value["value"]
    return value


def _entries(payload: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    fields = payload.get("fields")
    if fields is None:
        return []
    if isinstance(fields, Mapping):
        items: Iterable[Any] = fields.values()
    elif isinstance(fields, list):  # app-engine: "may be an array or map in some surfaces"
        items = fields
    else:
        raise _bad_payload("a record's fields", fields)
    out = []
    for entry in items:
        if not isinstance(entry, Mapping):
            raise _bad_payload("a field entry", entry)
        out.append(entry)
    return out


def summarised_fields(payload: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``(field_id, api_name)`` of every relationship read as ``value_summary`` instead of
    ``value`` (more than 100 related records, reference §1.1 custom-fields page, §4 field values):
    the provider fetches them from ``GET /api/records/{id}/field-values/{field_id}``."""
    return [
        (str(e.get("id")), str(e.get("name")))
        for e in _entries(payload)
        if "value_summary" in e and "value" not in e
    ]


def merge_field_values(
    payload: Mapping[str, Any], field_id: str, items: Sequence[Any]
) -> dict[str, Any]:
    """A copy of ``payload`` whose summarised field ``field_id`` carries ``value: items`` (the
    pages of ``GET /api/records/{id}/field-values/{field_id}``); ``value_summary`` is kept."""
    out = dict(payload)
    fields = payload.get("fields")
    if isinstance(fields, Mapping):
        new = dict(fields)
        for key, entry in fields.items():
            if isinstance(entry, Mapping) and str(entry.get("id")) == field_id:
                new[key] = {**entry, "value": list(items)}
        out["fields"] = new
    elif isinstance(fields, list):
        out["fields"] = [
            {**e, "value": list(items)}
            if isinstance(e, Mapping) and str(e.get("id")) == field_id
            else e
            for e in fields
        ]
    return out


def decode_record(
    payload: Mapping[str, Any],
    object: str | None = None,
    *,
    fields: Mapping[str, FieldSpec] | None = None,
) -> Record:
    """A record as Kizen returns it from GET, PATCH, add, upsert and each search row (reference
    kizen.md §4, recording ``get_tax_lot.json``), keyed by api_name.

    With ``fields`` (the object's schema by slug), fields the API omitted because they are blank
    become ``None`` or ``[]``, option ids resolve against the schema and references know their
    target object. A summarised relationship that was not expanded (:func:`merge_field_values`)
    is left out rather than guessed. ``raw`` keeps the payload.
    """
    if not isinstance(payload, Mapping) or not isinstance(payload.get("id"), str):
        raise _bad_payload("a record without an id", payload)
    by_id = {f.provider_id: f for f in (fields or {}).values() if f.provider_id}
    values: dict[str, Any] = {}
    summarised: set[str] = set()
    for entry in _entries(payload):
        spec = None
        if fields is not None:
            spec = fields.get(str(entry.get("name"))) or by_id.get(str(entry.get("id")))
        slug = entry.get("name") or (spec.slug if spec else None) or entry.get("id")
        if not isinstance(slug, str):
            raise _bad_payload("a field entry without a name", entry)
        if "value" not in entry and "value_summary" in entry:
            summarised.add(slug)
            continue
        field_type = entry.get("field_type") or (field_type_of(spec) if spec else None)
        try:
            values[slug] = decode_value(field_type, entry.get("value"), spec)
        except ProviderError as e:
            raise ProviderError(f"field {slug!r}: {e.message}", provider=PROVIDER,
                                raw=dict(payload)) from None  # fmt: skip
    for slug, spec in (fields or {}).items():
        if slug not in values and slug not in summarised:
            values[slug] = [] if spec.multi else None
    created = values.get("created")
    return Record(
        object=object or "",
        id=payload["id"],
        fields=values,
        created_at=created if isinstance(created, dt.datetime) else None,
        raw=dict(payload),
    )


def decode_page(payload: Any) -> tuple[list[Mapping[str, Any]], str | None]:
    """The rows and the ``next`` link of a paginated answer (``{count, next, previous, results,
    errors}``, reference §8); a bare array (unpaginated lists such as fields, §3) is one page."""
    if isinstance(payload, list):
        return list(payload), None
    if not isinstance(payload, Mapping) or not isinstance(payload.get("results"), list):
        raise _bad_payload("a page", payload)
    nxt = payload.get("next")
    return list(payload["results"]), nxt if isinstance(nxt, str) and nxt else None


# --- writing values ---------------------------------------------------------------------------


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
    if not -(2**31) <= n < 2**31:  # Integer is 4 bytes (reference §1.1 custom-fields page)
        raise _Invalid("a 32-bit integer")
    return n


def _w_money(v: Any, spec: FieldSpec) -> int | float:
    # The currency is the field's (money_options.currency), not the value's (reference §5).
    if isinstance(v, Money):
        currency = _field_currency(spec)
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
    # (reference §5 dropdown, §13.5; documented_examples write_fields_wire_shape).
    opt = _as_option(v)
    found = spec.option(opt)
    if found is not None and found.id:
        return {"id": found.id}
    if spec.options and found is None and opt.id is None:
        labels = ", ".join(repr(o.label) for o in spec.options[:20])
        raise _Invalid(f"one of {labels}", f"unknown option {opt.label!r}")
    return {"id": opt.id} if opt.id else {"name": opt.label}


def _w_tag(v: Any, spec: FieldSpec) -> dict[str, str]:
    # Tags unknown to the schema go by name (admin-cli falls back to {"name": label}, §5).
    opt = _as_option(v)
    found = spec.option(opt) or opt
    return {"id": found.id} if found.id else {"name": found.label}


def _w_record(v: Any, spec: FieldSpec) -> dict[str, str]:
    # {"id": record-uuid} (reference §5 relationship; documented_examples put_relationship_link).
    if isinstance(v, Ref):
        if spec.target_objects and v.object and v.object not in spec.target_objects:
            raise _Invalid(f"a record of {' or '.join(spec.target_objects)}")
        return {"id": v.id}
    if isinstance(v, str) and v:
        return {"id": v}
    raise _Invalid("a Ref or a record id")


def _w_member(v: Any, spec: FieldSpec) -> str:
    # The team member's UUID, bare (app-engine, reference §5 team_selector).
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


def _w_rating(v: Any, spec: FieldSpec) -> int:
    # An integer (admin-cli coerces "3" to 3, reference §5); an option "1 - Low" means 1.
    if isinstance(v, Option):
        found = spec.option(v) or v
        v = _rating({"name": found.label}, spec)
    return _w_integer(v, spec)


def _w_read_only(v: Any, spec: FieldSpec) -> Any:
    raise _Invalid("nothing", "the stage is moved with PATCH .../move, not written as a field")


def _w_raw(v: Any, spec: FieldSpec) -> Any:
    return v


#: How a value is written, per write form (reference kizen.md §5). One table.
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
    # "Clearing: send value null" (reference §5); multi fields clear to []; text fields that
    # declare allows_nulls: false clear to "".
    if spec.multi:
        return []
    raw = spec.raw if isinstance(spec.raw, Mapping) else {}
    if row.text_like and raw.get("allows_nulls") is False:
        return ""
    return None


def encode_value(spec: FieldSpec, value: Any) -> dict[str, Any]:
    """One ``FieldRequest`` body without its key: ``{"value": ...}``, ``{"add_values": [...]}``
    or ``{"remove_values": [...]}`` (reference §5). Raises :class:`~crmbridge.ValidationError`."""
    row = kizen_type(field_type_of(spec))
    encode = _ENCODERS[row.write]
    try:
        if isinstance(value, Add | Remove):
            if not spec.multi:
                raise _Invalid("a plain value", "add()/remove() only apply to multi fields")
            key = "add_values" if isinstance(value, Add) else "remove_values"
            return {key: [encode(v, spec) for v in value.values]}
        if isinstance(value, Clear) or value is None:
            if row.write is Write.READ_ONLY:
                encode(value, spec)
            return {"value": _empty(spec, row)}
        if spec.multi:
            items = list(value) if isinstance(value, list | tuple) else [value]
            return {"value": [encode(v, spec) for v in items]}
        return {"value": encode(value, spec)}
    except _Invalid as e:
        raise ValidationError(
            f"invalid value for {spec.slug!r}",
            provider=PROVIDER,
            field_errors=[FieldError(spec.slug, e.message, value=value, expected=e.expected)],
        ) from None


def encode_fields(
    schema: ObjectSchema, values: Mapping[str, Any], *, key: FieldKey = "name"
) -> list[dict[str, Any]]:
    """The ``fields`` list of a write body (reference kizen.md §5 ``FieldRequest``), one entry per
    value, in the order given. ``key="id"`` names fields by UUID (``provider_id``): contacts
    ``add`` needs it (reference §11). Every bad value is reported in one
    :class:`~crmbridge.ValidationError`."""
    out: list[dict[str, Any]] = []
    errors: list[FieldError] = []
    for slug, value in values.items():
        spec = schema.field(slug)
        if not spec.writable and kizen_type(field_type_of(spec)).write is not Write.READ_ONLY:
            errors.append(FieldError(slug, "the field is read-only", value=value))
            continue
        try:
            body = encode_value(spec, value)
        except ValidationError as e:
            errors.extend(e.field_errors)
            continue
        ref = {"id": spec.provider_id} if key == "id" and spec.provider_id else {"name": spec.slug}
        out.append({**ref, **body})
    if errors:
        names = ", ".join(sorted({str(e.field) for e in errors}))
        raise ValidationError(f"invalid values for {names}", provider=PROVIDER,
                              field_errors=errors)  # fmt: skip
    return out


# --- archive policy ---------------------------------------------------------------------------

#: ``on_archived`` → the body key and value each write verb sends (reference kizen.md §6, §7;
#: seed enums UnarchiveEnum, OncreateUnarchiveEnum, ArchivedConflictEnum). ``None``: send nothing
#: (Kizen's default, which fails). The upsert default is ``unarchive`` (reference §13.4).
_ARCHIVE_POLICY: Mapping[str, tuple[str, Mapping[str, str | None]]] = {
    "create": ("unarchive", {"error": "prompt", "unarchive": "unarchive", "replace": "overwrite"}),
    "upsert": ("oncreate_unarchive",
               {"error": "prompt", "unarchive": "unarchive", "replace": "overwrite"}),
    "update": ("archived_conflict", {"error": None, "replace": "overwrite"}),
}  # fmt: skip
_DEFAULT_POLICY: Mapping[str, OnArchived] = {
    "create": "error",
    "upsert": "unarchive",
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


# --- noop detection ---------------------------------------------------------------------------


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


# --- errors -----------------------------------------------------------------------------------

_STATUS: Mapping[int, type[CRMError]] = {
    400: ValidationError,
    401: AuthError,
    403: PermissionDenied,
    404: NotFound,
    409: Conflict,
    422: ValidationError,
    429: RateLimited,
}
#: Codes that make a 400 a :class:`~crmbridge.Conflict` (uniqueness, reference §9).
_CONFLICT_CODES = frozenset({"unique", "conflict"})
_WRITE_KEYS = ("value", "add_values", "remove_values", "id", "name")


def _messages(raw: Any) -> list[tuple[str, str | None]]:
    """DRF messages as ``(text, code)``: ``["msg"]``, ``[{"message", "code"}]``, ``"msg"``."""
    if isinstance(raw, str):
        return [(raw, None)]
    if isinstance(raw, Mapping):
        if "message" in raw:
            return [(str(raw["message"]), raw.get("code"))]
        out: list[tuple[str, str | None]] = []
        for k, v in raw.items():
            out.extend((f"{k}: {t}", c) for t, c in _messages(v))
        return out
    if isinstance(raw, list):
        return [m for item in raw for m in _messages(item)]
    return [(str(raw), None)]


def _slug_of(entry: Mapping[str, Any], field_slugs: Mapping[str, str]) -> str | None:
    if isinstance(entry.get("name"), str):
        return str(entry["name"])
    fid = entry.get("id")
    if isinstance(fid, str):
        return field_slugs.get(fid, fid)
    return None


def _field_errors(
    body: Mapping[str, Any],
    request_fields: Sequence[Mapping[str, Any]],
    field_slugs: Mapping[str, str],
) -> list[FieldError]:
    errors: list[FieldError] = []
    for text, code in _messages(body.get("non_field_errors") or []):
        errors.append(FieldError(None, text, code=code))
    positional = body.get("fields")
    if isinstance(positional, list):
        # Entry n describes request fields[n]; {} means accepted (reference §9, app-engine).
        for i, entry in enumerate(positional):
            if not isinstance(entry, Mapping) or not entry:
                continue
            sent = request_fields[i] if i < len(request_fields) else {}
            slug = _slug_of(sent, field_slugs) if sent else None
            for part, raw in entry.items():
                value = sent.get(part) if part in _WRITE_KEYS[:3] else None
                for text, code in _messages(raw):
                    errors.append(FieldError(slug or f"fields[{i}]", text, value=value, code=code,
                                             path=("fields", i, str(part))))  # fmt: skip
    elif positional is not None:
        errors.extend(FieldError("fields", t, code=c) for t, c in _messages(positional))
    for key, raw in body.items():
        if key in ("non_field_errors", "fields", "detail", "code"):
            continue
        errors.extend(FieldError(str(key), t, code=c) for t, c in _messages(raw))
    return errors


def decode_error(
    status: int,
    body: Mapping[str, Any] | list[Any] | str,
    *,
    request_fields: Sequence[Mapping[str, Any]] = (),
    field_slugs: Mapping[str, str] | None = None,
    retry_after: float | None = None,
    request_id: str | None = None,
) -> CRMError:
    """The crmbridge error for a Kizen error answer (reference kizen.md §9).

    * ``{"detail", "code"}`` (DRF): the detail is the message, the code is kept.
    * ``{"<field>": ["msg"]}`` and ``{"<field>": [{"message", "code"}]}``: one field error each.
    * Record writes: ``{"non_field_errors": [...], "fields": [{}, {...}]}`` whose entry *n* is about
      request ``fields[n]``: zipped back to the slug named there (``request_fields``, with
      ``field_slugs`` mapping field UUIDs to api_names for id-keyed writes).
    * A body that is not JSON (an HTML 404 for a wrong path, a truncated body): a
      :class:`~crmbridge.ProviderError` with the raw text, except 401/403/429 whose meaning does
      not depend on the body.

    Status → class: 400 ValidationError (Conflict for ``unique``), 401 AuthError, 403
    PermissionDenied, 404 NotFound, 409 Conflict (``conflict``: concurrent archive/write),
    429 RateLimited (``retry_after``), anything else ProviderError.
    """
    slugs = field_slugs or {}
    cls = _STATUS.get(status, ProviderError)
    common: dict[str, Any] = {"provider": PROVIDER, "status": status, "request_id": request_id}
    if isinstance(body, str):
        if cls not in (AuthError, PermissionDenied, RateLimited):
            cls = ProviderError
        excerpt = " ".join(re.sub(r"<[^>]*>", " ", body).split())[:120]
        message = f"kizen answered HTTP {status} with a body that is not JSON"
        if excerpt:
            message += f": {excerpt!r}"
        if status == 404:
            message += " (an HTML 404 usually means the path does not exist, e.g. a trailing slash)"
        return _build(cls, message, raw=body, retry_after=retry_after, **common)
    original = body
    if isinstance(body, list):
        body = {"non_field_errors": body}
    errors = _field_errors(body, request_fields, slugs)
    code = body.get("code") if isinstance(body.get("code"), str) else None
    codes = {e.code for e in errors if e.code}
    if code is None and len(codes) == 1:
        code = next(iter(codes))
    if cls is ValidationError and codes & _CONFLICT_CODES:
        cls = Conflict
    detail = body.get("detail")
    if detail is not None:
        message = "; ".join(t for t, _ in _messages(detail))
    elif errors and errors[0].field is None:
        message = errors[0].message  # the first non_field_errors entry
    elif errors:
        named = ", ".join(dict.fromkeys(str(e.field) for e in errors))
        message = f"kizen rejected {named}"
    else:
        message = f"kizen answered HTTP {status}"
    return _build(cls, message, raw=original, field_errors=errors, code=code,
                  retry_after=retry_after, **common)  # fmt: skip


def _build(
    cls: type[CRMError],
    message: str,
    *,
    field_errors: Sequence[FieldError] = (),
    retry_after: float | None = None,
    **kw: Any,
) -> CRMError:
    if cls is ValidationError:
        return ValidationError(message, field_errors=field_errors, **kw)
    if cls is RateLimited:
        return RateLimited(message, retry_after=retry_after, **kw)
    if field_errors and cls is not ValidationError:
        message += "; " + "; ".join(str(e) for e in field_errors[:5])
    return cls(message, **kw)
