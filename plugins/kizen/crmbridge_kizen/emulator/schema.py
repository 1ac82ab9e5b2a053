"""Objects, fields, options and team members: the emulated business's metadata.

Shapes follow docs/reference/kizen.md §3 (objects, ``GET /api/custom-objects/{id}/fields``: a bare array of
``{id, name, display_name, field_type, category, is_required, is_read_only, ..., options, relation}``)
and the live field schema in recordings ``objects/patients.excerpt.json`` [KZ-LIVE] (``relation`` with
``related_object``, ``related_field``, ``relation_type``, ``cardinality``; options ``{id, name, code}``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import attrs

from .ids import stable_id

if TYPE_CHECKING:
    from .store import Record

__all__ = [
    "FIELD_TYPES",
    "MULTI_OPTION_TYPES",
    "SINGLE_OPTION_TYPES",
    "STAGE_WRITE_REFUSED",
    "TEXT_TYPES",
    "Employee",
    "FieldDef",
    "ObjectDef",
    "OptionDef",
    "Relation",
    "is_stage",
]

#: The 24 field types of the live ``FieldTypeEnum`` (docs/reference/kizen.md §5 [KZ-LIVE snapshot]).
FIELD_TYPES = frozenset(
    {
        "checkbox", "checkboxes", "choices", "date", "datetime", "decimal", "dropdown",
        "dynamictags", "email", "files", "integer", "longtext", "money", "phonenumber", "radio",
        "rating", "relationship", "selector", "status", "team_selector", "text", "timezone",
        "wysiwyg", "yesnomaybe",
    }
)  # fmt: skip
#: Free-text types (stored and read as strings).
TEXT_TYPES = frozenset({"text", "longtext", "wysiwyg", "email", "phonenumber"})
#: Types whose value is one option of the field (docs/reference/kizen.md §5: written as ``{"id"}``/``{"name"}``,
#: read as ``{id, code, name}``). ``choices`` and ``selector`` are treated like ``dropdown``.
SINGLE_OPTION_TYPES = frozenset(
    {"dropdown", "radio", "status", "choices", "selector", "yesnomaybe"}
)
#: Types whose value is a list of options (``add_values``/``remove_values`` apply).
MULTI_OPTION_TYPES = frozenset({"checkboxes", "dynamictags"})

#: relation_type values whose side holds many records (docs/reference/kizen.md §5 [KZ-LIVE]).
_TO_MANY = frozenset({"primary_for", "additional", "additional_for"})
INVERSE_RELATION = {
    "primary": "primary_for",
    "primary_for": "primary",
    "one_to_one": "one_to_one",
    "additional": "additional_for",
    "additional_for": "additional",
}
CARDINALITY = {
    "primary": "many_to_one",
    "primary_for": "one_to_many",
    "one_to_one": "one_to_one",
    "additional": "many_to_many",
    "additional_for": "many_to_many",
}


@attrs.define(slots=True)
class OptionDef:
    """An option of a dropdown/radio/status/checkboxes/rating field, a dynamic tag, or a stage
    (stages add ``status`` and ``order``: ``pipeline_stage_read`` in documented_examples.json)."""

    id: str
    name: str
    code: str | None = ""
    status: str | None = None
    order: int = 0

    def read(self) -> dict[str, Any]:
        return {"id": self.id, "code": self.code, "name": self.name}


@attrs.define(slots=True)
class Relation:
    """A relationship field's link to the other object (docs/reference/kizen.md §5)."""

    related_object: str  # api name of the other object
    relation_type: str  # primary | primary_for | one_to_one | additional | additional_for
    related_field: str | None = None  # id of the inverse field, set when both sides exist

    @property
    def multi(self) -> bool:
        return self.relation_type in _TO_MANY


