"""Entry point module: registers the SQLite provider and its ``crmbridge sqlite`` commands."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from crmbridge.plugin import hookimpl


@hookimpl
def crmbridge_register_providers(register: Callable[..., None]) -> None:
    # By import path: the provider's module loads when it is first asked for (issue 24).
    register("crmbridge_sqlite.provider:SqliteProvider", name="sqlite")


@hookimpl
def crmbridge_register_commands(cli: Any) -> None:
    from .cli import register

    register(cli)
