"""Write-value normalisation and validation per attribute type (stored.py holds the values).

Input forms, derived keys and validation rules are those of docs/reference/attio.md §3 (the type table)
and the spec's ``input-value``/``output-value`` schemas. What a stored value looks like is fixed by
the recordings: ``responses/people_create_rbeene.json`` (personal-name, timestamp, text),
``responses/people_query_rbeene.json`` (email-address with ``email_domain`` & co., phone-number with
``phone_number`` first), ``cassettes/companies_query.yaml`` (domain/``root_domain``, select
``option`` objects, location with all ten keys, date, number, actor-reference). Validation errors use
the recorded zod-style body (``errors/rbeene_400_validation_type_personal_name.json``).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Hashable, Iterable
from typing import Any, Protocol

import phonenumbers
from publicsuffixlist import PublicSuffixList

from ..countries import COUNTRY_CODES
from . import errors
from .errors import AttioError
from .ids import parse_date, parse_timestamp
from .schema import AttributeDef, MemberDef

__all__ = ["Keyed", "Resolver", "identity", "normalize", "normalize_system"]

LOCATION_KEYS = (
    "line_1",
    "line_2",
    "line_3",
    "line_4",
    "locality",
    "region",
    "postcode",
    "country_code",
    "latitude",
    "longitude",
)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
#: The spec's patterns (input-value, location: latitude and longitude).
_LATITUDE = re.compile(r"^[-+]?([1-8]?\d(\.\d+)?|90(\.0+)?)$")
_LONGITUDE = re.compile(r"^[-+]?(180(\.0+)?|((1[0-7]\d)|([1-9]?\d))(\.\d+)?)$")
#: A currency amount as a string Attio can convert: a plain decimal (docs attribute-types-
#: currency: "Where possible, Attio will convert strings into numbers"; strictly: no exponent).
_DECIMAL = re.compile(r"^-?\d+(\.\d+)?$")
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)
#: The public suffix list (its bundled snapshot; never fetched): the registrable ("root") domain of
#: ``acme.co.za`` is ``acme.co.za``, not ``co.za`` (issue 19; https://publicsuffix.org/).
_PSL = PublicSuffixList()


class Resolver(Protocol):
    """What value normalisation needs from the store (record references, actors)."""

    def resolve_reference(self, attribute: AttributeDef, raw: Any) -> tuple[str, str]:
        """``(target_object_slug, record_id)`` of an existing record, or raise."""
        ...

    def member_by_email(self, email: str) -> MemberDef | None: ...

    def member_by_id(self, member_id: str) -> MemberDef | None: ...


class Keyed(Protocol):
    """A value's type keys: a dict from :func:`normalize`, or a stored value (stored.py)."""

    def get(self, key: str, default: Any = None, /) -> Any: ...

    def items(self) -> Iterable[tuple[str, Any]]: ...


def identity(attribute_type: str, value: Keyed) -> Hashable:
    """What makes two values of a type "the same" (multiselect de-duplication, uniqueness)."""
    if attribute_type == "email-address":
        return str(value.get("email_address")).lower()
    if attribute_type == "domain":
        return str(value.get("domain")).lower()
    if attribute_type == "phone-number":
        return str(value.get("phone_number"))
    if attribute_type == "select":
        return str(value.get("option")["id"]["option_id"])
    if attribute_type == "status":
        return str(value.get("status")["id"]["status_id"])
    if attribute_type == "record-reference":
        return (value.get("target_object"), value.get("target_record_id"))
    if attribute_type == "actor-reference":
        return (value.get("referenced_actor_type"), value.get("referenced_actor_id"))
    if attribute_type == "currency":
        return (value.get("currency_value"), value.get("currency_code"))
    if attribute_type in ("personal-name", "location", "interaction"):
        own = tuple((k, repr(v)) for k, v in value.items())
        if value.get("attribute_type") is not None:
            # A stored value's identity has always included its ``attribute_type`` (it was the
            # rendered dict), so an equal value written again replaces it rather than being kept:
            # kept as it was, answers unchanged (issue 24 changed only how values are held).
            own += (("attribute_type", repr(attribute_type)),)
        return own
    return (attribute_type, repr(value.get("value")))


