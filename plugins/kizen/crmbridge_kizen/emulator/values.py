"""Write values: validate what a client sends for one field and turn it into the stored form.

The write formats per field type are those of docs/reference/kizen.md §5 (``FieldRequest`` [SEED]):
text/email/phone strings, numbers, ``YYYY-MM-DD`` dates, ISO datetimes, booleans, option references
as ``{"id": ...}`` [KZ-LIVE], ``{"name": label}`` [KZ] or a bare option id [KZ app-engine; documented
example ``add_request``], relationship references the same way, team members by id. Messages are
DRF's wording. Stored forms (what :mod:`.serialize` reads back):

========================================  ===============================================
text, longtext, wysiwyg, email, phone     ``str``
integer / decimal / money                 ``int`` / ``float`` / amount (``int`` or ``float``)
date / datetime                           ``"YYYY-MM-DD"`` / ISO string with µs and offset
checkbox                                  ``bool``
dropdown, radio, status, choices,         option id
selector, yesnomaybe, stage
rating                                    ``int`` (1..scale)
timezone                                  IANA name
team_selector                             employee id
checkboxes, dynamictags                   ``list`` of option ids
files                                     ``list`` of ``{"id", "name"}``
relationship                              linked record ids (kept by :class:`.store.Store`)
========================================  ===============================================
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
import zoneinfo
from decimal import Decimal, InvalidOperation
from typing import Any

import phonenumbers

from .ids import format_datetime
from .schema import MULTI_OPTION_TYPES, SINGLE_OPTION_TYPES, TEXT_TYPES, FieldDef
from .store import Store

__all__ = ["DEFAULT_PHONE_COUNTRY", "Invalid", "NewTag", "parse_item", "parse_value", "timezones"]

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
#: A phone field's ``phonenumber_options.default_country`` (docs/reference/kizen.md §3 field
#: metadata): the country of a number written without ``+``.
DEFAULT_PHONE_COUNTRY = "US"
_INT_MAX = 2**31 - 1  # "Integer 4 bytes" (docs/reference/kizen.md §1.1, custom-fields page)


class Invalid(Exception):
    """A value Kizen would refuse; ``messages`` are the DRF error strings."""

    def __init__(self, *messages: str) -> None:
        super().__init__(*messages)
        self.messages = list(messages)


class NewTag:
    """A dynamic tag written by ``{"name": ...}`` that does not exist yet: created on apply.
    (docs/reference/kizen.md §13.6 leaves auto-creation open; the emulator creates it, as the bulk endpoint's
    ``tags_to_add`` suggests.)"""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name


@functools.cache
def timezones() -> tuple[str, ...]:
    """IANA zone names: timezone fields' options (``id == code == name``, docs/reference/kizen.md §5)."""
    try:
        names = zoneinfo.available_timezones()
    except Exception:  # pragma: no cover - no tz database
        names = set()
    return tuple(sorted(names or {"UTC", "America/New_York", "America/Chicago", "Europe/London"}))


@functools.cache
def _timezone_set() -> frozenset[str]:
    return frozenset(timezones())


def _string(raw: Any, limit: int | None) -> str:
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        raise Invalid("Not a valid string.")
    text = str(raw)
    if limit is not None and len(text) > limit:
        raise Invalid(f"Ensure this field has no more than {limit} characters.")
    return text


def _number(raw: Any) -> int | float:
    if isinstance(raw, bool):
        raise Invalid("A valid number is required.")
    if isinstance(raw, int | float):
        if isinstance(raw, float) and not math.isfinite(raw):
            raise Invalid("A valid number is required.")
        return raw
    if isinstance(raw, str):
        try:
            number = Decimal(raw.strip())
        except InvalidOperation:
            raise Invalid("A valid number is required.") from None
        if not number.is_finite():
            raise Invalid("A valid number is required.")
        if number == number.to_integral_value() and "." not in raw and "e" not in raw.lower():
            return int(number)
        value = float(number)
        if not math.isfinite(value):
            raise Invalid("A valid number is required.")
        return value
    raise Invalid("A valid number is required.")


def _integer(raw: Any) -> int:
    if isinstance(raw, bool):
        raise Invalid("A valid integer is required.")
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    if isinstance(raw, str) and re.fullmatch(r"\s*-?\d+\s*", raw):
        raw = int(raw)
    if not isinstance(raw, int):
        raise Invalid("A valid integer is required.")
    if raw > _INT_MAX:
        raise Invalid(f"Ensure this value is less than or equal to {_INT_MAX}.")
    if raw < -_INT_MAX - 1:
        raise Invalid(f"Ensure this value is greater than or equal to {-_INT_MAX - 1}.")
    return raw


def _date(raw: Any) -> str:
    if isinstance(raw, str):
        text = raw.strip()
        try:
            if len(text) == 10:
                return dt.date.fromisoformat(text).isoformat()
            return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).date().isoformat()
        except ValueError:
            pass
    raise Invalid("Date has wrong format. Use one of these formats instead: YYYY-MM-DD.")


def _datetime(raw: Any) -> str:
    if isinstance(raw, str):
        try:
            value = dt.datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
        except ValueError:
            pass
        else:
            return format_datetime(value)
    raise Invalid(
        "Datetime has wrong format. Use one of these formats instead: "
        "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."
    )


def _possible_phone(text: str) -> bool:
    """Whether libphonenumber finds a possible number (national numbers in the field's default
    country): issue 19, instead of a hand-written pattern (https://github.com/google/libphonenumber)."""
    try:
        number = phonenumbers.parse(text, DEFAULT_PHONE_COUNTRY)
    except phonenumbers.NumberParseException:
        return False
    return bool(phonenumbers.is_possible_number(number))


