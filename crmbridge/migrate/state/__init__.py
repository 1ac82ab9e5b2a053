"""Where a migration keeps what it knows between runs (docs/design.md §9, "State store").

:class:`~.store.StateStore` is the interface the engine uses; :class:`~.sqlite.SQLiteStore` the
default implementation (a local file), :class:`~.postgres.PostgresStore` the one several machines
share (issue 22). :func:`open_state` picks the implementation from what the user gave as
``--state``: a ``postgresql://`` URL, else a file path.
"""

from __future__ import annotations

from pathlib import Path

from ...errors import ConfigError
from ...postgres import is_postgres_url
from .postgres import PostgresStore
from .sqlite import SQLiteStore
from .store import Change, Holder, IdEntry, RunInfo, StateLocked, StateStore

__all__ = [
    "Change",
    "Holder",
    "IdEntry",
    "MigrationState",
    "PostgresStore",
    "RunInfo",
    "SQLiteStore",
    "StateLocked",
    "StateStore",
    "open_state",
]

#: The name the SQLite store had before the state became a package (kept for existing scripts).
MigrationState = SQLiteStore


def open_state(spec: str | Path | StateStore) -> StateStore:
    """A store for ``spec``: a :class:`StateStore` as is, a ``postgresql://`` (or
    ``postgres://``) URL as a :class:`~.postgres.PostgresStore`, else a SQLite file path. An
    empty path is refused (it would silently be a temporary database), and so is a URL scheme no
    store implements."""
    if isinstance(spec, StateStore):
        return spec
    text = str(spec)
    if not text.strip():
        raise ConfigError("--state needs a file name (an empty one would keep nothing)")
    if is_postgres_url(text):
        return PostgresStore(text)
    scheme = text.partition("://")[0] if "://" in text else ""
    if scheme:
        raise ConfigError(
            f"no state store for {scheme}:// URLs is available; give a file path or a "
            "postgresql:// URL for --state"
        )
    return SQLiteStore(text)
