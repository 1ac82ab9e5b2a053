"""Validate and normalise user values against a schema, before any request (docs/design.md §4).

Users write values the natural way (``"VIP"`` for an option, ``"alice@acme.com"`` for a user,
``12.5`` for money, ``"2024-05-01"`` for a date). :func:`normalize_values` checks each against its
:class:`~crmbridge.FieldSpec` and turns it into the one neutral form providers receive, or raises a
:class:`~crmbridge.ValidationError` listing *every* problem with field, value and expectation:

* unknown field (with close matches), non-writable field;
* wrong type (``_COERCE`` below is the one table of what each :class:`~crmbridge.FieldType` accepts);
* unknown option label (with the labels there are), when the schema lists the options;
* ``add()``/``remove()`` on a single field; a single value for a multi field is wrapped in a list.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from .errors import FieldError, ValidationError, did_you_mean
from .filters import And, Condition, Filter, Not, Or
from .hostile import check_number
from .model import (
    Add,
    Clear,
    FieldSpec,
    FieldType,
    File,
    Location,
    Money,
    Option,
    PersonName,
    Phone,
    Ref,
    RefBy,
    Remove,
    User,
)
from .provider import ObjectSchema

__all__ = ["normalize_filter", "normalize_value", "normalize_values"]


class _Invalid(Exception):
    """A value that does not fit; carries what was expected."""

    def __init__(self, expected: str, message: str | None = None) -> None:
        super().__init__(expected)
        self.expected = expected
        self.message = message


def _text(v: Any, spec: FieldSpec) -> str:
    if isinstance(v, str):
        return v
    raise _Invalid("a string")


def _email(v: Any, spec: FieldSpec) -> str:
    s = _text(v, spec).strip()
    local, _, domain = s.partition("@")
    if not local or "." not in domain or " " in s:
        raise _Invalid("an email address like name@example.com", "not an email address")
    return s


def _number(v: Any, spec: FieldSpec) -> int | float | Decimal:
    if isinstance(v, bool):
        raise _Invalid("a number")
    n: int | float | Decimal
    if isinstance(v, int | float | Decimal):
        n = v
    elif isinstance(v, str):
        try:
            n = Decimal(v.strip())
        except InvalidOperation:
            raise _Invalid("a number") from None
    else:
        raise _Invalid("a number")
    wrong = check_number(n)  # NaN, infinities, beyond a double (crmbridge.hostile)
    if wrong:
        raise _Invalid("a finite number within ±1.8e308", wrong)
    return n


def _integer(v: Any, spec: FieldSpec) -> int:
    n = _number(v, spec)
    if isinstance(n, int):
        return n
    if n == int(n):
        return int(n)
    raise _Invalid("a whole number")


def _rating(v: Any, spec: FieldSpec) -> int:
    n = _integer(v, spec)
    if n < 0:
        raise _Invalid("a rating of 0 or more")
    return n


def _bool(v: Any, spec: FieldSpec) -> bool:
    if isinstance(v, bool):
        return v
    raise _Invalid("true or false")


def _date(v: Any, spec: FieldSpec) -> dt.date:
    if isinstance(v, dt.datetime):
        raise _Invalid("a date without a time (datetime.date or 'YYYY-MM-DD')")
    if isinstance(v, dt.date):
        return v
    if isinstance(v, str):
        try:
            return dt.date.fromisoformat(v.strip())
        except ValueError:
            pass
    raise _Invalid("a date (datetime.date or 'YYYY-MM-DD')")


def _datetime(v: Any, spec: FieldSpec) -> dt.datetime:
    if isinstance(v, dt.datetime):
        return v
    if isinstance(v, str):
        try:
            return dt.datetime.fromisoformat(v.strip().replace("Z", "+00:00"))
        except ValueError:
            pass
    raise _Invalid("a datetime (datetime.datetime or ISO 8601)")


def _money(v: Any, spec: FieldSpec) -> Money:
    if isinstance(v, Money):
        fixed = spec.currency
        if fixed and v.currency and v.currency.upper() != fixed.upper():
            raise _Invalid(f"an amount in {fixed} (the field's currency)",
                           f"{v.currency} given for a {fixed} field")  # fmt: skip
        return v
    try:
        return Money(_number(v, spec))
    except _Invalid as bad:
        raise _Invalid("a Money or a number", bad.message) from None


def _option(v: Any, spec: FieldSpec) -> Option:
    if isinstance(v, str):
        v = Option(v)
    if not isinstance(v, Option):
        raise _Invalid("an option label (string) or Option")
    if not spec.options:
        return v  # the schema does not list options: let the CRM decide
    found = spec.option(v)
    if found is not None:
        return found
    labels = [o.label for o in spec.options]
    hint = did_you_mean(v.label, labels)
    shown = ", ".join(repr(x) for x in labels[:20]) + (" ..." if len(labels) > 20 else "")
    raise _Invalid(f"one of {shown}", f"unknown option {v.label!r}{hint}")


def _tag(v: Any, spec: FieldSpec) -> Option:
    """Tags may be new (Kizen dynamic tags): known ones are resolved, others pass as labels."""
    if isinstance(v, str):
        v = Option(v)
    if not isinstance(v, Option):
        raise _Invalid("a tag label (string) or Option")
    return spec.option(v) or v


def _timezone(v: Any, spec: FieldSpec) -> str:
    """An IANA name. Where the schema lists the zones (Kizen: option id == code == the IANA
    name, docs/reference/kizen.md §5), a zone it does not list is refused and a different case is
    corrected (``europe/paris`` → ``Europe/Paris``)."""
    name = _text(v, spec).strip()
    if not spec.options:
        return name
    found = spec.option(name)
    if found is not None:
        return found.id or found.label
    hint = did_you_mean(name, [o.label for o in spec.options])
    raise _Invalid("an IANA time zone the field lists, such as 'Europe/Paris'",
                   f"unknown time zone {name!r}{hint}")  # fmt: skip


def _person_name(v: Any, spec: FieldSpec) -> PersonName:
    if isinstance(v, PersonName):
        return v
    if isinstance(v, str) and v.strip():
        # "First Last", as users write names: split on the last space. A CRM's own string form
        # ("Last, First" on Attio) is its provider's to read (Provider.parse_value).
        s = v.strip()
        first, _, last = s.rpartition(" ") if " " in s else (s, "", "")
        return PersonName(first or None, last or None, s)
    raise _Invalid("a PersonName or a name string")


def _location(v: Any, spec: FieldSpec) -> Location | str:
    if isinstance(v, Location):
        return v
    if isinstance(v, str) and v.strip():
        return v.strip()  # the provider parses or refuses free text
    raise _Invalid("a Location or an address string")


def _reference(v: Any, spec: FieldSpec) -> Ref | RefBy:
    if isinstance(v, RefBy):
        if spec.target_objects and v.object not in spec.target_objects:
            raise _Invalid(f"a reference to {' or '.join(spec.target_objects)}")
        return v
    if isinstance(v, Ref):
        if spec.target_objects and v.object not in spec.target_objects:
            raise _Invalid(f"a reference to {' or '.join(spec.target_objects)}")
        return v
    if isinstance(v, str) and v:
        if len(spec.target_objects) == 1:
            return Ref(spec.target_objects[0], v)
        raise _Invalid("a Ref(object, id) (the field can point to several objects)")
    raise _Invalid("a Ref(object, id), a RefBy(object, field, value) or a record id")


def _user(v: Any, spec: FieldSpec) -> User:
    if isinstance(v, User):
        return v
    if isinstance(v, str) and v:
        return User(email=v) if "@" in v else User(id=v)
    raise _Invalid("a User, an email address or a user id")


def _phone(v: Any, spec: FieldSpec) -> Any:
    """A phone number: a string, or a :class:`Phone` saying the country of a national number."""
    if isinstance(v, Phone):
        if not isinstance(v.number, str) or not v.number.strip():
            raise _Invalid("a Phone with a number")
        if v.country is not None and not (isinstance(v.country, str) and len(v.country) == 2):
            raise _Invalid("a Phone whose country is an ISO 3166-1 alpha-2 code such as 'GB'")
        return v
    return _text(v, spec)


def _file(v: Any, spec: FieldSpec) -> File:
    if isinstance(v, File):
        return v
    if isinstance(v, str) and v:
        return File(v)
    raise _Invalid("a File or a file id")


def _anything(v: Any, spec: FieldSpec) -> Any:
    return v


def _read_only(v: Any, spec: FieldSpec) -> Any:
    raise _Invalid("nothing: this type is read-only")


#: What each neutral type accepts, and how it is normalised. One table, one place.
_COERCE: dict[FieldType, Callable[[Any, FieldSpec], Any]] = {
    FieldType.text: _text,
    FieldType.long_text: _text,
    FieldType.number: _number,
    FieldType.integer: _integer,
    FieldType.money: _money,
    FieldType.bool: _bool,
    FieldType.date: _date,
    FieldType.datetime: _datetime,
    FieldType.rating: _rating,
    FieldType.option: _option,
    FieldType.status: _option,
    FieldType.email: _email,
    FieldType.phone: _phone,
    FieldType.domain: _text,
    FieldType.url: _text,
    FieldType.person_name: _person_name,
    FieldType.location: _location,
    FieldType.reference: _reference,
    FieldType.user: _user,
    FieldType.interaction: _read_only,
    FieldType.file: _file,
    FieldType.timezone: _timezone,
    FieldType.tags: _tag,
    FieldType.unknown: _anything,
}


def normalize_value(spec: FieldSpec, value: Any) -> Any:
    """One field's value in neutral form; raises :class:`ValidationError` for that field."""
    errors: list[FieldError] = []
    out = _normalize(spec, value, errors)
    if errors:
        raise ValidationError(f"invalid value for {spec.slug!r}", field_errors=errors)
    return out


