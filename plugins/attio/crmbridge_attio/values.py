"""One Attio value ⇄ one neutral value, per attribute type. Pure functions, no IO.

Every value Attio returns is one element of an array, with a common envelope (``active_from``,
``active_until``, ``created_by_actor``, ``attribute_type``) and type-specific keys (docs/reference/attio.md
§3). The decoders here read the type-specific keys of one element; the encoders produce one element of
a write payload (the object forms of the spec's ``input-value`` schema, docs/reference/attio.md §3 "write
forms").

The write forms are chosen to mirror the read shapes (``{"value": …}``, ``{"option": …}``,
``{"email_address": …}``…), so that a decoder also reads what its encoder wrote: that is what the
round-trip tests check. Which function serves which type is decided in one place,
:data:`crmbridge_attio.types.TYPES`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

import attrs

from crmbridge import (
    FieldSpec,
    Interaction,
    Location,
    Money,
    Option,
    PersonName,
    Phone,
    Ref,
    RefBy,
    User,
)

from .countries import COUNTRY_CODES

__all__ = [
    "ENVELOPE_KEYS",
    "BadValue",
    "MatchRef",
    "currency_text",
    "decode_actor",
    "format_timestamp",
    "number_value",
    "parse_date",
    "parse_timestamp",
    "phone_operand",
    "split_full_name",
]

#: Keys every value element carries besides its type-specific ones (docs/reference/attio.md §3).
ENVELOPE_KEYS = frozenset({"active_from", "active_until", "created_by_actor", "attribute_type"})

_LOCATION_KEYS = tuple(a.name for a in attrs.fields(Location))
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_NATIONAL = re.compile(r"^\d{4,15}$")
#: The spec's patterns for location coordinates (input-value, location: latitude/longitude).
LATITUDE = re.compile(r"^[-+]?([1-8]?\d(\.\d+)?|90(\.0+)?)$")
LONGITUDE = re.compile(r"^[-+]?(180(\.0+)?|((1[0-7]\d)|([1-9]?\d))(\.\d+)?)$")
#: "up to four decimal places of precision" (docs attribute-types-number and -currency).
_PLACES = Decimal("0.0001")
_PHONE_PUNCTUATION = re.compile(r"[\s().\-/]")
#: The documented match-by-attribute forms of record-reference writes (docs/reference/attio.md §3):
#: other unique attributes take their value as given (Attio accepts every type's string shorthand).
_MATCH_KEYS = {"domains": "domain", "email_addresses": "email_address"}
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


class BadValue(ValueError):
    """A neutral value that cannot be written to an attribute; ``expected`` says what would do.

    The codec turns it into a :class:`crmbridge.ValidationError` naming the field."""

    def __init__(self, expected: str) -> None:
        super().__init__(expected)
        self.expected = expected


#: Attio's name for :class:`crmbridge.RefBy` (kept for code written against it).
MatchRef = RefBy


# --- parsing helpers ---------------------------------------------------------------------------


_FRACTION = re.compile(r"^(.*T\d\d:\d\d:\d\d)\.(\d+)(.*)$")


def parse_timestamp(text: Any) -> dt.datetime | None:
    """An Attio timestamp (``2023-11-24T15:17:48.000000000Z``, always UTC) as an aware datetime.

    Python keeps microseconds: the last three of Attio's nine fraction digits are dropped (they are
    always zero in the recordings, e.g. companies_query.yaml)."""
    if not isinstance(text, str) or not text:
        return None
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    match = _FRACTION.match(value)
    if match:  # normalise any fraction length to six digits
        value = f"{match[1]}.{match[2][:6].ljust(6, '0')}{match[3]}"
    parsed = dt.datetime.fromisoformat(value)
    if parsed.tzinfo is None:  # "UTC assumed" (docs/reference/attio.md §3, timestamp)
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed


def parse_date(text: Any) -> dt.date | None:
    """An Attio date. Tolerates full datetimes in fields declared as dates (docs/reference/attio.md §1
    gap 2): the date part is kept."""
    if not isinstance(text, str) or not text:
        return None
    if "T" in text:
        stamp = parse_timestamp(text)
        return stamp.date() if stamp else None
    return dt.date.fromisoformat(text[:10])


def format_timestamp(value: dt.datetime | dt.date) -> str:
    """A datetime as Attio writes timestamps: UTC with a ``Z``. A naive datetime is taken as UTC,
    as Attio itself does (docs/reference/attio.md §3, timestamp); a date means midnight UTC."""
    if not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)
    elif value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def decode_actor(raw: Any) -> User | None:
    """``created_by_actor`` / ``owner_actor`` ``{type, id}`` as a :class:`User` (kind = type)."""
    if not isinstance(raw, Mapping):
        return None
    return User(id=raw.get("id"), kind=raw.get("type"))


def _text(raw: Any) -> str | None:
    return raw if isinstance(raw, str) and raw != "" else None


# --- decoders: one element (type-specific keys) → neutral value -------------------------------


def decode_plain(element: Mapping[str, Any], spec: FieldSpec | None) -> Any:
    """``text``: ``{"value": str}``."""
    return element.get("value")


def decode_number(element: Mapping[str, Any], spec: FieldSpec | None) -> int | float | None:
    """``number``: a 64-bit float; integral JSON numbers stay ``int``."""
    value = element.get("value")
    if isinstance(value, str):  # lenient, as for currency (docs/reference/attio.md §1)
        return float(value)
    return value if isinstance(value, int | float) else None


def decode_rating(element: Mapping[str, Any], spec: FieldSpec | None) -> int | None:
    """``rating``: 0 to 5 stars."""
    value = element.get("value")
    return None if value is None else int(value)


def decode_checkbox(element: Mapping[str, Any], spec: FieldSpec | None) -> bool:
    """``checkbox``: ``true``/``false`` (the write side also accepts the strings)."""
    value = element.get("value")
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return bool(value)


def decode_currency(element: Mapping[str, Any], spec: FieldSpec | None) -> Money | None:
    """``currency``: ``currency_value`` is a number in the spec and the recordings but a string in
    the docs example (docs/reference/attio.md §1 gap 6): both are read exactly, as a ``Decimal``.
    A value without ``currency_code`` gets the attribute's configured default currency."""
    amount = element.get("currency_value")
    if amount is None:
        return None
    code = element.get("currency_code")
    if code is None and spec is not None:
        code = spec.currency
    return Money(amount, code)