@attrs.define(slots=True, eq=False)
class FieldDef:
    """One field of an object. ``computed`` marks calculated/system fields (created, updated,
    display_name, full_name): read-only, their value derived from the record."""

    id: str
    name: str
    display_name: str
    field_type: str
    is_default: bool = False
    is_required: bool = False
    is_read_only: bool = False
    is_hidden: bool = False
    options: list[OptionDef] | None = None
    relation: Relation | None = None
    money_currency: str = "USD"
    rating_scale: int = 5
    meta: dict[str, Any] = attrs.field(factory=dict)
    computed: Callable[[Record], Any] | None = None
    order: int = 0
    _options_by_id: dict[str, OptionDef] = attrs.field(factory=dict, init=False, repr=False)

    def __attrs_post_init__(self) -> None:
        self.reindex_options()

    def reindex_options(self) -> None:
        self._options_by_id = {o.id: o for o in self.options or ()}

    def option(self, option_id: str) -> OptionDef | None:
        return self._options_by_id.get(option_id)

    def option_named(self, label: str) -> OptionDef | None:
        """Option by label, case-insensitively, also against ``code`` (docs/reference/kizen.md §11: option labels
        may differ in case from input)."""
        folded = label.casefold()
        for option in self.options or ():
            if option.name.casefold() == folded or (option.code or "").casefold() == folded:
                return option
        return None

    def add_option(self, option: OptionDef) -> None:
        if self.options is None:
            self.options = []
        self.options.append(option)
        self._options_by_id[option.id] = option

    @property
    def multi(self) -> bool:
        """Whether the field holds several values (docs/reference/kizen.md §13.7: checkboxes, dynamictags,
        files, to-many relationships)."""
        if self.field_type == "relationship":
            return self.relation is not None and self.relation.multi
        return self.field_type in MULTI_OPTION_TYPES or self.field_type == "files"

    @property
    def writable(self) -> bool:
        return not self.is_read_only and self.computed is None

    def head(self) -> dict[str, Any]:
        """The fixed part of this field's entry in a record's ``fields`` map (docs/reference/kizen.md §4)."""
        return {
            "id": self.id,
            "name": self.name,
            "field_type": self.field_type,
            "display_name": self.display_name,
        }


@attrs.define(slots=True, eq=False)
class ObjectDef:
    """A Kizen object (contacts are ``client_client``; docs/reference/kizen.md §3)."""

    id: str
    name: str  # api name
    object_name: str  # plural label
    entity_name: str  # singular label
    object_type: str = "standard"  # standard | pipeline
    is_custom: bool = True
    fields: list[FieldDef] = attrs.field(factory=list)
    _by_id: dict[str, FieldDef] = attrs.field(factory=dict, init=False, repr=False)
    _by_name: dict[str, FieldDef] = attrs.field(factory=dict, init=False, repr=False)

    @property
    def is_contacts(self) -> bool:
        return self.name == "client_client"

    @property
    def identity_field(self) -> str:
        """The upsert/lookup key: ``email`` for contacts, ``name`` otherwise (docs/reference/kizen.md §6)."""
        return "email" if self.is_contacts else "name"

    def add(self, field: FieldDef) -> FieldDef:
        """Add ``field``, replacing a field of the same api name (used to re-id default fields when
        seeding a recording)."""
        old = self._by_name.get(field.name)
        if old is not None:
            field.order = old.order
            self.fields = [field if f is old else f for f in self.fields]
            del self._by_id[old.id]
        else:
            field.order = len(self.fields)
            self.fields.append(field)
        self._by_id[field.id] = field
        self._by_name[field.name] = field
        return field

    def field(self, key: str) -> FieldDef | None:
        """A field by id or api name."""
        return self._by_id.get(key) or self._by_name.get(key)

    def field_by_id(self, field_id: str) -> FieldDef | None:
        return self._by_id.get(field_id)

    def field_by_name(self, name: str) -> FieldDef | None:
        return self._by_name.get(name)


#: The refusal of a stage written through ``fields`` (wording ours; Kizen's is not recorded).
STAGE_WRITE_REFUSED = 'The stage is changed with PATCH …/move {"stage_id"}, not as a field.'


def is_stage(obj: ObjectDef, field: FieldDef) -> bool:
    """The pipeline stage: the default ``dropdown`` named ``stage`` of a pipeline object
    (kizen/builder-cli deals fixture; docs/reference/kizen.md §5)."""
    return field.name == "stage" and field.is_default and obj.object_type == "pipeline"


@attrs.define(slots=True)
class Employee:
    """A team member: values of ``team_selector`` fields such as ``owner`` (read shape from
    records/get_tax_lot.json [KZ-LIVE])."""

    id: str
    first_name: str
    last_name: str
    email: str
    deleted: bool = False

    def read(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "deleted": self.deleted,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "email": self.email,
        }


def option_id(object_name: str, field_name: str, label: str) -> str:
    return stable_id("option", object_name, field_name, label)


def field_id(object_name: str, field_name: str) -> str:
    return stable_id("field", object_name, field_name)


def object_id(object_name: str) -> str:
    return stable_id("object", object_name)
