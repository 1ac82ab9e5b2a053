"""Create, get and update: set, add, remove and clear (docs/design.md §3 changes, §4 verbs)."""

from __future__ import annotations

from typing import Any

from ...model import add, clear, remove
from .base import ConformanceBase
from .kit import Kit
from .samples import same_value

__all__ = ["WriteTests"]


class WriteTests(ConformanceBase):
    """Writes change exactly what they say and nothing else."""

    def test_create_then_get(self, crm: Any, kit: Kit) -> None:
        """A created record has an id and reads back with every value written."""
        values = kit.values()
        record = crm.create(self.object_slug, values)
        assert record.id
        assert record.object == self.object_slug
        fetched = crm.get(self.object_slug, record.id)
        for slug, sent in values.items():
            spec = kit.schema.fields[slug]
            assert same_value(spec, sent, fetched.get(slug)), f"{slug}: {fetched.get(slug)!r}"

    def test_update_sets_one_field_only(self, crm: Any, kit: Kit) -> None:
        """update() with a plain value sets that field; the others keep their values."""
        values = kit.values()
        record = crm.create(self.object_slug, values)
        text = kit.text
        new = kit.sample_of(text, 7)
        answered = crm.update(self.object_slug, record.id, {text.slug: new})
        assert answered.id == record.id
        assert same_value(text, new, answered.get(text.slug))
        fetched = crm.get(self.object_slug, record.id)
        assert same_value(text, new, fetched.get(text.slug))
        for slug, sent in values.items():
            if slug != text.slug:
                spec = kit.schema.fields[slug]
                assert same_value(spec, sent, fetched.get(slug)), f"{slug} changed"

    def test_clear_single_field(self, crm: Any, kit: Kit) -> None:
        """clear() (and None) empty a single field."""
        record = kit.create()
        crm.update(self.object_slug, record.id, {kit.text.slug: clear()})
        assert crm.get(self.object_slug, record.id).get(kit.text.slug) in (None, "")
        crm.update(self.object_slug, record.id, {kit.text.slug: kit.sample_of(kit.text, 5)})
        crm.update(self.object_slug, record.id, {kit.text.slug: None})
        assert crm.get(self.object_slug, record.id).get(kit.text.slug) in (None, "")

    def test_multi_set_add_remove_clear(self, crm: Any, kit: Kit) -> None:
        """On a multi field: set replaces the list, add() appends, remove() takes out one value
        keeping the others, clear() empties it."""
        field = kit.multi
        a, b, c = (kit.sample_of(field, n)[0] for n in range(3))
        record = kit.create(**{field.slug: [a]})
        rid = record.id

        def now() -> Any:
            return crm.get(self.object_slug, rid).get(field.slug)

        assert same_value(field, [a], now())
        crm.update(self.object_slug, rid, {field.slug: add(b)})
        assert same_value(field, [a, b], now()), f"after add: {now()!r}"
        crm.update(self.object_slug, rid, {field.slug: remove(a)})
        assert same_value(field, [b], now()), f"after remove: {now()!r}"
        if not same_value(field, [c], [b]):
            crm.update(self.object_slug, rid, {field.slug: [c]})
            assert same_value(field, [c], now()), f"after set: {now()!r}"
        crm.update(self.object_slug, rid, {field.slug: clear()})
        assert now() == [], f"after clear: {now()!r}"

    def test_single_value_for_multi_field_is_wrapped(self, crm: Any, kit: Kit) -> None:
        """A single value given for a multi field is written as a one-item list."""
        field = kit.multi
        value = kit.sample_of(field, 0)[0]
        record = kit.create(**{field.slug: value})
        assert same_value(field, [value], crm.get(self.object_slug, record.id).get(field.slug))
