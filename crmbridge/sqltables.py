"""One table definition for both SQL dialects crmbridge stores state in: SQLite (the default, a
local file) and PostgreSQL (shared between machines, issue 22).

A store's schema is written once, as :class:`Schema`: ``CREATE`` statements whose column types that
differ between the dialects are placeholders, columns added after a first release (which an old
file or database lacks), and indexes (created after those columns exist). :meth:`Schema.statements`
and :meth:`Schema.create_sqlite` / :meth:`Schema.create_postgresql` create it in each dialect,
adding the columns an older database lacks.

Type placeholders (SQLite's types: https://www.sqlite.org/datatype3.html; PostgreSQL's:
https://www.postgresql.org/docs/15/datatype-numeric.html):

* ``{int}``: a 64-bit integer (SQLite's INTEGER is 64-bit, PostgreSQL's 32-bit: BIGINT);
* ``{real}``: a double (REAL / DOUBLE PRECISION);
* ``{bool}``: a flag (SQLite has no boolean type: INTEGER 0/1);
* ``{false}``: its false value as a default;
* ``{serial}``: an auto-numbered primary key (INTEGER PRIMARY KEY AUTOINCREMENT / BIGSERIAL).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import attrs

if TYPE_CHECKING:
    import psycopg

__all__ = ["DIALECTS", "Schema", "placeholder"]

DIALECTS = ("sqlite", "postgresql")

_TYPES = {
    "sqlite": {
        "int": "INTEGER",
        "real": "REAL",
        "bool": "INTEGER",
        "false": "0",
        "serial": "INTEGER PRIMARY KEY AUTOINCREMENT",
    },
    "postgresql": {
        "int": "BIGINT",
        "real": "DOUBLE PRECISION",
        "bool": "BOOLEAN",
        "false": "FALSE",
        "serial": "BIGSERIAL PRIMARY KEY",
    },
}


def placeholder(dialect: str) -> str:
    """The driver's parameter marker: ``?`` (sqlite3, qmark) or ``%s`` (psycopg)."""
    return "?" if dialect == "sqlite" else "%s"


@attrs.frozen
class Schema:
    """A store's tables: ``tables`` (``CREATE TABLE IF NOT EXISTS`` templates), ``added``
    (``(table, column, type)`` columns newer than the first release) and ``indexes``."""

    tables: Sequence[str]
    added: Sequence[tuple[str, str, str]] = ()
    indexes: Sequence[str] = ()

    def render(self, dialect: str) -> list[str]:
        """The ``CREATE TABLE`` statements in ``dialect``."""
        return [table.format(**_TYPES[dialect]) for table in self.tables]

    def create_postgresql(self, db: psycopg.Connection[Any], schema: str) -> None:
        """Create (or complete) the schema in PostgreSQL's schema ``schema`` (the connection's
        ``search_path``). An added column is looked for in ``information_schema`` first: ``ALTER
        TABLE`` takes an ACCESS EXCLUSIVE lock even when ``IF NOT EXISTS`` makes it do nothing
        (https://www.postgresql.org/docs/15/sql-altertable.html), and other workers may be busy
        in the table."""
        types = _TYPES["postgresql"]
        for statement in self.render("postgresql"):
            db.execute(statement)
        for table, column, kind in self.added:
            found = db.execute(
                "SELECT 1 FROM information_schema.columns WHERE table_schema = %s "
                "AND table_name = %s AND column_name = %s",
                (schema, table, column),
            ).fetchone()
            if found is None:
                db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind.format(**types)}")
        for statement in self.indexes:
            db.execute(statement)

    def create_sqlite(self, db: sqlite3.Connection) -> None:
        """Create (or complete) the schema in a SQLite database; SQLite has no ``ADD COLUMN IF
        NOT EXISTS``, so an added column is looked for with ``PRAGMA table_info`` first."""
        types = _TYPES["sqlite"]
        for statement in self.render("sqlite"):
            db.execute(statement)
        for table, column, kind in self.added:
            have = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
            if column not in have:
                db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind.format(**types)}")
        for statement in self.indexes:
            db.execute(statement)
