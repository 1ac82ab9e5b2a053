"""Value history (``history()``, docs/design.md §4): past values oldest first, where the CRM keeps them."""

from __future__ import annotations

from typing import Any

import pytest

from ...errors import Unsupported
from ...model import ValueVersion
from .base import ConformanceBase
from .kit import Kit, require
from .samples import same_value

__all__ = ["HistoryTests"]


class HistoryTests(ConformanceBase):
    """``history()`` where ``Capabilities.history`` says so, ``Unsupported`` elsewhere."""

    def test_history_lists_past_values(self, crm: Any, kit: Kit) -> None:
        """After an update, history() has the first value and, last, the current one."""
        require(crm, "history")
        record = kit.create()
        text = kit.text
        first = record.get(text.slug)
        new = kit.sample_of(text, 42)
        crm.update(self.object_slug, record.id, {text.slug: new})
        versions = crm.history(self.object_slug, record.id, text.slug)
        assert all(isinstance(v, ValueVersion) for v in versions)
        assert len(versions) >= 2, versions
        assert same_value(text, new, versions[-1].value), versions[-1]
        assert any(same_value(text, first, v.value) for v in versions[:-1]), versions

    def test_history_unsupported(self, crm: Any, kit: Kit) -> None:
        """Without history, history() raises Unsupported."""
        if crm.capabilities.history:
            pytest.skip(f"{crm.name} keeps value history")
        record = kit.create()
        with pytest.raises(Unsupported):
            crm.history(self.object_slug, record.id, kit.text.slug)
