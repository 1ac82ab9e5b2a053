"""Creating a field of an object, and the object's field categories.

* ``POST /api/custom-objects/{object_identifier}/fields`` (``custom_objects_fields_create``): body
  ``CustomObjectFieldWriteRequest``, required ``category`` (a category UUID), ``display_name``
  and ``field_type`` (one of the 24 of ``FieldTypeEnum``); ``name`` (the api_name), ``options``
  (``[{name, code}]``), ``money_options`` (``{currency}``), ``is_hidden``, ``description``,
  ``meta``, ``relation`` optional; answered 201 (kizen/kizen-admin-cli
  ``tests/drift/schema_snapshot.json``, the live schema's contracts digest of 2026-09-25). The answer
  is the field as ``GET …/fields`` lists it (admin-cli ``api/custom_objects.py`` ``create_field``:
  "Returns the created …").
* What the vendor's CLI documents about that endpoint
  (https://github.com/kizen/kizen-admin-cli/blob/main/src/kizen_builder/docs/specs/field.md,
  "Wire format & API behavior", and ``tools/planners/fields.py`` ``_build_field_payload``): ``name`` is auto-generated from ``display_name`` when not sent;
  ``wysiwyg`` is stored as ``longtext`` + ``meta.is_markdown``; ``status`` takes ``options`` like
  ``dropdown``; a ``rating`` without options gets the ``"1 - Low"`` … ``"5 - High"`` scale, codes
  ``"1"`` to ``"5"``; ``money_options`` defaults to USD; ``yesnomaybe`` option codes are ``yes`` /
  ``no`` / ``maybe``; "Reserved api_names 500 on create" (``name``, ``owner``, ``created``,
  ``updated``, ``id`` and the contact defaults such as ``first_name``, ``email``,
  ``mobile_phone``, ``birthday``): answered with Django's HTML 500, as the CLI reports.
* Refused with 400 in DRF's ``{"<key>": ["…"]}`` shape: a missing required key ("This field is
  required."), a ``field_type`` not in the enum (DRF's ``"x" is not a valid choice.``), a category
  that is not the object's (DRF's ``Invalid pk "x" - object does not exist.``), a ``name`` the
  object has (wording ours: Kizen's is not recorded), options on a type that has none, an
  option without a name. Messages not quoted from a source are ours.
* ``relationship`` (admin-cli field.md "Relationship field creation"): ``relation`` with
  ``related_object`` (the other object's UUID), ``related_category`` (its category, optional
  here), ``related_name`` (the label of the inverse field: "leaving it out returns HTTP 500 every
  time", so Django's HTML 500) and ``relation_type`` (``one_to_one``, ``primary``,
  ``primary_for``, ``additional``, ``additional_for``; ``primary`` when not given, the CLI's
  default). The inverse field is created on the other object with the mirror type
  (``primary`` ↔ ``primary_for``, ``additional`` ↔ ``additional_for``), labelled
  ``related_name``; its api_name is that label in snake case (ours: Kizen's rule is not
  documented), with a number added when the other object has it.
* ``GET /api/custom-objects/{object_id}/categories``: a plain list of ``{id, name, order, meta}``
  (admin-cli ``api/custom_objects.py`` ``list_categories``). The emulator gives every object one
  category, the one its fields carry (:mod:`.metadata`), named ``Details`` (our name).
"""

from __future__ import annotations

import re
from typing import Any

import httpx

from .catalog import make_field, relate
from .errors import HTML_SERVER_ERROR, ApiError, bad_param, not_found
from .handlers import Handlers, Result
from .ids import stable_id
from .metadata import field_metadata
from .schema import FIELD_TYPES, INVERSE_RELATION
from .store import ObjectState

__all__ = ["create_field", "list_categories"]

#: Types whose fields hold options given at creation (admin-cli ``_OPTION_FIELD_TYPES`` less
#: ``dynamictags``, whose tags are created by writes, and ``rating``'s generated scale).
_WITH_OPTIONS = frozenset({"dropdown", "radio", "status", "choices", "selector", "checkboxes",
                           "yesnomaybe", "rating"})  # fmt: skip
#: api_names Kizen creates itself and refuses on create with a 500 (admin-cli field.md, Gotchas).
RESERVED = frozenset({"name", "owner", "created", "updated", "id", "first_name", "last_name",
                      "email", "mobile_phone", "birthday"})  # fmt: skip


def _category(state: ObjectState) -> str:
    return stable_id("category", state.obj.name)