def normalize(attribute: AttributeDef, raw: Any, resolver: Resolver) -> list[dict[str, Any]]:
    """The type keys of each value written as ``raw`` to ``attribute`` (``[]`` clears it).

    A multiselect attribute needs an array (docs/reference/attio.md §3: ``domains: "x.com"`` fails with
    ``validation_type``); a single-value attribute accepts a value or a one-element array.
    """
    if raw is None:
        return []
    if isinstance(raw, list):
        items = raw
        if not attribute.is_multiselect and len(items) > 1:
            raise errors.invalid_value(
                attribute.api_slug,
                [errors.zod("too_big", [], "Array must contain at most 1 element(s)", maximum=1)],
            )
    else:
        if attribute.is_multiselect:
            raise errors.invalid_value(
                attribute.api_slug,
                [
                    errors.zod(
                        "invalid_type",
                        [],
                        f"Expected array, received {errors.type_name(raw)}",
                        expected="array",
                        received=errors.type_name(raw),
                    )
                ],
            )
        items = [raw]
    converter = _CONVERTERS.get(attribute.type)
    if converter is None:  # pragma: no cover - every type has one
        raise errors.invalid_value(attribute.api_slug, [])
    return [converter(attribute, item, resolver) for item in items]


def normalize_system(attribute: AttributeDef, raw: Any, resolver: Resolver) -> list[dict[str, Any]]:
    """Like :func:`normalize`, for values Attio writes itself (seeding enriched data): also accepts
    interaction values and actor references to any actor, in their read shape."""
    items = raw if isinstance(raw, list) else [raw]
    if attribute.type == "interaction":
        return [
            {k: item[k] for k in ("interaction_type", "interacted_at", "owner_actor")}
            for item in items
        ]
    if attribute.type == "actor-reference" and all(
        isinstance(i, dict) and "referenced_actor_type" in i for i in items
    ):
        return [
            {k: item[k] for k in ("referenced_actor_type", "referenced_actor_id")} for item in items
        ]
    return normalize(attribute, raw, resolver)


# --- per-type converters -------------------------------------------------------------------------


def _wrong_type(
    attribute: AttributeDef, item: Any, expected: str, path: list[str | int]
) -> AttioError:
    received = errors.type_name(item)
    return errors.invalid_value(
        attribute.api_slug,
        [
            errors.zod(
                "invalid_type",
                path,
                f"Expected {expected}, received {received}",
                expected=expected,
                received=received,
            )
        ],
    )


def _invalid(attribute: AttributeDef, path: list[str | int], message: str) -> AttioError:
    return errors.invalid_value(attribute.api_slug, [errors.zod("invalid", path, message)])


def _unwrap(item: Any, key: str) -> tuple[Any, list[str | int]]:
    if isinstance(item, dict):
        return item.get(key), [key]
    return item, []


def _text(attribute: AttributeDef, item: Any, _: Resolver) -> dict[str, Any]:
    value, path = _unwrap(item, "value")
    if not isinstance(value, str):
        raise _wrong_type(attribute, value, "string", path)
    return {"value": value}


def _number(attribute: AttributeDef, item: Any, _: Resolver) -> dict[str, Any]:
    value, path = _unwrap(item, "value")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _wrong_type(attribute, value, "number", path)
    return {"value": _tidy_number(value)}


def _tidy_number(value: float) -> float:
    """Numbers are 64-bit floats with at most four decimal places (docs/reference/attio.md §3); whole numbers
    are sent back as integers, as the recordings show (``twitter_follower_count: 1033``)."""
    rounded = round(float(value), 4)
    return int(rounded) if rounded.is_integer() and abs(rounded) < 2**53 else rounded


def _checkbox(attribute: AttributeDef, item: Any, _: Resolver) -> dict[str, Any]:
    value, path = _unwrap(item, "value")
    if value in ("true", "false"):
        value = value == "true"
    if not isinstance(value, bool):
        raise _wrong_type(attribute, value, "boolean", path)
    return {"value": value}


