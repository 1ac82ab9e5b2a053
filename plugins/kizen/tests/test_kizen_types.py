"""The one table (docs/reference/kizen.md §5 field types, §8 conditions)."""

from __future__ import annotations

import pytest
from crmbridge_kizen import types

from crmbridge import FieldType
from crmbridge.filters import OPERATORS

#: The live FieldTypeEnum (docs/reference/kizen.md §5, [KZ-LIVE] schema snapshot).
LIVE_FIELD_TYPES = [
    "checkbox",
    "checkboxes",
    "choices",
    "date",
    "datetime",
    "decimal",
    "dropdown",
    "dynamictags",
    "email",
    "files",
    "integer",
    "longtext",
    "money",
    "phonenumber",
    "radio",
    "rating",
    "relationship",
    "selector",
    "status",
    "team_selector",
    "text",
    "timezone",
    "wysiwyg",
    "yesnomaybe",
]


def test_every_live_field_type_and_stage_has_a_row() -> None:
    assert len(LIVE_FIELD_TYPES) == 24
    assert set(types.TYPES) == {*LIVE_FIELD_TYPES, "stage"}


@pytest.mark.parametrize("row", list(types.TYPES.values()), ids=list(types.TYPES))
def test_rows_are_consistent(row: types.KizenType) -> None:
    assert row.neutral is not FieldType.unknown
    assert set(row.ops) <= set(OPERATORS)
    assert set(row.negated) <= set(OPERATORS)
    assert "is_empty" not in row.negated  # negated is_empty is is_blank false
    # a checkbox is only = true/false (docs/reference/kizen.md §8)
    if row.field_type not in ("stage", "checkbox"):
        assert row.ops.get("is_empty") == "is_blank"


def test_unknown_type_keeps_raw() -> None:
    row = types.kizen_type("hologram")
    assert row is types.UNKNOWN
    assert row.neutral is FieldType.unknown
    assert row.write is types.Write.RAW


def test_multi_rules() -> None:
    multi = {t for t, row in types.TYPES.items() if row.multi}
    assert multi == {"checkboxes", "dynamictags", "files"}
    assert types.TYPES["relationship"].multi is None  # decided by relation metadata


def test_default_types_for_neutral_fields() -> None:
    """Every neutral type Kizen can hold maps back to a row that maps to it."""
    for neutral, field_type in types.FIELD_TYPE_FOR.items():
        if neutral in (FieldType.domain, FieldType.url):
            continue  # stored as text: Kizen has no domain/url type
        assert types.TYPES[field_type].neutral is neutral


def test_docs_mirror_the_table() -> None:
    """docs/providers/kizen.md lists every row with its neutral type."""
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[3] / "docs" / "providers" / "kizen.md").read_text()
    for field_type, row in types.TYPES.items():
        assert f"| `{field_type}` | `{row.neutral.value}`" in doc, field_type
