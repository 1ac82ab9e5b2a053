"""The neutral model: what every provider translates to and from.

Everything here is an immutable attrs class (``frozen=True, slots=True``), so records and specs can be
shared between threads and tasks and used as dictionary keys where they are hashable. The classes follow
docs/design.md §3:

* :class:`ObjectSpec` and :class:`FieldSpec` describe a CRM's schema in neutral terms; ``FieldSpec.type``
  is one :class:`FieldType` — each provider maps every one of its own types to one of these in a single
  table (``crmbridge_attio.types``, ``crmbridge_kizen.types``).
* Values are plain Python where one fits (``str``, ``int``, ``Decimal``/``float``, ``bool``, ``date``,
  ``datetime``) and small attrs classes where not (:class:`Money`, :class:`PersonName`,
  :class:`Location`, :class:`Option`, :class:`Ref`, :class:`User`, :class:`Interaction`, :class:`File`).
  A multi field's value is always a ``list``; a single field's is the value or ``None``.
* :class:`Record` keeps the provider's payload in ``raw``: nothing the CRM said is ever lost.
* :func:`add`, :func:`remove` and :func:`clear` are change markers for multi fields; a plain value means
  *set*.

:func:`to_dict` and :func:`from_dict` turn any of these into plain JSON-able data and back, losslessly
(dates stay dates, ``Decimal`` stays ``Decimal``), for the CLI, mapping files and the migration state.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any, Literal, TypeVar

import attrs
import cattrs

__all__ = [
    "Add",
    "Change",
    "Clear",
    "FieldSpec",
    "FieldType",
    "File",
    "Interaction",
    "Location",
    "Money",
    "ObjectSpec",
    "Option",
    "PersonName",
    "Phone",
    "Record",
    "Ref",
    "RefBy",
    "Remove",
    "UpsertAction",
    "UpsertResult",
    "User",
    "ValueVersion",
    "add",
    "clear",
    "converter",
    "from_dict",
    "remove",
    "to_dict",
]


class FieldType(enum.StrEnum):
    """The neutral field types of docs/design.md §3.

    Providers map each of their own types to exactly one of these; a type a provider does not know
    (a future API addition) maps to ``unknown`` and its raw value is kept.
    """

    text = "text"
    long_text = "long_text"
    number = "number"
    integer = "integer"
    money = "money"
    bool = "bool"
    date = "date"
    datetime = "datetime"
    rating = "rating"
    option = "option"
    status = "status"
    email = "email"
    phone = "phone"
    domain = "domain"
    url = "url"
    person_name = "person_name"
    location = "location"
    reference = "reference"
    user = "user"
    interaction = "interaction"
    file = "file"
    timezone = "timezone"
    tags = "tags"
    unknown = "unknown"


def _to_decimal(value: Decimal | int | float | str) -> Decimal:
    """Money amounts are exact: floats go through ``str`` so ``0.1`` stays ``Decimal('0.1')``."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        raise TypeError("a money amount cannot be a bool")
    return Decimal(str(value))


@attrs.frozen
class Money:
    """An amount in a currency. ``currency`` is an ISO 4217 code, or ``None`` where the CRM fixes the
    currency on the field rather than on the value (Attio's ``currency_code`` config, Kizen's
    ``money_options``)."""

    amount: Decimal = attrs.field(converter=_to_decimal)
    currency: str | None = None


@attrs.frozen
class PersonName:
    """A person's name as Attio's ``personal-name`` type holds it: first, last and full."""

    first: str | None = None
    last: str | None = None
    full: str | None = None

    @property
    def display(self) -> str:
        """The full name, or first and last joined, for display."""
        if self.full:
            return self.full
        return " ".join(p for p in (self.first, self.last) if p)


@attrs.frozen
class Location:
    """A postal location with the ten keys Attio requires on write (docs/reference/attio.md §3)."""

    line_1: str | None = None
    line_2: str | None = None
    line_3: str | None = None
    line_4: str | None = None
    locality: str | None = None
    region: str | None = None
    postcode: str | None = None
    country_code: str | None = None
    latitude: str | None = None
    longitude: str | None = None


@attrs.frozen
class Phone:
    """A phone number with the country it belongs to, for a number written in national form
    (``Phone("020 7123 4567", "GB")``): a plain ``str`` must carry its country calling code
    (``"+442071234567"``). ``country`` is an ISO 3166-1 alpha-2 code. Phone values read back
    as ``str`` in international form (issue 17; Attio's phone-number write form,
    https://docs.attio.com/docs/attribute-types/attribute-types-phone-number)."""

    number: str
    country: str | None = None