def decode_date(element: Mapping[str, Any], spec: FieldSpec | None) -> dt.date | None:
    """``date``: ``"YYYY-MM-DD"``, or a full datetime (docs/reference/attio.md §1 gap 2)."""
    return parse_date(element.get("value"))


def decode_timestamp(element: Mapping[str, Any], spec: FieldSpec | None) -> dt.datetime | None:
    """``timestamp``: ISO-8601 with nine fraction digits, always UTC."""
    return parse_timestamp(element.get("value"))


def _decode_choice(raw: Any, id_key: str, spec: FieldSpec | None) -> Option | None:
    """A select option or a status: the full object (every recording) or, as the spec also allows,
    a bare UUID or title (docs/reference/attio.md §1 gap 4), resolved through the field's options."""
    if isinstance(raw, Mapping):
        ident = raw.get("id")
        option_id = ident.get(id_key) if isinstance(ident, Mapping) else ident
        return Option(label=str(raw.get("title", "")), id=option_id)
    if isinstance(raw, str):
        known = spec.option(raw) if spec is not None else None
        if known is not None:
            return known
        return Option(label="", id=raw) if _UUID.match(raw) else Option(label=raw)
    return None


def decode_select(element: Mapping[str, Any], spec: FieldSpec | None) -> Option | None:
    """``select``: ``option: {id{…, option_id}, title, is_archived}``."""
    return _decode_choice(element.get("option"), "option_id", spec)


