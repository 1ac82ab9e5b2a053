"""docs/providers/attio.md mirrors the one type table and the capabilities."""

from __future__ import annotations

import re
from pathlib import Path

from crmbridge_attio import AttioProvider
from crmbridge_attio.types import TYPES

DOC = (Path(__file__).parents[3] / "docs" / "providers" / "attio.md").read_text()


def test_every_type_row_is_documented() -> None:
    rows = dict(re.findall(r"^\| `([a-z-]+)` \| `([a-z_]+)` \|", DOC, flags=re.MULTILINE))
    assert rows == {name: row.neutral.value for name, row in TYPES.items()}


def test_filter_properties_are_documented() -> None:
    for name, row in TYPES.items():
        line = next(x for x in DOC.splitlines() if x.startswith(f"| `{name}` |"))
        if row.filter_property:
            assert f"`{row.filter_property}`" in line, name
        for op in row.filter_ops:
            assert op in line, (name, op)


def test_capabilities_are_documented() -> None:
    caps = AttioProvider.capabilities
    for text in (f"max_page_size={caps.max_page_size}", f"read_rate={caps.read_rate:g}",
                 f"write_rate={caps.write_rate:g}", "archive=False", "remove_values=False"):  # fmt: skip
        assert text in DOC, text