def _state(h: Handlers, object_id: str) -> ObjectState:
    state = h.store.by_object_id.get(object_id)  # by UUID only (docs/reference/kizen.md §3)
    if state is None:
        raise not_found()
    return state


def list_categories(h: Handlers, object_id: str) -> Result:
    state = _state(h, object_id)
    return 200, [{"id": _category(state), "name": "Details", "order": 0, "meta": {}}]


def _slug(display_name: str) -> str:
    """The api_name made from a display name (lower case, ``_`` between words)."""
    return re.sub(r"[^a-z0-9]+", "_", display_name.casefold()).strip("_") or "field"


def _options(field_type: str, given: Any) -> list[dict[str, Any]] | None:
    if given is None:
        return None
    if field_type not in _WITH_OPTIONS:
        raise bad_param("options", f'A "{field_type}" field has no options.')
    if not isinstance(given, list):
        raise bad_param("options", 'Expected a list of items but got type "dict".')
    out = []
    for option in given:
        name = option.get("name") if isinstance(option, dict) else None
        if not isinstance(name, str) or not name.strip():
            raise bad_param("options", "Each option needs a name.")
        code = option.get("code")
        code = name.casefold() if field_type == "yesnomaybe" and code is None else code
        out.append({"name": name, "code": code if isinstance(code, str) else name})
    return out


def _relationship(
    h: Handlers, state: ObjectState, name: str, display_name: str, relation: Any
) -> Result:
    if not isinstance(relation, dict):
        raise bad_param("relation", "This field is required.")
    other = h.store.by_object_id.get(str(relation.get("related_object")))
    if other is None:
        raise ApiError(400, {"relation": {"related_object": [
            f'Invalid pk "{relation.get("related_object")}" - object does not exist.']}})  # fmt: skip
    category = relation.get("related_category")
    if category is not None and category != _category(other):
        raise ApiError(400, {"relation": {"related_category": [
            f'Invalid pk "{category}" - object does not exist.']}})  # fmt: skip
    kind = relation.get("relation_type") or "primary"
    if kind not in INVERSE_RELATION:
        raise ApiError(400, {"relation": {"relation_type": [f'"{kind}" is not a valid choice.']}})
    related_name = relation.get("related_name")
    if not isinstance(related_name, str) or not related_name.strip():
        raise ApiError(500, html=HTML_SERVER_ERROR)  # admin-cli: 500 without related_name
    inverse, n = _slug(related_name), 1
    while other.obj.field_by_name(inverse) is not None:
        n += 1
        inverse = f"{_slug(related_name)}_{n}"
    field, _ = relate(state.obj, name, other.obj, inverse, kind, a_label=display_name,
                      b_label=related_name)  # fmt: skip
    return 201, field_metadata(state.obj, field, h.store)


def create_field(h: Handlers, object_id: str, request: httpx.Request) -> Result:
    state = _state(h, object_id)
    body = h.body(request)
    for key in ("category", "display_name", "field_type"):
        if body.get(key) is None:
            raise bad_param(key)
    field_type, display_name = body["field_type"], body["display_name"]
    if field_type not in FIELD_TYPES:
        raise bad_param("field_type", f'"{field_type}" is not a valid choice.')
    if not isinstance(display_name, str) or not display_name.strip():
        raise bad_param("display_name", "This field may not be blank.")
    if body["category"] != _category(state):
        raise bad_param("category", f'Invalid pk "{body["category"]}" - object does not exist.')
    name = body.get("name")
    name = _slug(display_name) if name is None else name
    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9_]+", name):
        raise bad_param("name", "Enter a valid api name (letters, digits and underscores).")
    if state.obj.field_by_name(name) is not None:
        raise bad_param("name", f'A field named "{name}" already exists.')
    if name in RESERVED:
        raise ApiError(500, html=HTML_SERVER_ERROR)
    if field_type == "relationship":
        return _relationship(h, state, name, display_name, body.get("relation"))
    options = _options(field_type, body.get("options"))
    meta = dict(body.get("meta") or {})
    if field_type == "wysiwyg":
        field_type, meta = "longtext", {**meta, "is_markdown": True}
    money = body.get("money_options") or {}
    field = make_field(
        state.obj,
        name,
        field_type,
        display_name=display_name,
        options=options,
        currency=str(money.get("currency") or "USD"),
        meta=meta,
    )
    field.is_hidden = bool(body.get("is_hidden", False))
    return 201, field_metadata(state.obj, field, h.store)
