"""What ``POST /v2/{objects|lists}/{o}/attributes`` refuses beyond missing keys, types and slugs
(which :meth:`SchemaApi.create_attribute` checks): the rules of the official OpenAPI spec
(plugins/attio/tests/data/attio-openapi.json, that operation's request body) and of
docs/reference/attio.md §3, as zod-style ``validation_errors`` items of a 400 ``validation_type``.

* ``title``: a string; an empty one is refused (wording ours, the UI needs a name).
* ``"status"`` attributes "are not supported on objects" (the spec's ``type`` description).
* ``is_multiselect``: "only available on some value types" (spec); the reference table marks text,
  number, checkbox, currency, date, timestamp, rating and status "single only".
* ``config.currency`` (currency attributes): ``default_currency_code`` (the spec's enum, kept in
  :data:`crmbridge_attio.attributes.CURRENCIES`) and
  ``display_type`` (``code``, ``name``, ``narrowSymbol``, ``symbol``) both required.
* ``config.record_reference`` (record-reference attributes): ``allowed_objects``, an array of at
  least one slug or id (``minItems: 1``).

The messages are ours where Attio's are not recorded; the codes and paths follow zod's.
"""

from __future__ import annotations

from typing import Any

from ..attributes import CURRENCIES
from . import errors

__all__ = ["attribute_problems"]

_SINGLE_ONLY = frozenset(
    {"text", "number", "checkbox", "currency", "date", "timestamp", "rating", "status"}
)
_DISPLAY_TYPES = ("code", "name", "narrowSymbol", "symbol")


def attribute_problems(data: dict[str, Any], target: str) -> list[dict[str, Any]]:
    """The zod items for everything wrong in ``data`` (the body's ``data``) on ``target``
    (``"objects"`` or ``"lists"``); empty when it may be created."""
    type_ = data.get("type")
    out: list[dict[str, Any]] = []
    title = data.get("title")
    if not isinstance(title, str) or not title.strip():
        out.append(errors.zod("too_small", ["data", "title"], "The title cannot be empty."))
    if type_ == "status" and target == "objects":
        out.append(errors.zod("invalid_enum_value", ["data", "type"],
                              "Attributes of type status are not supported on objects."))  # fmt: skip
    if data.get("is_multiselect") and type_ in _SINGLE_ONLY:
        out.append(errors.zod("invalid", ["data", "is_multiselect"],
                              f"Attributes of type {type_} cannot be multiselect."))  # fmt: skip
    given = data.get("config")
    config: dict[str, Any] = given if isinstance(given, dict) else {}
    if type_ == "currency":
        currency = config.get("currency")
        path: list[str | int] = ["data", "config", "currency"]
        if not isinstance(currency, dict):
            out.append(errors.required(path, "object"))
        else:
            if currency.get("default_currency_code") not in CURRENCIES:
                out.append(errors.zod("invalid_enum_value", [*path, "default_currency_code"],
                                      "Invalid enum value.", options=sorted(CURRENCIES)))  # fmt: skip
            if currency.get("display_type") not in _DISPLAY_TYPES:
                out.append(errors.zod("invalid_enum_value", [*path, "display_type"],
                                      "Invalid enum value.", options=list(_DISPLAY_TYPES)))  # fmt: skip
    if type_ == "record-reference":
        reference = config.get("record_reference")
        allowed = reference.get("allowed_objects") if isinstance(reference, dict) else None
        if not isinstance(allowed, list) or not allowed:
            out.append(errors.zod("too_small", ["data", "config", "record_reference",
                                                "allowed_objects"],
                                  "Array must contain at least 1 element(s)"))  # fmt: skip
    return out
