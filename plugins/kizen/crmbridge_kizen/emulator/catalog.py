"""Builders for objects and fields, with Kizen's default fields.

Every object gets the default fields of docs/reference/kizen.md §1.1 ("Objects" page [DOC]) as the live
records show them (records/get_tax_lot.json, objects/patients.excerpt.json [KZ-LIVE]): ``name``
(text, required), ``owner`` (team_selector), ``created`` ("Date Created"), ``updated`` ("Last
Modified"), ``display_name`` (read-only text). Pipeline objects add ``stage`` and the workflow fields
(Value, Estimated/Actual Close Date, % chance to close, Reasons Lost). Contacts (``client_client``)
have the 15 contact default fields of docs/reference/kizen.md §1.1/§11 instead of ``name``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .schema import (
    FIELD_TYPES,
    INVERSE_RELATION,
    FieldDef,
    ObjectDef,
    OptionDef,
    Relation,
    field_id,
    object_id,
    option_id,
)
from .serialize import created_value, display_name, full_name, updated_value

__all__ = [
    "CONTACT_COMPANY_FIELDS",
    "CONTACT_DEFAULT_FIELDS",
    "EMAIL_STATUSES",
    "make_field",
    "new_contacts_object",
    "new_object",
    "relate",
]

#: Contact default fields as the live field list shows them (kizen/builder-cli
#: ``tests/fixtures/objects/client_client.json``, a sanitized ``GET …/fields`` capture, in its order),
#: plus ``full_name`` (calculated; docs/reference/kizen.md §1.1 "Contact default fields"). Contacts
#: have no ``owner`` and no ``name``; the two company relationships are added by
#: :func:`.seeds.build_standard` (they need the companies object).
CONTACT_DEFAULT_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("first_name", "First Name", "text"),
    ("last_name", "Last Name", "text"),
    ("email", "Email", "email"),
    ("created", "Date Created", "datetime"),
    ("email_status", "Email Status", "dropdown"),
    ("business_phone", "Business Phone", "phonenumber"),
    ("mobile_phone", "Mobile Phone", "phonenumber"),
    ("home_phone", "Home Phone", "phonenumber"),
    ("titles", "Titles", "dynamictags"),
    ("tags", "Tags", "dynamictags"),
    ("updated", "Last Modified", "datetime"),
    ("birthday", "Birthday", "date"),
    ("timezone", "Timezone", "timezone"),
    ("full_name", "Full Name", "text"),
)
#: The contact default relationships to companies (same capture): ``(api name, label,
#: relation_type, inverse api name, inverse label)``.
CONTACT_COMPANY_FIELDS: tuple[tuple[str, str, str, str, str], ...] = (
    ("company_primary", "Primary Company Record", "primary", "contacts",
     "Primary for Contact Records"),
    ("company_additional", "Additional Company Records", "additional", "additional_contacts",
     "Additional for Contact Records"),
)  # fmt: skip
#: The fixed Email Status options ``(code, label)`` of the same capture. Search filters take the
#: snake_case slug of the label (``unsubscribed_from_all``), not the option id (kizen/kizen-admin-cli
#: ``src/kizen_builder/filtering.py``, docs/reference/kizen.md §8).
EMAIL_STATUSES = (
    ("opted_in", "Opted In"),
    ("not_opted_in", "Not Opted In"),
    ("unsubscribed", "Unsubscribed From All"),
    ("suppression_list", "Suppression List"),
)
#: Stage statuses of pipeline stages ([KZ] ``pipeline_stage_read``).
STAGE_STATUSES = frozenset({"open", "won", "lost", "disqualified"})


def _options(obj: str, field: str, options: Iterable[str | Mapping[str, Any]]) -> list[OptionDef]:
    out = []
    for i, option in enumerate(options):
        if isinstance(option, str):
            out.append(OptionDef(option_id(obj, field, option), option, option, order=i))
        else:
            label = str(option["name"])
            out.append(
                OptionDef(
                    str(option.get("id") or option_id(obj, field, label)),
                    label,
                    option.get("code", label),
                    status=option.get("status"),
                    order=int(option.get("order", i)),
                )
            )
    return out


def make_field(
    obj: ObjectDef,
    name: str,
    field_type: str,
    *,
    display_name: str | None = None,
    id: str | None = None,
    options: Sequence[str | Mapping[str, Any]] | None = None,
    is_required: bool = False,
    is_default: bool = False,
    is_read_only: bool = False,
    currency: str = "USD",
    rating_scale: int = 5,
    meta: Mapping[str, Any] | None = None,
) -> FieldDef:
    """Add a field to ``obj`` (or redefine the one of the same api name). ``options`` are labels or
    ``{"id", "name", "code"}`` dicts; rating fields get their ``1..scale`` options."""
    if field_type not in FIELD_TYPES:
        raise ValueError(f"unknown Kizen field type {field_type!r}")
    if field_type == "rating" and options is None:
        options = [
            {"name": label, "code": str(n)}
            for n, label in (
                (n, f"{n} - Low" if n == 1 else f"{n} - High" if n == rating_scale else str(n))
                for n in range(1, rating_scale + 1)
            )
        ]
    if field_type == "yesnomaybe" and options is None:
        options = [
            {"name": "Yes", "code": "yes"},
            {"name": "No", "code": "no"},
            {"name": "Maybe", "code": "maybe"},
        ]
    if field_type == "timezone":
        options = None  # listed from the tz database by the metadata endpoint
    option_defs = (
        _options(obj.name, name, options)
        if options is not None
        else ([] if field_type in ("dropdown", "radio", "status", "checkboxes", "dynamictags",
                                   "choices", "selector") else None)
    )  # fmt: skip
    field = FieldDef(
        id=id or field_id(obj.name, name),
        name=name,
        display_name=display_name or name.replace("_", " ").title(),
        field_type=field_type,
        is_default=is_default,
        is_required=is_required,
        is_read_only=is_read_only,
        options=option_defs,
        money_currency=currency,
        rating_scale=rating_scale,
        meta=dict(meta or {}),
    )
    return obj.add(field)


def _add_system_fields(obj: ObjectDef, with_name: bool, name_label: str) -> None:
    if with_name:
        make_field(obj, "name", "text", display_name=name_label, is_required=True, is_default=True)
    make_field(
        obj, "owner", "team_selector", display_name="Owner", is_default=True, is_required=True
    )
    created = make_field(
        obj, "created", "datetime", display_name="Date Created", is_default=True, is_read_only=True
    )
    created.computed = created_value
    updated = make_field(
        obj, "updated", "datetime", display_name="Last Modified", is_default=True, is_read_only=True
    )
    updated.computed = updated_value
    if with_name:
        shown = make_field(
            obj, "display_name", "text", display_name="Display Name", is_default=True,
            is_read_only=True,
        )  # fmt: skip
        shown.computed = lambda record: display_name(obj, record)


def new_object(
    name: str,
    object_name: str,
    entity_name: str,
    *,
    id: str | None = None,
    object_type: str = "standard",
    is_custom: bool = True,
    name_label: str | None = None,
    stages: Sequence[tuple[str, str]] = (),
) -> ObjectDef:
    """A custom (or standard) object with its default fields; ``object_type="pipeline"`` with
    ``stages`` (``(label, status)`` pairs) adds the workflow default fields."""
    obj = ObjectDef(
        id=id or object_id(name),
        name=name,
        object_name=object_name,
        entity_name=entity_name,
        object_type=object_type,
        is_custom=is_custom,
    )
    _add_system_fields(obj, with_name=True, name_label=name_label or f"{entity_name} Name")
    if object_type == "pipeline":
        for _label, status in stages:
            if status not in STAGE_STATUSES:
                raise ValueError(f"stage status must be one of {sorted(STAGE_STATUSES)}")
        make_field(
            obj, "stage", "dropdown", display_name="Stage", is_default=True, is_required=True,
            options=[
                {"name": label, "code": label.lower().replace(" ", "_"), "status": status,
                 "order": i}
                for i, (label, status) in enumerate(stages)
            ],
        )  # fmt: skip
        make_field(obj, "entity_value", "money", display_name="Value", is_default=True)
        make_field(obj, "estimated_close_date", "date", display_name="Estimated Close Date",
                   is_default=True)  # fmt: skip
        make_field(obj, "actual_close_date", "date", display_name="Actual Close Date",
                   is_default=True)  # fmt: skip
        make_field(obj, "percentage_chance_to_close", "decimal",
                   display_name="% Chance to Close", is_default=True)  # fmt: skip
        make_field(obj, "reasons_lost", "checkboxes", display_name="Reasons Lost", is_default=True,
                   options=["Price", "Timing", "Competitor", "No Budget", "Other"])  # fmt: skip
    return obj


def new_contacts_object() -> ObjectDef:
    """``client_client`` with the contact default fields of :data:`CONTACT_DEFAULT_FIELDS` (the
    company relationships come with the companies object, :func:`.seeds.build_standard`)."""
    obj = ObjectDef(
        id=object_id("client_client"),
        name="client_client",
        object_name="Contacts",
        entity_name="Contact",
        object_type="standard",
        is_custom=False,
    )
    for name, label, kind in CONTACT_DEFAULT_FIELDS:
        options: list[str | Mapping[str, Any]] | None = None
        if name == "email_status":
            options = [{"name": label_, "code": code} for code, label_ in EMAIL_STATUSES]
        field = make_field(
            obj, name, kind, display_name=label, is_default=True, options=options,
            is_read_only=name in ("full_name", "created", "updated"),
        )  # fmt: skip
        if name == "full_name":
            field.computed = lambda record: full_name(obj, record)
        elif name == "created":
            field.computed = created_value
        elif name == "updated":
            field.computed = updated_value
    return obj


def relate(
    a: ObjectDef,
    a_field: str,
    b: ObjectDef,
    b_field: str,
    relation_type: str = "primary",
    *,
    a_label: str | None = None,
    b_label: str | None = None,
    a_id: str | None = None,
    b_id: str | None = None,
    is_default: bool = False,
) -> tuple[FieldDef, FieldDef]:
    """A relationship field on ``a`` to ``b`` and its inverse on ``b`` (both sides, docs/reference/kizen.md §5:
    ``relation.related_field`` points at the other side; ``relation_type`` ``primary`` is the
    many-to-one side, ``primary_for`` its one-to-many inverse)."""
    if relation_type not in INVERSE_RELATION:
        raise ValueError(f"relation_type must be one of {sorted(INVERSE_RELATION)}")
    fa = make_field(a, a_field, "relationship", display_name=a_label, id=a_id,
                    is_default=is_default)  # fmt: skip
    fb = make_field(b, b_field, "relationship", display_name=b_label, id=b_id,
                    is_default=is_default)  # fmt: skip
    fa.relation = Relation(b.name, relation_type, fb.id)
    fb.relation = Relation(a.name, INVERSE_RELATION[relation_type], fa.id)
    return fa, fb