@attrs.frozen
class Option:
    """A select/status/dropdown option. ``label`` is what people see; ``id`` is the CRM's id for it,
    when known. Writes may give either."""

    label: str
    id: str | None = None


@attrs.frozen
class Ref:
    """A reference to another record: the target object's slug and the record id."""

    object: str
    id: str


@attrs.frozen
class RefBy:
    """A reference to the record of ``object`` whose unique field ``field`` has ``value`` — for
    writing a reference when the target's id is unknown (Attio resolves these itself, e.g. a
    company by one of its ``domains``; docs/reference/attio.md §3). Providers that cannot resolve one
    refuse it with a :class:`~crmbridge.ValidationError` before any request."""

    object: str
    field: str
    value: Any


@attrs.frozen
class User:
    """A CRM user or actor (Attio workspace member, Kizen team member). ``kind`` keeps the CRM's actor
    type (``workspace-member``, ``api-token``, ``system``...) where it has one."""

    id: str | None = None
    email: str | None = None
    name: str | None = None
    kind: str | None = None


@attrs.frozen
class Interaction:
    """A system-generated interaction (Attio's ``interaction`` type): read-only everywhere."""

    type: str
    at: dt.datetime | None = None
    owner: User | None = None


@attrs.frozen
class File:
    """A file attached to a record (Kizen ``files``)."""

    id: str
    name: str | None = None
    url: str | None = None


@attrs.frozen
class ValueVersion:
    """One version of a field value, for providers that keep history (Attio ``show_historic``)."""

    value: Any
    active_from: dt.datetime | None
    active_until: dt.datetime | None = None
    actor: User | None = None


# --- changes ---------------------------------------------------------------------------------------


@attrs.frozen
class Add:
    """Add these values to a multi field, keeping the ones it has."""

    values: tuple[Any, ...] = attrs.field(converter=tuple)


@attrs.frozen
class Remove:
    """Remove these values from a multi field, keeping the others."""

    values: tuple[Any, ...] = attrs.field(converter=tuple)


@attrs.frozen
class Clear:
    """Empty a field (``None`` for a single field, ``[]`` for a multi field)."""


Change = Add | Remove | Clear


def add(*values: Any) -> Add:
    """Change marker: add ``values`` to a multi field without touching its other values."""
    return Add(values)


def remove(*values: Any) -> Remove:
    """Change marker: remove ``values`` from a multi field without touching its other values."""
    return Remove(values)


def clear() -> Clear:
    """Change marker: empty the field."""
    return Clear()


# --- schema ----------------------------------------------------------------------------------------


@attrs.frozen
class ObjectSpec:
    """A kind of record: ``people``, ``companies``, ``client_client``, a custom object, or an Attio
    list (``kind="list"``, whose records are list entries)."""

    slug: str
    label: str
    provider_id: str | None = None
    kind: Literal["object", "list"] = "object"
    raw: Any = attrs.field(default=None, eq=False, repr=False)


def _options_tuple(value: Iterable[Option]) -> tuple[Option, ...]:
    return tuple(value)