def _currency(attribute: AttributeDef, item: Any, _: Resolver) -> dict[str, Any]:
    """A number, or a plain decimal string at the top level ("Using string"); the object form's
    ``currency_value`` is a number (spec input-value). "We accept values with up to 4 decimal
    places of precision" (docs attribute-types-currency): more is a 400."""
    value, path = _unwrap(item, "currency_value")
    if isinstance(value, str) and not path:
        if not _DECIMAL.match(value.strip()):
            raise _wrong_type(attribute, value, "number", path)
        text = value.strip()
        value = float(text)
    elif isinstance(value, bool) or not isinstance(value, int | float):
        raise _wrong_type(attribute, value, "number", path)
    else:
        text = repr(value)
    if "e" in text.lower() or len(text.partition(".")[2]) > 4:
        raise _invalid(attribute, path, "Currency values have at most 4 decimal places")
    # ``currency_code`` first, as recorded (cassettes/attio/companies_query.yaml); the spec's
    # output-value lists ``currency_value`` first (docs/emulators/attio.md, sources disagree).
    return {
        "currency_code": attribute.default_currency_code,
        "currency_value": _tidy_number(value),
    }


def _date(attribute: AttributeDef, item: Any, _: Resolver) -> dict[str, Any]:
    value, path = _unwrap(item, "value")
    if not isinstance(value, str):
        raise _wrong_type(attribute, value, "string", path)
    day = parse_date(value)
    if day is None:
        raise _invalid(attribute, path, "Invalid date")
    return {"value": day}


def _timestamp(attribute: AttributeDef, item: Any, _: Resolver) -> dict[str, Any]:
    value, path = _unwrap(item, "value")
    if not isinstance(value, str):
        raise _wrong_type(attribute, value, "string", path)
    stamp = parse_timestamp(value)
    if stamp is None:
        raise _invalid(attribute, path, "Invalid timestamp")
    return {"value": stamp}


def _rating(attribute: AttributeDef, item: Any, _: Resolver) -> dict[str, Any]:
    value, path = _unwrap(item, "value")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _wrong_type(attribute, value, "number", path)
    if not 0 <= value <= 5 or int(value) != value:
        raise _invalid(attribute, path, "Rating must be an integer between 0 and 5")
    return {"value": int(value)}


def _select(attribute: AttributeDef, item: Any, _: Resolver) -> dict[str, Any]:
    value, path = _unwrap(item, "option")
    if not isinstance(value, str):
        raise _wrong_type(attribute, value, "string", path)
    option = attribute.option(value)
    if option is None or option.is_archived:
        # Spec example for POST /records 400: unknown options are never created.
        raise errors.value_not_found(
            f'Cannot find select attribute with select option title "{value}".'
        )
    return {"option": option.render(attribute.ids)}


def _status(attribute: AttributeDef, item: Any, _: Resolver) -> dict[str, Any]:
    value, path = _unwrap(item, "status")
    if not isinstance(value, str):
        raise _wrong_type(attribute, value, "string", path)
    status = attribute.status(value)
    if status is None or status.is_archived:
        raise errors.value_not_found(
            f'Cannot find status attribute with status option title "{value}".'
        )
    return {"status": status.render(attribute.ids)}


def _record_reference(attribute: AttributeDef, item: Any, resolver: Resolver) -> dict[str, Any]:
    slug, record_id = resolver.resolve_reference(attribute, item)
    return {"target_object": slug, "target_record_id": record_id}


def _actor_reference(attribute: AttributeDef, item: Any, resolver: Resolver) -> dict[str, Any]:
    """Only workspace members can be written (docs/reference/attio.md §3): by email or by id."""
    member: MemberDef | None = None
    if isinstance(item, str):
        member = resolver.member_by_email(item)
        missing = item
    elif isinstance(item, dict):
        if "workspace_member_email_address" in item:
            missing = str(item["workspace_member_email_address"])
            member = resolver.member_by_email(missing)
        elif item.get("referenced_actor_type") == "workspace-member":
            missing = str(item.get("referenced_actor_id"))
            member = resolver.member_by_id(missing)
        else:
            raise _invalid(attribute, [], "Only workspace members can be referenced")
    else:
        raise _wrong_type(attribute, item, "string", [])
    if member is None:
        raise errors.value_not_found(f'Workspace member with email or ID "{missing}" not found.')
    return {"referenced_actor_type": "workspace-member", "referenced_actor_id": member.id}


