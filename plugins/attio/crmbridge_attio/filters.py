"""Neutral filters and sorts → Attio's verbose filter JSON and ``sorts`` (reference attio.md §4,
"Filtering"; docs "How to apply filters and sorts").

Attio compares a sub-property of composite values (``email_address`` of an email, ``full_name`` of a
name, ``domain`` of a domain, ``target_record_id`` of a reference…): the sub-property and the
operators each type supports come from :data:`crmbridge_attio.types.TYPES`. A field may also name a
sub-property explicitly, ``F("primary_location.country_code") == "US"``.

Attio has no ``$ne``: ``!=`` becomes ``$not`` around ``$eq``; ``is_empty`` becomes ``$not_empty``
(negated when asking for empty); ``in`` is ``$in`` where Attio has it, else an ``$or`` of ``$eq``.
A field may reach through a record reference, ``F("company.name") == "Acme"``, and list entries
filter on their parent, ``F("parent") == Ref(...)`` or ``F("parent.name")``: Attio's path filters.
Anything Attio cannot express raises :class:`crmbridge.Unsupported` before a request is sent.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from crmbridge import (
    FieldSpec,
    FieldType,
    Money,
    ObjectSchema,
    Option,
    Ref,
    Sort,
    Unsupported,
    User,
    ValidationError,
)
from crmbridge.filters import And, Condition, Filter, Not, Or

from .codec import PARENT, row_of
from .types import AttioType
from .values import format_timestamp

__all__ = ["translate_filter", "translate_sorts"]

_OPS = {"eq": "$eq", "lt": "$lt", "lte": "$lte", "gt": "$gt", "gte": "$gte",
        "contains": "$contains", "starts_with": "$starts_with", "ends_with": "$ends_with"}  # fmt: skip


def _unsupported(message: str) -> Unsupported:
    return Unsupported(message, provider="attio")


def _split(schema: ObjectSchema, name: str) -> tuple[FieldSpec, AttioType, str | None]:
    """``"slug"`` or ``"slug.sub_property"`` → (field, type row, sub-property to compare)."""
    slug, _, sub = name.partition(".")
    if slug == PARENT and schema.object.kind == "list":
        raise _unsupported(
            "crmbridge does not translate sorts by a list entry's parent record (Attio's path "
            "sorts); use request() with Attio's sorts JSON (reference attio.md §4)"
        )
    spec = schema.field(slug)
    row = row_of(spec)
    if sub and sub not in row.read_keys:
        raise ValidationError(
            f"{spec.slug!r} ({row.name}) has no property {sub!r}; "
            f"it has {', '.join(row.read_keys) or 'none'}",
            provider="attio",
        )
    return spec, row, sub or row.filter_property


def _json_value(value: Any, spec: FieldSpec | None) -> Any:
    """A neutral filter value in Attio's filter syntax. Option titles are sent as the option's
    id when the schema knows it (Attio takes either, reference attio.md §4)."""
    if isinstance(value, str | Option) and spec is not None and spec.options:
        value = spec.option(value) or value
    if isinstance(value, Option):
        return value.id or value.label
    if isinstance(value, Ref):
        return value.id
    if isinstance(value, User):
        return value.id or value.email
    if isinstance(value, Money):
        value = value.amount
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if (
        isinstance(value, dt.date)
        and not isinstance(value, dt.datetime)
        and spec is not None
        and spec.type is FieldType.datetime
    ):  # a day against a timestamp: its start, in UTC
        value = dt.datetime.combine(value, dt.time(), tzinfo=dt.UTC)
    if isinstance(value, dt.datetime):  # timestamps need a full date and time (docs)
        return format_timestamp(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _wrap(slug: str, prop: str | None, body: dict[str, Any]) -> dict[str, Any]:
    return {slug: {prop: body} if prop else body}


def _path_target(schema: ObjectSchema, name: str) -> tuple[FieldSpec, str] | None:
    """``(reference field, attribute of its target)`` when ``name`` reaches through a record
    reference (``"company.name"``) or is a list entry's parent (``"parent"``, ``"parent.name"``;
    the parent's ``record_id`` when no attribute is named); else ``None``."""
    slug, _, sub = name.partition(".")
    if slug == PARENT and schema.object.kind == "list":
        if sub == "target_object":
            raise _unsupported(
                "crmbridge cannot filter list entries by their parent's object; filter on "
                "'parent' with a Ref, or on one of the parent's attributes"
            )
        # The parent as a reference (its id, or its target_record_id property): its record_id.
        return schema.field(slug), "record_id" if sub in ("", "target_record_id") else sub
    if not sub:
        return None
    spec = schema.field(slug)
    row = row_of(spec)
    if row.name != "record-reference" or sub in row.read_keys:
        return None
    return spec, sub