def decode_status(element: Mapping[str, Any], spec: FieldSpec | None) -> Option | None:
    """``status``: ``status: {id{…, status_id}, title, …}`` (statuses_list_deals_stage.yaml)."""
    return _decode_choice(element.get("status"), "status_id", spec)


def decode_record_reference(element: Mapping[str, Any], spec: FieldSpec | None) -> Ref | None:
    """``record-reference``: ``target_object`` (a slug) and ``target_record_id``."""
    target, record_id = element.get("target_object"), element.get("target_record_id")
    if not isinstance(target, str) or not isinstance(record_id, str):
        return None
    return Ref(target, record_id)


def decode_actor_reference(element: Mapping[str, Any], spec: FieldSpec | None) -> User:
    """``actor-reference``: ``referenced_actor_type`` and ``referenced_actor_id`` (``null`` for the
    ``system`` actor in the recordings); the write form by e-mail reads back as ``User(email=…)``."""
    email = element.get("workspace_member_email_address")
    return User(
        id=element.get("referenced_actor_id"),
        email=email if isinstance(email, str) else None,
        kind=element.get("referenced_actor_type"),
    )


def decode_location(element: Mapping[str, Any], spec: FieldSpec | None) -> Location:
    """``location``: the ten keys; latitude/longitude are strings or ``null``."""
    values = {k: element.get(k) for k in _LOCATION_KEYS}
    for key in ("latitude", "longitude"):
        if values[key] is not None:
            values[key] = str(values[key])
    return Location(**values)


def decode_domain(element: Mapping[str, Any], spec: FieldSpec | None) -> str | None:
    """``domain``: ``domain`` (``root_domain`` is derived by Attio and stays in ``raw``)."""
    return _text(element.get("domain"))


def decode_email(element: Mapping[str, Any], spec: FieldSpec | None) -> str | None:
    """``email-address``: the normalised ``email_address`` (people_query_rbeene.json), else the
    original."""
    return _text(element.get("email_address")) or _text(element.get("original_email_address"))


def decode_phone(element: Mapping[str, Any], spec: FieldSpec | None) -> str | None:
    """``phone-number``: the spec and every recording say ``phone_number`` (people_query_rbeene.json),
    the docs page ``normalized_phone_number`` (docs/reference/attio.md §1 gap 5): either, then the
    original as typed."""
    for key in ("phone_number", "normalized_phone_number", "original_phone_number"):
        value = _text(element.get(key))
        if value is not None:
            return value
    return None


def decode_personal_name(element: Mapping[str, Any], spec: FieldSpec | None) -> PersonName:
    """``personal-name``: ``first_name``, ``last_name``, ``full_name``; empty strings read as
    ``None``."""
    return PersonName(
        first=_text(element.get("first_name")),
        last=_text(element.get("last_name")),
        full=_text(element.get("full_name")),
    )


def decode_interaction(element: Mapping[str, Any], spec: FieldSpec | None) -> Interaction:
    """``interaction``: ``interaction_type``, ``interacted_at``, ``owner_actor``."""
    return Interaction(
        type=str(element.get("interaction_type") or "unknown"),
        at=parse_timestamp(element.get("interacted_at")),
        owner=decode_actor(element.get("owner_actor")),
    )


def decode_unknown(element: Mapping[str, Any], spec: FieldSpec | None) -> Any:
    """A type this version does not know (a future API addition): the element without its
    envelope, untouched (docs/reference/attio.md §1: never crash on drift)."""
    return {k: v for k, v in element.items() if k not in ENVELOPE_KEYS}


# --- encoders: neutral value → one element of a write payload ---------------------------------


def encode_text(value: Any, spec: FieldSpec) -> dict[str, Any]:
    """``text``: ``{"value": str}``."""
    if not isinstance(value, str):
        raise BadValue("a string")
    return {"value": value}


