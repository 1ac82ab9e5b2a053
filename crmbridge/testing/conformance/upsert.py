"""Upsert with all four actions — created, updated, noop, unarchived — always the truth (docs/design.md §3)."""

from __future__ import annotations

from typing import Any

import pytest

from ...errors import CRMError
from ...model import UpsertResult
from .base import ConformanceBase
from .kit import Kit, require
from .samples import same_value

__all__ = ["UpsertTests"]


def _require_upsert(crm: Any) -> None:
    if crm.capabilities.upsert_match == "none" and not crm.capabilities.native_upsert:
        pytest.skip(f"{crm.name}: Capabilities.upsert_match is 'none'")


class UpsertTests(ConformanceBase):
    """``upsert()`` on the match key."""

    def _upsert(self, crm: Any, kit: Kit, values: dict[str, Any], **kw: Any) -> UpsertResult:
        result = crm.upsert(self.object_slug, values, match=kit.match.slug, **kw)
        assert isinstance(result, UpsertResult)
        if result.record.id and result.record.id not in kit.created:
            kit.created.append(result.record.id)
        return result

    def test_created(self, crm: Any, kit: Kit) -> None:
        """A match value no record has: action "created", and the record exists."""
        _require_upsert(crm)
        values = kit.values()
        result = self._upsert(crm, kit, values)
        assert result.action == "created"
        assert result.record.id
        fetched = crm.get(self.object_slug, result.record.id)
        match = kit.match
        assert same_value(match, values[match.slug], fetched.get(match.slug))

    def test_updated(self, crm: Any, kit: Kit) -> None:
        """The same match value with another value: action "updated", same record, new value."""
        _require_upsert(crm)
        values = kit.values()
        first = self._upsert(crm, kit, values)
        changed = {**values, kit.text.slug: kit.sample_of(kit.text, 9)}
        second = self._upsert(crm, kit, changed)
        assert second.action == "updated"
        assert second.record.id == first.record.id
        fetched = crm.get(self.object_slug, first.record.id)
        assert same_value(kit.text, changed[kit.text.slug], fetched.get(kit.text.slug))

    def test_noop(self, crm: Any, kit: Kit) -> None:
        """The same values again: action "noop", same record."""
        _require_upsert(crm)
        values = kit.values()
        first = self._upsert(crm, kit, values)
        again = self._upsert(crm, kit, values)
        assert again.action == "noop", f"identical upsert answered {again.action!r}"
        assert again.record.id == first.record.id

    def test_unarchived(self, crm: Any, kit: Kit) -> None:
        """The match value of an archived record: action "unarchived", the same record back."""
        _require_upsert(crm)
        require(crm, "archive")
        values = kit.values()
        first = self._upsert(crm, kit, values)
        crm.archive(self.object_slug, first.record.id)
        result = self._upsert(crm, kit, values, on_archived="unarchive")
        assert result.action == "unarchived"
        assert result.record.id == first.record.id
        assert crm.get(self.object_slug, first.record.id).id == first.record.id

    def test_only_one_record_per_match_value(self, crm: Any, kit: Kit) -> None:
        """Upserting one match value three times leaves exactly one record with it."""
        _require_upsert(crm)
        values = kit.values()
        for n in range(3):
            self._upsert(crm, kit, {**values, kit.text.slug: kit.sample_of(kit.text, n)})
        assert len(set(kit.ours(crm.query(self.object_slug)))) == 1

    def test_match_keys_agree_with_the_crm(self, crm: Any, kit: Kit) -> None:
        """``Provider.match_keys`` says which match values the CRM takes for one record;
        migrations rely on it to never write two source records into one target record. A
        variant of a match value (another case, spaces around) that the CRM matched to the same
        record must share a key with the original."""
        _require_upsert(crm)
        values = kit.values()
        value = values[kit.match.slug]
        variants = _variants(value)
        if not variants:
            pytest.skip(f"{crm.name}: the match value is not text: {value!r}")
        first = self._upsert(crm, kit, values)
        keys = set(crm.provider.match_keys(kit.match, value))
        compared = 0
        for variant in variants:
            try:
                result = self._upsert(crm, kit, {**values, kit.match.slug: variant})
            except CRMError:
                continue  # the CRM refuses that spelling: nothing to compare
            if result.record.id == first.record.id:
                compared += 1
                assert keys & set(crm.provider.match_keys(kit.match, variant)), (
                    f"{crm.name} matched {variant!r} to the record of {value!r}, but "
                    f"match_keys tells them apart: a migration would overwrite one with the other"
                )
        if not compared:
            pytest.skip(f"{crm.name} took no variant of {value!r} for the same record")


def _variants(value: Any) -> list[Any]:
    """Other spellings of a text match value (or of each of a list's)."""
    if isinstance(value, str):
        return [value.upper(), f" {value} ", value.title()]
    if isinstance(value, list | tuple) and value and all(isinstance(v, str) for v in value):
        return [[v.upper() for v in value], [f" {v} " for v in value]]
    return []
