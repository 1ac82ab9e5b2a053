"""Neutral filter expressions and sorts.

Build filters with :class:`F`::

    F("email_addresses").contains("@acme.com") & ~F("name").is_empty()
    (F("stage") == "Won") | (F("value") >= 1000)

Each expression has an equivalent plain-dict form for the CLI and mapping files (Mongo-style, close to
Attio's verbose filter syntax)::

    {"$and": [{"email_addresses": {"$contains": "@acme.com"}},
              {"$not": {"name": {"$is_empty": true}}}]}

:func:`to_dict` and :func:`from_dict` convert between the two; ``from_dict(to_dict(f)) == f``.
Providers translate :data:`Filter` trees into their own syntax and raise :class:`~crmbridge.Unsupported`
for what they cannot express — before any request is sent.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, Literal, TypeAlias

import attrs

from .errors import ValidationError
from .model import structure_value, unstructure_value

__all__ = [
    "OPERATORS",
    "And",
    "Condition",
    "F",
    "Filter",
    "Not",
    "Op",
    "Or",
    "Sort",
    "from_dict",
    "parse_sort",
    "to_dict",
    "walk",
]

Op = Literal[
    "eq", "ne", "lt", "lte", "gt", "gte", "in", "contains", "starts_with", "ends_with", "is_empty"
]
#: Every neutral operator.
OPERATORS: tuple[Op, ...] = (
    "eq",
    "ne",
    "lt",
    "lte",
    "gt",
    "gte",
    "in",
    "contains",
    "starts_with",
    "ends_with",
    "is_empty",
)


class _Combinable:
    __slots__ = ()

    def __and__(self, other: Filter) -> And:
        return And((*_flatten(self, And), *_flatten(other, And)))

    def __or__(self, other: Filter) -> Or:
        return Or((*_flatten(self, Or), *_flatten(other, Or)))

    def __invert__(self) -> Filter:
        if isinstance(self, Not):
            return self.item
        return Not(self)  # type: ignore[arg-type]


@attrs.frozen
class Condition(_Combinable):
    """``field <op> value``. ``value`` is ``True``/``False`` for ``is_empty``, a tuple for ``in``."""

    field: str
    op: Op
    value: Any = None


@attrs.frozen
class And(_Combinable):
    """All of ``items``."""

    items: tuple[Filter, ...]


@attrs.frozen
class Or(_Combinable):
    """Any of ``items``."""

    items: tuple[Filter, ...]


@attrs.frozen
class Not(_Combinable):
    """Not ``item``."""

    item: Filter


Filter: TypeAlias = Condition | And | Or | Not


def _flatten(f: object, kind: type[And] | type[Or]) -> tuple[Filter, ...]:
    if isinstance(f, kind):
        return f.items
    if not isinstance(f, Condition | And | Or | Not):
        raise ValidationError(f"cannot combine a filter with {f!r}; use F('field') to build one")
    return (f,)


class F:
    """A field reference that builds :class:`Condition` objects with Python operators."""

    __slots__ = ("field",)
    __hash__ = None  # type: ignore[assignment]

    def __init__(self, field: str) -> None:
        if not isinstance(field, str) or not field:
            raise ValidationError(f"a filter field must be a non-empty string, got {field!r}")
        self.field = field

    def __repr__(self) -> str:
        return f"F({self.field!r})"

    def __eq__(self, value: object) -> Condition:  # type: ignore[override]
        return Condition(self.field, "eq", value)

    def __ne__(self, value: object) -> Condition:  # type: ignore[override]
        return Condition(self.field, "ne", value)

    def __lt__(self, value: Any) -> Condition:
        return Condition(self.field, "lt", value)

    def __le__(self, value: Any) -> Condition:
        return Condition(self.field, "lte", value)

    def __gt__(self, value: Any) -> Condition:
        return Condition(self.field, "gt", value)

    def __ge__(self, value: Any) -> Condition:
        return Condition(self.field, "gte", value)

    def is_in(self, values: Iterable[Any]) -> Condition:
        """The field equals one of ``values``."""
        if isinstance(values, str | bytes) or not isinstance(values, Iterable):
            raise ValidationError(f"is_in() takes a list of values, got {values!r}")
        return Condition(self.field, "in", tuple(values))

    def contains(self, value: Any) -> Condition:
        """Text contains ``value`` (case-insensitive where the CRM allows), or a multi field has it."""
        return Condition(self.field, "contains", value)

    def starts_with(self, value: str) -> Condition:
        """Text starts with ``value``."""
        return Condition(self.field, "starts_with", value)

    def ends_with(self, value: str) -> Condition:
        """Text ends with ``value``."""
        return Condition(self.field, "ends_with", value)

    def is_empty(self, empty: bool = True) -> Condition:
        """The field has no value (``empty=False``: it has one)."""
        return Condition(self.field, "is_empty", bool(empty))


def walk(f: Filter) -> Iterator[Condition]:
    """Every condition in a filter tree, depth first."""
    if isinstance(f, Condition):
        yield f
    elif isinstance(f, And | Or):
        for item in f.items:
            yield from walk(item)
    else:
        yield from walk(f.item)


def to_dict(f: Filter) -> dict[str, Any]:
    """The plain-dict form of a filter."""
    if isinstance(f, Condition):
        value: Any = list(f.value) if f.op == "in" else f.value
        return {f.field: {f"${f.op}": unstructure_value(value)}}
    if isinstance(f, And):
        return {"$and": [to_dict(i) for i in f.items]}
    if isinstance(f, Or):
        return {"$or": [to_dict(i) for i in f.items]}
    return {"$not": to_dict(f.item)}


def from_dict(data: Mapping[str, Any]) -> Filter:
    """Parse the plain-dict form. Several keys in one dict mean *and*; a bare value means ``$eq``.

    Raises :class:`~crmbridge.ValidationError` naming the part that is wrong.
    """
    if not isinstance(data, Mapping) or not data:
        raise ValidationError(f"a filter must be a non-empty object, got {data!r}")
    parts: list[Filter] = []
    for key, body in data.items():
        if not isinstance(key, str):
            raise ValidationError(f"filter keys must be strings, got {key!r}")
        if key in ("$and", "$or"):
            if not isinstance(body, Sequence) or isinstance(body, str) or not body:
                raise ValidationError(f"{key} takes a non-empty list of filters, got {body!r}")
            items = tuple(from_dict(b) for b in body)
            parts.append(And(items) if key == "$and" else Or(items))
        elif key == "$not":
            parts.append(Not(from_dict(body)))
        elif key.startswith("$"):
            raise ValidationError(
                f"unknown filter keyword {key!r}; expected $and, $or, $not or a field name"
            )
        else:
            parts.extend(_conditions(key, body))
    return parts[0] if len(parts) == 1 else And(tuple(parts))


def _conditions(field: str, body: Any) -> list[Filter]:
    if not isinstance(body, Mapping) or not any(str(k).startswith("$") for k in body):
        return [Condition(field, "eq", structure_value(body))]
    out: list[Filter] = []
    for op_key, raw_value in body.items():
        op = str(op_key)[1:]
        if not str(op_key).startswith("$") or op not in OPERATORS:
            raise ValidationError(
                f"unknown operator {op_key!r} on field {field!r}; "
                f"expected one of {', '.join('$' + o for o in OPERATORS)}"
            )
        value = structure_value(raw_value)
        if op == "in":
            if not isinstance(value, list):
                raise ValidationError(f"$in on field {field!r} takes a list, got {raw_value!r}")
            value = tuple(value)
        if op == "is_empty" and not isinstance(value, bool):
            raise ValidationError(f"$is_empty on field {field!r} takes true or false")
        out.append(Condition(field, op, value))
    return out


@attrs.frozen
class Sort:
    """Order by ``field``, ascending unless ``descending``."""

    field: str
    descending: bool = False

    def __str__(self) -> str:
        return ("-" if self.descending else "") + self.field


def parse_sort(spec: str | Sort) -> Sort:
    """``"-created_at"`` → ``Sort("created_at", descending=True)``."""
    if isinstance(spec, Sort):
        return spec
    if not isinstance(spec, str) or not spec.lstrip("+-"):
        raise ValidationError(f"a sort is a field name, optionally prefixed with '-', got {spec!r}")
    if spec.startswith("-"):
        return Sort(spec[1:], descending=True)
    return Sort(spec.lstrip("+"))