def number_value(value: Any) -> int | float:
    """A number as Attio keeps it: "floating point numbers with up to four decimal places of
    precision" (docs attribute-types-number), so it is rounded (half even) to four places here,
    and what is sent is what reads back (an upsert of the same value is a ``noop``)."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise BadValue("a number")
    if isinstance(value, int):
        return value
    exact = Decimal(str(value)) if isinstance(value, float) else value
    if not exact.is_finite():
        raise BadValue("a finite number")
    rounded = exact.quantize(_PLACES) if exact.as_tuple().exponent < -4 else exact  # type: ignore[operator]
    return int(rounded) if rounded == rounded.to_integral_value() else float(rounded)


def currency_text(value: Any) -> str:
    """A currency amount as Attio's string form (docs attribute-types-currency: "Attio will
    convert strings into numbers"): the exact decimal in fixed notation, never a float's
    exponent form (``1e+16``) or its binary rounding; at most four decimal places."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        raise BadValue("a Money or a decimal amount")
    try:
        amount = Decimal(str(value).strip()) if not isinstance(value, Decimal) else value
    except InvalidOperation:
        raise BadValue("a Money or a decimal amount") from None
    if not amount.is_finite():
        raise BadValue("a finite decimal amount")
    if amount.as_tuple().exponent < -4:  # type: ignore[operator]
        raise BadValue("an amount with at most 4 decimal places")
    return format(amount, "f")


def encode_number(value: Any, spec: FieldSpec) -> dict[str, Any]:
    """``number``: ``{"value": n}``, rounded to Attio's four decimal places."""
    return {"value": number_value(value)}


