"""The hooks a crmbridge plugin may implement (pluggy, project name ``crmbridge``).

A plugin is a module (or object) with functions decorated with :data:`hookimpl`, found through the
``crmbridge`` entry point group::

    # pyproject.toml of crmbridge-hubspot
    [project.entry-points.crmbridge]
    hubspot = "crmbridge_hubspot.plugin"

    # crmbridge_hubspot/plugin.py
    from crmbridge.plugin import hookimpl

    @hookimpl
    def crmbridge_register_providers(register):
        register(HubSpotProvider)

Every hook is documented here; ``docs/plugins/hooks.md`` lists them and a test fails if one is missing
there (datasette's practice).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pluggy

__all__ = ["hookimpl", "hookspec"]

hookspec = pluggy.HookspecMarker("crmbridge")
hookimpl = pluggy.HookimplMarker("crmbridge")


@hookspec
def crmbridge_register_providers(register: Callable[..., None]) -> None:
    """Register provider classes: call ``register(ProviderClass)`` once per provider, or
    ``register("package.module:ProviderClass", name="hubspot")`` to have crmbridge import the
    class only when that provider is first asked for (``connect("attio")`` then loads no other
    provider; issue 24: cold start).

    The class's ``name`` is what users pass to ``crmbridge.connect(name, ...)``; given by path,
    ``name=`` must be it (checked when the class loads). A registration callback (llm's style)
    rather than a return value, so one plugin can register several providers and crmbridge can
    record which distribution each came from.
    """


@hookspec
def crmbridge_register_commands(cli: Any) -> None:
    """Add commands to the ``crmbridge`` command line. ``cli`` is the root ``click.Group``:
    decorate new commands with ``@cli.command()``."""


@hookspec
def crmbridge_register_transforms(register: Callable[[str, Callable[[Any], Any]], None]) -> None:
    """Register migration transforms: call ``register(name, function)`` once per transform.

    A mapping file names it like a built-in one (``{ to = "x", transform = "name" }``); the
    function takes the source field's value and returns the value to write. An exception it raises
    fails that record with its message, not the run (crmbridge/migrate/transforms.py).
    """
