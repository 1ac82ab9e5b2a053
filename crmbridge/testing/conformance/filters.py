"""Filters and sorts: every neutral operator the provider declares, combined, and ``order_by``.

Each test creates a handful of records whose text field reads ``"<token> apple 00"``,
``"<token> banana 01"``, ... and intersects the query's results with the ids it created, so other
data in the CRM cannot change the outcome. Operators missing from ``Capabilities.filter_ops`` are
skipped; a provider that cannot express a combination must raise
:class:`~crmbridge.Unsupported` (before any request), which skips the test.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from ...errors import Unsupported
from ...filters import F, Filter
from ...model import FieldSpec
from .base import ConformanceBase
from .kit import Kit, require, require_op

__all__ = ["FilterTests", "SortTests"]


def _three(kit: Kit, *, number: FieldSpec | None = None) -> list[str]:
    """Create records 0, 1, 2 (text apple/banana/cherry; number 10/20/30 when given)."""
    ids = []
    for n in range(3):
        extra = {number.slug: kit.sample_of(number, n)} if number is not None else {}
        record = kit.create(n, **extra)
        assert record.id is not None
        ids.append(record.id)
    return ids


class FilterTests(ConformanceBase):
    """``query(where=...)`` returns exactly the matching records."""

    def _ids(self, kit: Kit, where: Filter) -> set[str]:
        return set(kit.ours(kit.crm.query(self.object_slug, where)))

    def _text(self, kit: Kit, n: int) -> Any:
        return kit.values_for(kit.schema, n)[kit.text.slug]

    @pytest.mark.parametrize(
        ("op", "build", "expected"),
        [
            ("eq", lambda f, v: F(f) == v[1], {1}),
            ("ne", lambda f, v: F(f) != v[1], {0, 2}),
            ("in", lambda f, v: F(f).is_in([v[0], v[2]]), {0, 2}),
            ("contains", lambda f, v: F(f).contains("banan"), {1}),
            ("starts_with", lambda f, v: F(f).starts_with(v[2][:-2]), {2}),
            ("ends_with", lambda f, v: F(f).ends_with("ple 00"), {0}),
        ],
    )
    def test_text_operator(
        self,
        crm: Any,
        kit: Kit,
        op: str,
        build: Callable[[str, list[Any]], Filter],
        expected: set[int],
    ) -> None:
        """Each text operator selects exactly the records it should."""
        require_op(crm, op)
        ids = _three(kit)
        texts = [self._text(kit, n) for n in range(3)]
        got = self._ids(kit, build(kit.text.slug, texts))
        assert got == {ids[i] for i in expected}, f"{op}: got {got}, ids {ids}"

    @pytest.mark.parametrize(
        ("op", "build", "expected"),
        [
            ("gt", lambda f, v: F(f) > v[1], {2}),
            ("gte", lambda f, v: F(f) >= v[1], {1, 2}),
            ("lt", lambda f, v: F(f) < v[1], {0}),
            ("lte", lambda f, v: F(f) <= v[1], {0, 1}),
        ],
    )
    def test_number_operator(
        self,
        crm: Any,
        kit: Kit,
        op: str,
        build: Callable[[str, list[Any]], Filter],
        expected: set[int],
    ) -> None:
        """Comparisons on a number field select exactly the records they should."""
        require_op(crm, op)
        number = kit.number
        ids = _three(kit, number=number)
        samples = [kit.sample_of(number, n) for n in range(3)]
        got = self._ids(kit, build(number.slug, samples))
        assert got == {ids[i] for i in expected}, f"{op}: got {got}, ids {ids}"

    def test_is_empty(self, crm: Any, kit: Kit) -> None:
        """is_empty() finds the record without a value; is_empty(False) the ones with one."""
        require_op(crm, "is_empty")
        ids = _three(kit)
        bare_values = kit.values(3)
        del bare_values[kit.text.slug]
        bare = crm.create(self.object_slug, bare_values)
        kit.created.append(bare.id)
        try:
            empty = self._ids(kit, F(kit.text.slug).is_empty())
        except Unsupported as exc:  # the operator exists, but not for this field's type
            pytest.skip(f"{crm.name}: {exc.message}")
        assert empty == {bare.id}
        assert self._ids(kit, F(kit.text.slug).is_empty(False)) == set(ids)

    def test_and_or_not(self, crm: Any, kit: Kit) -> None:
        """&, | and ~ combine conditions as boolean logic says."""
        require_op(crm, "eq")
        ids = _three(kit)
        texts = [self._text(kit, n) for n in range(3)]
        field = kit.text.slug
        try:
            either = self._ids(kit, (F(field) == texts[0]) | (F(field) == texts[2]))
            both = self._ids(kit, (F(field) == texts[0]) & (F(field) == texts[2]))
            neither = self._ids(kit, ~(F(field) == texts[1]))
        except Unsupported as exc:
            pytest.skip(f"{crm.name} cannot combine filters: {exc.message}")
        assert either == {ids[0], ids[2]}
        assert both == set()
        assert neither == {ids[0], ids[2]}

    def test_dict_form_equals_builder(self, crm: Any, kit: Kit) -> None:
        """The plain-dict filter form selects what the F() form does."""
        require_op(crm, "eq")
        ids = _three(kit)
        text = self._text(kit, 1)
        assert self._ids(kit, F(kit.text.slug) == text) == {ids[1]}
        got = set(kit.ours(crm.query(self.object_slug, {kit.text.slug: {"$eq": text}})))
        assert got == {ids[1]}


class SortTests(ConformanceBase):
    """``order_by`` orders records ascending and descending."""

    def test_order_by_text(self, crm: Any, kit: Kit) -> None:
        """Ascending and descending order by the text field."""
        require(crm, "sorts")
        ids = _three(kit)
        field = kit.text.slug
        assert kit.ours(crm.query(self.object_slug, order_by=[field])) == ids
        assert kit.ours(crm.query(self.object_slug, order_by=[f"-{field}"])) == ids[::-1]

    def test_order_by_number(self, crm: Any, kit: Kit) -> None:
        """Ascending and descending order by a number field (numeric, not lexical)."""
        require(crm, "sorts")
        number = kit.number
        ids = _three(kit, number=number)
        assert kit.ours(crm.query(self.object_slug, order_by=[number.slug])) == ids
        assert kit.ours(crm.query(self.object_slug, order_by=["-" + number.slug])) == ids[::-1]
