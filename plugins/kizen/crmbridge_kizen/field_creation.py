"""Creating fields: a neutral field definition → the Kizen field that would be made, and the
``POST /api/custom-objects/{object}/fields`` body for it. Pure.

Sources (docs/reference/kizen.md §15 "Creating fields and options" has the addresses):

* the request is ``CustomObjectFieldWriteRequest``: required ``category`` (UUID),
  ``display_name``, ``field_type``; optional ``name`` (api_name), ``options``, ``money_options``,
  ``is_hidden``, ``is_required``, ``description``, ``meta``, ``relation``; answered 201
  (kizen/kizen-admin-cli ``tests/drift/schema_snapshot.json``);
* the vendor's CLI builds the body as ``{name, display_name, field_type, category, is_required,
  is_read_only, is_hidden, options: [{name, code}], money_options: {currency}}`` (admin-cli
  ``src/kizen_builder/tools/planners/fields.py`` ``_build_field_payload``) and documents
  (https://github.com/kizen/kizen-admin-cli/blob/main/src/kizen_builder/docs/specs/field.md):
  api_names are ``^[A-Za-z0-9_]+$``; reserved api_names (``name``, ``owner``, ``created``, ``updated``, ``id`` and contact defaults such as
  ``first_name``, ``email``, ``mobile_phone``, ``birthday``) "500 on create"; ``status`` takes
  ``options`` like ``dropdown``; ``money_options`` defaults to USD; ``rating`` gets a 1 to 5 scale.

* a ``relationship`` is created with ``relation {related_object (UUID), related_category,
  related_name, relation_type}`` — ``related_name`` "functionally required" (500 without it) —
  and Kizen creates the inverse field on the other object; ``many_to_one`` is ``primary`` and
  ``many_to_many`` ``additional`` on the wire (admin-cli field.md "Relationship field creation",
  "``relation_type`` cardinality mapping"). A single reference is created ``primary``, a multi
  one ``additional``; it points to exactly one object.

Left out: ``files`` (values are uploads, docs/reference/kizen.md §5), refused before any request.
"""

from __future__ import annotations

import re
from typing import Any

import attrs

from crmbridge import FieldSpec, FieldType, ValidationError

from .types import TYPES

__all__ = ["RESERVED_NAMES", "field_body", "planned_field"]

#: Neutral type → the ``field_type`` created (single, multi); ``None``: not creatable.
_CREATE: dict[FieldType, tuple[str | None, str | None]] = {
    FieldType.text: ("text", None),
    FieldType.long_text: ("longtext", None),
    FieldType.number: ("decimal", None),
    FieldType.integer: ("integer", None),
    FieldType.money: ("money", None),
    FieldType.bool: ("checkbox", None),
    FieldType.date: ("date", None),
    FieldType.datetime: ("datetime", None),
    FieldType.rating: ("rating", None),
    FieldType.option: ("dropdown", "checkboxes"),
    FieldType.status: ("status", None),
    FieldType.tags: (None, "dynamictags"),
    FieldType.email: ("email", None),
    FieldType.phone: ("phonenumber", None),
    FieldType.domain: (
        "text",
        None,
    ),  # Kizen has no domain or URL type (docs/reference/kizen.md §5)
    FieldType.url: ("text", None),
    FieldType.person_name: ("text", None),
    FieldType.location: ("text", None),
    FieldType.timezone: ("timezone", None),
    FieldType.user: ("team_selector", None),
    FieldType.reference: ("relationship", "relationship"),
}
#: A reference's ``relation_type`` (single, multi): many-to-one and many-to-many (admin-cli).
_RELATION_TYPE = ("primary", "additional")
#: api_names Kizen makes itself and refuses on create (admin-cli field.md, "Gotchas").
RESERVED_NAMES = frozenset({"name", "owner", "created", "updated", "id", "first_name",
                            "last_name", "email", "mobile_phone", "birthday"})  # fmt: skip
_NAME = re.compile(r"[A-Za-z0-9_]+")
_WITH_OPTIONS = frozenset({"dropdown", "checkboxes", "status"})


def planned_field(spec: FieldSpec) -> FieldSpec:
    """The field Kizen would create for ``spec`` (its ``raw`` the metadata the codec reads), or
    a :class:`~crmbridge.ValidationError` saying why it cannot be created."""
    single, multi = _CREATE.get(spec.type, (None, None))
    field_type = multi if spec.multi or spec.type is FieldType.tags else single
    if field_type is None:
        many = "a multi " if spec.multi else "a "
        why = " (file values are uploads)" if spec.type is FieldType.file else ""
        raise ValidationError(
            f"kizen cannot create {many}{spec.type} field ({spec.slug}){why}",
            code="bad_field_definition",
        )
    if not _NAME.fullmatch(spec.slug):
        raise ValidationError(
            f"kizen api_names are letters, digits and _: {spec.slug!r} is not one",
            code="bad_field_definition",
        )
    if spec.slug in RESERVED_NAMES:
        raise ValidationError(
            f"{spec.slug!r} is an api_name Kizen reserves for its own fields; name another "
            "target field",
            code="bad_field_definition",
        )
    raw: dict[str, Any] = {"name": spec.slug, "display_name": spec.label, "field_type": field_type}
    if field_type == "money":
        raw["money_options"] = {"currency": spec.currency or "USD"}
    if field_type == "relationship":
        if len(spec.target_objects) != 1:
            raise ValidationError(
                f"a kizen relationship points to one object; {spec.slug} names "
                f"{', '.join(spec.target_objects) or 'none'}",
                code="bad_field_definition",
            )
        raw["relation"] = {
            "relation_type": _RELATION_TYPE[spec.multi],
            "related_object_object_name": spec.target_objects[0],
        }
    row = TYPES[field_type]
    return attrs.evolve(
        spec,
        type=row.neutral,
        multi=spec.multi if field_type == "relationship" else bool(row.multi),
        unique=False,
        required=False,
        options=spec.options if field_type in _WITH_OPTIONS else (),
        currency=spec.currency or "USD" if field_type == "money" else None,
        raw=raw,
    )


def field_body(
    spec: FieldSpec, category: str, relation: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The create body for ``spec`` (an answer of :func:`planned_field`) in ``category``; a
    relationship's ``relation`` is the other object's UUID, category and the inverse's label
    (``{related_object, related_category, related_name}``, which the provider reads first)."""
    body: dict[str, Any] = {
        **{k: v for k, v in spec.raw.items() if k != "relation"},
        "category": category,
        "is_required": False,
        "is_hidden": False,
    }
    if relation is not None:
        body["relation"] = {**relation, "relation_type": spec.raw["relation"]["relation_type"]}
    if spec.raw["field_type"] in _WITH_OPTIONS:
        body["options"] = [{"name": o.label, "code": o.label} for o in spec.options]
    return body
