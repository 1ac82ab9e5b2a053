"""Change markers against a record's current values, and "would this write change anything?".
Pure, no IO.

Attio has no native ``remove`` and its assert syncs every multiselect (but the match attribute) to
exactly the list given (docs/reference/attio.md §4), so the provider resolves ``add`` / ``remove`` /
``clear`` into plain lists against the record it read, and compares values in their Attio write
form to tell an upsert's ``noop`` from ``updated``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import attrs

from crmbridge import Add, Clear, FieldSpec, Record, Remove, User, ValidationError
from crmbridge.plugin import ObjectSchema

from . import codec
from .values import BadValue

__all__ = ["as_list", "member_emails", "resolve", "unchanged", "value_key", "with_member_ids"]


def as_list(value: Any) -> list[Any]:
    if value is None or isinstance(value, Clear):
        return []
    if isinstance(value, Add | Remove):
        return list(value.values)
    if isinstance(value, list | tuple):
        return list(value)
    return [value]


def value_key(spec: FieldSpec, value: Any) -> str:
    """A comparable form of a value: its Attio write element (so an option by label and by id,
    or a name with and without ``full``, compare equal when Attio would store the same)."""
    try:
        encoded = codec.encode_value(spec, value)
    except (BadValue, ValidationError):
        encoded = repr(value)
    text = json.dumps(encoded, sort_keys=True, default=str)
    return text.casefold() if spec.type.value in ("email", "domain") else text


#: Hoisted: ``isinstance(x, A | B)`` builds the union on every call (this runs per value).
_CHANGES = (Add, Remove, Clear)


def resolve(
    schema: ObjectSchema, values: Mapping[str, Any], current: Record | None
) -> dict[str, Any]:
    """Changes against the record's current values → plain values: ``add`` appends what is not
    there yet, ``remove`` keeps the rest, ``clear`` empties. With no current record (create),
    ``add`` is a set and ``remove`` leaves nothing."""
    out: dict[str, Any] = {}
    for slug, value in values.items():
        if not isinstance(value, _CHANGES):
            out[slug] = value
            continue
        spec = schema.fields.get(slug)
        if spec is None or isinstance(value, Clear):
            out[slug] = [] if isinstance(value, Clear) else value
            continue
        have = as_list(current.fields.get(slug)) if current is not None else []
        if isinstance(value, Add):
            keys = {value_key(spec, v) for v in have}
            out[slug] = have + [v for v in value.values if value_key(spec, v) not in keys]
        else:
            drop = {value_key(spec, v) for v in value.values}
            out[slug] = [v for v in have if value_key(spec, v) not in drop]
    return out


def unchanged(
    schema: ObjectSchema, record: Record, values: Mapping[str, Any], *, match: str
) -> bool:
    """Whether writing ``values`` would leave ``record`` as it is. Assert semantics (docs/reference/attio.md §4): the match attribute only gains values; every other multiselect is synced to
    exactly the list given."""
    for slug, value in values.items():
        spec = schema.fields.get(slug)
        if spec is None:
            return False
        have = {value_key(spec, v) for v in as_list(record.fields.get(slug))}
        want = {value_key(spec, v) for v in as_list(value)}
        if slug == match:
            if not want <= have:
                return False
        elif want != have:
            return False
    return True


# --- workspace members by e-mail ------------------------------------------------------------------


def _actor_fields(schema: ObjectSchema, values: Mapping[str, Any]) -> list[str]:
    return [
        slug
        for slug in values
        if slug in schema.fields and codec.attio_type(schema.fields[slug]) == "actor-reference"
    ]


def _member_email(v: Any) -> str | None:
    """The e-mail (case-folded) of a workspace member named by e-mail only; ``None`` for anything
    else (other actors cannot be referenced: the encoder refuses them)."""
    if isinstance(v, User) and v.email and not v.id and v.kind in (None, "workspace-member"):
        return v.email.casefold()
    return None


def member_emails(schema: ObjectSchema, values: Mapping[str, Any]) -> set[str]:
    """The e-mail addresses (case-folded) of the workspace members ``values`` names by e-mail
    only. Attio stores and reads back member ids (actor-reference read shape, recording
    people_query_rbeene.json ``created_by``), so comparing needs the ids."""
    found = (_member_email(v) for slug in _actor_fields(schema, values)
             for v in as_list(values[slug]))  # fmt: skip
    return {email for email in found if email is not None}


def with_member_ids(
    schema: ObjectSchema, values: Mapping[str, Any], ids: Mapping[str, str]
) -> dict[str, Any]:
    """``values`` with each member given by e-mail also carrying its id from ``ids`` (e-mail,
    case-folded → ``workspace_member_id``, :func:`~crmbridge_attio.codec.decode_member_ids`)."""

    def one(v: Any) -> Any:
        email = _member_email(v)
        if email is not None and email in ids:
            return attrs.evolve(v, id=ids[email], kind="workspace-member")
        return v

    out = dict(values)
    for slug in _actor_fields(schema, values):
        value = values[slug]
        if isinstance(value, Add | Remove):
            out[slug] = type(value)(tuple(one(v) for v in value.values))
        elif isinstance(value, list | tuple):
            out[slug] = [one(v) for v in value]
        else:
            out[slug] = one(value)
    return out
