"""Entry point module: registers the Attio provider with crmbridge."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from crmbridge.plugin import hookimpl


@hookimpl
def crmbridge_register_providers(register: Callable[[Any], None]) -> None:
    from .provider import AttioProvider

    register(AttioProvider)
