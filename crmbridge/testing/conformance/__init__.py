"""The provider conformance suite (fsspec's ``tests/abstract``, SQLAlchemy's dialect suite).

A provider opts in with one class and one fixture::

    import pytest
    import crmbridge
    from crmbridge.testing import ProviderConformance

    class TestMyCRM(ProviderConformance):
        object_slug = "contacts"

        @pytest.fixture
        def bridge(self):
            with crmbridge.connect("mycrm", emulator=True) as crm:
                yield crm

    class TestMyCRMAsync(TestMyCRM):
        asynchronous = True          # the same tests through AsyncBridge

The tests learn objects and fields from ``crm.fields(...)``, build values from one table per
:class:`~crmbridge.FieldType` (:mod:`.samples`), and skip — naming the capability — what
``crm.capabilities`` says the provider lacks. One module per area; each area is also a class on its
own (``SchemaTests``, ``ValueTests``, ...) for providers that want only some of them. Override a
test in the subclass (``pytest.mark.xfail``/``skip`` with a reason) to record a known difference.
"""

from __future__ import annotations

from .archive import ArchiveTests
from .base import ConformanceBase
from .blocking import BlockingBridge, async_twin
from .errors import ErrorTests
from .filters import FilterTests, SortTests
from .history import HistoryTests
from .kit import Kit
from .notes import NoteTests, TaskTests
from .pagination import PaginationTests
from .samples import SAMPLES, same_value, sample
from .schema import SchemaTests
from .schema_writes import SchemaWriteTests
from .upsert import UpsertTests
from .values import ValueTests
from .writes import WriteTests

__all__ = [
    "SAMPLES",
    "ArchiveTests",
    "BlockingBridge",
    "ConformanceBase",
    "ErrorTests",
    "FilterTests",
    "HistoryTests",
    "Kit",
    "NoteTests",
    "PaginationTests",
    "ProviderConformance",
    "SchemaTests",
    "SchemaWriteTests",
    "SortTests",
    "TaskTests",
    "UpsertTests",
    "ValueTests",
    "WriteTests",
    "async_twin",
    "same_value",
    "sample",
]


class ProviderConformance(
    SchemaTests,
    ValueTests,
    FilterTests,
    SortTests,
    PaginationTests,
    WriteTests,
    HistoryTests,
    UpsertTests,
    ArchiveTests,
    ErrorTests,
    SchemaWriteTests,
    NoteTests,
    TaskTests,
):
    """Every conformance test. Subclass it as ``Test<Provider>``, set ``object_slug`` and define
    the ``bridge`` fixture (see :class:`~crmbridge.testing.conformance.base.ConformanceBase` for
    the other settings)."""
