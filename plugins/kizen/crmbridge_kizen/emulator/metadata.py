"""Object and field metadata bodies (docs/reference/kizen.md §3).

``GET /api/custom-objects/{id}/fields`` answers a bare, unpaginated array of
``{id, name, display_name, field_type, category, is_required, is_read_only, is_hidden, is_deletable,
meta, options, relation, rating, phonenumber_options, money_options, decimal_options, access}``
[KZ app-engine]; ``…/fields/settings-search`` adds ``is_default`` [KZ admin-cli]; relations carry ``related_object``, ``related_field``, ``relation_type``,
``cardinality`` and the related object's names as in objects/patients.excerpt.json [KZ-LIVE].
"""

from __future__ import annotations

from typing import Any

from .ids import stable_id
from .schema import CARDINALITY, FieldDef, ObjectDef
from .store import Store
from .values import DEFAULT_PHONE_COUNTRY, timezones

__all__ = ["field_metadata", "object_metadata"]

_ACCESS = {"view": True, "edit": True, "remove": True}


def _relation(field: FieldDef, store: Store) -> dict[str, Any] | None:
    relation = field.relation
    if relation is None:
        return None
    state = store.objects.get(relation.related_object)
    other = state.obj if state is not None else None
    return {
        "related_field": relation.related_field,
        "related_object": other.id if other is not None else None,
        "related_category": stable_id("category", relation.related_object),
        "related_name": other.entity_name if other is not None else None,
        "related_object_name": other.object_name if other is not None else None,
        "related_object_object_name": relation.related_object,
        "related_entity_name": other.entity_name if other is not None else None,
        "relation_type": relation.relation_type,
        "cardinality": CARDINALITY[relation.relation_type],
        "fetch_url": "client" if relation.related_object == "client_client" else "standard",
    }


def field_metadata(
    obj: ObjectDef, field: FieldDef, store: Store, *, settings: bool = False
) -> dict[str, Any]:
    """One field as ``GET …/fields`` lists it, or with ``settings`` as ``GET
    …/fields/settings-search`` does: only the latter carries ``is_default`` (kizen/kizen-admin-cli
    ``api/schema.py``: "fields come from /fields/settings-search, which includes is_default and
    inline options"; app-engine's ``/fields`` key list has no ``is_default``, docs/reference/kizen.md
    §3). A dynamic tag field has no options in either: its tags are listed by the tag endpoints
    (:mod:`.admin`)."""
    kind = field.field_type
    options: list[dict[str, Any]] | None
    if kind == "dynamictags":
        options = None
    elif kind == "timezone":
        options = [{"id": tz, "code": tz, "name": tz} for tz in timezones()]
    elif field.options is not None:
        options = [o.read() | ({"status": o.status, "order": o.order} if o.status else {})
                   for o in field.options]  # fmt: skip
    else:
        options = None
    body: dict[str, Any] = {
        "id": field.id,
        "name": field.name,
        "display_name": field.display_name,
        "field_type": kind,
        "category": stable_id("category", obj.name),
        "is_required": field.is_required,
        "is_read_only": not field.writable,
        "is_hidden": field.is_hidden,
        "is_deletable": not field.is_default,
        "allows_nulls": not field.is_required,
        "allows_empty": not field.is_required,
        "order": field.order,
        "meta": dict(field.meta),
        "options": options,
        "relation": _relation(field, store),
        "rating": {"min_value": 1, "max_value": field.rating_scale} if kind == "rating" else None,
        "phonenumber_options": {"default_country": DEFAULT_PHONE_COUNTRY}
        if kind == "phonenumber"
        else None,
        "money_options": {"currency": field.money_currency} if kind == "money" else None,
        "decimal_options": {"decimal_places": 2} if kind == "decimal" else None,
        "access": dict(_ACCESS),
    }
    if settings:
        body["is_default"] = field.is_default
    return body


def object_metadata(obj: ObjectDef, *, with_fields: bool = False, store: Store | None = None
                    ) -> dict[str, Any]:  # fmt: skip
    """One object as ``GET /api/custom-objects[/{id}]`` shows it: ``name`` is the api name
    (docs/reference/kizen.md §3), ``object_name``/``entity_name`` the labels."""
    body: dict[str, Any] = {
        "id": obj.id,
        "name": obj.name,
        "object_name": obj.object_name,
        "entity_name": obj.entity_name,
        "object_type": obj.object_type,
        "is_custom": obj.is_custom,
        "fetch_url": "client" if obj.is_contacts else "standard",
        "access": dict(_ACCESS),
    }
    if with_fields and store is not None:
        body["fields"] = [field_metadata(obj, f, store) for f in obj.fields]
    return body
