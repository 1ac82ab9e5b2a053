"""Team members named by e-mail and references named by a match value, as ids (issue 23).

Kizen takes and reads back ids only: a team selector holds the employee's UUID, a relationship
``{"id": record-uuid}`` (docs/reference/kizen.md §5). A caller migrating from another CRM knows
users by e-mail (:class:`~crmbridge.User` ``(email=…)``) and records by a unique value
(:class:`~crmbridge.RefBy`); Kizen resolves neither itself, so the provider does, before any
write: employees from ``GET /api/team`` (§8), records with one search on the referenced object.
With the ids in place an unchanged record compares equal, and a repeated upsert is a ``noop``.

This module holds the pure part: what a write names that way, and the write with ids put in.
The requests are the provider's (:meth:`crmbridge_kizen.provider.KizenProvider._resolve`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import attrs

from crmbridge import Add, FieldError, FieldType, Ref, RefBy, Remove, User, ValidationError
from crmbridge.provider import ObjectSchema

__all__ = ["RefKey", "missing", "ref_key", "refs_by_value", "substituted", "user_emails"]

#: A reference by value, as looked up: (object, field, value case-folded as text). Kizen
#: compares names and e-mails case-insensitively (docs/reference/kizen.md §6).
RefKey = tuple[str, str, str]


def _items(value: Any) -> tuple[Any, ...]:
    if isinstance(value, Add | Remove):
        return tuple(value.values)
    if isinstance(value, list | tuple):
        return tuple(value)
    return (value,)


def _by_email(v: Any) -> str | None:
    if isinstance(v, User) and v.id is None and v.email:
        return v.email.casefold()
    return None


def _fields_of(schema: ObjectSchema, values: Mapping[str, Any], kind: FieldType) -> list[str]:
    return [s for s in values if (spec := schema.fields.get(s)) is not None and spec.type is kind]


def user_emails(schema: ObjectSchema, values: Mapping[str, Any]) -> set[str]:
    """E-mail addresses (case-folded) of the team members ``values`` names by e-mail only."""
    found = (_by_email(v) for s in _fields_of(schema, values, FieldType.user)
             for v in _items(values[s]))  # fmt: skip
    return {e for e in found if e is not None}


def ref_key(ref: RefBy) -> RefKey:
    return (ref.object, ref.field, str(ref.value).casefold())


def refs_by_value(schema: ObjectSchema, values: Mapping[str, Any]) -> dict[RefKey, RefBy]:
    """The references ``values`` gives by a match value, by lookup key."""
    return {
        ref_key(v): v
        for s in _fields_of(schema, values, FieldType.reference)
        for v in _items(values[s])
        if isinstance(v, RefBy)
    }


def missing(
    schema: ObjectSchema,
    values: Mapping[str, Any],
    employees: Mapping[str, str],
    records: Mapping[RefKey, list[str]],
) -> ValidationError | None:
    """The error naming every member e-mail no employee has and every reference by value that
    finds no record or several, field by field; ``None`` when all resolve."""
    problems: list[FieldError] = []
    for slug in _fields_of(schema, values, FieldType.user):
        for v in _items(values[slug]):
            email = _by_email(v)
            if email is not None and email not in employees:
                problems.append(FieldError(slug, "no Kizen team member has this e-mail address",
                                           value=v.email, expected="an employee's e-mail (GET /api/team)"))  # fmt: skip
    for slug in _fields_of(schema, values, FieldType.reference):
        for v in _items(values[slug]):
            if not isinstance(v, RefBy):
                continue
            found = records.get(ref_key(v), [])
            if len(found) != 1:
                what = "no record" if not found else f"{len(found)} records"
                problems.append(FieldError(slug, f"{what} of {v.object!r} with {v.field} = "
                                           f"{v.value!r}", value=v.value,
                                           expected="exactly one record holding that value"))  # fmt: skip
    if not problems:
        return None
    return ValidationError(
        f"{len(problems)} invalid value(s): {', '.join(p.field or '' for p in problems)}",
        provider="kizen",
        field_errors=problems,
    )


def substituted(
    schema: ObjectSchema,
    values: Mapping[str, Any],
    employees: Mapping[str, str],
    records: Mapping[RefKey, list[str]],
) -> dict[str, Any]:
    """``values`` with members by e-mail carrying their ids and references by value as
    :class:`~crmbridge.Ref`; call after :func:`missing` found nothing."""

    def one(v: Any) -> Any:
        email = _by_email(v)
        if email is not None:
            return attrs.evolve(v, id=employees[email])
        if isinstance(v, RefBy):
            return Ref(v.object, records[ref_key(v)][0])
        return v

    out = dict(values)
    for slug in [*_fields_of(schema, values, FieldType.user),
                 *_fields_of(schema, values, FieldType.reference)]:  # fmt: skip
        out[slug] = _mapped(values[slug], one)
    return out


def _mapped(value: Any, one: Callable[[Any], Any]) -> Any:
    if isinstance(value, Add | Remove):
        return type(value)(tuple(one(v) for v in value.values))
    if isinstance(value, list | tuple):
        return [one(v) for v in value]
    return one(value)