#: Hoisted: ``isinstance(x, A | B)`` builds the union on every call (validation is per value).
_MARKERS = (Add, Remove, Clear)
_COLLECTIONS = (list, tuple, set, frozenset)


def _invalid(spec: FieldSpec, v: Any, bad: _Invalid) -> FieldError:
    return FieldError(
        spec.slug, bad.message or "wrong type", value=v, expected=bad.expected, code="invalid_value"
    )


#: A provider's reader of its CRM's own forms of values (``Provider.parse_value``): the value
#: parsed, or ``NotImplemented`` when it is not one of them.
Parse = Callable[[FieldSpec, Any], Any]


def _coerce_with(
    parse: Parse | None, coerce: Callable[[Any, FieldSpec], Any]
) -> Callable[[Any, FieldSpec], Any]:
    if parse is None:
        return coerce

    def either(v: Any, spec: FieldSpec) -> Any:
        own = parse(spec, v)
        return coerce(v, spec) if own is NotImplemented else coerce(own, spec)

    return either


def _coerce_all(
    spec: FieldSpec, items: Any, errors: list[FieldError], parse: Parse | None = None
) -> list[Any]:
    coerce = _coerce_with(parse, _COERCE[spec.type])
    out = []
    for v in items:
        try:
            out.append(coerce(v, spec))
        except _Invalid as bad:
            errors.append(_invalid(spec, v, bad))
            out.append(v)
    return out


