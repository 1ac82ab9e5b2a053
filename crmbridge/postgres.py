"""Opening a PostgreSQL database for crmbridge's stores (issue 22): the migration state
(:mod:`crmbridge.migrate.state.postgres`) and the change-feed rows
(:mod:`crmbridge.changes.postgres`) take the same ``postgresql://user:password@host/db?schema=NAME``
URL and open it the same way, here.

* ``?schema=NAME`` is crmbridge's, not libpq's: one database holds many workspaces' states, each in
  a schema of its own (default ``public``); it is taken out of the URL before libpq sees it.
* Tables are created under a transaction-scoped advisory lock, since two workers starting at once
  would otherwise race on ``CREATE TABLE IF NOT EXISTS``, which PostgreSQL does not make atomic
  (https://www.postgresql.org/docs/15/explicit-locking.html#ADVISORY-LOCKS).
* The URL's password reaches only the driver: :func:`without_password` names the database in every
  message, and a driver error quoting the password has it masked (docs/design.md §5).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from .errors import ConfigError
from .urls import without_password

if TYPE_CHECKING:
    import psycopg

    from .sqltables import Schema

__all__ = ["SCHEMES", "connect", "create_tables", "is_postgres_url", "reason", "split_schema"]

#: URL schemes libpq takes (https://www.postgresql.org/docs/15/libpq-connect.html#LIBPQ-CONNSTRING).
SCHEMES = ("postgresql", "postgres")

_SCHEMA_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
#: Key of the advisory lock that serialises table creation.
_SCHEMA_LOCK = 0x63726D62  # "crmb"


def is_postgres_url(text: str) -> bool:
    """Whether ``text`` is a ``postgresql://`` (or ``postgres://``) URL."""
    return "://" in text and text.partition("://")[0].lower() in SCHEMES


def split_schema(url: str) -> tuple[str, str]:
    """``(url without ?schema=, schema)``; a schema that is not a plain lower-case name is
    refused before any connection (it is spliced into SQL as an identifier)."""
    parts = urlsplit(url)
    schema = "public"
    kept = []
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key == "schema":
            schema = value
        else:
            kept.append((key, value))
    if not _SCHEMA_NAME.fullmatch(schema):
        raise ConfigError(
            f"{without_password(url)}: schema {schema!r} is not a plain lower-case "
            "PostgreSQL name (letters, digits and _, at most 63, not starting with a digit)",
            code="bad_state",
        )
    return urlunsplit(parts._replace(query=urlencode(kept))), schema


def reason(exc: Exception, url: str) -> str:
    """The driver's message, with the URL's password taken out should it quote it."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    password = urlsplit(url).password
    return text.replace(password, "***") if password else text


def connect(url: str, what: str, tables: Schema) -> tuple[psycopg.Connection[Any], str]:
    """An autocommit connection to ``url`` whose ``search_path`` is the URL's schema, with
    ``tables`` created there; and the schema's name. ``what`` names the store in
    messages ("the migration state"). Every failure is a :class:`ConfigError` without the
    password."""
    try:
        import psycopg
    except ImportError:
        raise ConfigError(
            "a postgresql:// store needs psycopg: pip install 'crmbridge[postgres]'",
            code="missing_dependency",
        ) from None
    dsn, schema = split_schema(url)
    try:
        db = psycopg.connect(dsn, autocommit=True, connect_timeout=30, application_name="crmbridge")
    except psycopg.Error as exc:
        raise ConfigError(
            f"cannot use {without_password(url)} as {what}: {reason(exc, url)}", code="bad_state"
        ) from None
    try:
        create_tables(db, schema, tables)
    except psycopg.Error as exc:
        db.close()
        raise ConfigError(
            f"cannot use {without_password(url)} as {what}: {reason(exc, url)}", code="bad_state"
        ) from None
    return db, schema


def create_tables(db: psycopg.Connection[Any], schema: str, tables: Schema) -> None:
    """Create ``schema`` and ``tables`` in it (one transaction, under the advisory lock), and
    leave the connection's ``search_path`` on ``schema``."""
    with db.transaction():
        db.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
        db.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
        db.execute(f'SET search_path TO "{schema}"')
        tables.create_postgresql(db, schema)
    db.execute(f'SET search_path TO "{schema}"')
