"""THE table: every Attio attribute type, its neutral :class:`~crmbridge.FieldType`, and how it is
read, written, filtered and sorted. Everything else in the plugin reads :data:`TYPES`.

Sources: docs/reference/attio.md §3 (value shapes, write forms, filter properties), the spec's
``output-value`` / ``input-value`` schemas, and the recordings (attributes_list_people.yaml,
companies_query.yaml, people_query_rbeene.json). The spec's attribute-type enum has 17 values; a
type that is not in the table (a future addition) is served by :data:`UNKNOWN`: ``FieldType.unknown``,
the raw value kept, never writable (docs/reference/attio.md §1).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import attrs

from crmbridge import FieldSpec, FieldType

from . import values as v

__all__ = ["STANDARD_MULTISELECT", "TYPES", "UNKNOWN", "AttioType", "lookup"]

Decoder = Callable[[Mapping[str, Any], FieldSpec | None], Any]
Encoder = Callable[[Any, FieldSpec], Any]

# Attio's filter operators per property, exactly as each attribute-type page of docs.attio.com
# lists them (https://docs.attio.com/docs/attribute-types/attribute-types-<type>, "Filtering").
_EQ = frozenset({"$eq"})
_TEXT = frozenset({"$eq", "$in", "$contains", "$starts_with", "$ends_with"})
_ORDER = frozenset({"$eq", "$lt", "$lte", "$gt", "$gte"})
_SUBSTRING = frozenset({"$eq", "$contains", "$starts_with", "$ends_with"})
_SUBSTRING_PRESENT = _SUBSTRING | {"$not_empty"}
_ADDRESS = ("line_1", "line_2", "line_3", "line_4", "locality", "region", "postcode")

#: Neutral operator → the Attio operator it needs on the property (``ne`` is ``$not`` around
#: ``$eq``; ``in`` is ``$in`` where listed, else an ``$or`` of ``$eq``; ``is_empty`` is
#: ``$not_empty``, negated when asking for empty).
_NEEDS = {"eq": "$eq", "ne": "$eq", "in": "$eq", "lt": "$lt", "lte": "$lte", "gt": "$gt",
          "gte": "$gte", "contains": "$contains", "starts_with": "$starts_with",
          "ends_with": "$ends_with", "is_empty": "$not_empty"}  # fmt: skip


@attrs.frozen
class AttioType:
    """One row of the table.

    * ``name``: Attio's ``type`` / ``attribute_type``; ``neutral``: the crmbridge type.
    * ``decode``: one value element → neutral value; ``encode``: neutral value → one write element,
      ``None`` when Attio accepts no writes of this type (interaction: system-generated).
    * ``write_form`` / ``read_keys``: documentation, rendered in docs/providers/attio.md.
    * ``filter_property``: the sub-property a filter on the attribute compares (``None``: the
      attribute itself, its ``value``); ``filter_props``: Attio's operators per filterable
      property, as the type's docs page lists them (nothing else is ever sent: Attio answers 400
      ``filter_error``); ``presence_property``: a property every value has and whose
      ``$not_empty`` is listed, to say "has a value" where the default property lacks it.
    * ``sort_field``: the ``field`` of a sort.
    """

    name: str
    neutral: FieldType
    decode: Decoder
    encode: Encoder | None
    write_form: str
    read_keys: tuple[str, ...]
    filter_property: str | None = None
    filter_props: Mapping[str, frozenset[str]] = attrs.field(factory=dict)
    presence_property: str | None = None
    sort_field: str | None = None

    @property
    def writable(self) -> bool:
        return self.encode is not None

    def attio_ops(self, prop: str | None = None) -> frozenset[str]:
        """Attio's operators on ``prop`` (default: the attribute's own filter property)."""
        return self.filter_props.get(prop or self.filter_property or "value", frozenset())

    def neutral_ops(self, prop: str | None = None) -> frozenset[str]:
        """The neutral operators crmbridge can express on ``prop`` with only listed operators."""
        listed = self.attio_ops(prop)
        out = {op for op, needs in _NEEDS.items() if needs in listed}
        if prop is None and self.presence_property is not None:
            out.add("is_empty")
        if "$eq" in listed and self.name in ("select", "record-reference"):
            out.add("contains")  # "a multi field has it": equality matches any of its values
        return frozenset(out)

    @property
    def filter_ops(self) -> frozenset[str]:
        """The neutral operators on the attribute itself (no sub-property named)."""
        return self.neutral_ops()


_ROWS = (
    AttioType(
        "text", FieldType.text, v.decode_plain, v.encode_text,
        '{"value": str}', ("value",), None, {"value": _TEXT},
    ),
    AttioType(
        "number", FieldType.number, v.decode_number, v.encode_number,
        '{"value": number}', ("value",), None, {"value": _ORDER},
    ),
    AttioType(
        "checkbox", FieldType.bool, v.decode_checkbox, v.encode_checkbox,
        '{"value": bool}', ("value",), None, {"value": _EQ},
    ),
    AttioType(
        "currency", FieldType.money, v.decode_currency, v.encode_currency,
        '"decimal string" (code from the attribute config)',
        ("currency_value", "currency_code"), "currency_value", {"currency_value": _ORDER},
    ),
    AttioType(
        "date", FieldType.date, v.decode_date, v.encode_date,
        '{"value": "YYYY-MM-DD"}', ("value",), None, {"value": _ORDER},
    ),
    AttioType(
        "timestamp", FieldType.datetime, v.decode_timestamp, v.encode_timestamp,
        '{"value": "YYYY-MM-DDTHH:MM:SS.ffffffZ"}', ("value",), None, {"value": _ORDER},
    ),
    AttioType(
        "rating", FieldType.rating, v.decode_rating, v.encode_rating,
        '{"value": 0..5}', ("value",), None, {"value": _ORDER},
    ),
    AttioType(
        "status", FieldType.status, v.decode_status, v.encode_status,
        '{"status": status_id or title}', ("status",), None, {"value": _EQ},
    ),
    AttioType(
        "select", FieldType.option, v.decode_select, v.encode_select,
        '{"option": option_id or title}', ("option",), None, {"value": _EQ},
    ),
    AttioType(
        "record-reference", FieldType.reference, v.decode_record_reference,
        v.encode_record_reference,
        '{"target_object", "target_record_id"} or {"target_object", <unique attribute>: [value]}',
        ("target_object", "target_record_id"), "target_record_id",
        {"target_record_id": _EQ | {"$in"}, "target_object": _EQ},
    ),
    AttioType(
        "actor-reference", FieldType.user, v.decode_actor_reference, v.encode_actor_reference,
        '{"referenced_actor_type": "workspace-member", "referenced_actor_id"} or '
        '{"workspace_member_email_address"}',
        ("referenced_actor_type", "referenced_actor_id"), "referenced_actor_id",
        {"referenced_actor_id": _EQ},
    ),
    AttioType(
        "location", FieldType.location, v.decode_location, v.encode_location,
        "all ten keys: line_1..line_4, locality, region, postcode, country_code, latitude, "
        "longitude",
        ("line_1", "line_2", "line_3", "line_4", "locality", "region", "postcode",
         "country_code", "latitude", "longitude"),
        None, {**dict.fromkeys(_ADDRESS, _SUBSTRING), "country_code": frozenset({"$eq", "$starts_with"})},
    ),
    AttioType(
        "domain", FieldType.domain, v.decode_domain, v.encode_domain,
        '{"domain": str}', ("domain", "root_domain"), "domain",
        {"domain": _SUBSTRING_PRESENT, "root_domain": _SUBSTRING_PRESENT},
    ),
    AttioType(
        "email-address", FieldType.email, v.decode_email, v.encode_email,
        '{"email_address": str}',
        ("original_email_address", "email_address", "email_domain", "email_root_domain",
         "email_local_specifier"),
        "email_address",
        dict.fromkeys(("email_address", "email_domain", "email_root_domain",
                       "email_local_specifier"), _SUBSTRING),
    ),
    AttioType(
        "phone-number", FieldType.phone, v.decode_phone, v.encode_phone,
        '{"original_phone_number": E.164 or national, "country_code": ISO 3166 or null}',
        ("original_phone_number", "country_code", "phone_number"), "phone_number",
        {"phone_number": _SUBSTRING, "country_code": frozenset({"$eq", "$not_empty"})},
        presence_property="country_code",
    ),
    AttioType(
        "personal-name", FieldType.person_name, v.decode_personal_name, v.encode_personal_name,
        '{"first_name", "last_name", "full_name"} (all three)',
        ("first_name", "last_name", "full_name"), "full_name",
        dict.fromkeys(("first_name", "last_name", "full_name"), _SUBSTRING_PRESENT),
        sort_field="last_name",
    ),
    AttioType(
        "interaction", FieldType.interaction, v.decode_interaction, None,
        "not writable (system-generated)",
        ("interaction_type", "interacted_at", "owner_actor"), "interacted_at",
        {"interacted_at": _ORDER, "interaction_type": frozenset({"$eq", "$not_empty"}),
         "owner_member_id": frozenset({"$eq", "$not_empty"})},
        presence_property="interaction_type",
    ),
)  # fmt: skip

#: Attio attribute type → row. Exactly the 17 types of the spec's enum.
TYPES: Mapping[str, AttioType] = {row.name: row for row in _ROWS}

#: The row for a type this version does not know: read as ``FieldType.unknown``, raw value kept.
UNKNOWN = AttioType(
    "unknown", FieldType.unknown, v.decode_unknown, None,
    "not writable (unknown type)", (), None, {},
)  # fmt: skip

#: Multiselect attributes of the standard objects (docs/reference/attio.md §2, from the live
#: attributes_list_* cassettes). Used only when a record is decoded without its schema, to keep a
#: multi field a list even when it holds one value.
STANDARD_MULTISELECT = frozenset(
    {"email_addresses", "phone_numbers", "domains", "team", "categories", "associated_deals",
     "associated_people"}
)  # fmt: skip


def lookup(attio_type: Any) -> AttioType:
    """The row for ``attio_type``; :data:`UNKNOWN` for anything not in the table."""
    return TYPES.get(attio_type, UNKNOWN) if isinstance(attio_type, str) else UNKNOWN
