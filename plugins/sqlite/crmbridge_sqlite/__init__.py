"""crmbridge provider that keeps records and schemas in a local SQLite file.

``crmbridge.connect("sqlite", path="backup.db")``, or ``sqlite:backup.db`` on the command line.
See :mod:`crmbridge_sqlite.provider` for the semantics and :mod:`crmbridge_sqlite.schema` for how a
backup learns its source's schema.
"""

from __future__ import annotations

from .provider import SqliteProvider
from .sample import SAMPLE_SCHEMA
from .schema import backup_field, copy_schema, copy_schema_async

__all__ = ["SAMPLE_SCHEMA", "SqliteProvider", "backup_field", "copy_schema", "copy_schema_async"]