def _normalize(
    spec: FieldSpec, value: Any, errors: list[FieldError], parse: Parse | None = None
) -> Any:
    # Runs for every value written: the common case (a plain value) takes the fewest checks.
    if value is None:
        return [] if spec.multi else None
    if isinstance(value, _MARKERS):
        if isinstance(value, Clear):
            return Clear()
        if not spec.multi:
            verb = "add" if isinstance(value, Add) else "remove"
            errors.append(
                FieldError(
                    spec.slug,
                    f"{verb}() needs a multi field; {spec.slug!r} holds one value (set it instead)",
                    value=value,
                    code="not_multi",
                )
            )
            return value
        return type(value)(tuple(_coerce_all(spec, value.values, errors, parse)))
    if spec.multi:
        items = value if isinstance(value, _COLLECTIONS) else (value,)
        return _coerce_all(spec, items, errors, parse)
    if isinstance(value, _COLLECTIONS):
        errors.append(
            FieldError(
                spec.slug,
                "a list was given for a field that holds one value",
                value=value,
                expected=f"a single {spec.type.value}",
                code="not_multi",
            )
        )
        return value
    try:
        return _coerce_with(parse, _COERCE[spec.type])(value, spec)
    except _Invalid as bad:
        errors.append(_invalid(spec, value, bad))
        return value


