"""Creating attributes: a neutral field definition → the attribute Attio would create, and the
``POST /v2/{objects|lists}/{o}/attributes`` body for it. Pure.

Sources (the official OpenAPI spec, plugins/attio/tests/data/attio-openapi.json, ``POST
/v2/{target}/{identifier}/attributes``; docs/reference/attio.md §2 and §3):

* the body is ``{"data": {title, description, api_slug, type, is_required, is_unique,
  is_multiselect, default_value, config}}``. The spec requires all but ``default_value``; a
  recorded 400 lists each missing one, ``default_value`` too (docs/reference/attio.md §2), so it is
  always sent (``null``).
* ``type`` is one of the spec's create enum; ``"status"`` is "not supported on objects" (spec),
  so a status field on an object is created as a single ``select``. ``domain``,
  ``email-address`` and ``personal-name`` are in the enum but "users can't create" them
  (docs/reference/attio.md §3): the provider creates ``text`` for them instead (provider safe,
  docs/decisions.md "fields").
* ``api_slug``: "formatted in snake case" (spec): a lower-case letter, then lower-case letters,
  digits and ``_``, as the emulator checks it. A slug that is not is refused, not rewritten: the
  mapping names the slug, and a rewritten one would not be found.
* ``is_multiselect``: "only available on some value types" (spec). Types the reference table marks
  "single only" (text, number, checkbox, currency, date, timestamp, rating, status) are refused
  multi; select, record-reference, actor-reference, location and phone-number may be multi.
* ``is_unique``: select, status, checkbox and record-reference "cannot be unique" (docs/reference/attio.md §3).
* ``config.currency``: ``{default_currency_code, display_type}``, both required, the code one of
  the spec's enum; ``config.record_reference``: ``{allowed_objects: [slug or id, …]}``, at least one.
"""

from __future__ import annotations

import re
from typing import Any

import attrs

from crmbridge import FieldSpec, FieldType, ValidationError

__all__ = ["CURRENCIES", "attribute_body", "attribute_type", "planned_attribute"]

#: Neutral type → the Attio type created for it (``None``: Attio cannot hold it in a new
#: attribute). Status is decided by the parent (objects take no status attributes).
_CREATE: dict[FieldType, str | None] = {
    FieldType.text: "text",
    FieldType.long_text: "text",  # Attio's text holds long text (≤ 10 MB, docs/reference/attio.md §3)
    FieldType.number: "number",
    FieldType.integer: "number",
    FieldType.money: "currency",
    FieldType.bool: "checkbox",
    FieldType.date: "date",
    FieldType.datetime: "timestamp",
    FieldType.rating: "rating",
    FieldType.option: "select",
    FieldType.tags: "select",
    FieldType.status: "status",
    FieldType.email: "text",  # users cannot create email-address attributes (docs/reference/attio.md §3)
    FieldType.domain: "text",  # nor domain ones
    FieldType.person_name: "text",  # nor personal-name ones
    FieldType.url: "text",
    FieldType.timezone: "text",
    FieldType.phone: "phone-number",
    FieldType.location: "location",
    FieldType.reference: "record-reference",
    FieldType.user: "actor-reference",
    FieldType.file: None,
}
#: The neutral type a created attribute reads back as (the plugin's type table, types.py).
_READS_AS = {
    "text": FieldType.text,
    "number": FieldType.number,
    "currency": FieldType.money,
    "checkbox": FieldType.bool,
    "date": FieldType.date,
    "timestamp": FieldType.datetime,
    "rating": FieldType.rating,
    "select": FieldType.option,
    "status": FieldType.status,
    "phone-number": FieldType.phone,
    "location": FieldType.location,
    "record-reference": FieldType.reference,
    "actor-reference": FieldType.user,
}
_MULTI = frozenset({"select", "record-reference", "actor-reference", "location", "phone-number"})
_NOT_UNIQUE = frozenset({"select", "status", "checkbox", "record-reference"})
_SLUG = re.compile(r"[a-z][a-z0-9_]*")
#: ``config.currency.default_currency_code``'s enum in the spec.
CURRENCIES = frozenset(
    {
        "ARS",
        "AUD",
        "BRL",
        "BEL",
        "CAD",
        "CLP",
        "CNY",
        "COP",
        "CZK",
        "DKK",
        "EUR",
        "HKD",
        "ISK",
        "INR",
        "ILS",
        "JPY",
        "KRW",
        "MYR",
        "MXN",
        "NTD",
        "NZD",
        "NGN",
        "NOK",
        "XPF",
        "PEN",
        "PHP",
        "PLN",
        "GBP",
        "RWF",
        "SAR",
        "SGD",
        "ZAR",
        "SEK",
        "CHF",
        "AED",
        "UYU",
        "USD",
    }
)


def attribute_type(spec: FieldSpec, *, on_list: bool) -> str | None:
    """The Attio type created for ``spec`` (``None``: none can hold it)."""
    created = _CREATE.get(spec.type)
    if created == "status" and not on_list:
        return "select"  # "Attributes of type status are not supported on objects" (spec)
    return created


def planned_attribute(spec: FieldSpec, *, on_list: bool) -> FieldSpec:
    """The field Attio would create for ``spec``: its type as Attio reads it back (tags →
    multi select), or a :class:`~crmbridge.ValidationError` saying why it cannot be created."""
    where = spec.slug
    kind = attribute_type(spec, on_list=on_list)
    if kind is None:
        raise ValidationError(f"attio cannot create a {spec.type} attribute ({where})")
    if not _SLUG.fullmatch(spec.slug):
        raise ValidationError(
            f"attio api_slugs are snake case (a lower-case letter, then a-z, 0-9, _): "
            f"{spec.slug!r} is not one; name another target field",
            code="bad_field_definition",
        )
    multi = spec.multi or spec.type is FieldType.tags
    if multi and kind not in _MULTI:
        raise ValidationError(
            f"attio cannot create a multiselect {kind} attribute ({where}); "
            f"only {', '.join(sorted(_MULTI))} hold several values",
            code="bad_field_definition",
        )
    if spec.unique and kind in _NOT_UNIQUE:
        raise ValidationError(
            f"attio {kind} attributes cannot be unique ({where})", code="bad_field_definition"
        )
    currency = spec.currency
    if kind == "currency":
        currency = currency or "USD"
        if currency not in CURRENCIES:
            raise ValidationError(
                f"attio cannot create a currency attribute in {currency!r} ({where}); "
                f"it takes {', '.join(sorted(CURRENCIES))}",
                code="bad_field_definition",
            )
    return attrs.evolve(
        spec, type=_READS_AS[kind], multi=multi, currency=currency, raw={"type": kind}
    )


def attribute_body(spec: FieldSpec) -> dict[str, Any]:
    """The create body for ``spec`` (an answer of :func:`planned_attribute`)."""
    kind = spec.raw["type"]
    config: dict[str, Any] = {}
    if kind == "currency":
        config["currency"] = {"default_currency_code": spec.currency, "display_type": "symbol"}
    if kind == "record-reference":
        config["record_reference"] = {"allowed_objects": list(spec.target_objects)}
    return {
        "data": {
            "title": spec.label,
            "description": None,
            "api_slug": spec.slug,
            "type": kind,
            "is_required": spec.required,
            "is_unique": spec.unique,
            "is_multiselect": spec.multi,
            "default_value": None,
            "config": config,
        }
    }
