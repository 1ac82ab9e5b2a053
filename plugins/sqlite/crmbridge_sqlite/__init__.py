"""crmbridge provider that keeps records and schemas in a local SQLite file.

``crmbridge.connect("sqlite", path="backup.db")``, or ``sqlite:backup.db`` on the command line.
See :mod:`crmbridge_sqlite.provider` for the semantics and :mod:`crmbridge_sqlite.schema` for how a
backup learns its source's schema.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from crmbridge.plugin import lazy_exports

if TYPE_CHECKING:  # what type checkers see; at run time each name loads on first use
    from .provider import SqliteProvider
    from .sample import SAMPLE_SCHEMA
    from .schema import backup_field, copy_schema, copy_schema_async

#: Each name → its module, imported on first use (PEP 562): loading the entry point
#: (``crmbridge_sqlite.plugin``) imports this package first, and ``crmbridge --help`` loads every
#: plugin's entry point without needing the provider (issue 24: cold start; docs/plugins/tutorial.md).
_LAZY: dict[str, str] = {
    "SqliteProvider": ".provider",
    "SAMPLE_SCHEMA": ".sample",
    "backup_field": ".schema",
    "copy_schema": ".schema",
    "copy_schema_async": ".schema",
}


__getattr__, __dir__ = lazy_exports(__name__, _LAZY)


__all__ = ["SAMPLE_SCHEMA", "SqliteProvider", "backup_field", "copy_schema", "copy_schema_async"]