def normalize_values(
    schema: ObjectSchema,
    values: Mapping[str, Any],
    *,
    creating: bool = False,
    allow_readonly: frozenset[str] = frozenset(),
    parse: Parse | None = None,
) -> dict[str, Any]:
    """All of ``values`` normalised against ``schema``; every problem reported at once.

    ``creating`` also checks that required writable fields are present. ``allow_readonly`` names
    non-writable fields that a verb may still carry (e.g. an entry's ``parent``). ``parse``
    reads the CRM's own forms of values first (the facade passes ``Provider.parse_value``).
    """
    given: object = values  # callers may be untyped
    if not isinstance(given, Mapping):
        raise ValidationError(
            f"values must be a mapping of field slug to value, got {type(values).__name__}"
        )
    errors: list[FieldError] = []
    out: dict[str, Any] = {}
    fields = schema.fields
    for slug, value in given.items():
        if type(slug) is not str and not isinstance(slug, str):
            errors.append(FieldError(None, f"field names must be strings, got {slug!r}"))
            continue
        spec = fields.get(slug)
        if spec is None:
            try:
                spec = schema.field(slug)  # by provider id, or an error naming close matches
            except ValidationError as e:
                errors.append(FieldError(slug, e.message, value=value, code="unknown_field"))
                continue
        if not spec.writable and spec.slug not in allow_readonly:
            errors.append(
                FieldError(
                    spec.slug,
                    f"{spec.slug!r} is read-only ({spec.type.value}); it cannot be written",
                    value=value,
                    code="not_writable",
                )
            )
            continue
        out[spec.slug] = _normalize(spec, value, errors, parse)
    if creating:
        for spec in schema.fields.values():
            if spec.required and spec.writable and spec.slug not in out:
                errors.append(
                    FieldError(spec.slug, "is required", expected=spec.type.value, code="required")
                )
    _raise_all(errors, "invalid value(s)", schema)
    return out


def _raise_all(errors: list[FieldError], what: str, schema: ObjectSchema) -> None:
    """One :class:`ValidationError` listing every problem found, if there is any."""
    if errors:
        names = ", ".join(sorted({e.field or "?" for e in errors}))
        raise ValidationError(
            f"{len(errors)} {what} for {schema.slug!r}: {names}", field_errors=errors
        )


# --- filter values ------------------------------------------------------------------------------


def _filter_reference(v: Any, spec: FieldSpec) -> Ref | str:
    # A filter matches by record id: a bare id is fine even where the field may point to several
    # objects, and a RefBy (resolved by the CRM on writes) cannot be compared.
    if isinstance(v, str) and v:
        return Ref(spec.target_objects[0], v) if len(spec.target_objects) == 1 else v
    if isinstance(v, Ref) and not isinstance(v, RefBy):
        return _reference(v, spec)  # type: ignore[return-value]
    raise _Invalid("a Ref(object, id) or a record id")


def _filter_datetime(v: Any, spec: FieldSpec) -> dt.date:
    # Comparing a timestamp with a day is common (``created_at >= 2024-05-01``): a day stays a
    # date here, and :func:`_whole_days` turns the condition into one on that day in UTC.
    if isinstance(v, dt.date) and not isinstance(v, dt.datetime):
        return v
    if isinstance(v, str) and len(v.strip()) == 10:
        try:
            return dt.date.fromisoformat(v.strip())
        except ValueError:
            pass
    return _datetime(v, spec)


def _filter_choice(v: Any, spec: FieldSpec) -> Any:
    # Without options in the schema (Kizen's dynamic tags) a string may be an option's id or its
    # label: only the provider can tell, so it gets the string as given.
    if isinstance(v, str) and not spec.options:
        return v
    return _COERCE[spec.type](v, spec)


#: How a filter value is checked and normalised: the write table, except where comparing is not
#: writing. A text-like field compares with any string (part of an e-mail address is a fine
#: ``contains``; a name or an address is compared as text), a reference with a record id, a
#: timestamp with a day, a choice field without listed options with any string; files and
#: interactions are compared as the provider decides.
_FILTER_COERCE: dict[FieldType, Callable[[Any, FieldSpec], Any]] = {
    **_COERCE,
    FieldType.email: _text,
    FieldType.person_name: _text,
    FieldType.location: _text,
    FieldType.reference: _filter_reference,
    FieldType.datetime: _filter_datetime,
    FieldType.option: _filter_choice,
    FieldType.status: _filter_choice,
    FieldType.tags: _filter_choice,
    FieldType.file: _anything,
    FieldType.interaction: _anything,
}

#: Comparisons for which a whole-number field takes any number (``rating > 2.5``).
_RANGE_OPS = frozenset({"lt", "lte", "gt", "gte"})


