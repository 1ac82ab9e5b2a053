"""Testing helpers for crmbridge users and plugin authors.

Installed as a pytest plugin (``pytest11`` entry point ``crmbridge``), so its fixtures are available in
any project that has crmbridge installed:

* ``attio_emulator`` / ``kizen_emulator`` — a connected :class:`~crmbridge.Bridge` to a fresh
  in-process emulator for each test;
* ``vcr_config`` — header filters for every provider's credentials and body matching for the POST
  queries, for pytest-recording / vcrpy;
* ``instant_retries`` — stamina's testing mode, so retry waits cost nothing.

And the provider conformance suite: subclass :class:`ProviderConformance` (``docs/plugins/
tutorial.md`` shows the ten lines), or one area's class (``UpsertTests``, ...).
"""

from __future__ import annotations

from .conformance import (
    ArchiveTests,
    ConformanceBase,
    ErrorTests,
    FilterTests,
    HistoryTests,
    Kit,
    PaginationTests,
    ProviderConformance,
    SchemaTests,
    SortTests,
    UpsertTests,
    ValueTests,
    WriteTests,
)
from .vcr import VCR_CONFIG, vcr_config_for

__all__ = [
    "VCR_CONFIG",
    "ArchiveTests",
    "ConformanceBase",
    "ErrorTests",
    "FilterTests",
    "HistoryTests",
    "Kit",
    "PaginationTests",
    "ProviderConformance",
    "SchemaTests",
    "SortTests",
    "UpsertTests",
    "ValueTests",
    "WriteTests",
    "vcr_config_for",
]
