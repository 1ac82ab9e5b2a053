"""Kizen field types ⇄ crmbridge's neutral types: THE one table.

Every Kizen ``field_type`` (the 24 of the live ``FieldTypeEnum``, docs/reference/kizen.md §5, plus the
pipeline ``stage`` default field) has exactly one row in :data:`TYPES`, which says

* which neutral :class:`~crmbridge.FieldType` it maps to;
* whether it holds a list (``multi``; ``None`` for ``relationship``, where the field's
  ``relation`` metadata decides, docs/reference/kizen.md §5 "Relationship cardinality");
* how a value is written (:class:`Write`, docs/reference/kizen.md §5 write column);
* which Kizen filter ``condition`` each neutral operator becomes, and how a negated operator is
  spelled (docs/reference/kizen.md §8 "Conditions by type", from Kizen's own ``filtering.py``).

The codec (:mod:`crmbridge_kizen.codec`) and the filter builder (:mod:`crmbridge_kizen.filters`)
read this table and nothing else, so adding a type is one row. A ``field_type`` missing from the
table maps to :attr:`~crmbridge.FieldType.unknown` and its raw value is kept (:func:`kizen_type`).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from types import MappingProxyType

import attrs

from crmbridge import FieldSpec, FieldType

__all__ = [
    "CONTACTS",
    "DEFAULT_FIELD_NAMES",
    "DEFAULT_MATCH_KEY",
    "FIELD_TYPE_FOR",
    "MATCH_KEYS",
    "READ_ONLY_FIELD_NAMES",
    "SERVER_DEFAULTED_FIELD_NAMES",
    "TO_MANY_RELATIONS",
    "TYPES",
    "UNKNOWN",
    "KizenType",
    "Write",
    "field_type_of",
    "kizen_type",
]

#: The contacts object's api_name (docs/reference/kizen.md §3).
CONTACTS = "client_client"

#: The upsert match key Kizen fixes per object: ``email`` for contacts, ``name`` for every other
#: object, compared case-insensitively (``iexact``) and not configurable (docs/reference/kizen.md §6).
MATCH_KEYS: Mapping[str, str] = MappingProxyType({CONTACTS: "email"})
DEFAULT_MATCH_KEY = "name"


class Write(enum.Enum):
    """How a value of a type is written in ``{"fields": [{"value": ...}]}`` (docs/reference/kizen.md §5)."""

    TEXT = "text"  # a string
    NUMBER = "number"  # a JSON number
    INTEGER = "integer"  # a JSON integer
    MONEY = "money"  # the amount as a number; the currency belongs to the field
    DATE = "date"  # "YYYY-MM-DD"
    DATETIME = "datetime"  # ISO 8601 with offset
    BOOL = "bool"  # true / false
    OPTION = "option"  # {"id": option-uuid} or {"name": label} (docs/reference/kizen.md §13.5)
    # {"id": tag-uuid} or {"name": label} (admin-cli fallback, docs/reference/kizen.md §5 dynamictags)
    TAG = "tag"
    # {"id": record-uuid} (admin-cli and a 3P PUT script, docs/reference/kizen.md §5)
    RECORD = "record"
    # the team member's UUID as a bare string (app-engine, docs/reference/kizen.md §5 team_selector)
    MEMBER = "member"
    FILE = "file"  # the uploaded file's UUID as a bare string (docs/reference/kizen.md §5 files)
    RATING = "rating"  # an integer (admin-cli coerces "3" to 3, docs/reference/kizen.md §5 rating)
    READ_ONLY = "read_only"  # never written through ``fields`` (stage: PATCH .../move)
    RAW = "raw"  # unknown types: the value is sent as given


def _frozen(table: Mapping[str, str]) -> Mapping[str, str]:
    return MappingProxyType(dict(table))


@attrs.frozen
class KizenType:
    """One row of the table. ``ops`` maps a neutral operator to a Kizen condition; ``negated``
    maps a neutral operator to the condition for ``Not(op)`` where Kizen has one."""

    field_type: str
    neutral: FieldType
    multi: bool | None
    write: Write
    ops: Mapping[str, str] = attrs.field(factory=dict, converter=_frozen)
    negated: Mapping[str, str] = attrs.field(factory=dict, converter=_frozen)
    #: Clearing sends ``""`` instead of ``null`` when the field's metadata says
    #: ``allows_nulls: false`` (docs/reference/kizen.md §5 "Clearing").
    text_like: bool = False


# Condition sets, docs/reference/kizen.md §8 "Conditions by type" ([KZ] filtering.py).
_TEXT_OPS = {
    "eq": "=",
    "ne": "!=",
    "contains": "contains",
    "starts_with": "starts_with",
    "ends_with": "ends_with",
    "is_empty": "is_blank",
}
_TEXT_NEG = {
    "eq": "!=",
    "ne": "=",
    "contains": "!contains",
    "starts_with": "!starts_with",
    "ends_with": "!ends_with",
}
_BLANK_ONLY = {"is_empty": "is_blank"}
_PHONE_OPS = {"eq": "=", "contains": "contains", "is_empty": "is_blank"}
_CHOICE_OPS = {"eq": "=", "ne": "!=", "in": "is_any_of", "is_empty": "is_blank"}
_CHOICE_NEG = {"eq": "!=", "ne": "=", "in": "is_none_of"}
_MULTI_CHOICE_OPS = {"contains": "has", "in": "has_any", "is_empty": "is_blank"}
_MULTI_CHOICE_NEG = {"contains": "!has", "in": "!has_any"}
_NUMBER_OPS = {
    "eq": "=",
    "ne": "!=",
    "lt": "<",
    "lte": "<=",
    "gt": ">",
    "gte": ">=",
    "is_empty": "is_blank",
}
_NUMBER_NEG = {"eq": "!=", "ne": "="}
_RATING_OPS = {**_NUMBER_OPS, "in": "is_any_of"}
_RATING_NEG = {**_NUMBER_NEG, "in": "is_none_of"}
_MEMBER_OPS = {"eq": "=", "ne": "!=", "in": "is_any_of", "is_empty": "is_blank"}
_RELATION_OPS = {
    "eq": "is_any_of",  # value [id]: "the related record is this one"
    "ne": "is_none_of",
    "in": "is_any_of",
    "contains": "contains",
    "is_empty": "is_blank",
}
_RELATION_NEG = {"eq": "is_none_of", "ne": "is_any_of", "in": "is_none_of", "contains": "!contains"}
_FILES_OPS = {"lt": "<", "gt": ">", "gte": ">=", "is_empty": "is_blank"}
_TIMEZONE_OPS = {"eq": "=", "ne": "!=", "is_empty": "is_blank"}
# The stage's own condition set (admin-cli filtering.py _STAGE_CONDITIONS; time_in_stage,
# entered_stage and left_stage have no neutral operator).
_STAGE_OPS = {"eq": "=", "ne": "!=", "in": "is_any_of"}
_STAGE_NEG = {"eq": "!=", "ne": "=", "in": "is_none_of"}


def _row(
    field_type: str,
    neutral: FieldType,
    write: Write,
    ops: Mapping[str, str],
    negated: Mapping[str, str] | None = None,
    *,
    multi: bool | None = False,
    text_like: bool = False,
) -> KizenType:
    return KizenType(field_type, neutral, multi, write, ops, negated or {}, text_like)


# fmt: off
_ROWS = (
    _row("text", FieldType.text, Write.TEXT, _TEXT_OPS, _TEXT_NEG, text_like=True),
    _row("email", FieldType.email, Write.TEXT, _TEXT_OPS, _TEXT_NEG, text_like=True),
    _row("longtext", FieldType.long_text, Write.TEXT, _BLANK_ONLY, text_like=True),
    # wysiwyg is stored as longtext + meta.is_markdown on objects (docs/reference/kizen.md §5).
    _row("wysiwyg", FieldType.long_text, Write.TEXT, _BLANK_ONLY, text_like=True),
    _row("phonenumber", FieldType.phone, Write.TEXT, _PHONE_OPS, text_like=True),
    _row("integer", FieldType.integer, Write.INTEGER, _NUMBER_OPS, _NUMBER_NEG),
    _row("decimal", FieldType.number, Write.NUMBER, _NUMBER_OPS, _NUMBER_NEG),
    _row("money", FieldType.money, Write.MONEY, _NUMBER_OPS, _NUMBER_NEG),
    _row("rating", FieldType.rating, Write.RATING, _RATING_OPS, _RATING_NEG),
    _row("date", FieldType.date, Write.DATE, _NUMBER_OPS, _NUMBER_NEG),
    _row("datetime", FieldType.datetime, Write.DATETIME, _NUMBER_OPS, _NUMBER_NEG),
    _row("checkbox", FieldType.bool, Write.BOOL, {"eq": "="}),
    _row("dropdown", FieldType.option, Write.OPTION, _CHOICE_OPS, _CHOICE_NEG),
    _row("radio", FieldType.option, Write.OPTION, _CHOICE_OPS, _CHOICE_NEG),
    _row("choices", FieldType.option, Write.OPTION, _CHOICE_OPS, _CHOICE_NEG),
    _row("selector", FieldType.option, Write.OPTION, _CHOICE_OPS, _CHOICE_NEG),
    _row("yesnomaybe", FieldType.option, Write.OPTION, _CHOICE_OPS, _CHOICE_NEG),
    _row("status", FieldType.status, Write.OPTION, _CHOICE_OPS, _CHOICE_NEG),
    _row("checkboxes", FieldType.option, Write.OPTION, _MULTI_CHOICE_OPS, _MULTI_CHOICE_NEG,
         multi=True),
    _row("dynamictags", FieldType.tags, Write.TAG, _MULTI_CHOICE_OPS, _MULTI_CHOICE_NEG,
         multi=True),
    _row("files", FieldType.file, Write.FILE, _FILES_OPS, multi=True),
    _row("team_selector", FieldType.user, Write.MEMBER, _MEMBER_OPS, _CHOICE_NEG),
    _row("relationship", FieldType.reference, Write.RECORD, _RELATION_OPS, _RELATION_NEG,
         multi=None),
    _row("timezone", FieldType.timezone, Write.TEXT, _TIMEZONE_OPS, {"eq": "!=", "ne": "="}),
    # The pipeline stage default field: read as {id, name, status, order}; moved with
    # PATCH .../move {"stage_id"}, never through "fields" (docs/reference/kizen.md §5, documented_examples
    # pipeline_stage_read); filtered with overwrite {"type": "stage"} (stage_filter).
    _row("stage", FieldType.status, Write.READ_ONLY, _STAGE_OPS, _STAGE_NEG),
)
# fmt: on

#: Kizen ``field_type`` → its row. 24 field types + ``stage``.
TYPES: Mapping[str, KizenType] = MappingProxyType({r.field_type: r for r in _ROWS})

#: The row for a ``field_type`` Kizen adds later: kept raw, filterable only for blankness.
UNKNOWN = KizenType("unknown", FieldType.unknown, False, Write.RAW, _BLANK_ONLY, {})


def kizen_type(field_type: str | None) -> KizenType:
    """The row for ``field_type``; :data:`UNKNOWN` (raw value kept) for a type not in the table."""
    return TYPES.get(field_type or "", UNKNOWN)


#: ``relation.relation_type`` / ``relation.cardinality`` values whose side holds many records
#: (docs/reference/kizen.md §5: primary_for = one_to_many, additional(_for) = many_to_many; recording
#: patients.excerpt.json ``encounters``: primary_for + one_to_many).
TO_MANY_RELATIONS = frozenset({"primary_for", "additional", "additional_for", "one_to_many",
                               "many_to_many"})  # fmt: skip

#: Default (non-custom) fields: filtered by api_name with ``subtype: non_custom`` instead of by
#: ``"custom"::<uuid>`` (docs/reference/kizen.md §8 filter wire format; default field lists in
#: §1.1 "Objects"). ``is_default`` comes from ``…/fields/settings-search`` (kizen-admin-cli
#: ``api/schema.py``); this list is the fallback when that endpoint cannot be read: every default
#: field of objects, pipelines and contacts (the contact list of kizen/builder-cli
#: ``tests/fixtures/objects/client_client.json``, with ``tags`` and the two company relationships).
DEFAULT_FIELD_NAMES = frozenset({
    "name", "display_name", "owner", "created", "updated", "stage", "entity_value",
    "estimated_close_date", "actual_close_date", "percentage_chance_to_close", "reasons_lost",
    "first_name", "last_name", "full_name", "email", "business_phone", "mobile_phone",
    "home_phone", "titles", "tags", "birthday", "email_status", "timezone", "company_primary",
    "company_additional",
})  # fmt: skip

#: System fields Kizen computes (timestamps, calculated names); never written
#: (docs/reference/kizen.md §4 "Default/system fields", §1.1 Contact "Full Name (calculated)").
READ_ONLY_FIELD_NAMES = frozenset({"created", "updated", "display_name", "full_name"})

#: Fields the live schema marks ``is_required`` that a create may still omit: Kizen fills them in.
#: ``owner`` (recording patients.excerpt.json: required) is absent from the documented create
#: (documented_examples ``add_request``, app-engine docs, docs/reference/kizen.md §5), so it is not required on create.
SERVER_DEFAULTED_FIELD_NAMES = frozenset({"owner"})

#: The Kizen type assumed for a :class:`~crmbridge.FieldSpec` that carries no Kizen metadata
#: (built by hand, or by another provider during a migration): neutral type → ``field_type``.
#: Multi ``option`` fields are ``checkboxes``.
FIELD_TYPE_FOR: Mapping[FieldType, str] = MappingProxyType({
    FieldType.text: "text", FieldType.long_text: "longtext", FieldType.number: "decimal",
    FieldType.integer: "integer", FieldType.money: "money", FieldType.bool: "checkbox",
    FieldType.date: "date", FieldType.datetime: "datetime", FieldType.rating: "rating",
    FieldType.option: "dropdown", FieldType.status: "status", FieldType.email: "email",
    FieldType.phone: "phonenumber", FieldType.domain: "text", FieldType.url: "text",
    FieldType.reference: "relationship", FieldType.user: "team_selector",
    FieldType.file: "files", FieldType.timezone: "timezone", FieldType.tags: "dynamictags",
})  # fmt: skip


def field_type_of(spec: FieldSpec) -> str:
    """The Kizen ``field_type`` of ``spec``: from its Kizen metadata, else the default for its
    neutral type (:data:`~crmbridge_kizen.types.FIELD_TYPE_FOR`)."""
    raw = spec.raw
    if type(raw) is dict or isinstance(raw, Mapping):  # dict first: this runs for every value
        field_type = raw.get("field_type")
        if type(field_type) is str:
            return field_type
        if isinstance(field_type, str):
            return str(field_type)
    if spec.type is FieldType.option and spec.multi:
        return "checkboxes"
    return FIELD_TYPE_FOR.get(spec.type, "unknown")