def _path(cond: Condition, schema: ObjectSchema, spec: FieldSpec, attribute: str) -> dict[str, Any]:
    """A condition on an attribute of the record a reference points to: Attio's path filter,
    ``{"path": [[object, reference], [target, attribute]], "constraints": {…}}``, a list
    entry's parent being ``[list, "parent_record"]`` (reference attio.md §4, "Filtering"). The
    target attribute's type is Attio's to check: values go as given, in Attio's value syntax
    (a timestamp wants a full date and time), and ``contains`` is Attio's ``$contains`` (text).
    """
    if "." in attribute:
        raise _unsupported(f"{cond.field!r}: a path filter through one reference is supported")
    if len(spec.target_objects) != 1:
        targets = " or ".join(spec.target_objects) or "any object"
        raise _unsupported(
            f"{spec.slug!r} can point to {targets}: a path filter needs one target object"
        )
    first = "parent_record" if spec.slug == PARENT and schema.object.kind == "list" else spec.slug
    steps = [[schema.slug, first], [spec.target_objects[0], attribute]]
    if cond.op == "ne":
        return {"$not": _path(Condition(cond.field, "eq", cond.value), schema, spec, attribute)}
    if cond.op == "is_empty":
        filled = {"path": steps, "constraints": {"$not_empty": True}}
        return {"$not": filled} if cond.value else filled
    if cond.op == "in":
        # Not every type has $in (select, status, number, dates…), and the target attribute's
        # type is not known here: an $or of $eq works for all of them.
        eqs = [_path(Condition(cond.field, "eq", v), schema, spec, attribute) for v in cond.value]
        return eqs[0] if len(eqs) == 1 else {"$or": eqs}
    return {"path": steps, "constraints": {_OPS[cond.op]: _json_value(cond.value, None)}}


def _condition(cond: Condition, schema: ObjectSchema) -> dict[str, Any]:
    through = _path_target(schema, cond.field)
    if through is not None:
        return _path(cond, schema, *through)
    spec, row, prop = _split(schema, cond.field)
    slug = spec.slug
    explicit_sub = "." in cond.field
    if cond.op not in row.filter_ops and not explicit_sub:
        raise _unsupported(
            f"Attio cannot filter {row.name} attribute {slug!r} with {cond.op!r}; "
            f"it supports {', '.join(sorted(row.filter_ops)) or 'no filters'}"
        )
    if cond.op == "ne":
        return {"$not": _condition(Condition(cond.field, "eq", cond.value), schema)}
    if cond.op == "is_empty":
        not_empty = _wrap(slug, prop if explicit_sub else None, {"$not_empty": True})
        return {"$not": not_empty} if cond.value else not_empty
    if cond.op == "in":
        values = [_json_value(v, spec) for v in cond.value]
        if row.native_in or explicit_sub:
            return _wrap(slug, prop, {"$in": values})
        return {"$or": [_wrap(slug, prop, {"$eq": v}) for v in values]}
    if cond.op == "contains" and row.name in ("select", "record-reference"):
        # "a multi field has it": equality on a multiselect matches any of its values (docs).
        return _wrap(slug, prop, {"$eq": _json_value(cond.value, spec)})
    return _wrap(slug, prop, {_OPS[cond.op]: _json_value(cond.value, spec)})


def translate_filter(where: Filter | None, schema: ObjectSchema) -> dict[str, Any] | None:
    """The Attio ``filter`` object for ``where`` (``None``: no filter)."""
    if where is None:
        return None
    if isinstance(where, Condition):
        return _condition(where, schema)
    if isinstance(where, And):
        return {"$and": [translate_filter(i, schema) for i in where.items]}
    if isinstance(where, Or):
        return {"$or": [translate_filter(i, schema) for i in where.items]}
    if isinstance(where, Not):
        return {"$not": translate_filter(where.item, schema)}
    raise ValidationError(f"not a filter: {where!r}", provider="attio")


def translate_sorts(sorts: Sequence[Sort], schema: ObjectSchema) -> list[dict[str, Any]]:
    """``order_by`` → ``[{"direction", "attribute", "field"?}]``. The ``field`` is the type's sort
    sub-property (``last_name`` for names) or the one named as ``"slug.field"``."""
    out = []
    for sort in sorts:
        spec, row, _prop = _split(schema, sort.field)
        _, _, sub = sort.field.partition(".")
        item: dict[str, Any] = {
            "direction": "desc" if sort.descending else "asc",
            "attribute": spec.slug,
        }
        field = sub or row.sort_field
        if field:
            item["field"] = field
        out.append(item)
    return out
