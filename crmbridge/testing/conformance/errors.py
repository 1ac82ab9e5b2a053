"""Errors for bad input: the right class from the one tree (docs/design.md §5), raised before any request
where the schema already says the input is wrong (docs/design.md §4)."""

from __future__ import annotations

from typing import Any

import pytest

from ...errors import Conflict, NotFound, Unsupported, ValidationError
from ...filters import F
from ...model import FieldType, add
from .base import ConformanceBase
from .kit import Kit

__all__ = ["ErrorTests"]


class ErrorTests(ConformanceBase):
    """Bad input fails loudly, early, and with the field named."""

    def _refused_early(
        self, kit: Kit, values: dict[str, Any], field: str, object: str | None = None
    ) -> None:
        with kit.requests() as sent, pytest.raises(ValidationError) as info:
            kit.crm.create(object or self.object_slug, values)
        assert sent == [], f"{len(sent)} request(s) sent before refusing bad input"
        assert field in {e.field for e in info.value.field_errors}, info.value.field_errors

    def test_unknown_field(self, kit: Kit) -> None:
        """An unknown field slug is a ValidationError naming it, before any request."""
        self._refused_early(kit, kit.values(no_such_field_xyz="x"), "no_such_field_xyz")

    def test_wrong_type(self, kit: Kit) -> None:
        """A value of the wrong type is a ValidationError naming the field."""
        text = kit.text
        self._refused_early(kit, kit.values(**{text.slug: {"not": "text"}}), text.slug)

    def test_unknown_option(self, kit: Kit) -> None:
        """An option label the schema does not list is a ValidationError naming the field
        (an option field of the exercised object, else of the other ``value_objects``)."""
        objects = (self.object_slug, *self.value_objects)
        for slug in dict.fromkeys(objects):
            schema = kit.crm.schema(slug)
            for field in kit.writable(schema):
                if field.type in (FieldType.option, FieldType.status) and field.options:
                    bad = "no such option xyz"
                    values = {
                        **kit.values_for(schema, 0),
                        field.slug: [bad] if field.multi else bad,
                    }
                    self._refused_early(kit, values, field.slug, object=slug)
                    return
        pytest.skip(f"no option field with listed options in {', '.join(objects)}")

    def test_read_only_field(self, kit: Kit) -> None:
        """Writing a read-only field is a ValidationError naming it."""
        field = next((f for f in kit.schema.fields.values() if not f.writable), None)
        if field is None:
            pytest.skip(f"{self.object_slug!r} has no read-only field")
        self._refused_early(kit, kit.values(**{field.slug: "x"}), field.slug)

    def test_add_on_single_field(self, kit: Kit) -> None:
        """add() on a single field is a ValidationError naming it."""
        self._refused_early(kit, kit.values(**{kit.text.slug: add("x")}), kit.text.slug)

    @pytest.mark.crmbridge_emulator_refusals("404")  # provoked on purpose (strict emulators)
    def test_get_missing_record(self, crm: Any) -> None:
        """get() of an id no record has is NotFound."""
        with pytest.raises(NotFound):
            crm.get(self.object_slug, self.missing_id)

    @pytest.mark.crmbridge_emulator_refusals("404")  # provoked on purpose (strict emulators)
    def test_update_missing_record(self, crm: Any, kit: Kit) -> None:
        """update() of an id no record has is NotFound."""
        with pytest.raises(NotFound):
            crm.update(self.object_slug, self.missing_id, {kit.text.slug: "x"})

    def test_empty_id(self, crm: Any) -> None:
        """An empty id is a ValidationError, not a request for the collection."""
        with pytest.raises(ValidationError):
            crm.get(self.object_slug, "")

    @pytest.mark.crmbridge_emulator_refusals("400", "409")  # provoked on purpose (strict emulators)
    def test_duplicate_unique_value(self, crm: Any, kit: Kit) -> None:
        """Creating a second record with a unique field's value is a Conflict."""
        field = kit.first(lambda f: f.unique)
        if field is None:
            pytest.skip(f"{self.object_slug!r} has no writable unique field")
        values = kit.values()
        kit.create(**values)
        with pytest.raises(Conflict):
            crm.create(self.object_slug, values)

    def test_filter_on_unknown_field(self, crm: Any, kit: Kit) -> None:
        """A filter on an unknown field is a ValidationError before any request."""
        with kit.requests() as sent, pytest.raises(ValidationError):
            list(crm.query(self.object_slug, F("no_such_field_xyz") == 1))
        assert sent == []

    def test_unsupported_filter_operator(self, crm: Any, kit: Kit) -> None:
        """An operator outside Capabilities.filter_ops is Unsupported before any request."""
        from ...filters import OPERATORS

        missing = [op for op in OPERATORS if op not in crm.capabilities.filter_ops]
        if not missing:
            pytest.skip(f"{crm.name} supports every filter operator")
        builders = {
            "ne": lambda f: F(f) != "x",
            "lt": lambda f: F(f) < "x",
            "lte": lambda f: F(f) <= "x",
            "gt": lambda f: F(f) > "x",
            "gte": lambda f: F(f) >= "x",
            "in": lambda f: F(f).is_in(["x"]),
            "contains": lambda f: F(f).contains("x"),
            "starts_with": lambda f: F(f).starts_with("x"),
            "ends_with": lambda f: F(f).ends_with("x"),
            "is_empty": lambda f: F(f).is_empty(),
            "eq": lambda f: F(f) == "x",
        }
        with kit.requests() as sent, pytest.raises(Unsupported):
            list(crm.query(self.object_slug, builders[missing[0]](kit.text.slug)))
        assert sent == []

    def test_upsert_without_match_value(self, crm: Any, kit: Kit) -> None:
        """An upsert whose values lack the match key is a ValidationError."""
        if crm.capabilities.upsert_match == "none":
            pytest.skip(f"{crm.name}: Capabilities.upsert_match is 'none'")
        values = kit.values()
        del values[kit.match.slug]
        with pytest.raises(ValidationError):
            crm.upsert(self.object_slug, values, match=kit.match.slug)

    def test_upsert_on_non_unique_field(self, crm: Any, kit: Kit) -> None:
        """Matching on a non-unique field is refused: ValidationError where any unique field
        may match, Unsupported where the CRM fixes the key."""
        caps = crm.capabilities
        if caps.upsert_match == "none":
            pytest.skip(f"{crm.name}: Capabilities.upsert_match is 'none'")
        with pytest.raises((ValidationError, Unsupported)):
            crm.upsert(self.object_slug, kit.values(), match=kit.text.slug)
