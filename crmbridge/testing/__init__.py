"""Testing helpers for crmbridge users and plugin authors.

Installed as a pytest plugin (``pytest11`` entry point ``crmbridge``), so its fixtures are available in
any project that has crmbridge installed (``docs/testing.md``):

* ``crmbridge_<provider>_emulator`` (``crmbridge_attio_emulator``, ...) — a connected
  :class:`~crmbridge.Bridge` to a fresh in-process emulator for each test, one per registered
  provider that ships an emulator; ``crmbridge_emulator(name, **options)`` for any of them;
* ``crmbridge_vcr_config`` — header filters for every provider's credentials and body matching for
  the POST queries, for vcrpy (pytest-recording's cassettes are filtered anyway);
* ``crmbridge_instant_retries`` — stamina's testing mode, so retry waits cost nothing.

And the provider conformance suite: subclass :class:`ProviderConformance` (``docs/plugins/
tutorial.md`` shows the ten lines), or one area's class (``UpsertTests``, ...). The suite's names
are imported on first use, so ``crmbridge.testing.vcr`` and ``python -m crmbridge.testing.matrix``
work without pytest installed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .vcr import vcr_config_for

if TYPE_CHECKING:
    from .conformance import (
        ArchiveTests,
        ConformanceBase,
        ErrorTests,
        FilterTests,
        HistoryTests,
        Kit,
        NoteTests,
        PaginationTests,
        ProviderConformance,
        SchemaTests,
        SchemaWriteTests,
        SortTests,
        TaskTests,
        UpsertTests,
        ValueTests,
        WriteTests,
    )

__all__ = [
    "VCR_CONFIG",
    "ArchiveTests",
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
    "vcr_config_for",
]

_SUITE = frozenset(__all__) - {"VCR_CONFIG", "vcr_config_for"}


def __getattr__(name: str) -> Any:
    """The conformance suite's names, imported when first asked for (they need pytest)."""
    if name in _SUITE:
        from . import conformance

        return getattr(conformance, name)
    if name == "VCR_CONFIG":  # reads the registered providers: not at import
        from . import vcr

        return vcr.VCR_CONFIG
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
