"""Neutral filters and sorts → Attio's verbose filter JSON and ``sorts`` (docs/reference/attio.md §4,
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
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from crmbridge import (
    FieldSpec,
    FieldType,
    Money,
    Option,
    Ref,
    Sort,
    Unsupported,
    User,
    ValidationError,
)
from crmbridge.errors import did_you_mean
from crmbridge.filters import And, Condition, Filter, Not, Or, walk
from crmbridge.plugin import ObjectSchema

from .codec import PARENT, row_of
from .types import AttioType
from .values import currency_text, format_timestamp, number_value, phone_operand

__all__ = ["member_emails", "path_objects", "translate_filter", "translate_sorts"]

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
            "sorts); use request() with Attio's sorts JSON (docs/reference/attio.md §4)"
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
    id when the schema knows it (Attio takes either, docs/reference/attio.md §4)."""
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


#: Attributes of the objects path filters reach, by object slug (``None``: not known).
Targets = Mapping[str, Mapping[str, FieldSpec]]


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def member_emails(where: Filter | None, schema: ObjectSchema) -> set[str]:
    """E-mail addresses (case-folded) of workspace members ``where`` names in actor-reference
    conditions: the provider reads the members first to filter by their ids."""
    out: set[str] = set()
    for cond in walk(where) if where is not None else ():
        slug = cond.field.partition(".")[0]
        if slug not in schema.fields or row_of(schema.field(slug)).name != "actor-reference":
            continue
        values = cond.value if cond.op == "in" else (cond.value,)
        for value in values:
            email = value.email if isinstance(value, User) and not value.id else value
            if isinstance(email, str) and "@" in email:
                if not _EMAIL.match(email.strip()):  # refused before the members are read
                    raise ValidationError(
                        f"{email!r} is not a workspace member's e-mail address (filter on "
                        f"{slug!r})",
                        provider="attio",
                        code="unknown_workspace_member",
                    )
                out.add(email.strip().casefold())
    return out


def path_objects(where: Filter | None, schema: ObjectSchema) -> dict[str, set[str]]:
    """The objects ``where``'s path filters reach, each with the attributes it names — what
    the provider reads first (``GET /v2/objects/{o}/attributes``) to check them."""
    out: dict[str, set[str]] = {}
    for cond in walk(where) if where is not None else ():
        through = _path_target(schema, cond.field)
        if through is not None and len(through[0].target_objects) == 1:
            out.setdefault(through[0].target_objects[0], set()).add(through[1])
    return out


def _path(
    cond: Condition,
    schema: ObjectSchema,
    spec: FieldSpec,
    attribute: str,
    targets: Targets | None = None,
) -> dict[str, Any]:
    """A condition on an attribute of the record a reference points to: Attio's path filter,
    ``{"path": [[object, reference], [target, attribute]], "constraints": {…}}``, a list
    entry's parent being ``[list, "parent_record"]`` (docs/reference/attio.md §4, "Filtering"). With
    the target object's attributes (``targets``) the attribute is checked and values take its
    type (a day against a timestamp, an option's id, ``contains`` on a select); without them,
    values go as given and ``contains`` is Attio's text ``$contains``. ``in`` is an ``$or`` of
    ``$eq``, which every type has."""
    if "." in attribute:
        raise _unsupported(f"{cond.field!r}: a path filter through one reference is supported")
    if len(spec.target_objects) != 1:
        can = " or ".join(spec.target_objects) or "any object"
        raise _unsupported(
            f"{spec.slug!r} can point to {can}: a path filter needs one target object"
        )
    target = spec.target_objects[0]
    tspec = _target_attribute(targets, target, attribute)
    first = "parent_record" if spec.slug == PARENT and schema.object.kind == "list" else spec.slug
    steps = [[schema.slug, first], [target, attribute]]
    trow = row_of(tspec) if tspec is not None else None
    if trow is not None and cond.op not in trow.neutral_ops():
        raise _refuse_op(trow, f"{target}.{attribute}", None, cond.op)
    if cond.op == "ne":
        eq = Condition(cond.field, "eq", cond.value)
        return {"$not": _path(eq, schema, spec, attribute, targets)}
    if cond.op == "is_empty":
        presence: dict[str, Any] = {"$not_empty": True}
        if trow is not None and "$not_empty" not in trow.attio_ops():
            presence = {str(trow.presence_property): presence}
        filled = {"path": steps, "constraints": presence}
        return {"$not": filled} if cond.value else filled
    if cond.op == "in":
        eqs = [
            _path(Condition(cond.field, "eq", v), schema, spec, attribute, targets)
            for v in cond.value
        ]
        return eqs[0] if len(eqs) == 1 else {"$or": eqs}
    op = _OPS[cond.op]
    if cond.op == "contains" and trow is not None and trow.name in ("select", "record-reference"):
        op = "$eq"  # "a multi field has it", as for a direct filter
    if trow is not None and tspec is not None:
        if trow.name == "actor-reference":
            return {"path": steps, "constraints": _actor(cond.value, attribute, None)[attribute]}
        value = _operand(cond.value, tspec, trow, trow.filter_property or "value")
    else:
        value = _json_value(cond.value, tspec)
    return {"path": steps, "constraints": {op: value}}


