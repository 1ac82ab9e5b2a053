"""Entry point module: registers the SQLite provider with crmbridge."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import crmbridge


@crmbridge.hookimpl
def crmbridge_register_providers(register: Callable[[Any], None]) -> None:
    from .provider import SqliteProvider

    register(SqliteProvider)
