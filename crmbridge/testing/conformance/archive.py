"""Archive, restore, delete, and the archive-conflict policies (docs/design.md §3 ``on_archived``)."""

from __future__ import annotations

from typing import Any

import pytest

from ...errors import Conflict, NotFound, Unsupported
from .base import ConformanceBase
from .kit import Kit, require

__all__ = ["ArchiveTests"]


class ArchiveTests(ConformanceBase):
    """Soft and hard deletes, and what a write does when it meets an archived record."""

    def test_archive_then_restore(self, crm: Any, kit: Kit) -> None:
        """An archived record is NotFound and absent from queries; restore() brings it back
        with the same id and values."""
        require(crm, "archive")
        record = kit.create()
        crm.archive(self.object_slug, record.id)
        with pytest.raises(NotFound):
            crm.get(self.object_slug, record.id)
        assert record.id not in kit.ours(crm.query(self.object_slug))
        require(crm, "restore")
        restored = crm.restore(self.object_slug, record.id)
        assert restored.id == record.id
        fetched = crm.get(self.object_slug, record.id)
        assert fetched.get(kit.text.slug) == record.get(kit.text.slug)
        assert record.id in kit.ours(crm.query(self.object_slug))

    def test_archive_unsupported(self, crm: Any, kit: Kit) -> None:
        """Without archives, archive(), restore() and every on_archived policy but "error"
        raise Unsupported."""
        if crm.capabilities.archive:
            pytest.skip(f"{crm.name} archives records")
        record = kit.create()
        with pytest.raises(Unsupported):
            crm.archive(self.object_slug, record.id)
        with pytest.raises(Unsupported):
            crm.restore(self.object_slug, record.id)
        for policy in ("unarchive", "replace"):
            with pytest.raises(Unsupported):
                crm.create(self.object_slug, kit.values(), on_archived=policy)

    @pytest.mark.crmbridge_emulator_refusals("404")  # provoked on purpose (strict emulators)
    def test_delete(self, crm: Any, kit: Kit) -> None:
        """delete() removes a record for good: get() is NotFound."""
        require(crm, "delete")
        record = kit.create()
        crm.delete(self.object_slug, record.id)
        with pytest.raises(NotFound):
            crm.get(self.object_slug, record.id)

    def test_delete_unsupported(self, crm: Any, kit: Kit) -> None:
        """Without hard deletes, delete() raises Unsupported."""
        if crm.capabilities.delete:
            pytest.skip(f"{crm.name} deletes records")
        record = kit.create()
        with pytest.raises(Unsupported):
            crm.delete(self.object_slug, record.id)

    # --- archive conflicts -------------------------------------------------------------------

    def _archived(self, crm: Any, kit: Kit) -> tuple[str, dict[str, Any]]:
        require(crm, "archive")
        values = kit.values()
        record = crm.create(self.object_slug, values)
        crm.archive(self.object_slug, record.id)
        kit.created.append(record.id)
        return record.id, values

    def test_create_over_archived_error(self, crm: Any, kit: Kit) -> None:
        """on_archived="error": creating a record that matches an archived one is a Conflict."""
        archived, values = self._archived(crm, kit)
        with pytest.raises(Conflict):
            crm.create(self.object_slug, values, on_archived="error")
        with pytest.raises(NotFound):
            crm.get(self.object_slug, archived)

    def test_create_over_archived_unarchive(self, crm: Any, kit: Kit) -> None:
        """on_archived="unarchive": the archived record comes back, same id."""
        archived, values = self._archived(crm, kit)
        record = crm.create(self.object_slug, values, on_archived="unarchive")
        assert record.id == archived
        assert crm.get(self.object_slug, archived).id == archived

    def test_create_over_archived_replace(self, crm: Any, kit: Kit) -> None:
        """on_archived="replace": a new record; the archived one stays archived."""
        archived, values = self._archived(crm, kit)
        record = crm.create(self.object_slug, values, on_archived="replace")
        assert record.id
        assert record.id != archived
        kit.created.append(record.id)
        with pytest.raises(NotFound):
            crm.get(self.object_slug, archived)

    def test_upsert_over_archived_error(self, crm: Any, kit: Kit) -> None:
        """upsert(on_archived="error") on an archived match is a Conflict."""
        _archived, values = self._archived(crm, kit)
        with pytest.raises(Conflict):
            crm.upsert(self.object_slug, values, match=kit.match.slug, on_archived="error")

    def test_upsert_over_archived_replace(self, crm: Any, kit: Kit) -> None:
        """upsert(on_archived="replace") on an archived match creates a new record."""
        archived, values = self._archived(crm, kit)
        result = crm.upsert(self.object_slug, values, match=kit.match.slug, on_archived="replace")
        assert result.action == "created"
        assert result.record.id != archived
