"""Schema discovery: ``objects()`` and ``fields()`` describe the CRM in neutral terms (docs/design.md §3, §4)."""

from __future__ import annotations

from typing import Any

import pytest

from ...errors import NotFound
from ...model import FieldSpec, FieldType, ObjectSpec, Option
from .base import ConformanceBase
from .kit import Kit

__all__ = ["SchemaTests"]


class SchemaTests(ConformanceBase):
    """``objects()``, ``fields()``, the schema cache and the exercised object's keys."""

    def test_objects_are_neutral_and_distinct(self, crm: Any) -> None:
        """objects() lists ObjectSpecs with distinct slugs, the exercised object among them."""
        objects = crm.objects()
        assert objects, "objects() returned nothing"
        assert all(isinstance(o, ObjectSpec) and o.slug and o.label for o in objects)
        slugs = [o.slug for o in objects]
        assert len(slugs) == len(set(slugs)), f"duplicate object slugs: {slugs}"
        assert self.object_slug in slugs

    def test_fields_are_neutral_and_distinct(self, crm: Any) -> None:
        """fields() lists FieldSpecs of neutral types with distinct slugs and well-formed
        options and reference targets."""
        fields = crm.fields(self.object_slug)
        assert fields, f"{self.object_slug!r} has no fields"
        slugs = [f.slug for f in fields]
        assert len(slugs) == len(set(slugs)), f"duplicate field slugs: {slugs}"
        for f in fields:
            assert isinstance(f, FieldSpec), f
            assert isinstance(f.type, FieldType), f
            assert all(isinstance(o, Option) and o.label for o in f.options), f
            if f.type is FieldType.reference:
                assert f.target_objects, f"reference field {f.slug!r} names no target object"
            assert f.writable or not f.required, f"{f.slug!r} is required but read-only"

    def test_some_field_is_writable(self, kit: Kit) -> None:
        """The exercised object can be written at all."""
        assert kit.writable(), f"{self.object_slug!r} has no writable field"

    def test_match_key_is_a_unique_writable_field(self, crm: Any, kit: Kit) -> None:
        """The default (or configured) upsert match key exists, is writable, and is unique where
        the provider matches on unique fields."""
        if crm.capabilities.upsert_match == "none":
            pytest.skip(f"{crm.name}: Capabilities.upsert_match is 'none'")
        match = kit.match
        assert match.writable
        if crm.capabilities.upsert_match == "unique":
            assert match.unique, f"match key {match.slug!r} is not unique"

    def test_schema_is_cached_and_refreshable(self, crm: Any, kit: Kit) -> None:
        """A second fields() call is served from the cache: no request; refresh=True asks again
        and gives the same fields."""
        first = crm.fields(self.object_slug)
        with kit.requests() as sent:
            again = crm.fields(self.object_slug)
        assert sent == [], f"cached fields() sent {len(sent)} request(s)"
        assert again == first
        assert crm.fields(self.object_slug, refresh=True) == first

    def test_unknown_object_is_not_found(self, crm: Any) -> None:
        """An object that does not exist is NotFound, naming it."""
        with pytest.raises(NotFound, match="no_such_object_xyz"):
            crm.fields("no_such_object_xyz")
