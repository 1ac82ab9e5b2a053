"""Every neutral field type both ways: write a sample value, read it back equal (docs/design.md §3).

The tests are parametrized by :class:`~crmbridge.FieldType`; each looks for a writable field of its
type in ``value_objects`` (default: the exercised object) and skips, naming the type, when the
provider has none or the suite has no sample for it (users, files: see ``sample_values``).
"""

from __future__ import annotations

from typing import Any

import pytest

from ...model import FieldSpec, FieldType
from ...provider import ObjectSchema
from .base import ConformanceBase
from .kit import Kit
from .samples import same_value

__all__ = ["ValueTests"]

#: Types no one writes (system-generated), so there is no round trip to test.
READ_ONLY_TYPES = frozenset({FieldType.interaction})


class ValueTests(ConformanceBase):
    """Each neutral type survives create → get and update → get."""

    def _field_of(self, kit: Kit, type: FieldType) -> tuple[ObjectSchema, FieldSpec]:
        objects = self.value_objects or (self.object_slug,)
        for slug in objects:
            schema = kit.crm.schema(slug)
            for spec in kit.writable(schema):
                if spec.type is type and kit.can_sample(spec):
                    return schema, spec
        pytest.skip(f"no writable {type.value} field with a sample value in {', '.join(objects)}")

    @pytest.mark.parametrize("type", [t for t in FieldType if t not in READ_ONLY_TYPES])
    def test_value_round_trip(self, crm: Any, kit: Kit, type: FieldType) -> None:
        """A value written on create reads back equal, by get() and in the create answer; a
        second value written by update replaces it."""
        schema, spec = self._field_of(kit, type)
        values = kit.values_for(schema, 0)
        first = kit.value(spec, 1)
        values[spec.slug] = first
        created = crm.create(schema.slug, values)
        assert created.id
        assert same_value(spec, first, created.get(spec.slug)), (
            f"create answered {spec.slug}={created.get(spec.slug)!r} for {first!r}"
        )
        fetched = crm.get(schema.slug, created.id)
        assert same_value(spec, first, fetched.get(spec.slug)), (
            f"get read {spec.slug}={fetched.get(spec.slug)!r} after writing {first!r}"
        )
        second = kit.value(spec, 2)
        if spec.unique or same_value(spec, second, fetched.get(spec.slug)):
            second = kit.value(spec, 3)
        crm.update(schema.slug, created.id, {spec.slug: second})
        again = crm.get(schema.slug, created.id)
        assert same_value(spec, second, again.get(spec.slug)), (
            f"after update, get read {spec.slug}={again.get(spec.slug)!r} for {second!r}"
        )

    def test_records_are_neutral(self, crm: Any, kit: Kit) -> None:
        """A record names its object and id, keeps the provider's raw payload, and has only
        known fields."""
        record = kit.create()
        fetched = crm.get(self.object_slug, record.id)
        assert fetched.object == self.object_slug
        assert fetched.id == record.id
        assert fetched.raw is not None, "Record.raw must keep the provider's payload"
        unknown = set(fetched.fields) - set(kit.schema.fields)
        assert not unknown, f"record has fields the schema does not list: {sorted(unknown)}"
        for slug, value in fetched.fields.items():
            spec = kit.schema.fields[slug]
            if spec.multi:
                assert isinstance(value, list), f"multi field {slug!r} holds {value!r}"
