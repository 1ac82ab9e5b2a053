"""crmbridge filters → Kizen search filter groups. Pure.

Kizen's search body (docs/reference/kizen.md §8, documented_examples ``search_request`` and
``filter_wire_format_full``) is two levels deep::

    {"query": [{"and": true, "filters": [<filter>, ...]}, ...], "and": true}

each group combines its filters with its own ``and`` flag (``false``: any of them), and the top-level
``and`` combines the groups. So what Kizen can express is an And/Or of groups, each an And/Or of
conditions. This module

1. pushes :class:`~crmbridge.filters.Not` down to the conditions (De Morgan), where each
   condition's negation must be one Kizen has (``!=``, ``!contains``, ``is_none_of``, ``!has``,
   ``is_blank: false`` ...: the ``negated`` column of :data:`crmbridge_kizen.types.TYPES`);
2. expands ``in`` into ``=`` conditions for types that have no ``is_any_of`` (text, email);
3. lays the tree out as groups: ``And(a, Or(b, c))`` is a group ``and: true`` of ``a`` and a group
   ``and: false`` of ``b, c`` under a top-level ``and: true``; ``Or(a, And(b, c))`` likewise under
   ``and: false``. A third level (``And(a, Or(b, And(c, d)))``) cannot be expressed and raises
   :class:`~crmbridge.Unsupported` before any request is sent.

Custom fields are referenced as ``"custom"::<field-uuid>`` with ``type: fields_v2, subtype: custom``;
default fields by api_name with ``subtype: non_custom`` (``type: fields``, the spelling of Kizen's
two CLIs; app-builder-cli's ``fields_v2`` variant is a parameter away, docs/reference/kizen.md §13.16); the stage
with ``overwrite: {"type": "stage"}`` (documented_examples ``stage_filter``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any

import attrs

from crmbridge import FieldSpec, FieldType, Money, Option, Ref, Unsupported, User, ValidationError
from crmbridge.filters import And, Condition, Filter, Not, Sort
from crmbridge.provider import ObjectSchema

from .codec import PROVIDER, field_type_of
from .options import (
    email_status_token,
    find_option,
    is_default,
    is_email_status,
    is_stage,
    looks_like_id,
)
from .types import TYPES, KizenType, kizen_type

__all__ = ["NON_CUSTOM_TYPE", "ordering", "search_body", "to_groups"]

#: ``type`` of a filter on a default field ("fields": builder-cli's filter guide (https://github.com/kizen/builder-cli/blob/f8d1cd7bd6ef11e826345fe6f88edd91b59f3d0a/docs/filters.md) and admin-cli
#: filtering.py; app-builder-cli sends "fields_v2", docs/reference/kizen.md §8).
NON_CUSTOM_TYPE = "fields"


@attrs.frozen
class _Leaf:
    cond: Condition
    negated: bool = False


@attrs.frozen
class _Node:
    """And (``conj``) or Or of sub-trees, after Not was pushed down."""

    conj: bool
    items: tuple[_Leaf | _Node, ...]


_Tree = _Leaf | _Node


def _unsupported(message: str) -> Unsupported:
    return Unsupported(message, provider=PROVIDER)


def _push_not(f: Filter, negate: bool = False) -> _Tree:
    """Not pushed down to the leaves (De Morgan)."""
    if isinstance(f, Condition):
        return _Leaf(f, negate)
    if isinstance(f, Not):
        return _push_not(f.item, not negate)
    items = tuple(_push_not(i, negate) for i in f.items)
    return _Node(isinstance(f, And) != negate, items)


def _expand_in(t: _Tree, schema: ObjectSchema) -> _Tree:
    """``in`` on a type without ``is_any_of`` becomes an Or of ``=`` (an And of ``!=`` negated)."""
    if isinstance(t, _Node):
        return _Node(t.conj, tuple(_expand_in(i, schema) for i in t.items))
    c = t.cond
    if c.op != "in":
        return t
    if not c.value:
        raise ValidationError(f"is_in() on {c.field!r} needs at least one value",
                              provider=PROVIDER)  # fmt: skip
    row = _row(schema.field(c.field))
    if "in" in (row.negated if t.negated else row.ops):
        return t
    leaves = tuple(_Leaf(Condition(c.field, "eq", v), t.negated) for v in c.value)
    return _Node(t.negated, leaves) if len(leaves) > 1 else leaves[0]


def _flatten(t: _Tree) -> _Tree:
    if isinstance(t, _Leaf):
        return t
    out: list[_Tree] = []
    for item in (_flatten(i) for i in t.items):
        if isinstance(item, _Node) and item.conj == t.conj:
            out.extend(item.items)
        else:
            out.append(item)
    return out[0] if len(out) == 1 else _Node(t.conj, tuple(out))


def to_groups(where: Filter | None, schema: ObjectSchema) -> dict[str, Any]:
    """``{"query": [groups], "and": bool}`` for ``where`` (``{"query": [], "and": true}``, all
    records, when ``None``; docs/reference/kizen.md §8 "query: [] ⇒ all records")."""
    if where is None:
        return {"query": [], "and": True}
    tree = _flatten(_expand_in(_push_not(where), schema))
    if isinstance(tree, _Leaf):
        return {"query": [_group(True, [tree], schema)], "and": True}
    outer = tree.conj
    leaves = [i for i in tree.items if isinstance(i, _Leaf)]
    groups = [_group(outer, leaves, schema)] if leaves else []
    for sub in tree.items:
        if isinstance(sub, _Leaf):
            continue
        inner = [i for i in sub.items if isinstance(i, _Leaf)]
        if len(inner) != len(sub.items):
            raise _unsupported(
                "kizen search filters nest two levels only (an and/or of groups of conditions); "
                "this filter nests deeper: rewrite it, or filter the results in Python"
            )
        groups.append(_group(sub.conj, [i for i in inner if isinstance(i, _Leaf)], schema))
    return {"query": groups, "and": outer}


def _group(conj: bool, leaves: Sequence[_Leaf], schema: ObjectSchema) -> dict[str, Any]:
    return {"and": conj, "filters": [_filter(leaf, schema) for leaf in leaves]}


def _row(spec: FieldSpec) -> KizenType:
    return TYPES["stage"] if is_stage(spec) else kizen_type(field_type_of(spec))


def _operator(leaf: _Leaf, row: KizenType) -> tuple[str, str, Any]:
    """``(op, Kizen condition, value)`` for a leaf on a field of ``row``'s type, or the error
    that names what the type supports (pure: no tag lookup is needed to know it)."""
    c = leaf.cond
    op: str = c.op
    value, negated = c.value, leaf.negated
    # Kizen never takes null: is_blank (docs/reference/kizen.md §8)
    if op in ("eq", "ne") and value is None:
        op, value = "is_empty", op == "eq"
    if op == "is_empty":
        if "is_empty" not in row.ops:
            raise _unsupported(
                f"kizen cannot filter the {row.field_type} field {c.field!r} with is_empty"
            )
        if not isinstance(value, bool):
            raise ValidationError(f"is_empty() on {c.field!r} takes True or False",
                                  provider=PROVIDER)  # fmt: skip
        return op, "is_blank", value != negated
    table = row.negated if negated else row.ops
    found = table.get(op)
    if found is None:
        can = sorted(row.ops) + [f"not {o}" for o in sorted(row.negated)]
        raise _unsupported(
            f"kizen cannot filter the {row.field_type} field {c.field!r} with "
            f"{'not ' if negated else ''}{op}; it supports: {', '.join(can) or 'nothing'}"
        )
    return op, found, value


def _leaves(t: _Tree) -> Iterator[_Leaf]:
    if isinstance(t, _Leaf):
        yield t
    else:
        for item in t.items:
            yield from _leaves(item)


def check(where: Filter | None, schema: ObjectSchema) -> None:
    """Raise what :func:`to_groups` would raise for an operator a field's type lacks, before
    the provider looks up any tag label (a refused filter sends no request)."""
    if where is None:
        return
    for leaf in _leaves(_expand_in(_push_not(where), schema)):
        _operator(leaf, _row(schema.field(leaf.cond.field)))


def _filter(leaf: _Leaf, schema: ObjectSchema) -> dict[str, Any]:
    c = leaf.cond
    if "." in c.field and c.field not in schema.fields:
        raise _unsupported(
            f"kizen filters whole fields; {c.field!r} names a sub-property "
            f"(filter on {c.field.split('.', 1)[0]!r} instead)"
        )
    spec = schema.field(c.field)
    row = _row(spec)
    op, condition, value = _operator(leaf, row)
    wire = value if op == "is_empty" else _wire_value(spec, row, op, value)
    out: dict[str, Any]
    if row.field_type == "stage":
        out = {"type": "fields_v2", "subtype": "non_custom", "field": "stage",
               "overwrite": {"type": "stage"}}  # fmt: skip
    elif is_default(spec):
        out = {"type": NON_CUSTOM_TYPE, "subtype": "non_custom", "field": spec.slug}
    else:
        if not spec.provider_id:
            raise ValidationError(
                f"cannot filter on custom field {c.field!r}: its Kizen field id is unknown",
                provider=PROVIDER,
            )
        out = {"type": "fields_v2", "subtype": "custom", "field": f'"custom"::{spec.provider_id}'}
    out["condition"] = condition
    out["value"] = wire
    return out


def _bad(spec: FieldSpec, value: Any, expected: str) -> ValidationError:
    return ValidationError(
        f"cannot filter {spec.slug!r} by {value!r}: expected {expected}", provider=PROVIDER
    )


def _option_id(spec: FieldSpec, value: Any) -> str:
    """An option's filter token: its id; contacts' Email Status takes the slug of its label
    (admin-cli ``filtering.py``). Dynamic tags are resolved to ids by the provider first (their
    field metadata has no options); a UUID passes through, as in Kizen's tools."""
    if is_email_status(spec):
        token = email_status_token(spec, value)
        if token is not None:
            return token
    elif isinstance(value, Option | str):
        found = find_option(spec, value)
        if found is not None and found.id:
            return found.id
        if isinstance(value, Option) and value.id:
            return value.id
        if isinstance(value, str) and looks_like_id(value):
            return value
    labels = ", ".join(repr(o.label) for o in spec.options[:20])
    if spec.type is FieldType.tags:
        raise _bad(spec, value, f"a tag of the field ({labels or 'it has none yet'})")
    raise _bad(spec, value, f"one of {labels}" if labels else "an option id")


