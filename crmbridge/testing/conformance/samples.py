"""Sample values for every neutral :class:`~crmbridge.FieldType`, and how to compare them.

The conformance suite knows nothing about a provider's objects: it reads the schema and writes, for
each field, a value built from :data:`SAMPLES` — one table, one place — then reads the record back
and checks it with :func:`same_value`. A CRM may normalise what it stores (lower-case emails,
E.164 phones, money with the field's currency, datetimes rounded to milliseconds); the comparators
accept exactly those normalisations and nothing else, so a value that comes back *different* fails.

Types with no value that works everywhere (``reference`` needs a record, ``user`` a real member,
``file`` an upload) have no sample: the suite builds references itself and takes users and files
from the opting-in class's ``sample_values``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from ...model import FieldSpec, FieldType, Location, Money, Option, PersonName, Ref, User

__all__ = ["SAMPLES", "Sampler", "same_value", "sample"]

T = FieldType
#: A sample builder: ``(field, token, n) -> value``; ``token`` makes text unique per test,
#: ``n`` makes values distinct within a test.
Sampler = Callable[[FieldSpec, str, int], Any]

_TIMEZONES = ("Europe/Paris", "America/New_York", "Asia/Tokyo", "Australia/Sydney")
_WORDS = ("apple", "banana", "cherry", "damson", "elder", "fig", "grape", "hazel")


def _magnitude(n: int) -> int:
    """9, 10, 100, then 100 + n: numeric order differs from text order, so a provider that
    compares numbers as strings fails the comparison and sort tests."""
    return (9, 10, 100)[n] if 0 <= n < 3 else 100 + n


def _option(spec: FieldSpec, token: str, n: int) -> Any:
    """An option the schema lists (a label the CRM knows), ``None`` when it lists none."""
    if not spec.options:
        return None
    return spec.options[n % len(spec.options)].label


def _tag(spec: FieldSpec, token: str, n: int) -> Any:
    """A listed tag where there are some (tags may also be free labels, but listed ones are
    accepted by every CRM)."""
    if spec.options:
        return spec.options[n % len(spec.options)].label
    return f"conformance-{_WORDS[n % len(_WORDS)]}"


def _timezone(spec: FieldSpec, token: str, n: int) -> Any:
    listed = {o.label for o in spec.options}
    choices = [z for z in _TIMEZONES if not listed or z in listed]
    return choices[n % len(choices)] if choices else spec.options[n % len(spec.options)].label


#: One sample per neutral type. ``None`` as a result means "no sample for this field".
SAMPLES: dict[FieldType, Sampler | None] = {
    T.text: lambda s, tok, n: f"{tok} {_WORDS[n % len(_WORDS)]} {n:02d}",
    T.long_text: lambda s, tok, n: f"{tok} first line {n}\nsecond line",
    T.number: lambda s, tok, n: Decimal(_magnitude(n)) + Decimal("0.5"),
    T.integer: lambda s, tok, n: _magnitude(n),
    T.money: lambda s, tok, n: Money(Decimal("1250.50") + 100 * n),
    T.bool: lambda s, tok, n: n % 2 == 0,
    T.date: lambda s, tok, n: dt.date(2024, 5, 1 + n % 28),
    T.datetime: lambda s, tok, n: dt.datetime(2024, 5, 1, 12, 30, n % 60, tzinfo=dt.UTC),
    T.rating: lambda s, tok, n: 1 + n % 3,
    T.option: _option,
    T.status: _option,
    T.email: lambda s, tok, n: f"{tok}.{n}@example.com",
    T.phone: lambda s, tok, n: f"+1415555{n % 10000:04d}",
    T.domain: lambda s, tok, n: f"{tok}-{n}.example.com",
    T.url: lambda s, tok, n: f"https://{tok}.example.com/{n}",
    T.person_name: lambda s, tok, n: PersonName(
        "Ada", f"Lovelace{tok}{n}", f"Ada Lovelace{tok}{n}"
    ),
    T.location: lambda s, tok, n: Location(
        line_1=f"{n + 1} Main Street",
        locality="Springfield",
        region="IL",
        postcode="62701",
        country_code="US",
    ),
    T.reference: None,
    T.user: None,
    T.interaction: None,
    T.file: None,
    T.timezone: _timezone,
    T.tags: _tag,
    T.unknown: None,
}


def sample(
    spec: FieldSpec, token: str, n: int, overrides: Mapping[str | FieldType, Any] = {}
) -> Any:
    """A value for ``spec`` (a list for a multi field), or ``None`` when there is no sample.

    ``overrides`` (the opting-in class's ``sample_values``) win: by field slug first, then by
    type; a callable override is called with ``n``.
    """
    chosen: Any = None
    for key in (spec.slug, spec.type):
        if key in overrides:
            chosen = overrides[key]
            chosen = chosen(n) if callable(chosen) else chosen
            break
    else:
        builder = SAMPLES[spec.type]
        chosen = builder(spec, token, n) if builder is not None else None
    if chosen is None:
        return None
    if spec.multi and not isinstance(chosen, list):
        return [chosen]
    return chosen


# --- comparison ------------------------------------------------------------------------------


def _number(v: Any) -> Decimal | None:
    if isinstance(v, Money):
        v = v.amount
    if isinstance(v, bool) or v is None:
        return None
    try:
        return Decimal(str(v))
    except InvalidOperation:
        return None


def _label(v: Any) -> str | None:
    if isinstance(v, Option):
        return v.label.casefold()
    return v.casefold() if isinstance(v, str) else None


def _digits(v: Any) -> str | None:
    return "".join(c for c in v if c.isdigit()) if isinstance(v, str) else None


def _host(v: Any) -> str | None:
    if not isinstance(v, str):
        return None
    text = v.casefold().removeprefix("https://").removeprefix("http://")
    return text.removeprefix("www.").rstrip("/")


def _instant(v: Any) -> dt.datetime | None:
    """The UTC instant, to the millisecond (the precision every CRM keeps)."""
    moment: dt.datetime
    if isinstance(v, str):
        try:
            moment = dt.datetime.fromisoformat(v.replace("Z", "+00:00"))
        except ValueError:
            return None
    elif isinstance(v, dt.datetime):
        moment = v
    else:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).replace(microsecond=moment.microsecond // 1000 * 1000)


def _day(v: Any) -> dt.date | None:
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    if isinstance(v, str):
        try:
            return dt.date.fromisoformat(v)
        except ValueError:
            return None
    return None


def _same_name(sent: Any, got: Any) -> bool:
    if isinstance(sent, str):
        return isinstance(got, PersonName) and got.display.casefold() == sent.casefold()
    if not isinstance(sent, PersonName) or not isinstance(got, PersonName):
        return False
    return (sent.first, sent.last) == (got.first, got.last)


def _same_location(sent: Any, got: Any) -> bool:
    if not isinstance(sent, Location) or not isinstance(got, Location):
        return False
    for name in ("line_1", "line_2", "locality", "region", "postcode", "country_code"):
        wanted = getattr(sent, name)
        if wanted is not None and getattr(got, name) != wanted:
            return False
    return True


def _same_money(sent: Any, got: Any) -> bool:
    if not isinstance(got, Money) or _number(sent) != _number(got):
        return False
    currency = sent.currency if isinstance(sent, Money) else None
    return currency is None or currency == got.currency


def _same_ref(sent: Any, got: Any) -> bool:
    if not isinstance(got, Ref):
        return False
    if isinstance(sent, Ref):
        return sent.id == got.id and sent.object == got.object
    return bool(sent == got.id)


def _same_user(sent: Any, got: Any) -> bool:
    if not isinstance(got, User):
        return False
    if isinstance(sent, User):
        keys = [(sent.id, got.id), (sent.email, got.email)]
        return any(a is not None and a == b for a, b in keys)
    return sent in (got.id, got.email)


_COMPARE: dict[FieldType, Callable[[Any, Any], bool]] = {
    T.number: lambda a, b: _number(a) is not None and _number(a) == _number(b),
    T.integer: lambda a, b: _number(a) == _number(b),
    T.rating: lambda a, b: _number(a) == _number(b),
    T.money: _same_money,
    T.bool: lambda a, b: a is b,
    T.date: lambda a, b: _day(a) is not None and _day(a) == _day(b),
    T.datetime: lambda a, b: _instant(a) is not None and _instant(a) == _instant(b),
    T.option: lambda a, b: _label(a) == _label(b),
    T.status: lambda a, b: _label(a) == _label(b),
    T.tags: lambda a, b: _label(a) == _label(b),
    T.email: lambda a, b: isinstance(b, str) and a.casefold() == b.casefold(),
    T.phone: lambda a, b: _digits(a) == _digits(b),
    T.domain: lambda a, b: _host(a) == _host(b),
    T.url: lambda a, b: _host(a) == _host(b),
    T.person_name: _same_name,
    T.location: _same_location,
    T.reference: _same_ref,
    T.user: _same_user,
}


def same_value(spec: FieldSpec, sent: Any, got: Any) -> bool:
    """Whether ``got`` (read back) is ``sent`` (written) for ``spec``, up to the normalisations a
    CRM is allowed (see the module docstring). Multi fields compare as multisets."""
    if spec.multi:
        sent_items = sent if isinstance(sent, list) else [sent]
        if not isinstance(got, list) or len(got) != len(sent_items):
            return False
        remaining = list(got)
        for item in sent_items:
            match = next((g for g in remaining if _same_one(spec, item, g)), _MISSING)
            if match is _MISSING:
                return False
            remaining.remove(match)
        return True
    return _same_one(spec, sent, got)


_MISSING = object()


def _same_one(spec: FieldSpec, sent: Any, got: Any) -> bool:
    compare = _COMPARE.get(spec.type)
    if compare is None:
        return bool(sent == got)
    return bool(compare(sent, got))