def _filter_value(cond: Condition, spec: FieldSpec, errors: list[FieldError]) -> Any:
    value = cond.value
    if cond.op == "is_empty":
        if not isinstance(value, bool):
            errors.append(
                FieldError(spec.slug, "is_empty takes true or false", value=value,
                           expected="true or false", code="invalid_filter_value")
            )  # fmt: skip
        return value
    if value is None and cond.op in ("eq", "ne"):
        return None  # providers compare with "no value"
    if cond.op == "in" and not isinstance(value, list | tuple):
        errors.append(
            FieldError(spec.slug, "in takes a list of values", value=value,
                       expected="a list", code="invalid_filter_value")
        )  # fmt: skip
        return value
    coerce = _FILTER_COERCE[spec.type]
    if cond.op in _RANGE_OPS and spec.type in (FieldType.integer, FieldType.rating):
        coerce = _number

    def one(v: Any) -> Any:
        if v is None:  # in [..., None]: "or no value", as providers compare it
            return None
        try:
            return coerce(v, spec)
        except _Invalid as bad:
            errors.append(
                FieldError(
                    spec.slug,
                    f"cannot filter with {cond.op}: {bad.message or 'wrong type'}",
                    value=v,
                    expected=bad.expected,
                    code="invalid_filter_value",
                )
            )
            return v

    return tuple(one(v) for v in value) if cond.op == "in" else one(value)


def _is_day(value: Any) -> bool:
    return isinstance(value, dt.date) and not isinstance(value, dt.datetime)


def _whole_days(cond: Condition) -> Filter:
    """A timestamp compared with a day, as a condition on that whole day in UTC: ``== day`` is
    ``[day 00:00, next day 00:00)``, ``<= day`` is ``< next day 00:00``, and so on. Providers then
    only ever compare timestamps with timestamps (Kizen refuses a bare day; Attio reads one as
    midnight, so ``== day`` would match nothing)."""

    def start(day: dt.date, days: int = 0) -> dt.datetime:
        return dt.datetime.combine(day + dt.timedelta(days=days), dt.time(), tzinfo=dt.UTC)

    def on(day: dt.date) -> Filter:
        return And(
            (Condition(cond.field, "gte", start(day)), Condition(cond.field, "lt", start(day, 1)))
        )

    value, field = cond.value, cond.field
    if cond.op == "in":
        if not any(_is_day(v) for v in value):
            return cond
        items = [on(v) if _is_day(v) else Condition(field, "eq", v) for v in value]
        return items[0] if len(items) == 1 else Or(tuple(items))
    if not _is_day(value):
        return cond
    if cond.op == "eq":
        return on(value)
    if cond.op == "ne":
        return Or((Condition(field, "lt", start(value)), Condition(field, "gte", start(value, 1))))
    bounds = {"lt": ("lt", 0), "lte": ("lt", 1), "gt": ("gte", 1), "gte": ("gte", 0)}
    if cond.op in bounds:
        op, days = bounds[cond.op]
        return Condition(field, op, start(value, days))  # type: ignore[arg-type]
    return cond


def normalize_filter(schema: ObjectSchema, where: Filter) -> Filter:
    """``where`` with every value checked against its field's type and put in neutral form (an
    option label → the schema's :class:`~crmbridge.Option`, ``"2024-05-01"`` → a date, ``"12.5"``
    → a number), so that a filter means the same to every provider and the dict form (CLI,
    mapping files, JSON) works like typed values. A timestamp compared with a day compares with
    that whole day in UTC (:func:`_whole_days`). Raises one :class:`ValidationError` listing
    every value that does not fit. Conditions on a sub-property (``"primary_location.locality"``)
    are left as given: the provider knows the property's type."""
    errors: list[FieldError] = []

    def visit(f: Filter) -> Filter:
        if isinstance(f, Condition):
            if "." in f.field:
                return f
            spec = schema.field(f.field)
            cond = Condition(f.field, f.op, _filter_value(f, spec, errors))
            return _whole_days(cond) if spec.type is FieldType.datetime else cond
        if isinstance(f, And):
            return And(tuple(visit(i) for i in f.items))
        if isinstance(f, Or):
            return Or(tuple(visit(i) for i in f.items))
        return Not(visit(f.item))

    out = visit(where)
    _raise_all(errors, "invalid filter value(s)", schema)
    return out