def _location(attribute: AttributeDef, item: Any, _: Resolver) -> dict[str, Any]:
    """An object with all ten keys (nulls allowed), or a parseable
    ``"line_1, locality, region, postcode, country_code"`` string (docs/reference/attio.md §3)."""
    if isinstance(item, str):
        parts = [p.strip() for p in item.split(",")]
        if len(parts) < 2:
            raise _invalid(attribute, [], "Could not parse location string")
        keys: dict[str, Any] = dict.fromkeys(LOCATION_KEYS)
        country = parts[-1].upper() if parts[-1].upper() in COUNTRY_CODES else None
        rest = parts[:-1] if country else parts
        keys["country_code"] = country
        keys["line_1"] = rest[0] if len(rest) > 1 else None
        tail = rest[1:] if len(rest) > 1 else rest
        if (
            tail
            and re.fullmatch(r"[0-9A-Z -]{3,10}", tail[-1])
            and any(c.isdigit() for c in tail[-1])
        ):
            keys["postcode"] = tail.pop()
        if tail:
            keys["locality"] = tail.pop(0)
        if tail:
            keys["region"] = tail.pop(0)
        return keys
    if not isinstance(item, dict):
        raise _wrong_type(attribute, item, "object", [])
    problems = [errors.required([k], "string") for k in LOCATION_KEYS if k not in item]
    for key in LOCATION_KEYS:
        value = item.get(key)
        if key in item and value is not None and not isinstance(value, str):
            received = errors.type_name(value)
            problems.append(
                errors.zod(
                    "invalid_type",
                    [key],
                    f"Expected string, received {received}",
                    expected="string",
                    received=received,
                )
            )
    for key, pattern in (("latitude", _LATITUDE), ("longitude", _LONGITUDE)):
        value = item.get(key)
        if isinstance(value, str) and not pattern.match(value):
            problems.append(errors.zod("invalid_string", [key], "Invalid", validation="regex"))
    country = item.get("country_code")
    if isinstance(country, str) and country not in COUNTRY_CODES:
        problems.append(_bad_country(country))
    if problems:
        raise errors.invalid_value(attribute.api_slug, problems)
    return {k: item[k] for k in LOCATION_KEYS}


def _bad_country(country: str) -> dict[str, Any]:
    """zod's answer for a value outside the spec's ISO 3166-1 ``country_code`` enum."""
    return errors.zod(
        "invalid_enum_value",
        ["country_code"],
        f"Invalid enum value. Expected ISO 3166-1 alpha-2 country code, received '{country}'",
        received=country,
    )


def root_domain(domain: str) -> str:
    """The registrable domain by the public suffix list; a host that is itself a public suffix
    (or has no dot) is its own root."""
    return sys.intern(_PSL.privatesuffix(domain) or domain)


def _domain(attribute: AttributeDef, item: Any, _: Resolver) -> dict[str, Any]:
    value, path = _unwrap(item, "domain")
    if not isinstance(value, str):
        raise _wrong_type(attribute, value, "string", path)
    host = re.sub(r"^[a-z][a-z0-9+.-]*://", "", value.strip().lower())
    host = re.split(r"[/?#]", host, maxsplit=1)[0].split(":")[0]
    host = host.removeprefix("www.")
    if "." not in host or not re.fullmatch(r"[a-z0-9.-]+", host):
        raise _invalid(attribute, path, "Invalid domain")
    return {"domain": host, "root_domain": root_domain(host)}


def _email(attribute: AttributeDef, item: Any, _: Resolver) -> dict[str, Any]:
    value, path = _unwrap(item, "email_address")
    if not isinstance(value, str):
        raise _wrong_type(attribute, value, "string", path)
    original = value.strip()
    if not _EMAIL.match(original):
        raise errors.invalid_value(
            attribute.api_slug,
            [errors.zod("invalid_string", path, "Invalid email", validation="email")],
        )
    address = original.lower()
    if address == original:
        address = original  # one string, not two equal ones (bytes per record, issue 24)
    local, domain = address.split("@", 1)
    # Many people share a domain: one string for all of them (sys.intern), not one per value.
    domain = sys.intern(domain)
    return {
        "original_email_address": original,
        "email_address": address,
        "email_domain": domain,
        "email_root_domain": root_domain(domain),
        "email_local_specifier": local,
    }


