"""Entry point module: registers the Attio provider with crmbridge."""

from __future__ import annotations

from collections.abc import Callable

from crmbridge.plugin import hookimpl


@hookimpl
def crmbridge_register_providers(register: Callable[..., None]) -> None:
    # By import path: the provider's module loads when it is first asked for (issue 24).
    register("crmbridge_attio.provider:AttioProvider", name="attio")