def _target_attribute(targets: Targets | None, target: str, attribute: str) -> FieldSpec | None:
    """The target attribute's spec when the target's attributes are known; an unknown one is a
    :class:`~crmbridge.ValidationError` naming close matches."""
    fields = (targets or {}).get(target)
    if fields is None:
        return None
    found = fields.get(attribute) or next(
        (f for f in fields.values() if f.provider_id == attribute), None
    )
    if found is None:
        hint = did_you_mean(attribute, fields)
        raise ValidationError(
            f"{target!r} has no attribute {attribute!r} to filter through{hint}", provider="attio"
        )
    return found


def _refuse_op(row: AttioType, slug: str, prop: str | None, op: str) -> Unsupported:
    where = f"{row.name} attribute {slug!r}" + (f" by {prop!r}" if prop else "")
    can = ", ".join(sorted(row.neutral_ops(prop))) or "no operator"
    return _unsupported(
        f"Attio cannot filter {where} with {op!r}: its docs page lists {can} "
        f"(https://docs.attio.com/docs/attribute-types/attribute-types-{row.name}, Filtering)"
    )


def _operand(value: Any, spec: FieldSpec, row: AttioType, prop: str) -> Any:
    """A filter operand in the form Attio stores, as writes are normalised: a phone number in
    E.164, a number to Attio's four decimal places, a currency amount as an exact decimal string
    (its page: "using either JSON strings or numbers")."""
    if row.name == "phone-number" and prop == "phone_number" and isinstance(value, str):
        return phone_operand(value)
    if row.name == "currency" and isinstance(value, Money | Decimal | int | float | str):
        return currency_text(value.amount if isinstance(value, Money) else value)
    if row.name == "number" and isinstance(value, Decimal | float):
        return number_value(value)
    return _json_value(value, spec)


def _actor(value: Any, slug: str, members: Mapping[str, str] | None) -> dict[str, Any]:
    """An actor-reference condition: Attio filters these "only using both the
    ``referenced_actor_type`` and ``referenced_actor_id`` properties", with ``$eq`` only
    (docs attribute-types-actor-reference, Filtering). A member named by e-mail is resolved to
    its id, as writes are."""
    if isinstance(value, str):
        value = User(email=value) if "@" in value else User(id=value)
    if not isinstance(value, User):
        raise ValidationError(
            f"{slug!r} is filtered by a User or a workspace member's id or e-mail, not {value!r}",
            provider="attio",
        )
    actor_id = value.id
    if actor_id is None and value.email is not None:
        actor_id = (members or {}).get(value.email.casefold())
        if actor_id is None:
            raise ValidationError(
                f"no member of this Attio workspace has the e-mail address {value.email!r} "
                f"(filter on {slug!r})",
                provider="attio",
                code="unknown_workspace_member",
            )
    if actor_id is None:
        raise ValidationError(f"{slug!r}: a User to filter by needs an id or an e-mail")
    return {slug: {"referenced_actor_type": value.kind or "workspace-member",
                   "referenced_actor_id": actor_id}}  # fmt: skip


def _condition(
    cond: Condition,
    schema: ObjectSchema,
    targets: Targets | None = None,
    members: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    through = _path_target(schema, cond.field)
    if through is not None:
        return _path(cond, schema, *through, targets)
    spec, row, prop = _split(schema, cond.field)
    slug = spec.slug
    explicit = prop if "." in cond.field else None
    if row.name == "actor-reference" and explicit:
        raise _unsupported(
            f"Attio filters actor reference {slug!r} on its type and id together: "
            f"use F({slug!r}) == User(...) or a member's e-mail"
        )
    if cond.op not in row.neutral_ops(explicit):
        raise _refuse_op(row, slug, explicit, cond.op)
    if cond.op == "ne":
        return {"$not": _condition(Condition(cond.field, "eq", cond.value), schema, None, members)}
    if cond.op == "in":
        listed = row.attio_ops(explicit)
        if "$in" in listed and row.name != "actor-reference":
            values = [_operand(v, spec, row, prop or "value") for v in cond.value]
            return _wrap(slug, prop, {"$in": values})
        eqs = [
            _condition(Condition(cond.field, "eq", v), schema, None, members) for v in cond.value
        ]
        return eqs[0] if len(eqs) == 1 else {"$or": eqs}
    if row.name == "actor-reference":
        return _actor(cond.value, slug, members)
    if cond.op == "is_empty":
        on = explicit
        if "$not_empty" not in row.attio_ops(explicit):
            on = row.presence_property  # every value has it: "has any value"
        not_empty = _wrap(slug, on, {"$not_empty": True})
        return {"$not": not_empty} if cond.value else not_empty
    op = "$eq" if cond.op == "contains" and row.name in ("select", "record-reference") else None
    return _wrap(
        slug, prop, {op or _OPS[cond.op]: _operand(cond.value, spec, row, prop or "value")}
    )


def translate_filter(
    where: Filter | None,
    schema: ObjectSchema,
    targets: Targets | None = None,
    members: Mapping[str, str] | None = None,
) -> dict[str, Any] | None:
    """The Attio ``filter`` object for ``where`` (``None``: no filter). ``targets``: the
    attributes of the objects its path filters reach (:func:`path_objects`), to check them;
    ``members``: workspace members' e-mail (case-folded) → id, for actor references given by
    e-mail (:func:`member_emails` says which are needed)."""
    if where is None:
        return None
    if isinstance(where, Condition):
        return _condition(where, schema, targets, members)
    if isinstance(where, And):
        return {"$and": [translate_filter(i, schema, targets, members) for i in where.items]}
    if isinstance(where, Or):
        return {"$or": [translate_filter(i, schema, targets, members) for i in where.items]}
    if isinstance(where, Not):
        return {"$not": translate_filter(where.item, schema, targets, members)}
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
