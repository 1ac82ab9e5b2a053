"""Entry point module: registers the SQLite provider and its ``crmbridge sqlite`` commands."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from crmbridge.plugin import hookimpl


@hookimpl
def crmbridge_register_providers(register: Callable[[Any], None]) -> None:
    from .provider import SqliteProvider

    register(SqliteProvider)


@hookimpl
def crmbridge_register_commands(cli: Any) -> None:
    from .cli import register

    register(cli)
