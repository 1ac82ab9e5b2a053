"""Entry point module: registers the SQLite provider and its ``crmbridge sqlite`` commands."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import crmbridge


@crmbridge.hookimpl
def crmbridge_register_providers(register: Callable[[Any], None]) -> None:
    from .provider import SqliteProvider

    register(SqliteProvider)


@crmbridge.hookimpl
def crmbridge_register_commands(cli: Any) -> None:
    from .cli import register

    register(cli)