def encode_rating(value: Any, spec: FieldSpec) -> dict[str, Any]:
    """``rating``: ``{"value": 0..5}``."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 5:
        raise BadValue("a whole number of stars from 0 to 5")
    return {"value": value}


def encode_checkbox(value: Any, spec: FieldSpec) -> dict[str, Any]:
    """``checkbox``: ``{"value": bool}``."""
    if not isinstance(value, bool):
        raise BadValue("True or False")
    return {"value": value}


def encode_currency(value: Any, spec: FieldSpec) -> dict[str, Any]:
    """``currency``: ``{"currency_value": n}``, the spec's object form (a JSON number, "a decimal
    with a max of 4 decimal places"), written exactly: a whole amount as an integer, any other as
    a float only when its JSON text is the decimal itself (no exponent form, no binary rounding;
    at most 15 significant digits), else refused. The currency code is not writable: it comes
    from the attribute's config, ``FieldSpec.currency``: a :class:`Money` in another currency is
    refused (by the validation pass, and here for direct codec calls) rather than silently
    relabelled."""
    if isinstance(value, Money):
        configured = spec.currency
        if value.currency is not None and configured and value.currency != configured:
            raise BadValue(f"an amount in {configured} (the attribute's currency)")
        value = value.amount
    text = currency_text(value)
    amount = Decimal(text)
    if amount == amount.to_integral_value():
        return {"currency_value": int(amount)}
    number = float(amount)
    if repr(number) != format(amount.normalize(), "f"):
        raise BadValue("an amount of at most 15 significant digits (Attio takes a JSON number)")
    return {"currency_value": number}


def encode_date(value: Any, spec: FieldSpec) -> dict[str, Any]:
    """``date``: ``{"value": "YYYY-MM-DD"}``."""
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        raise BadValue("a datetime.date")
    return {"value": value.isoformat()}


def encode_timestamp(value: Any, spec: FieldSpec) -> dict[str, Any]:
    """``timestamp``: ``{"value": "…Z"}`` in UTC."""
    if not isinstance(value, dt.date):
        raise BadValue("a datetime.datetime")
    return {"value": format_timestamp(value)}


def _choice(value: Any, key: str, spec: FieldSpec) -> dict[str, Any]:
    if isinstance(value, str):
        value = spec.option(value) or Option(value)
    if not isinstance(value, Option):
        raise BadValue("an Option or an option title")
    return {key: value.id or value.label}


def encode_select(value: Any, spec: FieldSpec) -> dict[str, Any]:
    """``select``: ``{"option": id or title}`` (by id when known; unknown titles are a 400
    ``value_not_found``, never created)."""
    return _choice(value, "option", spec)


def encode_status(value: Any, spec: FieldSpec) -> dict[str, Any]:
    """``status``: ``{"status": id or title}``."""
    return _choice(value, "status", spec)


def encode_record_reference(value: Any, spec: FieldSpec) -> dict[str, Any]:
    """``record-reference``: ``{"target_object", "target_record_id"}`` for a :class:`Ref`, or
    ``{"target_object", <unique attribute>: [value]}`` for a :class:`MatchRef`."""
    if isinstance(value, Ref):
        return {"target_object": value.object, "target_record_id": value.id}
    if isinstance(value, RefBy):
        key = _MATCH_KEYS.get(value.field)
        element = value.value
        if key is not None and isinstance(element, str):
            element = {key: element}
        return {"target_object": value.object, value.field: [element]}
    raise BadValue("a Ref(object, id) or a RefBy(object, field, value)")


def encode_actor_reference(value: Any, spec: FieldSpec) -> dict[str, Any]:
    """``actor-reference``: only workspace members, by id
    (``{"referenced_actor_type": "workspace-member", "referenced_actor_id": id}``) or by e-mail
    (``{"workspace_member_email_address": …}``)."""
    if isinstance(value, str):
        value = User(email=value) if "@" in value else User(id=value)
    if not isinstance(value, User) or not (value.id or value.email):
        raise BadValue("a User with an id or an email, or a workspace member's e-mail")
    if value.kind not in (None, "workspace-member"):
        raise BadValue("a workspace member (Attio cannot reference other actors)")
    if value.id:
        return {"referenced_actor_type": "workspace-member", "referenced_actor_id": value.id}
    return {"workspace_member_email_address": value.email}


def _coordinate(value: Any, pattern: re.Pattern[str], what: str) -> str | None:
    """Latitude/longitude as the spec's strings ("37.331741"), from a string or a number."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise BadValue(f"a Location whose {what} is a number or a decimal string")
    text = value.strip() if isinstance(value, str) else format(Decimal(str(value)), "f")
    if not pattern.match(text):
        raise BadValue(f"a Location whose {what} matches {pattern.pattern} (spec input-value)")
    return text


def encode_location(value: Any, spec: FieldSpec) -> dict[str, Any]:
    """``location``: an object with **all ten keys** (``null`` allowed), as Attio requires;
    ``latitude``/``longitude`` are strings matching the spec's patterns and ``country_code`` an
    ISO 3166-1 alpha-2 code of the spec's enum (upper-cased), checked before sending."""
    if not isinstance(value, Location):
        raise BadValue("a Location")
    out = {k: getattr(value, k) for k in _LOCATION_KEYS}
    country = out["country_code"]
    if country is not None:
        if not isinstance(country, str) or country.strip().upper() not in COUNTRY_CODES:
            raise BadValue("a Location whose country_code is an ISO 3166-1 alpha-2 code")
        out["country_code"] = country.strip().upper()
    out["latitude"] = _coordinate(out["latitude"], LATITUDE, "latitude")
    out["longitude"] = _coordinate(out["longitude"], LONGITUDE, "longitude")
    return out


def encode_domain(value: Any, spec: FieldSpec) -> dict[str, Any]:
    """``domain``: ``{"domain": …}``."""
    if not isinstance(value, str) or not value.strip():
        raise BadValue("a domain name such as 'example.com'")
    return {"domain": value.strip()}


