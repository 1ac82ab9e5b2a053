"""The fixtures and settings every conformance test class shares.

An opting-in class supplies one fixture, ``bridge`` (a connected :class:`~crmbridge.Bridge`, fresh
state per test), and a few class attributes; everything else is learned from the provider. Setting
``asynchronous = True`` runs the very same tests through :class:`~crmbridge.AsyncBridge`: the
``crm`` fixture then wraps :func:`~crmbridge.testing.conformance.blocking.async_twin` of the bridge
(override the ``async_bridge`` fixture to build it yourself).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

import pytest

from ...bridge import AsyncBridge, Bridge
from ...model import FieldType
from .blocking import BlockingBridge, async_twin
from .kit import Kit

__all__ = ["ConformanceBase"]


class ConformanceBase:
    """Settings and fixtures of the conformance suite (fsspec's ``BaseAbstractFixtures``)."""

    #: The object the tests create, read, query and change (``"people"``, ``"client_client"``).
    object_slug: ClassVar[str] = ""
    #: The upsert match key; ``None``: the provider's default, else the first unique field.
    match_field: ClassVar[str | None] = None
    #: The text field written and filtered on; ``None``: the first writable single text field.
    text_field: ClassVar[str | None] = None
    #: Objects searched for a field of each type by the value round trips; empty: ``object_slug``.
    value_objects: ClassVar[tuple[str, ...]] = ()
    #: Values for fields the suite cannot invent (users, files), by field slug or FieldType; a
    #: callable is called with an index ``n`` to make distinct values.
    sample_values: ClassVar[Mapping[str | FieldType, Any]] = {}
    #: An id no record has (in the provider's id format) for the not-found tests.
    missing_id: ClassVar[str] = "00000000-0000-4000-8000-000000000000"
    #: Records created by the pagination tests (with ``page_size`` 2: four pages and a half).
    pagination_records: ClassVar[int] = 9
    #: Run the tests through ``AsyncBridge`` instead of ``Bridge``.
    asynchronous: ClassVar[bool] = False

    @pytest.fixture
    def bridge(self) -> Bridge:
        """Override: a connected Bridge with fresh state (e.g. ``connect(..., emulator=True)``)."""
        pytest.fail(
            f"{type(self).__name__} must define a `bridge` fixture returning a connected "
            "crmbridge.Bridge (see docs/plugins/tutorial.md)"
        )

    @pytest.fixture
    def async_bridge(self, bridge: Bridge) -> AsyncBridge:
        """The AsyncBridge used when ``asynchronous`` is true (closed by the suite)."""
        return async_twin(bridge)

    @pytest.fixture
    def crm(self, request: pytest.FixtureRequest, bridge: Bridge) -> Iterator[Any]:
        """What the tests call: ``bridge`` itself, or the async twin behind a blocking facade."""
        if not self.object_slug:
            pytest.fail(f"{type(self).__name__} must set object_slug")
        if not self.asynchronous:
            yield bridge
            return
        blocking = BlockingBridge(request.getfixturevalue("async_bridge"))
        try:
            yield blocking
        finally:
            blocking.close()

    @pytest.fixture
    def kit(self, crm: Any) -> Kit:
        """Schema-aware helpers bound to ``crm`` and this class's settings."""
        return Kit(crm, self)
