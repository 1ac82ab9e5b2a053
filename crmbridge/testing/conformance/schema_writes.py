"""Creating fields and options (``create_field()``, ``create_option()``; crmbridge/schema_writes.py),
gated on ``Capabilities.create_fields`` / ``create_options``: a provider that declares them creates
what :meth:`~crmbridge.plugin.Provider.field_to_create` promised, and the new field or option can
be written and read back at once; one that does not refuses with ``Unsupported`` before any
request. Bad definitions are refused before any request either way.
"""

from __future__ import annotations

import contextlib
from typing import Any

import pytest

from ...errors import Unsupported, ValidationError
from ...model import FieldSpec, FieldType, Option
from .base import ConformanceBase
from .kit import Kit, require
from .samples import same_value

__all__ = ["SchemaWriteTests"]

#: The neutral types the suite tries to create; a provider's ``field_to_create`` refusing one
#: skips it (which types a CRM can create is its own rule).
CREATED = (
    FieldType.text,
    FieldType.long_text,
    FieldType.number,
    FieldType.integer,
    FieldType.bool,
    FieldType.date,
    FieldType.datetime,
)


class SchemaWriteTests(ConformanceBase):
    """``create_field()`` and ``create_option()`` where the capabilities say so."""

    def _slug(self, kit: Kit, n: int) -> str:
        return f"{kit.token}_f{n}"

    def test_created_fields_are_written_and_read_back(self, crm: Any, kit: Kit) -> None:
        """Each type the provider creates: in the schema right after, as ``field_to_create``
        said, and a value written to it reads back the same."""
        require(crm, "create_fields")
        made = 0
        for n, kind in enumerate(CREATED):
            spec = FieldSpec(self._slug(kit, n), f"Conformance {kind.value}", kind)
            try:
                planned = crm.provider.field_to_create(kit.schema, spec)
            except ValidationError:
                continue  # a type this CRM does not create
            created = crm.create_field(self.object_slug, spec)
            assert (created.slug, created.type, created.multi) == (
                planned.slug,
                planned.type,
                planned.multi,
            ), created
            field = crm.schema(self.object_slug).fields[created.slug]
            assert field.writable, field
            value = kit.sample_of(field, 0)
            record = kit.create(**{field.slug: value})
            got = crm.get(self.object_slug, record.id).get(field.slug)
            assert same_value(field, value, got), (field.slug, value, got)
            made += 1
        assert made, f"{crm.name} declares create_fields but creates none of {CREATED}"

    def test_a_field_is_created_with_its_options(self, crm: Any, kit: Kit) -> None:
        """An option field created with two options lists them, and takes one as a value."""
        require(crm, "create_fields")
        spec = FieldSpec(self._slug(kit, 90), "Conformance tier", FieldType.option,
                         options=[Option("Gold"), Option("Silver")])  # fmt: skip
        try:
            crm.provider.field_to_create(kit.schema, spec)
        except ValidationError as exc:
            pytest.skip(f"{crm.name} creates no option fields: {exc}")
        created = crm.create_field(self.object_slug, spec)
        field = crm.schema(self.object_slug).fields[created.slug]
        assert [o.label for o in field.options] == ["Gold", "Silver"], field.options
        record = kit.create(**{field.slug: "Silver"})
        got = crm.get(self.object_slug, record.id).get(field.slug)
        assert isinstance(got, Option), got
        assert got.label == "Silver"

    def test_bad_field_definitions_are_refused_before_any_request(self, crm: Any, kit: Kit) -> None:
        """An existing slug, an empty label: ValidationError (or Unsupported, for a provider that
        creates no fields), and nothing sent."""
        existing = next(iter(kit.schema.fields))
        for spec in (
            FieldSpec(existing, "Again", FieldType.text),
            FieldSpec(self._slug(kit, 91), "", FieldType.text),
        ):
            with kit.requests() as sent, pytest.raises((ValidationError, Unsupported)):
                crm.create_field(self.object_slug, spec)
            assert sent == [], f"{len(sent)} request(s) sent before refusing {spec!r}"

    def test_create_field_unsupported(self, crm: Any, kit: Kit) -> None:
        """Without create_fields, create_field() raises Unsupported before any request."""
        if crm.capabilities.create_fields:
            pytest.skip(f"{crm.name} creates fields")
        spec = FieldSpec(self._slug(kit, 92), "Conformance", FieldType.text)
        with kit.requests() as sent, pytest.raises(Unsupported):
            crm.create_field(self.object_slug, spec)
        assert sent == []

    def _option_fields(self, crm: Any, kit: Kit) -> list[FieldSpec]:
        """The exercised object's writable option fields, then one made for the test where the
        provider creates fields (the object's own may all have options the CRM fixes); the
        schema is loaded again, so what follows sends only what it writes."""
        found = [f for f in kit.writable() if f.type is FieldType.option and not f.required]
        if crm.capabilities.create_fields:
            spec = FieldSpec(self._slug(kit, 93), "Conformance pick", FieldType.option,
                             options=[Option("First")])  # fmt: skip
            with contextlib.suppress(ValidationError):
                found.append(crm.create_field(self.object_slug, spec))
        crm.schema(self.object_slug)
        if not found:
            pytest.skip(f"{self.object_slug!r} has no writable option field")
        return found

    def test_a_created_option_is_listed_and_written(self, crm: Any, kit: Kit) -> None:
        """create_option() adds a label the field then lists and takes as a value (fields whose
        options the CRM fixes are refused before any request and passed over)."""
        require(crm, "create_options")
        label = f"Conformance {kit.token}"
        for field in self._option_fields(crm, kit):
            with kit.requests() as sent:
                try:
                    option = crm.create_option(self.object_slug, field.slug, label)
                except ValidationError:
                    assert sent == [], f"{field.slug}: refused after {len(sent)} request(s)"
                    continue
            break
        else:
            pytest.skip(f"every option field of {self.object_slug!r} has fixed options")
        assert option.label == label
        listed = crm.schema(self.object_slug).fields[field.slug]
        assert listed.option(label) is not None, listed.options
        value = [label] if field.multi else label
        record = kit.create(**{field.slug: value})
        got = crm.get(self.object_slug, record.id).get(field.slug)
        labels = [o.label for o in (got if isinstance(got, list) else [got]) if o is not None]
        assert labels == [label], got

    def test_an_existing_option_is_refused_before_any_request(self, crm: Any, kit: Kit) -> None:
        """A label the field has (in another case) is a ValidationError, nothing sent."""
        require(crm, "create_options")
        field = next((f for f in self._option_fields(crm, kit) if f.options), None)
        if field is None:
            pytest.skip(f"no option field of {self.object_slug!r} has options yet")
        with kit.requests() as sent, pytest.raises(ValidationError):
            crm.create_option(self.object_slug, field.slug, field.options[0].label.upper())
        assert sent == []

    def test_create_option_unsupported(self, crm: Any, kit: Kit) -> None:
        """Without create_options, create_option() raises Unsupported before any request."""
        if crm.capabilities.create_options:
            pytest.skip(f"{crm.name} creates options")
        with kit.requests() as sent, pytest.raises(Unsupported):
            crm.create_option(self.object_slug, kit.text.slug, "x")
        assert sent == []