def _ref(raw: Any) -> tuple[str | None, str | None]:
    """``(id, name)`` of a reference written as ``{"id"}``, ``{"name"}`` or a bare id."""
    if isinstance(raw, dict):
        ref_id, name = raw.get("id"), raw.get("name")
        if ref_id is not None:
            return str(ref_id), None
        if isinstance(name, str):
            return None, name
        raise Invalid('Expected a reference as {"id": ...} or {"name": ...}.')
    if isinstance(raw, str | int) and not isinstance(raw, bool):
        return str(raw), None
    raise Invalid(f"Incorrect type. Expected pk value, received {type(raw).__name__}.")


def _option(field: FieldDef, raw: Any) -> str:
    ref_id, name = _ref(raw)
    if ref_id is not None:
        option = field.option(ref_id)
        if option is None:
            raise Invalid(f'Invalid pk "{ref_id}" - object does not exist.')
        return option.id
    assert name is not None
    option = field.option_named(name)
    if option is None:
        raise Invalid(f'Object with name "{name}" does not exist.')
    return option.id


def _rating(field: FieldDef, raw: Any) -> int:
    """Ratings are written as the number; an option reference resolves through the option's
    ``code`` (rating options are ``{name: "1 - Low", code: "1"}`` in objects/patients.excerpt.json)."""
    if isinstance(raw, dict):
        option = field.option(str(raw.get("id"))) or field.option_named(str(raw.get("name")))
        if option is None:
            raise Invalid("Invalid rating.")
        raw = option.code
    value = _integer(raw)
    if not 1 <= value <= field.rating_scale:
        raise Invalid(f"Ensure this value is between 1 and {field.rating_scale}.")
    return value


def parse_item(field: FieldDef, raw: Any, store: Store) -> Any:
    """One element of a multi field's value / ``add_values`` / ``remove_values`` (docs/reference/kizen.md §13.6:
    the same element shape as the ``value`` list items)."""
    kind = field.field_type
    if kind == "checkboxes":
        return _option(field, raw)
    if kind == "dynamictags":
        ref_id, name = _ref(raw)
        if ref_id is not None:
            if field.option(ref_id) is None:
                raise Invalid(f'Invalid pk "{ref_id}" - object does not exist.')
            return ref_id
        assert name is not None
        option = field.option_named(name)
        return option.id if option is not None else NewTag(name)
    if kind == "files":
        ref_id, name = _ref(raw)
        if ref_id is None:
            raise Invalid("Files are referenced by their uploaded file id.")
        label = raw.get("name") if isinstance(raw, dict) else None
        return {"id": ref_id, "name": label or f"file-{ref_id[:8]}"}
    if kind == "relationship":
        ref_id, name = _ref(raw)
        relation = field.relation
        assert relation is not None
        target = store.objects.get(relation.related_object)
        if ref_id is not None:
            record = store.find(ref_id)
            if record is None or target is None or record.object != target.obj.name:
                raise Invalid(f'Invalid pk "{ref_id}" - object does not exist.')
            return record.id
        assert name is not None
        found = target.matches(name, exact=True, archived=False) if target is not None else []
        if not found:
            raise Invalid(f'Object with name "{name}" does not exist.')
        return found[0].id
    raise Invalid("This field does not allow multiple values.")


def parse_value(field: FieldDef, raw: Any, store: Store) -> Any:
    """A single field's ``value`` in stored form; ``None`` clears it. Multi fields take a list."""
    if raw is None:
        return None
    kind = field.field_type
    if field.multi:
        if not isinstance(raw, list):
            raise Invalid(f'Expected a list of items but got type "{type(raw).__name__}".')
        return [parse_item(field, item, store) for item in raw]
    if kind == "relationship":  # to-one
        if isinstance(raw, list):
            if len(raw) > 1:
                raise Invalid("This relationship allows only one record.")
            if not raw:
                return None
            raw = raw[0]
        return [parse_item(field, raw, store)]
    if kind in TEXT_TYPES:
        text = _string(raw, 255 if kind in ("text", "email", "phonenumber") else None)
        if kind == "email":
            text = text.strip()
            if text and not _EMAIL.match(text):
                raise Invalid("Enter a valid email address.")
        if kind == "phonenumber":
            text = text.strip()
            if text and not _possible_phone(text):
                raise Invalid("Enter a valid phone number.")
        return text or None
    if kind == "integer":
        return _integer(raw)
    if kind == "decimal":
        try:
            return float(_number(raw))
        except OverflowError:
            raise Invalid("A valid number is required.") from None
    if kind == "money":
        if isinstance(raw, dict):
            raw = raw.get("amount")
            if raw is None:
                return None
        return _number(raw)
    if kind == "date":
        return _date(raw)
    if kind == "datetime":
        return _datetime(raw)
    if kind == "checkbox":
        if not isinstance(raw, bool):
            raise Invalid("Must be a valid boolean.")
        return raw
    if kind in SINGLE_OPTION_TYPES:
        return _option(field, raw)
    if kind == "rating":
        return _rating(field, raw)
    if kind == "timezone":
        name = raw.get("id") or raw.get("name") if isinstance(raw, dict) else raw
        if not isinstance(name, str) or name not in _timezone_set():
            raise Invalid(f'"{name}" is not a valid choice.')
        return name
    if kind == "team_selector":
        ref_id, _name = _ref(raw)
        if ref_id is None or ref_id not in store.employees:
            raise Invalid(f'Invalid pk "{ref_id}" - object does not exist.')
        return ref_id
    if kind in MULTI_OPTION_TYPES:  # pragma: no cover - handled by field.multi
        raise Invalid("Expected a list of items.")
    raise Invalid(f"Field type {kind!r} is not writable.")