def encode_email(value: Any, spec: FieldSpec) -> dict[str, Any]:
    """``email-address``: ``{"email_address": …}`` (Attio validates it strictly)."""
    if not isinstance(value, str) or value.count("@") != 1:
        raise BadValue("an e-mail address")
    return {"email_address": value.strip()}


def normalize_phone(value: str) -> str:
    """A phone number in E.164 (``+`` then 7 to 15 digits), from the usual punctuation; Attio
    needs E.164 (docs/reference/attio.md §3, phone-number; kesslerio#631)."""
    compact = _PHONE_PUNCTUATION.sub("", value)
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    if not _E164.match(compact):
        raise BadValue("a phone number in E.164 form, such as '+442071234567'")
    return compact


def phone_operand(value: str) -> str:
    """A phone number in a filter, normalised as writes are (E.164): Attio compares the
    normalised number (docs attribute-types-phone-number, Filtering)."""
    try:
        return normalize_phone(value)
    except BadValue as exc:
        from crmbridge import ValidationError

        raise ValidationError(
            f"cannot filter by phone number {value!r}: expected {exc.expected}", provider="attio"
        ) from None


def encode_phone(value: Any, spec: FieldSpec) -> dict[str, Any]:
    """``phone-number``: ``{"original_phone_number": E.164, "country_code": null}`` for a string;
    a :class:`~crmbridge.Phone` in national form goes with its ``country_code`` ("Object values
    must include both a original_phone_number and country_code", docs attribute-types-phone-number)."""
    if isinstance(value, Phone):
        country = value.country.strip().upper() if isinstance(value.country, str) else None
        if country is not None and country not in COUNTRY_CODES:
            raise BadValue("a Phone whose country is an ISO 3166-1 alpha-2 code such as 'GB'")
        compact = _PHONE_PUNCTUATION.sub("", value.number)
        if compact.startswith(("+", "00")):
            return {"original_phone_number": normalize_phone(value.number), "country_code": country}
        if country is None or not _NATIONAL.match(compact):
            raise BadValue(
                "a national phone number with its country, such as Phone('020 7123 4567', 'GB')"
            )
        return {"original_phone_number": compact, "country_code": country}
    if not isinstance(value, str):
        raise BadValue("a phone number in E.164 form, such as '+442071234567', or a Phone")
    return {"original_phone_number": normalize_phone(value), "country_code": None}


def parse_personal_name(text: str) -> PersonName | None:
    """Attio's own string form of a name, ``"Last, First"`` (docs/reference/attio.md §3), as a
    :class:`PersonName`; ``None`` for any other string (the core reads ``"First Last"``)."""
    if "," not in text:
        return None
    last, _, first = text.strip().partition(",")
    first, last = first.strip(), last.strip()
    return PersonName(first or None, last or None, f"{first} {last}".strip())


def split_full_name(full: str) -> tuple[str, str]:
    """``(first, last)`` of a name given only in full, as Attio splits one: its string form
    reads "Last name(s), First name(s)"; text without a comma is solely the first name (docs
    attribute-types-personal-name, Writing values)."""
    if "," in full:
        last, _, first = full.partition(",")
        return first.strip(), last.strip()
    return full.strip(), ""


def encode_personal_name(value: Any, spec: FieldSpec) -> dict[str, Any]:
    """``personal-name``: all three keys, always strings (the live 400 in
    rbeene_400_validation_type_personal_name.json lists each missing one). A name given only in
    full (a string, or a :class:`PersonName` with ``full`` alone) gets first and last names as
    Attio splits its string form (:func:`split_full_name`)."""
    if isinstance(value, str):
        value = PersonName(full=value.strip())
    if isinstance(value, PersonName) and value.full and not (value.first or value.last):
        first, last = split_full_name(value.full)
        value = PersonName(first=first or None, last=last or None, full=value.full.strip())
    if not isinstance(value, PersonName):
        raise BadValue("a PersonName or a full name")
    return {
        "first_name": value.first or "",
        "last_name": value.last or "",
        "full_name": value.display,
    }