def _number(spec: FieldSpec, value: Any) -> int | float:
    if isinstance(value, Money):
        value = value.amount
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise _bad(spec, value, "a number")
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _id(spec: FieldSpec, value: Any) -> str:
    if isinstance(value, Ref | User) and value.id:
        return value.id
    if isinstance(value, str) and value:
        return value
    raise _bad(spec, value, "a record or user id")


def _scalar(spec: FieldSpec, value: Any) -> Any:
    t = spec.type
    if t in (FieldType.option, FieldType.status, FieldType.tags):
        return _option_id(spec, value)
    if t in (FieldType.number, FieldType.integer, FieldType.money, FieldType.file):
        return _number(spec, value)
    if t is FieldType.rating:
        # rating values are number strings (docs/reference/kizen.md §8)
        return str(_number(spec, value))
    if t is FieldType.date:
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value.isoformat()
        raise _bad(spec, value, "a datetime.date")
    if t is FieldType.datetime:
        if isinstance(value, dt.datetime) and value.tzinfo is not None:
            utc = value.astimezone(dt.UTC)
            return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"
        raise _bad(spec, value, "a timezone-aware datetime.datetime")
    if t is FieldType.bool:
        if isinstance(value, bool):
            return value
        raise _bad(spec, value, "True or False")
    if t in (FieldType.user, FieldType.reference):
        return _id(spec, value)
    if isinstance(value, str):
        return value
    raise _bad(spec, value, "a string")