def _phone(attribute: AttributeDef, item: Any, _: Resolver) -> dict[str, Any]:
    """E.164 with a leading ``+`` (docs/reference/attio.md §3, ``kesslerio#991``), or
    ``{"original_phone_number", "country_code"}`` where a national number gets the country's
    calling code. Read order ``phone_number, original_phone_number, country_code`` as recorded."""
    country: str | None = None
    if isinstance(item, dict):
        # "Object values must include both a original_phone_number and country_code property"
        # (docs attribute-types-phone-number); country_code is null or in the spec's enum.
        missing = [k for k in ("original_phone_number", "country_code") if k not in item]
        if missing:
            raise errors.invalid_value(
                attribute.api_slug, [errors.required([k], "string") for k in missing]
            )
        original = item.get("original_phone_number")
        country = item.get("country_code")
        if country is not None and country not in COUNTRY_CODES:
            raise errors.invalid_value(attribute.api_slug, [_bad_country(str(country))])
        path: list[str | int] = ["original_phone_number"]
    else:
        original, path = item, []
    if not isinstance(original, str):
        raise _wrong_type(attribute, original, "string", path)
    digits = re.sub(r"[\s().-]", "", original)
    if not digits.startswith("+") and country:
        # A national number with its country: libphonenumber adds the calling code and drops the
        # trunk prefix (https://github.com/google/libphonenumber), as Attio does.
        try:
            parsed = phonenumbers.parse(digits, country.upper())
            digits = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
        except phonenumbers.NumberParseException:
            pass
    if not _E164.match(digits):
        raise _invalid(attribute, path, "Phone number must be in E.164 format, e.g. +14155552671")
    if not country:
        try:
            country = phonenumbers.region_code_for_number(phonenumbers.parse(digits))
        except phonenumbers.NumberParseException:
            country = None
    return {
        "phone_number": digits,
        "original_phone_number": original,
        "country_code": sys.intern((country or "US").upper()),  # a non-null enum in the spec
    }


def _personal_name(attribute: AttributeDef, item: Any, _: Resolver) -> dict[str, Any]:
    """All three keys required (recorded 400), or a ``"Last, First"`` string (no comma: first
    name only)."""
    if isinstance(item, str):
        if "," in item:
            last, first = (p.strip() for p in item.split(",", 1))
        else:
            first, last = item.strip(), ""
        return {"first_name": first, "last_name": last, "full_name": f"{first} {last}".strip()}
    if not isinstance(item, dict):
        raise _wrong_type(attribute, item, "object", [])
    problems = []
    for key in ("first_name", "last_name", "full_name"):
        if key not in item:
            problems.append(errors.required([key], "string"))
        elif not isinstance(item[key], str):
            received = errors.type_name(item[key])
            problems.append(
                errors.zod(
                    "invalid_type",
                    [key],
                    f"Expected string, received {received}",
                    expected="string",
                    received=received,
                )
            )
    if problems:
        raise errors.invalid_value(attribute.api_slug, problems)
    return {k: item[k] for k in ("first_name", "last_name", "full_name")}


def _interaction(attribute: AttributeDef, item: Any, _: Resolver) -> dict[str, Any]:
    """Interactions are system-generated; the docs say they cannot be written (docs/reference/attio.md §3)."""
    raise _invalid(attribute, [], "Interaction values cannot be written")


def is_uuid(text: str) -> bool:
    return bool(_UUID.match(text))


_CONVERTERS = {
    "text": _text,
    "number": _number,
    "checkbox": _checkbox,
    "currency": _currency,
    "date": _date,
    "timestamp": _timestamp,
    "rating": _rating,
    "select": _select,
    "status": _status,
    "record-reference": _record_reference,
    "actor-reference": _actor_reference,
    "location": _location,
    "domain": _domain,
    "email-address": _email,
    "phone-number": _phone,
    "personal-name": _personal_name,
    "interaction": _interaction,
}