def _str_tuple(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


@attrs.frozen
class FieldSpec:
    """One field of an object, in neutral terms.

    ``multi`` fields hold lists; ``unique`` fields can be upsert match keys; ``writable`` is false for
    system and enriched fields, which crmbridge refuses to write before sending anything.
    ``options`` lists the known options of option/status/tags fields; ``target_objects`` the objects a
    reference may point to. ``provider_id`` is the CRM's own id for the field (Attio attribute id, Kizen
    field UUID). ``currency``: the ISO 4217 code of a money field whose CRM fixes the currency on
    the field (Attio's ``default_currency_code``, Kizen's ``money_options``); a
    :class:`Money` in another currency is refused in the validation pass, with every other problem.
    """

    slug: str
    label: str
    type: FieldType
    multi: bool = False
    unique: bool = False
    required: bool = False
    writable: bool = True
    options: tuple[Option, ...] = attrs.field(default=(), converter=_options_tuple)
    target_objects: tuple[str, ...] = attrs.field(default=(), converter=_str_tuple)
    provider_id: str | None = None
    currency: str | None = None
    raw: Any = attrs.field(default=None, eq=False, repr=False)

    def option(self, ref: str | Option) -> Option | None:
        """Find an option by id or label; labels match exactly first, then case-insensitively."""
        if isinstance(ref, Option):
            if ref.id is not None:
                for o in self.options:
                    if o.id == ref.id:
                        return o
            ref = ref.label
        for o in self.options:
            if o.label == ref or o.id == ref:
                return o
        folded = ref.casefold()
        for o in self.options:
            if o.label.casefold() == folded:
                return o
        return None


# --- records ---------------------------------------------------------------------------------------


def _fields_dict(value: Mapping[str, Any]) -> dict[str, Any]:
    # Codecs hand over a fresh dict for every record: copying it again is pure cost on the
    # decode path (bench/codec.py). Other mappings are copied, so a Record never aliases them.
    return value if type(value) is dict else dict(value)


def _slugs(value: Iterable[str]) -> frozenset[str]:
    return value if type(value) is frozenset else frozenset(value)


@attrs.frozen
class Record:
    """A record: its object's slug, its id, its fields by slug, and the provider's raw payload.

    Absent is not empty (docs/design.md §9): ``fields`` holds only the values the CRM
    gave, an empty one as ``None`` or ``[]``; a field the answer did not give (left out, hidden,
    not asked for, summarised) is not in ``fields``, and ``absent`` names the schema's fields a
    codec knows were not given. Only given fields are compared, hashed and written by a migration,
    so a field the source did not send is never cleared in the target."""

    object: str
    id: str | None
    fields: dict[str, Any] = attrs.field(factory=dict, converter=_fields_dict)
    created_at: dt.datetime | None = None
    url: str | None = None
    raw: Any = attrs.field(default=None, eq=False, repr=False)
    absent: frozenset[str] = attrs.field(default=frozenset(), converter=_slugs, eq=False)

    def __getitem__(self, slug: str) -> Any:
        return self.fields[slug]

    def get(self, slug: str, default: Any = None) -> Any:
        """The value of field ``slug``, or ``default`` (also for an absent field: use
        :meth:`given` to tell an empty value from one the CRM did not give)."""
        return self.fields.get(slug, default)

    def given(self, slug: str) -> bool:
        """Whether the CRM gave field ``slug`` (an empty value counts; an absent one does not)."""
        return slug in self.fields and slug not in self.absent

    def to_row(self) -> dict[str, Any]:
        """This record as one flat row of typed columns (names split, money as amount and
        currency, options as labels, references as ids): see :mod:`crmbridge.rows`."""
        from .rows import to_row

        return to_row(self)


UpsertAction = Literal["created", "updated", "unarchived", "noop"]
UPSERT_ACTIONS: tuple[UpsertAction, ...] = ("created", "updated", "unarchived", "noop")


@attrs.frozen
class UpsertResult:
    """What an upsert did, always the truth (never a guess), and the record as it now is."""

    action: UpsertAction = attrs.field(validator=attrs.validators.in_(UPSERT_ACTIONS))
    record: Record


# --- (un)structuring -------------------------------------------------------------------------------

#: The value classes that may appear inside ``Record.fields``, by their tag in plain-dict form.
VALUE_CLASSES: dict[str, type] = {
    "money": Money,
    "person_name": PersonName,
    "location": Location,
    "phone": Phone,
    "option": Option,
    "ref": Ref,
    "ref_by": RefBy,
    "user": User,
    "interaction": Interaction,
    "file": File,
    "add": Add,
    "remove": Remove,
    "clear": Clear,
}
_TAG_OF: dict[type, str] = {cls: tag for tag, cls in VALUE_CLASSES.items()}
TAG = "$type"


def unstructure_value(value: Any) -> Any:
    """A field value as plain JSON-able data. Plain JSON values pass through; everything else is
    tagged with ``$type`` so :func:`structure_value` gives back exactly what went in."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value
    if isinstance(value, list | tuple):
        return [unstructure_value(v) for v in value]
    if isinstance(value, Decimal):
        return {TAG: "decimal", "value": str(value)}
    if isinstance(value, dt.datetime):
        return {TAG: "datetime", "value": value.isoformat()}
    if isinstance(value, dt.date):
        return {TAG: "date", "value": value.isoformat()}
    tag = _TAG_OF.get(type(value))
    if tag is not None:
        out: dict[str, Any] = {TAG: tag}
        for a in attrs.fields(type(value)):
            out[a.name] = unstructure_value(getattr(value, a.name))
        return out
    if isinstance(value, Mapping):
        body = {str(k): unstructure_value(v) for k, v in value.items()}
        return {TAG: "map", "value": body} if TAG in body else body
    raise TypeError(f"cannot convert a {type(value).__name__} to plain data: {value!r}")


def structure_value(data: Any) -> Any:
    """The inverse of :func:`unstructure_value`. Plain data that is not a valid tagged value (an
    unknown tag, a date that is not one, a class's keys missing or extra) is a
    :class:`~crmbridge.ValidationError` naming the tag and what it takes."""
    if isinstance(data, list):
        return [structure_value(v) for v in data]
    if not isinstance(data, dict):
        return data
    tag = data.get(TAG)
    if tag is None:
        return {k: structure_value(v) for k, v in data.items()}
    try:
        return _structure_tagged(tag, data)
    except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
        from .errors import ValidationError

        if isinstance(exc, ValidationError):
            raise
        known = ", ".join(sorted([*_SCALAR_TAGS, *VALUE_CLASSES]))
        if tag not in _SCALAR_TAGS and tag not in VALUE_CLASSES:
            raise ValidationError(f"unknown value tag {TAG}={tag!r}; known: {known}") from None
        raise ValidationError(
            f"not a valid {TAG}={tag!r} value: {data!r} ({_TAG_FORMS.get(tag, exc)})"
        ) from None


#: Tags of plain values (not classes), and what each takes.
_SCALAR_TAGS = ("date", "datetime", "decimal", "map")
_TAG_FORMS = {
    "date": 'takes "value": "YYYY-MM-DD"',
    "datetime": 'takes "value": an ISO 8601 date and time',
    "decimal": 'takes "value": a number as a string',
    "map": 'takes "value": an object',
}


def _structure_tagged(tag: Any, data: dict[str, Any]) -> Any:
    if tag == "decimal":
        return Decimal(str(data["value"]))
    if tag == "datetime":
        return dt.datetime.fromisoformat(data["value"])
    if tag == "date":
        return dt.date.fromisoformat(data["value"])
    if tag == "map":
        return {k: structure_value(v) for k, v in data["value"].items()}
    cls = VALUE_CLASSES[tag]
    kwargs = {k: structure_value(v) for k, v in data.items() if k != TAG}
    if cls in (Add, Remove):
        if set(kwargs) != {"values"} or not isinstance(kwargs["values"], list):
            raise TypeError(f'{tag} takes "values": a list')
        return cls(tuple(kwargs["values"]))
    return cls(**kwargs)


def _make_converter() -> cattrs.Converter:
    conv = cattrs.Converter()
    conv.register_unstructure_hook(Decimal, str)
    conv.register_structure_hook(Decimal, lambda v, _: Decimal(str(v)))
    conv.register_unstructure_hook(dt.datetime, lambda v: v.isoformat())
    conv.register_structure_hook(dt.datetime, lambda v, _: dt.datetime.fromisoformat(v))
    conv.register_unstructure_hook(dt.date, lambda v: v.isoformat())
    conv.register_structure_hook(dt.date, lambda v, _: dt.date.fromisoformat(v))
    conv.register_unstructure_hook(FieldType, lambda v: v.value)
    conv.register_structure_hook(FieldType, lambda v, _: FieldType(v))
    # Field values are open-typed: keep their tags so nothing is lost in a round trip.
    conv.register_unstructure_hook_func(lambda t: t is Any, unstructure_value)
    conv.register_structure_hook_func(lambda t: t is Any, lambda v, _: structure_value(v))
    conv.register_unstructure_hook(
        Record,
        lambda r: {
            "object": r.object,
            "id": r.id,
            "fields": {k: unstructure_value(v) for k, v in r.fields.items()},
            "created_at": r.created_at.isoformat() if r.created_at else None,
            "url": r.url,
            "raw": r.raw,
            **({"absent": sorted(r.absent)} if r.absent else {}),
        },
    )
    conv.register_structure_hook(
        Record,
        lambda d, _: Record(
            object=d["object"],
            id=d.get("id"),
            fields={k: structure_value(v) for k, v in (d.get("fields") or {}).items()},
            created_at=dt.datetime.fromisoformat(d["created_at"]) if d.get("created_at") else None,
            url=d.get("url"),
            raw=d.get("raw"),
            absent=frozenset(d.get("absent") or ()),
        ),
    )
    return conv


#: The cattrs converter used for every (un)structuring in crmbridge.
converter = _make_converter()

T = TypeVar("T")


def to_dict(obj: Any) -> Any:
    """Any neutral object (record, spec, value, result) as plain JSON-able data."""
    if type(obj) in _TAG_OF or not attrs.has(type(obj)):
        return unstructure_value(obj)
    return converter.unstructure(obj)


def from_dict(cls: type[T], data: Any) -> T:
    """Rebuild a neutral object of class ``cls`` from :func:`to_dict`'s output."""
    if cls in _TAG_OF:
        value = structure_value(data)
        if not isinstance(value, cls):
            raise TypeError(f"expected a {cls.__name__}, got {type(value).__name__}")
        return value
    return converter.structure(data, cls)