def _wire_value(spec: FieldSpec, row: KizenType, op: str, value: Any) -> Any:
    if op == "in":
        return [_scalar(spec, v) for v in value]
    listy = spec.type is FieldType.reference or (
        spec.type in (FieldType.option, FieldType.tags) and spec.multi
    )
    # relationship and checkboxes/dynamictags conditions take lists (docs/reference/kizen.md §8)
    if listy:
        return [_scalar(spec, value)]
    return _scalar(spec, value)


def ordering(order_by: Sequence[Sort], schema: ObjectSchema) -> str | None:
    """The ``ordering`` query parameter: ``name`` or ``-name`` (docs/reference/kizen.md §8; which fields Kizen
    accepts is UNCONFIRMED). Kizen documents one field: several raise
    :class:`~crmbridge.Unsupported`."""
    if not order_by:
        return None
    if len(order_by) > 1:
        raise _unsupported("kizen search orders by one field only")
    sort = order_by[0]
    spec = schema.field(sort.field)
    return ("-" if sort.descending else "") + spec.slug


def search_body(
    where: Filter | None, schema: ObjectSchema, *, field_names: Sequence[str] | None = None
) -> dict[str, Any]:
    """The JSON body of ``POST /api/records/{object}/search`` (docs/reference/kizen.md §8, documented_examples
    ``search_request``). ``field_names`` narrows the fields returned (omitted: all fields)."""
    body = to_groups(where, schema)
    if field_names is not None:
        body["field_names"] = [schema.field(n).slug for n in field_names]
    return body
